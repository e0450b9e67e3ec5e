/**
 * The metrics judge's SLO gate and shadow checks, end to end over mocked GetMetricData: the gate reads the
 * errors check's canary counts (no query of its own), fails a canary that burns the budget as fast as its
 * baseline, and spends its alpha through the judge's memory; a shadow check is judged and reported, never acts.
 */
import { CloudWatchClient, GetMetricDataCommand, type GetMetricDataCommandInput, type MetricDataResult } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { parseRolloutRequest } from '../../../shared/config/request';
import { MetricsJudge } from '../../../shared/judges/metrics';
import type { AnalysisContext } from '../../../shared/judges/types';
import { planRollout } from '../../../shared/plan';

const cloudwatch = mockClient(CloudWatchClient);
beforeEach(() => cloudwatch.reset());

const MINUTE = 60_000;
const START = Date.parse('2030-01-07T09:00:00Z');
const at = (ms: number) => new Date(ms).toISOString();

/** Per minute and version: requests and errors of Lambda's Invocations and Errors (no Duration); the canary is version 42. */
function traffic(perMinute: Record<'canary' | 'baseline', { requests: number; errors: number }>) {
  return (input: GetMetricDataCommandInput) => {
    const start = (input.StartTime as Date).getTime();
    const end = (input.EndTime as Date).getTime();
    const results: MetricDataResult[] = (input.MetricDataQueries ?? []).map((q) => {
      const arm = perMinute[q.MetricStat?.Metric?.Dimensions?.find((d) => d.Name === 'ExecutedVersion')?.Value === '42' ? 'canary' : 'baseline'];
      const metric = q.MetricStat?.Metric?.MetricName;
      const value = metric === 'Errors' ? arm.errors : arm.requests;
      const minutes = metric === 'Duration' ? [] : Array.from({ length: (end - start) / MINUTE }, (_, i) => start + i * MINUTE);
      return { Id: q.Id, Label: q.Label, Timestamps: minutes.map((t) => new Date(t)), Values: minutes.map(() => value), StatusCode: 'Complete' };
    });
    return { MetricDataResults: results, $metadata: {} };
  };
}

function judgeAt(analysis: Record<string, unknown>, minutes: number, memory?: unknown) {
  const request = parseRolloutRequest({
    target: { type: 'lambda-alias', functionName: 'checkout', alias: 'live', version: '42' },
    strategy: { weights: [10, 50, 100], bakeSeconds: 600 },
    analysis,
  });
  const shifts = [{ weight: 10, at: at(START) }, ...(minutes > 10 ? [{ weight: 50, at: at(START + 10 * MINUTE) }] : [])];
  const last = shifts.at(-1) as { weight: number; at: string };
  const context: AnalysisContext = {
    request,
    baseline: { version: '41' },
    plan: planRollout(request, { observable: true }),
    startedAt: at(START),
    progress: { stepIndex: shifts.length - 1, extraBakes: 0, extraSeconds: 0, weight: last.weight, bakeSeconds: 600, lookSeconds: 60, shiftedAt: last.at, shifts },
    window: { start: new Date(last.at), end: new Date(START + minutes * MINUTE) },
    bakedSeconds: (START + minutes * MINUTE - Date.parse(last.at)) / 1000,
    memory,
  };
  return new MetricsJudge(request.analysis).measure(context);
}

const SLO = { objective: 0.999, maxBurnRate: 2 };

describe('the SLO gate', () => {
  it('fails a canary that burns 3× the budget although its baseline burns as fast, and reads nothing more than the errors check', async () => {
    // 0.3 % errors on both versions: canary and baseline agree, the budget does not.
    cloudwatch.on(GetMetricDataCommand).callsFake(traffic({ canary: { requests: 6_000, errors: 18 }, baseline: { requests: 54_000, errors: 162 } }));

    const result = await judgeAt({ metrics: [{ metric: 'errors' }], slo: SLO }, 10);

    expect(result.verdict).toBe('fail');
    expect(result.reason).toMatch(/^critical metric failed: SLO 99\.9 %: canary 0\.300 % errors \(180\/60,000\)/);
    expect(result.reason).toContain('burning the error budget 3×; faster than the allowed at most 2× (0.200 % errors)');
    const metrics = result.evidence.metrics as Array<{ metric: string; verdict: string }>;
    expect(metrics).toEqual([expect.objectContaining({ metric: 'errors', verdict: 'pass' })]);
    expect(result.evidence).toMatchObject({ canaryRequests: 60_000, slo: { metric: 'SLO 99.9 %', check: 'errors', verdict: 'fail', evidence: { kind: 'burn-rate', canary: { requests: 60_000, failures: 180 } } } });
    expect(cloudwatch).toHaveReceivedCommandTimes(GetMetricDataCommand, 1);
    expect(cloudwatch.commandCalls(GetMetricDataCommand)[0]?.args[0].input.MetricDataQueries).toHaveLength(4);
  });

  it('passes a canary burning half the budget once it has enough requests, and is inconclusive before', async () => {
    cloudwatch.on(GetMetricDataCommand).callsFake(traffic({ canary: { requests: 100, errors: 0 }, baseline: { requests: 900, errors: 0 } }));
    const early = await judgeAt({ metrics: [{ metric: 'errors' }], slo: SLO }, 2);
    expect(early.verdict).toBe('inconclusive');
    expect(early.reason).toMatch(/SLO 99\.9 %: not enough data to judge: 200 canary requests, [\d,]+ more needed to catch a burn of 4×/);

    cloudwatch.reset();
    cloudwatch.on(GetMetricDataCommand).callsFake(traffic({ canary: { requests: 10_000, errors: 5 }, baseline: { requests: 90_000, errors: 45 } }));
    const later = await judgeAt({ metrics: [{ metric: 'errors' }], slo: SLO }, 10, early.memory);
    expect(later.verdict).toBe('pass');
    expect(later.reason).toContain('SLO 99.9 %: canary 0.050 % errors (50/100,000), burning the error budget 0.5×; no evidence of burning faster');
  });

  it('spends its alpha across looks through the judge memory: planned canary requests fixed at the first look, looks remembered', async () => {
    cloudwatch.on(GetMetricDataCommand).callsFake(traffic({ canary: { requests: 100, errors: 0 }, baseline: { requests: 900, errors: 1 } }));
    const first = await judgeAt({ metrics: [{ metric: 'errors' }], slo: SLO }, 5);
    const memory = JSON.parse(JSON.stringify(first.memory)) as { slo: { planned: number; looks: number[][] } };
    // 1,000 req/s·s for 600 s at 10 % and 600 s at 50 %: 1000/60 · (60 + 300) = 6,000 canary requests planned.
    expect(memory.slo.planned).toBeCloseTo(6_000, 6);
    expect(memory.slo.looks).toHaveLength(1);
    expect(memory.slo.looks[0]?.[0]).toBeCloseTo(500 / 6_000, 10);

    const second = await judgeAt({ metrics: [{ metric: 'errors' }], slo: SLO }, 10, memory);
    const next = second.memory as { slo: { planned: number; looks: number[][] } };
    expect(next.slo.planned).toBe(memory.slo.planned);
    expect(next.slo.looks).toHaveLength(2);
    // The second look's boundary is lower than a first look's at the same fraction would be, and above the fixed-sample z.
    expect(next.slo.looks[1]?.[1]).toBeGreaterThan(2.3263);
  });

  it('refuses a request whose SLO has no errors check to read, or a bad objective, saying how to fix it', () => {
    const parse = (analysis: object) => () =>
      parseRolloutRequest({ target: { type: 'lambda-alias', functionName: 'checkout', alias: 'live', version: '42' }, strategy: { preset: 'canary10-5m' }, analysis });
    expect(parse({ slo: SLO })).toThrow(/analysis\.slo: the SLO reads the canary's error rate from an errors check: add \{"metric": "errors"\} to analysis\.metrics/);
    expect(parse({ metrics: [{ metric: 'latency-p99' }], slo: { ...SLO, check: 'latency-p99' } })).toThrow(/slo\.check names "latency-p99", which does not count errors/);
    expect(parse({ metrics: [{ metric: 'errors' }], slo: { ...SLO, check: 'mesh' } })).toThrow(/slo\.check names "mesh", which is not in analysis\.metrics/);
    expect(parse({ metrics: [{ metric: 'errors' }], slo: { objective: 1, maxBurnRate: 2 } })).toThrow(/analysis\.slo\.objective: objective must be below 1: an objective of 1 leaves no error budget to burn/);
    expect(parse({ metrics: [{ metric: 'errors' }], slo: { objective: 0.999, maxBurnRate: 0 } })).toThrow(/analysis\.slo\.maxBurnRate: maxBurnRate must be above 0/);
    expect(parse({ metrics: [{ metric: 'errors' }], slo: { objective: 0.5, maxBurnRate: 3 } })).toThrow(/maxBurnRate × \(1 − objective\) is the highest error rate allowed; 3 × 0\.5 is 100 % or more/);
    expect(parse({ metrics: [{ metric: 'errors' }], slo: { objective: 0.999 } })).toThrow(/analysis\.slo\.maxBurnRate: required: how many times the error budget the canary may burn/);
  });
});

describe('shadow checks (dryRun)', () => {
  it('judges and reports a failing shadow check without failing the analysis', async () => {
    // The canary doubles its errors: the errors check would fail it.
    cloudwatch.on(GetMetricDataCommand).callsFake(traffic({ canary: { requests: 6_000, errors: 60 }, baseline: { requests: 54_000, errors: 270 } }));

    const shadow = await judgeAt({ metrics: [{ metric: 'errors', dryRun: true }] }, 10);

    expect(shadow.verdict).toBe('pass');
    expect(shadow.reason).toMatch(/^no acting metric check \(every one is dryRun\): the metrics judge does not decide; shadow check\(s\), dryRun, not acting: errors would fail: errors: canary 1\.00%/);
    expect(shadow.evidence).toMatchObject({ shadow: [{ metric: 'errors', verdict: 'fail' }], metrics: [expect.objectContaining({ metric: 'errors', verdict: 'fail', dryRun: true })] });

    const acting = await judgeAt({ metrics: [{ metric: 'errors' }] }, 10);
    expect(acting.verdict).toBe('fail');
  });

  it('keeps an inconclusive shadow check from making the analysis inconclusive', async () => {
    cloudwatch.on(GetMetricDataCommand).callsFake(traffic({ canary: { requests: 6_000, errors: 30 }, baseline: { requests: 54_000, errors: 270 } }));

    const result = await judgeAt({ metrics: [{ metric: 'errors' }, { metric: 'latency-p99', dryRun: true }] }, 10);

    expect(result.verdict).toBe('pass');
    expect(result.reason).toContain('shadow check(s), dryRun, not acting: latency-p99 would be inconclusive');
    expect(result.evidence).not.toHaveProperty('requestsNeeded');
  });
});
