/**
 * The alarm push path, as deployed: CloudWatch announces every alarm state change on EventBridge, the
 * alarmRollback function's rule matches the moves to ALARM (docs/triggers.md), and EventBridge invokes the
 * function asynchronously. Here each move to ALARM while the execution runs becomes the event CloudWatch
 * sends, delivered to the real handler (`rollBackOnAlarm`) after EventBridge's delivery delay, with the
 * handler's clock on the virtual one. A failed invocation is retried as Lambda retries asynchronous ones.
 *
 * The event is built here from AWS's documented shape, not from the handler's parser, so the simulation
 * checks the handler against what AWS sends.
 */
import { rollBackOnAlarm } from '../shared/alarms/rollback-on-alarm';
import type { OutsideWork } from './outside-work';
import type { AlarmTransition } from './world/cloudwatch';

/** The simulated account and region, as in the world's ARNs. */
const ACCOUNT = '000000000000';
const REGION = 'us-east-1';

/** Lambda retries a failed asynchronous invocation twice: one minute, then two minutes later. */
export const ASYNC_RETRY_DELAYS_SECONDS = [60, 120] as const;

export interface AlarmEventSettings {
  /** From the alarm's state change to the handler's invocation: EventBridge's delivery and Lambda's start. */
  readonly delaySeconds: number;
  /** How many times EventBridge delivers each event (at least once: 2 shows a duplicate). */
  readonly deliveries: number;
  /** Between one delivery of an event and the next; 0 delivers the copies at the same instant. */
  readonly redeliverySeconds: number;
}

/** One invocation of the alarm rollback and what it did. */
export interface AlarmDelivery {
  readonly alarm: string;
  readonly changedAtMs: number;
  readonly atMs: number;
  /** Which copy of the event (1 unless EventBridge delivered it more than once). */
  readonly copy: number;
  /** 1, or 2 and 3 for Lambda's retries of a failed invocation. */
  readonly attempt: number;
  /**
   * `acted`: it rolled back or stopped at least one rollout; `nothing-to-do`: no running rollout watches the
   * alarm (or those that do were left alone); `failed`: the invocation threw, and Lambda retries it.
   */
  readonly outcome: 'acted' | 'nothing-to-do' | 'ignored' | 'failed';
  /** Per execution the handler looked at: what it did, and the latency it measured to a verified 0 %. */
  readonly executions: ReadonlyArray<{ readonly name: string; readonly action: string; readonly rollbackLatencyMs?: number }>;
  readonly detail: string;
  /** Seconds until Lambda's next attempt, for a failed invocation that will be retried. */
  readonly retryInSeconds?: number;
}

/** CloudWatch's timestamp: milliseconds and an offset without a colon, "2030-01-07T09:02:00.000+0000". */
export function cloudWatchTimestamp(at: Date): string {
  return at.toISOString().replace('Z', '+0000');
}

/**
 * The "CloudWatch Alarm State Change" event of a transition, as EventBridge delivers it to a target.
 * `previous` is the alarm's transition before this one, when there was one (for previousState's reason and time).
 */
export function alarmStateChangeEvent(transition: AlarmTransition, previous?: AlarmTransition): Record<string, unknown> {
  const arn = `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:${transition.name}`;
  return {
    version: '0',
    id: `simulated-${transition.name}-${transition.at.getTime()}`,
    'detail-type': 'CloudWatch Alarm State Change',
    source: 'aws.cloudwatch',
    account: ACCOUNT,
    // The envelope's time has whole seconds; the state's timestamp has the milliseconds.
    time: `${transition.at.toISOString().slice(0, 19)}Z`,
    region: REGION,
    resources: [arn],
    detail: {
      alarmName: transition.name,
      state: { value: transition.to, reason: transition.reason, timestamp: cloudWatchTimestamp(transition.at) },
      previousState: {
        value: transition.from,
        ...(previous === undefined ? {} : { reason: previous.reason, timestamp: cloudWatchTimestamp(previous.at) }),
      },
      configuration: { description: `Simulated alarm ${transition.name}` },
    },
  };
}

type AlarmRollbackSummary = Awaited<ReturnType<typeof rollBackOnAlarm>>;

function describeSummary(summary: AlarmRollbackSummary): Pick<AlarmDelivery, 'outcome' | 'executions' | 'detail'> {
  if (summary.ignored !== undefined) return { outcome: 'ignored', executions: [], detail: summary.ignored };
  const executions = summary.executions.map((e) => ({
    name: e.executionName,
    action: e.action,
    ...(e.rollbackLatencyMs === undefined ? {} : { rollbackLatencyMs: e.rollbackLatencyMs }),
  }));
  const acted = summary.executions.filter((e) => e.action === 'rolled-back' || e.action === 'stopped-before-traffic');
  if (acted.length > 0) return { outcome: 'acted', executions, detail: acted.map((e) => e.detail).join(' ') };
  const running = summary.runningExecutions;
  return {
    outcome: 'nothing-to-do',
    executions,
    detail:
      executions.length > 0
        ? summary.executions.map((e) => `${e.executionName}: ${e.action}: ${e.detail}`).join('; ')
        : `no running rollout watches ${summary.alarmName ?? 'the alarm'} (${running} running execution${running === 1 ? '' : 's'})`,
  };
}

/**
 * Delivers the world's moves to ALARM to the alarm rollback while `isRunning()` (the execution has not
 * ended: after it, the handler leaves a rollout alone, docs/triggers.md rule (c), so nothing is sent).
 */
export class AlarmEventDelivery {
  readonly deliveries: AlarmDelivery[] = [];
  /** The last transition of each alarm, for the next event's previousState. */
  private readonly previous = new Map<string, AlarmTransition>();

  constructor(
    private readonly outside: OutsideWork,
    private readonly settings: AlarmEventSettings,
    private readonly isRunning: () => boolean,
    private readonly onDelivered: (delivery: AlarmDelivery) => void,
  ) {}

  /** Called for every transition of every alarm, in order. */
  transitioned(transition: AlarmTransition): void {
    const previous = this.previous.get(transition.name);
    this.previous.set(transition.name, transition);
    // The rule matches detail.state.value ALARM only.
    if (transition.to !== 'ALARM' || !this.isRunning()) return;
    const event = alarmStateChangeEvent(transition, previous);
    const { delaySeconds, deliveries, redeliverySeconds } = this.settings;
    const copies = Array.from({ length: deliveries }, (_, i) => i + 1);
    if (redeliverySeconds === 0) {
      // Copies due at the same instant run concurrently, as two invocations of the function would.
      this.outside.schedule(delaySeconds * 1000, `alarm event of ${transition.name} (${deliveries} copies)`, async () => {
        await Promise.all(copies.map((copy) => this.invoke(event, transition, copy, 1)));
      });
      return;
    }
    for (const copy of copies) {
      this.outside.schedule((delaySeconds + (copy - 1) * redeliverySeconds) * 1000, `alarm event of ${transition.name}, copy ${copy}`, () => this.invoke(event, transition, copy, 1));
    }
  }

  private async invoke(event: Record<string, unknown>, transition: AlarmTransition, copy: number, attempt: number): Promise<void> {
    const common = { alarm: transition.name, changedAtMs: transition.at.getTime(), atMs: Date.now(), copy, attempt };
    let delivery: AlarmDelivery;
    try {
      // A copy of the event: the handler must not be able to change what a later copy receives.
      const summary = await rollBackOnAlarm(structuredClone(event), this.outside.clock);
      delivery = { ...common, ...describeSummary(summary) };
    } catch (error) {
      const retryInSeconds = ASYNC_RETRY_DELAYS_SECONDS[attempt - 1];
      const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      delivery = { ...common, outcome: 'failed', executions: [], detail, ...(retryInSeconds === undefined ? {} : { retryInSeconds }) };
      if (retryInSeconds !== undefined)
        this.outside.schedule(retryInSeconds * 1000, `Lambda's retry ${attempt + 1} of the alarm event of ${transition.name}`, () => this.invoke(event, transition, copy, attempt + 1));
    }
    this.deliveries.push(delivery);
    this.onDelivered(delivery);
  }
}
