/**
 * The race rules of docs/triggers.md as decideOnAlarm takes them, and the alarm event it reads: pure, no AWS.
 * test/handlers/alarm-rollback.test.ts drives the handler that acts on them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decideOnAlarm } from '../../shared/alarms/alarm-decision';
import { parseAlarmEvent, parseCloudWatchTimestamp } from '../../shared/alarms/alarm-event';
import { parseRolloutRequest } from '../../shared/config/request';
import type { RolloutStart } from '../../shared/executions/history';
import { planRollout } from '../../shared/plan';

/** The alarm fixture's state change: 2025-03-04T10:20:07.121+0000. */
const ALARM_AT = Date.parse('2025-03-04T10:20:07.121Z');

function alarmEvent(): Record<string, unknown> {
  return JSON.parse(readFileSync(join(__dirname, '../fixtures/eventbridge/aws.cloudwatch/alarm-state-change-to-alarm.json'), 'utf8')) as Record<string, unknown>;
}

describe('decideOnAlarm: what an alarm does to an execution', () => {
  const alarm = { alarmName: 'checkout-errors', state: 'ALARM', reason: 'r', changedAt: new Date(ALARM_AT) } as const;
  const ended = (status: 'SUCCEEDED' | 'FAILED' | 'ABORTED', offsetMs: number) => ({ status, at: new Date(ALARM_AT + offsetMs) });
  const request = parseRolloutRequest({
    target: { type: 'lambda-alias', functionName: 'checkout', alias: 'live', version: '42' },
    strategy: { preset: 'canary10-5m' },
    analysis: { alarms: ['checkout-errors', 'checkout-latency'] },
  });
  const planned: RolloutStart = {
    stage: 'planned',
    rollout: { name: 'checkout', request, plan: planRollout(request, { observable: true }), baseline: { version: '41' }, executionName: 'checkout-42', startedAt: '2025-03-04T10:15:00.000Z' },
  };
  const preflight: RolloutStart = { stage: 'preflight', request: { analysis: { alarms: ['checkout-errors'] } } };

  it.each([
    ['running, planned', planned, undefined, 'roll-back-and-stop'],
    ['running, still in Preflight', preflight, undefined, 'stop'],
    ['promoted after the alarm changed state', planned, ended('SUCCEEDED', 1), 'roll-back'],
    ['promoted before the alarm changed state', planned, ended('SUCCEEDED', -1), 'none'],
    ['promoted in the same millisecond (the safe side)', planned, ended('SUCCEEDED', 0), 'roll-back'],
    ['failed after the alarm (its own rollback ran)', planned, ended('FAILED', 1), 'none'],
    ['stopped after the alarm (whoever stopped it rolled back)', planned, ended('ABORTED', 1), 'none'],
    ['ended in Preflight after the alarm (nothing moved)', preflight, ended('FAILED', 1), 'none'],
    ['refused by Preflight', { stage: 'refused' }, undefined, 'none'],
    ['unreadable', { stage: 'unreadable', reason: 'truncated' }, undefined, 'none'],
  ] as const)('%s: %s', (_label, start, end, action) => {
    expect(decideOnAlarm(alarm, start, end).action).toBe(action);
  });

  it('a grace period extends "while running" past the end', () => {
    expect(decideOnAlarm(alarm, planned, ended('SUCCEEDED', -60_000), 120_000).action).toBe('roll-back');
    expect(decideOnAlarm(alarm, planned, ended('SUCCEEDED', -180_000), 120_000)).toEqual({
      action: 'none',
      reason: 'ended (SUCCEEDED) at 2025-03-04T10:17:07.121Z, more than 120 s before the alarm changed state',
    });
  });

  it('an execution that does not watch the alarm is never touched', () => {
    expect(decideOnAlarm({ ...alarm, alarmName: 'billing-errors' }, planned, undefined)).toEqual({ action: 'none', reason: 'does not watch billing-errors' });
    expect(decideOnAlarm({ ...alarm, alarmName: 'billing-errors' }, preflight, undefined)).toEqual({ action: 'none', reason: 'does not watch billing-errors' });
  });

  it('says why when it cannot tell what the execution watches', () => {
    expect(decideOnAlarm(alarm, { stage: 'unreadable', reason: 'the input was truncated' }, undefined)).toEqual({
      action: 'none',
      reason: 'cannot tell which alarms it watches: the input was truncated',
    });
  });

  it('an alarm named by its ARN in the request matches too', () => {
    const byArn: RolloutStart = { stage: 'preflight', request: { analysis: { alarms: ['arn:aws:cloudwatch:us-east-1:123456789012:alarm:checkout-errors'] } } };

    expect(decideOnAlarm({ ...alarm, alarmArn: 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:checkout-errors' }, byArn, undefined).action).toBe('stop');
  });
});

describe('reading an alarm event', () => {
  it.each([
    ['2019-10-02T17:04:40.989+0000', '2019-10-02T17:04:40.989Z'],
    ['2025-03-04T12:20:07.121+0200', '2025-03-04T10:20:07.121Z'],
    ['2025-03-04T10:20:07Z', '2025-03-04T10:20:07.000Z'],
    ['04/03/25 10:20', undefined],
  ])('CloudWatch timestamp %s is %s', (text, iso) => {
    expect(parseCloudWatchTimestamp(text)?.toISOString()).toBe(iso);
  });

  it('an alarm event without the state timestamp falls back to the event time', () => {
    const event = alarmEvent() as { detail: { state: Record<string, unknown> } };
    delete event.detail.state.timestamp;

    expect(parseAlarmEvent(event)).toEqual({ change: expect.objectContaining({ changedAt: new Date('2025-03-04T10:20:07Z') }) });
  });

  it.each<[string, (detail: Record<string, unknown>) => Record<string, unknown>, string]>([
    ['no alarm name', ({ alarmName: _name, ...detail }) => detail, 'detail.alarmName: expected an alarm name'],
    ['a state CloudWatch does not have', (detail) => ({ ...detail, state: { value: 'BROKEN' } }), 'detail.state.value: expected "OK" or "ALARM" or "INSUFFICIENT_DATA"'],
    ['a previous state that is not an object', (detail) => ({ ...detail, previousState: 'OK' }), 'detail.previousState: expected an object'],
  ])('an alarm event with %s is ignored, naming the field', (_label, change, problem) => {
    const event = alarmEvent() as { detail: Record<string, unknown> };
    const parsed = parseAlarmEvent({ ...event, detail: change(event.detail) });

    expect(parsed).toEqual({ ignored: `not a CloudWatch alarm state change (source "aws.cloudwatch", detail-type "CloudWatch Alarm State Change"): ${problem}` });
  });

  it('an alarm event whose resources are not ARNs is ignored', () => {
    expect(parseAlarmEvent({ ...(alarmEvent() as object), resources: [42] })).toMatchObject({ ignored: expect.stringContaining('resources.0: expected a string') });
  });
});
