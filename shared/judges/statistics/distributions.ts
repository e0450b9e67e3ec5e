/**
 * Distribution functions the judge needs, written to double precision where it matters for p-values:
 * the normal tail is computed directly (never as 1 - CDF) so that p-values of 1e-12 keep their digits.
 */

// Module-level copies: inside a vm context (jest) every lookup of a global such as Math costs ~0.5 µs.
const { abs, exp, log, log1p, max, min, sin, sqrt } = Math;

const SQRT_2PI = sqrt(2 * Math.PI);
const LOG_SQRT_2PI = 0.5 * log(2 * Math.PI);

export function normalPdf(x: number): number {
  return exp(-0.5 * x * x) / SQRT_2PI;
}

/**
 * P(Z > x) for a standard normal Z, as φ(x)·R(x) with R the Mills ratio Q(x)/φ(x): no 1 − Φ, so tails of
 * 1e-300 keep their digits. It is the innermost call of the alpha-spending integration (sequential.ts),
 * millions of times a rollout's look, so R comes from a table and a short Taylor step (millsRatio).
 */
export function normalSf(x: number): number {
  const ax = abs(x);
  let upper: number;
  if (ax <= MILLS_TABLE_END) upper = normalPdf(ax) * millsRatio(ax);
  else if (ax > 38.5) upper = 0; // below the smallest double; also x = ±Infinity
  else if (ax > MILLS_TABLE_END) upper = normalPdf(ax) * millsContinuedFraction(ax);
  else return x; // NaN
  return x >= 0 ? upper : 1 - upper;
}

/** The normal tail P(Z > x) for x >= 0 given φ(x), which the caller has already computed. */
export function normalTailGivenPdf(x: number, pdf: number): number {
  return x <= MILLS_TABLE_END ? pdf * millsRatio(x) : x > 38.5 ? 0 : pdf * millsContinuedFraction(x);
}

/** P(Z <= x). */
export function normalCdf(x: number): number {
  return normalSf(-x);
}

/** Φ(x) − 1/2 = φ(x)·Σ x^(2n+1)/(2n+1)!!: only positive terms, so no cancellation for small x. */
function positiveSeries(x: number): number {
  const x2 = x * x;
  let term = x;
  let sum = x;
  for (let n = 1; n < 200; n += 1) {
    term *= x2 / (2 * n + 1);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return sum;
}

/** R(x) = Q(x)/φ(x) = 1/(x + 1/(x + 2/(x + 3/(x + …)))), by the modified Lentz method: few terms for large x. */
function millsContinuedFraction(x: number): number {
  const tiny = 1e-300;
  let f = tiny;
  let c = f;
  let d = 0;
  for (let j = 1; j < 5000; j += 1) {
    const a = j === 1 ? 1 : j - 1;
    d = x + a * d;
    if (d === 0) d = tiny;
    c = x + a / c;
    if (c === 0) c = tiny;
    d = 1 / d;
    const delta = c * d;
    f *= delta;
    if (abs(delta - 1) < 1e-16) break;
  }
  return f;
}

/** R at every MILLS_STEP up to MILLS_TABLE_END: the series below 2, the continued fraction from there. */
const MILLS_STEP = 1 / 16;
const MILLS_TABLE_END = 8;
const MILLS_TABLE = Float64Array.from({ length: MILLS_TABLE_END / MILLS_STEP + 1 }, (_, i) => {
  const x = i * MILLS_STEP;
  return x < 2 ? (0.5 - normalPdf(x) * positiveSeries(x)) / normalPdf(x) : millsContinuedFraction(x);
});

/**
 * R(x) for 0 <= x <= MILLS_TABLE_END: Taylor's series about the nearest table node x0 (|h| <= 1/32). R's
 * derivatives follow from R alone, R' = x·R − 1 and R^(n+1) = x·R^(n) + n·R^(n−1), and the terms fall by
 * about x0·h/n each, so a dozen give full precision.
 */
function millsRatio(x: number): number {
  const i = Math.round(x / MILLS_STEP);
  const x0 = i * MILLS_STEP;
  const h = x - x0;
  let previous = MILLS_TABLE[i] as number;
  let current = x0 * previous - 1;
  let power = h;
  let sum = previous + current * h;
  for (let n = 1; n < 40; n += 1) {
    const next = x0 * current + n * previous;
    previous = current;
    current = next;
    power *= h / (n + 1);
    const term = current * power;
    sum += term;
    if (abs(term) <= 1e-17 * sum) break;
  }
  return sum;
}

// Acklam's rational approximation to the normal quantile (relative error about 1e-9), which one
// Halley step against the accurate tail above brings to about 1e-15.
const ACKLAM_A = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
const ACKLAM_B = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
const ACKLAM_C = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
const ACKLAM_D = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];

function poly(coefficients: readonly number[], x: number): number {
  let value = 0;
  for (const coefficient of coefficients) value = value * x + coefficient;
  return value;
}

/** The z with P(Z <= z) = p, for 0 < p <= 1/2 (the accurate half). */
function lowerQuantile(p: number): number {
  let x: number;
  if (p < 0.02425) {
    const q = sqrt(-2 * log(p));
    x = poly(ACKLAM_C, q) / (poly(ACKLAM_D, q) * q + 1);
  } else {
    const q = p - 0.5;
    const r = q * q;
    x = (poly(ACKLAM_A, r) * q) / (poly(ACKLAM_B, r) * r + 1);
  }
  for (let i = 0; i < 2; i += 1) {
    // Halley's method on Φ(x) - p; Φ(x) for x <= 0 is the accurate tail normalSf(-x).
    const error = normalSf(-x) - p;
    const u = error * SQRT_2PI * exp(0.5 * x * x);
    x -= u / (1 + 0.5 * x * u);
  }
  return x;
}

/** Φ⁻¹(p): the z with P(Z <= z) = p. */
export function normalQuantile(p: number): number {
  if (!(p >= 0 && p <= 1)) return Number.NaN;
  if (p === 0) return -Infinity;
  if (p === 1) return Infinity;
  return p <= 0.5 ? lowerQuantile(p) : -lowerQuantile(1 - p);
}

/** The z with P(Z > z) = q; accurate for tiny q (use it for critical values: z = normalUpperQuantile(α)). */
export function normalUpperQuantile(q: number): number {
  return -normalQuantile(q);
}

// Lanczos approximation (g = 7, nine terms), relative error about 1e-15 for x > 0.
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** log Γ(x) for x > 0. */
export function logGamma(x: number): number {
  if (!(x > 0)) throw new RangeError(`logGamma needs x > 0, got ${x}`);
  if (x < 0.5) {
    // Reflection: Γ(x)Γ(1-x) = π / sin(πx).
    return log(Math.PI / sin(Math.PI * x)) - logGamma(1 - x);
  }
  const z = x - 1;
  let sum = LANCZOS[0] as number;
  for (let i = 1; i < LANCZOS.length; i += 1) sum += (LANCZOS[i] as number) / (z + i);
  const t = z + 7.5;
  return LOG_SQRT_2PI + (z + 0.5) * log(t) - t + log(sum);
}

/** log of the binomial coefficient C(n, k). */
export function logChoose(n: number, k: number): number {
  if (k < 0 || k > n) return -Infinity;
  if (k === 0 || k === n) return 0;
  return logGamma(n + 1) - logGamma(k + 1) - logGamma(n - k + 1);
}

/** log P(X = k) for X ~ Binomial(n, p). */
export function binomialLogPmf(k: number, n: number, p: number): number {
  if (k < 0 || k > n) return -Infinity;
  if (p === 0) return k === 0 ? 0 : -Infinity;
  if (p === 1) return k === n ? 0 : -Infinity;
  return logChoose(n, k) + k * log(p) + (n - k) * log1p(-p);
}

/**
 * Sums binomial probabilities from k outward, away from the mean, so every term is smaller than the
 * last: `step` +1 sums P(X >= k) for k above the mean, -1 sums P(X <= k) for k below it.
 */
function sumAwayFromMean(k: number, n: number, p: number, step: 1 | -1): number {
  const odds = p / (1 - p);
  let term = exp(binomialLogPmf(k, n, p));
  let sum = term;
  for (let j = k; step === 1 ? j < n : j > 0; j += step) {
    term *= step === 1 ? ((n - j) / (j + 1)) * odds : (j / (n - j + 1)) / odds;
    sum += term;
    if (term <= sum * 1e-17) break;
  }
  return sum;
}

/** P(X >= k) for X ~ Binomial(n, p), by direct summation (exact to rounding). */
export function binomialUpperTail(k: number, n: number, p: number): number {
  if (k <= 0) return 1;
  if (k > n) return 0;
  if (p <= 0) return 0;
  if (p >= 1) return 1;
  if (k > n * p) return min(1, sumAwayFromMean(k, n, p, 1));
  return max(0, 1 - sumAwayFromMean(k - 1, n, p, -1));
}

/** P(X <= k) for X ~ Binomial(n, p). */
export function binomialLowerTail(k: number, n: number, p: number): number {
  if (k < 0) return 0;
  if (k >= n) return 1;
  return binomialUpperTail(n - k, n, 1 - p);
}
