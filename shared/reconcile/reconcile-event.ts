/**
 * What the reconcile function is invoked with, and what it does for each: a `Step Functions Execution
 * Status Change` of this stack's state machine reconciles that execution; the schedule's `Scheduled Event`
 * sweeps. A registry by detail-type; anything else is ignored and says so.
 */
import { secondsFromEnv, stateMachineArn } from '../config/env';
import { logger } from '../handler';
import { isRecord } from '../json';
import type { RollbackClock } from '../outside-rollback';
import { RECONCILED_STATUSES } from './race-rules';
import { reconcileExecutionArn, sweep, type ReconcileResult } from './reconciler';

/** The schedule's period (serverless.yml sets it from the same parameter); at least the longest Task timeout. */
export const DEFAULT_SWEEP_INTERVAL_SECONDS = 300;
const MIN_SWEEP_INTERVAL_SECONDS = 300;

export interface ReconcileSummary {
  readonly trigger: string;
  readonly ignored?: string;
  readonly results: readonly ReconcileResult[];
}

type EventHandler = (event: Readonly<Record<string, unknown>>, clock: RollbackClock | undefined) => Promise<ReconcileSummary>;

function sweepIntervalMs(): number {
  const seconds = secondsFromEnv('RECONCILE_SWEEP_INTERVAL_SECONDS', DEFAULT_SWEEP_INTERVAL_SECONDS, 86_400);
  return Math.max(seconds, MIN_SWEEP_INTERVAL_SECONDS) * 1000;
}

const onStatusChange: EventHandler = async (event, clock) => {
  const trigger = 'status-change event';
  const detail = (event.detail ?? {}) as Readonly<Record<string, unknown>>;
  const machine = stateMachineArn();
  const ignore = (ignored: string): ReconcileSummary => {
    logger.info('reconciler: event ignored', { reason: ignored });
    return { trigger, ignored, results: [] };
  };
  if (detail.stateMachineArn !== machine) return ignore(`the execution belongs to ${String(detail.stateMachineArn)}, not this stack's state machine`);
  if (!(RECONCILED_STATUSES as readonly unknown[]).includes(detail.status)) return ignore(`status ${String(detail.status)} is not one the reconciler acts on`);
  if (typeof detail.executionArn !== 'string') return ignore('the event names no executionArn');
  // The event may omit a large input, and the execution's error and cause: DescribeExecution has them all.
  const result = await reconcileExecutionArn(detail.executionArn, { stateMachineArn: machine, trigger, ...(clock ? { clock } : {}) });
  return { trigger, results: [result] };
};

const onSchedule: EventHandler = async (_event, clock) => {
  const trigger = 'sweep';
  const results = await sweep({ stateMachineArn: stateMachineArn(), trigger, intervalMs: sweepIntervalMs(), ...(clock ? { clock } : {}) });
  return { trigger, results };
};

const HANDLERS: Readonly<Record<string, EventHandler>> = {
  'Step Functions Execution Status Change': onStatusChange,
  'Scheduled Event': onSchedule,
};

/** Handles one invocation. Never throws for what it decided; an AWS failure of its reads throws (and is retried). */
export async function reconcileEvent(event: unknown, clock?: RollbackClock): Promise<ReconcileSummary> {
  const record = isRecord(event) ? event : {};
  const detailType = record['detail-type'];
  const handler = typeof detailType === 'string' ? HANDLERS[detailType] : undefined;
  if (handler === undefined) {
    const ignored = `not a status change or a scheduled sweep (detail-type ${JSON.stringify(detailType)})`;
    logger.warn('reconciler: event ignored', { reason: ignored });
    return { trigger: 'unknown', ignored, results: [] };
  }
  return handler(record, clock);
}
