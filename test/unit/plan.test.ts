import { RolloutRequestInvalid } from '../../shared/errors';
import { parseRolloutRequest, type RolloutRequest } from '../../shared/config/request';
import { planRollout } from '../../shared/plan';

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

describe('duration, state transitions and cost per preset (observable target, 2 extra bakes)', () => {
  // nominal: every analysis passes at once; worst case: every step spends its 2 extra bakes.
  it.each([
    //  preset,          nominal, worst,  transitions, worst,  USD
    ['canary10-5m', 300, 900, 10, 19, 0.00025],
    ['canary10-10m', 600, 1800, 10, 19, 0.00025],
    ['canary10-15m', 900, 2700, 10, 19, 0.00025],
    ['canary10-30m', 1800, 5400, 10, 19, 0.00025],
    ['linear10-1m', 540, 1620, 66, 139, 0.00165],
    ['linear10-2m', 1080, 3240, 66, 139, 0.00165],
    ['linear10-3m', 1620, 4860, 66, 139, 0.00165],
    ['linear10-10m', 5400, 16200, 66, 139, 0.00165],
    ['all-at-once', 0, 0, 4, 5, 0.0001],
  ])('%s: %i s nominal, %i s worst case, %i/%i transitions, $%d', (preset, nominal, worst, transitions, worstTransitions, usd) => {
    const plan = planRollout(request({ preset }), observable);

    expect(plan.nominalSeconds).toBe(nominal);
    expect(plan.worstCaseSeconds).toBe(worst);
    expect(plan.stateTransitions).toEqual({ nominal: transitions, worstCase: worstTransitions });
    expect(plan.nominalCostUsd).toBeCloseTo(usd, 10);
  });

  it('prices transitions at $0.025 per 1,000', () => {
    const plan = planRollout(request({ preset: 'linear10-1m' }), observable);

    expect(plan.nominalCostUsd).toBeCloseTo((plan.stateTransitions.nominal * 0.025) / 1000, 12);
  });

  it.each([
    [0, 300, 11],
    [1, 600, 15],
    [5, 1800, 31],
    [20, 6300, 91],
  ])('with %i extra bakes per step, canary10-5m could last %i s in %i transitions', (maxExtraBakes, worst, worstTransitions) => {
    const plan = planRollout(request({ preset: 'canary10-5m' }, { inconclusive: { maxExtraBakes } }), observable);

    expect(plan.maxExtraBakesPerStep).toBe(maxExtraBakes);
    expect(plan.nominalSeconds).toBe(300);
    expect(plan.worstCaseSeconds).toBe(worst);
    expect(plan.stateTransitions.worstCase).toBe(worstTransitions);
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
    expect(plan.stateTransitions).toEqual({ nominal: 66 + 9, worstCase: 139 + 9 });
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

  it.each([
    // 20 extra bakes: 243 history events per step, 16 besides; 245 per step when each step also settles.
    [observable, 83, 'accepted', 19_942],
    [observable, 84, 'refused', 20_185],
    [unobservable, 82, 'accepted', 19_861],
    [unobservable, 83, 'refused', 20_106],
  ])('%j with %i weights and 20 extra bakes is %s (%i events)', (options, length, outcome, events) => {
    const plan = () =>
      planRollout(request({ weights: weightsOfLength(length), bakeSeconds: 60 }, { inconclusive: { maxExtraBakes: 20 } }), options);

    if (outcome === 'accepted') {
      expect(plan().worstCaseHistoryEvents).toBe(events);
    } else {
      expect(plan).toThrow(new RegExp(`could need ${events} Step Functions history events`));
    }
  });

  it('keeps the worst case of a preset far below the budget', () => {
    expect(planRollout(request({ preset: 'linear10-1m' }), observable).worstCaseHistoryEvents).toBe(421);
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
    expect(plan).toThrow('Shorten bakeSeconds or lower analysis.inconclusive.maxExtraBakes');
  });

  it('accepts one that fits: 9 steps × 7 days × (1 + 4 extra bakes) = 315 days', () => {
    const plan = planRollout(request({ weights: nineSteps, bakeSeconds: sevenDays }, { inconclusive: { maxExtraBakes: 4 } }), observable);

    expect(plan.worstCaseSeconds).toBe(9 * sevenDays * 5);
    expect(plan.nominalSeconds).toBe(9 * sevenDays);
  });
});
