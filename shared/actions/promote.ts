/**
 * A person promotes a running rollout (from Slack or the CLI): all traffic to the new version now, skipping the
 * remaining steps and analysis. The state machine has no way to be told "skip ahead", so the execution
 * is stopped (error `ManualPromote`, a cause naming the person) and coalmine promotes the target itself,
 * with the router the Promote task uses, then reads the weight back.
 *
 * The order is the reverse of a rollback's, on purpose: stop first, then promote. A traffic write of the
 * execution that lands after the promotion is refused by the routers' forward-only rule; but an
 * execution left running would meet that refusal as an error and roll the promotion back. And a rollout
 * that had already begun to roll back when it was stopped is not promoted: its rollback stands.
 *
 * Like the rollback, every step is safe to repeat and the work can be aborted between steps and run again.
 */
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { PromotionFailed, describeError } from '../errors';
import { lastEnteredState, type ClosedStatus } from '../executions/history';
import { ROLLING_BACK_STATES } from '../executions/states';
import type { Rollout } from '../rollout';
import {
  VERIFY_READS,
  readWeightUntil,
  realClock,
  rollBackAndVerify,
  STOPPED_WRITE_ATTEMPTS,
  stopAndWaitForEnd,
  withRetries,
  type RollbackClock,
} from '../outside-rollback';
import { readHistoryTail } from '../executions/sfn';
import { routerFor } from '../routers/registry';
import { MANUAL_PROMOTE_ERROR } from '../stop-errors';
import { readStopCause, stopCause } from '../stop-cause';
import { requestedBy } from './requester';
import { endDetails, readEnded, resolveRunningRollout, type AlreadyEnded, type ManualActionInput, type ManualActionOptions, type NoMatch } from './resolve';

export type ManualPromoteOutcome =
  /** The execution is stopped and the target verified at 100 % on the new version. */
  | {
      readonly kind: 'promoted';
      readonly rollout: string;
      readonly executionName: string;
      readonly cause: string;
      /** The canary's share when coalmine promoted. */
      readonly fromWeight: number;
      readonly promoteLatencyMs: number;
    }
  /** Preflight has not finished: no traffic is on the canary yet, nothing to skip to. */
  | { readonly kind: 'not-yet-planned'; readonly rollout: string; readonly executionName: string }
  /** The rollout was already rolling back (its analysis failed, or a task did); left to finish. */
  | { readonly kind: 'rolling-back'; readonly rollout: string; readonly executionName: string; readonly state: string }
  | AlreadyEnded
  /**
   * `stopped`: the execution is stopped but the target could not be promoted (after hard retries); then
   * `trafficAtZero` says whether coalmine brought it back to 0 % itself, or left that to the reconciler.
   */
  | {
      readonly kind: 'failed';
      readonly rollout: string;
      readonly executionName: string;
      readonly detail: string;
      readonly stopped: boolean;
      readonly trafficAtZero?: boolean;
    }
  | { readonly kind: 'no-match'; readonly match: NoMatch };

/** Promotes the running rollout `input.target` names. Never throws for what it finds; throws when aborted. */
export async function promoteRollout(input: ManualActionInput, options: ManualActionOptions = {}): Promise<ManualPromoteOutcome> {
  const clock = options.clock ?? realClock;
  const signal = options.signal;
  const resolved = await resolveRunningRollout(input, options);
  if (resolved.kind === 'rerun-not-running') return examineEnded(clock, signal, input, resolved.execution);
  if (resolved.kind === 'no-match') return resolved;
  const { rollout: found, name, start } = resolved;
  const executionName = found.executionName;
  if (start.stage === 'unreadable') {
    return {
      kind: 'failed',
      rollout: name,
      executionName,
      detail: `coalmine cannot tell from the execution's history what this rollout drives (${start.reason}), so it did not stop it`,
      stopped: false,
    };
  }
  if (start.stage !== 'planned') return { kind: 'not-yet-planned', rollout: name, executionName };

  const before = lastEnteredState(await readHistoryTail(found.executionArn));
  if (before !== undefined && ROLLING_BACK_STATES.includes(before)) return { kind: 'rolling-back', rollout: name, executionName, state: before };
  signal?.throwIfAborted();

  const cause =
    `${requestedBy('Promotion', input.requester)} Skipping the remaining steps and analysis: ` +
    `coalmine stops this execution, then sends all traffic to the new version.`;
  let stopped: { tail: HistoryEvent[]; endedAs: ClosedStatus };
  try {
    stopped = await stopAndWaitForEnd(clock, signal, found.executionArn, executionName, MANUAL_PROMOTE_ERROR, stopCause(cause, { requester: input.requester }));
  } catch (error) {
    if (signal?.aborted) throw error;
    return { kind: 'failed', rollout: name, executionName, detail: `could not stop the execution, so nothing was promoted: ${describeError(error)}`, stopped: false };
  }
  if (stopped.endedAs !== 'ABORTED') {
    return { kind: 'already-ended', rollout: name, executionName, endedAs: stopped.endedAs, ...endDetails(stopped.tail.at(-1)) };
  }
  return promoteStopped(clock, signal, input, { name, executionName, rollout: start.rollout, tail: stopped.tail, cause });
}

interface Stopped {
  readonly name: string;
  readonly executionName: string;
  readonly rollout: Rollout;
  readonly tail: readonly HistoryEvent[];
  readonly cause: string;
}

/** The execution is stopped for this promotion: promote the target, unless the rollout had begun to roll back. */
async function promoteStopped(
  clock: RollbackClock,
  signal: AbortSignal | undefined,
  input: ManualActionInput,
  stopped: Stopped,
): Promise<ManualPromoteOutcome> {
  const { name, executionName, rollout, tail, cause } = stopped;
  const state = lastEnteredState(tail);
  if (state !== undefined && ROLLING_BACK_STATES.includes(state)) return { kind: 'rolling-back', rollout: name, executionName, state };
  const router = routerFor(rollout);
  let fromWeight = 0;
  try {
    // The weight is read inside the retried call: a write that raced the promotion moves `from`.
    await withRetries(
      clock,
      signal,
      async () => {
        fromWeight = await router.getWeight();
        await router.promote(fromWeight);
      },
      STOPPED_WRITE_ATTEMPTS,
    );
    const weight = await readWeightUntil(clock, signal, router, 100, (call) => withRetries(clock, signal, call, STOPPED_WRITE_ATTEMPTS));
    if (weight !== 100) throw new PromotionFailed(`the target sends ${weight} % to the new version after the promotion (${VERIFY_READS} reads)`);
  } catch (error) {
    if (signal?.aborted) throw error;
    // Nothing else drives this target now: it must not stay split. Back to 0 %, the direction no race can undo.
    let trafficAtZero = true;
    try {
      await rollBackAndVerify(clock, signal, router);
    } catch (rollbackError) {
      if (signal?.aborted) throw rollbackError;
      trafficAtZero = false;
    }
    return {
      kind: 'failed',
      rollout: name,
      executionName,
      detail: `the execution is stopped, but the promotion failed: ${describeError(error)}`,
      stopped: true,
      trafficAtZero,
    };
  }
  const promoteLatencyMs = Math.max(0, clock.now().getTime() - input.receivedAtMs);
  return { kind: 'promoted', rollout: name, executionName, cause, fromWeight, promoteLatencyMs };
}

/** A rerun whose execution is no longer running: an earlier attempt may have stopped it for this promotion. */
async function examineEnded(
  clock: RollbackClock,
  signal: AbortSignal | undefined,
  input: ManualActionInput,
  execution: { arn: string; name: string },
): Promise<ManualPromoteOutcome> {
  const { tail, last, endedAs, start, name } = await readEnded(execution);
  const aborted = last?.executionAbortedEventDetails;
  if (endedAs !== 'ABORTED' || aborted?.error !== MANUAL_PROMOTE_ERROR || start.stage !== 'planned') {
    return { kind: 'already-ended', rollout: name, executionName: execution.name, endedAs, ...endDetails(last) };
  }
  return promoteStopped(clock, signal, input, { name, executionName: execution.name, rollout: start.rollout, tail, cause: readStopCause(aborted.cause ?? '').sentence });
}
