import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { handler } from '../../functions/announce-gate';
import type { GateTaskInput } from '../../shared/gates/announce';
import { logger } from '../../shared/handler';
import { localContext } from '../../sim/local-context';

const eventbridge = mockClient(EventBridgeClient);
const TOKEN = 'AQCEAAAAKgAAAAMAAAAAAAAAAfake-gate-token';
const INPUT: GateTaskInput = {
  taskToken: TOKEN,
  executionName: 'checkout-42',
  name: 'checkout',
  target: { type: 'lambda-alias', functionName: 'checkout', alias: 'live', version: '42' },
  stepCount: 2,
  step: { index: 1, weight: 50, extraBakes: 0 },
  verdict: 'pass',
  reason: 'step 2 at 50 %: the analysis passed; waiting for a person to approve (at most 3600 s, then roll back): 2 alarm(s) OK',
  gate: { kind: 'approval', timeoutSeconds: 3600, onTimeout: 'rollback', then: 'promote' },
};

let logged: unknown[][];
beforeEach(() => {
  eventbridge.reset();
  process.env.EVENT_BUS_NAME = 'coalmine-dev';
  logged = [];
  for (const level of ['debug', 'info', 'warn', 'error'] as const) jest.spyOn(logger, level).mockImplementation((...args: unknown[]) => void logged.push(args));
});
afterEach(() => {
  jest.restoreAllMocks();
  delete process.env.EVENT_BUS_NAME;
});

const announce = () => handler(INPUT, localContext('coalmine-announceGate'));

describe('announceGate handler', () => {
  it('puts Rollout Awaiting Approval on the stack’s bus with the gate and when it times out, and without the token', async () => {
    eventbridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
    const before = Date.now();

    await expect(announce()).resolves.toEqual({ announced: true });

    expect(eventbridge).toHaveReceivedCommandTimes(PutEventsCommand, 1);
    const [entry] = eventbridge.commandCalls(PutEventsCommand)[0]!.args[0].input.Entries ?? [];
    expect(entry).toMatchObject({ EventBusName: 'coalmine-dev', Source: 'coalmine', DetailType: 'Rollout Awaiting Approval' });
    const { taskToken: _token, ...announced } = INPUT;
    const detail = JSON.parse(entry?.Detail ?? '{}') as { waitingSince: string; timesOutAt: string };
    expect(detail).toEqual({ ...announced, waitingSince: expect.any(String), timesOutAt: expect.any(String) });
    expect(Date.parse(detail.timesOutAt) - Date.parse(detail.waitingSince)).toBe(3600 * 1000);
    expect(Date.parse(detail.waitingSince)).toBeGreaterThanOrEqual(before);
    expect(JSON.stringify(eventbridge.calls().map((c) => c.args))).not.toContain(TOKEN);
  });

  it('a failed announcement never stops the gate: it is logged, without the token, and the gate goes on waiting', async () => {
    eventbridge.on(PutEventsCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));

    await expect(announce()).resolves.toEqual({ announced: false });

    expect(logged).toContainEqual(['could not announce the gate', { executionName: 'checkout-42', detail: 'AwsThrottled: PutEvents: AWS throttled the call (ThrottlingException)' }]);
    expect(JSON.stringify(logged)).not.toContain(TOKEN);
  });

  it('refuses to run without EVENT_BUS_NAME, as ConfigurationError', async () => {
    delete process.env.EVENT_BUS_NAME;

    await expect(announce()).rejects.toMatchObject({ name: 'ConfigurationError' });
    expect(eventbridge).toHaveReceivedCommandTimes(PutEventsCommand, 0);
  });
});
