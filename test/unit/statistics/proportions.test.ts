import { sumOfBinomialsUpperTail } from '../../../shared/judges/statistics/binomial-sums';
import { testRatioOfProportions, type TwoArmCounts } from '../../../shared/judges/statistics/proportions';
import { createRandom } from '../../../sim/random';
import { pooledTwoProportionZ } from '../../../shared/judges/statistics/sample-size';

// Reference values from scipy 1.17: stats.binom tails, binomtest(...).proportion_ci(method='exact') (Clopper-Pearson),
// and numpy convolution of binomial pmfs for strata.
const counts = (canaryFailures: number, canaryRequests: number, baselineFailures: number, baselineRequests: number): TwoArmCounts => ({
  canary: { successes: canaryRequests - canaryFailures, failures: canaryFailures },
  baseline: { successes: baselineRequests - baselineFailures, failures: baselineFailures },
});
const relativeError = (actual: number, expected: number) => Math.abs(actual - expected) / Math.abs(expected);

describe('testRatioOfProportions', () => {
  it('judges 60/6,000 canary errors against 270/54,000 baseline errors exactly', () => {
    const result = testRatioOfProportions({ counts: counts(60, 6000, 270, 54000), direction: 'increase-is-bad', nullRatio: 1, level: 0.01 });
    expect(result.canary).toEqual({ requests: 6000, failures: 60, rate: 0.01 });
    expect(result.baseline).toEqual({ requests: 54000, failures: 270, rate: 0.005 });
    expect(result.ratio).toBeCloseTo(2, 12);
    expect(result.relativeChange).toBeCloseTo(1, 12);
    // Given 330 errors, the canary's share is Binomial(330, 0.1) under H0: P(X >= 60).
    expect(relativeError(result.pValue, 4.357774995454616e-6)).toBeLessThan(1e-10);
    // Clopper-Pearson lower bound for the share, turned into a ratio of rates.
    expect(result.ratioBound.side).toBe('lower');
    expect(result.ratioBound.confidence).toBe(0.99);
    expect(relativeError(result.ratioBound.value as number, 1.4048201017016044)).toBeLessThan(1e-6);
    expect(result.method).toBe('exact');
    // The score statistic is close to the pooled two-proportion z on the same counts.
    expect(result.statistic).toBeCloseTo(pooledTwoProportionZ(60, 6000, 270, 54000), 1);
  });

  it('convicts 3 canary errors against a clean baseline without waiting for 50 points', () => {
    const result = testRatioOfProportions({ counts: counts(3, 100, 0, 900), direction: 'increase-is-bad', nullRatio: 1, level: 0.01 });
    expect(result.pValue).toBeCloseTo(0.001, 15);
    expect(result.ratio).toBeNull(); // unbounded: the baseline has no errors
    expect(relativeError(result.ratioBound.value as number, 2.471448703084693)).toBeLessThan(1e-6);
  });

  it('tests the margin: 20 % worse is within an allowed 50 %', () => {
    const strict = testRatioOfProportions({ counts: counts(120, 10000, 900, 90000), direction: 'increase-is-bad', nullRatio: 1, level: 0.01 });
    const lenient = testRatioOfProportions({ counts: counts(120, 10000, 900, 90000), direction: 'increase-is-bad', nullRatio: 1.5, level: 0.01 });
    expect(strict.pValue).toBeLessThan(0.1);
    expect(lenient.pValue).toBeGreaterThan(0.9);
    expect(lenient.statistic).toBeLessThan(0);
  });

  it('tests a decrease (e.g. conversions) against 1 − δ with an upper bound', () => {
    const result = testRatioOfProportions({ counts: counts(20, 1000, 300, 9000), direction: 'decrease-is-bad', nullRatio: 0.9, level: 0.05 });
    expect(relativeError(result.pValue, 0.04205648569101398)).toBeLessThan(1e-10);
    expect(result.ratioBound.side).toBe('upper');
    expect(relativeError(result.ratioBound.value as number, 0.8849615522646277)).toBeLessThan(1e-6);
  });

  it('keeps windows with different traffic splits apart (sum of binomials, exact)', () => {
    const result = testRatioOfProportions({ counts: [counts(3, 100, 4, 904), counts(20, 500, 10, 500)], direction: 'increase-is-bad', nullRatio: 1, level: 0.01 });
    expect(relativeError(result.pValue, 0.008291214472334349)).toBeLessThan(1e-10);
    expect(result.informativeFailures).toBe(37);
  });

  it('is not fooled by a baseline rate that moved while the split changed (Simpson)', () => {
    // A/A: both versions at 0.1 % while the canary had 10 %, then both at 2 % while it had 50 %.
    const windows = [counts(10, 10000, 90, 90000), counts(1000, 50000, 1000, 50000)];
    const stratified = testRatioOfProportions({ counts: windows, direction: 'increase-is-bad', nullRatio: 1, level: 0.01 });
    const pooled = testRatioOfProportions({ counts: counts(1010, 60000, 1090, 140000), direction: 'increase-is-bad', nullRatio: 1, level: 0.01 });
    expect(pooled.pValue).toBeLessThan(1e-50); // pooling invents a 2.2× regression
    expect(stratified.pValue).toBeGreaterThan(0.4);
    expect(stratified.ratio).toBeCloseTo(1, 6);
  });

  it('says nothing without errors or without one of the arms', () => {
    for (const data of [counts(0, 5000, 0, 45000), counts(0, 0, 10, 1000), counts(4, 100, 0, 0)]) {
      const result = testRatioOfProportions({ counts: data, direction: 'increase-is-bad', nullRatio: 1, level: 0.01 });
      expect(result.pValue).toBe(1);
      expect(result.method).toBe('no-events');
    }
    expect(testRatioOfProportions({ counts: counts(0, 0, 0, 0), direction: 'increase-is-bad', nullRatio: 1, level: 0.01 }).canary.rate).toBeNull();
  });

  it('refuses impossible counts', () => {
    expect(() => testRatioOfProportions({ counts: counts(-1, 10, 0, 10), direction: 'increase-is-bad', nullRatio: 1, level: 0.01 })).toThrow(RangeError);
    expect(() => testRatioOfProportions({ counts: counts(1, 10, 0, 10), direction: 'increase-is-bad', nullRatio: 0, level: 0.01 })).toThrow(RangeError);
  });

  it('stays at or below its level on A/A data at low counts (seeded, 4,000 runs per row)', () => {
    // Binomial tolerance: the observed count may exceed α·runs only by 3 standard errors.
    const random = createRandom(5);
    const runs = 4_000;
    const alpha = 0.05;
    for (const [canaryRequests, baselineRequests, rate] of [
      [300, 2700, 0.002],
      [50, 950, 0.01],
      [1000, 1000, 0.003],
      [200, 1800, 0.2],
    ] as const) {
      let rejected = 0;
      for (let run = 0; run < runs; run += 1) {
        const data = counts(random.binomial(canaryRequests, rate), canaryRequests, random.binomial(baselineRequests, rate), baselineRequests);
        if (testRatioOfProportions({ counts: data, direction: 'increase-is-bad', nullRatio: 1, level: alpha }).pValue <= alpha) rejected += 1;
      }
      expect(rejected).toBeLessThanOrEqual(alpha * runs + 3 * Math.sqrt(alpha * (1 - alpha) * runs));
    }
  });
});

describe('sumOfBinomialsUpperTail', () => {
  it('agrees with exact convolution where it switches to the saddlepoint', () => {
    const components = [
      { n: 40000, p: 0.1 },
      { n: 30000, p: 0.05 },
      { n: 12000, p: 0.3 },
    ];
    const expected: Array<[number, number]> = [
      [9300, 0.010976311454929262],
      [9500, 2.4009790964319927e-6],
      [9700, 3.900757714774351e-12],
    ];
    for (const [t, probability] of expected) {
      const result = sumOfBinomialsUpperTail(t, components);
      expect(result.method).toBe('saddlepoint');
      expect(relativeError(result.probability, probability)).toBeLessThan(1e-5);
    }
  });

  it('is exact for small sums', () => {
    const result = sumOfBinomialsUpperTail(70, [
      { n: 40, p: 0.1 },
      { n: 300, p: 0.05 },
      { n: 120, p: 0.3 },
    ]);
    expect(result.method).toBe('exact');
    expect(relativeError(result.probability, 0.015466051229821105)).toBeLessThan(1e-10);
  });
});

describe('pooledTwoProportionZ', () => {
  it('matches the textbook formula on 45/500 against 30/600', () => {
    // (0.09 − 0.05) / √(p̂(1 − p̂)(1/500 + 1/600)), p̂ = 75/1100.
    expect(pooledTwoProportionZ(45, 500, 30, 600)).toBeCloseTo(2.6207427731326147, 12);
  });
});
