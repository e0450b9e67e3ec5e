import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CloudWatchClient,
  CloudWatchServiceException,
  DescribeAlarmsCommand,
  type DescribeAlarmsCommandOutput,
  type MetricAlarm,
} from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { parseRolloutRequest } from '../../shared/config/request';
import { AlarmAlreadyFiring, AwsThrottled, AwsUnavailable, PreflightFailed } from '../../shared/errors';
import { CloudWatchAlarmJudge, readAlarmStates } from '../../shared/judges/cloudwatch-alarms';
import { judgesFor } from '../../shared/judges/registry';
import type { AnalysisContext, Judge } from '../../shared/judges/types';

const TIMESTAMPS = new Set(['StateUpdatedTimestamp', 'StateTransitionedTimestamp', 'AlarmConfigurationUpdatedTimestamp']);

/** A recorded DescribeAlarms output, with its timestamps as the SDK hands them over: Dates. */
function describeAlarms(variant: string): DescribeAlarmsCommandOutput {
  const text = readFileSync(join(__dirname, '../fixtures/cloudwatch', `${variant}.json`), 'utf8');
  return JSON.parse(text, (key, value: unknown) => (TIMESTAMPS.has(key) ? new Date(value as string) : value));
}

const okAlarm = (name: string): MetricAlarm => ({
  AlarmName: name,
  StateValue: 'OK',
  StateReason: 'fine',
  StateUpdatedTimestamp: new Date('2025-03-04T10:00:00Z'),
});

const $metadata = {};
const throttling = () => new CloudWatchServiceException({ name: 'Throttling', $fault: 'client', message: 'Rate exceeded', $metadata });

const cloudwatch = mockClient(CloudWatchClient);

beforeEach(() => {
  cloudwatch.reset();
});

const context = {} as AnalysisContext;

describe('readAlarmStates', () => {
  it('asks DescribeAlarms for the named alarms, metric and composite', async () => {
    cloudwatch.on(DescribeAlarmsCommand).resolves(describeAlarms('describe-alarms-all-ok'));

    const snapshots = await readAlarmStates(['checkout-errors', 'checkout-throttles']);

    expect(cloudwatch).toHaveReceivedCommandTimes(DescribeAlarmsCommand, 1);
    expect(cloudwatch).toHaveReceivedCommandWith(DescribeAlarmsCommand, {
      AlarmNames: ['checkout-errors', 'checkout-throttles'],
      AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
    });
    expect(snapshots).toEqual([
      {
        name: 'checkout-errors',
        state: 'OK',
        reason: 'Threshold Crossed: 1 datapoint [0.0 (04/03/25 10:20:00)] was not greater than or equal to the threshold (1.0).',
        updatedAt: '2025-03-04T10:20:30.000Z',
      },
      expect.objectContaining({ name: 'checkout-throttles', state: 'OK', updatedAt: '2025-03-04T10:20:31.000Z' }),
    ]);
  });

  it('counts composite alarms', async () => {
    cloudwatch.on(DescribeAlarmsCommand).resolves(describeAlarms('describe-alarms-composite-ok'));

    const snapshots = await readAlarmStates(['checkout-health']);

    expect(snapshots).toEqual([expect.objectContaining({ name: 'checkout-health', state: 'OK' })]);
  });

  it('asks in chunks of 100 names, the most DescribeAlarms takes', async () => {
    const names = Array.from({ length: 250 }, (_, i) => `alarm-${String(i).padStart(3, '0')}`);
    cloudwatch.on(DescribeAlarmsCommand).callsFake((input: { AlarmNames: string[] }) => ({ MetricAlarms: input.AlarmNames.map(okAlarm) }));

    const snapshots = await readAlarmStates(names);

    const chunks = cloudwatch.commandCalls(DescribeAlarmsCommand).map((call) => call.args[0].input.AlarmNames);
    expect(chunks).toEqual([names.slice(0, 100), names.slice(100, 200), names.slice(200)]);
    expect(snapshots.map((s) => s.name)).toEqual(names);
  });

  it('follows NextToken until the last page', async () => {
    cloudwatch
      .on(DescribeAlarmsCommand)
      .resolvesOnce({ MetricAlarms: [okAlarm('a')], NextToken: 'page-2' })
      .resolvesOnce({ CompositeAlarms: [okAlarm('b')], NextToken: 'page-3' })
      .resolvesOnce({ MetricAlarms: [okAlarm('c')] });

    const snapshots = await readAlarmStates(['a', 'b', 'c']);

    const tokens = cloudwatch.commandCalls(DescribeAlarmsCommand).map((call) => call.args[0].input.NextToken);
    expect(tokens).toEqual([undefined, 'page-2', 'page-3']);
    expect(cloudwatch).toHaveReceivedNthCommandWith(2, DescribeAlarmsCommand, { AlarmNames: ['a', 'b', 'c'], NextToken: 'page-2' });
    expect(snapshots.map((s) => s.name)).toEqual(['a', 'b', 'c']);
  });

  it('makes no call when there are no alarms', async () => {
    await expect(readAlarmStates([])).resolves.toEqual([]);
    expect(cloudwatch).not.toHaveReceivedAnyCommand();
  });

  it('leaves out alarms that do not exist', async () => {
    cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [okAlarm('exists')], CompositeAlarms: [] });

    await expect(readAlarmStates(['exists', 'deleted'])).resolves.toEqual([expect.objectContaining({ name: 'exists' })]);
  });

  it.each([
    ['throttling', throttling(), AwsThrottled],
    ['a server fault', new CloudWatchServiceException({ name: 'InternalServiceFault', $fault: 'server', message: 'oops', $metadata }), AwsUnavailable],
  ])('turns %s into a retryable error', async (_case, error, Expected) => {
    cloudwatch.on(DescribeAlarmsCommand).rejects(error);

    await expect(readAlarmStates(['checkout-errors'])).rejects.toBeInstanceOf(Expected);
  });
});

describe('CloudWatchAlarmJudge.preflight', () => {
  const judge = () => new CloudWatchAlarmJudge(['checkout-errors', 'checkout-throttles'], 'inconclusive');

  it('accepts alarms that exist and are not firing', async () => {
    cloudwatch.on(DescribeAlarmsCommand).resolves(describeAlarms('describe-alarms-errors-without-data'));

    await expect(judge().preflight()).resolves.toBeUndefined();
  });

  it('refuses a missing alarm, naming it', async () => {
    cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [okAlarm('checkout-errors')] });

    const refusal = judge().preflight();

    await expect(refusal).rejects.toBeInstanceOf(PreflightFailed);
    await expect(refusal).rejects.toThrow('CloudWatch alarm(s) not found: checkout-throttles. Create them first');
  });

  it('refuses to start while an alarm is already in ALARM, naming it and why', async () => {
    cloudwatch.on(DescribeAlarmsCommand).resolves(describeAlarms('describe-alarms-errors-in-alarm'));

    const refusal = judge().preflight();

    await expect(refusal).rejects.toBeInstanceOf(AlarmAlreadyFiring);
    await expect(refusal).rejects.toMatchObject({
      name: 'AlarmAlreadyFiring',
      message: expect.stringContaining(
        'already in ALARM before any traffic moved: checkout-errors (Threshold Crossed: 1 datapoint [7.0 (04/03/25 10:21:00)]',
      ),
    });
  });

  it('reports throttling as AwsThrottled, not as a missing alarm', async () => {
    cloudwatch.on(DescribeAlarmsCommand).rejects(throttling());

    await expect(judge().preflight()).rejects.toMatchObject({ name: 'AwsThrottled' });
  });
});

describe('CloudWatchAlarmJudge.measure', () => {
  it.each([
    ['describe-alarms-all-ok', 'inconclusive', 'pass'],
    ['describe-alarms-errors-in-alarm', 'inconclusive', 'fail'],
    ['describe-alarms-errors-without-data', 'inconclusive', 'inconclusive'],
    ['describe-alarms-errors-without-data', 'pass', 'pass'],
    ['describe-alarms-errors-without-data', 'fail', 'fail'],
  ] as const)('%s with insufficientData=%s → %s', async (variant, policy, verdict) => {
    cloudwatch.on(DescribeAlarmsCommand).resolves(describeAlarms(variant));

    const judge: Judge = new CloudWatchAlarmJudge(['checkout-errors', 'checkout-throttles'], policy);

    const result = await judge.measure(context);

    expect(result).toMatchObject({ judge: 'cloudwatch-alarms', verdict });
    expect(result.evidence.alarms).toHaveLength(2);
  });

  it('is inconclusive, not failing, when an alarm was deleted during the rollout', async () => {
    cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [okAlarm('checkout-errors')] });

    const judge: Judge = new CloudWatchAlarmJudge(['checkout-errors', 'checkout-throttles'], 'inconclusive');

    const result = await judge.measure(context);

    expect(result.verdict).toBe('inconclusive');
    expect(result.reason).toContain('checkout-throttles (MISSING: the alarm no longer exists)');
  });
});

describe('judgesFor', () => {
  const LAMBDA = { type: 'lambda-alias', functionName: 'checkout', alias: 'live', version: '42' } as const;
  const KVS = {
    type: 'cloudfront-kvs',
    kvsArn: 'arn:aws:cloudfront::123456789012:key-value-store/327284aa-bcd5-499f-a3ff-26b9a9d31b58',
    stableAfterPromotion: 'green',
  } as const;
  const requestOf = (alarms: string[], target: object = LAMBDA, extra: object = {}) =>
    parseRolloutRequest({ target, strategy: { preset: 'canary10-5m' }, analysis: { alarms, ...extra } });
  const judgeNames = (request: ReturnType<typeof requestOf>) => judgesFor(request.analysis, request.target).map((j) => j.name);

  it.each([
    ['alarms only on a lambda alias: alarms, held to the minimum sample', requestOf(['checkout-errors']), ['cloudwatch-alarms', 'minimum-sample']],
    ['alarms only with minCanaryRequests 0: alarms alone', requestOf(['checkout-errors'], LAMBDA, { minCanaryRequests: 0 }), ['cloudwatch-alarms']],
    ['alarms only on a KVS target, which has no request count of its own', requestOf(['storefront-5xx'], KVS), ['cloudwatch-alarms']],
    ['alarms and a metric check: the metrics judge has its own minimum', requestOf(['checkout-errors'], LAMBDA, { metrics: [{ metric: 'errors' }] }), ['cloudwatch-alarms', 'metrics']],
    ['no alarm', requestOf([]), []],
  ])('%s', (_, request, judges) => {
    expect(judgeNames(request)).toEqual(judges);
  });
});
