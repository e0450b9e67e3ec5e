/**
 * A rollout's whole story, from its execution's history and DescribeExecution: the plan, every analysis
 * with its verdict and evidence, where it is now, what happens next and when, and how it ended. What
 * `coalmine status` and `coalmine watch` show. Pure: no AWS, no clock (`now` is given).
 */
import type { ExecutionStatus, HistoryEvent } from '@aws-sdk/client-sfn';
import type { NextAction, Progress, Verdict } from '../rollout';
import { MANUAL_PROMOTE_ERROR, MANUAL_ROLLBACK_ERROR, ALARM_ROLLBACK_ERROR } from '../stop-errors';
import { readStopCause } from '../stop-cause';
import { lastEnteredState, rolloutStartOf, type RolloutStart } from './history';
import { ANALYZE_STATE, WAIT_STATES, type CanaryState } from './states';
import { isRecord, parseJson } from '../json';

/** The Fail states, by how the rollout ended when the execution failed in them. */
const FAILED_IN: Readonly<Partial<Record<CanaryState, Outcome>>> = { RolledBack: 'rolled-back', RolloutRefused: 'refused', RollbackFailed: 'failed' };
/** The states between an analysis that says advance and the next step's shift. */
const BEFORE_NEXT_SHIFT: readonly string[] = ['AnnounceStepAnalyzed', 'DecideNextStep', 'AdvanceToNextStep'] satisfies CanaryState[];
/** How an execution stopped from outside ended, by the error its stop carries (shared/stop-errors.ts). */
const STOPPED_BY: Readonly<Record<string, Outcome>> = {
  [ALARM_ROLLBACK_ERROR]: 'rolled-back',
  [MANUAL_ROLLBACK_ERROR]: 'rolled-back',
  [MANUAL_PROMOTE_ERROR]: 'promotion-requested',
};

export interface CheckSummary {
  readonly judge: string;
  readonly verdict: Verdict;
  readonly reason: string;
  /** An inconclusive statistical check: the canary requests still needed, and the time they take at the current rate. */
  readonly requestsNeeded?: number;
  readonly secondsNeeded?: number;
}

/** One analysis of one step. */
export interface Look {
  readonly stepIndex: number;
  readonly weight: number;
  readonly extraBakes: number;
  readonly verdict: Verdict;
  readonly action: NextAction;
  readonly reason: string;
  readonly analyzedAt?: string;
  readonly checks: readonly CheckSummary[];
  /** The wait before the next look ($.analysis.look.waitSeconds), when the look asked for one (looking again, or an extra bake). */
  readonly waitSeconds?: number;
}

export type Next =
  /** A Wait (the bake, or the edge's settle and then the bake) ends at `at`, then the step is analysed. */
  | { readonly kind: 'analysis'; readonly at: Date; readonly stepIndex: number; readonly weight: number }
  /** The next step's shift, to `weight`, follows at once. */
  | { readonly kind: 'shift'; readonly stepIndex: number; readonly weight: number }
  /** A task is working (shift, verify, analyse, promote, roll back, announce). */
  | { readonly kind: 'working'; readonly state: string };

/**
 * How a rollout ended. `promotion-requested`: a person's promote stopped the execution and then moves the
 * target to 100 % itself; the target says whether it got there.
 */
export type Outcome = 'promoted' | 'rolled-back' | 'refused' | 'failed' | 'stopped' | 'promotion-requested';

export interface Ending {
  readonly status: Exclude<ExecutionStatus, 'RUNNING' | 'PENDING_REDRIVE'>;
  readonly outcome: Outcome;
  readonly at?: Date;
  readonly error?: string;
  /** The cause's sentence (without the facts line of a coalmine stop). */
  readonly cause?: string;
}

/** What DescribeExecution says, the authority on whether the execution runs (a history can lag it). */
export interface ExecutionSummary {
  readonly status: ExecutionStatus | string;
  readonly stopDate?: Date;
  readonly error?: string;
  readonly cause?: string;
}

export interface RolloutStory {
  readonly start: RolloutStart;
  readonly looks: readonly Look[];
  readonly state?: { readonly name: string; readonly enteredAt: Date };
  readonly progress?: Progress;
  readonly next?: Next;
  readonly ended?: Ending;
}


const numberOr = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);

function checkOf(raw: unknown): CheckSummary[] {
  if (!isRecord(raw) || typeof raw.judge !== 'string' || typeof raw.verdict !== 'string' || typeof raw.reason !== 'string') return [];
  const evidence = isRecord(raw.evidence) ? raw.evidence : {};
  const requestsNeeded = numberOr(evidence.requestsNeeded);
  const secondsNeeded = numberOr(evidence.secondsNeeded);
  return [
    {
      judge: raw.judge,
      verdict: raw.verdict as Verdict,
      reason: raw.reason,
      ...(requestsNeeded !== undefined ? { requestsNeeded } : {}),
      ...(secondsNeeded !== undefined ? { secondsNeeded } : {}),
    },
  ];
}

/** The look an AnalyzeCanary output records, if it records one. */
function lookOf(output: unknown): Look | undefined {
  if (!isRecord(output) || !isRecord(output.analysis) || !isRecord(output.progress)) return undefined;
  const { analysis, progress } = output;
  if (typeof analysis.verdict !== 'string' || typeof analysis.reason !== 'string') return undefined;
  const stepIndex = numberOr(progress.stepIndex);
  const weight = numberOr(progress.weight);
  if (stepIndex === undefined || weight === undefined) return undefined;
  return {
    stepIndex,
    weight,
    extraBakes: numberOr(progress.extraBakes) ?? 0,
    verdict: analysis.verdict as Verdict,
    action: analysis.action as NextAction,
    reason: analysis.reason,
    ...(typeof analysis.analyzedAt === 'string' ? { analyzedAt: analysis.analyzedAt } : {}),
    checks: Array.isArray(analysis.checks) ? analysis.checks.flatMap(checkOf) : [],
    ...(isRecord(analysis.look) && typeof analysis.look.waitSeconds === 'number' && analysis.look.waitSeconds > 0 ? { waitSeconds: analysis.look.waitSeconds } : {}),
  };
}

function progressOf(output: unknown): Progress | undefined {
  if (!isRecord(output) || !isRecord(output.progress)) return undefined;
  const progress = output.progress as unknown as Progress;
  return typeof progress.stepIndex === 'number' && typeof progress.weight === 'number' ? progress : undefined;
}

/** What comes after the state the execution is in. */
function nextOf(state: { name: string; enteredAt: Date } | undefined, progress: Progress | undefined, start: RolloutStart, last: Look | undefined): Next | undefined {
  if (state === undefined) return undefined;
  const plan = start.stage === 'planned' ? start.rollout.plan : undefined;
  if (progress !== undefined && plan !== undefined) {
    const atMs = (seconds: number) => new Date(state.enteredAt.getTime() + seconds * 1000);
    if (state.name === WAIT_STATES.bake) return { kind: 'analysis', at: atMs(progress.lookSeconds ?? progress.bakeSeconds), stepIndex: progress.stepIndex, weight: progress.weight };
    if (state.name === WAIT_STATES.look && last?.waitSeconds !== undefined) {
      return { kind: 'analysis', at: atMs(last.waitSeconds), stepIndex: progress.stepIndex, weight: progress.weight };
    }
    if (state.name === WAIT_STATES.settle) {
      return { kind: 'analysis', at: atMs(plan.settleSeconds + (progress.lookSeconds ?? progress.bakeSeconds)), stepIndex: progress.stepIndex, weight: progress.weight };
    }
    const following = plan.steps[progress.stepIndex + 1];
    if (last?.action === 'advance' && last.stepIndex === progress.stepIndex && following !== undefined && BEFORE_NEXT_SHIFT.includes(state.name)) {
      return { kind: 'shift', stepIndex: following.index, weight: following.weight };
    }
  }
  return { kind: 'working', state: state.name };
}

/** How the execution ended, from DescribeExecution and the state it ended in. */
export function endingOf(execution: ExecutionSummary, lastState: string | undefined): Ending | undefined {
  const { status } = execution;
  if (status !== 'SUCCEEDED' && status !== 'FAILED' && status !== 'ABORTED' && status !== 'TIMED_OUT') return undefined;
  let outcome: Outcome;
  if (status === 'SUCCEEDED') outcome = 'promoted';
  else if (status === 'FAILED') outcome = FAILED_IN[lastState as CanaryState] ?? 'failed';
  else if (status === 'ABORTED') outcome = STOPPED_BY[execution.error ?? ''] ?? 'stopped';
  else outcome = 'failed';
  return {
    status,
    outcome,
    ...(execution.stopDate !== undefined ? { at: execution.stopDate } : {}),
    ...(execution.error !== undefined && execution.error !== '' ? { error: execution.error } : {}),
    ...(execution.cause !== undefined && execution.cause !== '' ? { cause: readStopCause(execution.cause).sentence } : {}),
  };
}

/**
 * A person's promote stops the execution first and moves the target after: it has promoted once the target
 * reads 100 % (`canaryWeightNow`, the router's reading; undefined when not read).
 */
export function settleEnding(ending: Ending, canaryWeightNow: number | undefined): Ending {
  return ending.outcome === 'promotion-requested' && canaryWeightNow === 100 ? { ...ending, outcome: 'promoted' } : ending;
}

/** The story with its ending settled by what the target reads now (settleEnding). */
export function settleStory(story: RolloutStory, canaryWeightNow: number | undefined): RolloutStory {
  return story.ended === undefined ? story : { ...story, ended: settleEnding(story.ended, canaryWeightNow) };
}

/**
 * The story of an execution from its history (oldest first, with execution data) and its description.
 * A history that says nothing readable gives an empty story, not an error.
 */
export function storyOf(events: readonly HistoryEvent[], execution: ExecutionSummary): RolloutStory {
  const start = rolloutStartOf(events);
  const looks: Look[] = [];
  let progress: Progress | undefined;
  let state: { name: string; enteredAt: Date } | undefined;
  for (const event of events) {
    if (event.type?.endsWith('StateEntered') && event.stateEnteredEventDetails?.name !== undefined) {
      state = { name: event.stateEnteredEventDetails.name, enteredAt: event.timestamp ?? new Date(0) };
    }
    if (!event.type?.endsWith('StateExited')) continue;
    const details = event.stateExitedEventDetails;
    if (details?.outputDetails?.truncated === true) continue;
    const output = parseJson(details?.output);
    progress = progressOf(output) ?? progress;
    const look = details?.name === ANALYZE_STATE ? lookOf(output) : undefined;
    if (look !== undefined) looks.push(look);
  }
  const ended = endingOf(execution, lastEnteredState(events));
  const next = ended === undefined ? nextOf(state, progress, start, looks.at(-1)) : undefined;
  return {
    start,
    looks,
    ...(state !== undefined ? { state } : {}),
    ...(progress !== undefined ? { progress } : {}),
    ...(next !== undefined ? { next } : {}),
    ...(ended !== undefined ? { ended } : {}),
  };
}
