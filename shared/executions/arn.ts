/** arn:…:stateMachine:NAME → arn:…:execution:NAME:EXECUTION (the documented execution ARN form). */
export function executionArnFor(machineArn: string, executionName: string): string {
  return `${machineArn.replace(':stateMachine:', ':execution:')}:${executionName}`;
}

/** arn:…:execution:NAME:EXECUTION → EXECUTION (the last part; the whole text when it has no colon). */
export function executionNameOf(executionArn: string): string {
  return executionArn.slice(executionArn.lastIndexOf(':') + 1);
}
