/**
 * The EventBridge event CloudWatch sends when an alarm changes state (source "aws.cloudwatch",
 * detail-type "CloudWatch Alarm State Change"). Only the fields the rollback needs are checked; the
 * rest of the documented shape (configuration, previousState, reasonData) passes through untouched.
 * Checked by hand (shared/fields.ts): alarmRollback loads no schema library at its cold start.
 */
import { fieldsOf, holds, listOf, oneOf, optional, text, type FieldCheck } from '../fields';

export const ALARM_EVENT_SOURCE = 'aws.cloudwatch';
export const ALARM_EVENT_DETAIL_TYPE = 'CloudWatch Alarm State Change';

const ALARM_STATES = ['OK', 'ALARM', 'INSUFFICIENT_DATA'] as const;

// CloudWatch writes the state's timestamp as "2019-10-02T17:04:40.989+0000": milliseconds, and an offset without a colon.
const alarmState = (value: FieldCheck): FieldCheck => fieldsOf({ value, reason: optional(text), timestamp: optional(text) });
const alarmValue = oneOf(ALARM_STATES);

const checkAlarmStateChangeEvent = fieldsOf({
  source: oneOf([ALARM_EVENT_SOURCE]),
  'detail-type': oneOf([ALARM_EVENT_DETAIL_TYPE]),
  time: text,
  resources: optional(listOf(text)),
  detail: fieldsOf({
    alarmName: holds((name) => typeof name === 'string' && name.length > 0, 'an alarm name'),
    state: alarmState(alarmValue),
    previousState: optional(alarmState(optional(alarmValue))),
  }),
});

interface AlarmStateFields {
  readonly value: AlarmStateChange['state'];
  readonly reason?: string;
  readonly timestamp?: string;
}

interface AlarmStateChangeEvent {
  readonly time: string;
  readonly resources?: readonly string[];
  readonly detail: { readonly alarmName: string; readonly state: AlarmStateFields; readonly previousState?: Partial<AlarmStateFields> };
}

export interface AlarmStateChange {
  readonly alarmName: string;
  /** The alarm's ARN when the event names it (resources[0]). */
  readonly alarmArn?: string;
  readonly state: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';
  readonly previousState?: string;
  readonly reason: string;
  /** When the alarm changed state, to the millisecond: where the rollback latency starts. */
  readonly changedAt: Date;
}

export type AlarmEventParse = { readonly change: AlarmStateChange } | { readonly ignored: string };

/**
 * Parses CloudWatch's timestamps ("2019-10-02T17:04:40.989+0000") and ISO ones ("...Z", "+00:00").
 * Returns undefined for anything else rather than guessing.
 */
export function parseCloudWatchTimestamp(text: string): Date | undefined {
  const iso = text.replace(/([+-]\d{2})(\d{2})$/, '$1:$2');
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(iso)) return undefined;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? undefined : new Date(ms);
}

/** The state change an event announces, or why the event is not one. Never throws. */
export function parseAlarmEvent(event: unknown): AlarmEventParse {
  const problems = checkAlarmStateChangeEvent(event, '');
  if (problems.length > 0) {
    const e = event as { source?: unknown; 'detail-type'?: unknown } | null;
    return {
      ignored: `not a CloudWatch alarm state change (source ${JSON.stringify(e?.source)}, detail-type ${JSON.stringify(e?.['detail-type'])}): ${problems
        .map((problem) => `${problem.path || '(event)'}: ${problem.message}`)
        .join('; ')}`,
    };
  }
  const { detail, time, resources = [] } = event as AlarmStateChangeEvent;
  // The state's own timestamp has milliseconds; the envelope's `time` only seconds: a fallback.
  const changedAt =
    (detail.state.timestamp === undefined ? undefined : parseCloudWatchTimestamp(detail.state.timestamp)) ?? parseCloudWatchTimestamp(time);
  if (changedAt === undefined) return { ignored: `the alarm event for ${detail.alarmName} carries no readable timestamp` };
  return {
    change: {
      alarmName: detail.alarmName,
      ...(resources[0] !== undefined ? { alarmArn: resources[0] } : {}),
      state: detail.state.value,
      ...(detail.previousState?.value !== undefined ? { previousState: detail.previousState.value } : {}),
      reason: detail.state.reason ?? '(no reason given)',
      changedAt,
    },
  };
}
