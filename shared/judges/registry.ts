/**
 * Every judge kind, by name. A look (a step's, or one after the promotion) runs those the analysis asks for.
 */
import type { AnalysisConfig } from '../config/request';
import type { Target } from '../config/targets';
import type { ALARM_JUDGE } from './alarm-states';
import { minimumSampleKind } from './canary-requests';
import { cloudWatchAlarmsKind } from './cloudwatch-alarms';
import { metricsKind } from './metrics/judge';
import type { METRICS_JUDGE } from './metrics/look';
import type { MINIMUM_SAMPLE_JUDGE } from './minimum-sample';
import type { AnalysisContext, Judge, JudgeKind, JudgeResult } from './types';

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

/** One look: every judge of `analysis` over the context, each with its own memory from the last look. */
export async function measureJudges(
  analysis: AnalysisConfig,
  context: Omit<AnalysisContext, 'memory'>,
  memories: Readonly<Record<string, unknown>>,
): Promise<{ checks: JudgeResult[]; memory: Record<string, unknown> }> {
  const checks: JudgeResult[] = [];
  const memory: Record<string, unknown> = {};
  for (const judge of judgesFor(analysis, context.request.target)) {
    const { memory: remembered, ...check } = await judge.measure({ ...context, memory: memories[judge.name] });
    checks.push(check);
    if (remembered !== undefined) memory[judge.name] = remembered;
  }
  return { checks, memory };
}
