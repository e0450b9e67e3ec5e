/** arn:…:stateMachine:NAME → arn:…:execution:NAME:EXECUTION (the documented execution ARN form). */
export function executionArnFor(machineArn: string, executionName: string): string {
  return `${machineArn.replace(':stateMachine:', ':execution:')}:${executionName}`;
}
