/**
 * The reconciler's race rules: what to do for an execution that has ended, given how it ended and what
 * its target shows now. Pure: no AWS import, no clock of its own. docs/reconciler.md states each rule and
 * where it is proven; test/unit/reconcile-race-rules.test.ts is the table.
 */
import { ALARM_ROLLBACK_ERROR, MANUAL_PROMOTE_ERROR, MANUAL_ROLLBACK_ERROR } from '../stop-errors';

/** How an execution of the canary state machine can be, as DescribeExecution reports it. */
export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED' | 'PENDING_REDRIVE';

/** The statuses the reconciler acts on: every end that is not the state machine's own clean end. */
export const RECONCILED_STATUSES = ['ABORTED', 'TIMED_OUT', 'FAILED'] as const;
export type ReconciledStatus = (typeof RECONCILED_STATUSES)[number];

/**
 * How long a person's promote that stopped the execution may take to complete its write, from the stop:
 * the Slack command's asynchronous run (its Lambda timeout, 120 s in serverless.yml) plus a margin.
 */
export const PERSON_PROMOTE_BUDGET_MS = 150_000;

/** What the target shows now, for the execution being reconciled. */
export type TargetState =
  /** At 0 % or 100 % new, nothing held: nothing to do. */
  | { readonly kind: 'final'; readonly weight: 0 | 100; readonly detail: string }
  /** Between 0 and 100 %: stranded. */
  | { readonly kind: 'split'; readonly weight: number; readonly detail: string }
  /** At 0 %, but the ended execution still holds the store's rollout lock: the next rollout would be refused. */
  | { readonly kind: 'lock-held'; readonly weight: number; readonly detail: string }
  /** Someone else's now (another version weighted, another execution's lock, a value coalmine never writes). */
  | { readonly kind: 'not-ours'; readonly detail: string }
  /** The target could not be read (throttled, denied, missing). */
  | { readonly kind: 'unreadable'; readonly detail: string };

export interface EndFacts {
  readonly status: ExecutionStatus;
  /** The error the execution ended with (DescribeExecution `error`), if any. */
  readonly error?: string;
  /** When it ended. */
  readonly stoppedAt?: Date;
}

export type ReconcileAction =
  /** Nothing to do, for good: `reason` says why. */
  | { readonly action: 'none'; readonly reason: string }
  /** Not yet: look again at `until` (someone else may still be completing their change). */
  | { readonly action: 'wait'; readonly reason: string; readonly until: Date }
  /** Look again later: the target could not be read. */
  | { readonly action: 'retry'; readonly reason: string }
  /** Return the target to 0 % (and release the lock), with the routers' forward-only compare-and-swap. */
  | { readonly action: 'roll-back'; readonly reason: string };

export interface RaceContext {
  readonly now: Date;
  /** Names of RUNNING executions whose request drives the same target. */
  readonly runningOnTarget: readonly string[];
}

/** Why the execution ended, in words, from its status and error: the reason a rollback names. */
export function describeEnd(end: EndFacts): string {
  const error = end.error ?? '';
  if (end.status === 'ABORTED') {
    if (error === '') return 'it was stopped from outside (the console, the CLI or an SDK) without a rollback';
    if (error === MANUAL_PROMOTE_ERROR) return 'a person promoted it, and the promotion did not complete';
    if (error === MANUAL_ROLLBACK_ERROR) return 'a person rolled it back';
    if (error === ALARM_ROLLBACK_ERROR) return 'an alarm rolled it back';
    return `it was stopped from outside with error ${error}`;
  }
  if (end.status === 'TIMED_OUT') return 'it timed out';
  if (error === 'RollbackFailed') return 'its own rollback gave up (RollbackFailed)';
  return `it failed with ${error === '' ? 'an unnamed error' : error}`;
}

/**
 * The rules, in order; the first that applies decides. Every rule only ever moves traffic to 0 %, the
 * one direction nobody's change can be undone by: a write forward (a shift, a promote) that loses the
 * race to it is refused by the routers' forward-only compare-and-swap, and is told so.
 */
export function decideReconcile(end: EndFacts, target: TargetState, context: RaceContext): ReconcileAction {
  if (end.status === 'RUNNING' || end.status === 'PENDING_REDRIVE') {
    return { action: 'none', reason: 'the execution has not ended: the state machine still drives its target' };
  }
  if (end.status === 'SUCCEEDED') return { action: 'none', reason: 'the execution ended cleanly (SUCCEEDED)' };
  if (target.kind === 'unreadable') return { action: 'retry', reason: `the target could not be read: ${target.detail}` };
  if (target.kind === 'final') return { action: 'none', reason: `the target is already safe: ${target.detail}` };
  if (target.kind === 'not-ours') return { action: 'none', reason: `the target was changed outside this rollout; left as it is: ${target.detail}` };
  if (context.runningOnTarget.length > 0) {
    return { action: 'none', reason: `a newer rollout drives the target now (${context.runningOnTarget.join(', ')}); left to it` };
  }
  const why = describeEnd(end);
  if (end.status === 'ABORTED' && end.error === MANUAL_PROMOTE_ERROR && end.stoppedAt !== undefined) {
    const until = new Date(end.stoppedAt.getTime() + PERSON_PROMOTE_BUDGET_MS);
    if (context.now.getTime() < until.getTime()) {
      return { action: 'wait', reason: `a person's promote stopped the execution and may still be writing 100 %; looking again at ${until.toISOString()}`, until };
    }
  }
  if (target.kind === 'lock-held') return { action: 'roll-back', reason: `${why}, and it still holds the store's rollout lock: ${target.detail}` };
  return { action: 'roll-back', reason: `${why}, leaving the target split: ${target.detail}` };
}

/**
 * When the sweep tries an ended execution again, in ms after its end: at the end (the status-change
 * event), then every sweep interval for `denseMs` (the first try after the end comes after every Task
 * invocation in flight at the end must have ended: no Task may run longer than 300 s, the definition test,
 * and the interval is at least that; a fault that clears within the hour is outlasted within the hour), then
 * with the gap doubling, at most `maxSpacingMs` apart. True when a try falls in (sinceEnd - interval, sinceEnd].
 */
export function sweepTryDue(sinceEndMs: number, intervalMs: number, maxSpacingMs: number, denseMs = 0): boolean {
  if (sinceEndMs < 0) return false;
  const windowStart = sinceEndMs - intervalMs;
  let at = 0;
  let spacing = intervalMs;
  while (at <= sinceEndMs) {
    if (at > windowStart) return true;
    at += spacing;
    if (at > denseMs) spacing = Math.min(spacing * 2, maxSpacingMs);
  }
  return false;
}
