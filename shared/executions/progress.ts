/**
 * Where a rollout is: the state it is in and the step, weight and last analysis it carries, read
 * from the newest events of its history. The state machine keeps the whole rollout state ($.rollout,
 * $.progress, $.analysis) in every state's output, so the newest output that holds a `progress` says it all.
 */
import { GetExecutionHistoryCommand, type HistoryEvent } from '@aws-sdk/client-sfn';
import { sfnClient } from '../aws/sfn';
import { awsCall } from '../errors';
import type { NextAction, Progress, Verdict } from '../rollout';
import { isRecord } from '../json';

/** Enough of the newest events to span a Bake (entered, exited) and the task before it; one call. */
const TAIL_EVENTS = 40;

export interface AnalysisSummary {
  readonly verdict: Verdict;
  readonly action: NextAction;
  readonly reason: string;
  readonly analyzedAt?: string;
}

export interface RolloutProgressView {
  /** The state the execution is in, e.g. "Bake", and when it entered it. */
  readonly state?: { readonly name: string; readonly enteredAt: Date };
  readonly progress?: Progress;
  readonly stepCount?: number;
  readonly analysis?: AnalysisSummary;
}

/** The newest events of an execution's history, newest first, with their data. */
export async function readRolloutProgress(executionArn: string): Promise<RolloutProgressView> {
  const page = await awsCall('GetExecutionHistory', () =>
    sfnClient().send(new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, includeExecutionData: true, maxResults: TAIL_EVENTS })),
  );
  return progressOf(page.events ?? []);
}

/** Pure: the view from events given newest first (GetExecutionHistory with reverseOrder). */
export function progressOf(newestFirst: readonly HistoryEvent[]): RolloutProgressView {
  let state: RolloutProgressView['state'];
  let carried: { progress?: Progress; stepCount?: number; analysis?: AnalysisSummary } | undefined;
  for (const event of newestFirst) {
    if (state === undefined && event.type?.endsWith('StateEntered') && event.stateEnteredEventDetails?.name !== undefined) {
      state = { name: event.stateEnteredEventDetails.name, enteredAt: event.timestamp ?? new Date(0) };
    }
    if (carried === undefined && event.type?.endsWith('StateExited')) {
      const details = event.stateExitedEventDetails;
      if (details?.outputDetails?.truncated !== true) carried = stateCarried(details?.output);
    }
    if (state !== undefined && carried !== undefined) break;
  }
  return { ...(state !== undefined ? { state } : {}), ...(carried ?? {}) };
}

function stateCarried(output: string | undefined): { progress?: Progress; stepCount?: number; analysis?: AnalysisSummary } | undefined {
  if (output === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(output);
  } catch {
    return undefined;
  }
  if (!isRecord(value) || !isRecord(value.progress)) return undefined;
  const progress = value.progress as unknown as Progress;
  if (typeof progress.stepIndex !== 'number' || typeof progress.weight !== 'number') return undefined;
  const steps = isRecord(value.rollout) && isRecord(value.rollout.plan) ? value.rollout.plan.steps : undefined;
  const analysis = isRecord(value.analysis) ? value.analysis : undefined;
  return {
    progress,
    ...(Array.isArray(steps) ? { stepCount: steps.length } : {}),
    ...(analysis !== undefined && typeof analysis.verdict === 'string' && typeof analysis.reason === 'string'
      ? {
          analysis: {
            verdict: analysis.verdict as Verdict,
            action: analysis.action as NextAction,
            reason: analysis.reason,
            ...(typeof analysis.analyzedAt === 'string' ? { analyzedAt: analysis.analyzedAt } : {}),
          },
        }
      : {}),
  };
}

