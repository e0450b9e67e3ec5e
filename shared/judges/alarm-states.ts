/**
 * Pure assessment of CloudWatch alarm states: ALARM fails, OK passes, INSUFFICIENT_DATA counts as the
 * request's policy says, and an alarm that no longer exists is inconclusive (never a silent pass).
 */
import type { AnalysisConfig } from '../config/request';
import type { JudgeResult, Verdict } from './types';

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
  readonly verdict: Verdict;
  readonly reason: string;
  readonly updatedAt: string | null;
}

export const ALARM_JUDGE = 'cloudwatch-alarms';

function assessOne(
  name: string,
  snapshot: AlarmSnapshot | undefined,
  insufficientData: AnalysisConfig['insufficientData'],
): AlarmAssessment {
  if (snapshot === undefined) {
    return { name, state: 'MISSING', verdict: 'inconclusive', reason: 'the alarm no longer exists', updatedAt: null };
  }
  const verdict: Verdict =
    snapshot.state === 'ALARM' ? 'fail' : snapshot.state === 'OK' ? 'pass' : insufficientData;
  return { name, state: snapshot.state, verdict, reason: snapshot.reason, updatedAt: snapshot.updatedAt };
}

export function assessAlarmStates(
  names: readonly string[],
  snapshots: readonly AlarmSnapshot[],
  insufficientData: AnalysisConfig['insufficientData'],
): JudgeResult {
  const byName = new Map(snapshots.map((s) => [s.name, s]));
  const alarms = names.map((name) => assessOne(name, byName.get(name), insufficientData));
  const named = (verdict: Verdict): string[] =>
    alarms.filter((a) => a.verdict === verdict).map((a) => `${a.name} (${a.state}: ${a.reason})`);

  const failing = named('fail');
  if (failing.length > 0) {
    return { judge: ALARM_JUDGE, verdict: 'fail', reason: `alarm in ALARM: ${failing.join('; ')}`, evidence: { alarms } };
  }
  const undecided = named('inconclusive');
  if (undecided.length > 0) {
    return { judge: ALARM_JUDGE, verdict: 'inconclusive', reason: `alarm without a verdict: ${undecided.join('; ')}`, evidence: { alarms } };
  }
  return { judge: ALARM_JUDGE, verdict: 'pass', reason: `${alarms.length} alarm(s) OK`, evidence: { alarms } };
}
