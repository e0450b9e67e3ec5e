import { parseRolloutRequest } from '../../shared/config/request';
import { MetricsJudge, readMetricData } from '../../shared/judges/metrics';
import { planRollout } from '../../shared/plan';
import { AwsWorld } from '../../sim/world';
import { getMetricData } from '../../sim/world/get-metric-data';
import { MetricStore } from '../../sim/world/metrics';

const MINUTE = 60_000;
const T0 = Date.parse('2030-01-07T09:00:00Z');
const duration = (version: string) => ({ namespace: 'AWS/Lambda', metricName: 'Duration', dimensions: { FunctionName: 'checkout', Resource: 'checkout:live', ExecutedVersion: version } });
const query = (id: string, stat: string, period = 60) => ({
  Id: id,
  MetricStat: {
    Metric: { Namespace: 'AWS/Lambda', MetricName: 'Duration', Dimensions: [{ Name: 'ExecutedVersion', Value: '42' }, { Name: 'FunctionName', Value: 'checkout' }, { Name: 'Resource', Value: 'checkout:live' }] },
    Period: period,
    Stat: stat,
  },
});

function storeWithLatencies(): MetricStore {
  const store = new MetricStore();
  // Minute 0: 90 requests at 100 ms and 10 at 300 ms; minute 1 nothing; minute 2: 100 at 100 ms.
  store.record(duration('42'), T0, { count: 100, sum: 12_000, min: 100, max: 300, histogram: new Map([[100, 90], [300, 10]]) });
  store.record(duration('42'), T0 + 2 * MINUTE, { count: 100, sum: 10_000, min: 100, max: 100, histogram: new Map([[100, 100]]) });
  return store;
}

describe('simulated GetMetricData', () => {
  it('answers one value per period with data, newest first by default, for counts, percentiles and trimmed counts', () => {
    const output = getMetricData(storeWithLatencies(), {
      MetricDataQueries: [query('count', 'SampleCount'), query('p99', 'p99'), query('slow', 'TC(250:)'), query('share', 'PR(:250)')],
      StartTime: new Date(T0 + 10_000),
      EndTime: new Date(T0 + 3 * MINUTE),
    });

    expect(output).toEqual({
      Messages: [],
      MetricDataResults: [
        { Id: 'count', Label: 'count', Timestamps: [new Date(T0 + 2 * MINUTE), new Date(T0)], Values: [100, 100], StatusCode: 'Complete' },
        { Id: 'p99', Label: 'p99', Timestamps: [new Date(T0 + 2 * MINUTE), new Date(T0)], Values: [100, 300], StatusCode: 'Complete' },
        { Id: 'slow', Label: 'slow', Timestamps: [new Date(T0 + 2 * MINUTE), new Date(T0)], Values: [0, 10], StatusCode: 'Complete' },
        { Id: 'share', Label: 'share', Timestamps: [new Date(T0 + 2 * MINUTE), new Date(T0)], Values: [100, 90], StatusCode: 'Complete' },
      ],
    });
  });

  it('aggregates longer periods from StartTime', () => {
    const output = getMetricData(storeWithLatencies(), {
      MetricDataQueries: [query('slow', 'TC(250:)', 180)],
      StartTime: new Date(T0),
      EndTime: new Date(T0 + 3 * MINUTE),
      ScanBy: 'TimestampAscending',
    }) as { MetricDataResults: Array<{ Values: number[] }> };

    expect(output.MetricDataResults[0]?.Values).toEqual([10]);
  });

  it('pages by MaxDatapoints with a NextToken, and refuses what CloudWatch would refuse', () => {
    const store = storeWithLatencies();
    const input = { MetricDataQueries: [query('count', 'SampleCount'), query('slow', 'TC(250:)')], StartTime: new Date(T0), EndTime: new Date(T0 + 3 * MINUTE), MaxDatapoints: 3 };
    const first = getMetricData(store, input) as { NextToken?: string; MetricDataResults: Array<{ Values: number[]; StatusCode: string }> };
    expect(first.NextToken).toBe('3');
    expect(first.MetricDataResults.map((r) => [r.Values, r.StatusCode])).toEqual([
      [[100, 100], 'Complete'],
      [[0], 'PartialData'],
    ]);
    const second = getMetricData(store, { ...input, NextToken: first.NextToken }) as typeof first;
    expect(second.NextToken).toBeUndefined();
    expect(second.MetricDataResults.map((r) => r.Values)).toEqual([[], [10]]);

    expect(() => getMetricData(store, { ...input, MetricDataQueries: [{ Id: 'm', Expression: 'SUM(METRICS())' }] })).toThrow(/does not evaluate expressions/);
    expect(() => getMetricData(store, { ...input, MetricDataQueries: [query('Bad', 'Sum')] })).toThrow(/Invalid query Id/);
    expect(() => getMetricData(store, { ...input, MetricDataQueries: [query('a', 'Sum', 30)] })).toThrow(/multiple of 60/);
  });

  it('serves the real SDK client and the metrics judge', async () => {
    const world = new AwsWorld(() => new Date(T0 + 10 * MINUTE));
    const undo = world.install();
    try {
      const version = (v: string) => ({ FunctionName: 'checkout', Resource: 'checkout:live', ExecutedVersion: v });
      for (let m = 0; m < 10; m += 1) {
        const atMs = T0 + m * MINUTE;
        world.cloudwatch.metrics.record({ namespace: 'AWS/Lambda', metricName: 'Invocations', dimensions: version('42') }, atMs, { count: 600, sum: 600, min: 1, max: 1 });
        world.cloudwatch.metrics.record({ namespace: 'AWS/Lambda', metricName: 'Errors', dimensions: version('42') }, atMs, { count: 600, sum: 12, min: 0, max: 1 });
        world.cloudwatch.metrics.record({ namespace: 'AWS/Lambda', metricName: 'Invocations', dimensions: version('41') }, atMs, { count: 5400, sum: 5400, min: 1, max: 1 });
        world.cloudwatch.metrics.record({ namespace: 'AWS/Lambda', metricName: 'Errors', dimensions: version('41') }, atMs, { count: 5400, sum: 27, min: 0, max: 1 });
      }
      // Through the SDK client: no Duration was published, so the series is empty, not an error.
      const series = await readMetricData([query('q0', 'SampleCount')], T0, T0 + 10 * MINUTE);
      expect(series.get('q0')?.size).toBe(0);
      expect(world.callsTo('GetMetricData')).toHaveLength(1);

      const request = parseRolloutRequest({
        target: { type: 'lambda-alias', functionName: 'checkout', alias: 'live', version: '42' },
        strategy: { weights: [10, 100], bakeSeconds: 600 },
        analysis: { metrics: [{ metric: 'errors' }] },
      });
      const result = await new MetricsJudge(request.analysis).measure({
        request,
        baseline: { version: '41' },
        plan: planRollout(request, { observable: true }),
        startedAt: new Date(T0).toISOString(),
        progress: { stepIndex: 0, extraBakes: 0, extraSeconds: 0, weight: 10, bakeSeconds: 600, lookSeconds: 60, shiftedAt: new Date(T0).toISOString(), shifts: [{ weight: 10, at: new Date(T0).toISOString() }] },
        window: { start: new Date(T0), end: new Date(T0 + 10 * MINUTE) },
        bakedSeconds: 600,
        memory: undefined,
      });
      expect(result.verdict).toBe('fail');
      expect(result.reason).toMatch(/errors: canary 2\.00% \(120\/6,000\) vs baseline 0\.50% \(270\/54,000\)/);
      expect(world.callsTo('GetMetricData')).toHaveLength(2);
    } finally {
      undo();
    }
  });
});
