/**
 * Rollouts that ended (`coalmine list --all`, `coalmine history`): each ended execution of the canary state
 * machine with the rollout its history names and how it ended (shared/executions/story.ts endingOf).
 * AWS reads only.
 */
import { lastEnteredState, rolloutStartOf, type RolloutStart } from '../executions/history';
import { listEndedSince, readHistoryHead, readHistoryTail } from '../executions/sfn';
import { endingOf, settleEnding, type Ending } from '../executions/story';
import { describeExecution } from '../reconcile/stranded';
import { readTargetNow, weightOf } from './status';

export interface EndedRollout {
  readonly executionArn: string;
  readonly executionName: string;
  readonly startedAt?: Date;
  readonly start: RolloutStart;
  readonly ending: Ending;
}

/** Ended rollouts started at or after `since`, newest first, at most `limit`. */
export async function listEndedRollouts(stateMachineArn: string, since: Date, limit: number): Promise<EndedRollout[]> {
  const executions = await listEndedSince(stateMachineArn, since, limit);
  const read = await Promise.all(
    executions.map(async (item): Promise<EndedRollout | undefined> => {
      const executionArn = item.executionArn ?? '';
      const [described, head] = await Promise.all([describeExecution(executionArn), readHistoryHead(executionArn)]);
      // Only a failure needs the state it ended in (rolled back, refused, or a failed rollback).
      const lastState = described.status === 'FAILED' ? lastEnteredState(await readHistoryTail(executionArn)) : undefined;
      const ended = endingOf(described, lastState);
      if (ended === undefined) return undefined;
      const start = rolloutStartOf(head);
      // A person's promote: whether it reached 100 % is on the target, not in the execution.
      const ending = ended.outcome === 'promotion-requested' ? settleEnding(ended, weightOf(await readTargetNow(start))) : ended;
      return { executionArn, executionName: described.name, ...(item.startDate !== undefined ? { startedAt: item.startDate } : {}), start, ending };
    }),
  );
  return read.filter((r): r is EndedRollout => r !== undefined);
}
