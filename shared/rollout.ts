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
  readonly maxExtraBakesPerStep: number;
  /** The post-promotion bake, when the request asks for one (request.postPromotion). */
  readonly postPromotion?: PostPromotionPlan;
  /** Simulated duration when every analysis passes at its first look and every gate is approved at once. */
  readonly nominalSeconds: number;
  /** Duration when every step uses all its extra bakes and every gate (approval, or hold) waits out its timeout. */
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
  /** Canary share in percent now. */
  readonly weight: number;
  readonly bakeSeconds: number;
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

export interface RolloutState {
  readonly rollout: Rollout;
  readonly progress: Progress;
  /** The last analysis; before the first one, only the (empty) judge memory. */
  readonly analysis: { readonly memory: JudgeMemory };
}

/** What the state machine's DecideNextStep choice branches on. */
export type NextAction = 'advance' | 'bake-again' | 'promote' | 'rollback' | 'await-approval';

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
}

/** The step after an analysis: a pure table of verdict × position × policy (× the step's approval gate). */
export function decideNextAction(verdict: Verdict, progress: Progress, rollout: Pick<Rollout, 'request' | 'plan'>): Decision {
  const isLastStep = progress.stepIndex >= rollout.plan.steps.length - 1;
  const onward = isLastStep ? 'promote' : 'advance';
  const policy = rollout.request.analysis.inconclusive;
  const approval = rollout.plan.steps[progress.stepIndex]?.approval;
  switch (verdict) {
    case 'fail':
      return { action: 'rollback', reason: 'the analysis failed' };
    case 'pass':
      if (approval !== undefined) {
        return {
          action: 'await-approval',
          reason: `the analysis passed; waiting for a person to approve (at most ${approval.timeoutSeconds} s, then ${approval.onTimeout === 'proceed' ? 'proceed' : 'roll back'})`,
          gate: { kind: 'approval', timeoutSeconds: approval.timeoutSeconds, onTimeout: approval.onTimeout, then: onward },
        };
      }
      return { action: onward, reason: 'the analysis passed' };
    case 'inconclusive':
      if (progress.extraBakes < policy.maxExtraBakes) {
        return {
          action: 'bake-again',
          reason: `the analysis was inconclusive; extra bake ${progress.extraBakes + 1} of ${policy.maxExtraBakes}`,
        };
      }
      switch (policy.then) {
        case 'proceed':
          return { action: onward, reason: `still inconclusive after ${policy.maxExtraBakes} extra bakes; the policy says proceed` };
        case 'hold': {
          const holdSeconds = policy.holdSeconds ?? 0;
          return {
            action: 'await-approval',
            reason: `still inconclusive after ${policy.maxExtraBakes} extra bakes; holding for a person to decide (at most ${holdSeconds} s, then roll back)`,
            gate: { kind: 'hold', timeoutSeconds: holdSeconds, onTimeout: 'rollback', then: onward },
          };
        }
        case 'rollback':
          return { action: 'rollback', reason: `still inconclusive after ${policy.maxExtraBakes} extra bakes; the policy says roll back` };
      }
  }
}
