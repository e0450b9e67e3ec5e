import { CloudWatchServiceException, DescribeAlarmsCommand, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { UpdateAliasCommand } from '@aws-sdk/client-lambda';
import { handler } from '../../functions/analyze-canary';
import { ALARMS, bakingState, cloudwatch, context, expectTakenBetween, fixture, lambda, resetAws, rolloutRequest } from './support';
import type { LookClock } from '../../shared/rollout';

beforeEach(resetAws);

const analyze = (state: Parameters<typeof handler>[0]) => handler(state, context('analyze-canary'));
const alarmsAre = (variant: string) => cloudwatch.on(DescribeAlarmsCommand).resolves(fixture('cloudwatch', variant));
const HOUR = 3_600_000;
/** The canary version's Invocations through the alias: one hourly datapoint (the shifts are more than 62 days old). */
const canaryServed = (requests: number) =>
  cloudwatch.on(GetMetricDataCommand).resolves({
    MetricDataResults: [{ Id: 'q0', StatusCode: 'Complete', Timestamps: [new Date('2025-03-04T10:00:00.000Z')], Values: [requests] }],
  });

describe('analyzeCanary handler', () => {
  it('promotes after the last step passes, saying why, with the evidence of each alarm', async () => {
    const state = await bakingState(rolloutRequest(), 0);
    alarmsAre('describe-alarms-all-ok');
    canaryServed(1200);
    const before = Date.now();

    const analysis = await analyze(state);

    expect(analysis).toMatchObject({
      verdict: 'pass',
      action: 'promote',
      reason: 'step 1 at 10 %: the analysis passed: 2 alarm(s) OK; 1,200 canary requests since the first shift (alarms alone may pass from 300 on)',
      step: { index: 0, weight: 10, extraBakes: 0 },
    });
    expect(analysis.checks).toEqual([
      {
        judge: 'cloudwatch-alarms',
        verdict: 'pass',
        reason: '2 alarm(s) OK',
        evidence: {
          alarms: [
            expect.objectContaining({ name: 'checkout-errors', state: 'OK', verdict: 'pass', updatedAt: '2025-03-04T10:20:30.000Z' }),
            expect.objectContaining({ name: 'checkout-throttles', state: 'OK', verdict: 'pass' }),
          ],
        },
      },
      {
        judge: 'minimum-sample',
        verdict: 'pass',
        reason: '1,200 canary requests since the first shift (alarms alone may pass from 300 on)',
        evidence: { canaryRequests: 1200, minCanaryRequests: 300, counted: { from: '2025-03-04T10:00:00.000Z', to: expect.any(String) } },
      },
    ]);
    expectTakenBetween(analysis.analyzedAt, before, Date.now());
    expect(cloudwatch).toHaveReceivedCommandWith(DescribeAlarmsCommand, { AlarmNames: ALARMS });
    const endTime = new Date(Math.round(Date.parse(analysis.analyzedAt) / HOUR) * HOUR);
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
            Period: 3600,
            Stat: 'Sum',
          },
          ReturnData: true,
        },
      ],
      StartTime: new Date('2025-03-04T10:00:00.000Z'),
      EndTime: endTime,
      ScanBy: 'TimestampAscending',
      NextToken: undefined,
    });
    expect(lambda).not.toHaveReceivedAnyCommand();
  });

  it('keeps an alarm-only analysis on 3 canary requests inconclusive, however OK the alarms are, and says how few', async () => {
    const state = await bakingState(rolloutRequest(), 0);
    alarmsAre('describe-alarms-all-ok');
    canaryServed(3);

    const analysis = await analyze(state);

    expect(analysis).toMatchObject({ verdict: 'inconclusive', action: 'bake-again' });
    expect(analysis.reason).toContain('only 3 canary request(s) since the first shift: too few for alarms alone to pass a step (analysis.minCanaryRequests 300); 297 more needed');
    expect(analysis.checks.map((c) => [c.judge, c.verdict])).toEqual([
      ['cloudwatch-alarms', 'pass'],
      ['minimum-sample', 'inconclusive'],
    ]);
  });

  it('lets alarms alone pass on any count with minCanaryRequests 0, and reads no metric', async () => {
    const state = await bakingState(rolloutRequest({ analysis: { alarms: ALARMS, minCanaryRequests: 0 } }), 0);
    alarmsAre('describe-alarms-all-ok');

    await expect(analyze(state)).resolves.toMatchObject({ verdict: 'pass', reason: 'step 1 at 10 %: the analysis passed: 2 alarm(s) OK' });
    expect(cloudwatch).not.toHaveReceivedCommand(GetMetricDataCommand);
  });

  it('advances when a step before the last passes', async () => {
    const state = await bakingState(rolloutRequest({ strategy: { preset: 'linear10-1m' } }), 3);
    alarmsAre('describe-alarms-all-ok');
    canaryServed(300);

    const analysis = await analyze(state);

    expect(analysis).toMatchObject({ verdict: 'pass', action: 'advance', reason: expect.stringMatching(/^step 4 at 40 %: the analysis passed/) });
  });

  it('rolls back when an alarm is in ALARM, naming it and why', async () => {
    const state = await bakingState(rolloutRequest(), 0);
    alarmsAre('describe-alarms-errors-in-alarm');
    canaryServed(300);

    const analysis = await analyze(state);

    expect(analysis.verdict).toBe('fail');
    expect(analysis.action).toBe('rollback');
    expect(analysis.reason).toBe(
      'step 1 at 10 %: the analysis failed: alarm in ALARM: checkout-errors (ALARM: Threshold Crossed: 1 datapoint ' +
        '[7.0 (04/03/25 10:21:00)] was greater than or equal to the threshold (1.0).)',
    );
  });

  it.each([
    // Alarms estimate nothing: the extra bake takes what is left of maxExtraSeconds (default 3,600 s).
    [0, 'bake-again', 'the judges cannot estimate the time they need: baking 3600 s more (3600 of 3600 s of extra bake time)'],
    [3600, 'rollback', 'still inconclusive after 3600 s of extra bake time; the policy says roll back'],
  ])('without data after %i s of extra bakes → %s', async (extraSeconds, action, why) => {
    const state = await bakingState(rolloutRequest(), 0, extraSeconds);
    alarmsAre('describe-alarms-errors-without-data');
    canaryServed(300);

    const analysis = await analyze(state);

    expect(analysis).toMatchObject({ verdict: 'inconclusive', action, look: { stepIndex: 0, bakedSeconds: 300 + extraSeconds } });
    expect(analysis.reason).toContain(why);
    expect(analysis.reason).toContain('checkout-errors (INSUFFICIENT_DATA: Insufficient Data: 1 datapoint was unknown.)');
  });

  it('looks again within the bake, waiting one interval, until the bake is over', async () => {
    const state = await bakingState(rolloutRequest({ analysis: { alarms: ALARMS, minCanaryRequests: 0 } }), 0);
    alarmsAre('describe-alarms-all-ok');

    const first = await analyze({ ...state, progress: { ...state.progress, lookSeconds: 60 } });

    expect(first).toMatchObject({ verdict: 'pass', action: 'look-again', look: { stepIndex: 0, bakedSeconds: 60, waitSeconds: 60 } });
    expect(first.reason).toContain('baked 60 of 300 s; the next look in 60 s');
    const last = await analyze({ ...state, progress: { ...state.progress, lookSeconds: 60 }, analysis: { memory: first.memory, look: { ...(first.look as LookClock), bakedSeconds: 240 } } });
    expect(last).toMatchObject({ verdict: 'pass', action: 'promote', look: { bakedSeconds: 300, waitSeconds: 0 } });
  });

  it('passes on time alone when no checks are configured, and says so', async () => {
    const analysis = await analyze(await bakingState(rolloutRequest({ analysis: {} }), 0));

    expect(analysis).toMatchObject({ verdict: 'pass', action: 'promote', checks: [] });
    expect(analysis.reason).toContain('the step passed on time alone');
    expect(cloudwatch).not.toHaveReceivedAnyCommand();
  });

  it('lets throttling through as AwsThrottled, for the state machine to retry', async () => {
    const state = await bakingState(rolloutRequest(), 0);
    cloudwatch
      .on(DescribeAlarmsCommand)
      .rejects(new CloudWatchServiceException({ name: 'Throttling', $fault: 'client', message: 'Rate exceeded', $metadata: {} }));

    await expect(analyze(state)).rejects.toMatchObject({ name: 'AwsThrottled', retryable: true });
    expect(lambda).not.toHaveReceivedCommand(UpdateAliasCommand);
  });
});
