/**
 * The real statemachines/canary.asl.yaml, executed locally, each Task bound to its real Lambda handler,
 * over the in-memory AWS world (which keeps alias weights with RevisionId CAS and alarm states).
 */
import { PRESET_NAMES } from '../../shared/config/presets';
import { parseRolloutRequest } from '../../shared/config/request';
import { explainFailure } from '../../shared/failure';
import { planRollout } from '../../shared/plan';
import type { AwsWorld } from '../../sim/world';
import { execute, lambdaWorld, request } from './helpers';

let world: AwsWorld;
let uninstall: () => void;

beforeEach(() => {
  world = lambdaWorld();
  uninstall = world.install();
});
afterEach(() => uninstall());

/** The alias's routing, compared exactly (toMatchObject would accept any weights for `{}`). */
const routing = () => {
  const { functionVersion, weights } = world.lambda.alias('checkout', 'live');
  return { functionVersion, weights };
};
const writes = () => world.calls.filter((c) => c.operation === 'UpdateAlias' && c.error === undefined);

describe('a healthy canary', () => {
  it('shifts 10 %, bakes, analyzes, and promotes: alias on 42 with no weights', async () => {
    const outcome = await execute(request());

    expect(outcome.status).toBe('SUCCEEDED');
    expect(routing()).toEqual({ functionVersion: '42', weights: {} });
    expect(world.lambda.aliasChanges).toEqual([
      { functionName: 'checkout', alias: 'live', functionVersion: '41', weights: { '42': 0.1 } },
      { functionName: 'checkout', alias: 'live', functionVersion: '42', weights: {} },
    ]);
    expect(outcome.statesEntered).toEqual([
      'Preflight',
      'AnnounceRolloutStarted',
      'AnyCanarySteps',
      'ShiftTraffic',
      'VerifyTraffic',
      'IsTrafficObservable',
      'Bake',
      // A look a minute through the 5-minute bake; the last one is announced and decides.
      ...Array.from({ length: 4 }, () => ['AnalyzeCanary', 'IsBakeOver', 'WaitForNextLook']).flat(),
      'AnalyzeCanary',
      'IsBakeOver',
      'AnnounceStepAnalyzed',
      'DecideNextStep',
      'Promote',
      'AnnouncePromoted',
      'AfterPromotion',
      'RolloutPromoted',
    ]);
    const analysis = outcome.output?.analysis as { verdict: string; checks: Array<{ evidence: { alarms: unknown[] } }> };
    expect(analysis.verdict).toBe('pass');
    expect(analysis.checks[0]?.evidence.alarms).toHaveLength(2);
  });

  it.each(PRESET_NAMES)('promotes with preset %s in exactly the transitions the plan predicts', async (preset) => {
    const input = request({ preset });
    const plan = planRollout(parseRolloutRequest(input), { observable: true });

    const outcome = await execute(input);

    expect(outcome.status).toBe('SUCCEEDED');
    expect(routing()).toEqual({ functionVersion: '42', weights: {} });
    expect(writes()).toHaveLength(plan.steps.length + 1);
    expect(outcome.transitions).toBe(plan.stateTransitions.nominal);
  });

  it('walks explicit weights in order, with bakes beyond CodeDeploy’s 30 minutes', async () => {
    const outcome = await execute(request({ weights: [1, 5, 25, 50, 100], bakeSeconds: 3 * 3600 }));

    expect(outcome.status).toBe('SUCCEEDED');
    expect(world.lambda.aliasChanges.map((c) => c.weights['42'] ?? (c.functionVersion === '42' ? 1 : 0))).toEqual([
      0.01, 0.05, 0.25, 0.5, 1,
    ]);
    const shifts = (outcome.output?.progress as { shifts: Array<{ weight: number; at: string }> }).shifts;
    expect(shifts.map((s) => s.weight)).toEqual([1, 5, 25, 50]);
    expect(outcome.output?.analysis).toMatchObject({ memory: {} });
  });
});

describe('a failing canary', () => {
  it('rolls back when an alarm goes to ALARM during the bake, naming the alarm', async () => {
    const outcome = await execute(request({ weights: [10, 50, 100], bakeSeconds: 60 }), {
      beforeTask: (state, input) => {
        const progress = (input as { progress: { stepIndex: number } }).progress;
        if (state === 'AnalyzeCanary' && progress.stepIndex === 1) {
          world.cloudwatch.setAlarmState('checkout-errors', 'ALARM', 'Threshold Crossed: 3 datapoints > 1.0');
        }
      },
    });

    expect(outcome.status).toBe('FAILED');
    expect(outcome.error).toBe('CanaryAnalysisFailed');
    expect(outcome.cause).toContain('checkout-errors');
    expect(outcome.cause).toContain('Threshold Crossed: 3 datapoints > 1.0');
    expect(outcome.cause).toContain('Rolled back');
    expect(routing()).toEqual({ functionVersion: '41', weights: {} });
    expect(outcome.statesEntered.slice(-4)).toEqual(['RecordAnalysisFailure', 'RollBack', 'AnnounceRolledBack', 'RolledBack']);
  });

  it('bakes again while alarms lack data, then rolls back as the default policy says', async () => {
    world.cloudwatch.setAlarmState('checkout-p99-latency', 'INSUFFICIENT_DATA', 'Insufficient Data: 0 datapoints');

    const outcome = await execute(request());

    expect(outcome.status).toBe('FAILED');
    expect(outcome.error).toBe('CanaryAnalysisFailed');
    // Alarms estimate no time: the one extra bake takes all of the default 3,600 s, a look a minute.
    expect(outcome.cause).toContain('still inconclusive after 3600 s of extra bake time');
    expect(outcome.statesEntered.filter((s) => s === 'BakeAgain')).toHaveLength(1);
    expect(outcome.statesEntered.filter((s) => s === 'AnalyzeCanary')).toHaveLength(5 + 60);
    expect(routing()).toEqual({ functionVersion: '41', weights: {} });
  });

  it('proceeds after inconclusive bakes when the request says so', async () => {
    world.cloudwatch.setAlarmState('checkout-p99-latency', 'INSUFFICIENT_DATA', 'Insufficient Data: 0 datapoints');
    const input = request({ preset: 'canary10-5m' }, {});
    const outcome = await execute({
      ...input,
      analysis: { ...input.analysis, inconclusive: { maxExtraSeconds: 120, then: 'proceed' } },
    });

    expect(outcome.status).toBe('SUCCEEDED');
    expect(outcome.statesEntered.filter((s) => s === 'BakeAgain')).toHaveLength(1);
    expect(routing()).toEqual({ functionVersion: '42', weights: {} });
  });
});

describe('faults', () => {
  it('retries throttled calls and still promotes', async () => {
    world.injectFault({ operation: 'UpdateAlias', error: 'TooManyRequestsException', times: 2 });
    world.injectFault({ operation: 'DescribeAlarms', error: 'Throttling', times: 1 });

    const outcome = await execute(request());

    expect(outcome.status).toBe('SUCCEEDED');
    expect(world.calls.filter((c) => c.error !== undefined).map((c) => c.error)).toEqual([
      'Throttling',
      'TooManyRequestsException',
      'TooManyRequestsException',
    ]);
    expect(routing()).toEqual({ functionVersion: '42', weights: {} });
    expect(outcome.transitions).toBe(27 + 3);
  });

  it('recovers from a lost compare-and-swap race by reading again', async () => {
    world.injectFault({ operation: 'UpdateAlias', error: 'PreconditionFailedException', times: 1 });

    const outcome = await execute(request());

    expect(outcome.status).toBe('SUCCEEDED');
    expect(routing()).toEqual({ functionVersion: '42', weights: {} });
  });

  it.each(['ShiftTraffic', 'VerifyTraffic', 'AnalyzeCanary', 'Promote'])(
    'a crash in %s ends rolled back with the crash named',
    async (crashingState) => {
      const outcome = await execute(request({ weights: [10, 50, 100], bakeSeconds: 60 }), {
        beforeTask: (state, input) => {
          const progress = (input as { progress?: { stepIndex: number } }).progress;
          if (state === crashingState && (progress === undefined || progress.stepIndex === 1)) {
            throw new TypeError(`simulated crash in ${state}`);
          }
        },
      });

      expect(outcome.status).toBe('FAILED');
      expect(outcome.error).toBe('TypeError');
      expect(outcome.cause).toContain(`simulated crash in ${crashingState}`);
      expect(routing()).toEqual({ functionVersion: '41', weights: {} });
    },
  );

  it('a crash after traffic moved rolls the moved traffic back to 0 %', async () => {
    const outcome = await execute(request(), {
      beforeTask: (state) => {
        if (state === 'VerifyTraffic') world.injectFault({ operation: 'GetAlias', error: 'AccessDeniedException', times: 1 });
      },
    });

    expect(outcome.status).toBe('FAILED');
    expect(outcome.error).toBe('AccessDeniedException');
    const last = world.lambda.aliasChanges.at(-1);
    expect({ functionVersion: last?.functionVersion, weights: last?.weights }).toEqual({ functionVersion: '41', weights: {} });
    expect(outcome.cause).toContain('was 10 % on 42');
  });

  it('fails loudly as RollbackFailed when even the rollback cannot write', async () => {
    const outcome = await execute(request(), {
      beforeTask: (state) => {
        if (state === 'AnalyzeCanary') {
          world.cloudwatch.setAlarmState('checkout-errors', 'ALARM', 'Threshold Crossed');
          world.injectFault({ operation: 'UpdateAlias', error: 'AccessDeniedException', times: 1000 });
        }
      },
    });

    expect(outcome.status).toBe('FAILED');
    expect(outcome.error).toBe('RollbackFailed');
    expect(outcome.cause).toContain('AccessDeniedException');
  });

  it.each(['ShiftTraffic', 'Promote'])(
    'a rollback pushed from outside during a bake wins: %s does not move traffic forward again',
    async (nextWriter) => {
      const strategy = nextWriter === 'Promote' ? { preset: 'canary10-5m' } : { weights: [10, 50, 100], bakeSeconds: 60 };
      const outcome = await execute(request(strategy), {
        beforeTask: (state) => {
          // The alarm handler's rollback: same alias, baseline version, no weights.
          if (state === 'AnalyzeCanary') world.lambda.overwriteAlias('checkout', 'live', '41');
        },
      });

      expect(outcome.status).toBe('FAILED');
      expect(outcome.error).toBe('TrafficConflict');
      expect(outcome.cause).toContain('not the 10 % this rollout left it at');
      expect(routing()).toEqual({ functionVersion: '41', weights: {} });
      // Only the first shift was written by the rollout; nothing after the outside rollback.
      expect(world.lambda.aliasChanges).toHaveLength(1);
    },
  );

  it('does not overwrite an alias someone else took over mid-rollout', async () => {
    const outcome = await execute(request(), {
      beforeTask: (state) => {
        if (state === 'AnalyzeCanary') world.lambda.overwriteAlias('checkout', 'live', '40');
      },
    });

    expect(outcome.status).toBe('FAILED');
    expect(outcome.error).toBe('TrafficConflict');
    expect(outcome.cause).toContain('changed outside this rollout');
    expect(routing()).toEqual({ functionVersion: '40', weights: {} });
  });
});

describe('refusals before any traffic moves', () => {
  it('an invalid request fails at Preflight without a single AWS call', async () => {
    const outcome = await execute({ ...request({ weights: [50, 10], bakeSeconds: 60 }), colour: 'green' });

    expect(outcome.status).toBe('FAILED');
    expect(outcome.error).toBe('RolloutRequestInvalid');
    // Like Step Functions, the refusal's Cause is the Lambda error JSON; its message names every problem.
    const message = explainFailure({ Error: outcome.error ?? '', Cause: outcome.cause });
    expect(message).toContain('(request): unknown field "colour"');
    expect(message).toContain('strategy.weights.1: weights must be strictly increasing: 10 follows 50');
    expect(outcome.statesEntered).toEqual(['Preflight', 'AnnounceRolloutRefused', 'RolloutRefused']);
    expect(world.calls.map((c) => c.operation)).toEqual(['PutEvents']);
  });

  it('a second rollout on an alias mid-rollout is refused and the first rollout’s weights stay', async () => {
    world.lambda.overwriteAlias('checkout', 'live', '41', { '40': 0.25 });

    const outcome = await execute(request());

    expect(outcome.error).toBe('RolloutInProgress');
    expect(outcome.cause).toContain('already mid-rollout');
    expect(routing()).toEqual({ functionVersion: '41', weights: { '40': 0.25 } });
    expect(writes()).toEqual([]);
  });

  it('an alarm already in ALARM refuses the start', async () => {
    world.cloudwatch.setAlarmState('checkout-errors', 'ALARM', 'Threshold Crossed: already broken');

    const outcome = await execute(request());

    expect(outcome.error).toBe('AlarmAlreadyFiring');
    expect(outcome.cause).toContain('already broken');
    expect(writes()).toEqual([]);
  });

  it.each([
    ['a missing version', { version: '99' }, 'PreflightFailed', 'does not exist'],
    ['a missing alias', { alias: 'staging' }, 'PreflightFailed', 'Alias checkout:staging does not exist'],
    ['the version the alias already serves', { version: '41' }, 'PreflightFailed', 'nothing to roll out'],
  ])('%s is refused', async (_label, targetChange, error, message) => {
    const base = request();
    const outcome = await execute({ ...base, target: { ...base.target, ...targetChange } });

    expect(outcome.error).toBe(error);
    expect(outcome.cause).toContain(message);
    expect(writes()).toEqual([]);
  });

  it('a missing alarm is refused', async () => {
    const base = request();
    const outcome = await execute({ ...base, analysis: { alarms: ['checkout-errors', 'no-such-alarm'], minCanaryRequests: 0 } });

    expect(outcome.error).toBe('PreflightFailed');
    expect(outcome.cause).toContain('no-such-alarm');
    expect(writes()).toEqual([]);
  });
});

describe('lifecycle events on EventBridge', () => {
  const announced = () => world.eventbridge.events.map((e) => e.detailType);

  it('a promoted rollout announces start, each analyzed step with its evidence, and promotion', async () => {
    const outcome = await execute(request({ weights: [10, 50, 100], bakeSeconds: 60 }, { name: 'checkout' }), {
      executionName: 'checkout-42',
    });

    expect(outcome.status).toBe('SUCCEEDED');
    expect(announced()).toEqual(['Rollout Started', 'Rollout Step Analyzed', 'Rollout Step Analyzed', 'Rollout Promoted']);
    for (const event of world.eventbridge.events) {
      expect(event).toMatchObject({ eventBusName: 'coalmine', source: 'coalmine' });
      expect(event.detail).toMatchObject({ executionName: 'checkout-42', name: 'checkout', target: { functionName: 'checkout', version: '42' } });
    }
    const step = world.eventbridge.ofType('Rollout Step Analyzed')[1]?.detail as {
      stepCount: number;
      analysis: { verdict: string; step: { weight: number }; checks: Array<{ judge: string; evidence: { alarms: unknown[] } }> };
    };
    expect(step.stepCount).toBe(2);
    expect(step.analysis).toMatchObject({ verdict: 'pass', step: { weight: 50 } });
    expect(step.analysis.checks[0]?.evidence.alarms).toHaveLength(2);
  });

  it('an override start records its reason in Rollout Started; the pre-firing alarm is not evidence until OK, then ALARM again rolls back', async () => {
    world.cloudwatch.setAlarmState('checkout-errors', 'ALARM', 'Threshold Crossed');
    const override = { alarmsAlreadyFiring: true, reason: 'hotfix for the checkout errors' };
    let analyses = 0;
    const outcome = await execute(request({ weights: [10, 25, 50, 100], bakeSeconds: 60 }, { override }), {
      beforeTask: (state) => {
        if (state !== 'AnalyzeCanary') return;
        analyses += 1;
        // Step 1 still sees the old ALARM; the fix clears it by step 2; it fires again at step 3.
        if (analyses === 2) world.cloudwatch.setAlarmState('checkout-errors', 'OK', 'fixed');
        if (analyses === 3) world.cloudwatch.setAlarmState('checkout-errors', 'ALARM', 'Threshold Crossed again');
      },
    });

    expect(world.eventbridge.ofType('Rollout Started')[0]?.detail).toMatchObject({ override });
    const verdicts = world.eventbridge.ofType('Rollout Step Analyzed').map((e) => (e.detail as { analysis: { verdict: string } }).analysis.verdict);
    expect(verdicts).toEqual(['pass', 'pass', 'fail']);
    expect(outcome).toMatchObject({ status: 'FAILED', error: 'CanaryAnalysisFailed' });
    expect(outcome.cause).toContain('Threshold Crossed again');
  });

  it('a rolled-back rollout says why and that traffic went back', async () => {
    await execute(request(), {
      beforeTask: (state) => {
        if (state === 'AnalyzeCanary') world.cloudwatch.setAlarmState('checkout-errors', 'ALARM', 'Threshold Crossed');
      },
    });

    expect(announced()).toEqual(['Rollout Started', 'Rollout Step Analyzed', 'Rollout Rolled Back']);
    expect(world.eventbridge.ofType('Rollout Rolled Back')[0]?.detail).toMatchObject({
      error: 'CanaryAnalysisFailed',
      baseline: { version: '41' },
      cause: expect.stringContaining('checkout-errors'),
    });
  });

  it('a refused rollout announces a failure with no traffic moved', async () => {
    world.cloudwatch.setAlarmState('checkout-errors', 'ALARM', 'Threshold Crossed');

    await execute(request(), { executionName: 'refused-1' });

    expect(world.eventbridge.events.map((e) => [e.detailType, e.detail.stage, e.detail.trafficMoved, e.detail.error])).toEqual([
      ['Rollout Failed', 'preflight', false, 'AlarmAlreadyFiring'],
    ]);
  });

  it('an EventBridge outage never stops or fails a rollout', async () => {
    world.injectFault({ operation: 'PutEvents', error: 'InternalException', times: 1000 });

    const outcome = await execute(request());

    expect(outcome.status).toBe('SUCCEEDED');
    expect(routing()).toEqual({ functionVersion: '42', weights: {} });
    expect(world.eventbridge.events).toEqual([]);
  });
});
