import { InvokeCommand, ResourceNotFoundException, ServiceException, TooManyRequestsException } from '@aws-sdk/client-lambda';
import { handler } from '../../functions/run-hook';
import type { HookName } from '../../shared/config/request';
import type { RunHookInput } from '../../shared/hooks/run-hook';
import type { MetricRecord } from '../../shared/telemetry/records';
import { useMetricsSink } from '../../shared/telemetry/sink';
import { context, lambda, resetAws, rolloutRequest, stateFor, EXECUTION } from './support';

beforeEach(resetAws);

const EXECUTION_ARN = `arn:aws:states:eu-west-1:123456789012:execution:coalmine-prod-canary:${EXECUTION.executionName}`;
const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
const meta = { $metadata: {} };

async function input(hook: HookName, hookConfig: Record<string, unknown> = {}, progress = {}): Promise<RunHookInput> {
  const state = await stateFor(rolloutRequest({ hooks: { [hook]: { function: 'smoke-test', ...hookConfig } } }), progress);
  return { hook, rollout: state.rollout, progress: state.progress, executionArn: EXECUTION_ARN };
}

const runHook = (event: RunHookInput) => handler(event, context('runHook'));

describe('runHook handler', () => {
  it('invokes the hook synchronously with the rollout context and the new version\'s qualified ARN', async () => {
    const event = await input('preTraffic');
    lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: encode({ status: 'passed', reason: '12 of 12 probes answered 200' }) as never });

    const answer = await runHook(event);

    expect(lambda).toHaveReceivedCommandTimes(InvokeCommand, 1);
    const sent = lambda.commandCalls(InvokeCommand)[0]?.args[0].input;
    expect({ ...sent, Payload: JSON.parse(new TextDecoder().decode(sent?.Payload as Uint8Array)) }).toEqual({
      FunctionName: 'smoke-test',
      InvocationType: 'RequestResponse',
      Payload: {
        hook: 'preTraffic',
        rollout: { name: 'checkout:live', executionName: EXECUTION.executionName, startedAt: EXECUTION.startedAt },
        target: { type: 'lambda-alias', functionName: 'checkout', alias: 'live', version: '42' },
        baseline: { version: '41' },
        newVersion: { qualifiedArn: 'arn:aws:lambda:eu-west-1:123456789012:function:checkout:42' },
      },
    });
    expect(answer).toEqual({
      hook: 'preTraffic',
      function: 'smoke-test',
      status: 'passed',
      reason: '12 of 12 probes answered 200',
      durationMs: expect.any(Number),
      attempts: 1,
    });
  });

  it('tells onStep which step passed', async () => {
    const event = await input('onStep', {}, { stepIndex: 0, weight: 10 });
    lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: encode({ status: 'passed' }) as never });

    await runHook(event);

    const payload = JSON.parse(new TextDecoder().decode(lambda.commandCalls(InvokeCommand)[0]?.args[0].input.Payload as Uint8Array));
    expect(payload).toMatchObject({ hook: 'onStep', step: { number: 1, weight: 10 } });
  });

  it('a result {"status":"failed","reason":...} fails the hook with that reason', async () => {
    const event = await input('preTraffic');
    lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: encode({ status: 'failed', reason: 'GET /health answered 503' }) as never });

    const answer = await runHook(event);

    expect(answer).toMatchObject({
      status: 'failed',
      reason: 'GET /health answered 503',
      error: 'HookFailed',
      cause: 'The preTraffic hook smoke-test failed: GET /health answered 503',
      attempts: 1,
    });
  });

  it('a FunctionError fails the hook with the function\'s error, and is not retried', async () => {
    const event = await input('postTraffic');
    lambda.on(InvokeCommand).resolves({
      StatusCode: 200,
      FunctionError: 'Unhandled',
      Payload: encode({ errorType: 'TypeError', errorMessage: "Cannot read properties of undefined (reading 'status')", trace: [] }) as never,
    });

    const answer = await runHook(event);

    expect(lambda).toHaveReceivedCommandTimes(InvokeCommand, 1);
    expect(answer).toMatchObject({
      status: 'failed',
      reason: "it raised an error (Unhandled): TypeError: Cannot read properties of undefined (reading 'status')",
      error: 'HookFailed',
    });
  });

  it('an answer of another shape fails, saying what a hook answers', async () => {
    const event = await input('preTraffic');
    lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: encode('ok') as never });

    const answer = await runHook(event);

    expect(answer).toMatchObject({ status: 'failed', reason: 'it answered "ok"; a hook answers {"status": "passed"} or {"status": "failed", "reason": "..."}' });
  });

  it('retries throttling and service faults up to `retries`, then passes on the answer', async () => {
    const event = await input('preTraffic', { retries: 2 });
    lambda
      .on(InvokeCommand)
      .rejectsOnce(new TooManyRequestsException({ message: 'Rate exceeded', ...meta }))
      .rejectsOnce(new ServiceException({ message: 'internal', ...meta }))
      .resolves({ StatusCode: 200, Payload: encode({ status: 'passed' }) as never });

    const answer = await runHook(event);

    expect(lambda).toHaveReceivedCommandTimes(InvokeCommand, 3);
    expect(answer).toMatchObject({ status: 'passed', attempts: 3 });
  }, 10_000);

  it('fails once the transient errors outlast the retries', async () => {
    const event = await input('preTraffic', { retries: 1 });
    lambda.on(InvokeCommand).rejects(new TooManyRequestsException({ message: 'Rate exceeded', ...meta }));

    const answer = await runHook(event);

    expect(lambda).toHaveReceivedCommandTimes(InvokeCommand, 2);
    expect(answer).toMatchObject({
      status: 'failed',
      reason: 'Lambda did not run it: TooManyRequestsException (Rate exceeded), still after 1 retry',
      attempts: 2,
    });
  });

  it('does not retry a permanent error', async () => {
    const event = await input('preTraffic', { retries: 3 });
    lambda.on(InvokeCommand).rejects(new ResourceNotFoundException({ message: 'Function not found: smoke-test', ...meta }));

    const answer = await runHook(event);

    expect(lambda).toHaveReceivedCommandTimes(InvokeCommand, 1);
    expect(answer).toMatchObject({ status: 'failed', reason: 'Lambda did not run it: ResourceNotFoundException (Function not found: smoke-test)' });
  });

  it('fails a hook that does not answer within timeoutSeconds', async () => {
    const event = await input('preTraffic', { timeoutSeconds: 1 });
    lambda.on(InvokeCommand).callsFake(() => new Promise(() => undefined));

    const answer = await runHook(event);

    expect(answer).toMatchObject({ status: 'failed', reason: 'it did not answer within 1 s (timeoutSeconds)', attempts: 1 });
    expect(answer.durationMs).toBeGreaterThanOrEqual(1000);
  });

  it('publishes its answer and duration as metrics, per rollout and hook', async () => {
    const event = await input('onStep', {}, { stepIndex: 0, weight: 10 });
    lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: encode({ status: 'failed', reason: 'queue depth' }) as never });
    const published: MetricRecord[] = [];
    const uninstall = useMetricsSink({ publish: (records) => published.push(...records) });

    const answer = await runHook(event).finally(uninstall);

    expect(published).toEqual([
      {
        dimensionSets: [{ Rollout: 'checkout:live', TargetType: 'lambda-alias', Hook: 'onStep' }],
        values: [
          { metric: 'hookFailed', value: 1 },
          { metric: 'hookDuration', value: answer.durationMs },
        ],
      },
    ]);
  });

  it('clips a long reason', async () => {
    const event = await input('preTraffic');
    lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: encode({ status: 'failed', reason: 'x'.repeat(2000) }) as never });

    const answer = await runHook(event);

    expect(answer.reason).toHaveLength(500);
    expect(answer.cause?.length).toBeLessThanOrEqual(500);
  });
});
