/**
 * Every judge kind, by name. analyzeCanary runs those the request asks for.
 */
import type { AnalysisConfig } from '../config/request';
import type { Target } from '../config/targets';
import type { ALARM_JUDGE } from './alarm-states';
import { minimumSampleKind } from './canary-requests';
import { cloudWatchAlarmsKind } from './cloudwatch-alarms';
import { metricsKind } from './metrics/judge';
import type { METRICS_JUDGE } from './metrics/look';
import type { MINIMUM_SAMPLE_JUDGE } from './minimum-sample';
import type { Judge, JudgeKind } from './types';

// Literal keys, checked against each judge's name: a computed key would keep every judge in every bundle
// (esbuild cannot drop an object literal with computed keys, so the functions that never judge would carry them).
export const JUDGE_KINDS = {
  'cloudwatch-alarms': cloudWatchAlarmsKind,
  metrics: metricsKind,
  'minimum-sample': minimumSampleKind,
} as const satisfies Readonly<Record<typeof ALARM_JUDGE | typeof METRICS_JUDGE | typeof MINIMUM_SAMPLE_JUDGE, JudgeKind>>;

export function judgesFor(analysis: AnalysisConfig, target: Target): Judge[] {
  return Object.values(JUDGE_KINDS)
    .filter((kind) => kind.appliesTo(analysis, target))
    .map((kind) => kind.create(analysis, target));
}
