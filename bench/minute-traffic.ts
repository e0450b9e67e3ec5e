/**
 * The simulator's traffic model (sim/traffic.ts: Poisson arrivals through a weighted alias, each request
 * failing with its version's error share, log-normal latency through p50 and p99), drawn a minute at a
 * time instead of a request at a time, so that thousands of rollouts take seconds.
 *
 * Per minute and version the draws have the distributions the per-request simulator produces:
 * - requests: Poisson(rate · 60 · share): Poisson arrivals split independently by weight;
 * - errors: Binomial(requests, error share);
 * - slow: Binomial(requests, P(latency > threshold)): what CloudWatch's TC(threshold:) counts;
 * - p99: the nearest-rank 99th percentile of that minute's latencies (what a p99 datapoint is), drawn as an
 *   order statistic jointly with `slow`, so both describe the same requests.
 * Latency histograms are continuous here (the simulator's are 1 % buckets).
 */
import { normalCdf, normalQuantile } from '../shared/judges/statistics/distributions';
import type { RandomSource } from '../sim/random';
import type { Behaviour, BehaviourChange } from '../sim/traffic';

/** z such that P(Z < z) = 0.99. */
const Z_99 = normalQuantile(0.99);

export interface LogNormal {
  readonly mu: number;
  readonly sigma: number;
}

/** The log-normal through the behaviour's p50 and p99, as the simulator draws latencies. */
export function latencyOf(behaviour: Behaviour): LogNormal {
  const mu = Math.log(behaviour.latencyMs.p50);
  return { mu, sigma: (Math.log(behaviour.latencyMs.p99) - mu) / Z_99 };
}

/** P(latency <= x). */
export function latencyCdf(latency: LogNormal, x: number): number {
  return x > 0 ? normalCdf((Math.log(x) - latency.mu) / latency.sigma) : 0;
}

function latencyQuantile(latency: LogNormal, p: number): number {
  return Math.exp(latency.mu + latency.sigma * normalQuantile(Math.min(Math.max(p, 1e-300), 1 - 1e-16)));
}

/**
 * The canary's behaviour at a weight and a time: the simulator's rule (sim/traffic.ts) for changes, each
 * applying from a weight on, from a time on, or both; later entries win.
 */
export function canaryBehaviourAt(canary: Behaviour, changes: readonly BehaviourChange[], weight: number, secondsSinceStart: number): Behaviour {
  let behaviour = canary;
  for (const change of changes) {
    const byWeight = change.fromWeight === undefined || weight >= change.fromWeight;
    const byTime = change.fromSecond === undefined || secondsSinceStart >= change.fromSecond;
    if (byWeight && byTime) behaviour = { errorPercent: change.errorPercent ?? behaviour.errorPercent, latencyMs: change.latencyMs ?? behaviour.latencyMs };
  }
  return behaviour;
}

export interface ArmMinute {
  readonly requests: number;
  readonly errors: number;
  /** Requests slower than the arm's threshold. */
  readonly slow: number;
  /** Nearest-rank p99 of the minute's latencies; undefined without requests. */
  readonly p99: number | undefined;
}

export interface MinuteTraffic {
  readonly canary: ArmMinute;
  readonly baseline: ArmMinute;
}

/**
 * One version's minute: `requests` latencies of which `slow` lie above `threshold`; the p99 is the k-th
 * smallest (k = ⌈0.99 n⌉): among the fast ones when k <= n − slow, else among the slow ones, each an
 * order statistic of uniforms (Beta) mapped through the latency quantile.
 */
export function drawArm(random: RandomSource, requests: number, behaviour: Behaviour, threshold: number): ArmMinute {
  if (requests === 0) return { requests: 0, errors: 0, slow: 0, p99: undefined };
  const latency = latencyOf(behaviour);
  const errors = random.binomial(requests, Math.min(1, behaviour.errorPercent / 100));
  const below = latencyCdf(latency, threshold);
  const slow = random.binomial(requests, 1 - below);
  const fast = requests - slow;
  const k = Math.ceil(0.99 * requests);
  let p: number;
  if (k <= fast) p = below * random.beta(k, fast - k + 1);
  else {
    const j = k - fast;
    p = below + (1 - below) * random.beta(j, slow - j + 1);
  }
  return { requests, errors, slow, p99: latencyQuantile(latency, p) };
}
