/**
 * The reconciler as deployed (docs/reconciler.md): EventBridge delivers the state machine's `Step Functions
 * Execution Status Change` to ABORTED, TIMED_OUT or FAILED to the reconcile function, best effort (late, twice,
 * or not at all), and a schedule invokes the same function every sweep interval for the events that were
 * missed. Here each end of an execution becomes the event AWS sends, delivered to the real handler
 * (`reconcileEvent`) after the delivery delay, and the schedule's `Scheduled Event` reaches it at every tick
 * after the end, with the handler's clock on the virtual one. A failed invocation is retried as Lambda retries
 * asynchronous ones.
 *
 * The sweeps start with the first tick after the end: before it, the simulated state machine has no ended
 * execution for them to find. They go on for two ticks (the second try of the reconciler's backoff, which
 * catches a write of a Task invocation still in flight at the end), and after that while the target is not
 * safe, until the run-on's cap.
 */
import { RECONCILED_STATUSES } from '../shared/reconcile/race-rules';
import { reconcileEvent, type ReconcileSummary } from '../shared/reconcile/reconcile-event';
import { ASYNC_RETRY_DELAYS_SECONDS } from './alarm-events';
import type { OutsideWork } from './outside-work';
import type { ExecutionRecord } from './world/sfn';

const ACCOUNT = '000000000000';
const REGION = 'us-east-1';

export interface ReconcilerSettings {
  /** Whether the reconcile function is deployed at all (false shows what happens without it). */
  readonly enabled: boolean;
  /** From the execution's end to the handler's invocation: EventBridge's delivery and Lambda's start. */
  readonly delaySeconds: number;
  /** How many times EventBridge delivers the status change: 0 loses it (the sweep must find it), 2 or more is a duplicate. */
  readonly deliveries: number;
  /** Between one delivery of the event and the next; 0: the copies arrive together. */
  readonly redeliverySeconds: number;
  /** The sweep's schedule (reconcileSweepMinutes in serverless.yml, at least 5). */
  readonly sweepMinutes: number;
}

/** One invocation of the reconcile function and what it did. */
export interface ReconcileDelivery {
  readonly trigger: 'status-change event' | 'sweep';
  readonly atMs: number;
  /** Which copy of the status change (1 for a sweep). */
  readonly copy: number;
  /** 1, or 2 and 3 for Lambda's retries of a failed invocation. */
  readonly attempt: number;
  /**
   * `rolled-back`: it returned the target to 0 % (verified); `unchanged`: nothing to do, or not yet;
   * `failed`: its rollback did not reach 0 % (the sweep tries again); `ignored`: not an event it acts on;
   * `error`: the invocation threw, and Lambda retries it.
   */
  readonly outcome: 'rolled-back' | 'unchanged' | 'failed' | 'ignored' | 'error';
  /** Executions it looked at (none for a sweep with nothing due). */
  readonly executions: number;
  readonly detail: string;
  /** What the rollback restored, when it rolled back (the router's words). */
  readonly restored?: string;
  readonly retryInSeconds?: number;
}

/** The `Step Functions Execution Status Change` event of an ended execution, as EventBridge delivers it to a target. */
export function statusChangeEvent(execution: ExecutionRecord, stateMachineArn: string): Record<string, unknown> {
  const stopDate = execution.stopDate ?? new Date();
  return {
    version: '0',
    id: `simulated-${execution.name}-${execution.status}`,
    'detail-type': 'Step Functions Execution Status Change',
    source: 'aws.states',
    account: ACCOUNT,
    time: `${stopDate.toISOString().slice(0, 19)}Z`,
    region: REGION,
    resources: [execution.executionArn],
    detail: {
      executionArn: execution.executionArn,
      stateMachineArn,
      name: execution.name,
      status: execution.status,
      startDate: execution.startDate.getTime(),
      stopDate: stopDate.getTime(),
      input: execution.input,
      output: execution.output ?? null,
      inputDetails: { included: true },
      outputDetails: execution.output === undefined ? null : { included: true },
      ...(execution.error !== undefined ? { error: execution.error } : {}),
      ...(execution.cause !== undefined ? { cause: execution.cause } : {}),
    },
  };
}

function scheduledEvent(atMs: number): Record<string, unknown> {
  const time = `${new Date(atMs).toISOString().slice(0, 19)}Z`;
  return {
    version: '0',
    id: `simulated-sweep-${atMs}`,
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: ACCOUNT,
    time,
    region: REGION,
    resources: [`arn:aws:events:${REGION}:${ACCOUNT}:rule/coalmine-reconcile-sweep`],
    detail: {},
  };
}

function describeSummary(summary: ReconcileSummary): Pick<ReconcileDelivery, 'outcome' | 'executions' | 'detail' | 'restored'> {
  if (summary.ignored !== undefined) return { outcome: 'ignored', executions: 0, detail: summary.ignored };
  const { results } = summary;
  const named = (name: string): string => (results.length > 1 ? `${name}: ` : '');
  const detail =
    results.length === 0
      ? 'no ended execution due for a try'
      : results.map((r) => `${named(r.executionName)}${r.reason}${r.detail === undefined ? '' : ` → ${r.detail}`}`).join('; ');
  const rolledBack = results.find((r) => r.outcome === 'rolled-back');
  const outcome = rolledBack !== undefined ? 'rolled-back' : results.some((r) => r.outcome === 'failed') ? 'failed' : 'unchanged';
  return { outcome, executions: results.length, detail, ...(rolledBack?.detail === undefined ? {} : { restored: rolledBack.detail }) };
}

export class ReconcilerDelivery {
  readonly deliveries: ReconcileDelivery[] = [];

  constructor(
    private readonly outside: OutsideWork,
    private readonly settings: ReconcilerSettings,
    private readonly stateMachineArn: string,
    /** When the schedule's ticks fall: every sweep interval from this instant. */
    private readonly scheduleOriginMs: number,
    /** The target is at 0 % or 100 % and holds no lock of the ended execution. */
    private readonly targetSafe: () => boolean,
    private readonly onDelivered: (delivery: ReconcileDelivery) => void,
  ) {}

  /** Called the moment an execution ends. */
  executionEnded(execution: ExecutionRecord): void {
    if (!this.settings.enabled || !(RECONCILED_STATUSES as readonly string[]).includes(execution.status)) return;
    const event = statusChangeEvent(execution, this.stateMachineArn);
    const { delaySeconds, deliveries, redeliverySeconds } = this.settings;
    for (let copy = 1; copy <= deliveries; copy += 1) {
      this.outside.schedule(
        (delaySeconds + (copy - 1) * redeliverySeconds) * 1000,
        `status change ${execution.status} of ${execution.name} to the reconciler${deliveries > 1 ? `, copy ${copy}` : ''}`,
        () => this.invoke('status-change event', event, copy, 1),
      );
    }
    const intervalMs = this.settings.sweepMinutes * 60_000;
    const endMs = Date.now();
    const firstTickMs = this.scheduleOriginMs + (Math.floor((endMs - this.scheduleOriginMs) / intervalMs) + 1) * intervalMs;
    this.sweepAt(firstTickMs, endMs + 2 * intervalMs, intervalMs);
  }

  /** The sweep at `atMs`, and the next one while the first two after the end are still to come or the target is unsafe. */
  private sweepAt(atMs: number, sweepsUntilMs: number, intervalMs: number): void {
    this.outside.schedule(atMs - Date.now(), `the reconciler's sweep at ${new Date(atMs).toISOString()}`, async () => {
      await this.invoke('sweep', scheduledEvent(atMs), 1, 1);
      const next = atMs + intervalMs;
      if (next <= sweepsUntilMs || !this.targetSafe()) this.sweepAt(next, sweepsUntilMs, intervalMs);
    });
  }

  private async invoke(trigger: ReconcileDelivery['trigger'], event: Record<string, unknown>, copy: number, attempt: number): Promise<void> {
    const common = { trigger, atMs: Date.now(), copy, attempt };
    let delivery: ReconcileDelivery;
    try {
      const summary = await reconcileEvent(structuredClone(event), this.outside.clock);
      delivery = { ...common, ...describeSummary(summary) };
    } catch (error) {
      const retryInSeconds = ASYNC_RETRY_DELAYS_SECONDS[attempt - 1];
      const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      delivery = { ...common, outcome: 'error', executions: 0, detail, ...(retryInSeconds === undefined ? {} : { retryInSeconds }) };
      if (retryInSeconds !== undefined) {
        this.outside.schedule(retryInSeconds * 1000, `Lambda's retry ${attempt + 1} of the reconciler's ${trigger}`, () => this.invoke(trigger, event, copy, attempt + 1));
      }
    }
    this.deliveries.push(delivery);
    this.onDelivered(delivery);
  }
}
