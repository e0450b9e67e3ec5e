/**
 * A person restores the previous version of a rollout that ended promoted, within its rollback window
 * (docs/rollback-window.md): `rollback` from Slack or the CLI when no running rollout answers to the name.
 * It finds the latest ended execution the name picks out, reads its planned rollout (the baseline) from the
 * history and how it ended, looks at the target, lets restore-decision.ts decide, and restores in one
 * compare-and-swap write through the target's router, read back before it counts. The write carries the
 * record of who, why and when (shared/routers/restore-record.ts); a log line and the RolloutRolledBack
 * metric (Error RestoredAfterPromotion) say it too.
 *
 * Races: a concurrent write to the target (a new rollout's Preflight or shift, a person, a second restore)
 * makes the write fail its compare-and-swap; the router reads again and decides again, which then finds the
 * target restored (no write) or changed (refused). Every step is safe to repeat.
 */
import { describeError } from '../errors';
import { logger } from '../handler';
import { executionNameOf } from '../executions/arn';
import { lastEnteredState, rolloutStartOf, type RolloutStart } from '../executions/history';
import { listEndedSince, readHistoryHead, readHistoryTail } from '../executions/sfn';
import { endingOf, settleEnding } from '../executions/story';
import { realClock, VERIFY_INTERVAL_MS, VERIFY_READS, withRetries, type RollbackClock } from '../outside-rollback';
import { describeExecution } from '../reconcile/stranded';
import { targetKey } from '../reconcile/target-state';
import { routerFor } from '../routers/registry';
import type { RestoreRecord } from '../routers/restore-record';
import type { TrafficRouter } from '../routers/types';
import { RESTORED_AFTER_PROMOTION } from '../stop-errors';
import { labelOf, rolledBackRecords } from '../telemetry/records';
import { publishMetrics } from '../telemetry/sink';
import { decideRestore, type RestoreDecision, type RestoreRefusal, type TargetView } from './restore-decision';
import { describeRequester } from './requester';
import { startedAfter, type ManualActionInput, type ManualActionOptions, type StartedAfterRequest } from './resolve';
import { answersTo, displayNameOf, labelsOf, type RunningRollout } from './rollouts';

/** How many of the latest ended executions a name is looked for in; an older one is named by its execution. */
export const ENDED_SCAN_LIMIT = 100;
/** Histories read at once while looking. */
const HEADS_AT_ONCE = 10;

export type RestoreOutcome =
  /** Written in one compare-and-swap write and read back: the target is on the previous version. */
  | {
      readonly kind: 'restored';
      readonly rollout: string;
      readonly executionName: string;
      readonly detail: string;
      readonly record: RestoreRecord;
      /** From the command to the read-back. */
      readonly restoreLatencyMs: number;
    }
  /** The target is on the previous version already (a second rollback, or someone else's): nothing written. */
  | { readonly kind: 'already-restored'; readonly rollout: string; readonly executionName: string; readonly detail: string }
  /** Nothing written, and why; after the window, the command that rolls the old version out instead. */
  | { readonly kind: 'restore-refused'; readonly rollout: string; readonly executionName: string; readonly why: RestoreRefusal; readonly detail: string; readonly startCommand?: string }
  /** The write failed, or it landed and the read-back does not show it. */
  | { readonly kind: 'restore-failed'; readonly rollout: string; readonly executionName: string; readonly detail: string };

/** An ended execution with the rollout its history names (the shape of a running one). */
type EndedCandidate = RunningRollout;

/**
 * The latest of the last ENDED_SCAN_LIMIT ended executions that `target` names (by execution name or ARN,
 * rollout name or target), newest start first; undefined when none does.
 */
async function findLatestEnded(stateMachineArn: string, target: string): Promise<EndedCandidate | undefined> {
  const ended = await listEndedSince(stateMachineArn, new Date(0), ENDED_SCAN_LIMIT);
  for (let i = 0; i < ended.length; i += HEADS_AT_ONCE) {
    const candidates = await Promise.all(
      ended.slice(i, i + HEADS_AT_ONCE).map(async (item): Promise<EndedCandidate> => {
        const executionArn = item.executionArn ?? '';
        return {
          executionArn,
          executionName: item.name ?? executionNameOf(executionArn),
          ...(item.startDate !== undefined ? { startedAt: item.startDate } : {}),
          start: rolloutStartOf(await readHistoryHead(executionArn)),
        };
      }),
    );
    const found = candidates.find((c) => c.executionName === target || c.executionArn === target || answersTo(c, target));
    if (found !== undefined) return found;
  }
  return undefined;
}

/**
 * The restore for `input.target` when no running rollout answers to it: undefined when no ended rollout
 * does either (the caller's no-match stands). `running`: the rollouts running now.
 */
export async function restoreByName(
  input: ManualActionInput,
  options: ManualActionOptions,
  running: readonly RunningRollout[],
): Promise<RestoreOutcome | { readonly kind: 'no-match'; readonly match: StartedAfterRequest } | undefined> {
  const found = await findLatestEnded(input.stateMachineArn, input.target);
  options.signal?.throwIfAborted();
  if (found === undefined) return undefined;
  if (startedAfter(found, input.startedNoLaterThanMs)) {
    return { kind: 'no-match', match: { kind: 'started-after-request', rollout: found, requestedAtMs: input.startedNoLaterThanMs! } };
  }
  options.onResolved?.({ arn: found.executionArn, name: found.executionName });
  return restoreExecution(input, options, found, running);
}

/** The restore of one ended execution (a rerun names it). */
export async function restoreExecution(
  input: ManualActionInput,
  options: ManualActionOptions,
  execution: { readonly executionArn: string; readonly executionName: string; readonly start?: RolloutStart },
  running: readonly RunningRollout[],
): Promise<RestoreOutcome> {
  const clock = options.clock ?? realClock;
  const { signal } = options;
  const { executionArn, executionName } = execution;
  const [described, start] = await Promise.all([
    describeExecution(executionArn),
    execution.start !== undefined ? Promise.resolve(execution.start) : readHistoryHead(executionArn).then(rolloutStartOf),
  ]);
  signal?.throwIfAborted();
  const refused = (why: RestoreRefusal, detail: string): RestoreOutcome => ({ kind: 'restore-refused', rollout: executionName, executionName, why, detail });
  if (start.stage === 'unreadable') return refused('target-unreadable', `coalmine cannot tell from the history of execution ${executionName} what it drove (${start.reason}), so it restored nothing`);
  if (start.stage !== 'planned') return refused('not-promoted', `execution ${executionName} ended before Preflight planned it: no traffic moved, and there is no promotion to undo`);
  const { rollout } = start;
  const router = routerFor(rollout);
  const lastState = described.status === 'FAILED' ? lastEnteredState(await readHistoryTail(executionArn)) : undefined;
  const ended = endingOf(described, lastState);
  if (ended === undefined) return refused('not-promoted', `${rollout.name} (execution ${executionName}) is still ${described.status}`);
  const other = running.find((r) => drivesSameTarget(r.start, start));
  const decide = (view: TargetView) =>
    decideRestore({
      rollout,
      executionName,
      ending: settleEnding(ended, view.kind === 'as-promoted' ? 100 : undefined),
      view,
      now: clock.now(),
      stateMachineArn: input.stateMachineArn,
      ...(other !== undefined ? { runningOnTarget: { name: displayNameOf(other), executionName: other.executionName } } : {}),
    });
  const settle = (decision: Exclude<RestoreDecision, { kind: 'restore' }>): RestoreOutcome =>
    decision.kind === 'already-restored'
      ? { kind: 'already-restored', rollout: rollout.name, executionName, detail: decision.detail }
      : { kind: 'restore-refused', rollout: rollout.name, executionName, why: decision.why, detail: decision.detail, ...(decision.startCommand !== undefined ? { startCommand: decision.startCommand } : {}) };

  const first = decide(await viewOf(clock, signal, router));
  if (first.kind !== 'restore') return settle(first);
  const record = { executionName, by: describeRequester(input.requester), ...(input.reason !== undefined && input.reason.trim() !== '' ? { reason: input.reason.trim() } : {}), at: clock.now().toISOString() };
  signal?.throwIfAborted();
  let detail: string;
  try {
    // A lost compare-and-swap is retried: the router reads again and writes only from what the promotion left.
    const write = await withRetries(clock, signal, () => router.restore(record));
    if (!write.written) {
      // The target is no longer as the promotion left it (a concurrent write): decided again, never written over.
      const again = decide(write.view);
      if (again.kind !== 'restore') return settle(again);
      throw new Error('the router wrote nothing from a target as the promotion left it');
    }
    detail = write.detail;
  } catch (error) {
    if (signal?.aborted) throw error;
    return { kind: 'restore-failed', rollout: rollout.name, executionName, detail: `the restore was not written: ${describeError(error)}` };
  }
  const readBack = await readBackRestore(clock, signal, router, record);
  if ('shows' in readBack) {
    return { kind: 'restore-failed', rollout: rollout.name, executionName, detail: `the restore was written, but reading the target back shows: ${readBack.shows}` };
  }
  const restoreLatencyMs = Math.max(0, clock.now().getTime() - input.receivedAtMs);
  const restored = readBack.record;
  publishMetrics(rolledBackRecords(labelOf(rollout), { error: RESTORED_AFTER_PROMOTION, latencyMs: restoreLatencyMs }));
  logger.info('rollback window: restored the previous version', {
    rollout: rollout.name,
    executionName,
    requester: record.by,
    reason: record.reason,
    at: record.at,
    detail,
    restoreLatencyMs,
  });
  return { kind: 'restored', rollout: rollout.name, executionName, detail, record: restored, restoreLatencyMs };
}

/**
 * Whether a running rollout drives the target of the ended one: a planned one by its target, one still in
 * Preflight by the target its request names (a lambda-alias; a KVS Preflight takes the store's lock, which
 * the target then shows).
 */
function drivesSameTarget(running: RolloutStart, ended: Extract<RolloutStart, { stage: 'planned' }>): boolean {
  if (running.stage === 'planned') return targetKey(running.rollout.request.target) === targetKey(ended.rollout.request.target);
  const named = labelsOf(running).target;
  const ours = labelsOf(ended);
  return named !== undefined && (named === ours.target || ours.aliases.includes(named));
}

/** What the target shows, or why it cannot be read (after the transient errors' retries). */
async function viewOf(clock: RollbackClock, signal: AbortSignal | undefined, router: TrafficRouter): Promise<TargetView> {
  try {
    return await withRetries(clock, signal, () => router.inspectPromoted());
  } catch (error) {
    if (signal?.aborted) throw error;
    return { kind: 'unreadable', detail: describeError(error) };
  }
}

/** Reads the target until it shows this restore's record (a store may lag its writes): the record read back, or what the target shows. */
async function readBackRestore(
  clock: RollbackClock,
  signal: AbortSignal | undefined,
  router: TrafficRouter,
  record: Omit<RestoreRecord, 'restored'>,
): Promise<{ readonly record: RestoreRecord } | { readonly shows: string }> {
  let shows = '';
  for (let read = 1; read <= VERIFY_READS; read += 1) {
    if (read > 1) await clock.sleep(VERIFY_INTERVAL_MS, signal);
    const view = await viewOf(clock, signal, router);
    if (view.kind === 'restored' && view.record?.executionName === record.executionName && view.record.at === record.at) return { record: view.record };
    shows = view.detail;
  }
  return { shows };
}
