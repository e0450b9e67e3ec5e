/**
 * The GetMetricData queries of one look, and how their per-period values add up to each check's counts in
 * each split window. Pure: builds inputs and folds outputs; reader.ts makes the call.
 *
 * Every count is read per period (one minute while CloudWatch keeps one-minute data) over the whole
 * rollout, and each datapoint goes to the split window its period falls in: one query per metric serves
 * every window, so a look is one call however many splits the rollout went through.
 */
import type { MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import type { MetricConfig } from '../../config/metrics';
import type { TwoArmCounts } from '../statistics';
import type { ArmSources, CloudWatchCheck, CountSource, LatencyCheck } from './checks';
import { windowIndexOf, type SplitWindow } from './windows';

/** GetMetricData takes at most 500 queries per call. */
export const QUERIES_PER_CALL = 500;

/** Per query id: period start (epoch ms) → value. */
export type SeriesById = ReadonlyMap<string, ReadonlyMap<number, number>>;

/** Latency thresholds of a check, in the metric's unit (ms for Lambda's Duration). */
export interface Thresholds {
  readonly baseline: number;
  readonly canary: number;
}

/** Which queries (summed) give an arm's failures and requests. */
interface ArmIds {
  readonly failures: readonly string[];
  readonly requests: readonly string[];
}

export interface LookQueries {
  readonly queries: MetricDataQuery[];
  /** Per check name: the query ids of each arm. Checks without a threshold yet are absent. */
  readonly ids: ReadonlyMap<string, { readonly canary: ArmIds; readonly baseline: ArmIds }>;
}

/** A threshold in a statistic: plain decimal notation, at most 10 decimals as CloudWatch allows. */
export function formatThreshold(value: number): string {
  return value.toFixed(6).replace(/\.?0+$/, '');
}

function metricStat(metric: MetricConfig, stat: string, periodSeconds: number): MetricDataQuery['MetricStat'] {
  return {
    Metric: {
      Namespace: metric.namespace,
      MetricName: metric.metricName,
      Dimensions: Object.keys(metric.dimensions)
        .sort()
        .map((Name) => ({ Name, Value: metric.dimensions[Name] as string })),
    },
    Period: periodSeconds,
    Stat: stat,
  };
}

/** Collects queries, one per distinct metric and statistic (errors and throttles share Invocations). */
export class QueryCollector {
  readonly queries: MetricDataQuery[] = [];
  private readonly byKey = new Map<string, string>();

  constructor(private readonly periodSeconds: number) {}

  add(source: CountSource, label: string): string {
    const key = JSON.stringify(source.kind === 'metric' ? [source.metric.namespace, source.metric.metricName, sortedEntries(source.metric.dimensions), source.stat] : [source.expression]);
    const known = this.byKey.get(key);
    if (known !== undefined) return known;
    const id = `q${this.queries.length}`;
    this.byKey.set(key, id);
    if (source.kind === 'metric') {
      this.queries.push({ Id: id, Label: label, MetricStat: metricStat(source.metric, source.stat, this.periodSeconds), ReturnData: true });
    } else {
      // Metrics Insights queries need the period on the query; search expressions carry their own.
      const insights = /^\s*select\b/i.test(source.expression);
      this.queries.push({ Id: id, Label: label, Expression: source.expression, ...(insights ? { Period: this.periodSeconds } : {}), ReturnData: true });
    }
    return id;
  }
}

function sortedEntries(dimensions: Readonly<Record<string, string>>): Array<[string, string]> {
  return Object.keys(dimensions)
    .sort()
    .map((k) => [k, dimensions[k] as string]);
}

function latencySources(check: LatencyCheck, metric: MetricConfig, threshold: number): ArmSources {
  return {
    failures: [{ kind: 'metric', metric, stat: `TC(${formatThreshold(threshold)}:)` }],
    requests: [{ kind: 'metric', metric, stat: 'SampleCount' }],
  };
}

/**
 * The queries of one look. Latency checks need their threshold first (see thresholdQueries); a latency
 * check without one is left out and judged inconclusive.
 */
export function lookQueries(checks: readonly CloudWatchCheck[], thresholds: ReadonlyMap<string, Thresholds>, periodSeconds: number): LookQueries {
  const collector = new QueryCollector(periodSeconds);
  const ids = new Map<string, { canary: ArmIds; baseline: ArmIds }>();
  for (const check of checks) {
    let arms: { canary: ArmSources; baseline: ArmSources };
    if (check.kind === 'rate') {
      arms = { canary: check.canary, baseline: check.baseline };
    } else {
      const threshold = thresholds.get(check.name);
      if (threshold === undefined) continue;
      arms = { canary: latencySources(check, check.canary, threshold.canary), baseline: latencySources(check, check.baseline, threshold.baseline) };
    }
    const armIds = (arm: ArmSources, who: string): ArmIds => ({
      failures: arm.failures.map((s) => collector.add(s, `${check.name} ${who} failures`)),
      requests: arm.requests.map((s) => collector.add(s, `${check.name} ${who} requests`)),
    });
    ids.set(check.name, { canary: armIds(arms.canary, 'canary'), baseline: armIds(arms.baseline, 'baseline') });
  }
  return { queries: collector.queries, ids };
}

/** Per latency check without a threshold yet: the reference's percentile, per period. */
export function thresholdQueries(checks: readonly LatencyCheck[], periodSeconds: number): { queries: MetricDataQuery[]; ids: ReadonlyMap<string, string> } {
  const queries: MetricDataQuery[] = [];
  const ids = new Map<string, string>();
  checks.forEach((check, i) => {
    const id = `t${i}`;
    queries.push({ Id: id, Label: `${check.name} threshold`, MetricStat: metricStat(check.reference, `p${check.percentile}`, periodSeconds), ReturnData: true });
    ids.set(check.name, id);
  });
  return { queries, ids };
}

/** Half-open [startMs, endMs) reading of per-period values. */
function valuesIn(series: ReadonlyMap<number, number> | undefined, startMs: number, endMs: number): number[] {
  const values: number[] = [];
  for (const [t, v] of series ?? []) if (t >= startMs && t < endMs && Number.isFinite(v)) values.push(v);
  return values;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** Fewer pre-rollout periods than this, and the threshold comes from the rollout's own traffic. */
export const MIN_REFERENCE_PERIODS = 5;

export interface ThresholdReading {
  readonly value: number;
  /** Whence: traffic before the rollout (independent of the comparison), or the rollout's own traffic. */
  readonly source: 'before-rollout' | 'during-rollout';
  readonly periods: number;
}

/**
 * The threshold from per-period percentiles of the reference: their median over the hour before the
 * rollout, or, without enough of those, over the rollout so far (all traffic through the alias: the same
 * for both versions under "no difference"). Undefined without any data.
 */
export function thresholdFrom(series: ReadonlyMap<number, number> | undefined, rolloutStartMs: number, nowMs: number): ThresholdReading | undefined {
  const before = valuesIn(series, -Infinity, rolloutStartMs).filter((v) => v > 0);
  if (before.length >= MIN_REFERENCE_PERIODS) return { value: median(before), source: 'before-rollout', periods: before.length };
  const during = valuesIn(series, rolloutStartMs, nowMs).filter((v) => v > 0);
  if (during.length === 0) return undefined;
  return { value: median(during), source: 'during-rollout', periods: during.length };
}

export interface WindowCounts extends TwoArmCounts {
  /** Periods in the window with request data. */
  readonly periods: number;
}

/** What the failure queries missed: periods with requests but no failure count at all (e.g. TC unsupported). */
export interface CountGaps {
  readonly periodsWithRequests: number;
  readonly periodsWithoutFailureCount: number;
}

/**
 * Sums each arm's per-period values into one count per window. A period with requests and no failure
 * datapoint counts zero failures (Lambda publishes Errors and Throttles only when nonzero); `gaps` says
 * how often that happened, so that a statistic CloudWatch cannot compute is not mistaken for zero.
 */
export function countsPerWindow(
  ids: { readonly canary: ArmIds; readonly baseline: ArmIds },
  series: SeriesById,
  windows: readonly SplitWindow[],
): { counts: WindowCounts[]; gaps: CountGaps } {
  const acc = windows.map(() => ({ canary: { requests: 0, failures: 0 }, baseline: { requests: 0, failures: 0 }, periods: new Set<number>() }));
  let periodsWithRequests = 0;
  let periodsWithoutFailureCount = 0;
  for (const arm of ['canary', 'baseline'] as const) {
    const requestsAt = new Map<number, number>();
    for (const id of ids[arm].requests) for (const [t, v] of series.get(id) ?? []) requestsAt.set(t, (requestsAt.get(t) ?? 0) + v);
    const failuresAt = new Map<number, number>();
    for (const id of ids[arm].failures) for (const [t, v] of series.get(id) ?? []) failuresAt.set(t, (failuresAt.get(t) ?? 0) + v);
    for (const [t, requests] of requestsAt) {
      const w = windowIndexOf(windows, t, arm);
      if (w < 0 || !(requests > 0)) continue;
      const failures = failuresAt.get(t);
      periodsWithRequests += 1;
      if (failures === undefined) periodsWithoutFailureCount += 1;
      const slot = acc[w] as (typeof acc)[number];
      slot[arm].requests += Math.round(requests);
      // A failure count can never exceed the requests it is a share of.
      slot[arm].failures += Math.min(Math.round(requests), Math.round(failures ?? 0));
      slot.periods.add(t);
    }
  }
  const counts = acc.map((a) => ({
    canary: { successes: a.canary.requests - a.canary.failures, failures: a.canary.failures },
    baseline: { successes: a.baseline.requests - a.baseline.failures, failures: a.baseline.failures },
    periods: a.periods.size,
  }));
  return { counts, gaps: { periodsWithRequests, periodsWithoutFailureCount } };
}
