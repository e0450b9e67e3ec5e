/**
 * The state names of statemachines/canary.asl.yaml, the one place the code spells them. Code that reads
 * an execution's history (the outside rollback, the person-driven actions, status, the CLI) matches on
 * these; test/unit/states.test.ts checks the list is exactly the definition's states and each group below
 * against what the definition does. No AWS import: pure code may use them.
 */
export const CANARY_STATES = [
  'Preflight',
  'AnnounceRolloutStarted',
  'AnyCanarySteps',
  'RunPreTrafficHook',
  'DidPreTrafficHookPass',
  'RecordHookFailure',
  'ShiftTraffic',
  'VerifyTraffic',
  'IsTrafficObservable',
  'WaitForEdgeToSettle',
  'Bake',
  'AnalyzeCanary',
  'IsBakeOver',
  'WaitForNextLook',
  'AnnounceStepAnalyzed',
  'DecideNextStep',
  'RunStepHook',
  'DidStepHookPass',
  'AwaitApproval',
  'OnApprovalTimeout',
  'ProceedWithoutApproval',
  'RecordApprovalTimeout',
  'AnnounceGatePassed',
  'AfterApproval',
  'AdvanceToNextStep',
  'BakeAgain',
  'RecordAnalysisFailure',
  'Promote',
  'AnnouncePromoted',
  'AfterPromotion',
  'RunPostTrafficHook',
  'DidPostTrafficHookPass',
  'RecordPostTrafficHookFailure',
  'StartPostPromotionBake',
  'PostPromotionBake',
  'AnalyzeAfterPromotion',
  'DecideAfterLook',
  'RecordBakeFailure',
  'RolloutPromoted',
  'RollBack',
  'AnnounceRolledBack',
  'RolledBack',
  'AnnounceRolloutRefused',
  'RolloutRefused',
  'AnnounceRollbackFailed',
  'RollbackFailed',
] as const;

export type CanaryState = (typeof CANARY_STATES)[number];

/** The state that plans the rollout: its output is the rollout. */
export const PREFLIGHT_STATE: CanaryState = 'Preflight';

/** The state that judges a step; its output's `analysis` is the look. */
export const ANALYZE_STATE: CanaryState = 'AnalyzeCanary';

/** The gate: a `.waitForTaskToken` Task that waits for a person to approve or roll back (docs/approvals.md). */
export const GATE_STATE: CanaryState = 'AwaitApproval';

/**
 * The Wait states a step passes through, in order (the settle wait only for a target that cannot observe
 * propagation): the bake until its first look, then the wait before each later look.
 */
export const WAIT_STATES = { settle: 'WaitForEdgeToSettle', bake: 'Bake', look: 'WaitForNextLook' } as const satisfies Record<string, CanaryState>;

/**
 * The Task states whose Lambda functions write traffic weights. A write from one of them can land after
 * an outside rollback (see docs/triggers.md, "the race rules"); the test checks these are exactly the
 * states bound to the shiftTraffic and promote functions.
 */
export const TRAFFIC_MOVING_STATES: readonly string[] = ['ShiftTraffic', 'Promote'] satisfies CanaryState[];

/**
 * The Task states whose invocation, still running after a StopExecution, can change the target: the
 * traffic-moving ones, and Preflight, which takes a store's rollout lock (cloudfront-kvs) and may do so
 * after the stop. An outside rollback waits these out (shared/outside-rollback.ts).
 */
export const TARGET_CHANGING_STATES: readonly string[] = [PREFLIGHT_STATE, ...TRAFFIC_MOVING_STATES];

/**
 * The states on the way to a rollback, from which no path leads to Promote: a rollout in one of them is
 * not promoted by a person (shared/actions/promote.ts). The test checks that no path from them reaches Promote.
 */
export const ROLLING_BACK_STATES: readonly string[] = [
  'RecordAnalysisFailure',
  'RecordHookFailure',
  'RecordPostTrafficHookFailure',
  'RecordBakeFailure',
  'RecordApprovalTimeout',
  'RollBack',
  'AnnounceRolledBack',
  'RolledBack',
  'AnnounceRollbackFailed',
  'RollbackFailed',
] satisfies CanaryState[];

/**
 * The states after the promotion, before the execution ends promoted: the postTraffic hook and the
 * post-promotion bake (docs/post-promotion.md). The target is at 100 % on the new version, the previous
 * version one write away; an alarm still rolls back. The test checks these are exactly the states between
 * AnnouncePromoted and RolloutPromoted.
 */
export const AFTER_PROMOTION_STATES: readonly string[] = [
  'AfterPromotion',
  'RunPostTrafficHook',
  'DidPostTrafficHookPass',
  'StartPostPromotionBake',
  'PostPromotionBake',
  'AnalyzeAfterPromotion',
  'DecideAfterLook',
] satisfies CanaryState[];

/** True when `name` is a state of the canary state machine. */
export function isCanaryState(name: string): name is CanaryState {
  return (CANARY_STATES as readonly string[]).includes(name);
}
