/**
 * How much data a decision needs, and what the best fixed-sample test could do with the data at hand.
 *
 * - `zTestPower`: power of the fixed-sample one-sided two-proportion z-test with pooled variance. It is the
 *   benchmark's "power limit": no test at the same false-rollback rate on the same counts does much better.
 * - `minimumCanaryRequests`: canary requests needed before the conditional error test detects the
 *   detectable ratio with the target power; the judge says `inconclusive` below it.
 * - `minimumRankSamples`: the same for the rank test (Noether's formula), with the effect size read off the
 *   baseline's own spread, since latency distributions are rarely normal.
 * - `plannedInformation`: the information a rollout plan will collect, the denominator of the information
 *   fraction that drives alpha spending.
 */
import { normalCdf, normalQuantile } from './distributions';
import type { Direction } from './proportions';

// Module-level copies: inside a vm context (jest) every lookup of a global such as Math costs ~0.5 µs.
const { abs, ceil, min, sqrt } = Math;

export interface ZTestPowerInput {
  readonly canaryRequests: number;
  readonly baselineRequests: number;
  readonly baselineRate: number;
  readonly canaryRate: number;
  /** One-sided false-rollback rate, e.g. 0.01. */
  readonly alpha: number;
}

/**
 * The pooled two-proportion z statistic (p̂_c − p̂_b)/√(p̂(1 − p̂)(1/n_c + 1/n_b)), p̂ the pooled rate: the
 * test whose power is the benchmark's limit. The judge itself uses the exact conditional test instead.
 */
export function pooledTwoProportionZ(canaryFailures: number, canaryRequests: number, baselineFailures: number, baselineRequests: number): number {
  const pooled = (canaryFailures + baselineFailures) / (canaryRequests + baselineRequests);
  const se = sqrt(pooled * (1 - pooled) * (1 / canaryRequests + 1 / baselineRequests));
  return se > 0 ? (canaryFailures / canaryRequests - baselineFailures / baselineRequests) / se : 0;
}

/**
 * Φ((p_c − p_b − z_α·SE₀)/SE₁), where SE₀ uses the pooled rate (the variance under H0: p_c = p_b) and SE₁
 * the two rates separately (the variance under the alternative).
 */
export function zTestPower(input: ZTestPowerInput): number {
  const { canaryRequests: nc, baselineRequests: nb, baselineRate: pb, canaryRate: pc, alpha } = input;
  if (!(nc > 0 && nb > 0)) throw new RangeError('zTestPower needs canary and baseline requests');
  const pooled = (nc * pc + nb * pb) / (nc + nb);
  const nullSe = sqrt(pooled * (1 - pooled) * (1 / nc + 1 / nb));
  const alternativeSe = sqrt((pc * (1 - pc)) / nc + (pb * (1 - pb)) / nb);
  if (alternativeSe === 0) return pc > pb ? 1 : 0;
  return normalCdf((pc - pb - normalQuantile(1 - alpha) * nullSe) / alternativeSe);
}

export interface MinimumCanaryRequestsInput {
  /** The baseline's event rate (floored by the caller: a zero rate needs unbounded data). */
  readonly baselineRate: number;
  /** Baseline requests per canary request (n_b/n_c), e.g. 9 at 10 % canary weight. */
  readonly baselinePerCanary: number;
  /** H0 boundary ratio r0. */
  readonly nullRatio: number;
  /** The ratio r1 that must be detectable (beyond r0 in the bad direction). */
  readonly detectableRatio: number;
  /** Critical value on the z scale: the look's boundary, or z_{1−α} for a single look. */
  readonly boundaryZ: number;
  /** Target probability of detecting r1, e.g. 0.8. */
  readonly power: number;
}

/**
 * Given F errors in all, the canary's share is Binomial(F, π(r)), π(r) = r/(r + s) with s = n_b/n_c. The
 * normal approximation to that binomial test needs
 *   F ≥ ((z·√(π₀(1−π₀)) + z_power·√(π₁(1−π₁))) / |π₁ − π₀|)²
 * errors, and F errors take F / (p_b·(r₁ + s)) canary requests when the canary's rate is r₁·p_b.
 * Returns Infinity when the baseline rate is 0.
 */
export function minimumCanaryRequests(input: MinimumCanaryRequestsInput): number {
  const { baselineRate, baselinePerCanary: s, nullRatio: r0, detectableRatio: r1, boundaryZ, power } = input;
  checkPower(power);
  if (!(s > 0)) throw new RangeError(`baselinePerCanary must be > 0, got ${s}`);
  if (!(r0 > 0 && r1 > 0) || r0 === r1) throw new RangeError(`need distinct positive ratios, got ${r0} and ${r1}`);
  if (!(baselineRate > 0)) return Infinity;
  const share0 = r0 / (r0 + s);
  const share1 = r1 / (r1 + s);
  const root = (boundaryZ * sqrt(share0 * (1 - share0)) + normalQuantile(power) * sqrt(share1 * (1 - share1))) / abs(share1 - share0);
  const failures = root * root;
  return ceil(failures / (min(1, baselineRate) * (r1 + s)));
}

export interface MinimumRankSamplesInput {
  /** Baseline values, used to estimate how far apart the detectable degradation puts the two samples. */
  readonly baseline: readonly number[];
  /** Canary share of all values, n_c/(n_c + n_b). */
  readonly canaryShare: number;
  readonly direction: Direction;
  /** H0 scale margin (1 ± δ). */
  readonly nullFactor: number;
  /** Scale of the canary that must be detectable (beyond the margin in the bad direction). */
  readonly detectableFactor: number;
  readonly boundaryZ: number;
  readonly power: number;
}

/**
 * Noether (1987): N = (z + z_power)² / (12·c·(1 − c)·(θ − ½)²) values in all, of which c·N canary, where
 * θ = P(canary worse than scaled baseline) under the detectable degradation. θ is estimated by comparing
 * the baseline scaled by the detectable factor against the baseline scaled by the null factor, pair by pair.
 * Returns Infinity when θ cannot be estimated (fewer than 2 baseline values) or equals ½.
 */
export function minimumRankSamples(input: MinimumRankSamplesInput): number {
  checkPower(input.power);
  const c = input.canaryShare;
  if (!(c > 0 && c < 1)) throw new RangeError(`canaryShare must be in (0, 1), got ${c}`);
  if (input.baseline.length < 2) return Infinity;
  const theta = probabilityWorse(input.baseline, input.detectableFactor / input.nullFactor, input.direction);
  const distance = abs(theta - 0.5);
  if (distance < 1e-12) return Infinity;
  const z = input.boundaryZ + normalQuantile(input.power);
  const total = (z * z) / (12 * c * (1 - c) * distance * distance);
  return ceil(c * total);
}

/**
 * P(k·Y > Y') for increase-is-bad (P(k·Y < Y') otherwise) over pairs of distinct baseline values, ties
 * counting one half; O(n log n) by sorting and binary search.
 */
export function probabilityWorse(values: readonly number[], k: number, direction: Direction): number {
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  let favourable = 0;
  for (const y of sorted) {
    const scaled = k * y;
    const below = lowerBound(sorted, scaled);
    const equalOrBelow = upperBound(sorted, scaled);
    const ties = equalOrBelow - below;
    favourable += direction === 'increase-is-bad' ? below + ties / 2 : n - equalOrBelow + ties / 2;
  }
  // Remove each value's comparison with itself (a tie when k = 1, else counted one way or the other).
  const self = sorted.reduce((sum, y) => {
    const scaled = k * y;
    if (scaled === y) return sum + 0.5;
    return sum + ((direction === 'increase-is-bad' ? scaled > y : scaled < y) ? 1 : 0);
  }, 0);
  return (favourable - self) / (n * (n - 1));
}

function lowerBound(sorted: readonly number[], value: number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((sorted[middle] as number) < value) low = middle + 1;
    else high = middle;
  }
  return low;
}

function upperBound(sorted: readonly number[], value: number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((sorted[middle] as number) <= value) low = middle + 1;
    else high = middle;
  }
  return low;
}

function checkPower(power: number): void {
  if (!(power > 0 && power < 1)) throw new RangeError(`power must be in (0, 1), got ${power}`);
}

/** n_c·n_b/(n_c + n_b): the size of a balanced comparison with the same precision; 0 if either is 0. */
export function effectiveSampleSize(canary: number, baseline: number): number {
  return canary > 0 && baseline > 0 ? (canary * baseline) / (canary + baseline) : 0;
}

export interface PlannedStep {
  /** Canary share of traffic during the step, 0..1. */
  readonly canaryWeight: number;
  readonly durationSeconds: number;
}

/**
 * Effective sample size a plan will collect at a steady request rate: Σ rate·duration·w·(1 − w). Steps at
 * 0 % or 100 % add nothing: there is no baseline (or no canary) to compare with.
 */
export function plannedInformation(steps: readonly PlannedStep[], requestsPerSecond: number): number {
  return steps.reduce((sum, step) => sum + stepInformation(step, requestsPerSecond), 0);
}

/** One step's part of plannedInformation: rate·duration·w·(1 − w). */
export function stepInformation(step: PlannedStep, requestsPerSecond: number): number {
  const w = step.canaryWeight;
  if (!(w >= 0 && w <= 1)) throw new RangeError(`canaryWeight must be in [0, 1], got ${w}`);
  return requestsPerSecond * step.durationSeconds * w * (1 - w);
}
