/**
 * A person rolls a running rollout back from Slack. The same order as the alarm rollback
 * (shared/alarms/rollback-on-alarm.ts), because StopExecution skips the state machine's own RollBack
 * state: traffic to 0 % first, verified; then stop the execution with error `ManualRollback` and a cause
 * naming the person; then a last look at the target for a traffic write that was already in flight.
 *
 * Every step is safe to repeat, and the work can stop between any two steps (an AbortSignal) and be
 * started again from the top: the Slack handler runs it against a deadline and, when the deadline
 * passes, hands the rest to an asynchronous invocation of itself. A rerun that finds the execution
 * already stopped with `ManualRollback` only finishes the last look.
 */
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { CoalmineError, RollbackFailed } from '../errors';
import { logger } from '../handler';
import { closedStatusOf, openTrafficInvocations, rolloutStartOf, type ClosedStatus, type RolloutStart } from '../alarms/execution-history';
import { readHistoryHead, readHistoryTail, stopExecution } from '../alarms/executions';
import { routerKindFor } from '../routers/registry';
import type { RollbackOutcome, TrafficRouter } from '../routers/types';
import type { Rollout } from '../rollout';
import { displayNameOf, listRunningRollouts, resolveTarget, type TargetMatch } from './rollouts';

/** The error an execution stopped from Slack ends with (no Retry or Catch sees a StopExecution, so not in errors.ts). */
export const MANUAL_ROLLBACK_ERROR = 'ManualRollback';

/** Reads of the weight after a write before it counts as failed (a store may lag its writes). */
export const VERIFY_READS = 3;
export const VERIFY_INTERVAL_MS = 250;
/** Attempts of a router call that fails with a transient error (throttling, a lost compare-and-swap). */
const CALL_ATTEMPTS = 5;
/** Added to a task's timeout before looking again for its write: clocks and the invocation's own end. */
const IN_FLIGHT_MARGIN_MS = 5_000;

export interface RollbackClock {
  now(): Date;
  /** Rejects with the signal's reason when it aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const realClock: RollbackClock = {
  now: () => new Date(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(signal?.reason);
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};

/** Who asked, for the execution's cause and the logs. */
export interface SlackRequester {
  readonly userId: string;
  readonly userName?: string;
  readonly channelId?: string;
  readonly reason?: string;
}

export interface ManualActionInput {
  /** As the person typed it: rollout name, function:alias, or execution name. */
  readonly target: string;
  readonly requester: SlackRequester;
  /** When coalmine received the command (ms since the epoch): the rollback's latency starts here. */
  readonly receivedAtMs: number;
  /** Set when an earlier attempt of this command already picked the execution (a handed-over rerun). */
  readonly execution?: { readonly arn: string; readonly name: string };
}

export interface ManualActionOptions {
  readonly clock?: RollbackClock;
  /** Aborts the work between steps (the Slack deadline). */
  readonly signal?: AbortSignal;
  /** Called once the target is resolved, so that a hand-over can name the execution. */
  readonly onResolved?: (execution: { arn: string; name: string }) => void;
}

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
  | {
      readonly kind: 'already-ended';
      readonly rollout: string;
      readonly executionName: string;
      readonly endedAs: ClosedStatus | 'unknown';
      readonly error?: string;
      readonly cause?: string;
    }
  /**
   * The rollback could not be verified (the execution was left running, so that its own rollback acts),
   * or it was verified but the execution could not be stopped. `trafficAtZero` says which.
   */
  | { readonly kind: 'failed'; readonly rollout: string; readonly executionName: string; readonly detail: string; readonly trafficAtZero: boolean }
  /** The target names no running rollout. */
  | { readonly kind: 'no-match'; readonly match: Exclude<TargetMatch, { kind: 'found' }> };

/** Rolls back the running rollout `input.target` names. Never throws for what it finds; throws AbortError when aborted. */
export async function rollBackFromSlack(input: ManualActionInput, options: ManualActionOptions = {}): Promise<ManualRollbackOutcome> {
  const clock = options.clock ?? realClock;
  const signal = options.signal;
  const running = await listRunningRollouts();
  signal?.throwIfAborted();

  const match = resolveTarget(input.execution?.name ?? input.target, running);
  if (match.kind !== 'found') {
    // A rerun whose execution is no longer running: an earlier attempt may have stopped it already.
    if (input.execution !== undefined) return examineEnded(clock, signal, input.execution);
    return { kind: 'no-match', match };
  }
  const rollout = match.rollout;
  options.onResolved?.({ arn: rollout.executionArn, name: rollout.executionName });
  const name = displayNameOf(rollout);

  // A rollout still in Preflight when listed may have planned (and shifted) since.
  const start = rollout.start.stage === 'planned' ? rollout.start : rolloutStartOf(await readHistoryHead(rollout.executionArn));
  signal?.throwIfAborted();
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
    const cause = `${requestedBy('Rollback', input.requester)} Stopped before any traffic moved: Preflight had not finished.`;
    try {
      await stopAndFence(clock, signal, rollout.executionArn, rollout.executionName, start, cause);
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
  const cause =
    `${requestedBy('Rollback', input.requester)} Rolled back: ${sentence(outcome.detail)} ` +
    `Rollback latency: ${rollbackLatencyMs} ms from the command to a verified 0 % (${verifiedAt.toISOString()}).`;
  signal?.throwIfAborted();
  try {
    const lateWriteUndone = await stopAndFence(clock, signal, rollout.executionArn, rollout.executionName, start, cause);
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

/** "Rollback requested from Slack by alice (U0ALICE123) in C0DEPLOYS1: the reason." */
export function requestedBy(action: 'Rollback' | 'Promotion', requester: SlackRequester): string {
  const { userId, userName, channelId, reason } = requester;
  const who = userName !== undefined ? `${userName} (${userId})` : userId;
  const where = channelId !== undefined ? ` in ${channelId}` : '';
  return reason !== undefined && reason.trim() !== ''
    ? sentence(`${action} requested from Slack by ${who}${where}: ${reason.trim()}`)
    : sentence(`${action} requested from Slack by ${who}${where} (no reason given)`);
}

/**
 * A rerun found the execution no longer running. If it was stopped with ManualRollback (an earlier
 * attempt of this command, or another person), its traffic is at 0 %: finish the last look and report
 * the cause it was stopped with. Otherwise it ended on its own and nothing is done.
 */
async function examineEnded(
  clock: RollbackClock,
  signal: AbortSignal | undefined,
  execution: { arn: string; name: string },
): Promise<ManualRollbackOutcome> {
  const tail = await readHistoryTail(execution.arn);
  const last = tail.at(-1);
  const endedAs = closedStatusOf(last) ?? 'unknown';
  const start = rolloutStartOf(await readHistoryHead(execution.arn));
  const rollout = start.stage === 'planned' ? start.rollout.name : execution.name;
  const aborted = last?.executionAbortedEventDetails;
  if (endedAs !== 'ABORTED' || aborted?.error !== MANUAL_ROLLBACK_ERROR) {
    return {
      kind: 'already-ended',
      rollout,
      executionName: execution.name,
      endedAs,
      ...endDetails(last),
    };
  }
  const cause = aborted.cause ?? '';
  if (start.stage !== 'planned') return { kind: 'stopped-before-traffic', rollout, executionName: execution.name, cause };
  try {
    const lateWriteUndone = await fence(clock, signal, execution.name, start.rollout, tail);
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

export function endDetails(event: HistoryEvent | undefined): { error?: string; cause?: string } {
  const details = event?.executionAbortedEventDetails ?? event?.executionFailedEventDetails ?? event?.executionTimedOutEventDetails;
  return {
    ...(details?.error !== undefined ? { error: details.error } : {}),
    ...(details?.cause !== undefined ? { cause: details.cause } : {}),
  };
}

export function routerFor(rollout: Rollout): TrafficRouter {
  return routerKindFor(rollout.request.target).create(rollout.request.target, rollout.baseline);
}

/** Retries a router call on our transient errors (throttling, AWS faults, a lost compare-and-swap). */
export async function withRetries<T>(clock: RollbackClock, signal: AbortSignal | undefined, call: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    signal?.throwIfAborted();
    try {
      return await call();
    } catch (error) {
      if (!(error instanceof CoalmineError && error.retryable) || attempt >= CALL_ATTEMPTS) throw error;
      await clock.sleep(Math.random() * Math.min(1_000, 50 * 2 ** attempt), signal);
    }
  }
}

async function rollBackAndVerify(clock: RollbackClock, signal: AbortSignal | undefined, router: TrafficRouter): Promise<RollbackOutcome> {
  const outcome = await withRetries(clock, signal, () => router.rollback());
  let weight = -1;
  for (let read = 1; read <= VERIFY_READS; read += 1) {
    weight = await withRetries(clock, signal, () => router.getWeight());
    if (weight === 0) return outcome;
    if (read < VERIFY_READS) await clock.sleep(VERIFY_INTERVAL_MS, signal);
  }
  throw new RollbackFailed(`the target still sends ${weight} % to the new version after the rollback (${VERIFY_READS} reads)`);
}

/**
 * Stops the execution with `error` and `cause` and waits for its history to show the end; returns the
 * final tail of the history. A failed stop is fine if the execution ended anyway.
 */
export async function stopAndWaitForEnd(
  clock: RollbackClock,
  signal: AbortSignal | undefined,
  executionArn: string,
  executionName: string,
  error: string,
  cause: string,
): Promise<{ tail: HistoryEvent[]; endedAs: ClosedStatus }> {
  let stopError: unknown;
  try {
    await stopExecution(executionArn, error, cause);
  } catch (caught) {
    stopError = caught;
  }
  let tail = await readHistoryTail(executionArn);
  for (let read = 1; closedStatusOf(tail.at(-1)) === undefined && stopError === undefined && read < VERIFY_READS; read += 1) {
    await clock.sleep(VERIFY_INTERVAL_MS, signal);
    tail = await readHistoryTail(executionArn);
  }
  const endedAs = closedStatusOf(tail.at(-1));
  if (endedAs === undefined) throw stopError ?? new Error(`execution ${executionName} still shows as running after StopExecution`);
  if (endedAs !== 'ABORTED') {
    logger.warn('the execution ended on its own before it could be stopped', { executionName, endedAs });
  }
  return { tail, endedAs };
}

/** Stops the execution, then fences late writes (see `fence`). Returns whether a late write was undone. */
async function stopAndFence(
  clock: RollbackClock,
  signal: AbortSignal | undefined,
  executionArn: string,
  executionName: string,
  start: RolloutStart,
  cause: string,
): Promise<boolean> {
  const { tail } = await stopAndWaitForEnd(clock, signal, executionArn, executionName, MANUAL_ROLLBACK_ERROR, cause);
  const planned = start.stage === 'planned' ? start : rolloutStartOf(await readHistoryHead(executionArn));
  if (planned.stage !== 'planned') return false;
  return fence(clock, signal, executionName, planned.rollout, tail);
}

/**
 * After the stop the history is final, but a traffic write already in flight may still land (a stopped
 * execution does not stop its running Lambda invocation). Look at the target now and, if a
 * traffic-moving invocation was still open, again once it must have ended; undo whatever landed.
 */
async function fence(
  clock: RollbackClock,
  signal: AbortSignal | undefined,
  executionName: string,
  rollout: Rollout,
  tail: readonly HistoryEvent[],
): Promise<boolean> {
  const router = routerFor(rollout);
  const undoLateWrite = async (): Promise<boolean> => {
    const weight = await withRetries(clock, signal, () => router.getWeight());
    // Roll back even at 0 %, as the alarm path does: it is idempotent, and it releases what the rollout
    // still holds (a KVS lock Preflight may have taken after the rollout was first looked at).
    const outcome = await rollBackAndVerify(clock, signal, router);
    if (weight === 0) return false;
    logger.warn('a traffic write landed after the Slack rollback; rolled back again', { executionName, lateWeight: weight, detail: outcome.detail });
    return true;
  };
  let undone = await undoLateWrite();
  const open = openTrafficInvocations(tail);
  if (open.length > 0) {
    const endsBy = Math.max(...open.map((i) => i.scheduledAt.getTime() + i.timeoutSeconds * 1000)) + IN_FLIGHT_MARGIN_MS;
    const waitMs = endsBy - clock.now().getTime();
    logger.info('a traffic-moving task was in flight when the execution stopped; looking again once it must have ended', {
      executionName,
      states: open.map((i) => i.state),
      waitMs: Math.max(0, waitMs),
    });
    if (waitMs > 0) await clock.sleep(waitMs, signal);
    undone = (await undoLateWrite()) || undone;
  }
  return undone;
}

export function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** "Text." with exactly one full stop. */
export function sentence(text: string): string {
  return `${text.trim().replace(/\.+$/, '')}.`;
}

/** For logs: the outcome in a word. */
export function outcomeWord(outcome: ManualRollbackOutcome): string {
  return outcome.kind === 'no-match' ? `no-match:${outcome.match.kind}` : outcome.kind;
}
