import { CloudWatchClient, CloudWatchServiceException, GetMetricDataCommand, type GetMetricDataCommandInput, type MetricDataResult } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { parseRolloutRequest, type RolloutRequestInput } from '../../shared/config/request';
import { AwsThrottled, AwsUnavailable } from '../../shared/errors';
import { completedSteps, MetricsJudge } from '../../shared/judges/metrics';
import { judgesFor } from '../../shared/judges/registry';
import type { AnalysisContext, JudgeResult } from '../../shared/judges/types';
import { planRollout } from '../../shared/plan';
import type { Shift } from '../../shared/rollout';

const cloudwatch = mockClient(CloudWatchClient);
beforeEach(() => cloudwatch.reset());

const MINUTE = 60_000;
const START = Date.parse('2030-01-07T09:00:00Z');
const at = (ms: number) => new Date(ms).toISOString();

const lambdaTarget = { type: 'lambda-alias', functionName: 'checkout', alias: 'live', version: '42' } as const;

function requestWith(metrics: unknown[], overrides: Partial<RolloutRequestInput> = {}) {
  return parseRolloutRequest({ target: lambdaTarget, strategy: { weights: [10, 50, 100], bakeSeconds: 600 }, analysis: { metrics }, ...overrides });
}

interface ContextOptions {
  readonly shifts: readonly Shift[];
  readonly nowMs: number;
  readonly memory?: unknown;
  readonly metrics?: unknown[];
  readonly request?: ReturnType<typeof parseRolloutRequest>;
}

function contextFor(options: ContextOptions): { judge: MetricsJudge; context: AnalysisContext } {
  const request = options.request ?? requestWith(options.metrics ?? [{ metric: 'errors' }]);
  const last = options.shifts.at(-1);
  const context: AnalysisContext = {
    request,
    baseline: { version: '41' },
    plan: planRollout(request, { observable: true }),
    startedAt: at(START),
    progress: {
      stepIndex: options.shifts.length - 1,
      extraBakes: 0,
      extraSeconds: 0,
      weight: last?.weight ?? 0,
      bakeSeconds: 600,
      lookSeconds: 60,
      shiftedAt: last?.at ?? null,
      shifts: options.shifts,
    },
    window: { start: new Date(last?.at ?? START), end: new Date(options.nowMs) },
    bakedSeconds: (options.nowMs - (last === undefined ? START : Date.parse(last.at))) / 1000,
    memory: options.memory,
  };
  return { judge: new MetricsJudge(request.analysis), context };
}

const dims = (version?: string) => [
  { Name: 'ExecutedVersion', Value: version },
  { Name: 'FunctionName', Value: 'checkout' },
  { Name: 'Resource', Value: 'checkout:live' },
].filter((d) => d.Value !== undefined);

/** Answers each query from per-minute values by metric, version and statistic. */
function answer(values: (metric: string, version: string | undefined, stat: string, minuteMs: number) => number | undefined) {
  return (input: GetMetricDataCommandInput) => {
    const start = (input.StartTime as Date).getTime();
    const end = (input.EndTime as Date).getTime();
    const results: MetricDataResult[] = (input.MetricDataQueries ?? []).map((q) => {
      const metric = q.MetricStat?.Metric?.MetricName as string;
      const version = q.MetricStat?.Metric?.Dimensions?.find((d) => d.Name === 'ExecutedVersion')?.Value;
      const timestamps: Date[] = [];
      const series: number[] = [];
      for (let t = start; t < end; t += MINUTE) {
        const v = values(metric, version, q.MetricStat?.Stat as string, t);
        if (v !== undefined) {
          timestamps.push(new Date(t));
          series.push(v);
        }
      }
      return { Id: q.Id, Label: q.Label, Timestamps: timestamps, Values: series, StatusCode: 'Complete' };
    });
    return { MetricDataResults: results, $metadata: {} };
  };
}

/** Steady traffic: per minute, the canary serves `canary` requests with `canaryErrors` errors, the baseline likewise. */
function steady(perMinute: { canary: number; canaryErrors: number; baseline: number; baselineErrors: number }) {
  return answer((metric, version, stat) => {
    const canary = version === '42';
    if (metric === 'Invocations') return canary ? perMinute.canary : perMinute.baseline;
    if (metric === 'Errors') return canary ? perMinute.canaryErrors : perMinute.baselineErrors;
    if (metric === 'Throttles') return undefined;
    throw new Error(`unexpected ${metric} ${stat}`);
  });
}

describe('the GetMetricData queries of a look', () => {
  it('reads Invocations and Errors of each version behind the alias, per minute, from the first shift to now, in one call', async () => {
    cloudwatch.on(GetMetricDataCommand).callsFake(steady({ canary: 600, canaryErrors: 3, baseline: 5400, baselineErrors: 27 }));
    const { judge, context } = contextFor({
      shifts: [
        { weight: 10, at: at(START + 10_000) },
        { weight: 50, at: at(START + 10 * MINUTE + 5_000) },
      ],
      nowMs: START + 20 * MINUTE + 2_000,
    });

    await judge.measure(context);

    expect(cloudwatch).toHaveReceivedCommandTimes(GetMetricDataCommand, 1);
    const metricStat = (name: string, version: string) => ({
      Metric: { Namespace: 'AWS/Lambda', MetricName: name, Dimensions: dims(version) },
      Period: 60,
      Stat: 'Sum',
    });
    expect(cloudwatch).toHaveReceivedCommandWith(GetMetricDataCommand, {
      StartTime: new Date(START),
      EndTime: new Date(START + 20 * MINUTE),
      ScanBy: 'TimestampAscending',
      MetricDataQueries: [
        { Id: 'q0', Label: 'errors canary failures', MetricStat: metricStat('Errors', '42'), ReturnData: true },
        { Id: 'q1', Label: 'errors canary requests', MetricStat: metricStat('Invocations', '42'), ReturnData: true },
        { Id: 'q2', Label: 'errors baseline failures', MetricStat: metricStat('Errors', '41'), ReturnData: true },
        { Id: 'q3', Label: 'errors baseline requests', MetricStat: metricStat('Invocations', '41'), ReturnData: true },
      ],
    });
  });

  it('counts each split window apart: minutes are assigned to the split that held them', async () => {
    // 10 % for ten minutes, then 50 %: the canary's share of requests shows which window a minute went to.
    cloudwatch.on(GetMetricDataCommand).callsFake(
      answer((metric, version, _stat, t) => {
        const split = t < START + 10 * MINUTE ? 0.1 : 0.5;
        const requests = version === '42' ? 1000 * split : 1000 * (1 - split);
        return metric === 'Invocations' ? requests : metric === 'Errors' ? requests * 0.01 : undefined;
      }),
    );
    const { judge, context } = contextFor({
      shifts: [
        { weight: 10, at: at(START) },
        { weight: 50, at: at(START + 10 * MINUTE + 20_000) },
      ],
      nowMs: START + 15 * MINUTE,
    });

    const result = await judge.measure(context);

    expect(result.evidence.windows).toEqual([
      { weight: 10, from: at(START), to: at(START + 10 * MINUTE) },
      { weight: 50, from: at(START + 10 * MINUTE), to: at(START + 15 * MINUTE) },
    ]);
    const [errors] = result.evidence.metrics as Array<{ windows: unknown }>;
    expect(errors?.windows).toEqual([
      { weight: 10, canary: { requests: 1000, failures: 10 }, baseline: { requests: 9000, failures: 90 } },
      { weight: 50, canary: { requests: 2500, failures: 25 }, baseline: { requests: 2500, failures: 25 } },
    ]);
  });

  it('follows NextToken to the last page and adds the pages up', async () => {
    const minutes = [0, 1, 2, 3, 4].map((m) => new Date(START + m * MINUTE));
    const page = (ids: Record<string, number>, range: Date[]): MetricDataResult[] =>
      Object.entries(ids).map(([Id, value]) => ({ Id, Timestamps: range, Values: range.map(() => value), StatusCode: 'PartialData' }));
    cloudwatch
      .on(GetMetricDataCommand)
      .resolvesOnce({ MetricDataResults: page({ q0: 1, q1: 100, q2: 2, q3: 900 }, minutes.slice(0, 3)), NextToken: 'page-2' })
      .resolvesOnce({ MetricDataResults: page({ q0: 1, q1: 100, q2: 2, q3: 900 }, minutes.slice(3)) });
    const { judge, context } = contextFor({ shifts: [{ weight: 10, at: at(START) }], nowMs: START + 5 * MINUTE });

    const result = await judge.measure(context);

    expect(cloudwatch).toHaveReceivedCommandTimes(GetMetricDataCommand, 2);
    expect(cloudwatch).toHaveReceivedNthCommandWith(2, GetMetricDataCommand, { NextToken: 'page-2' });
    const [errors] = result.evidence.metrics as Array<{ windows: unknown }>;
    expect(errors?.windows).toEqual([{ weight: 10, canary: { requests: 500, failures: 5 }, baseline: { requests: 4500, failures: 10 } }]);
  });

  it('throttling surfaces as AwsThrottled (the state machine retries it), a query CloudWatch could not compute as AwsUnavailable', async () => {
    const { judge, context } = contextFor({ shifts: [{ weight: 10, at: at(START) }], nowMs: START + 5 * MINUTE });
    cloudwatch.on(GetMetricDataCommand).rejects(new CloudWatchServiceException({ name: 'Throttling', $fault: 'client', message: 'Rate exceeded', $metadata: {} }));
    await expect(judge.measure(context)).rejects.toBeInstanceOf(AwsThrottled);

    cloudwatch.reset();
    cloudwatch.on(GetMetricDataCommand).resolves({ MetricDataResults: [{ Id: 'q0', StatusCode: 'InternalError', Messages: [{ Code: 'InternalError', Value: 'try again' }] }] });
    await expect(judge.measure(context)).rejects.toBeInstanceOf(AwsUnavailable);
  });
});

describe('verdicts', () => {
  it('no data is inconclusive, never a pass, and says what is missing', async () => {
    cloudwatch.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });
    const { judge, context } = contextFor({ shifts: [{ weight: 10, at: at(START) }], nowMs: START + 10 * MINUTE });

    const result = await judge.measure(context);

    expect(result.verdict).toBe('inconclusive');
    expect(result.reason).toMatch(/errors: not enough data to judge: no canary requests yet/);
  });

  it('before the first shift there is no window, and nothing is read: inconclusive', async () => {
    const { judge, context } = contextFor({ shifts: [], nowMs: START + MINUTE });

    const result = await judge.measure(context);

    expect(result.verdict).toBe('inconclusive');
    expect(cloudwatch).toHaveReceivedCommandTimes(GetMetricDataCommand, 0);
  });

  it('too little traffic is inconclusive with the canary requests still needed and the time they take at the current rate', async () => {
    // 1 request per minute on the canary.
    cloudwatch.on(GetMetricDataCommand).callsFake(steady({ canary: 1, canaryErrors: 0, baseline: 9, baselineErrors: 0 }));
    const { judge, context } = contextFor({ shifts: [{ weight: 10, at: at(START) }], nowMs: START + 10 * MINUTE });

    const result = await judge.measure(context);

    expect(result.verdict).toBe('inconclusive');
    expect(result.evidence.requestsNeeded).toBeGreaterThan(1000);
    // At one canary request a minute.
    expect(result.evidence.secondsNeeded).toBeCloseTo((result.evidence.requestsNeeded as number) * 60, -2);
  });

  it('fails a canary with twice the errors, with the evidence a person needs', async () => {
    cloudwatch.on(GetMetricDataCommand).callsFake(steady({ canary: 600, canaryErrors: 12, baseline: 5400, baselineErrors: 27 }));
    const { judge, context } = contextFor({ shifts: [{ weight: 10, at: at(START) }], nowMs: START + 10 * MINUTE });

    const result = await judge.measure(context);

    expect(result).toMatchObject({ judge: 'metrics', verdict: 'fail' });
    expect(result.reason).toMatch(/critical metric failed: errors: canary 2\.00% \(120\/6,000\) vs baseline 0\.50% \(270\/54,000\)/);
    const [errors] = result.evidence.metrics as Array<Record<string, unknown>>;
    expect(errors).toMatchObject({
      metric: 'errors',
      verdict: 'fail',
      critical: true,
      evidence: {
        kind: 'errors',
        canary: { requests: 6000, failures: 120 },
        baseline: { requests: 54000, failures: 270 },
        ratio: 4,
        pValue: expect.any(Number),
        threshold: expect.any(Number),
        informationFraction: expect.any(Number),
      },
    });
    // The evidence travels in the execution state: plain JSON.
    expect(JSON.parse(JSON.stringify(result))).toEqual(result);
  });

  it('passes a healthy canary once the sample can show a doubling', async () => {
    cloudwatch.on(GetMetricDataCommand).callsFake(steady({ canary: 600, canaryErrors: 3, baseline: 5400, baselineErrors: 27 }));
    const { judge, context } = contextFor({ shifts: [{ weight: 10, at: at(START) }], nowMs: START + 10 * MINUTE });

    const result = await judge.measure(context);

    expect(result.verdict).toBe('pass');
    expect(result.reason).toMatch(/errors: canary 0\.50% \(30\/6,000\) vs baseline 0\.50%/);
  });
});

describe('memory between looks', () => {
  it('keeps the planned information and every look, and hands them to the next look', async () => {
    cloudwatch.on(GetMetricDataCommand).callsFake(steady({ canary: 600, canaryErrors: 3, baseline: 5400, baselineErrors: 27 }));
    const first = contextFor({ shifts: [{ weight: 10, at: at(START) }], nowMs: START + 10 * MINUTE });
    const one = (await first.judge.measure(first.context)) as JudgeResult & { memory: { checks: Record<string, { planned: number; looks: number[][] }> } };
    const planned = one.memory.checks.errors?.planned as number;
    // 100 requests/s over the plan: 10 % for 600 s, then 50 % for 600 s.
    expect(planned).toBeCloseTo(100 * 600 * (0.1 * 0.9 + 0.5 * 0.5), 6);
    expect(one.memory.checks.errors?.looks).toHaveLength(1);

    const second = contextFor({
      shifts: [
        { weight: 10, at: at(START) },
        { weight: 50, at: at(START + 10 * MINUTE) },
      ],
      nowMs: START + 20 * MINUTE,
      memory: JSON.parse(JSON.stringify(one.memory)),
    });
    const two = (await second.judge.measure(second.context)) as typeof one;
    expect(two.memory.checks.errors?.planned).toBe(planned);
    expect(two.memory.checks.errors?.looks).toHaveLength(2);
    expect(two.memory.checks.errors?.looks[0]).toEqual(one.memory.checks.errors?.looks[0]);
    // The small memory fits easily in the 256 KB execution state.
    expect(JSON.stringify(two.memory).length).toBeLessThan(500);
  });
});

describe('the steps whose bake is over, for stepwise alpha spending', () => {
  const steps = [{ bakeSeconds: 300 }, { bakeSeconds: 600 }];
  it.each([
    [0, 0, 0],
    [0, 240, 0],
    [0, 300, 1],
    [0, 900, 1],
    [1, 0, 1],
    [1, 599, 1],
    [1, 600, 2],
    [2, 0, 2],
  ])('step %p baked %p s: %p completed', (stepIndex, bakedSeconds, expected) => {
    expect(completedSteps(steps, stepIndex, bakedSeconds)).toBe(expected);
  });
});

describe('latency checks', () => {
  const latency = [{ metric: 'latency-p99', allowedIncrease: 0.1 }];

  it("read the threshold (the alias's p99 in the hour before the rollout) once, then count requests over it", async () => {
    cloudwatch.on(GetMetricDataCommand).callsFake(
      answer((metric, version, stat, t) => {
        if (stat === 'p99') return t < START ? 250 : undefined;
        if (stat === 'SampleCount') return version === '42' ? 600 : 5400;
        if (stat.startsWith('TC(')) return version === '42' ? 6 : 54;
        throw new Error(`unexpected ${metric} ${stat}`);
      }),
    );
    const { judge, context } = contextFor({ shifts: [{ weight: 10, at: at(START) }], nowMs: START + 10 * MINUTE, metrics: latency });

    const result = await judge.measure(context);

    expect(cloudwatch).toHaveReceivedCommandTimes(GetMetricDataCommand, 2);
    expect(cloudwatch).toHaveReceivedNthCommandWith(1, GetMetricDataCommand, {
      StartTime: new Date(START - 60 * MINUTE),
      EndTime: new Date(START + 10 * MINUTE),
      MetricDataQueries: [
        {
          Id: 't0',
          Label: 'latency-p99 threshold',
          MetricStat: { Metric: { Namespace: 'AWS/Lambda', MetricName: 'Duration', Dimensions: dims() }, Period: 60, Stat: 'p99' },
          ReturnData: true,
        },
      ],
    });
    const tc = (version: string, threshold: string) => ({ Metric: { Namespace: 'AWS/Lambda', MetricName: 'Duration', Dimensions: dims(version) }, Period: 60, Stat: `TC(${threshold}:)` });
    expect(cloudwatch).toHaveReceivedNthCommandWith(2, GetMetricDataCommand, {
      MetricDataQueries: expect.arrayContaining([
        expect.objectContaining({ MetricStat: tc('42', '275') }),
        expect.objectContaining({ MetricStat: tc('41', '250') }),
        expect.objectContaining({ MetricStat: expect.objectContaining({ Stat: 'SampleCount' }) }),
      ]),
    });
    const [check] = result.evidence.metrics as Array<Record<string, unknown>>;
    expect(check).toMatchObject({
      metric: 'latency-p99',
      thresholds: { percentile: 99, baseline: 250, canary: 275, source: 'before-rollout', periods: 60 },
      evidence: { kind: 'slow-requests', canary: { requests: 6000, failures: 60 } },
    });
    expect(result.reason).toMatch(/latency-p99 \(share over 250, canary over 275\)/);

    // The next look uses the remembered threshold: one call.
    cloudwatch.resetHistory();
    await judge.measure({ ...context, memory: result.memory });
    expect(cloudwatch).toHaveReceivedCommandTimes(GetMetricDataCommand, 1);
  });

  it('a metric without trimmed counts (published as statistic sets) is inconclusive, not "no slow requests"', async () => {
    cloudwatch.on(GetMetricDataCommand).callsFake(
      answer((_metric, _version, stat, t) => (stat === 'p99' ? (t < START ? 250 : undefined) : stat === 'SampleCount' ? 100 : undefined)),
    );
    const { judge, context } = contextFor({ shifts: [{ weight: 10, at: at(START) }], nowMs: START + 10 * MINUTE, metrics: latency });

    const result = await judge.measure(context);

    expect(result.verdict).toBe('inconclusive');
    expect(result.reason).toMatch(/no trimmed counts/);
  });

  it('without any latency data there is no threshold: inconclusive', async () => {
    cloudwatch.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });
    const { judge, context } = contextFor({ shifts: [{ weight: 10, at: at(START) }], nowMs: START + 10 * MINUTE, metrics: latency });

    const result = await judge.measure(context);

    expect(result.verdict).toBe('inconclusive');
    expect(result.reason).toMatch(/latency-p99: cannot judge: no p99 data yet/);
  });
});

describe('query pairs for other targets', () => {
  it('read the metrics the request names, with a Metrics Insights query given its period', async () => {
    const request = parseRolloutRequest({
      target: { type: 'cloudfront-kvs', kvsArn: 'arn:aws:cloudfront::123456789012:key-value-store/abc' },
      strategy: { weights: [10, 100], bakeSeconds: 600 },
      analysis: {
        metrics: [
          {
            name: 'mesh errors',
            kind: 'errors',
            canary: {
              errors: { namespace: 'Coalmine/Mesh', metricName: 'Errors', dimensions: { Service: 'checkout', Deployment: 'green' } },
              requests: { expression: "SELECT SUM(Invocations) FROM \"Coalmine/Mesh\" WHERE Deployment = 'green'" },
            },
            baseline: {
              errors: { namespace: 'Coalmine/Mesh', metricName: 'Errors', dimensions: { Service: 'checkout', Deployment: 'blue' } },
              requests: { namespace: 'Coalmine/Mesh', metricName: 'Invocations', dimensions: { Service: 'checkout', Deployment: 'blue' } },
            },
          },
        ],
      },
    });
    cloudwatch.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });
    const { judge, context } = contextFor({ shifts: [{ weight: 10, at: at(START) }], nowMs: START + 10 * MINUTE, request });

    await judge.measure(context);

    expect(cloudwatch).toHaveReceivedCommandWith(GetMetricDataCommand, {
      MetricDataQueries: [
        expect.objectContaining({
          Id: 'q0',
          MetricStat: {
            Metric: { Namespace: 'Coalmine/Mesh', MetricName: 'Errors', Dimensions: [{ Name: 'Deployment', Value: 'green' }, { Name: 'Service', Value: 'checkout' }] },
            Period: 60,
            Stat: 'Sum',
          },
        }),
        expect.objectContaining({ Id: 'q1', Expression: "SELECT SUM(Invocations) FROM \"Coalmine/Mesh\" WHERE Deployment = 'green'", Period: 60 }),
        expect.objectContaining({ Id: 'q2' }),
        expect.objectContaining({ Id: 'q3' }),
      ],
    });
  });
});

describe('registry', () => {
  it('runs the metrics judge when the request has metrics, beside the alarm judge when it has alarms', () => {
    const both = requestWith([{ metric: 'errors' }], {});
    expect(judgesFor({ ...both.analysis, alarms: ['checkout-errors'] }, both.target).map((j) => j.name)).toEqual(['cloudwatch-alarms', 'metrics']);
    expect(judgesFor({ ...both.analysis, metrics: [] }, both.target).map((j) => j.name)).toEqual([]);
  });
});
