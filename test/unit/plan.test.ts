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

    expect(plan.steps).toEqual(weights.map((weight, index) => ({ index, weight, bakeSeconds })));
  });

  it('never bakes at 100 %: the last weight is the promotion', () => {
    const plan = planRollout(request({ weights: [5, 25, 100], bakeSeconds: 90 }), observable);

    expect(plan.steps.map((s) => s.weight)).toEqual([5, 25]);
  });
});

/**
 * Transitions as the planner should count them from the paths through the state machine; how many
 * states each path has is checked against real local executions in test/statemachine.
 */
function expectedTransitions(steps: number, extraBakes: number, settles: boolean) {
  const p = STATES_PER_PATH;
  const shared = p.start + steps * p.step + (settles ? steps * p.settle : 0) + Math.max(0, steps - 1) * p.advance;
  return {
    nominal: shared + p.promote,
    worstCase: shared + steps * extraBakes * p.extraBake + Math.max(p.promote, p.rollback),
  };
}

describe('duration, state transitions and cost per preset (observable target, 2 extra bakes)', () => {
  // nominal: every analysis passes at once; worst case: every step spends its 2 extra bakes.
  it.each([
    //  preset,      steps, nominal s, worst-case s
    ['canary10-5m', 1, 300, 900],
    ['canary10-10m', 1, 600, 1800],
    ['canary10-15m', 1, 900, 2700],
    ['canary10-30m', 1, 1800, 5400],
    ['linear10-1m', 9, 540, 1620],
    ['linear10-2m', 9, 1080, 3240],
    ['linear10-3m', 9, 1620, 4860],
    ['linear10-10m', 9, 5400, 16200],
    ['all-at-once', 0, 0, 0],
  ])('%s: %i canary steps, %i s nominal, %i s worst case', (preset, steps, nominal, worst) => {
    const plan = planRollout(request({ preset }), observable);

    expect(plan.nominalSeconds).toBe(nominal);
    expect(plan.worstCaseSeconds).toBe(worst);
    expect(plan.stateTransitions).toEqual(expectedTransitions(steps, 2, false));
    expect(plan.nominalCostUsd).toBeCloseTo((plan.stateTransitions.nominal * 0.025) / 1000, 12);
  });

  it('costs more for more steps, and stays around a cent for the presets', () => {
    const cost = (preset: string) => planRollout(request({ preset }), observable).nominalCostUsd;

    expect(cost('all-at-once')).toBeLessThan(cost('canary10-5m'));
    expect(cost('canary10-5m')).toBeLessThan(cost('linear10-1m'));
    expect(cost('linear10-10m')).toBe(cost('linear10-1m'));
    expect(cost('linear10-1m')).toBeLessThan(0.01);
  });

  it('ends its worst case with a rollback, its nominal case with a promotion', () => {
    const plan = planRollout(request({ preset: 'canary10-5m' }, { inconclusive: { maxExtraBakes: 0 } }), observable);

    expect(plan.stateTransitions.worstCase - plan.stateTransitions.nominal).toBe(
      Math.max(STATES_PER_PATH.promote, STATES_PER_PATH.rollback) - STATES_PER_PATH.promote,
    );
  });

  it.each([
    [0, 300],
    [1, 600],
    [5, 1800],
    [20, 6300],
  ])('with %i extra bakes per step, canary10-5m could last %i s', (maxExtraBakes, worst) => {
    const plan = planRollout(request({ preset: 'canary10-5m' }, { inconclusive: { maxExtraBakes } }), observable);

    expect(plan.maxExtraBakesPerStep).toBe(maxExtraBakes);
    expect(plan.nominalSeconds).toBe(300);
    expect(plan.worstCaseSeconds).toBe(worst);
    expect(plan.stateTransitions).toEqual(expectedTransitions(1, maxExtraBakes, false));
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
    expect(plan.worstCaseSeconds).toBe(9 * (60 + 45) + 9 * 2 * 60);
    // One WaitForEdgeToSettle state per step.
    expect(plan.stateTransitions).toEqual(expectedTransitions(9, 2, true));
    expect(plan.stateTransitions.nominal).toBe(planRollout(request({ preset: 'linear10-1m' }), observable).stateTransitions.nominal + 9);
  });

  it('uses the default settle time of 30 s', () => {
    expect(planRollout(request({ preset: 'canary10-5m' }), unobservable).nominalSeconds).toBe(330);
  });
});

describe('the Step Functions history bound', () => {
  function refusal(plan: () => unknown): Error {
    try {
      plan();
    } catch (error) {
      return error as Error;
    }
    throw new Error('expected the plan to be refused');
  }

  it('refuses 100 steps with 20 extra bakes each, saying how to fix it', () => {
    const error = refusal(() =>
      planRollout(request({ weights: weightsOfLength(100), bakeSeconds: 60 }, { inconclusive: { maxExtraBakes: 20 } }), observable),
    );

    expect(error).toBeInstanceOf(RolloutRequestInvalid);
    expect(error.name).toBe('RolloutRequestInvalid');
    expect(error.message).toMatch(/could need \d+ Step Functions history events, over the budget of 20000/);
    expect(error.message).toContain('25,000');
    expect(error.message).toContain('fewer analysis.inconclusive.maxExtraBakes');
  });

  it('accepts 100 steps when nothing is inconclusive twice', () => {
    const plan = planRollout(request({ weights: weightsOfLength(100), bakeSeconds: 60 }, { inconclusive: { maxExtraBakes: 0 } }), observable);

    expect(plan.steps).toHaveLength(99);
    expect(plan.worstCaseHistoryEvents).toBeLessThanOrEqual(20_000);
  });

  /** The most weights (with 20 extra bakes per step) whose plan fits the history budget. */
  function mostWeightsThatFit(options: { observable: boolean }): number {
    let length = 2;
    for (;;) {
      try {
        planRollout(request({ weights: weightsOfLength(length + 1), bakeSeconds: 60 }, { inconclusive: { maxExtraBakes: 20 } }), options);
        length += 1;
      } catch (error) {
        expect(error).toBeInstanceOf(RolloutRequestInvalid);
        return length;
      }
    }
  }

  it.each([
    ['an observable target', observable],
    ['an unobservable target', unobservable],
  ])('for %s, refuses exactly the plans whose worst case exceeds 20,000 events', (_case, options) => {
    const most = mostWeightsThatFit(options);
    const fits = planRollout(request({ weights: weightsOfLength(most), bakeSeconds: 60 }, { inconclusive: { maxExtraBakes: 20 } }), options);
    const shorter = planRollout(request({ weights: weightsOfLength(most - 1), bakeSeconds: 60 }, { inconclusive: { maxExtraBakes: 20 } }), options);
    const perStep = fits.worstCaseHistoryEvents - shorter.worstCaseHistoryEvents;

    expect(fits.worstCaseHistoryEvents).toBeLessThanOrEqual(20_000);
    // One more step would cross the budget: the refusal names the count.
    expect(fits.worstCaseHistoryEvents + perStep).toBeGreaterThan(20_000);
    expect(() =>
      planRollout(request({ weights: weightsOfLength(most + 1), bakeSeconds: 60 }, { inconclusive: { maxExtraBakes: 20 } }), options),
    ).toThrow(`could need ${fits.worstCaseHistoryEvents + perStep} Step Functions history events`);
    expect(most).toBeGreaterThan(50);
    expect(most).toBeLessThan(100);
  });

  it('counts the settle waits of an unobservable target against the budget', () => {
    const ofObservable = planRollout(request({ weights: weightsOfLength(50), bakeSeconds: 60 }), observable);
    const ofUnobservable = planRollout(request({ weights: weightsOfLength(50), bakeSeconds: 60 }), unobservable);

    expect(ofUnobservable.worstCaseHistoryEvents).toBeGreaterThan(ofObservable.worstCaseHistoryEvents);
    expect(mostWeightsThatFit(unobservable)).toBeLessThanOrEqual(mostWeightsThatFit(observable));
  });

  it('counts every extra bake against the budget', () => {
    const events = (maxExtraBakes: number) =>
      planRollout(request({ preset: 'linear10-1m' }, { inconclusive: { maxExtraBakes } }), observable).worstCaseHistoryEvents;

    expect(events(1) - events(0)).toBeGreaterThan(0);
    expect(events(10) - events(0)).toBe(10 * (events(1) - events(0)));
  });

  it('keeps the worst case of every preset far below the budget', () => {
    expect(planRollout(request({ preset: 'linear10-10m' }, { inconclusive: { maxExtraBakes: 20 } }), observable).worstCaseHistoryEvents).toBeLessThan(5_000);
  });
});

describe('the one-year bound', () => {
  const sevenDays = 7 * 24 * 3600;
  const nineSteps = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100];

  it('refuses a rollout that could outlast a Step Functions execution, saying how to fix it', () => {
    // 9 steps × 7 days × (1 + 5 extra bakes) = 378 days.
    const plan = () => planRollout(request({ weights: nineSteps, bakeSeconds: sevenDays }, { inconclusive: { maxExtraBakes: 5 } }), observable);

    expect(plan).toThrow(RolloutRequestInvalid);
    expect(plan).toThrow(`The rollout could last ${9 * sevenDays * 6} s, longer than a Step Functions execution may run (31536000 s)`);
    expect(plan).toThrow('Shorten bakeSeconds or approval timeouts, or lower analysis.inconclusive.maxExtraBakes');
  });

  it('accepts one that fits: 9 steps × 7 days × (1 + 4 extra bakes) = 315 days', () => {
    const plan = planRollout(request({ weights: nineSteps, bakeSeconds: sevenDays }, { inconclusive: { maxExtraBakes: 4 } }), observable);

    expect(plan.worstCaseSeconds).toBe(9 * sevenDays * 5);
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
      { index: 0, weight: 5, bakeSeconds: 300 },
      { index: 1, weight: 25, bakeSeconds: 600, approval: { timeoutSeconds: 3600, onTimeout: 'rollback' } },
    ]);
    expect(plan.nominalSeconds).toBe(900);
    // 2 extra bakes per step, then the gate waits out its hour.
    expect(plan.worstCaseSeconds).toBe(900 * 3 + 3600);
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
    const held = planRollout(request({ weights: [10, 50, 100], bakeSeconds: 300 }, { inconclusive: { maxExtraBakes: 2, then: 'hold', holdSeconds: 1800 } }), observable);
    const rolledBack = planRollout(request({ weights: [10, 50, 100], bakeSeconds: 300 }, { inconclusive: { maxExtraBakes: 2 } }), observable);

    expect(held.worstCaseSeconds - rolledBack.worstCaseSeconds).toBe(2 * 1800);
    expect(held.stateTransitions.worstCase - rolledBack.stateTransitions.worstCase).toBe(2 * 5);
    expect(held.stateTransitions.nominal).toBe(rolledBack.stateTransitions.nominal);
  });

  it('counts gate timeouts against the one-year bound', () => {
    const week = 7 * 24 * 3600;
    const gated = Array.from({ length: 53 }, (_, i) => ({ weight: i + 1, bakeSeconds: 0, approval: { timeoutSeconds: week } }));

    expect(() => planRollout(request({ steps: [...gated, { weight: 100 }] }), observable)).toThrow(`The rollout could last ${53 * week} s`);
  });
});
