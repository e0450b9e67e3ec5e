/**
 * What every person-driven action starts with: the input (what the person named, who they are, when they
 * asked), and finding the running rollout it names, or, for a rerun of an action an earlier attempt began,
 * the execution that attempt picked.
 */
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { closedStatusOf, rolloutStartOf, type ClosedStatus, type RolloutStart } from '../executions/history';
import { readHistoryHead, readHistoryTail } from '../executions/sfn';
import type { RollbackClock } from '../outside-rollback';
import { readStopCause } from '../stop-cause';
import type { Requester } from './requester';
import { displayNameOf, listRunningRollouts, resolveTarget, type RunningRollout, type TargetMatch } from './rollouts';

export interface ManualActionInput {
  /** The canary state machine whose executions are looked at. */
  readonly stateMachineArn: string;
  /** As the person typed it: rollout name, function:alias, or execution name. */
  readonly target: string;
  readonly requester: Requester;
  /** Why, in the person's words (a rollback's reason). */
  readonly reason?: string;
  /** When coalmine received the request (ms since the epoch): the action's latency starts here. */
  readonly receivedAtMs: number;
  /**
   * The latest start (ms since the epoch) of an execution this action may act on: a signed request's
   * timestamp (Slack), so that a replayed request never reaches a rollout started after it was signed.
   */
  readonly startedNoLaterThanMs?: number;
  /** Set when an earlier attempt of this action already picked the execution (a handed-over rerun). */
  readonly execution?: { readonly arn: string; readonly name: string };
}

export interface ManualActionOptions {
  readonly clock?: RollbackClock;
  /** Aborts the work between steps (the Slack deadline). */
  readonly signal?: AbortSignal;
  /** Called once the target is resolved, so that a hand-over can name the execution. */
  readonly onResolved?: (execution: { arn: string; name: string }) => void;
}

/** An action that found its execution already ended (by itself, or by an earlier stop). */
export interface AlreadyEnded {
  readonly kind: 'already-ended';
  readonly rollout: string;
  readonly executionName: string;
  readonly endedAs: ClosedStatus | 'unknown';
  readonly error?: string;
  readonly cause?: string;
}

/** The rollout named started after the request was made: the request cannot have meant it (a replay). */
export interface StartedAfterRequest {
  readonly kind: 'started-after-request';
  readonly rollout: RunningRollout;
  readonly requestedAtMs: number;
}

export type NoMatch = Exclude<TargetMatch, { kind: 'found' }> | StartedAfterRequest;

/** Whether `rollout` started after the bound (an unknown start counts as after: nothing proves it is older). */
export function startedAfter(rollout: RunningRollout, boundMs: number | undefined): boolean {
  if (boundMs === undefined) return false;
  return rollout.startedAt === undefined || rollout.startedAt.getTime() > boundMs;
}

/** What an action found for its target: a running rollout with its start, no match, or (a rerun) an execution no longer listed. */
export type ResolvedRollout =
  | { readonly kind: 'found'; readonly rollout: RunningRollout; readonly name: string; readonly start: RolloutStart }
  | { readonly kind: 'no-match'; readonly match: NoMatch }
  | { readonly kind: 'rerun-not-running'; readonly execution: NonNullable<ManualActionInput['execution']> };

/** Finds the running rollout an action names, and reads its start again if it was still in Preflight when listed. */
export async function resolveRunningRollout(input: ManualActionInput, options: ManualActionOptions): Promise<ResolvedRollout> {
  const running = await listRunningRollouts(input.stateMachineArn);
  options.signal?.throwIfAborted();
  const match = resolveTarget(input.execution?.name ?? input.target, running);
  if (match.kind !== 'found') {
    // A rerun whose execution is no longer running: an earlier attempt may have stopped it already.
    return input.execution !== undefined ? { kind: 'rerun-not-running', execution: input.execution } : { kind: 'no-match', match };
  }
  const rollout = match.rollout;
  if (startedAfter(rollout, input.startedNoLaterThanMs)) {
    return { kind: 'no-match', match: { kind: 'started-after-request', rollout, requestedAtMs: input.startedNoLaterThanMs! } };
  }
  options.onResolved?.({ arn: rollout.executionArn, name: rollout.executionName });
  // A rollout still in Preflight when listed may have planned (and shifted) since.
  const start = rollout.start.stage === 'planned' ? rollout.start : rolloutStartOf(await readHistoryHead(rollout.executionArn));
  options.signal?.throwIfAborted();
  return { kind: 'found', rollout, name: displayNameOf(rollout), start };
}

/** An execution a rerun found no longer running: how it ended, and what it drove. */
export interface EndedExecution {
  readonly tail: HistoryEvent[];
  readonly last: HistoryEvent | undefined;
  readonly endedAs: ClosedStatus | 'unknown';
  readonly start: RolloutStart;
  /** The rollout's name once planned, else the execution's. */
  readonly name: string;
}

export async function readEnded(execution: { arn: string; name: string }): Promise<EndedExecution> {
  const tail = await readHistoryTail(execution.arn);
  const last = tail.at(-1);
  const start = rolloutStartOf(await readHistoryHead(execution.arn));
  const name = start.stage === 'planned' ? start.rollout.name : execution.name;
  return { tail, last, endedAs: closedStatusOf(last) ?? 'unknown', start, name };
}

/** The error and cause an execution's closing event records (a stop's cause as its sentence). */
export function endDetails(event: HistoryEvent | undefined): { error?: string; cause?: string } {
  const details = event?.executionAbortedEventDetails ?? event?.executionFailedEventDetails ?? event?.executionTimedOutEventDetails;
  return {
    ...(details?.error !== undefined ? { error: details.error } : {}),
    ...(details?.cause !== undefined ? { cause: readStopCause(details.cause).sentence } : {}),
  };
}

/** For logs: an action's outcome in a word ("rolled-back", "no-match:unknown"). */
export function outcomeWord(outcome: { readonly kind: string; readonly match?: { readonly kind: string } }): string {
  return outcome.kind === 'no-match' && outcome.match !== undefined ? `no-match:${outcome.match.kind}` : outcome.kind;
}
