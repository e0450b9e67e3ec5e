/**
 * A person asks where the running rollouts are (Slack `status`, `coalmine list` and `status`): every running
 * rollout, or the one a target names, each with the progress its history shows.
 */
import { readRolloutProgress, type RolloutProgressView } from '../executions/progress';
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
}

export interface StatusAnswer {
  readonly statuses: readonly RolloutStatus[];
  /** How `target` resolved, when one was given. */
  readonly match?: TargetMatch;
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
  return { statuses, ...(match !== undefined ? { match } : {}) };
}
