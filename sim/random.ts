/**
 * A small seeded random source for simulations and property tests: the same seed gives the same run on
 * every machine. The uniform generator is mulberry32 (32-bit state, period 2^32): plenty for Monte-Carlo
 * runs of a few million draws, not for cryptography.
 *
 * The binomial and Poisson samplers are exact at every size (no normal approximation), so a calibration
 * test that uses them measures the judge and not the sampler: small means use inversion, large ones
 * are split recursively through order statistics (Knuth, TAOCP vol. 2, 3.4.1), which takes O(log n) steps.
 */

// Module-level copies: inside a vm context (jest) every lookup of a global such as Math costs ~0.5 µs.
const { ceil, exp, floor, imul, log, log1p, pow, sqrt } = Math;
const { isFinite: isFiniteNumber, isInteger } = Number;

export interface RandomSource {
  /** Uniform on (0, 1): never exactly 0 or 1, so logarithms are safe. */
  uniform(): number;
  /** Standard normal. */
  normal(): number;
  /** Exponential with mean 1. */
  exponential(): number;
  /** Gamma(shape, scale 1). */
  gamma(shape: number): number;
  beta(a: number, b: number): number;
  /** Number of successes in n independent trials of probability p. */
  binomial(n: number, p: number): number;
  /** Poisson with the given mean. */
  poisson(mean: number): number;
}

/** Below this mean, binomial and Poisson draws use inversion (cost grows with the mean). */
const INVERSION_MEAN_LIMIT = 30;

export function createRandom(seed: number): RandomSource {
  let state = seed >>> 0;
  let spareNormal: number | undefined;

  function nextUint32(): number {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = imul(t ^ (t >>> 15), t | 1);
    t ^= t + imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  function uniform(): number {
    return (nextUint32() + 0.5) / 4294967296;
  }

  function normal(): number {
    if (spareNormal !== undefined) {
      const value = spareNormal;
      spareNormal = undefined;
      return value;
    }
    // Marsaglia's polar method: two normals per accepted point in the unit disc.
    for (;;) {
      const u = 2 * uniform() - 1;
      const v = 2 * uniform() - 1;
      const s = u * u + v * v;
      if (s > 0 && s < 1) {
        const factor = sqrt((-2 * log(s)) / s);
        spareNormal = v * factor;
        return u * factor;
      }
    }
  }

  function exponential(): number {
    return -log(uniform());
  }

  function gamma(shape: number): number {
    if (!(shape > 0)) throw new RangeError(`gamma shape must be > 0, got ${shape}`);
    if (shape < 1) return gamma(shape + 1) * pow(uniform(), 1 / shape);
    // Marsaglia and Tsang (2000): squeeze then exact acceptance on a cubed normal.
    const d = shape - 1 / 3;
    const c = 1 / sqrt(9 * d);
    for (;;) {
      const x = normal();
      const base = 1 + c * x;
      if (base <= 0) continue;
      const v = base * base * base;
      const u = uniform();
      if (u < 1 - 0.0331 * x * x * x * x) return d * v;
      if (log(u) < 0.5 * x * x + d * (1 - v + log(v))) return d * v;
    }
  }

  function beta(a: number, b: number): number {
    const x = gamma(a);
    return x / (x + gamma(b));
  }

  function binomial(n: number, p: number): number {
    checkCount(n, 'binomial n');
    if (!(p >= 0 && p <= 1)) throw new RangeError(`binomial p must be in [0, 1], got ${p}`);
    return p > 0.5 ? n - binomialSmallP(n, 1 - p) : binomialSmallP(n, p);
  }

  /** Binomial with p <= 1/2. */
  function binomialSmallP(n: number, p: number): number {
    let total = 0;
    let trials = n;
    let prob = p;
    while (trials * prob >= INVERSION_MEAN_LIMIT) {
      // The a-th smallest of `trials` uniforms is Beta(a, trials + 1 - a); the uniforms below p are then
      // either among the a - 1 below it (rescaled to [0, x)) or a plus those in (x, 1) below p.
      const a = 1 + floor(trials / 2);
      const b = trials + 1 - a;
      const x = beta(a, b);
      if (x >= prob) {
        trials = a - 1;
        prob /= x;
      } else {
        total += a;
        trials = b - 1;
        prob = (prob - x) / (1 - x);
      }
      if (prob > 0.5) return total + trials - binomialSmallP(trials, 1 - prob);
    }
    return total + binomialByWaitingTimes(trials, prob);
  }

  /** Counts geometric waiting times until the trials run out: exact, cost proportional to n·p. */
  function binomialByWaitingTimes(n: number, p: number): number {
    if (n === 0 || p === 0) return 0;
    const logFailure = log1p(-p);
    let position = 0;
    let count = 0;
    for (;;) {
      position += ceil(log(uniform()) / logFailure);
      if (position > n) return count;
      count += 1;
    }
  }

  function poisson(mean: number): number {
    if (!(mean >= 0) || !isFiniteNumber(mean)) throw new RangeError(`poisson mean must be finite and >= 0, got ${mean}`);
    let total = 0;
    let remaining = mean;
    while (remaining >= INVERSION_MEAN_LIMIT) {
      // The m-th arrival of a unit-rate process comes at Gamma(m): if before the horizon, m arrivals are
      // in and the rest is Poisson on what is left; if after it, the arrivals before the horizon are a
      // binomial share of the first m - 1.
      const m = floor((7 * remaining) / 8);
      const arrival = gamma(m);
      if (arrival < remaining) {
        total += m;
        remaining -= arrival;
      } else {
        return total + binomial(m - 1, remaining / arrival);
      }
    }
    // Multiply uniforms until the product falls below e^-mean.
    const limit = exp(-remaining);
    let product = uniform();
    let count = 0;
    while (product > limit) {
      product *= uniform();
      count += 1;
    }
    return total + count;
  }

  return { uniform, normal, exponential, gamma, beta, binomial, poisson };
}

function checkCount(n: number, what: string): void {
  if (!isInteger(n) || n < 0) throw new RangeError(`${what} must be a non-negative integer, got ${n}`);
}
