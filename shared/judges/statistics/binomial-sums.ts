/**
 * Tail probabilities of T = Σ Binomial(n_s, p_s) with different p_s: the null distribution of the
 * canary's error count when counts from windows with different traffic splits are combined without
 * pooling them (pooling would let a baseline rate that drifts while the split changes look like a
 * canary regression: Simpson's paradox).
 *
 * Exact (convolution of the pmfs, each cut to ±14 standard deviations, where the mass left out is below
 * 1e-40) while that is cheap; otherwise the Lugannani–Rice saddlepoint approximation with Daniels'
 * continuity correction for lattice variables, whose relative error stays small far into the tail.
 */
import { binomialLogPmf, binomialUpperTail, normalPdf, normalSf } from './distributions';

// Module-level copies: inside a vm context (jest) every lookup of a global such as Math costs ~0.5 µs.
const { abs, ceil, exp, expm1, floor, log, log1p, max, min, sign, sinh, sqrt } = Math;

export interface BinomialComponent {
  readonly n: number;
  readonly p: number;
}

export type TailMethod = 'exact' | 'saddlepoint';

export interface TailResult {
  readonly probability: number;
  readonly method: TailMethod;
}

/** Work (multiply-adds) above which the convolution gives way to the saddlepoint approximation. */
const EXACT_WORK_LIMIT = 20_000;
const WINDOW_SD = 14;

/** P(T >= t). */
export function sumOfBinomialsUpperTail(t: number, components: readonly BinomialComponent[]): TailResult {
  const live = components.filter((c) => c.n > 0 && c.p > 0);
  const fixed = components.filter((c) => c.n > 0 && c.p >= 1).reduce((sum, c) => sum + c.n, 0);
  const random = live.filter((c) => c.p < 1);
  const threshold = t - fixed;
  const maximum = random.reduce((sum, c) => sum + c.n, 0);
  if (threshold <= 0) return { probability: 1, method: 'exact' };
  if (threshold > maximum) return { probability: 0, method: 'exact' };
  if (random.length === 1) {
    const only = random[0] as BinomialComponent;
    return { probability: binomialUpperTail(threshold, only.n, only.p), method: 'exact' };
  }
  if (threshold === maximum) {
    // Every trial a success: the product of the p_s^n_s, exactly.
    return { probability: exp(random.reduce((sum, c) => sum + c.n * log(c.p), 0)), method: 'exact' };
  }
  if (convolutionWork(random) <= EXACT_WORK_LIMIT) {
    const exact = convolvedUpperTail(threshold, random.map(window));
    // Past the windows the convolution has nothing left; the saddlepoint still has digits there.
    if (exact > 1e-30) return { probability: exact, method: 'exact' };
  }
  return { probability: saddlepointUpperTail(threshold, random), method: 'saddlepoint' };
}

/** P(T <= t) = P(Σ (n_s − X_s) >= Σ n_s − t). */
export function sumOfBinomialsLowerTail(t: number, components: readonly BinomialComponent[]): TailResult {
  const total = components.reduce((sum, c) => sum + c.n, 0);
  return sumOfBinomialsUpperTail(total - t, components.map((c) => ({ n: c.n, p: 1 - c.p })));
}

interface PmfWindow {
  readonly start: number;
  readonly values: Float64Array;
}

function windowBounds(component: BinomialComponent): { start: number; end: number } {
  const { n, p } = component;
  const mean = n * p;
  const sd = sqrt(n * p * (1 - p));
  return { start: max(0, floor(mean - WINDOW_SD * sd - 2)), end: min(n, ceil(mean + WINDOW_SD * sd + 2)) };
}

function window(component: BinomialComponent): PmfWindow {
  const { n, p } = component;
  const { start, end } = windowBounds(component);
  const mode = min(end, max(start, floor((n + 1) * p)));
  const values = new Float64Array(end - start + 1);
  const odds = p / (1 - p);
  values[mode - start] = exp(binomialLogPmf(mode, n, p));
  for (let k = mode; k < end; k += 1) values[k + 1 - start] = (values[k - start] as number) * ((n - k) / (k + 1)) * odds;
  for (let k = mode; k > start; k -= 1) values[k - 1 - start] = ((values[k - start] as number) * (k / (n - k + 1))) / odds;
  return { start, values };
}

/** Multiply-adds the convolution would take, from the window sizes alone (nothing is built). */
function convolutionWork(components: readonly BinomialComponent[]): number {
  let length = 1;
  let work = 0;
  for (const component of components) {
    const { start, end } = windowBounds(component);
    work += length * (end - start + 1);
    length += end - start;
  }
  return work;
}

function convolvedUpperTail(threshold: number, windows: readonly PmfWindow[]): number {
  let start = 0;
  let pmf = new Float64Array([1]);
  for (const w of windows) {
    const next = new Float64Array(pmf.length + w.values.length - 1);
    for (let i = 0; i < pmf.length; i += 1) {
      const a = pmf[i] as number;
      if (a === 0) continue;
      for (let j = 0; j < w.values.length; j += 1) next[i + j] = (next[i + j] as number) + a * (w.values[j] as number);
    }
    pmf = next;
    start += w.start;
  }
  let tail = 0;
  for (let k = max(0, threshold - start); k < pmf.length; k += 1) tail += pmf[k] as number;
  return min(1, tail);
}

/** log(1 − p + p·e^s), the cumulant generating function of one Bernoulli trial, without overflow. */
function bernoulliCgf(p: number, s: number): number {
  return s > 0 ? s + log(p + (1 - p) * exp(-s)) : log1p(p * expm1(s));
}

/** The tilted success probability p·e^s / (1 − p + p·e^s). */
function tilted(p: number, s: number): number {
  return 1 / (1 + ((1 - p) / p) * exp(-s));
}

function saddlepointUpperTail(threshold: number, components: readonly BinomialComponent[]): number {
  // Daniels' continuity correction: solve the saddlepoint equation at t − 1/2, and replace s by 2·sinh(s/2).
  const y = threshold - 0.5;
  const mean = components.reduce((sum, c) => sum + c.n * c.p, 0);
  const variance = components.reduce((sum, c) => sum + c.n * c.p * (1 - c.p), 0);
  // K'(s) = y by Newton's method on the increasing K', kept inside a shrinking bracket.
  let low = -50;
  let high = 50;
  let s = 0;
  for (let i = 0; i < 100; i += 1) {
    let slope = 0;
    let value = -y;
    for (const c of components) {
      const q = tilted(c.p, s);
      value += c.n * q;
      slope += c.n * q * (1 - q);
    }
    if (value < 0) low = s;
    else high = s;
    let next = slope > 0 ? s - value / slope : 0.5 * (low + high);
    if (!(next > low && next < high)) next = 0.5 * (low + high);
    if (abs(next - s) < 1e-12 || high - low < 1e-12) {
      s = next;
      break;
    }
    s = next;
  }
  const k = components.reduce((sum, c) => sum + c.n * bernoulliCgf(c.p, s), 0);
  const k2 = components.reduce((sum, c) => {
    const q = tilted(c.p, s);
    return sum + c.n * q * (1 - q);
  }, 0);
  const w = sign(s) * sqrt(max(0, 2 * (s * y - k)));
  const u = 2 * sinh(s / 2) * sqrt(k2);
  if (abs(s) < 1e-6 || abs(w) < 1e-6) {
    // At the mean the formula is 0/0; the normal approximation is exact to the order that matters there.
    return normalSf((y - mean) / sqrt(variance));
  }
  const value = normalSf(w) + normalPdf(w) * (1 / u - 1 / w);
  return min(1, max(0, value));
}
