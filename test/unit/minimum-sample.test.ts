import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { DEFAULT_MIN_CANARY_REQUESTS, minimumCanaryRequestsFor } from '../../shared/config/analysis-facts';
import { parseRolloutRequest } from '../../shared/config/request';
import { MinimumSampleJudge } from '../../shared/judges/canary-requests';
import { assessCanarySample } from '../../shared/judges/minimum-sample';
import type { AnalysisContext } from '../../shared/judges/types';
import { planRollout } from '../../shared/plan';

const cloudwatch = mockClient(CloudWatchClient);
beforeEach(() => cloudwatch.reset());

const SPAN = { from: '2030-01-07T09:00:00.000Z', to: '2030-01-07T09:10:00.000Z' };

describe('assessCanarySample', () => {
  it.each([
    [0, undefined, 'inconclusive', 'only 0 canary request(s) since the first shift: too few for alarms alone to pass a step (analysis.minCanaryRequests 300); 300 more needed'],
    [3, 0.005, 'inconclusive', 'only 3 canary request(s) since the first shift: too few for alarms alone to pass a step (analysis.minCanaryRequests 300); 297 more needed (about 16 h 30 min at 0.005/s)'],
    [299, 1, 'inconclusive', 'only 299 canary request(s) since the first shift: too few for alarms alone to pass a step (analysis.minCanaryRequests 300); 1 more needed (about 1 s at 1/s)'],
    [300, 1, 'pass', '300 canary requests since the first shift (alarms alone may pass from 300 on)'],
    [12_345, 10, 'pass', '12,345 canary requests since the first shift (alarms alone may pass from 300 on)'],
  ])('%i canary requests at %s/s → %s', (canaryRequests, rate, verdict, reason) => {
    const result = assessCanarySample({ canaryRequests, ...(rate === undefined ? {} : { canaryRatePerSecond: rate }), ...SPAN }, 300);
    expect(result).toMatchObject({ judge: 'minimum-sample', verdict, reason });
    expect(result.evidence).toMatchObject({ canaryRequests, minCanaryRequests: 300, counted: SPAN });
    if (verdict === 'inconclusive') expect(result.evidence.requestsNeeded).toBe(300 - canaryRequests);
    else expect(result.evidence).not.toHaveProperty('requestsNeeded');
  });
});

describe('minimumCanaryRequestsFor', () => {
  const lambda = { type: 'lambda-alias', functionName: 'checkout', alias: 'live', version: '42' };
  const kvs = { type: 'cloudfront-kvs', kvsArn: 'arn:aws:cloudfront::123456789012:key-value-store/327284aa-bcd5-499f-a3ff-26b9a9d31b58', stableAfterPromotion: 'green' };
  const request = (target: object, analysis: object) => parseRolloutRequest({ target, strategy: { preset: 'canary10-5m' }, analysis });

  it.each([
    ['alarms only, the default', request(lambda, { alarms: ['a'] }), DEFAULT_MIN_CANARY_REQUESTS],
    ['alarms only, set', request(lambda, { alarms: ['a'], minCanaryRequests: 50 }), 50],
    ['alarms only, off', request(lambda, { alarms: ['a'], minCanaryRequests: 0 }), 0],
    ['alarms and metric checks', request(lambda, { alarms: ['a'], metrics: [{ metric: 'errors' }] }), 0],
    ['a KVS target with alarms only', request(kvs, { alarms: ['a'] }), 0],
  ])('%s → %i', (_, parsed, minimum) => {
    expect(minimumCanaryRequestsFor(parsed)).toBe(minimum);
  });

  it('the default is 300: no error among 300 requests bounds the error rate below 1 % with 95 % confidence', () => {
    expect(DEFAULT_MIN_CANARY_REQUESTS).toBe(300);
    expect(1 - 0.05 ** (1 / DEFAULT_MIN_CANARY_REQUESTS)).toBeLessThan(0.01);
    // The smallest such sample is 299 (ln 0.05 / ln 0.99 = 298.1): 300 is it, rounded.
    expect(1 - 0.05 ** (1 / 298)).toBeGreaterThan(0.01);
  });
});

describe('MinimumSampleJudge', () => {
  const START = Date.parse('2030-01-07T09:00:00Z');
  const MINUTE = 60_000;
  const request = parseRolloutRequest({
    target: { type: 'lambda-alias', functionName: 'arn:aws:lambda:us-east-1:123456789012:function:checkout', alias: 'live', version: '42' },
    strategy: { weights: [5, 25, 100], bakeSeconds: 600 },
    analysis: { alarms: ['checkout-errors'] },
  });
  const context = (nowMs: number): AnalysisContext => ({
    request,
    baseline: { version: '41' },
    plan: planRollout(request, { observable: true }),
    startedAt: new Date(START).toISOString(),
    progress: {
      stepIndex: 1,
      extraBakes: 0,
      extraSeconds: 0,
      weight: 25,
      bakeSeconds: 600,
      lookSeconds: 60,
      shiftedAt: new Date(START + 10 * MINUTE).toISOString(),
      shifts: [
        { weight: 5, at: new Date(START).toISOString() },
        { weight: 25, at: new Date(START + 10 * MINUTE).toISOString() },
      ],
    },
    window: { start: new Date(START + 10 * MINUTE), end: new Date(nowMs) },
    bakedSeconds: (nowMs - START - 10 * MINUTE) / 1000,
    memory: undefined,
  });

  it("counts the canary version's Invocations through the alias since the first shift, in one GetMetricData call", async () => {
    cloudwatch.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        {
          Id: 'q0',
          StatusCode: 'Complete',
          // Two minutes of the 5 % split, one of the 25 % split; one datapoint before the rollout is not counted.
          Timestamps: [new Date(START - MINUTE), new Date(START), new Date(START + 5 * MINUTE), new Date(START + 12 * MINUTE)],
          Values: [1000, 2, 1, 6],
        },
      ],
    });

    const result = await new MinimumSampleJudge(300).measure(context(START + 20 * MINUTE));

    expect(cloudwatch).toHaveReceivedCommandTimes(GetMetricDataCommand, 1);
    expect(cloudwatch).toHaveReceivedCommandWith(GetMetricDataCommand, {
      MetricDataQueries: [
        {
          Id: 'q0',
          Label: 'checkout:live version 42 invocations',
          MetricStat: {
            Metric: {
              Namespace: 'AWS/Lambda',
              MetricName: 'Invocations',
              Dimensions: [
                { Name: 'ExecutedVersion', Value: '42' },
                { Name: 'FunctionName', Value: 'checkout' },
                { Name: 'Resource', Value: 'checkout:live' },
              ],
            },
            Period: 60,
            Stat: 'Sum',
          },
          ReturnData: true,
        },
      ],
      StartTime: new Date(START),
      EndTime: new Date(START + 20 * MINUTE),
      ScanBy: 'TimestampAscending',
      NextToken: undefined,
    });
    expect(result).toMatchObject({
      judge: 'minimum-sample',
      verdict: 'inconclusive',
      evidence: { canaryRequests: 9, minCanaryRequests: 300, requestsNeeded: 291, secondsNeeded: 29_100, counted: { from: '2030-01-07T09:00:00.000Z', to: '2030-01-07T09:20:00.000Z' } },
    });
    expect(result.reason).toBe(
      'only 9 canary request(s) since the first shift: too few for alarms alone to pass a step (analysis.minCanaryRequests 300); 291 more needed (about 8 h 5 min at 0.01/s)',
    );
  });

  it('passes once the canary has served the minimum', async () => {
    cloudwatch.on(GetMetricDataCommand).resolves({
      MetricDataResults: [{ Id: 'q0', StatusCode: 'Complete', Timestamps: [new Date(START), new Date(START + 11 * MINUTE)], Values: [150, 150] }],
    });

    await expect(new MinimumSampleJudge(300).measure(context(START + 20 * MINUTE))).resolves.toMatchObject({ verdict: 'pass', evidence: { canaryRequests: 300 } });
  });
});
