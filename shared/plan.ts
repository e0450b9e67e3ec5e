/**
 * The plan a rollout request implies: its steps, how long it takes, how many state transitions it costs,
 * and whether it fits inside a Step Functions execution. Pure: no AWS, no clock.
 */
import { RolloutRequestInvalid } from './errors';
import { LIMITS, USD_PER_STATE_TRANSITION } from './config/limits';
import { postPromotionIntervalOf, stepsOf, type HookName, type RolloutRequest } from './config/request';
import type { Plan, PlanStep, PostPromotionPlan } from './rollout';
import { STATE_BYTE_BUDGET, worstCaseStateBytes } from './state-size';

// The plan's shape lives with the execution state that carries it ($.rollout.plan).
export type { Plan, PlanStep, PostPromotionPlan } from './rollout';

/**
 * How many states of statemachines/canary.asl.yaml each path enters. The state-machine tests count the
 * transitions of real local executions and check them against this model.
 */
export const STATES_PER_PATH = {
  /** Preflight, AnnounceRolloutStarted, AnyCanarySteps. */
  start: 3,
  /** ShiftTraffic, VerifyTraffic, IsTrafficObservable, Bake, AnalyzeCanary, AnnounceStepAnalyzed, DecideNextStep. */
  step: 7,
  /** WaitForEdgeToSettle, when the target cannot observe propagation. */
  settle: 1,
  /** AdvanceToNextStep, between two steps. */
  advance: 1,
  /** BakeAgain, Bake, AnalyzeCanary, AnnounceStepAnalyzed, DecideNextStep. */
  extraBake: 5,
  /** Promote, AnnouncePromoted, AfterPromotion, RolloutPromoted. */
  promote: 4,
  /** RecordAnalysisFailure, RollBack, AnnounceRolledBack, RolledBack. */
  rollback: 4,
  /** AwaitApproval, AnnounceGatePassed, AfterApproval: a gate a person approves. */
  gate: 3,
  /** AwaitApproval, OnApprovalTimeout, ProceedWithoutApproval, AnnounceGatePassed, AfterApproval: a gate that times out and proceeds. */
  gateTimeout: 5,
  /** RunPreTrafficHook, DidPreTrafficHookPass, AnyCanarySteps again (and the same for onStep and postTraffic). */
  hook: 3,
  /** StartPostPromotionBake. */
  bakeStart: 1,
  /** PostPromotionBake, AnalyzeAfterPromotion, DecideAfterLook: one look of the post-promotion bake. */
  bakeLook: 3,
} as const;

/** History events per state kind in Step Functions: a Task logs entered, scheduled, started, succeeded, exited. */
const EVENTS_PER_TASK = 5;
const EVENTS_PER_OTHER_STATE = 2;
const EXECUTION_EVENTS = 2;
/** Tasks among the states of each path above. */
const TASKS_PER_PATH = {
  start: 2,
  step: 4,
  settle: 0,
  advance: 0,
  extraBake: 2,
  promote: 2,
  rollback: 2,
  gate: 2,
  gateTimeout: 2,
  hook: 1,
  bakeStart: 0,
  bakeLook: 1,
} as const;

function historyEvents(path: keyof typeof STATES_PER_PATH): number {
  const tasks = TASKS_PER_PATH[path];
  return tasks * EVENTS_PER_TASK + (STATES_PER_PATH[path] - tasks) * EVENTS_PER_OTHER_STATE;
}

export interface PlanOptions {
  /** Whether the target can read back the weight it wrote (Lambda alias: yes; CloudFront KVS edge: no). */
  readonly observable: boolean;
}

function postPromotionPlanOf(request: RolloutRequest): PostPromotionPlan | undefined {
  const bake = request.postPromotion;
  if (bake === undefined) return undefined;
  const intervalSeconds = postPromotionIntervalOf(bake);
  return { bakeSeconds: bake.bakeSeconds, intervalSeconds, looks: Math.ceil(bake.bakeSeconds / intervalSeconds) };
}

/** How many times each configured hook runs when every step passes at its first look: onStep once per step. */
function hookRuns(request: RolloutRequest, steps: number): { runs: number; worstCaseSeconds: number } {
  const hooks = request.hooks ?? {};
  const per: Record<HookName, number> = { preTraffic: 1, onStep: steps, postTraffic: 1 };
  let runs = 0;
  let worstCaseSeconds = 0;
  for (const name of Object.keys(per) as HookName[]) {
    const hook = hooks[name];
    if (hook === undefined) continue;
    runs += per[name];
    worstCaseSeconds += per[name] * hook.timeoutSeconds * (1 + hook.retries);
  }
  return { runs, worstCaseSeconds };
}

export function planRollout(request: RolloutRequest, options: PlanOptions): Plan {
  const steps = stepsOf(request.strategy)
    .filter((step) => step.weight < 100)
    .map((step, index) => ({ index, ...step }));
  const n = steps.length;
  const settleSeconds = options.observable ? 0 : request.settleSeconds;
  const { maxExtraBakes, then, holdSeconds } = request.analysis.inconclusive;
  // A step's worst case waits at one gate: its approval after a pass, or the hold after the extra bakes.
  const gateSeconds = (step: PlanStep): number => Math.max(step.approval?.timeoutSeconds ?? 0, then === 'hold' ? (holdSeconds ?? 0) : 0);
  const gates = steps.filter((step) => step.approval !== undefined).length;
  const worstCaseGates = then === 'hold' ? n : gates;

  const postPromotion = postPromotionPlanOf(request);
  const hooks = hookRuns(request, n);
  const bakeSeconds = steps.reduce((sum, step) => sum + step.bakeSeconds, 0);
  const nominalSeconds = bakeSeconds + n * settleSeconds + (postPromotion?.bakeSeconds ?? 0);
  const worstCaseSeconds =
    nominalSeconds + steps.reduce((sum, step) => sum + step.bakeSeconds * maxExtraBakes + gateSeconds(step), 0) + hooks.worstCaseSeconds;

  const settles = options.observable ? 0 : n;
  const count = (per: (path: keyof typeof STATES_PER_PATH) => number): { nominal: number; worstCase: number } => {
    const shared = per('start') + n * per('step') + settles * per('settle') + Math.max(0, n - 1) * per('advance');
    const extra = n * maxExtraBakes * per('extraBake') + worstCaseGates * per('gateTimeout');
    const hooked = hooks.runs * per('hook');
    const bake = postPromotion === undefined ? 0 : per('bakeStart') + postPromotion.looks * per('bakeLook');
    // The worst case ends with a rollback, which costs more than a promotion; with a post-promotion bake, at its last look.
    const ending = postPromotion === undefined ? Math.max(per('promote'), per('rollback')) : per('promote') - 1 + bake + per('rollback');
    return { nominal: shared + gates * per('gate') + hooked + per('promote') + bake, worstCase: shared + extra + hooked + ending };
  };
  const stateTransitions = count((path) => STATES_PER_PATH[path]);
  const worstCaseHistoryEvents = EXECUTION_EVENTS + count(historyEvents).worstCase;

  const planned = {
    steps,
    settleSeconds,
    maxExtraBakesPerStep: maxExtraBakes,
    ...(postPromotion === undefined ? {} : { postPromotion }),
    nominalSeconds,
    worstCaseSeconds,
    stateTransitions,
    worstCaseHistoryEvents,
    nominalCostUsd: stateTransitions.nominal * USD_PER_STATE_TRANSITION,
  };
  const plan: Plan = { ...planned, worstCaseStateBytes: worstCaseStateBytes(request, planned, n) };
  checkPlanFits(plan);
  return plan;
}

function checkPlanFits(plan: Plan): void {
  if (plan.worstCaseHistoryEvents > LIMITS.historyEventBudget) {
    throw new RolloutRequestInvalid(
      `The rollout could need ${plan.worstCaseHistoryEvents} Step Functions history events, over the budget of ` +
        `${LIMITS.historyEventBudget} (the service stops an execution at 25,000). Use fewer steps, fewer ` +
        `analysis.inconclusive.maxExtraBakes, or fewer post-promotion looks (a longer postPromotion.intervalSeconds).`,
    );
  }
  if (plan.worstCaseStateBytes > STATE_BYTE_BUDGET) {
    throw new RolloutRequestInvalid(
      `The rollout's execution state could reach ${plan.worstCaseStateBytes.toLocaleString('en-US')} bytes, over the budget of ` +
        `${STATE_BYTE_BUDGET.toLocaleString('en-US')} bytes (Step Functions fails an execution at 262,144 bytes, and no rollback ` +
        'runs then). Use fewer steps, fewer analysis.metrics checks or fewer analysis.alarms, or shorter names.',
    );
  }
  if (plan.worstCaseSeconds > LIMITS.maxExecutionSeconds) {
    throw new RolloutRequestInvalid(
      `The rollout could last ${plan.worstCaseSeconds} s, longer than a Step Functions execution may run ` +
        `(${LIMITS.maxExecutionSeconds} s). Shorten bakeSeconds or approval timeouts, or lower analysis.inconclusive.maxExtraBakes.`,
    );
  }
}
