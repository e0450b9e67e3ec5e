/** Step Functions execution names and ARNs, as coalmine accepts and builds them. Pure. */

/** Step Functions execution names: 1 – 80 letters, digits, - and _ (what coalmine accepts of the API's rule). */
export const EXECUTION_NAME = /^[A-Za-z0-9_-]{1,80}$/;

/** arn:…:stateMachine:NAME → arn:…:execution:NAME:EXECUTION (the documented execution ARN form). */
export function executionArnFor(machineArn: string, executionName: string): string {
  return `${machineArn.replace(':stateMachine:', ':execution:')}:${executionName}`;
}
