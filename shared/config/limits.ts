/**
 * Limits of a rollout. One place, so that the schema, the planner, the docs and the tests agree.
 */
export const LIMITS = {
  /** Most traffic steps a strategy may have. */
  maxSteps: 100,
  /** Longest bake after one step: 7 days (CodeDeploy stops at 30 minutes per interval). */
  maxBakeSeconds: 7 * 24 * 3600,
  /** An approval gate waits at most this long (the same bound as a bake). */
  maxApprovalSeconds: 7 * 24 * 3600,
  /** Most extra bakes after an inconclusive analysis, per step. */
  /** How long after a promotion `coalmine rollback` may restore the previous version, by default and at most (docs/rollback-window.md). */
  defaultRollbackWindowSeconds: 24 * 3600,
  maxRollbackWindowSeconds: 7 * 24 * 3600,
  /** Most extra bake time after an inconclusive analysis, per step: 7 days, as a bake. */
  maxExtraSecondsPerStep: 7 * 24 * 3600,
  /** Shortest interval between two looks of the judges: CloudWatch's Lambda metrics have one-minute periods. */
  minIntervalSeconds: 60,
  /** Longest settle time for stores whose propagation cannot be observed (CloudFront KVS). */
  maxSettleSeconds: 3600,
  /**
   * Step Functions stops an execution at 25,000 history events. A rollout's worst case, retries aside,
   * must fit under this budget; the rest is headroom for retries.
   */
  historyEventBudget: 20_000,
  /** Longest post-promotion bake: 7 days (AppConfig reverts within 72 h; ECS bakes for at most 1,440 minutes). */
  maxPostPromotionBakeSeconds: 7 * 24 * 3600,
  /** Shortest gap between two looks of a post-promotion bake: CloudWatch keeps Lambda's metrics per minute. */
  minPostPromotionIntervalSeconds: 60,
  /** Most looks of one post-promotion bake: each is a Wait, a Task and a Choice in the execution's history. */
  maxPostPromotionLooks: 500,
  /** Longest wait for one hook invocation; its attempts together stay under the runHook Task's 300 s. */
  maxHookTimeoutSeconds: 120,
  /** Most retries of a hook's transient Lambda errors. */
  maxHookRetries: 5,
  /** A hook's attempts (timeoutSeconds × (1 + retries)) may take at most this long in all. */
  maxHookSeconds: 240,
  /** Step Functions Standard workflows run for at most one year. */
  maxExecutionSeconds: 365 * 24 * 3600,
} as const;

/** Step Functions Standard price, USD per state transition ($0.025 per 1,000). */
export const USD_PER_STATE_TRANSITION = 0.025 / 1000;

/**
 * Step Functions' quota on a state's input or output (and a task's result): 256 KiB as UTF-8. Beyond it the
 * execution fails with States.DataLimitExceeded, a terminal error that no Catch (not even States.ALL) handles.
 */
export const STATE_PAYLOAD_LIMIT_BYTES = 256 * 1024;
