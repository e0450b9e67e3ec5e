/**
 * The reconciler: the safety net under every way a rollout can end. For an execution that ended ABORTED,
 * TIMED_OUT or FAILED it reads the target; if that execution left it between 0 and 100 % (or holding the
 * store's lock), and nobody else has taken it since, it returns it to 0 % with the router's rollback
 * (the forward-only compare-and-swap every router write uses), reads it back, and records what it did: a
 * `Rollout Rolled Back` lifecycle event naming the reconciler, one structured log line, and through the
 * event the Slack notification. What to do is decided by race-rules.ts; docs/reconciler.md states the rules.
 *
 * Two ways in: the execution's status-change event (best effort, maybe late or twice), and a sweep on a
 * schedule that tries every recently ended execution again with backoff. Every step is safe to repeat.
 */
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { eventBridgeClient } from '../aws/eventbridge';
import { optionalEnv } from '../config/env';
import { CoalmineError, TrafficConflict, awsCall, describeError } from '../errors';
import { logger } from '../handler';
import { LIFECYCLE_SOURCE } from '../lifecycle';
import { realClock, rollBackAndVerify, withRetries, type CallRetry, type RollbackClock } from '../outside-rollback';
import { routerKindFor } from '../routers/registry';
import { decideReconcile, describeEnd, sweepTryDue, type ReconcileAction } from './race-rules';
import { SWEEP_LOOKBACK_MS, checkExecutionTarget, describeExecution, runningOnTarget, sweepEndedTargets, type EndedExecution, type TargetCheck } from './stranded';
import { rolledBackRecords } from '../telemetry/records';
import { publishMetrics } from '../telemetry/sink';

/** Who the records name as having rolled back. */
export const RECONCILER = 'the reconciler';

/** The longest gap between two tries of one stranded target, once the backoff has grown. */
export const SWEEP_MAX_SPACING_MS = 3_600_000;

/** For this long after an end the sweep tries at every interval, before backing off. */
export const SWEEP_DENSE_MS = 3_600_000;

/**
 * The waits before the reconciler's further attempts of one call that still fails after withRetries' quick
 * ones (spacedRetry): 5 attempts over 30 s.
 */
export const SPACED_RETRY_WAITS_MS: readonly number[] = [2_000, 4_000, 8_000, 16_000];

/**
 * What one invocation may spend in those waits, over every call and target it tries: with a person's
 * promote budget (PERSON_PROMOTE_BUDGET_MS, 150 s) an invocation stays well inside the function's 300 s.
 */
export const SPACED_RETRY_BUDGET_MS = 60_000;

export type ReconcileOutcome =
  /** Nothing changed; `reason` says why (clean end, safe target, someone else's, not yet readable). */
  | 'unchanged'
  /** Returned to 0 %, verified. */
  | 'rolled-back'
  /** Not yet: someone else may still be completing (a person's promote); the sweep looks again. */
  | 'deferred'
  /** The rollback did not reach a verified 0 %; the sweep tries again with backoff. */
  | 'failed';

export interface ReconcileResult {
  readonly executionName: string;
  readonly status: string;
  readonly error?: string;
  readonly targetName?: string;
  readonly outcome: ReconcileOutcome;
  readonly reason: string;
  /** What the rollback did, or why it failed. */
  readonly detail?: string;
  /** When a deferred execution is due to be looked at again. */
  readonly retryAt?: Date;
}

export interface ReconcileOptions {
  readonly stateMachineArn: string;
  readonly clock?: RollbackClock;
  /** How the try came about, for the log: "status-change event", "sweep". */
  readonly trigger: string;
}

async function decide(check: TargetCheck, options: ReconcileOptions): Promise<ReconcileAction> {
  const { execution, request } = check;
  const kind = check.reading.state.kind;
  // Only a target that needs a change is worth the list of running executions.
  const running = request !== undefined && (kind === 'split' || kind === 'lock-held') ? await runningOnTarget(options.stateMachineArn, request, execution.name) : [];
  return decideReconcile(
    { status: execution.status, ...(execution.error !== undefined ? { error: execution.error } : {}), ...(execution.stopDate !== undefined ? { stoppedAt: execution.stopDate } : {}) },
    check.reading.state,
    { now: (options.clock ?? realClock).now(), runningOnTarget: running },
  );
}

/** Reconciles one ended execution whose target was read into `check`; `retry` retries each call of the rollback. */
export async function reconcileCheck(check: TargetCheck, options: ReconcileOptions, retry: CallRetry): Promise<ReconcileResult> {
  const clock = options.clock ?? realClock;
  const { execution } = check;
  const base = {
    executionName: execution.name,
    status: execution.status,
    ...(execution.error !== undefined ? { error: execution.error } : {}),
    ...(check.targetName !== undefined ? { targetName: check.targetName } : {}),
  };
  const decision = await decide(check, options);
  const log = { ...base, trigger: options.trigger, decision: decision.action, reason: decision.reason };
  if (decision.action === 'none' || decision.action === 'retry') {
    logger.info(decision.action === 'none' ? 'reconciler: nothing to do' : 'reconciler: will look again', log);
    return { ...base, outcome: 'unchanged', reason: decision.reason };
  }
  if (decision.action === 'wait') {
    logger.info('reconciler: waiting for someone else to finish', log);
    return { ...base, outcome: 'deferred', reason: decision.reason, retryAt: decision.until };
  }
  const { request, reading } = check;
  if (request === undefined || reading.baseline === undefined) return { ...base, outcome: 'unchanged', reason: 'nothing to roll back with' };
  const router = routerKindFor(request.target).create(request.target, reading.baseline);
  try {
    const outcome = await rollBackAndVerify(clock, undefined, router, retry);
    logger.warn('reconciler: rolled back a target an ended execution left unsafe', { ...log, changed: outcome.changed, detail: outcome.detail });
    const label = { name: check.targetName ?? execution.name, targetType: request.target.type };
    publishMetrics(rolledBackRecords(label, { error: execution.error ?? execution.status, byReconciler: true }));
    await announceRolledBack(execution, check, decision.reason, outcome.detail, clock);
    return { ...base, outcome: 'rolled-back', reason: decision.reason, detail: outcome.detail };
  } catch (error) {
    if (error instanceof TrafficConflict) {
      logger.info('reconciler: the target was changed outside this rollout; left as it is', { ...log, detail: error.message });
      return { ...base, outcome: 'unchanged', reason: `the target was changed outside this rollout; left as it is: ${error.message}` };
    }
    logger.error('reconciler: the rollback did not reach a verified 0 %; the sweep tries again', { ...log, detail: describeError(error) });
    return { ...base, outcome: 'failed', reason: decision.reason, detail: describeError(error) };
  }
}

/**
 * Reconciles an ended execution. A person's promote in flight gets its budget first: the call waits
 * until the budget is spent (at most PERSON_PROMOTE_BUDGET_MS after the stop) and looks once more.
 */
export async function reconcileExecution(execution: EndedExecution, options: ReconcileOptions): Promise<ReconcileResult> {
  const clock = options.clock ?? realClock;
  const retry = spacedRetry(clock);
  const first = await reconcileCheck(await checkExecutionTarget(execution, retry), options, retry);
  if (first.outcome !== 'deferred' || first.retryAt === undefined) return first;
  await clock.sleep(Math.max(0, first.retryAt.getTime() - clock.now().getTime()));
  return reconcileCheck(await checkExecutionTarget(execution, retry), options, retry);
}

/**
 * How the reconciler retries each read and write of a target, for one invocation: withRetries' quick attempts
 * on throttling and AWS faults, then, for any failure but coalmine's own refusals (a TrafficConflict: the
 * target is someone else's), further attempts SPACED_RETRY_WAITS_MS apart while the invocation's
 * SPACED_RETRY_BUDGET_MS lasts. An AccessDenied while a role's policy propagates, a NotFound of an eventually
 * consistent read and throttling that outlasts a second all clear in real AWS, the next sweep is minutes away,
 * and a split target is the worst state. Every attempt reads and decides again, so a retried rollback keeps
 * the race rules: it only moves traffic to 0 %. The chaos campaign found the need twice: nine throttled GetKey
 * calls (then not retried at all), and later eight denied GetKey calls and eight DescribeKeyValueStore calls that
 * found no store, each costing a whole invocation, kept a store split past the hour.
 */
function spacedRetry(clock: RollbackClock): CallRetry {
  let budgetMs = SPACED_RETRY_BUDGET_MS;
  return async (call) => {
    for (let spaced = 0; ; spaced += 1) {
      try {
        return await withRetries(clock, undefined, call);
      } catch (error) {
        const waitMs = SPACED_RETRY_WAITS_MS[spaced];
        const refused = error instanceof CoalmineError && !error.retryable;
        if (refused || waitMs === undefined || waitMs > budgetMs) throw error;
        budgetMs -= waitMs;
        await clock.sleep(waitMs);
      }
    }
  };
}

/** Reconciles the execution behind `executionArn`, read with DescribeExecution. */
export async function reconcileExecutionArn(executionArn: string, options: ReconcileOptions): Promise<ReconcileResult> {
  return reconcileExecution(await describeExecution(executionArn), options);
}

/** One sweep: every ended execution whose backoff says try now. */
export async function sweep(options: ReconcileOptions & { readonly intervalMs: number }): Promise<ReconcileResult[]> {
  const now = (options.clock ?? realClock).now();
  const due = (ended: { stopDate?: Date }): boolean =>
    ended.stopDate !== undefined && sweepTryDue(now.getTime() - ended.stopDate.getTime(), options.intervalMs, SWEEP_MAX_SPACING_MS, SWEEP_DENSE_MS);
  const retry = spacedRetry(options.clock ?? realClock);
  const checks = await sweepEndedTargets(options.stateMachineArn, new Date(now.getTime() - SWEEP_LOOKBACK_MS), due, retry);
  const results: ReconcileResult[] = [];
  for (const check of checks) results.push(await reconcileCheck(check, options, retry));
  logger.info('reconciler: sweep done', {
    tried: results.length,
    rolledBack: results.filter((r) => r.outcome === 'rolled-back').length,
    failed: results.filter((r) => r.outcome === 'failed').length,
  });
  return results;
}

/**
 * The `Rollout Rolled Back` lifecycle event (docs/events.md) on the stack's bus, naming the reconciler;
 * slackNotify posts it. A failed announcement is logged: the target is safe either way.
 */
async function announceRolledBack(execution: EndedExecution, check: TargetCheck, reason: string, detail: string, clock: RollbackClock): Promise<void> {
  const bus = optionalEnv('EVENT_BUS_NAME');
  if (bus === undefined || check.request === undefined) return;
  const event = {
    executionName: execution.name,
    name: check.request.name ?? check.targetName,
    target: check.request.target,
    baseline: check.reading.baseline,
    error: execution.error ?? execution.status,
    cause: `${reason}. Rolled back by ${RECONCILER}: ${detail}.`,
    endStatus: execution.status,
    endedBecause: describeEnd({ status: execution.status, ...(execution.error !== undefined ? { error: execution.error } : {}) }),
    rolledBackBy: RECONCILER,
    ...(execution.startDate !== undefined ? { startedAt: execution.startDate.toISOString() } : {}),
    rolledBackAt: clock.now().toISOString(),
  };
  try {
    const out = await awsCall('PutEvents', () =>
      eventBridgeClient().send(
        new PutEventsCommand({ Entries: [{ EventBusName: bus, Source: LIFECYCLE_SOURCE, DetailType: 'Rollout Rolled Back', Detail: JSON.stringify(event) }] }),
      ),
    );
    if ((out.FailedEntryCount ?? 0) > 0) throw new Error(out.Entries?.[0]?.ErrorMessage ?? 'the entry was not accepted');
  } catch (error) {
    logger.warn('reconciler: could not announce the rollback', { executionName: execution.name, detail: describeError(error) });
  }
}
