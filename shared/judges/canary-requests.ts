/**
 * The minimum-sample judge (`minimum-sample`): for an analysis with alarms only, counts the canary's requests
 * since the first shift and leaves the verdict to assessCanarySample. A lambda-alias target's count is the
 * canary version's `Invocations` (AWS/Lambda, FunctionName, Resource "fn:alias", ExecutedVersion), one
 * GetMetricData query per look; a target type without a count of its own gets no such judge
 * (config/analysis-facts.ts: COUNTED_TARGET_TYPES).
 */
import type { MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import type { AnalysisConfig } from '../config/request';
import { functionNameOf } from '../config/target-facts';
import type { LambdaAliasTarget, Target } from '../config/targets';
import { minimumCanaryRequestsFor } from '../config/analysis-facts';
import { LAMBDA_NAMESPACE, lambdaDimensions } from './metrics/checks';
import { readMetricData } from './metrics/reader';
import { QueryCollector } from './metrics/queries';
import { periodFor, splitWindows } from './metrics/windows';
import type { MetricReader } from './metrics/judge';
import { assessCanarySample, MINIMUM_SAMPLE_JUDGE } from './minimum-sample';
import type { AnalysisContext, Judge, JudgeKind, JudgeResult } from './types';

/** The canary version's invocations through the alias, per period: one query, and its id. */
export function canaryInvocationsQuery(target: LambdaAliasTarget, periodSeconds: number): { query: MetricDataQuery; id: string } {
  const collector = new QueryCollector(periodSeconds);
  const metric = { namespace: LAMBDA_NAMESPACE, metricName: 'Invocations', dimensions: lambdaDimensions(target, target.version) };
  const id = collector.add({ kind: 'metric', metric, stat: 'Sum' }, `${functionNameOf(target.functionName)}:${target.alias} version ${target.version} invocations`);
  return { query: collector.queries[0] as MetricDataQuery, id };
}

export class MinimumSampleJudge implements Judge {
  readonly name = MINIMUM_SAMPLE_JUDGE;

  constructor(
    private readonly minimum: number,
    private readonly read: MetricReader = readMetricData,
  ) {}

  async measure(context: AnalysisContext): Promise<JudgeResult> {
    const target = context.request.target;
    if (target.type !== 'lambda-alias') throw new RangeError(`${MINIMUM_SAMPLE_JUDGE}: cannot count the requests of a ${target.type} target`);
    const nowMs = context.window.end.getTime();
    const periodSeconds = periodFor(Date.parse(context.startedAt), nowMs);
    const windows = splitWindows(context.progress.shifts, nowMs, periodSeconds);
    const first = windows[0];
    const last = windows.at(-1);
    const from = new Date(first?.startMs ?? nowMs).toISOString();
    const to = new Date(last?.endMs ?? nowMs).toISOString();
    if (first === undefined || last === undefined) return assessCanarySample({ canaryRequests: 0, from, to }, this.minimum);
    const { query, id } = canaryInvocationsQuery(target, periodSeconds);
    const series = await this.read([query], first.startMs, last.endMs);
    let canaryRequests = 0;
    let lastWindowRequests = 0;
    for (const [at, value] of series.get(id) ?? []) {
      if (!(at >= first.startMs && at < last.endMs && value > 0)) continue;
      canaryRequests += Math.round(value);
      if (at >= last.startMs) lastWindowRequests += Math.round(value);
    }
    const rate = last.seconds > 0 && lastWindowRequests > 0 ? lastWindowRequests / last.seconds : undefined;
    return assessCanarySample({ canaryRequests, ...(rate === undefined ? {} : { canaryRatePerSecond: rate }), from, to }, this.minimum);
  }
}

export const minimumSampleKind: JudgeKind = {
  appliesTo: (analysis: AnalysisConfig, target: Target) => minimumCanaryRequestsFor({ analysis, target }) > 0,
  create: (analysis: AnalysisConfig, target: Target) => new MinimumSampleJudge(minimumCanaryRequestsFor({ analysis, target })),
};
