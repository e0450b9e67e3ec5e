/**
 * Step Functions' names for executions: which names it takes, and an execution's ARN from its state
 * machine's. Pure: the artifact triggers (which may only start and describe executions) use it too.
 */
/** Step Functions execution names: 1 – 80 letters, digits, - and _ (what coalmine accepts of the API's rule). */
export const EXECUTION_NAME = /^[A-Za-z0-9_-]{1,80}$/;

/** arn:…:stateMachine:NAME → arn:…:execution:NAME:EXECUTION (the documented execution ARN form). */
export function executionArnFor(machineArn: string, executionName: string): string {
  return `${machineArn.replace(':stateMachine:', ':execution:')}:${executionName}`;
}
