import { RolloutRequestInvalid } from '../../shared/errors';
import { parseRolloutRequest, type RolloutRequest } from '../../shared/config/request';
import { STATES_PER_PATH, planRollout } from '../../shared/plan';

const target = { type: 'lambda-alias', functionName: 'checkout', alias: 'live', version: '42' } as const;

function request(strategy: object, analysis: object = {}, extra: object = {}): RolloutRequest {
  return parseRolloutRequest({ target, strategy, analysis, ...extra });
}

const observable = { observable: true };
const unobservable = { observable: false };

/** Weights 1, 2, …, n-1, 100: n steps in all, n-1 of them canary steps. */
const weightsOfLength = (n: number): number[] => Array.from({ length: n }, (_, i) => (i === n - 1 ? 100 : i + 1));

describe('steps', () => {
  it.each([
    ['canary10-5m', [10], 300],
    ['canary10-30m', [10], 1800],
    ['linear10-1m', [10, 20, 30, 40, 50, 60, 70, 80, 90], 60],
    ['linear10-10m', [10, 20, 30, 40, 50, 60, 70, 80, 90], 600],
    ['all-at-once', [], 0],
  ])('%s bakes at %j, then promotes', (preset, weights, bakeSeconds) => {
    const plan = planRollout(request({ preset }), observable);

    expect(plan.steps).toEqual(weights.map((weight, index) => ({ index, weight, bakeSeconds, intervalSeconds: 60 })));
  });

  it('never bakes at 100 %: the last weight is the promotion', () => {
    const plan = planRollout(request({ weights: [5, 25, 100], bakeSeconds: 90 }), observable);

    expect(plan.steps.map((s) => s.weight)).toEqual([5, 25]);
  });
});

/**
 * Transitions as the planner should count them from the paths through the state machine; how many
 * states each path has is checked against real local executions in test/statemachine. `looks` is the
 * nominal number of looks of all steps; every one of the `extraLooks` per step pays an extra bake's states.
 */
function expectedTransitions(steps: number, looks: number, extraLooksPerStep: number, settles: boolean) {
  const p = STATES_PER_PATH;
  const shared = p.start + steps * p.step + looks * p.look + (settles ? steps * p.settle : 0) + Math.max(0, steps - 1) * p.advance;
  return {
    nominal: shared + p.promote,
    worstCase: shared + steps * extraLooksPerStep * (p.look + p.extraBake) + Math.max(p.promote, p.rollback),
  };
}

describe('looks, duration, state transitions and cost per preset (observable target, defaults: a look a minute, 3,600 s of extra bake time)', () => {
  // nominal: every step passes at the end of its bake; worst case: every step spends all its extra bake time.
  it.each([
    //  preset,      steps, looks, nominal s
    ['canary10-5m', 1, 5, 300],
    ['canary10-10m', 1, 10, 600],
    ['canary10-15m', 1, 15, 900],
    ['canary10-30m', 1, 30, 1800],
    ['linear10-1m', 9, 9, 540],
    ['linear10-2m', 9, 18, 1080],
    ['linear10-3m', 9, 27, 1620],
    ['linear10-10m', 9, 90, 5400],
    ['all-at-once', 0, 0, 0],
  ])('%s: %i canary steps, %i looks, %i s nominal', (preset, steps, looks, nominal) => {
    const plan = planRollout(request({ preset }), observable);

    expect(plan.steps.every((step) => step.intervalSeconds === 60)).toBe(true);
    expect(plan.looks).toEqual({ nominal: looks, worstCase: looks + steps * 60 });
    expect(plan.nominalSeconds).toBe(nominal);
    expect(plan.worstCaseSeconds).toBe(nominal + steps * 3600);
    expect(plan.stateTransitions).toEqual(expectedTransitions(steps, looks, 60, false));
    expect(plan.nominalCostUsd).toBeCloseTo((plan.stateTransitions.nominal * 0.025) / 1000, 12);
  });

  it('looks every minute on canary10-5m in at most 30 state transitions: 3 per look', () => {
    const plan = planRollout(request({ preset: 'canary10-5m' }), observable);

    expect(plan.stateTransitions.nominal).toBe(27);
    expect(plan.stateTransitions.nominal).toBeLessThanOrEqual(30);
    expect(STATES_PER_PATH.look).toBe(3);
  });

  it('costs more for more looks, and stays around a cent for the presets', () => {
    const cost = (preset: string) => planRollout(request({ preset }), observable).nominalCostUsd;

    expect(cost('all-at-once')).toBeLessThan(cost('canary10-5m'));
    expect(cost('canary10-5m')).toBeLessThan(cost('canary10-10m'));
    expect(cost('linear10-1m')).toBeLessThan(cost('linear10-10m'));
    expect(cost('linear10-10m')).toBeLessThan(0.01);
  });

  it('ends its worst case with a rollback, its nominal case with a promotion', () => {
    const plan = planRollout(request({ preset: 'canary10-5m' }, { inconclusive: { maxExtraSeconds: 0 } }), observable);

    expect(plan.stateTransitions.worstCase - plan.stateTransitions.nominal).toBe(
      Math.max(STATES_PER_PATH.promote, STATES_PER_PATH.rollback) - STATES_PER_PATH.promote,
    );
  });

  it.each([
    [0, 0, 300],
    [60, 1, 360],
    [90, 2, 390],
    [7200, 120, 7500],
  ])('with %i s of extra bake time per step, canary10-5m has %i more looks at worst and could last %i s', (maxExtraSeconds, extraLooks, worst) => {
    const plan = planRollout(request({ preset: 'canary10-5m' }, { inconclusive: { maxExtraSeconds } }), observable);

    expect(plan.maxExtraSecondsPerStep).toBe(maxExtraSeconds);
    expect(plan.nominalSeconds).toBe(300);
    expect(plan.worstCaseSeconds).toBe(worst);
    expect(plan.looks).toEqual({ nominal: 5, worstCase: 5 + extraLooks });
    expect(plan.stateTransitions).toEqual(expectedTransitions(1, 5, extraLooks, false));
  });

  it('looks as often as analysis.intervalSeconds says, and at least once per bake', () => {
    expect(planRollout(request({ preset: 'canary10-5m' }, { intervalSeconds: 120 }), observable).looks.nominal).toBe(3);
    expect(planRollout(request({ preset: 'canary10-5m' }, { intervalSeconds: 600 }), observable).looks.nominal).toBe(1);
    expect(planRollout(request({ weights: [10, 100], bakeSeconds: 0 }), observable).looks.nominal).toBe(1);
  });
});

describe('observable and unobservable targets', () => {
  it('does not wait to settle when the target can confirm the weight', () => {
    const plan = planRollout(request({ preset: 'linear10-1m' }, {}, { settleSeconds: 45 }), observable);

    expect(plan.settleSeconds).toBe(0);
    expect(plan.nominalSeconds).toBe(540);
  });

  it('counts the settle time of every step when propagation cannot be observed', () => {
    const plan = planRollout(request({ preset: 'linear10-1m' }, {}, { settleSeconds: 45 }), unobservable);

    expect(plan.settleSeconds).toBe(45);
    expect(plan.nominalSeconds).toBe(9 * (60 + 45));
    // Extra bakes do not shift again, so they do not settle again.
    expect(plan.worstCaseSeconds).toBe(9 * (60 + 45) + 9 * 3600);
    // One WaitForEdgeToSettle state per step.
    expect(plan.stateTransitions).toEqual(expectedTransitions(9, 9, 60, true));
    expect(plan.stateTransitions.nominal).toBe(planRollout(request({ preset: 'linear10-1m' }), observable).stateTransitions.nominal + 9);
  });

  it('uses the default settle time of 30 s', () => {
    expect(planRollout(request({ preset: 'canary10-5m' }), unobservable).nominalSeconds).toBe(330);
  });
});

describe('the Step Functions history bound', () => {
  it('widens the interval of a long rollout until its worst case fits, and says by how much', () => {
    // 9 steps of a day each: a look a minute would be 9 × (1,440 + 60) looks.
    const plan = planRollout(request({ weights: [10, 20, 30, 40, 50, 60, 70, 80, 90, 100], bakeSeconds: 24 * 3600 }), observable);
    const interval = plan.steps[0]?.intervalSeconds ?? 0;
    const narrower = planRollout(request({ weights: [10, 20, 30, 40, 50, 60, 70, 80, 90, 100], bakeSeconds: 24 * 3600 }, { intervalSeconds: interval }), observable);

    expect(plan.requestedIntervalSeconds).toBe(60);
    expect(interval).toBeGreaterThan(60);
    expect(plan.steps.every((step) => step.intervalSeconds === interval)).toBe(true);
    expect(plan.worstCaseHistoryEvents).toBeLessThanOrEqual(20_000);
    expect(narrower.worstCaseHistoryEvents).toBe(plan.worstCaseHistoryEvents);
    // One second narrower would not fit: the widest interval needed, not more.
    expect(planRollout(request({ weights: [10, 20, 30, 40, 50, 60, 70, 80, 90, 100], bakeSeconds: 24 * 3600 }, { intervalSeconds: interval - 1 }), observable).steps[0]?.intervalSeconds).toBe(interval);
  });

  it('keeps the asked interval when the worst case fits', () => {
    const plan = planRollout(request({ preset: 'linear10-10m' }, { intervalSeconds: 90 }), observable);

    expect(plan.steps.every((step) => step.intervalSeconds === 90)).toBe(true);
    expect(plan.requestedIntervalSeconds).toBe(90);
  });

  it('fits 100 steps with days of extra bake time by looking less often', () => {
    const plan = planRollout(request({ weights: weightsOfLength(100), bakeSeconds: 60 }, { inconclusive: { maxExtraSeconds: 3 * 24 * 3600 } }), observable);

    expect(plan.steps).toHaveLength(99);
    expect(plan.steps[0]?.intervalSeconds).toBeGreaterThan(60);
    expect(plan.worstCaseHistoryEvents).toBeLessThanOrEqual(20_000);
  });

  it('accepts 100 steps when nothing may bake longer', () => {
    const plan = planRollout(request({ weights: weightsOfLength(100), bakeSeconds: 60 }, { inconclusive: { maxExtraSeconds: 0 } }), observable);

    expect(plan.steps).toHaveLength(99);
    expect(plan.worstCaseHistoryEvents).toBeLessThanOrEqual(20_000);
  });

  it('counts the settle waits of an unobservable target against the budget', () => {
    const ofObservable = planRollout(request({ weights: weightsOfLength(50), bakeSeconds: 60 }, { inconclusive: { maxExtraSeconds: 0 } }), observable);
    const ofUnobservable = planRollout(request({ weights: weightsOfLength(50), bakeSeconds: 60 }, { inconclusive: { maxExtraSeconds: 0 } }), unobservable);

    expect(ofUnobservable.worstCaseHistoryEvents).toBeGreaterThan(ofObservable.worstCaseHistoryEvents);
  });

  it('counts every look of the extra bake time against the budget', () => {
    const events = (maxExtraSeconds: number) =>
      planRollout(request({ preset: 'linear10-1m' }, { inconclusive: { maxExtraSeconds } }), observable).worstCaseHistoryEvents;

    expect(events(60) - events(0)).toBeGreaterThan(0);
    expect(events(600) - events(0)).toBe(10 * (events(60) - events(0)));
  });

  it('keeps the worst case of every preset below the budget at a look a minute', () => {
    const plan = planRollout(request({ preset: 'linear10-10m' }), observable);

    expect(plan.steps[0]?.intervalSeconds).toBe(60);
    expect(plan.worstCaseHistoryEvents).toBeLessThan(20_000);
  });
});

describe('the one-year bound', () => {
  const sevenDays = 7 * 24 * 3600;
  const nineSteps = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100];

  it('refuses a rollout that could outlast a Step Functions execution, saying how to fix it', () => {
    // 52 steps × 7 days, with 7 days of extra bake time each = 728 days.
    const plan = () => planRollout(request({ weights: weightsOfLength(53), bakeSeconds: sevenDays }, { inconclusive: { maxExtraSeconds: sevenDays } }), observable);

    expect(plan).toThrow(RolloutRequestInvalid);
    expect(plan).toThrow(`The rollout could last ${52 * sevenDays * 2} s, longer than a Step Functions execution may run (31536000 s)`);
    expect(plan).toThrow('Shorten bakeSeconds or approval timeouts, or lower analysis.inconclusive.maxExtraSeconds');
  });

  it('accepts one that fits: 9 steps × 7 days × 2 = 126 days', () => {
    const plan = planRollout(request({ weights: nineSteps, bakeSeconds: sevenDays }, { inconclusive: { maxExtraSeconds: sevenDays } }), observable);

    expect(plan.worstCaseSeconds).toBe(9 * sevenDays * 2);
    expect(plan.nominalSeconds).toBe(9 * sevenDays);
  });
});

describe('approval gates (strategy.steps)', () => {
  const steps = [
    { weight: 5, bakeSeconds: 300 },
    { weight: 25, bakeSeconds: 600, approval: { timeoutSeconds: 3600 } },
    { weight: 100 },
  ];

  it('keeps each step its own bake and gate; a gate adds nothing nominal and its whole timeout to the worst case', () => {
    const plan = planRollout(request({ steps }), observable);

    expect(plan.steps).toEqual([
      { index: 0, weight: 5, bakeSeconds: 300, intervalSeconds: 60 },
      { index: 1, weight: 25, bakeSeconds: 600, intervalSeconds: 60, approval: { timeoutSeconds: 3600, onTimeout: 'rollback' } },
    ]);
    expect(plan.nominalSeconds).toBe(900);
    // An hour of extra bake time per step, then the gate waits out its hour.
    expect(plan.worstCaseSeconds).toBe(900 + 2 * 3600 + 3600);
  });

  it('plans the list form without gates like the same weights and bake', () => {
    const listed = planRollout(request({ steps: [{ weight: 10, bakeSeconds: 300 }, { weight: 100 }] }), observable);

    const preset = planRollout(request({ preset: 'canary10-5m' }), observable);

    // The state size counts the request's own JSON, which the list form spells out longer.
    expect({ ...listed, worstCaseStateBytes: 0 }).toEqual({ ...preset, worstCaseStateBytes: 0 });
  });

  it('counts a gate’s states: 3 when approved (nominal), 5 when it times out and proceeds (worst case)', () => {
    const gated = planRollout(request({ steps }), observable);
    const ungated = planRollout(request({ steps: steps.map(({ weight, bakeSeconds }) => ({ weight, ...(bakeSeconds === undefined ? {} : { bakeSeconds }) })) }), observable);

    expect(gated.stateTransitions.nominal - ungated.stateTransitions.nominal).toBe(3);
    expect(gated.stateTransitions.worstCase - ungated.stateTransitions.worstCase).toBe(5);
    // AwaitApproval and AnnounceGatePassed log 5 history events each, the choices 2 each.
    expect(gated.worstCaseHistoryEvents - ungated.worstCaseHistoryEvents).toBe(5 + 5 + 2 + 2 + 2);
  });

  it('a hold may wait at every step in the worst case, holdSeconds each, and costs nothing nominal', () => {
    const held = planRollout(request({ weights: [10, 50, 100], bakeSeconds: 300 }, { inconclusive: { then: 'hold', holdSeconds: 1800 } }), observable);
    const rolledBack = planRollout(request({ weights: [10, 50, 100], bakeSeconds: 300 }, {}), observable);

    expect(held.worstCaseSeconds - rolledBack.worstCaseSeconds).toBe(2 * 1800);
    expect(held.stateTransitions.worstCase - rolledBack.stateTransitions.worstCase).toBe(2 * 5);
    expect(held.stateTransitions.nominal).toBe(rolledBack.stateTransitions.nominal);
  });

  it('counts gate timeouts against the one-year bound', () => {
    const week = 7 * 24 * 3600;
    const gated = Array.from({ length: 53 }, (_, i) => ({ weight: i + 1, bakeSeconds: 0, approval: { timeoutSeconds: week } }));

    expect(() => planRollout(request({ steps: [...gated, { weight: 100 }] }, { inconclusive: { maxExtraSeconds: 0 } }), observable)).toThrow(`The rollout could last ${53 * week} s`);
  });
});
