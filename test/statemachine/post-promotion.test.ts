/**
 * The post-promotion bake and the hooks on the real statemachines/canary.asl.yaml, executed locally with
 * every Task bound to its real handler over the in-memory AWS world: hook functions are functions deployed
 * in the world's Lambda, invoked through the real SDK client by the real runHook handler.
 */
import { parseRolloutRequest } from '../../shared/config/request';
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

const routing = () => {
  const { functionVersion, weights } = world.lambda.alias('checkout', 'live');
  return { functionVersion, weights };
};

const baked = (bake: object = { bakeSeconds: 1800 }, extra: object = {}) => request({ preset: 'canary10-5m' }, { postPromotion: bake, ...extra });
const plannedTransitions = (input: unknown) => planRollout(parseRolloutRequest(input), { observable: true }).stateTransitions.nominal;

describe('a post-promotion bake', () => {
  it('that passes looks every interval at 100 % and ends promoted, in the transitions the plan predicts', async () => {
    const input = baked({ bakeSeconds: 1800 });

    const outcome = await execute(input);

    expect(outcome.status).toBe('SUCCEEDED');
    expect(routing()).toEqual({ functionVersion: '42', weights: {} });
    const afterPromote = outcome.statesEntered.slice(outcome.statesEntered.indexOf('Promote'));
    expect(afterPromote).toEqual([
      'Promote',
      'AnnouncePromoted',
      'AfterPromotion',
      'StartPostPromotionBake',
      ...Array.from({ length: 6 }, () => ['PostPromotionBake', 'AnalyzeAfterPromotion', 'DecideAfterLook']).flat(),
      'RolloutPromoted',
    ]);
    expect(outcome.transitions).toBe(plannedTransitions(input));
    expect(outcome.output?.analysis).toMatchObject({ phase: 'post-promotion', verdict: 'pass', action: 'complete', look: 6, looks: 6 });
    expect(String((outcome.output?.analysis as { reason: string }).reason)).toMatch(/^look 6 of 6 after the promotion passed; the 1800 s bake ended with no look failed: /);
  });

  it('takes ceil(bakeSeconds / intervalSeconds) looks, each told how many came before', async () => {
    const looks: number[] = [];
    const outcome = await execute(baked({ bakeSeconds: 700, intervalSeconds: 300 }), {
      beforeTask: (state, input) => {
        if (state === 'AnalyzeAfterPromotion') looks.push((input as { bake: { look: number } }).bake.look);
      },
    });

    expect(outcome.status).toBe('SUCCEEDED');
    expect(looks).toEqual([0, 1, 2]);
    expect(outcome.output?.analysis).toMatchObject({ look: 3, looks: 3, action: 'complete' });
  });

  it('whose look finds an alarm in ALARM rolls back to the previous version, verified, and fails with the reason', async () => {
    const outcome = await execute(baked({ bakeSeconds: 1800 }), {
      beforeTask: (state, input) => {
        if (state === 'AnalyzeAfterPromotion' && (input as { bake: { look: number } }).bake.look === 3) {
          world.cloudwatch.setAlarmState('checkout-errors', 'ALARM', 'Threshold Crossed: 1 datapoint [4.0] was greater than the threshold (1.0).');
        }
      },
    });

    expect(outcome.status).toBe('FAILED');
    expect(outcome.error).toBe('PostPromotionBakeFailed');
    expect(outcome.cause).toMatch(/^look 4 of 6 after the promotion failed: .*checkout-errors.*\. Rolled back: checkout:live sends all traffic to version 41 again \(was 100 % on 42\)\.$/);
    expect(routing()).toEqual({ functionVersion: '41', weights: {} });
    expect(outcome.statesEntered.slice(-5)).toEqual(['DecideAfterLook', 'RecordBakeFailure', 'RollBack', 'AnnounceRolledBack', 'RolledBack']);
    expect(world.eventbridge.ofType('Rollout Rolled Back')[0]?.detail).toMatchObject({ error: 'PostPromotionBakeFailed', baseline: { version: '41' } });
  });

  it('uses postPromotion.analysis instead of the rollout\'s alarms when given', async () => {
    world.cloudwatch.addAlarm('checkout-memory');
    const outcome = await execute(baked({ bakeSeconds: 600, analysis: { alarms: ['checkout-memory'] } }), {
      beforeTask: (state) => {
        // The rollout's own alarm fires without its event reaching coalmine: the looks do not watch it.
        if (state === 'AnalyzeAfterPromotion') world.cloudwatch.setAlarmState('checkout-errors', 'ALARM', 'Threshold Crossed');
      },
    });

    expect(outcome.status).toBe('SUCCEEDED');
    const checks = (outcome.output?.analysis as { checks: Array<{ evidence: unknown }> }).checks;
    expect(JSON.stringify(checks)).toContain('checkout-memory');
    expect(JSON.stringify(checks)).not.toContain('checkout-errors');
  });
});

/** A hook function in the world that answers `answer` (or throws it) and records its payloads. */
function hook(name: string, answer: unknown | Error): unknown[] {
  const payloads: unknown[] = [];
  world.lambda.addHookFunction(name, (payload) => {
    payloads.push(payload);
    if (answer instanceof Error) throw answer;
    return answer;
  });
  return payloads;
}

describe('hooks', () => {
  it('preTraffic passes: invoked once before any traffic moves, with the context and the new version\'s ARN', async () => {
    const payloads = hook('smoke', { status: 'passed' });
    let writesBeforeHook = -1;
    const outcome = await execute(request({ preset: 'canary10-5m' }, { hooks: { preTraffic: { function: 'smoke' } } }), {
      executionName: 'checkout-42',
      beforeTask: (state) => {
        if (state === 'RunPreTrafficHook') writesBeforeHook = world.lambda.aliasChanges.length;
      },
    });

    expect(outcome.status).toBe('SUCCEEDED');
    expect(writesBeforeHook).toBe(0);
    expect(payloads).toEqual([
      {
        hook: 'preTraffic',
        rollout: { name: 'checkout:live', executionName: 'checkout-42', startedAt: expect.any(String) },
        target: { type: 'lambda-alias', functionName: 'checkout', alias: 'live', version: '42' },
        baseline: { version: '41' },
        newVersion: { qualifiedArn: 'arn:aws:lambda:us-east-1:000000000000:function:checkout:42' },
      },
    ]);
    expect(outcome.statesEntered.slice(0, 6)).toEqual(['Preflight', 'AnnounceRolloutStarted', 'AnyCanarySteps', 'RunPreTrafficHook', 'DidPreTrafficHookPass', 'AnyCanarySteps']);
  });

  it('preTraffic refuses with {"status":"failed"}: nothing moves, and the execution fails with the hook\'s reason', async () => {
    hook('smoke', { status: 'failed', reason: 'GET /health answered 503' });

    const outcome = await execute(request({ preset: 'canary10-5m' }, { hooks: { preTraffic: { function: 'smoke' } } }));

    expect(outcome.status).toBe('FAILED');
    expect(outcome.error).toBe('HookFailed');
    expect(outcome.cause).toMatch(/^The preTraffic hook smoke failed: GET \/health answered 503\. Rolled back: checkout:live already sends all traffic to version 41\.$/);
    expect(world.lambda.aliasChanges).toEqual([]);
    expect(routing()).toEqual({ functionVersion: '41', weights: {} });
  });

  it('preTraffic raising an error (FunctionError) refuses the same way', async () => {
    hook('smoke', Object.assign(new Error('connect ECONNREFUSED'), { name: 'SmokeTestError' }));

    const outcome = await execute(request({ preset: 'canary10-5m' }, { hooks: { preTraffic: { function: 'smoke' } } }));

    expect(outcome.error).toBe('HookFailed');
    expect(outcome.cause).toMatch(/^The preTraffic hook smoke failed: it raised an error \(Unhandled\): SmokeTestError: connect ECONNREFUSED\./);
    expect(world.lambda.aliasChanges).toEqual([]);
  });

  it('a hook that does not answer within timeoutSeconds fails', async () => {
    world.lambda.addHookFunction('slow', () => new Promise(() => undefined));

    const outcome = await execute(request({ preset: 'canary10-5m' }, { hooks: { preTraffic: { function: 'slow', timeoutSeconds: 1, retries: 0 } } }));

    expect(outcome.error).toBe('HookFailed');
    expect(outcome.cause).toMatch(/^The preTraffic hook slow failed: it did not answer within 1 s \(timeoutSeconds\)\./);
    expect(world.lambda.aliasChanges).toEqual([]);
  });

  it('retries a throttled invocation up to its retries, then passes', async () => {
    const payloads = hook('smoke', { status: 'passed' });
    world.injectFault({ operation: 'Invoke', error: 'TooManyRequestsException', times: 1 });

    const outcome = await execute(request({ preset: 'canary10-5m' }, { hooks: { preTraffic: { function: 'smoke', retries: 1 } } }));

    expect(outcome.status).toBe('SUCCEEDED');
    expect(payloads).toHaveLength(1);
    expect(world.calls.filter((c) => c.operation === 'Invoke').map((c) => c.error ?? 'ok')).toEqual(['TooManyRequestsException', 'ok']);
  });

  it('onStep runs after each passing analysis; its failure rolls back', async () => {
    const payloads = hook('step-check', { status: 'failed', reason: 'queue depth 12,000' });

    const outcome = await execute(request({ weights: [10, 50, 100], bakeSeconds: 60 }, { hooks: { onStep: { function: 'step-check' } } }));

    expect(outcome.status).toBe('FAILED');
    expect(outcome.error).toBe('HookFailed');
    expect(outcome.cause).toMatch(/^The onStep hook step-check failed: queue depth 12,000\. Rolled back: checkout:live sends all traffic to version 41 again \(was 10 % on 42\)\.$/);
    expect(payloads).toEqual([expect.objectContaining({ hook: 'onStep', step: { number: 1, weight: 10 } })]);
    expect(routing()).toEqual({ functionVersion: '41', weights: {} });
  });

  it('onStep that passes lets every step go on, once per step, in the transitions the plan predicts', async () => {
    const payloads = hook('step-check', { status: 'passed', reason: 'queue depth fine' });
    const input = request({ weights: [10, 50, 100], bakeSeconds: 60 }, { hooks: { onStep: { function: 'step-check' } } });

    const outcome = await execute(input);

    expect(outcome.status).toBe('SUCCEEDED');
    expect(payloads.map((p) => (p as { step: unknown }).step)).toEqual([{ number: 1, weight: 10 }, { number: 2, weight: 50 }]);
    expect(outcome.transitions).toBe(plannedTransitions(input));
  });

  it('postTraffic fails after the promotion: rolled back to the previous version within the bake', async () => {
    const payloads = hook('after', { status: 'failed', reason: 'p99 3 s on the synthetic checkout' });

    const outcome = await execute(baked({ bakeSeconds: 1800 }, { hooks: { postTraffic: { function: 'after' } } }));

    expect(outcome.status).toBe('FAILED');
    expect(outcome.error).toBe('HookFailed');
    expect(outcome.cause).toMatch(/^The postTraffic hook after failed: p99 3 s on the synthetic checkout\. Rolled back: checkout:live sends all traffic to version 41 again \(was 100 % on 42\)\.$/);
    expect(payloads).toHaveLength(1);
    expect(routing()).toEqual({ functionVersion: '41', weights: {} });
    expect(outcome.statesEntered).not.toContain('StartPostPromotionBake');
  });

  it('postTraffic without a post-promotion bake still rolls back on failure, right after the promotion', async () => {
    hook('after', { status: 'failed', reason: 'smoke test failed' });

    const outcome = await execute(request({ preset: 'canary10-5m' }, { hooks: { postTraffic: { function: 'after' } } }));

    expect(outcome.error).toBe('HookFailed');
    expect(routing()).toEqual({ functionVersion: '41', weights: {} });
  });

  it('postTraffic that passes goes on to the bake, its answer kept as evidence in the promotion', async () => {
    hook('after', { status: 'passed', reason: 'all 12 probes answered' });
    const input = baked({ bakeSeconds: 600 }, { hooks: { postTraffic: { function: 'after' } } });

    const outcome = await execute(input);

    expect(outcome.status).toBe('SUCCEEDED');
    expect(outcome.output?.promotion).toMatchObject({ hook: { hook: 'postTraffic', function: 'after', status: 'passed', reason: 'all 12 probes answered', attempts: 1, durationMs: expect.any(Number) } });
    expect(outcome.transitions).toBe(plannedTransitions(input));
  });

  it('a hook coalmine may not invoke fails with a reason that says so', async () => {
    const outcome = await execute(request({ preset: 'canary10-5m' }, { hooks: { preTraffic: { function: 'not-deployed' } } }));

    expect(outcome.error).toBe('HookFailed');
    expect(outcome.cause).toMatch(/^The preTraffic hook not-deployed failed: Lambda did not run it: ResourceNotFoundException \(Function not found: not-deployed\)\./);
  });
});
