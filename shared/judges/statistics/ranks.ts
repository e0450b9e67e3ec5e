/**
 * Mann-Whitney U (Wilcoxon rank-sum) test of canary against baseline, one-sided toward the bad direction,
 * for latency samples or for per-period percentile points.
 *
 * The allowed degradation is a scale margin: baseline values are multiplied by the null factor
 * (1 + δ when increase is bad, 1 − δ when decrease is bad) before ranking, so H0 is "the canary is no
 * worse than the baseline scaled by the margin", which is the natural reading of "latency may grow by δ".
 *
 * Small samples (up to EXACT_MAX_TOTAL values in all) get the exact permutation distribution of the rank
 * sum, ties included (mid-ranks, counted by dynamic programming), so the p-value is exact under H0 however
 * few the points. Larger ones use the normal approximation with the tie-corrected variance and a
 * continuity correction of 1/2.
 */
import { normalSf } from './distributions';
import type { Direction } from './proportions';

// Module-level copies: inside a vm context (jest) every lookup of a global such as Math costs ~0.5 µs.
const { floor, max, min, sqrt } = Math;

export interface RankTestInput {
  readonly canary: readonly number[];
  readonly baseline: readonly number[];
  readonly direction: Direction;
  /** Scale applied to baseline values before ranking (the H0 margin); default 1. */
  readonly nullFactor?: number;
}

export interface RankTestResult {
  readonly canaryCount: number;
  readonly baselineCount: number;
  /** Pairs (canary, scaled baseline) where the canary is larger, ties counting one half. */
  readonly u: number;
  readonly meanU: number;
  /** Standard deviation of U under H0, corrected for ties. */
  readonly sdU: number;
  /** (U − mean)/sd oriented so that positive means "in the bad direction". */
  readonly statistic: number;
  /** One-sided p-value toward the bad direction. */
  readonly pValue: number;
  /** U / (n_c·n_b): estimated P(canary > scaled baseline), 0.5 under H0. */
  readonly probabilityCanaryHigher: number;
  readonly canaryMedian: number | null;
  readonly baselineMedian: number | null;
  readonly method: 'exact' | 'normal' | 'no-data';
}

/** Total sample size up to which the exact permutation distribution is computed. */
export const EXACT_MAX_TOTAL = 60;

export function mannWhitney(input: RankTestInput): RankTestResult {
  const nullFactor = input.nullFactor ?? 1;
  if (!(nullFactor > 0) || !Number.isFinite(nullFactor)) throw new RangeError(`nullFactor must be a positive number, got ${nullFactor}`);
  for (const value of [...input.canary, ...input.baseline]) {
    if (!Number.isFinite(value)) throw new RangeError(`rank test values must be finite numbers, got ${value}`);
  }
  const nc = input.canary.length;
  const nb = input.baseline.length;
  const canaryMedian = median(input.canary);
  const baselineMedian = median(input.baseline);
  if (nc === 0 || nb === 0) {
    return { canaryCount: nc, baselineCount: nb, u: 0, meanU: 0, sdU: 0, statistic: 0, pValue: 1, probabilityCanaryHigher: 0.5, canaryMedian, baselineMedian, method: 'no-data' };
  }

  const pooled = [
    ...input.canary.map((value) => ({ value, canary: true })),
    ...input.baseline.map((value) => ({ value: value * nullFactor, canary: false })),
  ].sort((a, b) => a.value - b.value);
  const total = pooled.length;
  // Mid-ranks doubled, so tied values keep integer ranks: 2·rank = first + last position (1-based).
  const doubledRanks = new Array<number>(total);
  let tieTerm = 0;
  for (let start = 0; start < total; ) {
    let end = start;
    while (end + 1 < total && (pooled[end + 1] as { value: number }).value === (pooled[start] as { value: number }).value) end += 1;
    for (let i = start; i <= end; i += 1) doubledRanks[i] = start + 1 + end + 1;
    const size = end - start + 1;
    tieTerm += size * size * size - size;
    start = end + 1;
  }
  let canaryDoubledRankSum = 0;
  pooled.forEach((entry, i) => {
    if (entry.canary) canaryDoubledRankSum += doubledRanks[i] as number;
  });
  const u = canaryDoubledRankSum / 2 - (nc * (nc + 1)) / 2;
  const meanU = (nc * nb) / 2;
  const variance = ((nc * nb) / 12) * (total + 1 - tieTerm / (total * (total - 1)));
  const sdU = sqrt(max(0, variance));
  const bad = input.direction === 'increase-is-bad' ? u - meanU : meanU - u;
  const statistic = sdU > 0 ? bad / sdU : 0;

  let pValue: number;
  let method: 'exact' | 'normal';
  if (sdU === 0) {
    // Every value tied: the ranks carry no information.
    pValue = 1;
    method = 'exact';
  } else if (total <= EXACT_MAX_TOTAL) {
    pValue = exactRankSumTail(doubledRanks, nc, canaryDoubledRankSum, input.direction);
    method = 'exact';
  } else {
    pValue = normalSf((bad - 0.5) / sdU);
    method = 'normal';
  }
  return {
    canaryCount: nc,
    baselineCount: nb,
    u,
    meanU,
    sdU,
    statistic,
    pValue: min(1, pValue),
    probabilityCanaryHigher: u / (nc * nb),
    canaryMedian,
    baselineMedian,
    method,
  };
}

/**
 * P(rank sum of a random nc-subset >= observed) (or <= for decrease-is-bad), counting subsets by dynamic
 * programming over (items chosen, doubled rank sum): ways[j][s] after every item.
 */
function exactRankSumTail(doubledRanks: readonly number[], nc: number, observed: number, direction: Direction): number {
  const maxSum = doubledRanks.reduce((sum, r) => sum + r, 0);
  const ways: Float64Array[] = Array.from({ length: nc + 1 }, () => new Float64Array(maxSum + 1));
  (ways[0] as Float64Array)[0] = 1;
  let itemsSeen = 0;
  for (const rank of doubledRanks) {
    itemsSeen += 1;
    for (let j = min(nc, itemsSeen); j >= 1; j -= 1) {
      const from = ways[j - 1] as Float64Array;
      const to = ways[j] as Float64Array;
      for (let s = maxSum; s >= rank; s -= 1) {
        const add = from[s - rank] as number;
        if (add !== 0) to[s] = (to[s] as number) + add;
      }
    }
  }
  const counts = ways[nc] as Float64Array;
  let all = 0;
  let tail = 0;
  for (let s = 0; s <= maxSum; s += 1) {
    const c = counts[s] as number;
    all += c;
    if (direction === 'increase-is-bad' ? s >= observed : s <= observed) tail += c;
  }
  return tail / all;
}

function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}
