/**
 * A query pair's counts per split window from Prometheus, in the shape the metrics judge judges.
 *
 * Each count query is PromQL with `$window` where the range goes, e.g.
 * `sum(increase(istio_requests_total{destination_version="green"}[$window]))`; for each split window it is
 * evaluated once, with `query` at the window's end and `$window` its length. `query` and not `query_range`:
 * windows have different lengths, which one range step cannot follow, and summing per-step increases loses
 * the increase between the last sample of one step and the first of the next. One increase() per window
 * loses nothing inside it (counter resets included); only its two ends are extrapolated, by less than a
 * scrape interval's worth of requests, and a sample on a boundary ends one window and starts the next, so
 * no request is counted twice.
 *
 * A query Prometheus rejects, an answer without exactly one finite number, or one without any series makes
 * the check unavailable (the judge says `inconclusive`), naming the query.
 */
import { queryPrometheus, type PrometheusEndpoint } from './prometheus-client';
import type { CheckData } from './look';
import type { WindowCounts } from './queries';
import type { SplitWindow } from './windows';

export interface PromArm {
  /** Failed (or slow) requests. */
  readonly failures: string;
  readonly requests: string;
}

export interface PromPair {
  readonly canary: PromArm;
  readonly baseline: PromArm;
}

/** The query as sent for a window of `seconds`. */
export function windowQuery(query: string, seconds: number): string {
  return query.replaceAll('$window', `${Math.round(seconds)}s`);
}

type Count = { readonly value: number } | { readonly problem: string };

async function countOf(endpoint: PrometheusEndpoint, query: string, window: SplitWindow): Promise<Count> {
  const sent = windowQuery(query, (window.endMs - window.startMs) / 1000);
  const answer = await queryPrometheus(endpoint, sent, window.endMs / 1000);
  if (!answer.ok) return { problem: answer.problem };
  if (answer.samples.length === 0) {
    return { problem: `"${sent}" returned no series (a count of something that may not have happened yet needs "or vector(0)")` };
  }
  const [sample] = answer.samples;
  if (answer.samples.length > 1) return { problem: `"${sent}" returned ${answer.samples.length} series; sum them into one with sum(...)` };
  const value = sample?.value ?? NaN;
  if (!Number.isFinite(value) || value < 0) return { problem: `"${sent}" returned ${value}, not a count` };
  return { value: Math.round(value) };
}

/** The pair's counts in every window, or why it cannot be judged. */
export async function readPairCounts(endpoint: PrometheusEndpoint, pair: PromPair, windows: readonly SplitWindow[]): Promise<CheckData> {
  const counts: WindowCounts[] = [];
  for (const window of windows) {
    const arm = async (queries: PromArm) => ({ failures: await countOf(endpoint, queries.failures, window), requests: await countOf(endpoint, queries.requests, window) });
    const canary = await arm(pair.canary);
    const baseline = await arm(pair.baseline);
    const read = [canary.failures, canary.requests, baseline.failures, baseline.requests];
    const problem = read.find((c): c is { problem: string } => 'problem' in c);
    if (problem !== undefined) return { unavailable: problem.problem };
    const arms = [canary, baseline].map((a) => {
      const requests = (a.requests as { value: number }).value;
      // A failure count can never exceed the requests it is a share of.
      const failures = Math.min(requests, (a.failures as { value: number }).value);
      return { successes: requests - failures, failures };
    });
    counts.push({ canary: arms[0] as WindowCounts['canary'], baseline: arms[1] as WindowCounts['baseline'], periods: Math.round((window.endMs - window.startMs) / 60_000) });
  }
  return { counts };
}
