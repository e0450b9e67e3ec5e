import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { GetAliasCommand, GetFunctionConfigurationCommand, UpdateAliasCommand } from '@aws-sdk/client-lambda';
import { handler } from '../../functions/preflight';
import { RolloutRequestInvalid } from '../../shared/errors';
import {
  ALARMS,
  EXECUTION,
  TARGET,
  aliasIs,
  awsCalls,
  cloudwatch,
  context,
  fixture,
  lambda,
  readyWorld,
  resetAws,
  rolloutRequest,
} from './support';

beforeEach(resetAws);

const run = (request: unknown) => handler({ request, ...EXECUTION }, context('preflight'));

describe('preflight handler', () => {
  it('returns the planned state, before any traffic moves', async () => {
    readyWorld();

    const state = await run(rolloutRequest());

    expect(state.rollout).toMatchObject({
      request: {
        target: TARGET,
        strategy: { preset: 'canary10-5m' },
        analysis: { alarms: ALARMS, insufficientData: 'inconclusive', intervalSeconds: 60, inconclusive: { maxExtraSeconds: 3600, then: 'rollback' } },
        settleSeconds: 30,
      },
      plan: {
        steps: [{ index: 0, weight: 10, bakeSeconds: 300, intervalSeconds: 60 }],
        settleSeconds: 0,
        looks: { nominal: 5, worstCase: 65 },
        nominalSeconds: 300,
        worstCaseSeconds: 3900,
      },
      baseline: { version: '41' },
      executionName: EXECUTION.executionName,
      startedAt: EXECUTION.startedAt,
    });
    expect(state.progress).toEqual({ stepIndex: 0, extraBakes: 0, extraSeconds: 0, weight: 0, bakeSeconds: 0, lookSeconds: 0, shiftedAt: null, shifts: [] });
    expect(state.analysis).toEqual({ memory: {}, look: null });
  });

  it('reads the version, the alias and the alarms, and writes nothing', async () => {
    readyWorld();

    await run(rolloutRequest());

    expect(lambda).toHaveReceivedCommandWith(GetFunctionConfigurationCommand, { FunctionName: 'checkout', Qualifier: '42' });
    expect(lambda).toHaveReceivedCommandWith(GetAliasCommand, { FunctionName: 'checkout', Name: 'live' });
    expect(cloudwatch).toHaveReceivedCommandWith(DescribeAlarmsCommand, { AlarmNames: ALARMS });
    expect(lambda).not.toHaveReceivedCommand(UpdateAliasCommand);
    expect(awsCalls()).toBe(3);
  });

  it('reads no alarms when none are configured', async () => {
    readyWorld();

    await run(rolloutRequest({ analysis: {} }));

    expect(cloudwatch).not.toHaveReceivedAnyCommand();
  });

  it.each([
    ['an unknown field', rolloutRequest({ strategy: { preset: 'canary10-5m', bakeSecond: 60 } }), 'strategy: unknown field "bakeSecond"'],
    ['$LATEST', rolloutRequest({ target: { ...TARGET, version: '$LATEST' } }), '$LATEST cannot take weighted alias traffic'],
    ['no request at all', undefined, 'The rollout request is invalid'],
    [
      'the replaced maxExtraBakes',
      rolloutRequest({ analysis: { inconclusive: { maxExtraBakes: 2 } } }),
      'analysis.inconclusive.maxExtraBakes was replaced by maxExtraSeconds',
    ],
    [
      'a plan longer than a year',
      // 29 steps of 7 days, each with 7 days of extra bake time: 406 days.
      rolloutRequest({ strategy: { weights: [...Array.from({ length: 29 }, (_, i) => i + 1), 100], bakeSeconds: 7 * 24 * 3600 }, analysis: { inconclusive: { maxExtraSeconds: 7 * 24 * 3600 } } }),
      'longer than a Step Functions execution may run',
    ],
    [
      'a hold without holdSeconds',
      rolloutRequest({ analysis: { inconclusive: { then: 'hold' } } }),
      'analysis.inconclusive.holdSeconds: required with then "hold"',
    ],
  ])('refuses %s as RolloutRequestInvalid without a single AWS call', async (_case, request, message) => {
    readyWorld();

    const refusal = run(request);

    await expect(refusal).rejects.toBeInstanceOf(RolloutRequestInvalid);
    await expect(refusal).rejects.toMatchObject({ name: 'RolloutRequestInvalid', message: expect.stringContaining(message) });
    expect(awsCalls()).toBe(0);
  });

  it.each([
    ['an alarm is already firing', 'AlarmAlreadyFiring', () => cloudwatch.on(DescribeAlarmsCommand).resolves(fixture('cloudwatch', 'describe-alarms-errors-in-alarm'))],
    ['an alarm does not exist', 'PreflightFailed', () => cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [] })],
    ['another rollout moves the alias', 'RolloutInProgress', () => aliasIs('other-canary')],
    ['the alias already serves the version', 'PreflightFailed', () => aliasIs('promoted')],
    [
      'the version is not Active yet',
      'PreflightFailed',
      () => lambda.on(GetFunctionConfigurationCommand).resolves(fixture('lambda', 'get-function-configuration-pending')),
    ],
  ])('refuses to start when %s (%s), changing nothing', async (_case, name, arrange) => {
    readyWorld();
    arrange();

    await expect(run(rolloutRequest())).rejects.toMatchObject({ name });
    expect(lambda).not.toHaveReceivedCommand(UpdateAliasCommand);
  });

  it('says how to ship the fix when an alarm already fires, and starts with override.alarmsAlreadyFiring', async () => {
    readyWorld();
    cloudwatch.on(DescribeAlarmsCommand).resolves(fixture('cloudwatch', 'describe-alarms-errors-in-alarm'));

    await expect(run(rolloutRequest())).rejects.toMatchObject({ message: expect.stringContaining('"override": {"alarmsAlreadyFiring": true, "reason": "..."}') });
    const override = { alarmsAlreadyFiring: true, reason: 'hotfix for the checkout errors' };
    const state = await run(rolloutRequest({ override }));

    expect(state.rollout.request.override).toEqual(override);
    expect(lambda).not.toHaveReceivedCommand(UpdateAliasCommand);
  });
});
