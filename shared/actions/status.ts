/**
 * A person asks where the running rollouts are (Slack `status`, `coalmine list` and `status`): every running
 * rollout, or the one a target names, each with the progress its history shows; and, asked without a
 * target, every target an ended rollout left between 0 and 100 % that no running rollout drives.
 */
import { readRolloutProgress, type RolloutProgressView } from '../executions/progress';
import { executionArnFor } from '../executions/arn';
import { EXECUTION_NAME } from '../executions/names';
import { readWholeHistory } from '../executions/sfn';
import { storyOf, type RolloutStory } from '../executions/story';
import type { RolloutStart } from '../executions/history';
import { describeError } from '../errors';
import { routerFor } from '../routers/registry';
import { describeExecution, SWEEP_LOOKBACK_MS, sweepStrandedTargets, type EndedExecution, type StrandedTarget } from '../reconcile/stranded';
import { targetKey } from '../reconcile/target-state';
import type { TargetView } from './restore-decision';
import { listRunningRollouts, resolveTarget, type RunningRollout, type TargetMatch } from './rollouts';

export interface RolloutStatus {
  readonly rollout: RunningRollout;
  readonly view: RolloutProgressView;
  /** Why the view is empty, when the history could not be read. */
  readonly unreadable?: string;
}

/** Reads every rollout's progress in parallel; one that cannot be read is shown without it. */
export async function readStatuses(rollouts: readonly RunningRollout[]): Promise<RolloutStatus[]> {
  return Promise.all(
    rollouts.map(async (rollout) => {
      try {
        return { rollout, view: await readRolloutProgress(rollout.executionArn) };
      } catch (error) {
        return { rollout, view: {}, unreadable: error instanceof Error ? error.name : 'error' };
      }
    }),
  );
}

export interface StatusQuery {
  readonly stateMachineArn: string;
  /** A rollout name, function:alias or execution name; every running rollout when absent. */
  readonly target?: string;
  /** Progress is read for this many rollouts; the rest are only listed. */
  readonly limit: number;
  readonly signal?: AbortSignal;
  /** Now, for the look back over ended executions; the real time by default. */
  readonly now?: Date;
}

export interface StatusAnswer {
  readonly statuses: readonly RolloutStatus[];
  /** How `target` resolved, when one was given. */
  readonly match?: TargetMatch;
  /** Without a target: the targets ended rollouts left split (or holding a lock) that no running rollout drives. */
  readonly stranded?: readonly StrandedTarget[];
  /** Without a target, when the ended executions could not be read: why (the running rollouts are still shown). */
  readonly strandedUnreadable?: string;
}

/** The running rollouts (or the one `target` names) with their progress. */
export async function readRunningStatus(query: StatusQuery): Promise<StatusAnswer> {
  const running = await listRunningRollouts(query.stateMachineArn);
  query.signal?.throwIfAborted();
  let match: TargetMatch | undefined;
  let chosen = running;
  if (query.target !== undefined) {
    match = resolveTarget(query.target, running);
    chosen = match.kind === 'found' ? [match.rollout] : [];
  }
  const shown = await readStatuses(chosen.slice(0, query.limit));
  const statuses = [...shown, ...chosen.slice(query.limit).map((rollout) => ({ rollout, view: {} }))];
  if (match !== undefined) return { statuses, match };
  return { statuses, ...(await readStranded(query, running)) };
}

/** The stranded targets (stranded.ts, the reconciler's finder) that no running rollout drives now. */
async function readStranded(query: StatusQuery, running: readonly RunningRollout[]): Promise<Pick<StatusAnswer, 'stranded' | 'strandedUnreadable'>> {
  const driven = new Set(running.flatMap((r) => (r.start.stage === 'planned' ? [targetKey(r.start.rollout.request.target)] : [])));
  const since = new Date((query.now ?? new Date()).getTime() - SWEEP_LOOKBACK_MS);
  try {
    const found = await sweepStrandedTargets(query.stateMachineArn, since);
    return { stranded: found.filter((s) => !driven.has(targetKey(s.request.target))) };
  } catch (error) {
    return { strandedUnreadable: describeError(error) };
  }
}

/** The execution a ROLLOUT names: running or, named by execution name or ARN, ended. */
export type FoundExecution =
  | { readonly kind: 'found'; readonly executionArn: string; readonly executionName: string }
  | { readonly kind: 'no-match'; readonly match: Exclude<TargetMatch, { kind: 'found' }> };

/**
 * Finds the execution `target` names: a running rollout by name, function:alias, execution name or ARN
 * (shared/actions/rollouts.ts), else an ended execution of this state machine by its name or ARN.
 */
export async function findExecution(stateMachineArn: string, target: string): Promise<FoundExecution> {
  const running = await listRunningRollouts(stateMachineArn);
  const match = resolveTarget(target, running);
  if (match.kind === 'found') return { kind: 'found', executionArn: match.rollout.executionArn, executionName: match.rollout.executionName };
  const ownPrefix = executionArnFor(stateMachineArn, '');
  const executionArn = target.startsWith(ownPrefix) ? target : EXECUTION_NAME.test(target) ? executionArnFor(stateMachineArn, target) : undefined;
  if (executionArn === undefined) return { kind: 'no-match', match };
  try {
    const described = await describeExecution(executionArn);
    return { kind: 'found', executionArn, executionName: described.name };
  } catch (error) {
    if (error instanceof Error && error.name === 'ExecutionDoesNotExist') return { kind: 'no-match', match };
    throw error;
  }
}

export interface StoryAnswer {
  readonly execution: EndedExecution;
  readonly story: RolloutStory;
  /** Why the history could not be read (the story then says only what DescribeExecution does). */
  readonly unreadable?: string;
}

/** A rollout's story: DescribeExecution says whether it runs, its whole history says the rest. */
export async function readRolloutStory(executionArn: string): Promise<StoryAnswer> {
  const execution = await describeExecution(executionArn);
  try {
    return { execution, story: storyOf(await readWholeHistory(executionArn), execution) };
  } catch (error) {
    return { execution, story: storyOf([], execution), unreadable: describeError(error) };
  }
}

/** What the target reads now: its canary share, or why it could not be read. */
export type WeightReading = { readonly weight: number } | { readonly unreadable: string };

/** Reads the weight on the target a planned rollout drives (a read only); undefined before Preflight planned it. */
export async function readTargetNow(start: RolloutStart): Promise<WeightReading | undefined> {
  if (start.stage !== 'planned') return undefined;
  try {
    return { weight: await routerFor(start.rollout).getWeight() };
  } catch (error) {
    return { unreadable: describeError(error) };
  }
}

/** The canary's share a reading gives; undefined when there was none or it failed. */
export const weightOf = (reading: WeightReading | undefined): number | undefined => (reading !== undefined && 'weight' in reading ? reading.weight : undefined);

/** What the target of an ended rollout shows against what its promotion left (the rollback window's view); undefined before Preflight planned it. */
export async function readPromotedView(start: RolloutStart): Promise<TargetView | undefined> {
  if (start.stage !== 'planned') return undefined;
  try {
    return await routerFor(start.rollout).inspectPromoted();
  } catch (error) {
    return { kind: 'unreadable', detail: describeError(error) };
  }
}
