/**
 * Is the canary's error proportion worse than the baseline's by more than the allowed margin?
 *
 * The test conditions on the total number of errors in each window. Given F errors among canary and
 * baseline together, with n_c canary and n_b baseline requests and a rate ratio r = p_c/p_b, the canary's
 * share of the errors is Binomial(F, π(r)) with π(r) = r·n_c/(r·n_c + n_b) (exact for Poisson counts; for
 * binomial counts the real conditional spread is smaller by about 1 − p, so the test only errs on the safe
 * side). The baseline rate drops out, so the p-value is exact at any count — three errors are judged as
 * carefully as three thousand — which per-minute Mann-Whitney on error rates cannot do.
 *
 * H0 (increase is bad): r <= r0 with r0 = 1 + allowed degradation; p-value P(X >= observed | r0).
 * H0 (decrease is bad): r >= r0 with r0 = 1 − allowed degradation; p-value P(X <= observed | r0).
 * Windows with different traffic splits stay separate strata: X is then a sum of binomials.
 * The confidence bound for r inverts the same test, so "bound beyond r0" and "p <= level" always agree.
 */
import { binomialLowerTail, binomialUpperTail, normalUpperQuantile } from './distributions';
import { sumOfBinomialsLowerTail, sumOfBinomialsUpperTail, type BinomialComponent, type TailMethod } from './binomial-sums';

// Module-level copies: inside a vm context (jest) every lookup of a global such as Math costs ~0.5 µs.
const { abs, exp, log, max, min, sqrt } = Math;

export type Direction = 'increase-is-bad' | 'decrease-is-bad';

export interface ArmCounts {
  /** Requests that did not have the event (e.g. did not fail). */
  readonly successes: number;
  /** Requests that had the event the metric counts (e.g. errors). */
  readonly failures: number;
}

/** Canary and baseline counts from one window in which the traffic split did not change. */
export interface TwoArmCounts {
  readonly canary: ArmCounts;
  readonly baseline: ArmCounts;
}

export interface RatioTestInput {
  /** One window, or several windows (strata) with different traffic splits. */
  readonly counts: TwoArmCounts | readonly TwoArmCounts[];
  readonly direction: Direction;
  /** The H0 boundary for p_c/p_b: 1 + δ when increase is bad, 1 − δ when decrease is bad. */
  readonly nullRatio: number;
  /** One-sided level of the confidence bound, normally the look's nominal α. */
  readonly level: number;
}

export interface ArmSummary {
  readonly requests: number;
  readonly failures: number;
  /** failures / requests; null without requests. */
  readonly rate: number | null;
}

export interface RatioTestResult {
  readonly canary: ArmSummary;
  readonly baseline: ArmSummary;
  /** Estimated p_c/p_b (conditional maximum likelihood, the plain ratio of rates for one window); null when undefined or unbounded. */
  readonly ratio: number | null;
  /** ratio − 1. */
  readonly relativeChange: number | null;
  readonly nullRatio: number;
  /** Score statistic (X − E[X])/sd(X) under r0; positive means worse than allowed in the bad direction's sign. */
  readonly statistic: number;
  /** One-sided p-value of H0; 1 when no window has an error (no evidence either way). */
  readonly pValue: number;
  /** One-sided confidence bound for p_c/p_b at confidence 1 − level: lower when increase is bad, upper otherwise; null = unbounded. */
  readonly ratioBound: { readonly side: 'lower' | 'upper'; readonly value: number | null; readonly confidence: number };
  /** Errors in windows where both arms had requests: what the test could use. */
  readonly informativeFailures: number;
  readonly method: TailMethod | 'no-events';
}

interface Stratum {
  readonly canaryRequests: number;
  readonly baselineRequests: number;
  readonly canaryFailures: number;
  readonly failures: number;
}

export function testRatioOfProportions(input: RatioTestInput): RatioTestResult {
  const windows: readonly TwoArmCounts[] = isList(input.counts) ? input.counts : [input.counts];
  if (!(input.nullRatio > 0) || !Number.isFinite(input.nullRatio)) throw new RangeError(`nullRatio must be a positive number, got ${input.nullRatio}`);
  if (!(input.level > 0 && input.level < 1)) throw new RangeError(`level must be in (0, 1), got ${input.level}`);
  for (const w of windows) for (const arm of [w.canary, w.baseline]) checkArm(arm);

  const canary = summarize(windows.map((w) => w.canary));
  const baseline = summarize(windows.map((w) => w.baseline));
  // A window where one arm had no requests says nothing about the ratio; one without errors neither.
  const strata: Stratum[] = windows
    .map((w) => ({
      canaryRequests: w.canary.successes + w.canary.failures,
      baselineRequests: w.baseline.successes + w.baseline.failures,
      canaryFailures: w.canary.failures,
      failures: w.canary.failures + w.baseline.failures,
    }))
    .filter((s) => s.canaryRequests > 0 && s.baselineRequests > 0 && s.failures > 0);
  const observed = strata.reduce((sum, s) => sum + s.canaryFailures, 0);
  const informativeFailures = strata.reduce((sum, s) => sum + s.failures, 0);
  const side = input.direction === 'increase-is-bad' ? 'lower' : 'upper';
  const confidence = 1 - input.level;

  if (strata.length === 0) {
    return {
      canary,
      baseline,
      ratio: null,
      relativeChange: null,
      nullRatio: input.nullRatio,
      statistic: 0,
      pValue: 1,
      ratioBound: { side, value: side === 'lower' ? 0 : null, confidence },
      informativeFailures: 0,
      method: 'no-events',
    };
  }

  const tail = (ratio: number) => pValueAt(strata, observed, ratio, input.direction);
  const atNull = tail(input.nullRatio);
  const ratio = estimateRatio(strata, observed);
  return {
    canary,
    baseline,
    ratio,
    relativeChange: ratio === null ? null : ratio - 1,
    nullRatio: input.nullRatio,
    statistic: scoreStatistic(strata, observed, input.nullRatio),
    pValue: atNull.probability,
    ratioBound: { side, value: invertTest(strata, observed, input.direction, input.level, informativeFailures, ratio), confidence },
    informativeFailures,
    method: atNull.method,
  };
}

function isList(counts: TwoArmCounts | readonly TwoArmCounts[]): counts is readonly TwoArmCounts[] {
  return Array.isArray(counts);
}

function checkArm(arm: ArmCounts): void {
  for (const value of [arm.successes, arm.failures]) {
    if (!Number.isInteger(value) || value < 0) throw new RangeError(`counts must be non-negative integers, got ${value}`);
  }
}

function summarize(arms: readonly ArmCounts[]): ArmSummary {
  const failures = arms.reduce((sum, a) => sum + a.failures, 0);
  const requests = arms.reduce((sum, a) => sum + a.failures + a.successes, 0);
  return { requests, failures, rate: requests > 0 ? failures / requests : null };
}

/** π(r): the canary's expected share of a window's errors when its rate is r times the baseline's. */
function canaryShare(s: Stratum, ratio: number): number {
  return (ratio * s.canaryRequests) / (ratio * s.canaryRequests + s.baselineRequests);
}

function components(strata: readonly Stratum[], ratio: number): BinomialComponent[] {
  return strata.map((s) => ({ n: s.failures, p: canaryShare(s, ratio) }));
}

function pValueAt(strata: readonly Stratum[], observed: number, ratio: number, direction: Direction): { probability: number; method: TailMethod } {
  const only = strata.length === 1 ? strata[0] : undefined;
  if (only !== undefined) {
    // One window: a plain binomial tail, without the bookkeeping of sums (this runs ~30 times per bound).
    const share = canaryShare(only, ratio);
    const probability =
      direction === 'increase-is-bad' ? binomialUpperTail(observed, only.failures, share) : binomialLowerTail(observed, only.failures, share);
    return { probability, method: 'exact' };
  }
  const parts = components(strata, ratio);
  return direction === 'increase-is-bad' ? sumOfBinomialsUpperTail(observed, parts) : sumOfBinomialsLowerTail(observed, parts);
}

function scoreStatistic(strata: readonly Stratum[], observed: number, ratio: number): number {
  let mean = 0;
  let variance = 0;
  for (const s of strata) {
    const p = canaryShare(s, ratio);
    mean += s.failures * p;
    variance += s.failures * p * (1 - p);
  }
  return variance > 0 ? (observed - mean) / sqrt(variance) : 0;
}

/** Solves Σ F_s·π_s(r) = observed on a log scale; null when the canary has all the errors (r unbounded). */
function estimateRatio(strata: readonly Stratum[], observed: number): number | null {
  const total = strata.reduce((sum, s) => sum + s.failures, 0);
  if (observed === 0) return 0;
  if (observed === total) return null;
  const only = strata.length === 1 ? strata[0] : undefined;
  if (only !== undefined) {
    return (observed / only.canaryRequests) / ((only.failures - observed) / only.baselineRequests);
  }
  const expected = (ratio: number) => strata.reduce((sum, s) => sum + s.failures * canaryShare(s, ratio), 0);
  // The pooled ratio of rates is a close start; the stratified estimate differs only when splits differ.
  const canaryRequests = strata.reduce((sum, s) => sum + s.canaryRequests, 0);
  const baselineRequests = strata.reduce((sum, s) => sum + s.baselineRequests, 0);
  const pooled = (observed / canaryRequests) / ((total - observed) / baselineRequests);
  return solveOnLogScale((ratio) => expected(ratio) - observed, pooled, 0.1);
}

/**
 * The confidence bound for r at the given level: for increase-is-bad the r where P(X >= observed | r)
 * equals the level (p rises with r); for decrease-is-bad the r where P(X <= observed | r) does. The
 * bound lies on the far side of the estimate from the bad direction, so the search starts there.
 */
function invertTest(strata: readonly Stratum[], observed: number, direction: Direction, level: number, total: number, estimate: number | null): number | null {
  if (direction === 'increase-is-bad' && observed === 0) return 0;
  if (direction === 'decrease-is-bad' && observed === total) return null;
  const orientation = direction === 'increase-is-bad' ? 1 : -1;
  // Start from the normal approximation on the log scale, SE ≈ √(1/x_c + 1/x_b) (at least one of each).
  const se = sqrt(1 / max(1, observed) + 1 / max(1, total - observed));
  const center = estimate !== null && estimate > 0 ? log(estimate) : orientation * 2 * se;
  const guess = exp(center - orientation * normalUpperQuantile(level) * se);
  return solveOnLogScale((ratio) => orientation * (pValueAt(strata, observed, ratio, direction).probability - level), guess, se / 4);
}

/**
 * Root of an increasing function of r: a bracket is grown outward from `start` by doubling steps on log r,
 * then closed by the Illinois variant of regula falsi (superlinear, a handful of evaluations) to a relative
 * 1e-7; clamped to [1e-12, 1e12].
 */
function solveOnLogScale(increasing: (ratio: number) => number, start = 1, firstStep: number = Math.LN2): number {
  const lowest = log(1e-12);
  const highest = log(1e12);
  const at = (x: number) => increasing(exp(x));
  let a = log(start);
  let fa = at(a);
  if (fa === 0) return start;
  let b = a;
  let fb = fa;
  let step = firstStep;
  // Grow until the signs differ.
  while (fa * fb > 0) {
    a = b;
    fa = fb;
    b = fa < 0 ? min(highest, b + step) : max(lowest, b - step);
    fb = at(b);
    step *= 2;
    if (b === highest || b === lowest) {
      if (fa * fb > 0) return exp(b);
      break;
    }
  }
  let side = 0;
  for (let i = 0; i < 100 && abs(b - a) > 1e-7; i += 1) {
    const c = (a * fb - b * fa) / (fb - fa);
    const fc = at(c);
    if (fc === 0) return exp(c);
    if (fc * fb < 0) {
      a = b;
      fa = fb;
      side = 0;
    } else if (side === -1) {
      fa /= 2; // Illinois: halve the stale end's value so the bracket shrinks from both sides
    } else {
      side = -1;
    }
    b = c;
    fb = fc;
  }
  return exp(0.5 * (a + b));
}
