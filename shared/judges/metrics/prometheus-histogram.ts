/**
 * Latency from Prometheus histograms: the threshold is the baseline's percentile (`histogram_quantile`), and
 * the slow requests of a window are those above a threshold, from the window's cumulative `le` buckets.
 * Between two bucket bounds the count is interpolated linearly, the assumption histogram_quantile makes, so
 * that a canary equal to the baseline has the same slow share at the baseline's own percentile. Pure.
 */
import type { PromSample } from './prometheus-client';

export interface Bucket {
  /** Upper bound; Infinity for +Inf. */
  readonly le: number;
  /** Requests at or below `le` (cumulative). */
  readonly count: number;
}

/** The buckets of a `sum by (le)` answer, sorted; undefined when there is no +Inf bucket or a bound is not a number. */
export function bucketsOf(samples: readonly PromSample[]): Bucket[] | undefined {
  const buckets: Bucket[] = [];
  for (const sample of samples) {
    const le = Number(sample.labels.le === '+Inf' ? Infinity : sample.labels.le);
    if (sample.labels.le === undefined || Number.isNaN(le) || !Number.isFinite(sample.value)) return undefined;
    buckets.push({ le, count: Math.max(0, sample.value) });
  }
  buckets.sort((a, b) => a.le - b.le);
  return buckets.at(-1)?.le === Infinity ? buckets : undefined;
}

/** All requests and those above `threshold`, rounded to whole requests. */
export function slowAbove(buckets: readonly Bucket[], threshold: number): { requests: number; slow: number } {
  const total = buckets.at(-1)?.count ?? 0;
  let below = 0;
  let lower = { le: 0, count: 0 };
  for (const bucket of buckets) {
    if (bucket.le === Infinity) {
      // Above the highest finite bound nothing is known: count from it, as histogram_quantile stops there.
      below = lower.count;
      break;
    }
    if (threshold <= bucket.le) {
      const span = bucket.le - lower.le;
      below = span > 0 ? lower.count + ((bucket.count - lower.count) * (threshold - lower.le)) / span : bucket.count;
      break;
    }
    lower = bucket;
  }
  const requests = Math.round(total);
  return { requests, slow: Math.min(requests, Math.max(0, Math.round(total - below))) };
}

/** The PromQL of a window's buckets summed across series, by `le`. */
export function bucketsQuery(series: string, seconds: number): string {
  return `sum by (le) (increase(${series}[${Math.round(seconds)}s]))`;
}

/** The PromQL of a percentile over `seconds` ending at the evaluation time. */
export function quantileQuery(series: string, percentile: number, seconds: number): string {
  return `histogram_quantile(${percentile / 100}, ${bucketsQuery(series, seconds)})`;
}
