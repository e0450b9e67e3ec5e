/**
 * An asynchronous invocation (Lambda Invoke, Event) of the running function with a JSON payload: the
 * Slack handler's hand-over to itself (shared/slack/handover.ts), in a module of its own so that the
 * Lambda client is loaded only when work is handed over.
 */
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { lambdaClient } from '../aws/lambda';
import { optionalEnv } from '../config/env';
import { ConfigurationError, awsCall } from '../errors';

export async function invokeSelf(payload: unknown): Promise<void> {
  const functionName = optionalEnv('AWS_LAMBDA_FUNCTION_NAME');
  if (functionName === undefined) {
    throw new ConfigurationError('AWS_LAMBDA_FUNCTION_NAME is not set, so the Slack handler cannot hand work to itself (not running in Lambda?).');
  }
  const result = await awsCall('Invoke', () =>
    lambdaClient().send(new InvokeCommand({ FunctionName: functionName, InvocationType: 'Event', Payload: Buffer.from(JSON.stringify(payload)) })),
  );
  // Event invocations answer 202 Accepted.
  if (result.StatusCode !== undefined && result.StatusCode !== 202) {
    throw new Error(`Lambda did not accept the asynchronous invocation (status ${result.StatusCode})`);
  }
}
