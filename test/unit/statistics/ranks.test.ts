import { mannWhitney } from '../../../shared/judges/statistics/ranks';

// Reference values from scipy 1.17 stats.mannwhitneyu (its documentation's example: males vs females,
// U1 = 17, exact two-sided p = 0.1111, so one-sided 0.0556), and a brute-force permutation count for ties.
const males = [19, 22, 16, 29, 24];
const females = [20, 11, 17, 12];

describe('mannWhitney', () => {
  it("reproduces scipy's documented example exactly", () => {
    const result = mannWhitney({ canary: males, baseline: females, direction: 'increase-is-bad' });
    expect(result.u).toBe(17);
    expect(result.method).toBe('exact');
    expect(result.pValue).toBeCloseTo(0.05555555555555555, 14);
    expect(result.probabilityCanaryHigher).toBeCloseTo(17 / 20, 14);
    expect(result.canaryMedian).toBe(22);
    expect(result.baselineMedian).toBe(14.5);
    expect(mannWhitney({ canary: males, baseline: females, direction: 'decrease-is-bad' }).pValue).toBeCloseTo(0.9682539682539683, 14);
  });

  it('is exact with ties: 20 of the 126 subsets have a rank sum at least as large', () => {
    const result = mannWhitney({ canary: [1.5, 2, 2, 3.1], baseline: [2, 1, 3.1, 0.5, 0.7], direction: 'increase-is-bad' });
    expect(result.pValue).toBeCloseTo(20 / 126, 14);
  });

  it('uses the tie-corrected normal approximation with continuity correction above 60 values', () => {
    const canary = [92, 79, 72, 95, 70, 117, 97, 90, 41, 29, 43, 99, 89, 36, 99, 58, 58, 141, 86, 95, 95, 36, 97, 225, 45, 122, 128, 127, 63, 71, 46, 83, 158, 59, 26, 87, 129, 75, 186, 78];
    const baseline = [
      79, 44, 66, 116, 117, 140, 113, 101, 23, 51, 227, 60, 108, 76, 109, 81, 46, 52, 93, 61, 23, 101, 127, 122, 124, 33, 165, 73, 48, 63, 54, 40, 78, 85, 71, 85,
      72, 54, 58, 100, 35, 59, 121, 88, 106, 78, 41, 64, 83, 64,
    ];
    const up = mannWhitney({ canary, baseline, direction: 'increase-is-bad' });
    expect(up.method).toBe('normal');
    expect(up.u).toBe(1091.5);
    expect(up.pValue).toBeCloseTo(0.22994972689221432, 12);
    expect(mannWhitney({ canary, baseline, direction: 'decrease-is-bad' }).pValue).toBeCloseTo(0.7725084912885894, 12);
  });

  it('applies the allowed degradation as a scale margin on the baseline', () => {
    const baseline = [100, 120, 140, 160, 180, 200, 220, 240];
    const canary = baseline.map((x) => x * 1.2);
    expect(mannWhitney({ canary, baseline, direction: 'increase-is-bad' }).pValue).toBeLessThan(0.3);
    const margin = mannWhitney({ canary, baseline, direction: 'increase-is-bad', nullFactor: 1.2 });
    expect(margin.u).toBe(32); // every pair tied once scaled: U is exactly its mean
    expect(margin.pValue).toBeGreaterThan(0.5);
  });

  it('detects a clear latency regression on per-minute percentile points', () => {
    const baseline = [210, 205, 230, 199, 215, 221, 208, 212, 226, 204];
    const canary = [290, 310, 275, 300, 320, 288, 305, 296, 315, 281];
    const result = mannWhitney({ canary, baseline, direction: 'increase-is-bad', nullFactor: 1.1 });
    // All 10 × 10 pairs favour the canary: the smallest possible exact p, 1/C(20, 10).
    expect(result.u).toBe(100);
    expect(result.pValue).toBeCloseTo(1 / 184756, 15);
  });

  it('has nothing to say without data or when everything ties', () => {
    expect(mannWhitney({ canary: [], baseline: [1, 2], direction: 'increase-is-bad' })).toMatchObject({ pValue: 1, method: 'no-data', canaryMedian: null });
    expect(mannWhitney({ canary: [5, 5], baseline: [5, 5, 5], direction: 'increase-is-bad' }).pValue).toBe(1);
    expect(() => mannWhitney({ canary: [Number.NaN], baseline: [1], direction: 'increase-is-bad' })).toThrow(RangeError);
  });
});
