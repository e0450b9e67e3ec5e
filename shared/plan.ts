/**
 * The plan a rollout request implies: its steps, how long it takes, how many state transitions it costs,
 * and whether it fits inside a Step Functions execution. Pure: no AWS, no clock.
 */
import { RolloutRequestInvalid } from './errors';
import { LIMITS, USD_PER_STATE_TRANSITION } from './config/limits';
import { postPromotionIntervalOf, stepsOf, type Approval, type HookName, type RolloutRequest } from './config/request';
import type { Plan, PostPromotionPlan } from './rollout';
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
  /** ShiftTraffic, VerifyTraffic, IsTrafficObservable, then at the bake's end AnnounceStepAnalyzed, DecideNextStep. */
  step: 5,
  /** One look: Bake (the first) or WaitForNextLook, AnalyzeCanary, IsBakeOver. */
  look: 3,
  /** WaitForEdgeToSettle, when the target cannot observe propagation. */
  settle: 1,
  /** AdvanceToNextStep, between two steps. */
  advance: 1,
  /** An extra bake besides its looks: AnnounceStepAnalyzed, DecideNextStep (at the end of the bake before), BakeAgain. */
  extraBake: 3,
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
  step: 3,
  look: 1,
  settle: 0,
  advance: 0,
  extraBake: 1,
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

/** Looks in a bake of this length at this interval: one per interval, the last one at the bake's end (one for no bake). */
export function looksIn(bakeSeconds: number, intervalSeconds: number): number {
  return Math.max(1, Math.ceil(bakeSeconds / intervalSeconds));
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
  const shapes = stepsOf(request.strategy).filter((step) => step.weight < 100);
  const n = shapes.length;
  const settleSeconds = options.observable ? 0 : request.settleSeconds;
  const { maxExtraSeconds, then, holdSeconds } = request.analysis.inconclusive;
  const requestedIntervalSeconds = request.analysis.intervalSeconds;
  // A step's worst case waits at one gate: its approval after a pass, or the hold after the extra bake time.
  const gateSeconds = (step: { readonly approval?: Approval }): number => Math.max(step.approval?.timeoutSeconds ?? 0, then === 'hold' ? (holdSeconds ?? 0) : 0);
  const gates = shapes.filter((step) => step.approval !== undefined).length;
  const worstCaseGates = then === 'hold' ? n : gates;

  const postPromotion = postPromotionPlanOf(request);
  const hooks = hookRuns(request, n);
  const bakeSeconds = shapes.reduce((sum, step) => sum + step.bakeSeconds, 0);
  const nominalSeconds = bakeSeconds + n * settleSeconds + (postPromotion?.bakeSeconds ?? 0);
  const worstCaseSeconds = nominalSeconds + shapes.reduce((sum, step) => sum + maxExtraSeconds + gateSeconds(step), 0) + hooks.worstCaseSeconds;

  const settles = options.observable ? 0 : n;
  // Worst case, each extra bake is one look long: every look of the extra bake time pays an extra bake's states too.
  const costAt = (interval: number) => {
    const looks = shapes.reduce((sum, step) => sum + looksIn(step.bakeSeconds, interval), 0);
    const extraLooks = n * (maxExtraSeconds > 0 ? Math.ceil(maxExtraSeconds / interval) : 0);
    const count = (per: (path: keyof typeof STATES_PER_PATH) => number): { nominal: number; worstCase: number } => {
      const shared = per('start') + n * per('step') + looks * per('look') + settles * per('settle') + Math.max(0, n - 1) * per('advance');
      const extra = extraLooks * (per('look') + per('extraBake')) + worstCaseGates * per('gateTimeout');
      const hooked = hooks.runs * per('hook');
      const bake = postPromotion === undefined ? 0 : per('bakeStart') + postPromotion.looks * per('bakeLook');
      // The worst case ends with a rollback, which costs more than a promotion; with a post-promotion bake, at its last look.
      const ending = postPromotion === undefined ? Math.max(per('promote'), per('rollback')) : per('promote') - 1 + bake + per('rollback');
      return { nominal: shared + gates * per('gate') + hooked + per('promote') + bake, worstCase: shared + extra + hooked + ending };
    };
    return {
      looks: { nominal: looks, worstCase: looks + extraLooks },
      stateTransitions: count((path) => STATES_PER_PATH[path]),
      worstCaseHistoryEvents: EXECUTION_EVENTS + count(historyEvents).worstCase,
    };
  };
  const intervalSeconds = widestNeededInterval(requestedIntervalSeconds, Math.max(maxExtraSeconds, ...shapes.map((s) => s.bakeSeconds)), (i) => costAt(i).worstCaseHistoryEvents);
  const { looks, stateTransitions, worstCaseHistoryEvents } = costAt(intervalSeconds);
  const steps = shapes.map((step, index) => ({ index, ...step, intervalSeconds }));

  const planned = {
    steps,
    settleSeconds,
    maxExtraSecondsPerStep: maxExtraSeconds,
    requestedIntervalSeconds,
    looks,
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

/**
 * The look interval: the one asked for, or the shortest wider one whose worst case fits the history budget
 * (fewer looks cost fewer events). At `longest` (the longest bake or extra bake time) every bake has one look:
 * if that does not fit either, checkPlanFits refuses the request.
 */
function widestNeededInterval(requested: number, longest: number, events: (intervalSeconds: number) => number): number {
  if (events(requested) <= LIMITS.historyEventBudget || longest <= requested) return requested;
  let fits = longest;
  let fails = requested;
  while (fits - fails > 1) {
    const middle = Math.floor((fits + fails) / 2);
    if (events(middle) <= LIMITS.historyEventBudget) fits = middle;
    else fails = middle;
  }
  return fits;
}

function checkPlanFits(plan: Plan): void {
  if (plan.worstCaseHistoryEvents > LIMITS.historyEventBudget) {
    throw new RolloutRequestInvalid(
      `The rollout could need ${plan.worstCaseHistoryEvents} Step Functions history events, over the budget of ` +
        `${LIMITS.historyEventBudget} (the service stops an execution at 25,000), even with one look per bake. Use fewer steps, less ` +
        `analysis.inconclusive.maxExtraSeconds, or fewer post-promotion looks (a longer postPromotion.intervalSeconds).`,
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
        `(${LIMITS.maxExecutionSeconds} s). Shorten bakeSeconds or approval timeouts, or lower analysis.inconclusive.maxExtraSeconds.`,
    );
  }
}
