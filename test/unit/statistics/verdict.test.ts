import type { TwoArmCounts } from '../../../shared/judges/statistics/proportions';
import { NEVER_REJECT_Z } from '../../../shared/judges/statistics/sequential';
import { combineVerdicts, judgeMetric, type MetricCriteria, type MetricJudgement } from '../../../shared/judges/statistics/verdict';

const counts = (canaryFailures: number, canaryRequests: number, baselineFailures: number, baselineRequests: number): TwoArmCounts => ({
  canary: { successes: canaryRequests - canaryFailures, failures: canaryFailures },
  baseline: { successes: baselineRequests - baselineFailures, failures: baselineFailures },
});

const errors: MetricCriteria = { name: 'errors', direction: 'increase-is-bad', allowedDegradation: 0, confidence: 0.99, critical: true };
const latency: MetricCriteria = { name: 'p99 latency', direction: 'increase-is-bad', allowedDegradation: 0.1, confidence: 0.99 };
/** A single look that is also the last: it may spend all of α. */
const singleLook = (information: number) => ({ plannedInformation: information, previousLooks: [] });

describe('judgeMetric on error counts', () => {
  it.each([
    {
      name: 'fails a doubled error rate, showing why',
      data: counts(60, 6000, 270, 54000),
      verdict: 'fail',
      reason: /errors: canary 1\.00% \(60\/6,000\) vs baseline 0\.50% \(270\/54,000\) \(×2\.00\); worse than the allowed ×1\.00 with p = 4\.4e-6 <= 0\.010/,
    },
    {
      name: 'passes an unchanged rate once the sample could have caught ×2',
      data: counts(30, 6000, 270, 54000),
      verdict: 'pass',
      reason: /no evidence of worse than ×1\.00 \(p = 0\.5\d > 0\.010\), and 6,000 canary requests are enough to catch ×2\.00/,
    },
    {
      name: 'is inconclusive on a small sample, with what it still needs',
      data: counts(1, 100, 5, 900),
      verdict: 'inconclusive',
      reason: /not enough data to judge: 100 canary requests, 2,\d{3} more needed to catch ×2\.00 \(about 4 min \d+ s at 10\/s\)/,
    },
  ])('$name', ({ data, verdict, reason }) => {
    const canaryRequests = data.canary.successes + data.canary.failures;
    const baselineRequests = data.baseline.successes + data.baseline.failures;
    const judgement = judgeMetric({
      criteria: errors,
      data: { kind: 'errors', counts: data },
      look: { ...singleLook((canaryRequests * baselineRequests) / (canaryRequests + baselineRequests)), canaryRatePerSecond: 10 },
    });
    expect(judgement.verdict).toBe(verdict);
    expect(judgement.reason).toMatch(reason);
    expect(judgement.critical).toBe(true);
  });

  it('carries its evidence: counts, rates, statistic, p-value, bound, threshold and data requirement', () => {
    const judgement = judgeMetric({ criteria: errors, data: { kind: 'errors', counts: counts(60, 6000, 270, 54000) }, look: singleLook(5400) });
    expect(judgement.evidence).toMatchObject({
      kind: 'errors',
      canary: { requests: 6000, failures: 60, rate: 0.01 },
      baseline: { requests: 54000, failures: 270, rate: 0.005 },
      nullRatio: 1,
      detectableRatio: 2,
      confidence: 0.99,
      power: 0.8,
      informationFraction: 1,
      information: 5400,
      finalLook: true,
      method: 'exact',
      minimumCanarySamples: 2840,
      ratioBound: { side: 'lower' },
    });
    expect((judgement.evidence as { ratioBound: { confidence: number } }).ratioBound.confidence).toBeCloseTo(0.99, 12);
    expect(judgement.evidence.threshold).toBeCloseTo(0.01, 12);
    expect(judgement.evidence.alphaSpent).toBeCloseTo(0.01, 12);
    expect(judgement.evidence.pValue).toBeCloseTo(4.357774995454616e-6, 15);
    expect(judgement.evidence.statistic).toBeGreaterThan(4);
  });

  it('reports the canary requests and seconds still needed', () => {
    const judgement = judgeMetric({ criteria: errors, data: { kind: 'errors', counts: counts(1, 100, 5, 900) }, look: { ...singleLook(90), canaryRatePerSecond: 10 } });
    expect(judgement.requestsNeeded).toBe((judgement.evidence.minimumCanarySamples as number) - 100);
    expect(judgement.secondsNeeded).toBe(Math.ceil((judgement.requestsNeeded as number) / 10));
  });

  it('is inconclusive, never a pass, without data', () => {
    const before = judgeMetric({ criteria: errors, data: { kind: 'errors', counts: counts(0, 0, 0, 0) }, look: { plannedInformation: 5000, previousLooks: [], canaryWeight: 0.05, canaryRatePerSecond: 0.05 } });
    expect(before.verdict).toBe('inconclusive');
    expect(before.reason).toMatch(/no canary requests yet/);
    expect(before.requestsNeeded).toBeGreaterThan(0);
    expect(before.secondsNeeded).toBeGreaterThan(0);
    const blind = judgeMetric({ criteria: errors, data: { kind: 'errors', counts: counts(0, 0, 0, 0) }, look: { plannedInformation: 5000, previousLooks: [] } });
    expect(blind.verdict).toBe('inconclusive');
    expect(blind.requestsNeeded).toBeUndefined();
    expect(blind.reason).toMatch(/cannot be estimated yet/);
  });

  it('assumes the rate floor for a clean baseline, so a clean canary can still pass', () => {
    const few = judgeMetric({ criteria: errors, data: { kind: 'errors', counts: counts(0, 1000, 0, 9000) }, look: singleLook(900) });
    expect(few.verdict).toBe('inconclusive');
    expect(few.evidence).toMatchObject({ baselineRateUsed: 0.001 });
    const many = judgeMetric({ criteria: errors, data: { kind: 'errors', counts: counts(0, 20000, 0, 180000) }, look: singleLook(18000) });
    expect(many.verdict).toBe('pass');
  });

  it('tolerates the allowed degradation and needs the detectable one', () => {
    const criteria: MetricCriteria = { ...errors, allowedDegradation: 0.5, detectableDegradation: 2 };
    const judgement = judgeMetric({ criteria, data: { kind: 'errors', counts: counts(72, 12000, 540, 108000) }, look: singleLook(10800) });
    expect(judgement.evidence).toMatchObject({ nullRatio: 1.5, detectableRatio: 3 });
    expect(judgement.verdict).toBe('pass'); // ×1.2, inside the allowed ×1.5
  });

  it('records its look for the next one, and spends nothing on a look without new data', () => {
    const first = judgeMetric({ criteria: errors, data: { kind: 'errors', counts: counts(3, 600, 27, 5400) }, look: { plannedInformation: 5400, previousLooks: [] } });
    expect(first.look.informationFraction).toBeCloseTo(0.1, 12);
    expect(first.look.boundaryZ).toBeLessThan(NEVER_REJECT_Z);
    const again = judgeMetric({ criteria: errors, data: { kind: 'errors', counts: counts(3, 600, 27, 5400) }, look: { plannedInformation: 5400, previousLooks: [first.look] } });
    expect(again.look.boundaryZ).toBe(NEVER_REJECT_Z);
    expect(again.evidence.threshold).toBe(0);
    expect(again.verdict).not.toBe('fail');
  });

  it('says so when the counts shrank since the last look (a per-step window instead of cumulative counts)', () => {
    const first = judgeMetric({ criteria: errors, data: { kind: 'errors', counts: counts(30, 6000, 270, 54000) }, look: { plannedInformation: 54000, previousLooks: [] } });
    const shrunk = judgeMetric({ criteria: errors, data: { kind: 'errors', counts: counts(10, 3000, 135, 27000) }, look: { plannedInformation: 54000, previousLooks: [first.look] } });
    expect(shrunk.verdict).not.toBe('fail');
    expect(shrunk.reason).toMatch(/counts must be cumulative since the rollout's first look; this look cannot fail/);
  });

  it('refuses invalid criteria instead of guessing', () => {
    const look = singleLook(100);
    const data = { kind: 'errors', counts: counts(0, 10, 0, 90) } as const;
    expect(() => judgeMetric({ criteria: { ...errors, confidence: 1.2 }, data, look })).toThrow(RangeError);
    expect(() => judgeMetric({ criteria: { ...errors, allowedDegradation: -0.1 }, data, look })).toThrow(RangeError);
    expect(() => judgeMetric({ criteria: { ...errors, allowedDegradation: 0.5, detectableDegradation: 0.2 }, data, look })).toThrow(RangeError);
    expect(() => judgeMetric({ criteria: errors, data, look: { plannedInformation: 0, previousLooks: [] } })).toThrow(RangeError);
  });
});

describe('judgeMetric on latency', () => {
  const baseline = [210, 205, 230, 199, 215, 221, 208, 212, 226, 204, 218, 211, 207, 223, 216, 209, 214, 219, 202, 213];

  it('fails a latency regression well beyond the margin', () => {
    const canary = baseline.map((x) => x * 1.45);
    const judgement = judgeMetric({ criteria: latency, data: { kind: 'latency', canary, baseline, points: 'percentile-points' }, look: singleLook(10) });
    expect(judgement.verdict).toBe('fail');
    expect(judgement.reason).toMatch(/p99 latency: median canary .* vs baseline .* \(×1\.45\); worse than the allowed ×1\.10/);
    expect(judgement.evidence).toMatchObject({ kind: 'latency', points: 'percentile-points', canaryCount: 20, baselineCount: 20, method: 'exact' });
  });

  it('passes a latency within the margin once enough points are in', () => {
    const canary = baseline.map((x) => x * 1.05);
    const judgement = judgeMetric({ criteria: latency, data: { kind: 'latency', canary, baseline, points: 'percentile-points' }, look: singleLook(10) });
    expect(judgement.verdict).toBe('pass');
  });

  it('is inconclusive on three points, with the points still needed', () => {
    const judgement = judgeMetric({
      criteria: latency,
      data: { kind: 'latency', canary: [300, 310, 305], baseline: [200, 210, 205], points: 'percentile-points' },
      look: { plannedInformation: 10, previousLooks: [], canaryRatePerSecond: 1 / 60 },
    });
    expect(judgement.verdict).toBe('inconclusive');
    expect(judgement.requestsNeeded).toBeGreaterThan(0);
    expect(judgement.secondsNeeded).toBeGreaterThan(60);
  });
});

describe('combineVerdicts', () => {
  const judgement = (metric: string, verdict: MetricJudgement['verdict'], critical = false, requestsNeeded?: number, secondsNeeded?: number): MetricJudgement =>
    ({
      metric,
      verdict,
      critical,
      reason: `${metric} ${verdict}`,
      evidence: {} as MetricJudgement['evidence'],
      look: { informationFraction: 0.5, boundaryZ: 3 },
      ...(requestsNeeded === undefined ? {} : { requestsNeeded }),
      ...(secondsNeeded === undefined ? {} : { secondsNeeded }),
    }) as MetricJudgement;

  it.each([
    ['all pass', [judgement('a', 'pass'), judgement('b', 'pass')], {}, 'pass'],
    ['a critical failure fails, whatever else', [judgement('a', 'fail', true), judgement('b', 'inconclusive')], { maxNonCriticalFailures: 5 }, 'fail'],
    ['a non-critical failure fails by default', [judgement('a', 'fail'), judgement('b', 'pass')], {}, 'fail'],
    ['a tolerated non-critical failure does not', [judgement('a', 'fail'), judgement('b', 'pass')], { maxNonCriticalFailures: 1 }, 'pass'],
    ['inconclusive never becomes pass', [judgement('a', 'pass'), judgement('b', 'inconclusive')], {}, 'inconclusive'],
    ['tolerated failure plus inconclusive is inconclusive', [judgement('a', 'fail'), judgement('b', 'inconclusive')], { maxNonCriticalFailures: 1 }, 'inconclusive'],
    ['no metrics is not a pass', [], {}, 'inconclusive'],
  ] as const)('%s', (_name, judgements, options, verdict) => {
    expect(combineVerdicts(judgements, options).verdict).toBe(verdict);
  });

  it('names the metrics and keeps the largest data requirement', () => {
    const combined = combineVerdicts([judgement('a', 'inconclusive', false, 100, 50), judgement('b', 'inconclusive', true, 900, 30), judgement('c', 'pass')]);
    expect(combined).toMatchObject({ verdict: 'inconclusive', inconclusive: ['a', 'b'], failed: [], requestsNeeded: 900, secondsNeeded: 50 });
    expect(combined.reason).toBe('a inconclusive; b inconclusive');
    expect(combineVerdicts([judgement('a', 'fail', true)]).reason).toBe('critical metric failed: a fail');
  });
});
