/**
 * A person rolls a running rollout back (from Slack or the CLI): the alarm rollback's procedure, in the
 * order shared/outside-rollback.ts fixes and explains, with error `ManualRollback` and a cause naming the
 * person.
 *
 * Every step is safe to repeat, and the work can stop between any two steps (an AbortSignal) and be
 * started again from the top: the Slack handler runs it against a deadline and, when the deadline
 * passes, hands the rest to an asynchronous invocation of itself. A rerun that finds the execution
 * already stopped with `ManualRollback` only finishes the last look.
 *
 * When no running rollout answers to the name, the latest ended one that does is restored to its previous
 * version if it ended promoted and its rollback window is open (./restore.ts, docs/rollback-window.md).
 */
import { describeError } from '../errors';
import type { RolloutStart } from '../executions/history';
import {
  fenceLateWrites,
  realClock,
  rollBackAndVerify,
  sentence,
  stopAndFence,
  type OutsideStop,
  type RollbackClock,
} from '../outside-rollback';
import { routerFor } from '../routers/registry';
import type { RollbackOutcome } from '../routers/types';
import { MANUAL_PROMOTE_ERROR, MANUAL_ROLLBACK_ERROR } from '../stop-errors';
import { endDetails, readEnded, resolveRunningRollout, type AlreadyEnded, type ManualActionInput, type ManualActionOptions, type NoMatch } from './resolve';
import { readStopCause, stopCause, type StopFacts } from '../stop-cause';
import { actorOf, requestedBy } from './requester';
import { restoreByName, restoreExecution, type RestoreOutcome } from './restore';
import { listRunningRollouts, type RunningRollout } from './rollouts';
import { labelOf, rolledBackRecords } from '../telemetry/records';
import { publishMetrics } from '../telemetry/sink';

export type ManualRollbackOutcome =
  /** Traffic verified at 0 % and the execution stopped (by this command, or by an earlier attempt of it). */
  | {
      readonly kind: 'rolled-back';
      readonly rollout: string;
      readonly executionName: string;
      /** The cause the execution was stopped with: who, why, what the rollback restored, how long it took. */
      readonly cause: string;
      readonly rollbackLatencyMs?: number;
      /** A traffic write that landed after the stop was undone. */
      readonly lateWriteUndone: boolean;
    }
  /** Preflight had not finished: nothing had moved; the execution was stopped. */
  | { readonly kind: 'stopped-before-traffic'; readonly rollout: string; readonly executionName: string; readonly cause: string }
  /** The execution ended before the rollback reached it; nothing was changed. */
  | AlreadyEnded
  /**
   * The rollback could not be verified (the execution was left running, so that its own rollback acts),
   * or it was verified but the execution could not be stopped. `trafficAtZero` says which.
   */
  | { readonly kind: 'failed'; readonly rollout: string; readonly executionName: string; readonly detail: string; readonly trafficAtZero: boolean }
  /** The target names no running rollout, and no ended one (or one started after the request). */
  | { readonly kind: 'no-match'; readonly match: NoMatch }
  /** The target names a rollout that ended: the rollback window's restore, or why not. */
  | RestoreOutcome;

/** Rolls back the running rollout `input.target` names, or restores the one that ended promoted. Never throws for what it finds; throws AbortError when aborted. */
export async function rollBackRollout(input: ManualActionInput, options: ManualActionOptions = {}): Promise<ManualRollbackOutcome> {
  const clock = options.clock ?? realClock;
  const signal = options.signal;
  const resolved = await resolveRunningRollout(input, options);
  if (resolved.kind === 'rerun-not-running') return examineEnded(clock, signal, input, options, resolved.execution);
  if (resolved.kind === 'no-match') {
    const running = runningOf(resolved.match);
    if (running === undefined) return resolved;
    return (await restoreByName(input, options, running)) ?? resolved;
  }
  const { rollout, name, start } = resolved;
  if (start.stage === 'unreadable') {
    // Traffic may have moved, and stopping would skip the execution's own rollback: leave it running.
    return {
      kind: 'failed',
      rollout: name,
      executionName: rollout.executionName,
      detail:
        `coalmine cannot tell from the execution's history what this rollout drives (${start.reason}), so it neither rolled back ` +
        'nor stopped it (a stop would skip its own rollback)',
      trafficAtZero: false,
    };
  }
  if (start.stage !== 'planned') {
    const cause = `${requestedBy('Rollback', input.requester, input.reason)} Stopped before any traffic moved: Preflight had not finished.`;
    try {
      await stopAndFence(clock, signal, stopOf(input, rollout, start, cause, {}));
    } catch (error) {
      if (signal?.aborted) throw error;
      return { kind: 'failed', rollout: name, executionName: rollout.executionName, detail: `could not stop it: ${describeError(error)}`, trafficAtZero: true };
    }
    return { kind: 'stopped-before-traffic', rollout: name, executionName: rollout.executionName, cause };
  }

  let outcome: RollbackOutcome;
  try {
    outcome = await rollBackAndVerify(clock, signal, routerFor(start.rollout));
  } catch (error) {
    if (signal?.aborted) throw error;
    // Not stopped: its own RollBack state retries hard; stopping it would leave the traffic to nobody.
    return {
      kind: 'failed',
      rollout: name,
      executionName: rollout.executionName,
      detail: `the rollback could not be verified, so the execution was left running for its own rollback to act: ${describeError(error)}`,
      trafficAtZero: false,
    };
  }
  const verifiedAt = clock.now();
  const rollbackLatencyMs = Math.max(0, verifiedAt.getTime() - input.receivedAtMs);
  publishMetrics(rolledBackRecords(labelOf(start.rollout), { error: MANUAL_ROLLBACK_ERROR, latencyMs: rollbackLatencyMs }));
  const cause =
    `${requestedBy('Rollback', input.requester, input.reason)} Rolled back: ${sentence(outcome.detail)} ` +
    `Rollback latency: ${rollbackLatencyMs} ms from the command to a verified 0 % (${verifiedAt.toISOString()}).`;
  signal?.throwIfAborted();
  try {
    const { lateWriteUndone } = await stopAndFence(clock, signal, stopOf(input, rollout, start, cause, { rollbackLatencyMs }));
    return { kind: 'rolled-back', rollout: name, executionName: rollout.executionName, cause, rollbackLatencyMs, lateWriteUndone };
  } catch (error) {
    if (signal?.aborted) throw error;
    return {
      kind: 'failed',
      rollout: name,
      executionName: rollout.executionName,
      detail: `rolled back (0 % verified) but could not stop the execution or check for late writes: ${describeError(error)}`,
      trafficAtZero: true,
    };
  }
}

/** The rollouts running now, when a no-match leaves an ended rollout to look for; undefined when it does not (ambiguous, a replay). */
function runningOf(match: NoMatch): readonly RunningRollout[] | undefined {
  if (match.kind === 'nothing-running') return [];
  return match.kind === 'unknown' ? match.running : undefined;
}

/**
 * A rerun found the execution no longer running. If it was stopped with ManualRollback (an earlier
 * attempt of this command, or another person), its traffic is at 0 %: finish the last look (for one
 * stopped in Preflight, the release of what its Preflight may have taken) and report the cause it was
 * stopped with. If it ended promoted (on its own, or by a person's promote), the rollback window's
 * restore answers (an earlier attempt may have begun it). Otherwise nothing is done.
 */
async function examineEnded(
  clock: RollbackClock,
  signal: AbortSignal | undefined,
  input: ManualActionInput,
  options: ManualActionOptions,
  execution: { arn: string; name: string },
): Promise<ManualRollbackOutcome> {
  const { tail, last, endedAs, start, name: rollout } = await readEnded(execution);
  const aborted = last?.executionAbortedEventDetails;
  if (endedAs === 'SUCCEEDED' || (endedAs === 'ABORTED' && aborted?.error === MANUAL_PROMOTE_ERROR)) {
    return restoreExecution(input, options, { executionArn: execution.arn, executionName: execution.name, start }, await listRunningRollouts(input.stateMachineArn));
  }
  if (endedAs !== 'ABORTED' || aborted?.error !== MANUAL_ROLLBACK_ERROR) {
    return { kind: 'already-ended', rollout, executionName: execution.name, endedAs, ...endDetails(last) };
  }
  const cause = readStopCause(aborted.cause ?? '').sentence;
  try {
    const lateWriteUndone = await fenceLateWrites(clock, signal, { executionName: execution.name, start, tail, rolledBackBy: actorOf(input.requester, 'rollback') });
    if (start.stage !== 'planned') return { kind: 'stopped-before-traffic', rollout, executionName: execution.name, cause };
    return { kind: 'rolled-back', rollout, executionName: execution.name, cause, lateWriteUndone };
  } catch (error) {
    if (signal?.aborted) throw error;
    return {
      kind: 'failed',
      rollout,
      executionName: execution.name,
      detail: `the execution was stopped, but the last look for late traffic writes failed: ${describeError(error)}`,
      trafficAtZero: true,
    };
  }
}

/** The stop of a person's rollback (shared/outside-rollback.ts). */
function stopOf(
  input: ManualActionInput,
  rollout: { executionArn: string; executionName: string },
  start: RolloutStart,
  sentence: string,
  facts: Omit<StopFacts, 'requester'>,
): OutsideStop {
  const { executionArn, executionName } = rollout;
  const cause = stopCause(sentence, { requester: input.requester, ...facts });
  return { executionArn, executionName, start, error: MANUAL_ROLLBACK_ERROR, cause, rolledBackBy: actorOf(input.requester, 'rollback') };
}
