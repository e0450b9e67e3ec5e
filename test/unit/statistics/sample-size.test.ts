import { normalUpperQuantile } from '../../../shared/judges/statistics/distributions';
import { testRatioOfProportions } from '../../../shared/judges/statistics/proportions';
import { createRandom } from '../../../sim/random';
import { mannWhitney } from '../../../shared/judges/statistics/ranks';
import {
  effectiveSampleSize,
  minimumCanaryRequests,
  minimumRankSamples,
  plannedInformation,
  probabilityWorse,
  zTestPower,
} from '../../../shared/judges/statistics/sample-size';

describe('zTestPower (the power limit)', () => {
  // The targets at 100 req/s and a 0.5 % baseline error rate, α = 1 %.
  it.each([
    ['×2 at 10 % for 10 minutes', 6000, 54000, 0.01, 0.978],
    ['×3 at 5 % for 5 minutes', 1500, 28500, 0.015, 0.957],
    ['×5 at 5 % for 5 minutes', 1500, 28500, 0.025, 1.0],
  ])('%s', (_name, canaryRequests, baselineRequests, canaryRate, limit) => {
    expect(zTestPower({ canaryRequests, baselineRequests, baselineRate: 0.005, canaryRate, alpha: 0.01 })).toBeCloseTo(limit, 3);
  });

  it('is α when there is no difference', () => {
    expect(zTestPower({ canaryRequests: 5000, baselineRequests: 5000, baselineRate: 0.02, canaryRate: 0.02, alpha: 0.01 })).toBeCloseTo(0.01, 10);
  });
});

describe('minimumCanaryRequests', () => {
  const input = { baselineRate: 0.005, baselinePerCanary: 9, nullRatio: 1, detectableRatio: 2, boundaryZ: normalUpperQuantile(0.01), power: 0.8 };

  it('needs about 2,840 canary requests to catch ×2 over 0.5 % at 10 % weight', () => {
    expect(minimumCanaryRequests(input)).toBe(2840);
  });

  it('needs more for a stricter boundary, a smaller effect or a rarer event, and unbounded data for a zero rate', () => {
    const base = minimumCanaryRequests(input);
    expect(minimumCanaryRequests({ ...input, boundaryZ: 3 })).toBeGreaterThan(base);
    expect(minimumCanaryRequests({ ...input, detectableRatio: 1.5 })).toBeGreaterThan(base);
    expect(minimumCanaryRequests({ ...input, baselineRate: 0.001 })).toBeGreaterThan(base);
    expect(minimumCanaryRequests({ ...input, baselineRate: 0 })).toBe(Infinity);
    expect(minimumCanaryRequests({ ...input, nullRatio: 0.9, detectableRatio: 0.45 })).toBeGreaterThan(0);
  });

  it('delivers about the target power with the exact test (seeded, 3,000 runs)', () => {
    const random = createRandom(3);
    const canary = minimumCanaryRequests(input);
    const baseline = 9 * canary;
    let detected = 0;
    const runs = 3000;
    for (let run = 0; run < runs; run += 1) {
      const cf = random.binomial(canary, 0.01);
      const bf = random.binomial(baseline, 0.005);
      const counts = { canary: { successes: canary - cf, failures: cf }, baseline: { successes: baseline - bf, failures: bf } };
      if (testRatioOfProportions({ counts, direction: 'increase-is-bad', nullRatio: 1, level: 0.01 }).pValue <= 0.01) detected += 1;
    }
    // The exact test is a little conservative: between 0.72 and 0.88 around the 0.8 target.
    expect(detected / runs).toBeGreaterThan(0.72);
    expect(detected / runs).toBeLessThan(0.88);
  });
});

describe('minimumRankSamples', () => {
  it('gives about the target power to Mann-Whitney on log-normal latencies (seeded, 600 runs)', () => {
    const random = createRandom(8);
    const draw = () => 100 * Math.exp(0.5 * random.normal());
    const pilot = Array.from({ length: 400 }, draw);
    const perArm = minimumRankSamples({ baseline: pilot, canaryShare: 0.5, direction: 'increase-is-bad', nullFactor: 1, detectableFactor: 1.25, boundaryZ: normalUpperQuantile(0.01), power: 0.8 });
    // Noether with θ = Φ(ln 1.25 / (0.5·√2)) ≈ 0.624 gives about 109 per arm.
    expect(perArm).toBeGreaterThan(95);
    expect(perArm).toBeLessThan(125);
    let detected = 0;
    const runs = 600;
    for (let run = 0; run < runs; run += 1) {
      const baseline = Array.from({ length: perArm }, draw);
      const canary = Array.from({ length: perArm }, () => 1.25 * draw());
      if (mannWhitney({ canary, baseline, direction: 'increase-is-bad' }).pValue <= 0.01) detected += 1;
    }
    expect(detected / runs).toBeGreaterThan(0.72);
    expect(detected / runs).toBeLessThan(0.88);
  });

  it('cannot estimate from fewer than two baseline values', () => {
    expect(minimumRankSamples({ baseline: [5], canaryShare: 0.5, direction: 'increase-is-bad', nullFactor: 1, detectableFactor: 1.25, boundaryZ: 2.3, power: 0.8 })).toBe(Infinity);
  });

  it('estimates P(k·Y > Y′) over distinct pairs, ties counting one half', () => {
    expect(probabilityWorse([1, 2, 3, 4], 1, 'increase-is-bad')).toBe(0.5);
    expect(probabilityWorse([1, 2, 3, 4], 2, 'increase-is-bad')).toBe(0.75);
    expect(probabilityWorse([1, 2, 3, 4], 0.5, 'decrease-is-bad')).toBe(0.75);
  });
});

describe('information', () => {
  it('measures a comparison by its effective sample size', () => {
    expect(effectiveSampleSize(6000, 54000)).toBe(5400);
    expect(effectiveSampleSize(0, 54000)).toBe(0);
  });

  it('plans Σ rate·duration·w·(1 − w) over the steps', () => {
    expect(plannedInformation([{ canaryWeight: 0.1, durationSeconds: 600 }], 100)).toBeCloseTo(5400, 9);
    expect(
      plannedInformation(
        [
          { canaryWeight: 0.05, durationSeconds: 300 },
          { canaryWeight: 0.5, durationSeconds: 600 },
          { canaryWeight: 1, durationSeconds: 600 },
        ],
        100,
      ),
    ).toBeCloseTo(1425 + 15000, 9);
    expect(() => plannedInformation([{ canaryWeight: 2, durationSeconds: 60 }], 1)).toThrow(RangeError);
  });
});
