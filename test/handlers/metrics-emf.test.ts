/**
 * The exact Embedded Metric Format documents Powertools writes for coalmine's metric records inside Lambda,
 * and that nothing is written outside it. (Which records each rollout publishes: test/sim/metrics.test.ts.)
 */
import { handler as analyzeHandler } from '../../functions/analyze-canary';
import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { ALARMS, bakingState, cloudwatch, context, fixture, resetAws, rolloutRequest } from './support';

describe('EMF written inside Lambda', () => {
  let written: string[];
  let restore: () => void;
  beforeEach(() => {
    resetAws();
    written = [];
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    process.env.AWS_LAMBDA_FUNCTION_NAME = 'coalmine-dev-analyzeCanary';
    // test/setup.ts disables Powertools Metrics for every other test; as deployed, nothing does.
    const disabled = process.env.POWERTOOLS_METRICS_DISABLED;
    process.env.POWERTOOLS_METRICS_DISABLED = 'false';
    restore = () => {
      spy.mockRestore();
      delete process.env.AWS_LAMBDA_FUNCTION_NAME;
      if (disabled === undefined) delete process.env.POWERTOOLS_METRICS_DISABLED;
      else process.env.POWERTOOLS_METRICS_DISABLED = disabled;
    };
  });
  afterEach(() => restore());

  it('an analysis writes one document per record: namespace Coalmine, the metric names and units, the dimension sets', async () => {
    const state = await bakingState(rolloutRequest({ analysis: { alarms: ALARMS, minCanaryRequests: 0 } }), 0);
    cloudwatch.on(DescribeAlarmsCommand).resolves(fixture('cloudwatch', 'describe-alarms-all-ok'));
    await analyzeHandler(state, context('analyze-canary'));
    const documents = written.map((line) => JSON.parse(line) as Record<string, unknown> & { _aws: { CloudWatchMetrics: unknown[] } }).filter((d) => d._aws !== undefined);
    expect(documents.map((d) => d._aws.CloudWatchMetrics)).toEqual([
      [{ Namespace: 'Coalmine', Dimensions: [['service', 'Rollout', 'TargetType']], Metrics: [{ Name: 'CanaryWeight', Unit: 'Percent' }] }],
      [{ Namespace: 'Coalmine', Dimensions: [['service', 'Rollout', 'TargetType'], ['service']], Metrics: [{ Name: 'VerdictPass', Unit: 'Count' }] }],
    ]);
    expect(documents[0]).toMatchObject({ service: 'coalmine', Rollout: 'checkout:live', TargetType: 'lambda-alias', CanaryWeight: 10 });
    expect(documents[1]).toMatchObject({ VerdictPass: 1 });
  });

  it('outside Lambda (the CLI, the simulator) nothing is written', async () => {
    delete process.env.AWS_LAMBDA_FUNCTION_NAME;
    const state = await bakingState(rolloutRequest({ analysis: { alarms: ALARMS, minCanaryRequests: 0 } }), 0);
    cloudwatch.on(DescribeAlarmsCommand).resolves(fixture('cloudwatch', 'describe-alarms-all-ok'));
    await analyzeHandler(state, context('analyze-canary'));
    expect(written.filter((line) => line.includes('"_aws"'))).toEqual([]);
  });
});
