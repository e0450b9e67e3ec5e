/**
 * Pure assessment of CloudWatch alarm states: ALARM fails, OK passes, INSUFFICIENT_DATA counts as the
 * request's policy says, and an alarm that no longer exists is inconclusive (never a silent pass).
 * Under request.override.alarmsAlreadyFiring, an alarm in ALARM whose state has not changed since the
 * rollout started is the one the override started through: it is not evidence until it has been OK once.
 */
import type { AnalysisConfig } from '../config/request';
import type { Verdict } from '../rollout';
import type { JudgeResult } from './types';

export type AlarmStateValue = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

export interface AlarmSnapshot {
  readonly name: string;
  readonly state: AlarmStateValue;
  readonly reason: string;
  /** ISO timestamp of the last state change. */
  readonly updatedAt: string | null;
}

export interface AlarmAssessment {
  readonly name: string;
  readonly state: AlarmStateValue | 'MISSING';
  /** `null`: not evidence (in ALARM since before the start of an override rollout). */
  readonly verdict: Verdict | null;
  readonly reason: string;
  readonly updatedAt: string | null;
}

export const ALARM_JUDGE = 'cloudwatch-alarms';

/** Whether the request asks for the alarm judge: it lists alarms. */
export function asksForAlarms(analysis: AnalysisConfig): boolean {
  return analysis.alarms.length > 0;
}

/** Whether the alarm is still in the ALARM it was in when the rollout started at `firingSince`. */
function stillFiringSinceStart(snapshot: AlarmSnapshot, firingSince: string | null): boolean {
  if (firingSince === null || snapshot.state !== 'ALARM') return false;
  // No timestamp: the change cannot be placed before the start, so it counts.
  return snapshot.updatedAt !== null && Date.parse(snapshot.updatedAt) <= Date.parse(firingSince);
}

/**
 * Bounds that keep the alarm judge's part of the execution state small (Step Functions caps it at 256 KiB):
 * CloudWatch state reasons run to 1,023 characters, and a request may list 100 alarms.
 */
export const ALARM_REASON_CHARS = 200;
/** Alarms named one by one in a verdict's reason; the rest are counted. */
export const ALARMS_IN_REASON = 5;
/** The most one alarm adds to the state, its name aside (which appears in the request, the evidence and a reason). */
export const ALARM_STATE_BYTES = 3 * 255 + 2 * ALARM_REASON_CHARS + 200;

function shortened(reason: string): string {
  return reason.length <= ALARM_REASON_CHARS ? reason : `${reason.slice(0, ALARM_REASON_CHARS - 1)}…`;
}

function listed(items: readonly string[]): string {
  const shown = items.slice(0, ALARMS_IN_REASON).join('; ');
  return items.length > ALARMS_IN_REASON ? `${shown}; and ${items.length - ALARMS_IN_REASON} more` : shown;
}

function assessOne(
  name: string,
  snapshot: AlarmSnapshot | undefined,
  insufficientData: AnalysisConfig['insufficientData'],
  firingSince: string | null,
): AlarmAssessment {
  if (snapshot === undefined) {
    return { name, state: 'MISSING', verdict: 'inconclusive', reason: 'the alarm no longer exists', updatedAt: null };
  }
  if (stillFiringSinceStart(snapshot, firingSince)) {
    return { name, state: snapshot.state, verdict: null, reason: `in ALARM since before the start (override): not evidence until it has been OK once; ${snapshot.reason}`, updatedAt: snapshot.updatedAt };
  }
  const verdict: Verdict =
    snapshot.state === 'ALARM' ? 'fail' : snapshot.state === 'OK' ? 'pass' : insufficientData;
  return { name, state: snapshot.state, verdict, reason: shortened(snapshot.reason), updatedAt: snapshot.updatedAt };
}

/** `firingSince`: the rollout's start when its request has override.alarmsAlreadyFiring, else null. */
export function assessAlarmStates(
  names: readonly string[],
  snapshots: readonly AlarmSnapshot[],
  insufficientData: AnalysisConfig['insufficientData'],
  firingSince: string | null = null,
): JudgeResult {
  const byName = new Map(snapshots.map((s) => [s.name, s]));
  const alarms = names.map((name) => assessOne(name, byName.get(name), insufficientData, firingSince));
  const named = (verdict: Verdict): string[] =>
    alarms.filter((a) => a.verdict === verdict).map((a) => `${a.name} (${a.state}: ${a.reason})`);

  const failing = named('fail');
  if (failing.length > 0) {
    return { judge: ALARM_JUDGE, verdict: 'fail', reason: `alarm in ALARM: ${listed(failing)}`, evidence: { alarms } };
  }
  const undecided = named('inconclusive');
  if (undecided.length > 0) {
    return { judge: ALARM_JUDGE, verdict: 'inconclusive', reason: `alarm without a verdict: ${listed(undecided)}`, evidence: { alarms } };
  }
  const ignored = alarms.filter((a) => a.verdict === null).map((a) => a.name);
  const counted = alarms.length - ignored.length;
  const note = ignored.length === 0 ? '' : `; not yet evidence (in ALARM since before the override start): ${ignored.join(', ')}`;
  return { judge: ALARM_JUDGE, verdict: 'pass', reason: `${counted} alarm(s) OK${note}`, evidence: { alarms } };
}
