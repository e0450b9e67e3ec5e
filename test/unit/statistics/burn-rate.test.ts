import { judgeBurnRate, minimumBurnRateRequests, plannedCanaryRequests, type BurnRateCriteria } from '../../../shared/judges/statistics/burn-rate';
import { binomialUpperTail } from '../../../shared/judges/statistics/distributions';
import { createRandom } from '../../../sim/random';
import type { SequentialLook } from '../../../shared/judges/statistics/sequential';

/** 99.9 %, at most 2× the budget: the canary may fail 0.2 % of its requests. */
const SLO: BurnRateCriteria = { name: 'SLO 99.9 %', objective: 0.999, maxBurnRate: 2, confidence: 0.99 };
/** A single look that is also the last: it may spend all of α. */
const singleLook = (requests: number) => ({ plannedRequests: requests, previousLooks: [] });

describe('judgeBurnRate, one look', () => {
  it.each([
    {
      name: 'fails a canary burning 4× the budget',
      canary: { requests: 10_000, failures: 40 },
      verdict: 'fail',
      reason: /^SLO 99\.9 %: canary 0\.400 % errors \(40\/10,000\), burning the error budget 4×; faster than the allowed at most 2× \(0\.200 % errors\) with p = 5\.2e-5 <= 0\.010, this look's threshold/,
    },
    {
      name: 'passes a canary at the allowed burn once the sample could have caught 4×',
      canary: { requests: 10_000, failures: 20 },
      verdict: 'pass',
      reason: /no evidence of burning faster than at most 2× .*, and 10,000 canary requests are enough to catch 4×$/,
    },
    {
      name: 'passes a clean canary on the same sample',
      canary: { requests: 10_000, failures: 0 },
      verdict: 'pass',
      reason: /p = 1\.0 > 0\.010/,
    },
    {
      name: 'is inconclusive on a small clean sample, with what it still needs',
      canary: { requests: 1_000, failures: 0 },
      verdict: 'inconclusive',
      reason: /not enough data to judge: 1,000 canary requests, 5,167 more needed to catch a burn of 4× \(about 8 min 37 s at 10\/s\)/,
    },
    {
      name: 'is inconclusive without any canary request, never a pass',
      canary: { requests: 0, failures: 0 },
      verdict: 'inconclusive',
      reason: /0 canary requests, 6,167 more needed.*no canary requests yet/,
    },
  ])('$name', ({ canary, verdict, reason }) => {
    const judgement = judgeBurnRate({ criteria: SLO, canary, look: { ...singleLook(Math.max(1, canary.requests)), canaryRatePerSecond: 10 } });
    expect(judgement.verdict).toBe(verdict);
    expect(judgement.reason).toMatch(reason);
    expect(judgement.critical).toBe(true);
    expect(judgement.evidence).toMatchObject({ kind: 'burn-rate', detectableBurnRate: 4, canary: { requests: canary.requests, failures: canary.failures } });
    expect(judgement.evidence.allowedErrorRate).toBeCloseTo(0.002, 15);
    // The bound and the verdict agree: the lower bound lies above maxBurnRate exactly when the look fails.
    expect(judgement.evidence.burnRateBound.value > 2).toBe(verdict === 'fail');
  });

  it('the p-value is the exact binomial tail at the allowed rate, whatever a baseline would say', () => {
    const judgement = judgeBurnRate({ criteria: SLO, canary: { requests: 3_000, failures: 9 }, look: singleLook(3_000) });
    expect(judgement.evidence.pValue).toBeCloseTo(binomialUpperTail(9, 3_000, 0.002), 15);
    expect(judgement.evidence.burnRate).toBeCloseTo(3, 10);
  });

  it('needs ((z·√(p₀q₀) + z_power·√(p₁q₁)) / (p₁ − p₀))² canary requests to pass', () => {
    // z = 2.3263 (α = 1 %, one look), power 0.8, p₀ = 0.2 %, p₁ = 0.4 %: 78.53² = 6,166.2.
    expect(minimumBurnRateRequests(0.002, 0.004, 2.3263478740408408, 0.8)).toBe(6_167);
    expect(judgeBurnRate({ criteria: SLO, canary: { requests: 6_167, failures: 6 }, look: singleLook(6_167) }).verdict).toBe('pass');
    expect(judgeBurnRate({ criteria: SLO, canary: { requests: 6_166, failures: 6 }, look: singleLook(6_166) }).verdict).toBe('inconclusive');
  });

  it.each([
    [{ ...SLO, objective: 1 }, /objective must be in \(0, 1\)/],
    [{ ...SLO, maxBurnRate: 0 }, /maxBurnRate must be > 0/],
    [{ ...SLO, detectableBurnRate: 2 }, /detectableBurnRate must lie above maxBurnRate/],
  ])('refuses invalid criteria %#', (criteria, message) => {
    expect(() => judgeBurnRate({ criteria, canary: { requests: 10, failures: 0 }, look: singleLook(10) })).toThrow(message);
  });

  it('plans the canary requests of a plan: Σ rate·duration·weight', () => {
    const steps = [
      { canaryWeight: 0.05, durationSeconds: 300 },
      { canaryWeight: 0.25, durationSeconds: 300 },
      { canaryWeight: 0.5, durationSeconds: 300 },
      { canaryWeight: 1, durationSeconds: 0 },
    ];
    expect(plannedCanaryRequests(steps, 1000)).toBe(240_000);
  });
});

describe('judgeBurnRate over a rollout: alpha spent across looks', () => {
  /** Five looks over 20,000 planned canary requests; counts cumulative, as the metrics judge passes them. */
  function rollout(rate: number, seed: number): 'fail' | 'other' {
    const random = createRandom(seed);
    let requests = 0;
    let failures = 0;
    let looks: SequentialLook[] = [];
    for (let k = 0; k < 5; k += 1) {
      requests += 4_000;
      failures += random.binomial(4_000, rate);
      const judgement = judgeBurnRate({ criteria: SLO, canary: { requests, failures }, look: { plannedRequests: 20_000, previousLooks: looks } });
      if (judgement.verdict === 'fail') return 'fail';
      looks = [...looks, judgement.look];
    }
    return 'other';
  }

  it('rolls back a canary burning exactly the allowed rate at most α = 1 % of the time, all five looks together', () => {
    const runs = 2_000;
    let fails = 0;
    for (let r = 0; r < runs; r += 1) if (rollout(0.002, 1_000 + r) === 'fail') fails += 1;
    // 1 % of 2,000 is 20; the exact test is conservative on discrete counts.
    expect(fails / runs).toBeLessThanOrEqual(0.01 + 1.96 * Math.sqrt((0.01 * 0.99) / runs));
  });

  it('rolls back a canary burning 4× (twice the allowed) in most rollouts', () => {
    const runs = 500;
    let fails = 0;
    for (let r = 0; r < runs; r += 1) if (rollout(0.004, 9_000 + r) === 'fail') fails += 1;
    expect(fails / runs).toBeGreaterThan(0.9);
  });
});
