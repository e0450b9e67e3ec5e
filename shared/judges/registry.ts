/**
 * Every judge kind, by name. analyzeCanary runs those the request asks for.
 */
import type { AnalysisConfig } from '../config/request';
import type { ALARM_JUDGE } from './alarm-states';
import { cloudWatchAlarmsKind } from './cloudwatch-alarms';
import { metricsKind } from './metrics/judge';
import type { METRICS_JUDGE } from './metrics/look';
import type { Judge, JudgeKind } from './types';

// Literal keys, checked against each judge's name: a computed key would keep every judge in every bundle
// (esbuild cannot drop an object literal with computed keys, so the functions that never judge would carry them).
export const JUDGE_KINDS = {
  'cloudwatch-alarms': cloudWatchAlarmsKind,
  metrics: metricsKind,
} as const satisfies Readonly<Record<typeof ALARM_JUDGE | typeof METRICS_JUDGE, JudgeKind>>;

export function judgesFor(analysis: AnalysisConfig): Judge[] {
  return Object.values(JUDGE_KINDS)
    .filter((kind) => kind.appliesTo(analysis))
    .map((kind) => kind.create(analysis));
}
