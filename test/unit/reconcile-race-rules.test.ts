/**
 * The reconciler's race rules (shared/reconcile/race-rules.ts) as a table: how the execution ended × what
 * its target shows × who else is on it → what the reconciler does. docs/reconciler.md states each rule.
 */
import { PERSON_PROMOTE_BUDGET_MS, decideReconcile, sweepTryDue, type EndFacts, type TargetState } from '../../shared/reconcile/race-rules';

const stoppedAt = new Date('2026-12-01T10:00:00Z');
const at = (ms: number) => new Date(stoppedAt.getTime() + ms);
const split: TargetState = { kind: 'split', weight: 20, detail: 'checkout:live sends 20 % to version 42' };
const lockHeld: TargetState = { kind: 'lock-held', weight: 0, detail: 'kvs/x at 0 %, still locked' };
const final0: TargetState = { kind: 'final', weight: 0, detail: 'all on 41' };
const final100: TargetState = { kind: 'final', weight: 100, detail: 'all on 42' };
const notOurs: TargetState = { kind: 'not-ours', detail: 'locked by execution other' };
const unreadable: TargetState = { kind: 'unreadable', detail: 'AwsThrottled' };

const end = (status: EndFacts['status'], error?: string): EndFacts => ({ status, ...(error !== undefined ? { error } : {}), stoppedAt });

describe('decideReconcile', () => {
  it.each<[string, EndFacts, TargetState, number, readonly string[], string, RegExp]>([
    ['a running execution is the state machine\'s', end('RUNNING'), split, 0, [], 'none', /has not ended/],
    ['a clean end changes nothing', end('SUCCEEDED'), split, 0, [], 'none', /ended cleanly/],
    ['a console stop leaves the canary split: roll back at once', end('ABORTED'), split, 0, [], 'roll-back', /stopped from outside .* without a rollback/],
    ['a timeout: roll back', end('TIMED_OUT'), split, 0, [], 'roll-back', /timed out/],
    ['States.DataLimitExceeded skips RollBack: roll back', end('FAILED', 'States.DataLimitExceeded'), split, 0, [], 'roll-back', /failed with States.DataLimitExceeded/],
    ['RollBack gave up: take over', end('FAILED', 'RollbackFailed'), split, 0, [], 'roll-back', /own rollback gave up/],
    ['a person\'s promote gets its budget first', end('ABORTED', 'ManualPromote'), split, PERSON_PROMOTE_BUDGET_MS - 1, [], 'wait', /person's promote/],
    ['a person\'s promote that did not complete in its budget: roll back', end('ABORTED', 'ManualPromote'), split, PERSON_PROMOTE_BUDGET_MS, [], 'roll-back', /promotion did not complete/],
    ['a person\'s rollback goes the same way: act at once', end('ABORTED', 'ManualRollback'), split, 0, [], 'roll-back', /person rolled it back/],
    ['the alarm rollback goes the same way: act at once', end('ABORTED', 'AlarmRollback'), split, 0, [], 'roll-back', /alarm rolled it back/],
    ['a lock left behind at 0 % is released', end('ABORTED'), lockHeld, 0, [], 'roll-back', /rollout lock/],
    ['a target at 0 % is safe', end('ABORTED'), final0, 0, [], 'none', /already safe/],
    ['a target at 100 % is safe (a promote that completed)', end('ABORTED', 'ManualPromote'), final100, 0, [], 'none', /already safe/],
    ['someone else\'s change is left alone', end('FAILED', 'RollbackFailed'), notOurs, 0, [], 'none', /changed outside this rollout/],
    ['a newer rollout on the same target owns it', end('ABORTED'), split, 0, ['checkout-43'], 'none', /newer rollout .*checkout-43/],
    ['an unreadable target is tried again', end('TIMED_OUT'), unreadable, 0, [], 'retry', /could not be read/],
  ])('%s', (_name, facts, target, sinceStop, running, action, reason) => {
    const decision = decideReconcile(facts, target, { now: at(sinceStop), runningOnTarget: running });
    expect(decision.action).toBe(action);
    expect(decision.reason).toMatch(reason);
  });

  it('waits for the promote exactly until its budget is spent', () => {
    const decision = decideReconcile(end('ABORTED', 'ManualPromote'), split, { now: at(1_000), runningOnTarget: [] });
    expect(decision).toMatchObject({ action: 'wait', until: at(PERSON_PROMOTE_BUDGET_MS) });
  });
});

/**
 * An execution that ends during the post-promotion bake (docs/post-promotion.md, "Who else acts during the
 * bake") leaves its target at 100 % (promoted) or 0 % (its rollback, or an outside one, ran): both final.
 * The reconciler never undoes a promotion, so none of these ends moves traffic.
 */
describe('decideReconcile, for an execution that ended during the post-promotion bake', () => {
  it.each<[string, EndFacts, TargetState, string, RegExp]>([
    ['a console stop leaves the promotion: nothing to do', end('ABORTED'), final100, 'none', /already safe/],
    ['a timeout in the bake leaves the promotion', end('TIMED_OUT'), final100, 'none', /already safe/],
    ["a person's promote ends the bake at 100 %: no wait for a write that was not needed", end('ABORTED', 'ManualPromote'), final100, 'none', /already safe/],
    ["a person's rollback in the bake left the previous version", end('ABORTED', 'ManualRollback'), final0, 'none', /already safe/],
    ['an alarm in the bake rolled back', end('ABORTED', 'AlarmRollback'), final0, 'none', /already safe/],
    ['a failed look rolled back', end('FAILED', 'PostPromotionBakeFailed'), final0, 'none', /already safe/],
    ['a failed postTraffic hook rolled back', end('FAILED', 'HookFailed'), final0, 'none', /already safe/],
    ['a rollback in the bake that gave up left the promotion: announced, a person acts', end('FAILED', 'RollbackFailed'), final100, 'none', /already safe/],
    ['a newer rollout took the store after the promotion released its lock', end('FAILED', 'PostPromotionBakeFailed'), notOurs, 'none', /changed outside this rollout/],
  ])('%s', (_name, facts, target, action, reason) => {
    const decision = decideReconcile(facts, target, { now: at(0), runningOnTarget: [] });
    expect(decision.action).toBe(action);
    expect(decision.reason).toMatch(reason);
  });
});

describe('sweepTryDue', () => {
  const minute = 60_000;
  const interval = 5 * minute;
  const tries = (upToMinutes: number): number[] => {
    const due: number[] = [];
    // One sweep per interval, at an arbitrary phase (2 minutes in).
    for (let t = 2 * minute; t <= upToMinutes * minute; t += interval) if (sweepTryDue(t, interval, 60 * minute, denseMs)) due.push(t / minute);
    return due;
  };
  let denseMs = 0;

  it('tries at the end, one interval later, then doubling the gap up to the cap', () => {
    // Tries at 0, 5, 15, 35, 75, 135, 195 … minutes after the end; each falls into exactly one sweep.
    expect(tries(200)).toEqual([2, 7, 17, 37, 77, 137, 197]);
  });

  it('with a dense hour: every interval for the first hour, then doubling the gap up to the cap', () => {
    denseMs = 60 * minute;
    // Tries at 0, 5, …, 65, then 75, 95, 135, 195, 255 minutes after the end.
    expect(tries(260)).toEqual([2, 7, 12, 17, 22, 27, 32, 37, 42, 47, 52, 57, 62, 67, 77, 97, 137, 197, 257]);
    denseMs = 0;
  });

  it('never tries before the end', () => {
    expect(sweepTryDue(-1, interval, 60 * minute)).toBe(false);
  });
});
