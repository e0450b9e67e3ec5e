/**
 * The body of each state machine task: read the state, call the router or judges, return the slice of
 * state the ASL's ResultPath puts back. functions/*.ts wrap these as Lambda handlers.
 */
import { parseRolloutRequest } from './config/request';
import { explainFailure, type CaughtError } from './failure';
import { TrafficNotYetVisible } from './errors';
import { combineJudgeResults } from './judges/combine';
import { judgesFor } from './judges/registry';
import type { JudgeResult } from './judges/types';
import { planRollout } from './plan';
import { routerFor, routerKindFor } from './routers/registry';
import type { VerifyResult } from './routers/types';
import { analysisRecords, labelOf, promotedRecords, rolledBackRecords } from './telemetry/records';
import { publishMetrics } from './telemetry/sink';
import { secondsNeededOf } from './judges/estimate';
import {
  bakedSecondsAt,
  decideNextAction,
  firstLookSeconds,
  type Gate,
  type JudgeMemory,
  type LookClock,
  type NextAction,
  type Progress,
  type Rollout,
  type RolloutState,
  type Verdict,
} from './rollout';

export interface PreflightInput {
  readonly request: unknown;
  readonly executionName: string;
  readonly startedAt: string;
}

/** The canary share the plan leaves before step `index` (0 before the first; the last step's before promotion). */
function weightBefore(rollout: Rollout, index: number): number {
  return rollout.plan.steps[index - 1]?.weight ?? 0;
}

/** Validates and plans the request, then checks the target and judges. Moves no traffic; a target with a rollout lock (KVS) takes it here. */
export async function preflight(input: PreflightInput): Promise<RolloutState> {
  const request = parseRolloutRequest(input.request);
  const kind = routerKindFor(request.target);
  const plan = planRollout(request, { observable: kind.observable });
  const alarmsAlreadyFiring = request.override?.alarmsAlreadyFiring === true;
  for (const judge of judgesFor(request.analysis, request.target)) await judge.preflight({ alarmsAlreadyFiring });
  const baseline = await kind.preflight(request.target, {
    executionName: input.executionName,
    allowLargeGreenPins: request.override?.allowLargeGreenPins === true,
  });
  return {
    rollout: {
      name: request.name ?? kind.describe(request.target),
      request,
      plan,
      baseline,
      executionName: input.executionName,
      startedAt: input.startedAt,
    },
    progress: { stepIndex: 0, extraBakes: 0, extraSeconds: 0, weight: 0, bakeSeconds: 0, lookSeconds: 0, shiftedAt: null, shifts: [] },
    // `look` is there from the start: the AnalyzeCanary state passes $.analysis.look on, and a missing path fails the execution.
    analysis: { memory: {}, look: null },
  };
}

/** Moves the canary to the weight of step `progress.stepIndex`. */
export async function shiftTraffic(state: RolloutState): Promise<Progress> {
  const step = state.rollout.plan.steps[state.progress.stepIndex];
  if (step === undefined) throw new RangeError(`no step ${state.progress.stepIndex} in the plan`);
  await routerFor(state.rollout).setWeight(step.weight, weightBefore(state.rollout, step.index));
  const at = new Date().toISOString();
  // A retried shift (already at this weight) keeps the time of the write that moved the traffic.
  const previous = state.progress.shifts.at(-1);
  const shifts = previous?.weight === step.weight ? state.progress.shifts : [...state.progress.shifts, { weight: step.weight, at }];
  return {
    stepIndex: step.index,
    extraBakes: 0,
    extraSeconds: 0,
    weight: step.weight,
    bakeSeconds: step.bakeSeconds,
    lookSeconds: firstLookSeconds(step.intervalSeconds, step.bakeSeconds),
    shiftedAt: shifts.at(-1)?.at ?? at,
    shifts,
  };
}

/** Reads the weight back; a mismatch is retried by the state machine, as reads may lag writes. */
export async function verifyTraffic(state: RolloutState): Promise<{ status: Exclude<VerifyResult, 'mismatch'> }> {
  const status = await routerFor(state.rollout).verifyWeight(state.progress.weight);
  if (status === 'mismatch') {
    throw new TrafficNotYetVisible(`the target does not yet show ${state.progress.weight} % on the canary`);
  }
  return { status };
}

export interface AnalysisOutput {
  readonly verdict: Verdict;
  readonly action: NextAction;
  /** The wait for a person, when the action is `await-approval`. */
  readonly gate?: Gate;
  /** Where the step's bake stands, for the next look; waitSeconds is IsBakeOver's and WaitForNextLook's wait. */
  readonly look: LookClock;
  /** With `bake-again`: the extra bake time granted to the step so far (BakeAgain copies it into progress). */
  readonly extraSeconds?: number;
  /** Why: the judges' reasons and the decision's. */
  readonly reason: string;
  readonly checks: JudgeResult[];
  readonly step: { readonly index: number; readonly weight: number; readonly extraBakes: number };
  readonly analyzedAt: string;
  /** Each judge's memory for its next look. */
  readonly memory: JudgeMemory;
}

/** One look: runs every configured judge over the step's window and decides what comes next. */
export async function analyzeCanary(state: RolloutState): Promise<AnalysisOutput> {
  const { rollout, progress } = state;
  const end = new Date();
  const window = { start: new Date(progress.shiftedAt ?? rollout.startedAt), end };
  const checks: JudgeResult[] = [];
  const memory: Record<string, unknown> = {};
  for (const judge of judgesFor(rollout.request.analysis, rollout.request.target)) {
    const result = await judge.measure({
      request: rollout.request,
      baseline: rollout.baseline,
      plan: rollout.plan,
      startedAt: rollout.startedAt,
      progress,
      window,
      memory: state.analysis.memory[judge.name],
    });
    const { memory: remembered, ...check } = result;
    checks.push(check);
    if (remembered !== undefined) memory[judge.name] = remembered;
  }
  const combined = combineJudgeResults(checks);
  const bakedSeconds = bakedSecondsAt(progress, state.analysis.look);
  const secondsNeeded = secondsNeededOf(checks);
  const decision = decideNextAction(combined.verdict, progress, rollout, { bakedSeconds, ...(secondsNeeded === undefined ? {} : { secondsNeeded }) });
  const output: AnalysisOutput = {
    verdict: combined.verdict,
    action: decision.action,
    ...(decision.gate === undefined ? {} : { gate: decision.gate }),
    look: { stepIndex: progress.stepIndex, bakedSeconds, waitSeconds: decision.waitSeconds ?? 0 },
    ...(decision.extraSeconds === undefined ? {} : { extraSeconds: decision.extraSeconds }),
    reason: `step ${progress.stepIndex + 1} at ${progress.weight} %: ${decision.reason}: ${combined.reason}`,
    checks,
    step: { index: progress.stepIndex, weight: progress.weight, extraBakes: progress.extraBakes },
    analyzedAt: end.toISOString(),
    memory,
  };
  publishMetrics(analysisRecords(rollout, output));
  return output;
}

/** Sends all traffic to the new version. */
export async function promote(state: Pick<RolloutState, 'rollout'>): Promise<{ promotedAt: string; weight: 100 }> {
  await routerFor(state.rollout).promote(weightBefore(state.rollout, state.rollout.plan.steps.length));
  publishMetrics(promotedRecords(state.rollout));
  return { promotedAt: new Date().toISOString(), weight: 100 };
}

export interface RollbackInput {
  readonly rollout: Rollout;
  readonly failure: CaughtError;
}

export interface RollbackOutput {
  /** The original error's name: the execution fails with it. */
  readonly error: string;
  readonly cause: string;
  readonly changed: boolean;
  readonly weight: 0;
  readonly rolledBackAt: string;
}

/** Sends all traffic back to the baseline and words the execution's failure. Safe to run twice. */
export async function rollBack(input: RollbackInput): Promise<RollbackOutput> {
  const outcome = await routerFor(input.rollout).rollback();
  publishMetrics(rolledBackRecords(labelOf(input.rollout), { error: input.failure.Error }));
  return {
    error: input.failure.Error,
    // Most error messages end in a full stop already; do not double it.
    cause: `${explainFailure(input.failure).replace(/\.\s*$/, '')}. Rolled back: ${outcome.detail}.`,
    changed: outcome.changed,
    weight: 0,
    rolledBackAt: new Date().toISOString(),
  };
}
