import { CloudWatchWorld, type MetricAlarmDefinition, type TreatMissingData } from '../../sim/world/cloudwatch';
import { MetricStore } from '../../sim/world/metrics';

const MINUTE = 60_000;
const errors = { namespace: 'AWS/Lambda', metricName: 'Errors', dimensions: { FunctionName: 'checkout', ExecutedVersion: '42' } };
const invocations = { ...errors, metricName: 'Invocations' };

describe('MetricStore', () => {
  it('keeps one datapoint per minute and series, whatever the order of the dimensions', () => {
    const store = new MetricStore();
    store.record(errors, 10_000, { count: 10, sum: 2, min: 0, max: 1 });
    store.record({ ...errors, dimensions: { ExecutedVersion: '42', FunctionName: 'checkout' } }, 50_000, { count: 5, sum: 1, min: 0, max: 1 });
    store.record(errors, MINUTE + 1, { count: 5, sum: 0, min: 0, max: 0 });

    expect(store.datapoints(errors, 0, 2 * MINUTE).map((p) => [p.timestamp, p.sampleCount, p.sum])).toEqual([
      [0, 15, 3],
      [MINUTE, 5, 0],
    ]);
    expect(store.statistic(errors, 'Sum', 0, 2 * MINUTE)).toBe(3);
    expect(store.statistic(errors, 'SampleCount', 0, MINUTE)).toBe(15);
    expect(store.statistic(errors, 'Average', 0, 2 * MINUTE)).toBeCloseTo(0.15);
    expect(store.list('AWS/Lambda', 'Errors')).toHaveLength(1);
  });

  it('answers undefined, not zero, for a window without data', () => {
    const store = new MetricStore();
    expect(store.statistic(errors, 'Sum', 0, MINUTE)).toBeUndefined();
  });

  it('reads percentiles back from the histograms of several minutes', () => {
    const store = new MetricStore();
    const duration = { ...errors, metricName: 'Duration' };
    // 99 fast requests in one minute, 1 slow one in the next: p99 is the fast value, p100 the slow one.
    store.record(duration, 0, { count: 99, sum: 99 * 80, min: 80, max: 80, histogram: new Map([[80, 99]]) });
    store.record(duration, MINUTE, { count: 1, sum: 900, min: 900, max: 900, histogram: new Map([[900, 1]]) });
    expect(store.statistic(duration, 'p50', 0, 2 * MINUTE)).toBe(80);
    expect(store.statistic(duration, 'p99', 0, 2 * MINUTE)).toBe(80);
    expect(store.statistic(duration, 'p100', 0, 2 * MINUTE)).toBe(900);
    expect(store.statistic(duration, 'Maximum', 0, 2 * MINUTE)).toBe(900);
  });
});

describe('CloudWatchWorld metric alarms', () => {
  function alarmWorld(treatMissingData: TreatMissingData, datapointsToAlarm = 2): CloudWatchWorld {
    const world = new CloudWatchWorld(() => new Date(0));
    const definition: MetricAlarmDefinition = {
      name: 'errors',
      query: { kind: 'percent', numerator: { metric: errors, statistic: 'Sum' }, denominator: { metric: invocations, statistic: 'Sum' } },
      periodSeconds: 60,
      evaluationPeriods: 3,
      datapointsToAlarm,
      threshold: 1,
      comparison: 'GreaterThanThreshold',
      treatMissingData,
    };
    return world.defineMetricAlarm(definition);
  }

  /** Error rates per minute, in percent; undefined for a minute without requests. */
  function feed(world: CloudWatchWorld, rates: Array<number | undefined>): void {
    rates.forEach((rate, minute) => {
      if (rate !== undefined) {
        world.metrics.record(invocations, minute * MINUTE, { count: 1000, sum: 1000, min: 1, max: 1 });
        world.metrics.record(errors, minute * MINUTE, { count: 1000, sum: rate * 10, min: 0, max: 1 });
      }
    });
    world.evaluateAlarms(rates.length * MINUTE);
  }

  it.each([
    // [treatment, error rates of the last three minutes, resulting state]
    ['missing', [0.2, 0.3, 0.1], 'OK'],
    ['missing', [0.2, 5, 4], 'ALARM'],
    ['missing', [5, 0.2, 0.1], 'OK'],
    ['missing', [undefined, undefined, 5], 'OK'],
    ['missing', [undefined, 5, 5], 'ALARM'],
    ['missing', [undefined, undefined, undefined], 'INSUFFICIENT_DATA'],
    ['notBreaching', [undefined, undefined, undefined], 'OK'],
    ['breaching', [undefined, undefined, 5], 'ALARM'],
    ['ignore', [undefined, undefined, undefined], 'OK'],
  ] as const)('treatMissingData %s with rates %j is %s (2 of 3 to alarm)', (treatment, rates, state) => {
    const world = alarmWorld(treatment);
    feed(world, [...rates]);
    expect(world.alarmState('errors')).toBe(state);
  });

  it('evaluates once per period end and records each change as a transition with its reason', () => {
    const world = alarmWorld('missing');
    feed(world, [5, 5, 5]);
    world.evaluateAlarms(3 * MINUTE);
    expect(world.transitions).toEqual([
      expect.objectContaining({ name: 'errors', from: 'OK', to: 'ALARM', at: new Date(3 * MINUTE), reason: expect.stringMatching(/3 of the last 3 datapoints \[5, 5, 5\] were greater than the threshold \(1\)/) }),
    ]);
  });

  it('does not evaluate between period ends', () => {
    const world = alarmWorld('breaching');
    world.evaluateAlarms(90_000);
    expect(world.alarmState('errors')).toBe('OK');
  });

  it('keeps a held state until the hold ends, then goes back to what the metrics say', () => {
    const world = alarmWorld('missing');
    world.holdAlarmState('errors', 'ALARM', 'forced', 2 * MINUTE);
    feed(world, [0.1]);
    expect(world.alarmState('errors')).toBe('ALARM');
    world.metrics.record(invocations, MINUTE, { count: 1000, sum: 1000, min: 1, max: 1 });
    world.evaluateAlarms(2 * MINUTE);
    expect(world.alarmState('errors')).toBe('OK');
  });

  it('describes metric-math alarms the way DescribeAlarms does', async () => {
    const world = alarmWorld('missing');
    const output = (await world.service.commands.DescribeAlarms?.({ AlarmNames: ['errors'] })) as { MetricAlarms: Array<Record<string, unknown>> };
    expect(output.MetricAlarms[0]).toMatchObject({
      AlarmName: 'errors',
      StateValue: 'OK',
      Threshold: 1,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 2,
      Metrics: [expect.objectContaining({ Expression: '100 * m1 / m2' }), expect.anything(), expect.anything()],
    });
  });
});
