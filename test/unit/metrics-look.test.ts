/**
 * judgeLook, the metrics judge's pure step: counts per split window in, a verdict, its evidence and the
 * judge's memory out. No AWS (test/unit/metrics-judge.test.ts drives the judge that reads the counts).
 */
import { parseRolloutRequest } from '../../shared/config/request';
import { judgeLook, resolveChecks, type CheckData, type LookInput, type MetricsMemory } from '../../shared/judges/metrics';
import type { WindowCounts } from '../../shared/judges/metrics/queries';

const request = parseRolloutRequest({
  target: { type: 'lambda-alias', functionName: 'checkout', alias: 'live', version: '42' },
  strategy: { weights: [10, 50, 100], bakeSeconds: 600 },
  analysis: { metrics: [{ metric: 'errors' }] },
});
const checks = resolveChecks(request.analysis.metrics, { target: request.target, baselineVersion: '41' });
const WINDOW = { weight: 10, startMs: Date.parse('2030-01-07T09:00:00Z'), endMs: Date.parse('2030-01-07T09:10:00Z'), seconds: 600 };

/** One ten-minute window at 10 %: `canary` and `baseline` as [requests, errors]. */
function counts(canary: readonly [number, number], baseline: readonly [number, number]): WindowCounts {
  return {
    canary: { successes: canary[0] - canary[1], failures: canary[1] },
    baseline: { successes: baseline[0] - baseline[1], failures: baseline[1] },
    periods: 10,
  };
}

function look(data: CheckData | undefined, memory?: unknown): ReturnType<typeof judgeLook> {
  const input: LookInput = {
    checks,
    windows: [WINDOW],
    data: new Map(data === undefined ? [] : [['errors', data]]),
    memory,
    steps: [
      { weight: 10, bakeSeconds: 600 },
      { weight: 50, bakeSeconds: 600 },
    ],
    weightNow: 10,
    completedSteps: 0,
    maxNonCriticalFailures: 0,
  };
  return judgeLook(input);
}

describe('judgeLook: one look of the metrics judge', () => {
  it.each<[string, CheckData | undefined, 'pass' | 'fail' | 'inconclusive', RegExp]>([
    ['no data read for the check', undefined, 'inconclusive', /errors: cannot judge: no data was read for this check/],
    ['the source could not give counts', { unavailable: 'the query timed out' }, 'inconclusive', /errors: cannot judge: the query timed out/],
    ['no traffic at all', { counts: [counts([0, 0], [0, 0])] }, 'inconclusive', /^errors: not enough data to judge: no canary requests yet/],
    ['a canary with twice the errors on plenty of traffic', { counts: [counts([60_000, 1_200], [540_000, 5_400])] }, 'fail', /^critical metric failed: errors: canary 2\.00% \(1,200\/60,000\) vs baseline 1\.00%/],
    ['a healthy canary on plenty of traffic', { counts: [counts([60_000, 600], [540_000, 5_400])] }, 'pass', /^errors: canary 1\.00% .* no evidence of worse/],
    ['a healthy canary on too little traffic', { counts: [counts([20, 0], [180, 2])] }, 'inconclusive', /^errors: not enough data to judge: 20 canary requests, [\d,]+ more needed/],
  ])('%s', (_label, data, verdict, reason) => {
    const { result, judgements } = look(data);
    expect(result).toMatchObject({ judge: 'metrics', verdict, reason: expect.stringMatching(reason) });
    expect(judgements.map((j) => j.verdict)).toEqual([verdict]);
    expect(result.evidence).toMatchObject({ metrics: [expect.objectContaining({ metric: 'errors', verdict })] });
  });

  it('says how many canary requests are still needed when the sample is too small', () => {
    const { result } = look({ counts: [counts([20, 0], [180, 2])] });
    expect(result.evidence).toMatchObject({ requestsNeeded: expect.any(Number) });
    expect(result.evidence.requestsNeeded as number).toBeGreaterThan(20);
  });

  it('fixes the planned information at the first look with traffic and remembers the look', () => {
    const first = look({ counts: [counts([60_000, 600], [540_000, 5_400])] });
    const memory: MetricsMemory = first.result.memory;
    expect(memory.checks.errors).toEqual({ planned: expect.any(Number), looks: [[expect.any(Number), expect.any(Number), expect.any(Number)]] });
    const [errors] = first.result.evidence.metrics as Array<{ evidence: { alphaSpent: number } }>;
    expect(memory.checks.errors?.looks[0]?.[2]).toBe(errors?.evidence.alphaSpent);

    const second = look({ counts: [counts([120_000, 1_200], [1_080_000, 10_800])] }, memory);
    expect(second.result.memory.checks.errors?.planned).toBe(memory.checks.errors?.planned);
    expect(second.result.memory.checks.errors?.looks).toHaveLength(2);
  });

  it('plans nothing and spends nothing before any traffic: the memory keeps no look', () => {
    expect(look({ counts: [counts([0, 0], [0, 0])] }).result.memory.checks.errors).toEqual({ looks: [] });
    expect(look({ unavailable: 'the query timed out' }).result.memory.checks.errors).toEqual({ looks: [] });
  });

  it('refuses memory of another shape: a bug, not "no memory"', () => {
    expect(() => look(undefined, { looks: [] })).toThrow(/metrics: unexpected memory/);
  });
});
