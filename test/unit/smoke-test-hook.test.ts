/**
 * The example hook (examples/hooks/smoke-test.ts): it calls the version coalmine names and answers in the
 * shape runHook reads.
 */
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { handler } from '../../examples/hooks/smoke-test';
import { judgeHookOutcome } from '../../shared/hooks/hook-answer';

const lambda = mockClient(LambdaClient);
beforeEach(() => lambda.reset());

const ARN = 'arn:aws:lambda:eu-west-1:123456789012:function:checkout:42';
const payload = { hook: 'preTraffic' as const, newVersion: { qualifiedArn: ARN } };
const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value)) as never;
/** What coalmine makes of the example's answer. */
const judged = async () => judgeHookOutcome({ kind: 'answered', payload: JSON.stringify(await handler(payload)) }, 0);

describe('the example smoke-test hook', () => {
  it('invokes the new version by its qualified ARN and passes on a 200', async () => {
    lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: encode({ statusCode: 200 }) });

    const answer = await judged();

    expect(lambda).toHaveReceivedCommandWith(InvokeCommand, { FunctionName: ARN });
    expect(JSON.parse(new TextDecoder().decode(lambda.commandCalls(InvokeCommand)[0]?.args[0].input.Payload as Uint8Array))).toEqual({ path: '/health' });
    expect(answer).toEqual({ status: 'passed', reason: expect.stringMatching(/^arn:aws:lambda:eu-west-1:123456789012:function:checkout:42 answered 200 in \d+ ms$/) });
  });

  it('fails on a 5xx and on a function error', async () => {
    lambda.on(InvokeCommand).resolvesOnce({ StatusCode: 200, Payload: encode({ statusCode: 503 }) }).resolvesOnce({
      StatusCode: 200,
      FunctionError: 'Unhandled',
      Payload: encode({ errorType: 'Error', errorMessage: 'db down' }),
    });

    expect(await judged()).toEqual({ status: 'failed', reason: expect.stringMatching(/answered 503 in \d+ ms$/) });
    expect(await judged()).toEqual({ status: 'failed', reason: expect.stringContaining('raised an error (Unhandled): {"errorType":"Error","errorMessage":"db down"}') });
  });
});
