/**
 * The metrics judge (`metrics`): at each look, reads the canary's and the baseline's counts, one window per
 * traffic split since the first shift, from each check's metric source, and leaves the verdict to judgeLook.
 *
 * Metric sources (METRIC_SOURCES): CloudWatch, one GetMetricData call per look (a latency check's first look
 * makes one more, before it: the threshold, the baseline's percentile before the rollout, must be known to
 * ask for the counts above it; it is then kept in memory); Prometheus, instant queries per split window
 * (prometheus-source.ts).
 */
import type { MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import type { AnalysisConfig } from '../../config/request';
import type { Judge, JudgeKind, JudgeResult, AnalysisContext } from '../types';
import { resolveChecks, resolveSlo, type CloudWatchCheck, type LatencyCheck, type PrometheusCheck, type ResolvedCheck } from './checks';
import { judgeLook, parseMemory, METRICS_JUDGE, type CheckData, type MetricsMemory } from './look';
import { readPrometheusChecks } from './prometheus-source';
import { countsPerWindow, lookQueries, thresholdFrom, thresholdQueries, type Thresholds, type ThresholdReading } from './queries';
import { readMetricData } from './reader';
import type { SeriesById } from './queries';
import { beforeRolloutWindow, earliestReadMs, periodFor, splitWindows, type SplitWindow } from './windows';

/** How far back before the rollout the threshold of a latency check is read. */
export const REFERENCE_SECONDS = 3600;

function floorTo(ms: number, periodSeconds: number): number {
  return Math.floor(ms / (periodSeconds * 1000)) * periodSeconds * 1000;
}

function roundTo(ms: number, periodSeconds: number): number {
  return Math.round(ms / (periodSeconds * 1000)) * periodSeconds * 1000;
}

/** Reads per-period values for queries over [startMs, endMs): GetMetricData, or the benchmark's synthetic store. */
export type MetricReader = (queries: readonly MetricDataQuery[], startMs: number, endMs: number) => Promise<SeriesById>;

/** What every source gets at a look. */
export interface LookContext {
  readonly analysis: AnalysisConfig;
  readonly windows: readonly SplitWindow[];
  readonly periodSeconds: number;
  readonly rolloutStartMs: number;
  readonly nowMs: number;
  readonly memory: MetricsMemory;
  readonly readCloudWatch: MetricReader;
}

/** A metric source: which resolved checks it reads, and their data at a look. */
interface MetricSource<C extends ResolvedCheck> {
  readonly owns: (check: ResolvedCheck) => check is C;
  readonly read: (checks: readonly C[], look: LookContext) => Promise<ReadonlyMap<string, CheckData>>;
}

const cloudWatchSource: MetricSource<CloudWatchCheck> = {
  owns: (check): check is CloudWatchCheck => check.kind === 'rate' || check.kind === 'latency',
  read: readCloudWatchChecks,
};

const prometheusSource: MetricSource<PrometheusCheck> = {
  owns: (check): check is PrometheusCheck => check.kind === 'prom-counts' || check.kind === 'prom-histogram',
  read: async (checks, look) => {
    // The request schema requires analysis.prometheus with any Prometheus pair.
    if (look.analysis.prometheus === undefined) throw new RangeError('Prometheus query pairs need analysis.prometheus');
    return readPrometheusChecks(look.analysis.prometheus, checks, { ...look, referenceSeconds: REFERENCE_SECONDS });
  },
};

/** Every metric source, by the name the docs use. */
export const METRIC_SOURCES = { cloudwatch: cloudWatchSource, prometheus: prometheusSource } as const;

async function readCloudWatchChecks(checks: readonly CloudWatchCheck[], look: LookContext): Promise<ReadonlyMap<string, CheckData>> {
  const { periodSeconds, rolloutStartMs, nowMs, windows, memory } = look;
  const readings = new Map<string, ThresholdReading>();
  const unknown: LatencyCheck[] = [];
  for (const check of checks) {
    if (check.kind !== 'latency') continue;
    const known = memory.checks[check.name]?.threshold;
    if (known !== undefined) readings.set(check.name, known);
    else unknown.push(check);
  }
  if (unknown.length > 0) {
    const { queries, ids } = thresholdQueries(unknown, periodSeconds);
    const series = await look.readCloudWatch(queries, floorTo(rolloutStartMs - REFERENCE_SECONDS * 1000, periodSeconds), roundTo(nowMs, periodSeconds));
    for (const check of unknown) {
      const reading = thresholdFrom(series.get(ids.get(check.name) as string), rolloutStartMs, nowMs);
      if (reading !== undefined) readings.set(check.name, reading);
    }
  }
  const thresholds = new Map<string, Thresholds>();
  for (const check of checks) {
    const reading = readings.get(check.name);
    if (check.kind === 'latency' && reading !== undefined) {
      thresholds.set(check.name, { baseline: reading.value, canary: reading.value * (1 + check.allowedIncrease) });
    }
  }

  const { queries, ids } = lookQueries(checks, thresholds, periodSeconds);
  const first = earliestReadMs(windows);
  const last = windows.at(-1);
  const series = first === undefined || last === undefined ? new Map() : await look.readCloudWatch(queries, first, last.endMs);
  const data = new Map<string, CheckData>();
  for (const check of checks) data.set(check.name, checkData(check, ids.get(check.name), series, windows, thresholds, readings));
  return data;
}

async function readWith<C extends ResolvedCheck>(source: MetricSource<C>, checks: readonly ResolvedCheck[], look: LookContext): Promise<ReadonlyMap<string, CheckData>> {
  const mine = checks.filter(source.owns);
  return mine.length === 0 ? new Map() : source.read(mine, look);
}

export class MetricsJudge implements Judge {
  readonly name = METRICS_JUDGE;

  constructor(
    private readonly analysis: AnalysisConfig,
    private readonly read: MetricReader = readMetricData,
  ) {}

  async measure(context: AnalysisContext): Promise<JudgeResult> {
    const baselineVersion = context.baseline.version === undefined ? undefined : String(context.baseline.version);
    const promotedAt = context.promotedAt;
    const checks = resolveChecks(this.analysis.metrics, { target: context.request.target, baselineVersion, wholeAlias: promotedAt !== undefined });
    const nowMs = context.window.end.getTime();
    const rolloutStartMs = Date.parse(context.startedAt);
    // After the promotion the previous version's window before the rollout is read: the oldest data.
    const oldestMs = rolloutStartMs - (promotedAt === undefined ? REFERENCE_SECONDS * 1000 : Math.max(REFERENCE_SECONDS * 1000, nowMs - Date.parse(promotedAt)));
    const periodSeconds = periodFor(oldestMs, nowMs);
    const windows =
      promotedAt === undefined ? splitWindows(context.progress.shifts, nowMs, periodSeconds) : beforeRolloutWindow(Date.parse(promotedAt), rolloutStartMs, nowMs, periodSeconds);
    const memory = parseMemory(context.memory);
    const look: LookContext = { analysis: this.analysis, windows, periodSeconds, rolloutStartMs, nowMs, memory, readCloudWatch: this.read };

    const data = new Map<string, CheckData>();
    for (const source of Object.values(METRIC_SOURCES)) {
      for (const [name, checkData] of await readWith<ResolvedCheck>(source as MetricSource<ResolvedCheck>, checks, look)) data.set(name, checkData);
    }

    // After the promotion the look plans over its one window: the bake, as a 50/50 split (beforeRolloutWindow).
    const bake = context.plan.postPromotion;
    const afterPromotion = promotedAt !== undefined && bake !== undefined;
    const steps = afterPromotion ? [{ weight: 50, bakeSeconds: bake.bakeSeconds }] : context.plan.steps;
    const stepIndex = afterPromotion ? 0 : context.progress.stepIndex;
    const { result } = judgeLook({
      checks,
      windows,
      data,
      memory,
      steps,
      weightNow: promotedAt === undefined ? context.progress.weight : 50,
      completedSteps: completedSteps(steps, stepIndex, context.bakedSeconds),
      maxNonCriticalFailures: this.analysis.maxNonCriticalFailures,
      ...(this.analysis.slo === undefined ? {} : { slo: resolveSlo(this.analysis.slo) }),
    });
    return result;
  }
}

/** The steps before the current one, and the current one too once it has baked its planned time. */
export function completedSteps(steps: readonly { readonly bakeSeconds: number }[], stepIndex: number, bakedSeconds: number): number {
  const current = steps[stepIndex];
  return current !== undefined && bakedSeconds >= current.bakeSeconds ? stepIndex + 1 : stepIndex;
}

/** A check's counts per window from what was read, or why it cannot be judged. */
export function checkData(
  check: CloudWatchCheck,
  ids: Parameters<typeof countsPerWindow>[0] | undefined,
  series: Parameters<typeof countsPerWindow>[1],
  windows: readonly SplitWindow[],
  thresholds: ReadonlyMap<string, Thresholds>,
  readings: ReadonlyMap<string, ThresholdReading>,
): CheckData {
  if (ids === undefined) {
    return { unavailable: `no ${check.kind === 'latency' ? `p${check.percentile} ` : ''}data yet to set the latency threshold (none before the rollout, none since)` };
  }
  const { counts, gaps } = countsPerWindow(ids, series, windows);
  if (check.kind !== 'latency') return { counts };
  // Lambda publishes nothing for a minute without invocations, but a trimmed count where there were
  // invocations is always there (0 when no request was that slow): its absence means CloudWatch cannot
  // compute it (a metric published as statistic sets), which must not read as "no slow requests".
  if (gaps.periodsWithRequests > 0 && gaps.periodsWithoutFailureCount === gaps.periodsWithRequests) {
    return { unavailable: `CloudWatch returned no trimmed counts (TC) for ${check.canary.metricName}: the metric needs percentile support` };
  }
  const threshold = thresholds.get(check.name) as Thresholds;
  return { counts, thresholds: { ...threshold, reading: readings.get(check.name) as ThresholdReading } };
}

export const metricsKind: JudgeKind = {
  appliesTo: (analysis) => analysis.metrics.length > 0,
  create: (analysis) => new MetricsJudge(analysis),
};
