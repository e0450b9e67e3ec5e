import { parseRolloutRequest } from '../../shared/config/request';
import { planRollout } from '../../shared/plan';
import { bakedSecondsAt, decideNextAction, extraBakeSeconds, type NextAction, type Progress, type Verdict } from '../../shared/rollout';

/** Three canary steps (10, 50, 90 %) of 300 s and the promotion; looks every 60 s; 600 s of extra bake time per step. */
function rollout(then: 'rollback' | 'proceed', maxExtraSeconds = 600) {
  const request = parseRolloutRequest({
    target: { type: 'lambda-alias', functionName: 'checkout', alias: 'live', version: '42' },
    strategy: { weights: [10, 50, 90, 100], bakeSeconds: 300 },
    analysis: { alarms: ['checkout-errors'], inconclusive: { maxExtraSeconds, then } },
  });
  return { request, plan: planRollout(request, { observable: true }) };
}

const STEP = { first: 0, middle: 1, last: 2 } as const;
const WEIGHT = { first: 10, middle: 50, last: 90 } as const;

function progress(position: keyof typeof STEP, extraSeconds: number): Progress {
  const shiftedAt = '2025-01-01T00:00:00.000Z';
  return {
    stepIndex: STEP[position],
    extraBakes: extraSeconds > 0 ? 1 : 0,
    extraSeconds,
    weight: WEIGHT[position],
    bakeSeconds: 300,
    lookSeconds: 60,
    shiftedAt,
    shifts: [{ weight: WEIGHT[position], at: shiftedAt }],
  };
}

// verdict, step, extra seconds granted, seconds baked at this look, the judges' estimate, policy → action, reason, wait, extra seconds
type Row = [Verdict, keyof typeof STEP, number, number, number | undefined, 'rollback' | 'proceed', NextAction, string, number | undefined, number | undefined];

describe('decideNextAction', () => {
  it.each<Row>([
    // A fail rolls back at any look, within the bake or after it, whatever the policy.
    ['fail', 'first', 0, 60, undefined, 'proceed', 'rollback', 'the analysis failed', undefined, undefined],
    ['fail', 'middle', 0, 300, undefined, 'proceed', 'rollback', 'the analysis failed', undefined, undefined],
    ['fail', 'last', 120, 360, undefined, 'rollback', 'rollback', 'the analysis failed', undefined, undefined],
    // Within the bake, a pass or an inconclusive look waits one interval and looks again.
    ['pass', 'first', 0, 60, undefined, 'rollback', 'look-again', 'baked 60 of 300 s; the next look in 60 s', 60, undefined],
    ['pass', 'last', 0, 240, undefined, 'rollback', 'look-again', 'baked 240 of 300 s; the next look in 60 s', 60, undefined],
    ['inconclusive', 'middle', 0, 120, 5000, 'rollback', 'look-again', 'baked 120 of 300 s; the next look in 60 s', 60, undefined],
    // A pass needs the whole bake; then it moves on: to the next step, or to the promotion after the last one.
    ['pass', 'first', 0, 300, undefined, 'rollback', 'advance', 'the analysis passed', undefined, undefined],
    ['pass', 'middle', 0, 300, undefined, 'rollback', 'advance', 'the analysis passed', undefined, undefined],
    ['pass', 'last', 0, 300, undefined, 'proceed', 'promote', 'the analysis passed', undefined, undefined],
    // During an extra bake, a pass ends it at once: the planned bake is over and the data is enough.
    ['pass', 'first', 240, 360, undefined, 'rollback', 'advance', 'the analysis passed', undefined, undefined],
    ['inconclusive', 'first', 240, 360, 100, 'rollback', 'look-again', 'baked 360 of 540 s; the next look in 60 s', 60, undefined],
    // The last wait of a bake is what is left of it, when that is less than an interval.
    ['inconclusive', 'first', 90, 360, 100, 'rollback', 'look-again', 'baked 360 of 390 s; the next look in 30 s', 30, undefined],
    // At the bake's end an inconclusive step bakes again, as long as the judges say they need, in whole intervals.
    ['inconclusive', 'first', 0, 300, 130, 'rollback', 'bake-again', 'the analysis was inconclusive; the judges need about 130 s more: baking 180 s more (180 of 600 s of extra bake time)', 60, 180],
    ['inconclusive', 'middle', 0, 300, 60, 'rollback', 'bake-again', 'the analysis was inconclusive; the judges need about 60 s more: baking 60 s more (60 of 600 s of extra bake time)', 60, 60],
    // ... within what is left of maxExtraSeconds; all of it when the judges cannot estimate.
    ['inconclusive', 'first', 0, 300, 5000, 'rollback', 'bake-again', 'the analysis was inconclusive; the judges need about 5000 s more: baking 600 s more (600 of 600 s of extra bake time)', 60, 600],
    ['inconclusive', 'last', 180, 480, 5000, 'proceed', 'bake-again', 'the analysis was inconclusive; the judges need about 5000 s more: baking 420 s more (600 of 600 s of extra bake time)', 60, 600],
    ['inconclusive', 'first', 0, 300, undefined, 'rollback', 'bake-again', 'the analysis was inconclusive; the judges cannot estimate the time they need: baking 600 s more (600 of 600 s of extra bake time)', 60, 600],
    ['inconclusive', 'first', 570, 870, 100, 'rollback', 'bake-again', 'the analysis was inconclusive; the judges need about 100 s more: baking 30 s more (600 of 600 s of extra bake time)', 30, 600],
    // Then the policy decides.
    ['inconclusive', 'first', 600, 900, 100, 'rollback', 'rollback', 'still inconclusive after 600 s of extra bake time; the policy says roll back', undefined, undefined],
    ['inconclusive', 'last', 600, 900, undefined, 'rollback', 'rollback', 'still inconclusive after 600 s of extra bake time; the policy says roll back', undefined, undefined],
    ['inconclusive', 'first', 600, 900, 100, 'proceed', 'advance', 'still inconclusive after 600 s of extra bake time; the policy says proceed', undefined, undefined],
    ['inconclusive', 'last', 600, 900, 100, 'proceed', 'promote', 'still inconclusive after 600 s of extra bake time; the policy says proceed', undefined, undefined],
  ])('%s on the %s step with %i s of extra bake time, baked %i s, needing %s s, policy %s → %s', (verdict, position, extraSeconds, bakedSeconds, secondsNeeded, then, action, reason, waitSeconds, granted) => {
    const decision = decideNextAction(verdict, progress(position, extraSeconds), rollout(then), { bakedSeconds, ...(secondsNeeded === undefined ? {} : { secondsNeeded }) });

    expect(decision).toEqual({
      action,
      reason,
      ...(waitSeconds === undefined ? {} : { waitSeconds }),
      ...(granted === undefined ? {} : { extraSeconds: granted }),
    });
  });

  it.each<['rollback' | 'proceed', NextAction]>([
    ['rollback', 'rollback'],
    ['proceed', 'advance'],
  ])('with no extra bake time allowed, an inconclusive step goes straight to the policy (%s → %s)', (then, action) => {
    const decision = decideNextAction('inconclusive', progress('first', 0), rollout(then, 0), { bakedSeconds: 300, secondsNeeded: 60 });

    expect(decision.action).toBe(action);
    expect(decision.reason).toContain('still inconclusive after 0 s of extra bake time');
  });

  it('promotes a single-step rollout that passes at the end of its only bake', () => {
    const request = parseRolloutRequest({
      target: { type: 'lambda-alias', functionName: 'checkout', alias: 'live', version: '42' },
      strategy: { preset: 'canary10-5m' },
      analysis: {},
    });
    const single = { request, plan: planRollout(request, { observable: true }) };

    expect(decideNextAction('pass', { ...progress('first', 0), weight: 10 }, single, { bakedSeconds: 240 }).action).toBe('look-again');
    expect(decideNextAction('pass', { ...progress('first', 0), weight: 10 }, single, { bakedSeconds: 300 }).action).toBe('promote');
  });
});

describe('the bake clock', () => {
  const first = progress('first', 0);

  it('starts a step at its first wait, then adds the wait of each look', () => {
    expect(bakedSecondsAt(first, null)).toBe(60);
    expect(bakedSecondsAt(first, { stepIndex: 0, bakedSeconds: 60, waitSeconds: 60 })).toBe(120);
    expect(bakedSecondsAt(first, { stepIndex: 0, bakedSeconds: 360, waitSeconds: 30 })).toBe(390);
  });

  it('counts afresh on a new step, whatever the last look of the step before said', () => {
    expect(bakedSecondsAt(progress('middle', 0), { stepIndex: 0, bakedSeconds: 900, waitSeconds: 0 })).toBe(60);
  });

  it.each([
    [undefined, 60, 600, 600],
    [1, 60, 600, 60],
    [60, 60, 600, 60],
    [61, 60, 600, 120],
    [0, 60, 600, 60],
    [5000, 60, 250, 250],
  ])('an estimate of %s s at a %i s interval with %i s left grants %i s', (needed, interval, left, granted) => {
    expect(extraBakeSeconds(needed, interval, left)).toBe(granted);
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
      analysis: { alarms: ['checkout-errors'], inconclusive: { maxExtraSeconds: 600, ...inconclusive } },
    });
    return { request, plan: planRollout(request, { observable: true }) };
  };

  it.each<[keyof typeof STEP, Verdict, number, number, object, object | undefined]>([
    // A pass at the bake's end on a step with an approval waits for a person, leading on as the step's position says.
    ['first', 'pass', 0, 300, {}, { kind: 'approval', timeoutSeconds: 600, onTimeout: 'proceed', then: 'advance' }],
    ['last', 'pass', 120, 360, {}, { kind: 'approval', timeoutSeconds: 3600, onTimeout: 'rollback', then: 'promote' }],
    // Not within the bake: the judges look again first.
    ['first', 'pass', 0, 120, {}, undefined],
    // A step without one moves on at once; a failure never waits.
    ['middle', 'pass', 0, 300, {}, undefined],
    ['first', 'fail', 0, 300, {}, undefined],
    // A hold: the extra bake time spent, the judges still undecided, a person decides within holdSeconds.
    ['middle', 'inconclusive', 600, 900, { then: 'hold', holdSeconds: 1800 }, { kind: 'hold', timeoutSeconds: 1800, onTimeout: 'rollback', then: 'advance' }],
    ['last', 'inconclusive', 600, 900, { then: 'hold', holdSeconds: 1800 }, { kind: 'hold', timeoutSeconds: 1800, onTimeout: 'rollback', then: 'promote' }],
    ['last', 'inconclusive', 300, 600, { then: 'hold', holdSeconds: 1800 }, undefined],
  ])('on the %s step, %s with %i s of extra bake time at %i s baked (%j) → gate %j', (position, verdict, extraSeconds, bakedSeconds, inconclusive, gate) => {
    const decision = decideNextAction(verdict, progress(position, extraSeconds), gated(inconclusive), { bakedSeconds, secondsNeeded: 60 });

    expect(decision.gate).toEqual(gate);
    if (gate !== undefined) expect(decision.action).toBe('await-approval');
    else expect(decision.action).not.toBe('await-approval');
  });

  it('says what the hold waits for and what its timeout does', () => {
    expect(decideNextAction('inconclusive', progress('first', 600), gated({ then: 'hold', holdSeconds: 1800 }), { bakedSeconds: 900 }).reason).toBe(
      'still inconclusive after 600 s of extra bake time; holding for a person to decide (at most 1800 s, then roll back)',
    );
  });
});
