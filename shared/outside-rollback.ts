/**
 * Rolling a rollout back from outside its state machine, as the alarm rollback
 * (shared/alarms/rollback-on-alarm.ts) and the person-driven actions (shared/actions/rollback.ts,
 * promote.ts) do. StopExecution skips the state machine's own RollBack state, so the order is
 * fixed: traffic to 0 % first, read back (rollBackAndVerify); then stop the execution and wait for its
 * history to show the end (stopAndWaitForEnd); then the fence (fenceLateWrites): a Lambda invocation in
 * flight at the stop keeps running, so look at the target again once it must have ended and undo what it
 * left. docs/triggers.md states the race rules this keeps.
 *
 * Every step is safe to repeat. An AbortSignal (the Slack deadline) stops the work between two steps;
 * without one, it runs to the end.
 */
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import type { TargetType } from './config/targets';
import { CoalmineError, RollbackFailed, TrafficConflict } from './errors';
import { logger } from './handler';
import { PREFLIGHT_STATE } from './executions/states';
import {
  closedStatusOf,
  openInvocations,
  rolloutStartOf,
  type ClosedStatus,
  type OpenInvocation,
  type RolloutStart,
} from './executions/history';
import { readHistoryHead, readHistoryTail, stopExecution } from './executions/sfn';
import { routerFor, routerKindFor } from './routers/registry';
import type { RollbackOutcome, TrafficRouter } from './routers/types';
import type { Baseline } from './rollout';

/** Reads of the weight after a write before it counts as failed (a store may lag its writes). */
export const VERIFY_READS = 3;
export const VERIFY_INTERVAL_MS = 250;
/** Attempts of a router call that fails with a transient error (throttling, a lost compare-and-swap). */
const CALL_ATTEMPTS = 5;
/**
 * Attempts of a write that must land because nothing else will make it: a person's promote after its
 * execution is stopped (up to ~20 s of backoff, well inside the reconciler's PERSON_PROMOTE_BUDGET_MS).
 */
export const STOPPED_WRITE_ATTEMPTS = 20;
/** Added to a task's timeout before looking again for its write: clocks and the invocation's own end. */
const IN_FLIGHT_MARGIN_MS = 5_000;

/**
 * The baseline with which a router releases what an unfinished Preflight of `executionName` may have
 * taken, by target type; null where Preflight takes nothing. A stopped execution records no output of its
 * Preflight, so the baseline it returned is lost; this is the part of it that rollback reads. For
 * cloudfront-kvs that is the lock's holder, the execution (shared/routers/cloudfront-kvs.ts, preflight).
 */
const HELD_AFTER_PREFLIGHT: { readonly [K in TargetType]: ((executionName: string) => Baseline) | null } = {
  'lambda-alias': null,
  'cloudfront-kvs': (executionName) => ({ lockHolder: executionName }),
};

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

/** How a router call is retried: withRetries by default; the reconciler adds spaced attempts (shared/reconcile/reconciler.ts). */
export type CallRetry = <T>(call: () => Promise<T>) => Promise<T>;

/** Retries a router call on our transient errors (throttling, AWS faults, a lost compare-and-swap). */
export async function withRetries<T>(
  clock: RollbackClock,
  signal: AbortSignal | undefined,
  call: () => Promise<T>,
  attempts: number = CALL_ATTEMPTS,
): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    signal?.throwIfAborted();
    try {
      return await call();
    } catch (error) {
      if (!(error instanceof CoalmineError && error.retryable) || attempt >= attempts) throw error;
      await clock.sleep(Math.random() * Math.min(1_000, 50 * 2 ** attempt), signal);
    }
  }
}

/**
 * Reads the weight after a write until it is `expected`, at most VERIFY_READS times VERIFY_INTERVAL_MS
 * apart (a store may lag its writes), each read retried by `retry`; returns the last weight read, which the
 * caller compares.
 */
export async function readWeightUntil(
  clock: RollbackClock,
  signal: AbortSignal | undefined,
  router: TrafficRouter,
  expected: number,
  retry: CallRetry = (call) => withRetries(clock, signal, call),
): Promise<number> {
  let weight = -1;
  for (let read = 1; read <= VERIFY_READS && weight !== expected; read += 1) {
    if (read > 1) await clock.sleep(VERIFY_INTERVAL_MS, signal);
    weight = await retry(() => router.getWeight());
  }
  return weight;
}

/**
 * Rolls the target back, then reads the weight until it is 0, each call retried by `retry`; throws
 * RollbackFailed if it stays above.
 */
export async function rollBackAndVerify(
  clock: RollbackClock,
  signal: AbortSignal | undefined,
  router: TrafficRouter,
  retry: CallRetry = (call) => withRetries(clock, signal, call),
): Promise<RollbackOutcome> {
  const outcome = await retry(() => router.rollback());
  const weight = await readWeightUntil(clock, signal, router, 0, retry);
  if (weight !== 0) throw new RollbackFailed(`the target still sends ${weight} % to the new version after the rollback (${VERIFY_READS} reads)`);
  return outcome;
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
  // The history is final once it shows how the execution ended; give a just-stopped one a moment.
  let tail = await readHistoryTail(executionArn);
  for (let read = 1; closedStatusOf(tail.at(-1)) === undefined && stopError === undefined && read < VERIFY_READS; read += 1) {
    await clock.sleep(VERIFY_INTERVAL_MS, signal);
    tail = await readHistoryTail(executionArn);
  }
  const endedAs = closedStatusOf(tail.at(-1));
  if (endedAs === undefined) throw stopError ?? new Error(`execution ${executionName} still shows as running after StopExecution`);
  if (endedAs !== 'ABORTED') {
    logger.warn('the execution ended on its own before it could be stopped', { executionName, endedAs, stopError: (stopError as Error | undefined)?.message });
  }
  return { tail, endedAs };
}

export interface OutsideStop {
  readonly executionArn: string;
  readonly executionName: string;
  /** What the execution drove when it was looked at; one still in Preflight is read again after the stop. */
  readonly start: RolloutStart;
  /** StopExecution's error (the name the execution ends with) and cause. */
  readonly error: string;
  readonly cause: string;
  /** Who rolled back, for the logs: "the alarm rollback", "the Slack rollback". */
  readonly rolledBackBy: string;
}

/** Stops the execution, then fences late writes (fenceLateWrites). */
export async function stopAndFence(
  clock: RollbackClock,
  signal: AbortSignal | undefined,
  stop: OutsideStop,
): Promise<{ endedAs: ClosedStatus; lateWriteUndone: boolean }> {
  const { executionArn, executionName, rolledBackBy } = stop;
  const { tail, endedAs } = await stopAndWaitForEnd(clock, signal, executionArn, executionName, stop.error, stop.cause);
  // A rollout still in Preflight when it was looked at may have planned and shifted since.
  const start = stop.start.stage === 'planned' ? stop.start : rolloutStartOf(await readHistoryHead(executionArn));
  const lateWriteUndone = await fenceLateWrites(clock, signal, { executionName, start, tail, rolledBackBy });
  return { endedAs, lateWriteUndone };
}

export interface Fence {
  readonly executionName: string;
  /** What the stopped execution drives, from its history. */
  readonly start: RolloutStart;
  /** The final tail of its history (stopAndWaitForEnd). */
  readonly tail: readonly HistoryEvent[];
  readonly rolledBackBy: string;
}

/**
 * After the stop the history is final, but an invocation in flight at the stop may still change the
 * target. A planned rollout: look at the target now and, if a traffic-moving invocation was still open,
 * again once it must have ended; undo whatever landed. A rollout stopped in Preflight: releaseAfterPreflight.
 * Returns whether a late traffic write was undone.
 */
export async function fenceLateWrites(clock: RollbackClock, signal: AbortSignal | undefined, fence: Fence): Promise<boolean> {
  if (fence.start.stage === 'preflight') await releaseAfterPreflight(clock, signal, fence, fence.start.request);
  if (fence.start.stage !== 'planned') return false;
  const router = routerFor(fence.start.rollout);
  const { executionName, rolledBackBy } = fence;
  const undoLateWrite = async (): Promise<boolean> => {
    const weight = await withRetries(clock, signal, () => router.getWeight());
    // Roll back even at 0 %: it is idempotent, and it releases what the rollout still holds (a KVS lock
    // Preflight may have taken after the rollout was first looked at).
    const outcome = await rollBackAndVerify(clock, signal, router);
    if (weight === 0) return false;
    logger.warn(`a traffic write landed after ${rolledBackBy}; rolled back again`, { executionName, lateWeight: weight, detail: outcome.detail });
    return true;
  };
  const undone = await undoLateWrite();
  if (!(await waitOut(clock, signal, executionName, openInvocations(fence.tail)))) return undone;
  return (await undoLateWrite()) || undone;
}

/**
 * A rollout stopped before Preflight finished has moved no traffic, but its Preflight invocation may still
 * be running and take what the store keeps for a rollout (the cloudfront-kvs lock) after the stop. Wait it
 * out, then, if the target is at 0 %, roll back as this execution: that releases what is this execution's
 * and leaves what is not alone. Anything but 0 % is not this rollout's doing (Preflight moves no traffic).
 */
async function releaseAfterPreflight(clock: RollbackClock, signal: AbortSignal | undefined, fence: Fence, request: unknown): Promise<void> {
  // The schema only on this path: a rollback of a planned rollout has its target parsed already.
  const { TargetSchema } = await import('./config/targets');
  const target = TargetSchema.safeParse((request as { target?: unknown } | undefined)?.target);
  // Preflight refuses a target it cannot parse before taking anything.
  const held = target.success ? HELD_AFTER_PREFLIGHT[target.data.type] : null;
  if (!target.success || held === null) return;
  const { executionName } = fence;
  await waitOut(clock, signal, executionName, openInvocations(fence.tail, [PREFLIGHT_STATE]));
  const router = routerKindFor(target.data).create(target.data, held(executionName));
  const weight = await withRetries(clock, signal, () => router.getWeight()).catch((error: unknown) => {
    // An unreadable weight: Preflight refuses such a store, so it took nothing.
    if (error instanceof TrafficConflict) return undefined;
    throw error;
  });
  if (weight !== 0) {
    logger.info('a rollout stopped in Preflight: the target is not at 0 %, which Preflight cannot have done; left alone', { executionName, weight });
    return;
  }
  const outcome = await withRetries(clock, signal, () => router.rollback());
  logger.info('a rollout stopped in Preflight: released what its Preflight may have taken', { executionName, changed: outcome.changed, detail: outcome.detail });
}

/** Waits until every invocation in `open` must have ended (its Task timeout after it was scheduled, plus a margin); false when none is open. */
async function waitOut(clock: RollbackClock, signal: AbortSignal | undefined, executionName: string, open: readonly OpenInvocation[]): Promise<boolean> {
  if (open.length === 0) return false;
  const endsBy = Math.max(...open.map((i) => i.scheduledAt.getTime() + i.timeoutSeconds * 1000)) + IN_FLIGHT_MARGIN_MS;
  const waitMs = endsBy - clock.now().getTime();
  logger.info('a task that can change the target was in flight when the execution stopped; looking at the target again once it must have ended', {
    executionName,
    states: open.map((i) => i.state),
    waitMs: Math.max(0, waitMs),
  });
  if (waitMs > 0) await clock.sleep(waitMs, signal);
  return true;
}

/** "Text." with exactly one full stop. */
export function sentence(text: string): string {
  return `${text.trim().replace(/\.+$/, '')}.`;
}
