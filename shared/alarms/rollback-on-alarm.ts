/**
 * An alarm went to ALARM: roll back, at once, every rollout that watches it and was running when the
 * alarm changed state, then stop its execution with `AlarmRollback`, in the order
 * shared/outside-rollback.ts fixes and explains (the steps the person-driven actions take too). Which
 * executions, and why: alarm-decision.ts; docs/triggers.md states the race rules this code keeps.
 */
import type { ExecutionListItem } from '@aws-sdk/client-sfn';
import { secondsFromEnv, stateMachineArn } from '../config/env';
import { RollbackFailed, TrafficConflict, describeError } from '../errors';
import { logger } from '../handler';
import { routerFor } from '../routers/registry';
import { realClock, rollBackAndVerify, sentence, stopAndFence, type RollbackClock } from '../outside-rollback';
import type { RollbackOutcome } from '../routers/types';
import { decideOnAlarm, type AlarmDecision, type ExecutionEnd } from './alarm-decision';
import { parseAlarmEvent, type AlarmStateChange } from './alarm-event';
import { closedStatusOf, rolloutStartOf, type ClosedStatus, type RolloutStart } from '../executions/history';
import { listRunningExecutions, listSucceededSince, readHistoryHead, readHistoryTail } from '../executions/sfn';

/**
 * The error an execution stopped by an alarm ends with. Not a state machine error name (no Retry or
 * Catch can see a StopExecution), so it is defined here and not in shared/errors.ts.
 */
import { ALARM_ROLLBACK_ERROR } from '../stop-errors';
import { stopCause, type StopFacts } from '../stop-cause';
import { labelOf, rolledBackRecords } from '../telemetry/records';
import { publishMetrics } from '../telemetry/sink';

export { ALARM_ROLLBACK_ERROR };

/** Longest ALARM_ROLLBACK_GRACE_SECONDS: an hour after a promotion is no longer "during the rollout". */
const MAX_GRACE_SECONDS = 3_600;

export interface ExecutionRollback {
  readonly executionArn: string;
  readonly executionName: string;
  /** The rollout's name once Preflight planned it. */
  readonly rollout?: string;
  /**
   * `rolled-back`: traffic verified at 0 % and the execution stopped (or already ended);
   * `stopped-before-traffic`: Preflight had not finished, nothing had moved, the execution was stopped;
   * `left-alone`: an ended rollout whose target someone else has changed since (a newer rollout);
   * `failed`: the rollback could not be verified (the execution was left running for its own rollback),
   * or the execution could not be stopped; the invocation fails so that it is retried.
   */
  readonly action: 'rolled-back' | 'stopped-before-traffic' | 'left-alone' | 'failed';
  /** What the rollback did (or why it failed). */
  readonly detail: string;
  /** From the alarm's state change to the verified 0 %. */
  readonly rollbackLatencyMs?: number;
  /** How the execution ended: ABORTED when this handler stopped it; otherwise it ended on its own first. */
  readonly endedAs?: ClosedStatus;
  /** A traffic write that landed after the rollback (an invocation already in flight) was undone. */
  readonly lateWriteUndone?: boolean;
}

export interface AlarmRollbackSummary {
  readonly alarmName?: string;
  /** Why nothing was done, when the event is not one this handler acts on. */
  readonly ignored?: string;
  readonly runningExecutions: number;
  readonly executions: readonly ExecutionRollback[];
}

function alarmSentence(alarm: AlarmStateChange): string {
  return sentence(`Alarm ${alarm.alarmName} went to ALARM at ${alarm.changedAt.toISOString()}: ${alarm.reason}`);
}

interface Candidate {
  readonly execution: ExecutionListItem;
  readonly start: RolloutStart;
  readonly decision: AlarmDecision;
}

/** Stops the execution with the alarm's error and `cause`, then fences late writes (shared/outside-rollback.ts). */
function stopForAlarm(
  clock: RollbackClock,
  candidate: Candidate,
  sentence: string,
  facts: StopFacts & { alarm: string },
): Promise<{ endedAs: ClosedStatus; lateWriteUndone: boolean }> {
  const { executionArn = '', name: executionName = '' } = candidate.execution;
  return stopAndFence(clock, undefined, {
    executionArn,
    executionName,
    start: candidate.start,
    error: ALARM_ROLLBACK_ERROR,
    cause: stopCause(sentence, facts),
    rolledBackBy: 'the alarm rollback',
  });
}

async function rollBackExecution(clock: RollbackClock, alarm: AlarmStateChange, candidate: Candidate): Promise<ExecutionRollback> {
  const { executionArn = '', name: executionName = '' } = candidate.execution;
  const { start, decision } = candidate;
  if (start.stage !== 'planned' || decision.action === 'stop') {
    const cause = `${alarmSentence(alarm)} Stopped before any traffic moved: Preflight had not finished.`;
    try {
      const fence = await stopForAlarm(clock, candidate, cause, { alarm: alarm.alarmName });
      logger.info('stopped a rollout that had not moved traffic yet', { alarmName: alarm.alarmName, executionName, ...fence });
      return { executionArn, executionName, action: 'stopped-before-traffic', detail: cause, ...fence };
    } catch (error) {
      return failed(alarm, candidate, undefined, `could not stop it: ${describeError(error)}`);
    }
  }

  const rollout = start.rollout.name;
  let outcome: RollbackOutcome;
  try {
    outcome = await rollBackAndVerify(clock, undefined, routerFor(start.rollout));
  } catch (error) {
    if (decision.action === 'roll-back' && error instanceof TrafficConflict) {
      // The rollout has ended and the target has moved on (another rollout, a person): theirs now.
      logger.warn('the alarm leaves this rollout alone: its target changed since it ended', { alarmName: alarm.alarmName, executionName, rollout, detail: error.message });
      return { executionArn, executionName, rollout, action: 'left-alone', detail: error.message, endedAs: 'SUCCEEDED' };
    }
    if (decision.action === 'roll-back') {
      return failed(alarm, candidate, rollout, `the rollback of this ended rollout could not be verified: ${describeError(error)}`);
    }
    // Not stopped: the execution's own next analysis reads the alarm, and its RollBack state retries
    // hard. Stopping it now would leave the traffic with nobody to roll it back.
    return failed(alarm, candidate, rollout, `the rollback could not be verified, so the execution was left running for its own rollback to act: ${describeError(error)}`);
  }
  const verifiedAt = clock.now();
  const rollbackLatencyMs = verifiedAt.getTime() - alarm.changedAt.getTime();
  const cause =
    `${alarmSentence(alarm)} Rolled back: ${sentence(outcome.detail)} ` +
    `Rollback latency: ${rollbackLatencyMs} ms from the alarm's state change to a verified 0 % (${verifiedAt.toISOString()}).`;
  publishMetrics(rolledBackRecords(labelOf(start.rollout), { error: ALARM_ROLLBACK_ERROR, latencyMs: rollbackLatencyMs }));
  logger.info('rolled back on alarm', {
    alarmName: alarm.alarmName,
    executionName,
    rollout,
    rollbackLatencyMs,
    changed: outcome.changed,
    detail: outcome.detail,
  });
  if (decision.action === 'roll-back') {
    // Promoted after the alarm had fired (a late event, a slow handler): the alarm still wins, but the
    // execution has ended and cannot carry the cause. Its history says SUCCEEDED; this log says why not.
    logger.warn('rolled back a rollout whose execution succeeded after its alarm had fired', { alarmName: alarm.alarmName, executionName, rollout, cause });
    return { executionArn, executionName, rollout, action: 'rolled-back', detail: cause, rollbackLatencyMs, endedAs: 'SUCCEEDED', lateWriteUndone: false };
  }
  try {
    const fence = await stopForAlarm(clock, candidate, cause, { alarm: alarm.alarmName, rollbackLatencyMs });
    return { executionArn, executionName, rollout, action: 'rolled-back', detail: cause, rollbackLatencyMs, ...fence };
  } catch (error) {
    // Traffic is at 0 %; a running execution's next forward write is refused. A retry stops it.
    return failed(alarm, candidate, rollout, `rolled back (0 % verified) but could not stop it or check for late writes: ${describeError(error)}`);
  }
}

/** How and when an execution ended, from its history's last event; undefined while it runs. */
async function endOf(executionArn: string): Promise<ExecutionEnd | undefined> {
  const last = (await readHistoryTail(executionArn, 1)).at(-1);
  const status = closedStatusOf(last);
  return status === undefined ? undefined : { status, at: last?.timestamp ?? new Date(0) };
}

function failed(alarm: AlarmStateChange, candidate: Candidate, rollout: string | undefined, detail: string): ExecutionRollback {
  const { executionArn = '', name: executionName = '' } = candidate.execution;
  logger.error('alarm rollback incomplete', { alarmName: alarm.alarmName, executionName, rollout, detail });
  return { executionArn, executionName, ...(rollout !== undefined ? { rollout } : {}), action: 'failed', detail };
}

/**
 * Handles one EventBridge alarm event. Idempotent: a repeated event finds the rollouts it rolled back no
 * longer running, and says so. Throws (so that the asynchronous invocation is retried) only when a
 * rollback could not be verified or an execution could not be stopped.
 */
export async function rollBackOnAlarm(event: unknown, clock: RollbackClock = realClock): Promise<AlarmRollbackSummary> {
  const parsed = parseAlarmEvent(event);
  if ('ignored' in parsed) {
    logger.warn('event ignored', { reason: parsed.ignored });
    return { ignored: parsed.ignored, runningExecutions: 0, executions: [] };
  }
  const alarm = parsed.change;
  if (alarm.state !== 'ALARM') {
    const ignored = `alarm ${alarm.alarmName} went to ${alarm.state}; only ALARM rolls back`;
    logger.info('event ignored', { alarmName: alarm.alarmName, state: alarm.state, reason: ignored });
    return { alarmName: alarm.alarmName, ignored, runningExecutions: 0, executions: [] };
  }

  const machine = stateMachineArn();
  const graceMs = secondsFromEnv('ALARM_ROLLBACK_GRACE_SECONDS', 0, MAX_GRACE_SECONDS) * 1000;
  // Running executions, and those that succeeded since the alarm changed state: the alarm came while
  // they ran (the rule in docs/triggers.md). The list may lag; each history's last event says for sure.
  const [running, succeeded] = await Promise.all([listRunningExecutions(machine), listSucceededSince(machine, new Date(alarm.changedAt.getTime() - graceMs))]);
  const listed = [...running, ...succeeded.filter((e) => !running.some((r) => r.executionArn === e.executionArn))];
  const candidates: Candidate[] = await Promise.all(
    listed.map(async (execution) => {
      const arn = execution.executionArn ?? '';
      const [head, ended] = await Promise.all([readHistoryHead(arn), endOf(arn)]);
      const start = rolloutStartOf(head);
      return { execution, start, decision: decideOnAlarm(alarm, start, ended, graceMs) };
    }),
  );
  for (const { execution, start, decision } of candidates) {
    if (decision.action !== 'none') continue;
    if (start.stage === 'unreadable') logger.warn('cannot tell which alarms an execution watches', { executionName: execution.name, reason: start.reason });
    else if (!decision.reason.startsWith('does not watch')) logger.info('the alarm leaves this rollout alone', { alarmName: alarm.alarmName, executionName: execution.name, reason: decision.reason });
  }
  const watching = candidates.filter((c) => c.decision.action !== 'none');
  if (watching.length === 0) {
    logger.info('no running rollout watches this alarm; nothing changed', {
      alarmName: alarm.alarmName,
      runningExecutions: running.length,
    });
    return { alarmName: alarm.alarmName, runningExecutions: running.length, executions: [] };
  }

  const executions = await Promise.all(watching.map((candidate) => rollBackExecution(clock, alarm, candidate)));
  const incomplete = executions.filter((e) => e.action === 'failed');
  if (incomplete.length > 0) {
    throw new RollbackFailed(
      `Alarm ${alarm.alarmName}: ${incomplete.map((e) => `${e.executionName}: ${e.detail}`).join('; ')}. Everything done so far is safe to repeat.`,
    );
  }
  return { alarmName: alarm.alarmName, runningExecutions: running.length, executions };
}
