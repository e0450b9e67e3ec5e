/**
 * What an alarm does to one execution: the rule of docs/triggers.md ("the race rules") as a pure
 * function. An alarm rolls back a rollout that watches it if the alarm changed state while the
 * rollout's execution was still running, whatever the execution did since; an alarm that changes state
 * after the execution ended leaves it alone.
 */
import type { AlarmStateChange } from './alarm-event';
import { alarmsWatchedBy, type ClosedStatus, type RolloutStart } from '../executions/history';

export interface ExecutionEnd {
  readonly status: ClosedStatus;
  readonly at: Date;
}

export type AlarmDecision =
  /** Running with traffic possibly moved: roll back, verify 0 %, then stop. */
  | { readonly action: 'roll-back-and-stop' }
  /** Running, Preflight not finished: nothing moved; stop. */
  | { readonly action: 'stop' }
  /** Promoted (SUCCEEDED) after the alarm had already fired (or within the grace): roll back; nothing is left to stop. */
  | { readonly action: 'roll-back' }
  | { readonly action: 'none'; readonly reason: string };

export function watches(alarm: AlarmStateChange, start: RolloutStart): boolean {
  const watched = alarmsWatchedBy(start);
  return watched.includes(alarm.alarmName) || (alarm.alarmArn !== undefined && watched.includes(alarm.alarmArn));
}

/**
 * `ended`: how and when the execution ended, if it has (its history's closing event). `graceMs`
 * extends "while running" past a promotion, for alarms that lag the traffic they judge
 * (ALARM_ROLLBACK_GRACE_SECONDS; none by default).
 */
export function decideOnAlarm(alarm: AlarmStateChange, start: RolloutStart, ended: ExecutionEnd | undefined, graceMs = 0): AlarmDecision {
  if (start.stage === 'unreadable') return { action: 'none', reason: `cannot tell which alarms it watches: ${start.reason}` };
  if (!watches(alarm, start)) return { action: 'none', reason: `does not watch ${alarm.alarmName}` };
  if (start.stage === 'refused') return { action: 'none', reason: 'Preflight refused it; no traffic moved' };
  if (ended !== undefined && ended.at.getTime() + graceMs < alarm.changedAt.getTime()) {
    const before = graceMs > 0 ? `more than ${graceMs / 1000} s before` : 'before';
    return { action: 'none', reason: `ended (${ended.status}) at ${ended.at.toISOString()}, ${before} the alarm changed state` };
  }
  if (ended === undefined) return start.stage === 'planned' ? { action: 'roll-back-and-stop' } : { action: 'stop' };
  if (ended.status === 'SUCCEEDED' && start.stage === 'planned') return { action: 'roll-back' };
  // FAILED: its own RollBack state ran; ABORTED: whoever stopped it rolled back first (or it is this handler's own stop).
  return { action: 'none', reason: `ended (${ended.status}) on its own after the alarm changed state; its own rollback has run` };
}
