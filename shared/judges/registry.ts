/**
 * Every judge kind, by name. analyzeCanary runs those the request asks for.
 */
import type { AnalysisConfig } from '../config/request';
import { cloudWatchAlarmsKind } from './cloudwatch-alarms';
import { metricsKind } from './metrics/judge';
import type { Judge, JudgeKind } from './types';

export const JUDGE_KINDS: Readonly<Record<string, JudgeKind>> = {
  'cloudwatch-alarms': cloudWatchAlarmsKind,
  metrics: metricsKind,
};

export function judgesFor(analysis: AnalysisConfig): Judge[] {
  return Object.values(JUDGE_KINDS)
    .filter((kind) => kind.appliesTo(analysis))
    .map((kind) => kind.create(analysis));
}
