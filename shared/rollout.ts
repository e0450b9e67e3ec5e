/**
 * The execution state that flows through statemachines/canary.asl.yaml, and the pure decision taken
 * after each analysis. The ASL's paths ($.rollout, $.progress, $.analysis, $.failure) name these fields.
 */
import type { Approval, RolloutRequest } from './config/request';

/** A judge's finding about the canary, and what decideNextAction acts on (judges/types.ts is the judges' port). */
export type Verdict = 'pass' | 'fail' | 'inconclusive';

export interface PlanStep {
  /** 0-based position among the canary steps. */
  readonly index: number;
  /** Canary share in percent while this step bakes. */
  readonly weight: number;
  readonly bakeSeconds: number;
  /** Seconds between two looks of the judges during this step's bake (analysis.intervalSeconds, or wider: see planRollout). */
  readonly intervalSeconds: number;
  /** A gate after the step's analysis passes: the rollout waits for a person, at most approval.timeoutSeconds. */
  readonly approval?: Approval;
}

/** The bake at 100 % after the promotion: `looks` looks, `intervalSeconds` apart (the last one at the bake's end). */
export interface PostPromotionPlan {
  readonly bakeSeconds: number;
  readonly intervalSeconds: number;
  readonly looks: number;
}

export interface Plan {
  /** The canary steps, every one below 100 %; after the last one passes, the rollout promotes. */
  readonly steps: PlanStep[];
  /** Wait before the first analysis of a step when the target cannot confirm propagation. */
  readonly settleSeconds: number;
  readonly maxExtraSecondsPerStep: number;
  /** analysis.intervalSeconds as asked; the steps' intervalSeconds is wider when the worst case would not fit the history budget. */
  readonly requestedIntervalSeconds: number;
  /** Looks of the judges: when every step passes at the end of its bake, and when every step uses all its extra bake time. */
  readonly looks: { readonly nominal: number; readonly worstCase: number };
  /** The post-promotion bake, when the request asks for one (request.postPromotion). */
  readonly postPromotion?: PostPromotionPlan;
  /** Duration when every step passes at the end of its bake and every gate is approved at once. */
  readonly nominalSeconds: number;
  /** Duration when every step uses all its extra bake time and every gate (approval, or hold) waits out its timeout. */
  readonly worstCaseSeconds: number;
  readonly stateTransitions: { readonly nominal: number; readonly worstCase: number };
  /** Worst-case Step Functions history events, retries aside; checked against LIMITS.historyEventBudget. */
  readonly worstCaseHistoryEvents: number;
  readonly nominalCostUsd: number;
  /** The largest execution state this request can make (state-size.ts); checked against STATE_BYTE_BUDGET. */
  readonly worstCaseStateBytes: number;
}

/** What the target looked like before the rollout; routers need it to roll back. */
export type Baseline = Record<string, string | number | boolean>;

export interface Rollout {
  /** The request's short name, or the target's (e.g. "checkout:live"): how people and commands refer to it. */
  readonly name: string;
  readonly request: RolloutRequest;
  readonly plan: Plan;
  readonly baseline: Baseline;
  /** Execution name when known: ties log lines and commands to the run. */
  readonly executionName: string;
  readonly startedAt: string;
}

export interface Progress {
  /** Index into plan.steps of the step being (or about to be) shifted to. */
  readonly stepIndex: number;
  /** Extra bakes spent on this step after inconclusive analyses. */
  readonly extraBakes: number;
  /** Extra bake time granted to this step so far, in seconds (analysis.inconclusive.maxExtraSeconds bounds it). */
  readonly extraSeconds: number;
  /** Canary share in percent now. */
  readonly weight: number;
  /** The step's planned bake; a pass needs at least this much. */
  readonly bakeSeconds: number;
  /** The wait before the current bake's first look (the Bake state's): the step's look interval, or less. */
  readonly lookSeconds: number;
  /** When the current weight was set (ISO); the analysis window starts here. Null before the first shift. */
  readonly shiftedAt: string | null;
  /** Every weight this rollout set, oldest first: judges compare canary and baseline split by split. */
  readonly shifts: readonly Shift[];
}

export interface Shift {
  readonly weight: number;
  /** ISO time the weight was written. */
  readonly at: string;
}

/** What judges remember between looks (e.g. alpha already spent), by judge name. Each judge keeps its own small. */
export type JudgeMemory = Readonly<Record<string, unknown>>;

/**
 * Where the current step's bake stands after a look (the analysis carries it to the next look). Bake time is
 * the sum of the waits the state machine made, not the clock: a look is due when its wait is over.
 */
export interface LookClock {
  /** The step this look belongs to; a look of another step starts the count again. */
  readonly stepIndex: number;
  /** Seconds the step has baked by this look (its waits so far, extra bakes included). */
  readonly bakedSeconds: number;
  /** The wait before the next look (the WaitForNextLook state's), when there is one. */
  readonly waitSeconds: number;
}

export interface RolloutState {
  readonly rollout: Rollout;
  readonly progress: Progress;
  /** The last analysis; before the first one, the (empty) judge memory and no look. */
  readonly analysis: { readonly memory: JudgeMemory; readonly look?: LookClock | null };
}

/**
 * What the state machine's choices branch on: `look-again` (IsBakeOver) waits one interval and looks again;
 * the others end the bake (DecideNextStep).
 */
export type NextAction = 'look-again' | 'advance' | 'bake-again' | 'promote' | 'rollback' | 'await-approval';

/**
 * A wait for a person (the AwaitApproval state): after a passing analysis of a step with `approval`, or,
 * with `analysis.inconclusive.then: "hold"`, when the extra bakes are spent and the judges still cannot
 * decide. The ASL reads every field: the Task's timeout, what a timeout does, and where an approval leads.
 */
export interface Gate {
  readonly kind: 'approval' | 'hold';
  readonly timeoutSeconds: number;
  readonly onTimeout: 'rollback' | 'proceed';
  /** Where an approval leads: the next step, or the promotion after the last canary step. */
  readonly then: 'advance' | 'promote';
}

export interface Decision {
  readonly action: NextAction;
  readonly reason: string;
  /** With `await-approval` only. */
  readonly gate?: Gate;
  /** With `look-again` and `bake-again`: the wait before the next look. */
  readonly waitSeconds?: number;
  /** With `bake-again`: the step's extra bake time granted so far, this extra bake included. */
  readonly extraSeconds?: number;
}

/** What a look knows besides the verdict: how long the step has baked, and what the judges say they still need. */
export interface LookTime {
  readonly bakedSeconds: number;
  /** The judges' estimate of the time an inconclusive analysis still needs (their "about N at this rate"). */
  readonly secondsNeeded?: number;
}

/** The look interval of a step of the plan. */
export function intervalOf(plan: Pick<Plan, 'steps'>, stepIndex: number): number {
  const step = plan.steps[stepIndex];
  if (step === undefined) throw new RangeError(`no step ${stepIndex} in the plan`);
  return step.intervalSeconds;
}

/** The wait before a bake's first look: one interval, or the whole bake when it is shorter. */
export function firstLookSeconds(intervalSeconds: number, bakeSeconds: number): number {
  return Math.min(intervalSeconds, bakeSeconds);
}

/** Seconds the step has baked at this look: the last look's count and its wait, or the bake's first wait. */
export function bakedSecondsAt(progress: Pick<Progress, 'stepIndex' | 'lookSeconds'>, previous: LookClock | null | undefined): number {
  return previous?.stepIndex === progress.stepIndex ? previous.bakedSeconds + previous.waitSeconds : progress.lookSeconds;
}

/** The extra bake an inconclusive step gets: the judges' estimate in whole intervals, within what is left; all of it without an estimate. */
export function extraBakeSeconds(secondsNeeded: number | undefined, intervalSeconds: number, leftSeconds: number): number {
  if (secondsNeeded === undefined) return leftSeconds;
  return Math.min(leftSeconds, Math.max(1, Math.ceil(secondsNeeded / intervalSeconds)) * intervalSeconds);
}

/**
 * The step after a look: a pure table of verdict × bake time × position × policy (× the step's approval gate).
 * A fail rolls back at any look. A pass ends the bake once the step has baked its planned time; before that
 * the judges look again. At the end of the bake time (planned and extra), an inconclusive step bakes again
 * for as long as the judges say they need, within analysis.inconclusive.maxExtraSeconds; then the policy.
 */
export function decideNextAction(verdict: Verdict, progress: Progress, rollout: Pick<Rollout, 'request' | 'plan'>, look: LookTime): Decision {
  const isLastStep = progress.stepIndex >= rollout.plan.steps.length - 1;
  const onward = isLastStep ? 'promote' : 'advance';
  const policy = rollout.request.analysis.inconclusive;
  const approval = rollout.plan.steps[progress.stepIndex]?.approval;
  const interval = intervalOf(rollout.plan, progress.stepIndex);
  const baked = look.bakedSeconds;
  const bakeEnd = progress.bakeSeconds + progress.extraSeconds;
  if (verdict === 'fail') return { action: 'rollback', reason: 'the analysis failed' };
  if (baked < progress.bakeSeconds || (verdict === 'inconclusive' && baked < bakeEnd)) {
    const waitSeconds = Math.min(interval, bakeEnd - baked);
    return { action: 'look-again', reason: `baked ${baked} of ${bakeEnd} s; the next look in ${waitSeconds} s`, waitSeconds };
  }
  if (verdict === 'pass') {
    if (approval !== undefined) {
      return {
        action: 'await-approval',
        reason: `the analysis passed; waiting for a person to approve (at most ${approval.timeoutSeconds} s, then ${approval.onTimeout === 'proceed' ? 'proceed' : 'roll back'})`,
        gate: { kind: 'approval', timeoutSeconds: approval.timeoutSeconds, onTimeout: approval.onTimeout, then: onward },
      };
    }
    return { action: onward, reason: 'the analysis passed' };
  }
  const leftSeconds = policy.maxExtraSeconds - progress.extraSeconds;
  if (leftSeconds > 0) {
    const grant = extraBakeSeconds(look.secondsNeeded, interval, leftSeconds);
    const extraSeconds = progress.extraSeconds + grant;
    const estimate = look.secondsNeeded === undefined ? 'the judges cannot estimate the time they need' : `the judges need about ${look.secondsNeeded} s more`;
    return {
      action: 'bake-again',
      reason: `the analysis was inconclusive; ${estimate}: baking ${grant} s more (${extraSeconds} of ${policy.maxExtraSeconds} s of extra bake time)`,
      waitSeconds: Math.min(interval, grant),
      extraSeconds,
    };
  }
  const spent = `still inconclusive after ${progress.extraSeconds} s of extra bake time`;
  switch (policy.then) {
    case 'proceed':
      return { action: onward, reason: `${spent}; the policy says proceed` };
    case 'hold': {
      const holdSeconds = policy.holdSeconds ?? 0;
      return {
        action: 'await-approval',
        reason: `${spent}; holding for a person to decide (at most ${holdSeconds} s, then roll back)`,
        gate: { kind: 'hold', timeoutSeconds: holdSeconds, onTimeout: 'rollback', then: onward },
      };
    }
    case 'rollback':
      return { action: 'rollback', reason: `${spent}; the policy says roll back` };
  }
}
