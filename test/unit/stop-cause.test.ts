import { readStopCause, stopCause } from '../../shared/stop-cause';

describe('a stop cause: a sentence for people, fields for code', () => {
  const sentence = 'Alarm EC2 CPU Utilization Anomaly went to ALARM at 2026-11-22T10:06:21.118Z: Threshold Crossed. Rolled back.';

  test.each([
    ['an alarm with spaces and a latency', { alarm: 'EC2 CPU Utilization Anomaly', rollbackLatencyMs: 850 }],
    ['a Slack user', { requester: { kind: 'slack' as const, userId: 'U0ALICE123', userName: 'alice', channelId: 'C0DEPLOYS1' } }],
    ['an IAM caller', { requester: { kind: 'iam' as const, arn: 'arn:aws:sts::123456789012:assumed-role/deploy/bob', account: '123456789012' } }],
    ['no facts', {}],
  ])('%s round-trips', (_, facts) => {
    const cause = stopCause(sentence, facts);
    expect(cause.startsWith(`${sentence}\ncoalmine-facts: `)).toBe(true);
    expect(readStopCause(cause)).toEqual({ sentence, facts });
  });

  test.each([
    ['a cause coalmine did not write', 'Stopped by hand in the console.'],
    ['a fields line that is not JSON', 'Stopped.\ncoalmine-facts: {not json'],
    ['a fields line that is not an object', 'Stopped.\ncoalmine-facts: 42'],
  ])('%s is all sentence, no facts', (_, cause) => {
    const read = readStopCause(cause);
    expect(read.sentence).toBe(cause);
    expect(read.facts).toEqual({});
  });

  test('fields of the wrong shape are dropped, the rest kept', () => {
    const cause = 'Stopped.\ncoalmine-facts: {"alarm":"","rollbackLatencyMs":-1,"requester":{"kind":"slack"},"extra":true}';
    expect(readStopCause(cause)).toEqual({ sentence: 'Stopped.', facts: {} });
    expect(readStopCause('Stopped.\ncoalmine-facts: {"alarm":"a b","requester":{"kind":"iam"}}').facts).toEqual({ alarm: 'a b' });
  });
});
