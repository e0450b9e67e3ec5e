/**
 * Where coalmine finds the task token of an approval gate: in the execution's own history. A gate is a
 * Task with `.waitForTaskToken`; Step Functions records the token in that Task's TaskScheduled
 * parameters (`Payload.taskToken`), readable only with states:GetExecutionHistory on this state machine,
 * which only coalmine's roles have. The token never leaves this module's callers: they pass it to
 * SendTaskSuccess/SendTaskFailure and nowhere else. Pure: no AWS.
 */
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import type { Gate } from '../rollout';

/** The resource Step Functions records for a Lambda Task with `.waitForTaskToken`. */
const GATE_RESOURCE = 'invoke.waitForTaskToken';

/** Events that close a scheduled Task: after one of them its token answers nothing. */
const TASK_CLOSED = new Set(['TaskSucceeded', 'TaskFailed', 'TaskTimedOut', 'TaskStartFailed', 'TaskSubmitFailed']);
const EXECUTION_CLOSED = new Set(['ExecutionSucceeded', 'ExecutionFailed', 'ExecutionAborted', 'ExecutionTimedOut']);

export interface PendingGate {
  readonly taskToken: string;
  /** The TaskScheduled event's id: when the gate began to wait. */
  readonly scheduledEventId: number;
  readonly scheduledAt: Date | undefined;
  /** What the gate waits on, as its Parameters name it (announce.ts's input, the token aside). */
  readonly step?: { readonly index: number; readonly weight: number };
  readonly gate?: Gate;
}

interface GatePayload {
  readonly taskToken?: unknown;
  readonly step?: { readonly index?: unknown; readonly weight?: unknown };
  readonly gate?: Gate;
}

function payloadOf(event: HistoryEvent): GatePayload | undefined {
  const parameters = event.taskScheduledEventDetails?.parameters;
  if (parameters === undefined) return undefined;
  try {
    return (JSON.parse(parameters) as { Payload?: GatePayload }).Payload;
  } catch {
    return undefined;
  }
}

function gateOf(event: HistoryEvent): PendingGate | undefined {
  const payload = payloadOf(event);
  const token = payload?.taskToken;
  if (typeof token !== 'string' || token === '') return undefined;
  const { index, weight } = payload?.step ?? {};
  return {
    taskToken: token,
    scheduledEventId: event.id ?? 0,
    scheduledAt: event.timestamp,
    ...(typeof index === 'number' && typeof weight === 'number' ? { step: { index, weight } } : {}),
    ...(payload?.gate !== undefined ? { gate: payload.gate } : {}),
  };
}

/**
 * The gate an execution waits at now, from its history's last events (oldest first, with execution
 * data), or undefined: no gate scheduled, or the last one already answered, timed out or cancelled (a
 * rollback moved the execution on, or it ended).
 */
export function pendingGate(events: readonly HistoryEvent[]): PendingGate | undefined {
  let pending: PendingGate | undefined;
  for (const event of events) {
    const type = event.type ?? '';
    if (type === 'TaskScheduled' && event.taskScheduledEventDetails?.resource === GATE_RESOURCE) {
      pending = gateOf(event);
    } else if (TASK_CLOSED.has(type) || EXECUTION_CLOSED.has(type) || type.endsWith('StateExited')) {
      pending = undefined;
    }
  }
  return pending;
}
