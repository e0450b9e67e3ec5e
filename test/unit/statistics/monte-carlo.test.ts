/**
 * Seeded Monte-Carlo properties of the whole judge (test + alpha spending + data requirement), the
 * numbers the issue sets: false rollbacks on A/A at every traffic level over the whole rollout, detection
 * against the fixed-sample z-test's power, and no pass at low traffic.
 */
import { binomialUpperTail } from '../../../shared/judges/statistics/distributions';
import { zTestPower } from '../../../shared/judges/statistics/sample-size';
import type { MetricCriteria } from '../../../shared/judges/statistics/verdict';
import { simulateRollout } from './rollout-simulation';

const criteria = (confidence: number): MetricCriteria => ({ name: 'errors', direction: 'increase-is-bad', allowedDegradation: 0, confidence });
const rollout = [
  { canaryWeight: 0.05, durationSeconds: 300 },
  { canaryWeight: 0.25, durationSeconds: 600 },
  { canaryWeight: 0.5, durationSeconds: 600 },
];

/** Smallest k with P(Binomial(runs, α) >= k) <= 0.001: more false rollbacks than that would show α is exceeded. */
function tolerance(runs: number, alpha: number): number {
  let k = Math.ceil(runs * alpha);
  while (binomialUpperTail(k, runs, alpha) > 0.001) k += 1;
  return k;
}

describe('A/A: false rollbacks over a whole rollout stay at or below α', () => {
  // Three steps (5 %, 25 %, 50 %), a look every 5 minutes (5 looks), 0.5 % errors on both versions.
  it.each([
    [1, 0.05, 300],
    [10, 0.05, 300],
    [100, 0.05, 300],
    [1000, 0.05, 300],
    [100, 0.01, 300],
  ])('at %p req/s with α = %p (%p rollouts)', (requestsPerSecond, alpha, runs) => {
    let falseRollbacks = 0;
    for (let seed = 1; seed <= runs; seed += 1) {
      const outcome = simulateRollout({ seed, requestsPerSecond, baselineRate: 0.005, ratio: 1, steps: rollout, lookSeconds: 300, criteria: criteria(1 - alpha) });
      if (outcome.failedAtSeconds !== undefined) falseRollbacks += 1;
    }
    expect(falseRollbacks).toBeLessThan(tolerance(runs, alpha));
  });
});

describe('detection: at least 90 % of the fixed-sample z-test power limit', () => {
  // 100 req/s, 0.5 % baseline errors, α = 1 %; one step at the canary weight, a look every minute.
  it.each([
    ['×2 at 10 % within 10 minutes', 2, 0.1, 600],
    ['×3 at 5 % within 5 minutes', 3, 0.05, 300],
    ['×5 at 5 % within 5 minutes', 5, 0.05, 300],
  ])('%s', (_name, ratio, weight, seconds) => {
    const runs = 250;
    let detected = 0;
    for (let seed = 1; seed <= runs; seed += 1) {
      const outcome = simulateRollout({
        seed: 10_000 + seed,
        requestsPerSecond: 100,
        baselineRate: 0.005,
        ratio,
        steps: [{ canaryWeight: weight, durationSeconds: seconds }],
        lookSeconds: 60,
        criteria: criteria(0.99),
      });
      if (outcome.failedAtSeconds !== undefined && outcome.failedAtSeconds <= seconds) detected += 1;
    }
    const canary = 100 * seconds * weight;
    const limit = zTestPower({ canaryRequests: canary, baselineRequests: 100 * seconds - canary, baselineRate: 0.005, canaryRate: 0.005 * ratio, alpha: 0.01 });
    expect(detected / runs).toBeGreaterThanOrEqual(0.9 * limit);
  });
});

describe('low traffic: inconclusive, never pass, while the sample cannot support a decision', () => {
  it.each([
    ['A/A', 1],
    ['×2 errors', 2],
  ])('%s at 1 req/s with 5 % then 25 % canary weight', (_name, ratio) => {
    for (let seed = 1; seed <= 10; seed += 1) {
      const outcome = simulateRollout({
        seed,
        requestsPerSecond: 1,
        baselineRate: 0.005,
        ratio,
        steps: [
          { canaryWeight: 0.05, durationSeconds: 1800 },
          { canaryWeight: 0.25, durationSeconds: 1800 },
        ],
        lookSeconds: 300,
        criteria: criteria(0.99),
      });
      for (const judgement of outcome.judgements) {
        expect(judgement.verdict).not.toBe('pass');
        if (judgement.verdict === 'inconclusive') {
          expect(judgement.requestsNeeded).toBeGreaterThan(0);
          expect(judgement.secondsNeeded).toBeGreaterThan(0);
          expect(judgement.reason).toMatch(/not enough data to judge/);
        }
      }
    }
  });
});
