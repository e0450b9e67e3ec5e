/**
 * The Prometheus metric source: each Prometheus check's counts per split window, from `analysis.prometheus`.
 * Count pairs are read by prometheus-reader.ts. Histogram pairs first fix the threshold (kept in memory):
 * the baseline's percentile over the hour before the rollout, or, without traffic then, over the rollout so
 * far; then each window's buckets give the slow share of each arm.
 */
import type { PrometheusEndpointConfig } from '../../config/prometheus';
import type { PromHistogramCheck, PrometheusCheck } from './checks';
import { queryPrometheus, type PrometheusEndpoint } from './prometheus-client';
import { bucketsOf, bucketsQuery, quantileQuery, slowAbove } from './prometheus-histogram';
import { readPairCounts } from './prometheus-reader';
import type { CheckData, MetricsMemory } from './look';
import type { ThresholdReading, WindowCounts } from './queries';
import type { SplitWindow } from './windows';

export interface PrometheusReadContext {
  readonly windows: readonly SplitWindow[];
  readonly rolloutStartMs: number;
  readonly nowMs: number;
  readonly referenceSeconds: number;
  readonly memory: MetricsMemory;
}

export function endpointOf(config: PrometheusEndpointConfig): PrometheusEndpoint {
  return { baseUrl: config.url, auth: config.auth };
}

async function quantileAt(endpoint: PrometheusEndpoint, check: PromHistogramCheck, seconds: number, atMs: number): Promise<{ value?: number; problem?: string }> {
  const query = quantileQuery(check.baseline, check.percentile, seconds);
  const answer = await queryPrometheus(endpoint, query, atMs / 1000);
  if (!answer.ok) return { problem: answer.problem };
  const value = answer.samples[0]?.value;
  if (answer.samples.length > 1) return { problem: `"${query}" returned ${answer.samples.length} series; the bucket series must select one histogram per le` };
  return value !== undefined && Number.isFinite(value) && value > 0 ? { value } : {};
}

async function thresholdOf(endpoint: PrometheusEndpoint, check: PromHistogramCheck, context: PrometheusReadContext): Promise<ThresholdReading | { problem: string }> {
  const known = context.memory.checks[check.name]?.threshold;
  if (known !== undefined) return known;
  const before = await quantileAt(endpoint, check, context.referenceSeconds, context.rolloutStartMs);
  if (before.problem !== undefined) return { problem: before.problem };
  if (before.value !== undefined) return { value: before.value, source: 'before-rollout', periods: Math.round(context.referenceSeconds / 60) };
  const seconds = (context.nowMs - context.rolloutStartMs) / 1000;
  const during = seconds > 0 ? await quantileAt(endpoint, check, seconds, context.nowMs) : {};
  if (during.problem !== undefined) return { problem: during.problem };
  if (during.value !== undefined) return { value: during.value, source: 'during-rollout', periods: Math.max(1, Math.round(seconds / 60)) };
  return { problem: `no p${check.percentile} data yet to set the latency threshold from ${check.baseline} (none before the rollout, none since)` };
}

async function readHistogram(endpoint: PrometheusEndpoint, check: PromHistogramCheck, context: PrometheusReadContext): Promise<CheckData> {
  const reading = await thresholdOf(endpoint, check, context);
  if ('problem' in reading) return { unavailable: reading.problem };
  const thresholds = { baseline: reading.value, canary: reading.value * (1 + check.allowedIncrease) };
  const counts: WindowCounts[] = [];
  for (const window of context.windows) {
    const seconds = (window.endMs - window.startMs) / 1000;
    const arms = [];
    for (const [series, threshold] of [[check.canary, thresholds.canary], [check.baseline, thresholds.baseline]] as const) {
      const query = bucketsQuery(series, seconds);
      const answer = await queryPrometheus(endpoint, query, window.endMs / 1000);
      if (!answer.ok) return { unavailable: answer.problem };
      const buckets = bucketsOf(answer.samples);
      if (buckets === undefined) return { unavailable: `"${query}" returned no le buckets with +Inf: is ${series} a histogram's _bucket series?` };
      const { requests, slow } = slowAbove(buckets, threshold);
      arms.push({ successes: requests - slow, failures: slow });
    }
    counts.push({ canary: arms[0] as WindowCounts['canary'], baseline: arms[1] as WindowCounts['baseline'], periods: Math.round(seconds / 60) });
  }
  return { counts, thresholds: { ...thresholds, reading } };
}

/** Every Prometheus check's data at this look. */
export async function readPrometheusChecks(config: PrometheusEndpointConfig, checks: readonly PrometheusCheck[], context: PrometheusReadContext): Promise<Map<string, CheckData>> {
  const endpoint = endpointOf(config);
  const data = new Map<string, CheckData>();
  for (const check of checks) {
    data.set(check.name, check.kind === 'prom-counts' ? await readPairCounts(endpoint, check, context.windows) : await readHistogram(endpoint, check, context));
  }
  return data;
}
