/**
 * The EventBridge event CloudWatch sends when an alarm changes state (source "aws.cloudwatch",
 * detail-type "CloudWatch Alarm State Change"). Only the fields the rollback needs are checked; the
 * rest of the documented shape (configuration, previousState, reasonData) passes through untouched.
 */
import * as z from 'zod';

export const ALARM_EVENT_SOURCE = 'aws.cloudwatch';
export const ALARM_EVENT_DETAIL_TYPE = 'CloudWatch Alarm State Change';

const AlarmStateSchema = z.looseObject({
  value: z.enum(['OK', 'ALARM', 'INSUFFICIENT_DATA']),
  reason: z.string().optional(),
  // CloudWatch writes "2019-10-02T17:04:40.989+0000": milliseconds, and an offset without a colon.
  timestamp: z.string().optional(),
});

const AlarmStateChangeEventSchema = z.looseObject({
  source: z.literal(ALARM_EVENT_SOURCE),
  'detail-type': z.literal(ALARM_EVENT_DETAIL_TYPE),
  time: z.string(),
  resources: z.array(z.string()).default([]),
  detail: z.looseObject({
    alarmName: z.string().min(1),
    state: AlarmStateSchema,
    previousState: AlarmStateSchema.partial().optional(),
  }),
});

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
  const parsed = AlarmStateChangeEventSchema.safeParse(event);
  if (!parsed.success) {
    const e = event as { source?: unknown; 'detail-type'?: unknown } | null;
    return {
      ignored: `not a CloudWatch alarm state change (source ${JSON.stringify(e?.source)}, detail-type ${JSON.stringify(e?.['detail-type'])}): ${parsed.error.issues
        .map((i) => `${i.path.join('.') || '(event)'}: ${i.message}`)
        .join('; ')}`,
    };
  }
  const { detail, time, resources } = parsed.data;
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
