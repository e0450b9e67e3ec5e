import { parseRolloutRequest } from '../../shared/config/request';
import { planRollout } from '../../shared/plan';
import { decideNextAction, type NextAction, type Progress, type Verdict } from '../../shared/rollout';

/** Three canary steps (10, 50, 90 %) and the promotion; at most 2 extra bakes per step. */
function rollout(then: 'rollback' | 'proceed', maxExtraBakes = 2) {
  const request = parseRolloutRequest({
    target: { type: 'lambda-alias', functionName: 'checkout', alias: 'live', version: '42' },
    strategy: { weights: [10, 50, 90, 100], bakeSeconds: 300 },
    analysis: { alarms: ['checkout-errors'], inconclusive: { maxExtraBakes, then } },
  });
  return { request, plan: planRollout(request, { observable: true }) };
}

const STEP = { first: 0, middle: 1, last: 2 } as const;
const WEIGHT = { first: 10, middle: 50, last: 90 } as const;

function progress(position: keyof typeof STEP, extraBakes: number): Progress {
  const shiftedAt = '2025-01-01T00:00:00.000Z';
  return { stepIndex: STEP[position], extraBakes, weight: WEIGHT[position], bakeSeconds: 300, shiftedAt, shifts: [{ weight: WEIGHT[position], at: shiftedAt }] };
}

type Row = [Verdict, keyof typeof STEP, number, 'rollback' | 'proceed', NextAction, string];

describe('decideNextAction', () => {
  it.each<Row>([
    // A failed analysis rolls back wherever it happens, whatever the policy.
    ['fail', 'first', 0, 'rollback', 'rollback', 'the analysis failed'],
    ['fail', 'middle', 1, 'proceed', 'rollback', 'the analysis failed'],
    ['fail', 'last', 2, 'proceed', 'rollback', 'the analysis failed'],
    // A pass moves on: to the next step, or to the promotion after the last one.
    ['pass', 'first', 0, 'rollback', 'advance', 'the analysis passed'],
    ['pass', 'middle', 0, 'rollback', 'advance', 'the analysis passed'],
    ['pass', 'middle', 2, 'rollback', 'advance', 'the analysis passed'],
    ['pass', 'last', 0, 'rollback', 'promote', 'the analysis passed'],
    ['pass', 'last', 2, 'proceed', 'promote', 'the analysis passed'],
    // Inconclusive bakes again while extra bakes are left.
    ['inconclusive', 'first', 0, 'rollback', 'bake-again', 'the analysis was inconclusive; extra bake 1 of 2'],
    ['inconclusive', 'middle', 1, 'proceed', 'bake-again', 'the analysis was inconclusive; extra bake 2 of 2'],
    ['inconclusive', 'last', 1, 'rollback', 'bake-again', 'the analysis was inconclusive; extra bake 2 of 2'],
    // Then the policy decides.
    ['inconclusive', 'first', 2, 'rollback', 'rollback', 'still inconclusive after 2 extra bakes; the policy says roll back'],
    ['inconclusive', 'middle', 2, 'rollback', 'rollback', 'still inconclusive after 2 extra bakes; the policy says roll back'],
    ['inconclusive', 'last', 2, 'rollback', 'rollback', 'still inconclusive after 2 extra bakes; the policy says roll back'],
    ['inconclusive', 'first', 2, 'proceed', 'advance', 'still inconclusive after 2 extra bakes; the policy says proceed'],
    ['inconclusive', 'middle', 2, 'proceed', 'advance', 'still inconclusive after 2 extra bakes; the policy says proceed'],
    ['inconclusive', 'last', 2, 'proceed', 'promote', 'still inconclusive after 2 extra bakes; the policy says proceed'],
  ])('%s on the %s step after %i extra bakes, policy %s → %s', (verdict, position, extraBakes, then, action, reason) => {
    expect(decideNextAction(verdict, progress(position, extraBakes), rollout(then))).toEqual({ action, reason });
  });

  it.each<['rollback' | 'proceed', NextAction]>([
    ['rollback', 'rollback'],
    ['proceed', 'advance'],
  ])('with no extra bakes allowed, an inconclusive step goes straight to the policy (%s → %s)', (then, action) => {
    const decision = decideNextAction('inconclusive', progress('first', 0), rollout(then, 0));

    expect(decision.action).toBe(action);
    expect(decision.reason).toContain('still inconclusive after 0 extra bakes');
  });

  it('promotes a single-step rollout that passes its only analysis', () => {
    const request = parseRolloutRequest({
      target: { type: 'lambda-alias', functionName: 'checkout', alias: 'live', version: '42' },
      strategy: { preset: 'canary10-5m' },
      analysis: {},
    });
    const single = { request, plan: planRollout(request, { observable: true }) };

    expect(decideNextAction('pass', { ...progress('first', 0), weight: 10 }, single).action).toBe('promote');
  });
});

describe('decideNextAction at gates', () => {
  const gated = (inconclusive: object = {}) => {
    const request = parseRolloutRequest({
      target: { type: 'lambda-alias', functionName: 'checkout', alias: 'live', version: '42' },
      strategy: {
        steps: [
          { weight: 10, bakeSeconds: 300, approval: { timeoutSeconds: 600, onTimeout: 'proceed' } },
          { weight: 50, bakeSeconds: 300 },
          { weight: 90, bakeSeconds: 300, approval: { timeoutSeconds: 3600 } },
          { weight: 100 },
        ],
      },
      analysis: { alarms: ['checkout-errors'], inconclusive },
    });
    return { request, plan: planRollout(request, { observable: true }) };
  };

  it.each<[keyof typeof STEP, Verdict, number, object, object | undefined]>([
    // A pass on a step with an approval waits for a person, leading on as the step's position says.
    ['first', 'pass', 0, {}, { kind: 'approval', timeoutSeconds: 600, onTimeout: 'proceed', then: 'advance' }],
    ['last', 'pass', 1, {}, { kind: 'approval', timeoutSeconds: 3600, onTimeout: 'rollback', then: 'promote' }],
    // A step without one moves on at once; a failure never waits.
    ['middle', 'pass', 0, {}, undefined],
    ['first', 'fail', 0, {}, undefined],
    // A hold: the extra bakes spent, the judges still undecided, a person decides within holdSeconds.
    ['middle', 'inconclusive', 2, { then: 'hold', holdSeconds: 1800 }, { kind: 'hold', timeoutSeconds: 1800, onTimeout: 'rollback', then: 'advance' }],
    ['last', 'inconclusive', 2, { then: 'hold', holdSeconds: 1800 }, { kind: 'hold', timeoutSeconds: 1800, onTimeout: 'rollback', then: 'promote' }],
    ['last', 'inconclusive', 1, { then: 'hold', holdSeconds: 1800 }, undefined],
  ])('on the %s step, %s after %i extra bakes (%j) → gate %j', (position, verdict, extraBakes, inconclusive, gate) => {
    const decision = decideNextAction(verdict, progress(position, extraBakes), gated(inconclusive));

    expect(decision.gate).toEqual(gate);
    if (gate !== undefined) expect(decision.action).toBe('await-approval');
    else expect(decision.action).not.toBe('await-approval');
  });

  it('says what the hold waits for and what its timeout does', () => {
    expect(decideNextAction('inconclusive', progress('first', 2), gated({ then: 'hold', holdSeconds: 1800 })).reason).toBe(
      'still inconclusive after 2 extra bakes; holding for a person to decide (at most 1800 s, then roll back)',
    );
  });
});
