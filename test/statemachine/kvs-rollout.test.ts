/**
 * A cloudfront-kvs rollout through the real statemachines/canary.asl.yaml, executed locally with each Task
 * bound to its real handler, over the in-memory world's KeyValueStore (ETags per write, IfMatch enforced).
 */
import { parseRolloutRequest } from '../../shared/config/request';
import { planRollout } from '../../shared/plan';
import { AwsWorld } from '../../sim/world';
import { execute, type ExecutionOutcome } from './helpers';

const ARN = 'arn:aws:cloudfront::123456789012:key-value-store/327284aa-bcd5-499f-a3ff-26b9a9d31b58';
const IDLE = { green_percentage: '0', blue_cidrs: '[]', green_cidrs: '[]' };

let world: AwsWorld;
let uninstall: () => void;

beforeEach(() => {
  world = new AwsWorld();
  world.cloudwatch.addAlarm('storefront-5xx').addAlarm('storefront-p99-latency');
  world.kvs.addStore(ARN, IDLE);
  uninstall = world.install();
});
afterEach(() => uninstall());

const request = (strategy: object = { weights: [5, 25, 50, 100], bakeSeconds: 600 }, target: object = {}, extra: object = {}) => ({
  name: 'storefront',
  target: { type: 'cloudfront-kvs', kvsArn: ARN, ...target },
  strategy,
  analysis: { alarms: ['storefront-5xx', 'storefront-p99-latency'] },
  settleSeconds: 60,
  ...extra,
});

const items = () => world.kvs.items(ARN);
const percentages = () => world.kvs.history(ARN, 'green_percentage');
const lockWrites = () => world.kvs.history(ARN, 'coalmine_lock').map((v) => (v === '(deleted)' ? v : (JSON.parse(v) as { executionName: string }).executionName));
const count = (outcome: ExecutionOutcome, state: string) => outcome.statesEntered.filter((s) => s === state).length;
const alarmAt = (stepIndex: number) => (state: string, input: unknown) => {
  const progress = (input as { progress?: { stepIndex: number } }).progress;
  if (state === 'AnalyzeCanary' && progress?.stepIndex === stepIndex) {
    world.cloudwatch.setAlarmState('storefront-5xx', 'ALARM', 'Threshold Crossed: 5xx rate 4 % > 1 %');
  }
};

describe('a healthy canary', () => {
  it('walks green_percentage up, waits for the edge after every shift, promotes and releases the lock', async () => {
    const input = request();
    const plan = planRollout(parseRolloutRequest(input), { observable: false });

    const outcome = await execute(input, { executionName: 'storefront-1' });

    expect(outcome.status).toBe('SUCCEEDED');
    expect(percentages()).toEqual(['5', '25', '50', '100']);
    expect(lockWrites()).toEqual(['storefront-1', '(deleted)']);
    expect(items()).toEqual({ green_percentage: '100', blue_cidrs: '[]', green_cidrs: '[]' });
    expect(count(outcome, 'WaitForEdgeToSettle')).toBe(plan.steps.length);
    expect(outcome.transitions).toBe(plan.stateTransitions.nominal);
    // The settle wait sits between the read-back and the bake of every step.
    const afterShift = outcome.statesEntered.slice(3, 3 + 8);
    expect(afterShift).toEqual([
      'ShiftTraffic',
      'VerifyTraffic',
      'IsTrafficObservable',
      'WaitForEdgeToSettle',
      'Bake',
      'AnalyzeCanary',
      'IsBakeOver',
      'WaitForNextLook',
    ]);
    expect((outcome.output?.rollout as { plan: { settleSeconds: number } }).plan.settleSeconds).toBe(60);
    expect(outcome.output?.verification).toEqual({ status: 'unobservable' });
  });

  it.each(['canary10-5m', 'linear10-1m', 'all-at-once'])(
    'promotes with preset %s in exactly the transitions the plan predicts for an unobservable target',
    async (preset) => {
      const input = request({ preset });
      const plan = planRollout(parseRolloutRequest(input), { observable: false });

      const outcome = await execute(input);

      expect(outcome.status).toBe('SUCCEEDED');
      expect(outcome.transitions).toBe(plan.stateTransitions.nominal);
      expect(count(outcome, 'WaitForEdgeToSettle')).toBe(plan.steps.length);
      expect(percentages()).toEqual([...plan.steps.map((s) => String(s.weight)), '100']);
      expect(items().coalmine_lock).toBeUndefined();
    },
  );

  it('writes the request’s pins before the first shift and drops the blue pins at promotion', async () => {
    const outcome = await execute(request({ preset: 'canary10-5m' }, { blueCidrs: ['198.51.100.0/24'], greenCidrs: ['203.0.113.10'] }));

    expect(outcome.status).toBe('SUCCEEDED');
    const [first] = world.kvs.writes;
    expect(first?.puts).toMatchObject({ blue_cidrs: '["198.51.100.0/24"]', green_cidrs: '["203.0.113.10"]' });
    expect(first?.puts.green_percentage).toBeUndefined();
    expect(items()).toEqual({ green_percentage: '100', blue_cidrs: '[]', green_cidrs: '["203.0.113.10"]' });
  });

  it('rolls a blue canary out by moving green_percentage down from 100', async () => {
    world.kvs.overwrite(ARN, { green_percentage: '100' });

    const outcome = await execute(request({ weights: [10, 50, 100], bakeSeconds: 60 }, { stableAfterPromotion: 'blue' }));

    expect(outcome.status).toBe('SUCCEEDED');
    expect(percentages()).toEqual(['90', '50', '0']);
  });

  it('recovers from a lost compare-and-swap race inside the router, without a state retry', async () => {
    world.injectFault({ operation: 'UpdateKeys', error: 'ConflictException', times: 1 });
    const input = request({ preset: 'canary10-5m' });

    const outcome = await execute(input);

    expect(outcome.status).toBe('SUCCEEDED');
    expect(outcome.transitions).toBe(planRollout(parseRolloutRequest(input), { observable: false }).stateTransitions.nominal);
    expect(world.callsTo('UpdateKeys').map((c) => c.error ?? 'ok')).toEqual(['ConflictException', 'ok', 'ok', 'ok']);
  });

  it('leaves three lost races in a row to the state machine’s retry (TrafficWriteConflict), then promotes', async () => {
    let conflicts = 0;
    world.onBeforeCall((_service, operation) => {
      // Another writer touches the store just before each of the first shift's three writes.
      if (operation === 'UpdateKeys' && world.kvs.writes.length === 1 && conflicts < 3) {
        conflicts += 1;
        world.kvs.overwrite(ARN, { unrelated: String(conflicts) });
      }
    });
    const input = request({ preset: 'canary10-5m' });

    const outcome = await execute(input);

    expect(outcome.status).toBe('SUCCEEDED');
    expect(conflicts).toBe(3);
    expect(count(outcome, 'ShiftTraffic')).toBe(1);
    // The one state retry of ShiftTraffic is one more billed transition.
    expect(outcome.transitions).toBe(planRollout(parseRolloutRequest(input), { observable: false }).stateTransitions.nominal + 1);
    expect(percentages()).toEqual(['10', '100']);
  });
});

describe('rollback', () => {
  it('an alarm during a bake sets green_percentage back to 0, clears the green pins and releases the lock', async () => {
    const outcome = await execute(request(undefined, { greenCidrs: ['203.0.113.10'] }), { beforeTask: alarmAt(1) });

    expect(outcome.status).toBe('FAILED');
    expect(outcome.error).toBe('CanaryAnalysisFailed');
    expect(outcome.cause).toContain('storefront-5xx');
    expect(outcome.cause).toContain('gives the green canary 0 % again (green_percentage 0, was 25 %; green_cidrs cleared); lock released');
    expect(percentages()).toEqual(['5', '25', '0']);
    expect(items()).toEqual({ green_percentage: '0', blue_cidrs: '[]', green_cidrs: '[]' });
    expect(outcome.statesEntered.slice(-4)).toEqual(['RecordAnalysisFailure', 'RollBack', 'AnnounceRolledBack', 'RolledBack']);
  });

  it('a rollback pushed from outside during a bake wins: the next shift does not move traffic forward again', async () => {
    const outcome = await execute(request(), {
      beforeTask: (state, input) => {
        const progress = (input as { progress?: { stepIndex: number } }).progress;
        if (state === 'AnalyzeCanary' && progress?.stepIndex === 0) world.kvs.overwrite(ARN, { green_percentage: '0' });
      },
    });

    expect(outcome.status).toBe('FAILED');
    expect(outcome.error).toBe('TrafficConflict');
    expect(outcome.cause).toContain('not the 5 % this rollout left it at');
    expect(percentages()).toEqual(['5']);
    expect(items()).toEqual(IDLE);
  });

  it('a blue canary rolls back to green_percentage 100', async () => {
    world.kvs.overwrite(ARN, { green_percentage: '100' });

    const outcome = await execute(request(undefined, { stableAfterPromotion: 'blue' }), { beforeTask: alarmAt(0) });

    expect(outcome.error).toBe('CanaryAnalysisFailed');
    expect(percentages()).toEqual(['95', '100']);
    expect(items().coalmine_lock).toBeUndefined();
  });
});

describe('the rollout lock', () => {
  it('refuses a second rollout on the same store while the first bakes; the first then promotes and unlocks', async () => {
    let second: ExecutionOutcome | undefined;

    const first = await execute(request(), {
      executionName: 'storefront-1',
      beforeTask: async (state, input) => {
        const progress = (input as { progress?: { stepIndex: number } }).progress;
        if (state === 'AnalyzeCanary' && progress?.stepIndex === 1 && second === undefined) {
          second = await execute(request({ preset: 'canary10-5m' }), { executionName: 'storefront-2' });
        }
      },
    });

    expect(second?.status).toBe('FAILED');
    expect(second?.error).toBe('RolloutInProgress');
    expect(second?.cause).toContain('locked by execution storefront-1');
    expect(second?.statesEntered).toEqual(['Preflight', 'AnnounceRolloutRefused', 'RolloutRefused']);
    expect(first.status).toBe('SUCCEEDED');
    expect(percentages()).toEqual(['5', '25', '50', '100']);
    expect(lockWrites()).toEqual(['storefront-1', '(deleted)']);
  });

  it('a stale lock is never taken over: the rollout is refused until a person removes it', async () => {
    world.kvs.overwrite(ARN, { coalmine_lock: JSON.stringify({ executionName: 'storefront-0', since: '2024-01-01T00:00:00.000Z' }) });

    const refused = await execute(request());

    expect(refused.error).toBe('RolloutInProgress');
    expect(refused.cause).toContain('delete-key');
    expect(world.kvs.writes).toEqual([]);

    world.kvs.overwrite(ARN, { coalmine_lock: undefined });
    const outcome = await execute(request(), { executionName: 'storefront-1' });
    expect(outcome.status).toBe('SUCCEEDED');
  });

  it('a Preflight retried after its lock write landed unanswered finds its own lock and goes on', async () => {
    let lost = false;
    world.onBeforeCall((_service, operation) => {
      // The write reaches the store, the answer does not: the handler sees a server error and is retried.
      if (operation !== 'UpdateKeys' || lost) return;
      lost = true;
      world.kvs.overwrite(ARN, { coalmine_lock: JSON.stringify({ executionName: 'storefront-1', since: new Date().toISOString() }) });
      world.injectFault({ operation: 'UpdateKeys', error: 'InternalServerException', times: 1 });
    });

    const outcome = await execute(request({ preset: 'canary10-5m' }), { executionName: 'storefront-1' });

    expect(outcome.status).toBe('SUCCEEDED');
    expect(count(outcome, 'Preflight')).toBe(1);
    expect(outcome.transitions).toBe(planRollout(parseRolloutRequest(request({ preset: 'canary10-5m' })), { observable: false }).stateTransitions.nominal + 1);
    expect(percentages()).toEqual(['10', '100']);
    expect(items().coalmine_lock).toBeUndefined();
  });

  it.each<[string, Record<string, string>, object, string]>([
    ['a blue_cidrs the edge cannot parse', { blue_cidrs: 'not json' }, {}, 'blue_cidrs is "not json", which is not a JSON array'],
    ['green pins for everyone kept in the store', { green_cidrs: '["0.0.0.0/0","::/0"]' }, {}, 'cover IPv4 100 %, IPv6 100 % of the address space'],
  ])('refuses %s in Preflight (PreflightFailed): no lock, no write, no traffic', async (_, store, target, cause) => {
    world.kvs.overwrite(ARN, store);

    const outcome = await execute(request(undefined, target));

    expect(outcome.error).toBe('PreflightFailed');
    expect((JSON.parse(String(outcome.cause)) as { errorMessage: string }).errorMessage).toContain(cause);
    expect(count(outcome, 'ShiftTraffic')).toBe(0);
    expect(world.kvs.writes).toEqual([]);
  });

  it('with allowLargeGreenPins, green pins for everyone go ahead', async () => {
    world.kvs.overwrite(ARN, { green_cidrs: '["0.0.0.0/0","::/0"]' });

    const outcome = await execute(request({ preset: 'canary10-5m' }, {}, { override: { allowLargeGreenPins: true, reason: 'open beta' } }));

    expect(outcome.status).toBe('SUCCEEDED');
    expect(percentages()).toEqual(['10', '100']);
  });

  it('a refused start (an alarm already firing) takes no lock', async () => {
    world.cloudwatch.setAlarmState('storefront-5xx', 'ALARM', 'Threshold Crossed');

    const outcome = await execute(request());

    expect(outcome.error).toBe('AlarmAlreadyFiring');
    expect(world.kvs.writes).toEqual([]);
  });
});

describe('a post-promotion bake on a KeyValueStore', () => {
  const baked = (extra: object = {}) => request({ weights: [25, 100], bakeSeconds: 600 }, {}, { postPromotion: { bakeSeconds: 1800 }, ...extra });
  const lookAt = (look: number) => (state: string, input: unknown) => {
    if (state === 'AnalyzeAfterPromotion' && (input as { bake: { look: number } }).bake.look === look) {
      world.cloudwatch.setAlarmState('storefront-5xx', 'ALARM', 'Threshold Crossed: 5xx rate 4 % > 1 %');
    }
  };

  it('that fails a look gives the colour the rollout started from all traffic again, in one write', async () => {
    const outcome = await execute(baked(), { executionName: 'storefront-1', beforeTask: lookAt(2) });

    expect(outcome.status).toBe('FAILED');
    expect(outcome.error).toBe('PostPromotionBakeFailed');
    expect(percentages()).toEqual(['25', '100', '0']);
    expect(items()).toEqual(IDLE);
    // The promotion released the lock; the rollback has none to release.
    expect(lockWrites()).toEqual(['storefront-1', '(deleted)']);
    expect(outcome.cause).toMatch(/Rolled back: kvs\/\S+ gives the green canary 0 % again \(green_percentage 0, was 100 %\); there was no coalmine_lock\.$/);
  });

  it('with a blue canary goes back to green', async () => {
    world.kvs.addStore(ARN, { ...IDLE, green_percentage: '100' });

    const outcome = await execute(request({ weights: [25, 100], bakeSeconds: 600 }, { stableAfterPromotion: 'blue' }, { postPromotion: { bakeSeconds: 600 } }), {
      beforeTask: lookAt(0),
    });

    expect(outcome.error).toBe('PostPromotionBakeFailed');
    expect(percentages()).toEqual(['75', '0', '100']);
  });

  it('leaves the store alone when a newer rollout holds it by the time a look fails', async () => {
    const outcome = await execute(baked(), {
      executionName: 'storefront-1',
      beforeTask: (state, input) => {
        if (state === 'AnalyzeAfterPromotion' && (input as { bake: { look: number } }).bake.look === 1) {
          world.kvs.addStore(ARN, { ...IDLE, green_percentage: '100', coalmine_lock: JSON.stringify({ executionName: 'storefront-2', since: new Date().toISOString() }) });
          world.cloudwatch.setAlarmState('storefront-5xx', 'ALARM', 'Threshold Crossed');
        }
      },
    });

    expect(outcome.error).toBe('PostPromotionBakeFailed');
    expect(items().green_percentage).toBe('100');
    expect(outcome.cause).toMatch(/is locked by .*storefront-2.*, not by this rollout \(storefront-1\); left as it is\.$/);
  });
});
