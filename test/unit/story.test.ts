/**
 * A rollout's story from its history (shared/executions/story.ts) and how status and watch draw it
 * (cli/aws/story-view.ts): pure, over histories built as Step Functions records them.
 */
import { endingOf, settleEnding, storyOf, type ExecutionSummary, type Outcome } from '../../shared/executions/story';
import { progressBar, statusJson, statusLines, timelineFraction, watchFrame, watchLine } from '../../cli/aws/story-view';
import { rolloutFor } from '../handlers/slack-support';
import { RolloutHistory } from '../cli/rollout-history';

const T0 = new Date('2026-11-22T10:00:00.000Z');
const at = (seconds: number): Date => new Date(T0.getTime() + seconds * 1000);
const RUNNING: ExecutionSummary = { status: 'RUNNING' };
const rollout = rolloutFor({ executionName: 'checkout-live-42' });
const PASS = { verdict: 'pass', action: 'advance', reason: 'step 1 at 10 %: the analysis passed: checkout-errors OK' } as const;
const INCONCLUSIVE = {
  verdict: 'inconclusive',
  action: 'bake-again',
  reason: 'step 2 at 50 %: the analysis was inconclusive; extra bake 1 of 2: errors: not enough data',
  checks: [{ judge: 'metrics', verdict: 'inconclusive', reason: 'errors: not enough data', evidence: { requestsNeeded: 1200, secondsNeeded: 240, windows: [] } }],
} as const;

describe('storyOf', () => {
  it('in a bake: no analysis yet, the next one when the bake ends', () => {
    const story = storyOf(new RolloutHistory(rollout, T0).shift(0, 10).snapshot(), RUNNING);
    expect(story.looks).toEqual([]);
    expect(story.state).toEqual({ name: 'Bake', enteredAt: at(11) });
    expect(story.progress).toMatchObject({ stepIndex: 0, weight: 10 });
    expect(story.next).toEqual({ kind: 'analysis', at: at(311), stepIndex: 0, weight: 10 });
    expect(story.ended).toBeUndefined();
  });

  it('while the edge settles: the analysis after the settle and the bake', () => {
    const edge = { ...rollout, plan: { ...rollout.plan, settleSeconds: 30 } };
    const settling = storyOf(new RolloutHistory(edge, T0).shift(0, 10).enter('WaitStateEntered', 'WaitForEdgeToSettle', 20).snapshot(), RUNNING);
    expect(settling.next).toEqual({ kind: 'analysis', at: at(20 + 30 + 300), stepIndex: 0, weight: 10 });
  });

  it('after a pass that advances: the look, and the next shift', () => {
    const story = storyOf(new RolloutHistory(rollout, T0).shift(0, 10).analyse(311, PASS).snapshot(), RUNNING);
    expect(story.looks).toEqual([{ stepIndex: 0, weight: 10, extraBakes: 0, verdict: 'pass', action: 'advance', reason: PASS.reason, analyzedAt: at(313).toISOString(), checks: [] }]);
    expect(story.next).toEqual({ kind: 'shift', stepIndex: 1, weight: 50 });
  });

  it('an inconclusive check carries the requests it still needs; the extra bake has its own countdown', () => {
    const history = new RolloutHistory(rollout, T0).shift(0, 10).analyse(311, PASS).shift(1, 320).analyse(621, INCONCLUSIVE).bakeAgain(624);
    const story = storyOf(history.snapshot(), RUNNING);
    expect(story.looks[1]!.checks).toEqual([{ judge: 'metrics', verdict: 'inconclusive', reason: 'errors: not enough data', requestsNeeded: 1200, secondsNeeded: 240 }]);
    expect(story.progress).toMatchObject({ stepIndex: 1, extraBakes: 1 });
    expect(story.next).toEqual({ kind: 'analysis', at: at(924), stepIndex: 1, weight: 50 });
  });

  it('DescribeExecution decides whether it ended, not a history that lags (or a canned one)', () => {
    const history = new RolloutHistory(rollout, T0).shift(0, 10).close('ExecutionSucceeded', 20);
    expect(storyOf(history.snapshot(), RUNNING).ended).toBeUndefined();
    expect(storyOf(history.snapshot(), { status: 'SUCCEEDED', stopDate: at(20) }).ended).toEqual({ status: 'SUCCEEDED', outcome: 'promoted', at: at(20) });
  });

  it('an empty or foreign history is a story without a rollout, not an error', () => {
    expect(storyOf([], RUNNING)).toEqual({ start: { stage: 'unreadable', reason: 'the history has no ExecutionStarted event' }, looks: [] });
  });
});

describe('endingOf: how the rollout ended, from the status, the state it ended in and the stop error', () => {
  const cases: ReadonlyArray<readonly [ExecutionSummary, string | undefined, Outcome | undefined]> = [
    [{ status: 'RUNNING' }, 'Bake', undefined],
    [{ status: 'SUCCEEDED' }, 'RolloutPromoted', 'promoted'],
    [{ status: 'FAILED', error: 'CanaryAnalysisFailed' }, 'RolledBack', 'rolled-back'],
    [{ status: 'FAILED', error: 'PreflightFailed' }, 'RolloutRefused', 'refused'],
    [{ status: 'FAILED', error: 'RollbackFailed' }, 'RollbackFailed', 'failed'],
    [{ status: 'FAILED', error: 'States.Runtime' }, 'ShiftTraffic', 'failed'],
    [{ status: 'ABORTED', error: 'ManualRollback' }, 'Bake', 'rolled-back'],
    [{ status: 'ABORTED', error: 'AlarmRollback' }, 'Bake', 'rolled-back'],
    [{ status: 'ABORTED', error: 'ManualPromote' }, 'Bake', 'promotion-requested'],
    [{ status: 'ABORTED' }, 'Bake', 'stopped'],
    [{ status: 'TIMED_OUT' }, 'Bake', 'failed'],
  ];
  it.each(cases)('%j in %s → %s', (execution, lastState, outcome) => {
    expect(endingOf(execution, lastState)?.outcome).toBe(outcome);
  });

  it('keeps the sentence of a coalmine stop cause, without its facts line', () => {
    const ending = endingOf({ status: 'ABORTED', error: 'ManualRollback', cause: 'Rollback requested by bob.\ncoalmine-facts: {"rollbackLatencyMs":5}' }, 'Bake');
    expect(ending).toEqual({ status: 'ABORTED', outcome: 'rolled-back', error: 'ManualRollback', cause: 'Rollback requested by bob.' });
  });
});

describe("settleEnding: a person's promote has promoted once the target reads 100 %", () => {
  const requested = endingOf({ status: 'ABORTED', error: 'ManualPromote' }, 'Bake')!;
  it.each([
    [100, 'promoted'],
    [10, 'promotion-requested'],
    [undefined, 'promotion-requested'],
  ] as const)('the target at %p → %s', (weight, outcome) => {
    expect(settleEnding(requested, weight).outcome).toBe(outcome);
  });
  it('leaves every other ending alone', () => {
    expect(settleEnding(endingOf({ status: 'ABORTED', error: 'ManualRollback' }, 'Bake')!, 100).outcome).toBe('rolled-back');
  });
});

describe('the watch view', () => {
  const baking = storyOf(new RolloutHistory(rollout, T0).shift(0, 10).snapshot(), RUNNING);

  it('places the rollout on the timeline of its bakes, with a mark where each step ends', () => {
    expect(timelineFraction(baking, at(11 + 150))).toBe(0.25);
    expect(progressBar(baking, at(11 + 150), 8)).toBe('[██░░│░░░]');
    expect(progressBar(baking, at(0), 8)).toBe('[░░░░│░░░]');
    const promoted = storyOf(new RolloutHistory(rollout, T0).shift(0, 10).snapshot(), { status: 'SUCCEEDED' });
    expect(progressBar(promoted, at(0), 8)).toBe('[████████]');
  });

  it('draws a frame with the weight, the last verdict and the countdown, cut to the terminal width', () => {
    expect(watchFrame(baking, 'checkout-live-42', at(11 + 150), 100)).toEqual([
      'checkout:live (checkout:live), execution checkout-live-42',
      `[${'█'.repeat(10)}${'░'.repeat(10)}│${'░'.repeat(19)}] 25 % of 10 min of bakes`,
      'step 1 of 2 at 10 % canary, Bake',
      'last verdict: none yet',
      'next analysis in 2 min 30 s (10:05:11Z)',
    ]);
    const narrow = watchFrame(baking, 'checkout-live-42', at(161), 30);
    expect(narrow.every((line) => line.length <= 30)).toBe(true);
    expect(narrow[0]).toBe('checkout:live (checkout:live)…');
  });

  it('writes a pipe line that changes only when the rollout does', () => {
    expect(watchLine(baking, 'checkout-live-42')).toBe('checkout:live: step 1 of 2 at 10 % canary, Bake; last verdict: none yet; next analysis at 10:05:11Z');
    const rolledBack = storyOf(new RolloutHistory(rollout, T0).shift(0, 10).snapshot(), { status: 'ABORTED', error: 'ManualRollback' });
    expect(watchLine(rolledBack, 'checkout-live-42')).toBe(
      'checkout:live: step 1 of 2 at 10 % canary, Bake; last verdict: none yet; ended: rolled back: all traffic on the baseline (ManualRollback)',
    );
  });
});

describe('the status text', () => {
  it('lists each look with its checks, an inconclusive one with the requests it still needs, then now and next', () => {
    const history = new RolloutHistory(rollout, T0).shift(0, 10).analyse(311, PASS).shift(1, 320).analyse(621, INCONCLUSIVE).bakeAgain(624);
    const answer = { execution: { executionArn: 'arn', name: 'checkout-live-42', status: 'RUNNING' as const, startDate: T0 }, story: storyOf(history.snapshot(), RUNNING) };
    const json = statusJson(answer, { executionArn: 'arn', executionName: 'checkout-live-42' }, { weight: 50 }, at(700));
    expect(statusLines(json)).toEqual([
      'checkout:live (checkout:live), execution checkout-live-42, started 2026-11-22T10:00:00.000Z, RUNNING',
      '  plan: 10 % for 5 min → 50 % for 5 min → 100 % (nominal 10 min)',
      `  step 1 at 10 %: pass → advance (${at(313).toISOString()}): ${PASS.reason}`,
      `  step 2 at 50 %: inconclusive → bake-again (${at(623).toISOString()})`,
      '      metrics: inconclusive: errors: not enough data; 1,200 more canary requests needed (about 4 min at the current rate)',
      `  now: WaitForNextLook since ${at(624).toISOString()}, step 2 of 2 at 50 % canary; the target reads 50 % now`,
      '  next: analysis of step 2 at 50 % in 3 min 44 s (10:15:24Z)',
    ]);
  });
});
