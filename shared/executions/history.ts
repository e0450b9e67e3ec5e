/**
 * What an execution's history (GetExecutionHistory) tells a rollback from outside the state machine:
 * which rollout it drives (the Preflight task's output), which alarms it watches, whether a task that can
 * change the target is still in flight, and how the execution ended. Pure functions over history events;
 * no AWS calls.
 */
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import * as z from 'zod';
import { parseRolloutRequest } from '../config/request';
import type { Rollout } from '../rollout';
import { PREFLIGHT_STATE, TARGET_CHANGING_STATES } from './states';
import { parseJson } from '../json';
import { messageOf } from '../errors';

/** Step Functions bounds every Task at 300 s (the definition test); used when a history omits the timeout. */
const MAX_TASK_TIMEOUT_SECONDS = 300;

export type RolloutStart =
  /** Preflight planned the rollout: traffic may have moved. */
  | { readonly stage: 'planned'; readonly rollout: Rollout }
  /** Preflight has not finished: nothing has moved yet. `request` is the raw execution input. */
  | { readonly stage: 'preflight'; readonly request: unknown }
  /** Preflight refused the request: nothing moved, and the execution is failing on its own. */
  | { readonly stage: 'refused' }
  /** The history does not say (input or output truncated or not recorded). */
  | { readonly stage: 'unreadable'; readonly reason: string };

const RolloutStateSchema = z.looseObject({
  rollout: z.looseObject({
    name: z.string(),
    request: z.unknown(),
    plan: z.looseObject({}),
    baseline: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
    executionName: z.string(),
    startedAt: z.string(),
  }),
});


/** The state name a *StateEntered/*StateExited event names, if any. */
function stateEntered(event: HistoryEvent): string | undefined {
  return event.type?.endsWith('StateEntered') ? event.stateEnteredEventDetails?.name : undefined;
}

/**
 * True once `events` (oldest first, from the start) reach past Preflight: reading further pages
 * cannot change what rolloutStartOf says.
 */
export function reachesPastPreflight(events: readonly HistoryEvent[]): boolean {
  return events.some(
    (e) =>
      (e.type === 'TaskStateExited' && e.stateExitedEventDetails?.name === PREFLIGHT_STATE) ||
      (stateEntered(e) !== undefined && stateEntered(e) !== PREFLIGHT_STATE) ||
      closedStatusOf(e) !== undefined,
  );
}

/** The rollout an execution drives, from the first events of its history (oldest first). */
export function rolloutStartOf(events: readonly HistoryEvent[]): RolloutStart {
  const exited = events.find((e) => e.type === 'TaskStateExited' && e.stateExitedEventDetails?.name === PREFLIGHT_STATE);
  if (exited !== undefined) {
    const details = exited.stateExitedEventDetails;
    if (details?.outputDetails?.truncated) return { stage: 'unreadable', reason: 'the Preflight output in the history is truncated' };
    const output = parseJson(details?.output);
    if (output === undefined) return { stage: 'unreadable', reason: 'the history does not record the Preflight output (execution data off?)' };
    if (typeof output !== 'object' || output === null || !('rollout' in output)) return { stage: 'refused' };
    const state = RolloutStateSchema.safeParse(output);
    if (!state.success) return { stage: 'unreadable', reason: `the Preflight output is not a rollout: ${state.error.issues[0]?.message ?? ''}` };
    try {
      const request = parseRolloutRequest(state.data.rollout.request);
      return { stage: 'planned', rollout: { ...state.data.rollout, request, plan: state.data.rollout.plan as unknown as Rollout['plan'] } };
    } catch (error) {
      return { stage: 'unreadable', reason: `the planned request no longer parses: ${messageOf(error)}` };
    }
  }
  const started = events.find((e) => e.type === 'ExecutionStarted');
  if (started === undefined) return { stage: 'unreadable', reason: 'the history has no ExecutionStarted event' };
  const details = started.executionStartedEventDetails;
  if (details?.inputDetails?.truncated) return { stage: 'unreadable', reason: 'the execution input in the history is truncated' };
  return { stage: 'preflight', request: parseJson(details?.input) };
}

/** The alarms a rollout watches: the planned request's, or before planning the raw input's, as written. */
export function alarmsWatchedBy(start: RolloutStart): readonly string[] {
  if (start.stage === 'planned') {
    // The post-promotion bake may watch alarms of its own (postPromotion.analysis.alarms): while the execution runs, those roll back too.
    const { analysis, postPromotion } = start.rollout.request;
    return [...new Set([...analysis.alarms, ...(postPromotion?.analysis?.alarms ?? [])])];
  }
  if (start.stage !== 'preflight') return [];
  const alarms = (start.request as { analysis?: { alarms?: unknown } } | undefined)?.analysis?.alarms;
  return Array.isArray(alarms) ? alarms.filter((a): a is string => typeof a === 'string') : [];
}

export interface OpenInvocation {
  readonly state: string;
  readonly scheduledAt: Date;
  /** The Task's TimeoutSeconds: Step Functions gives up waiting for the invocation after this long. */
  readonly timeoutSeconds: number;
}

const INVOCATION_ENDS = new Set([
  'LambdaFunctionSucceeded',
  'LambdaFunctionFailed',
  'LambdaFunctionTimedOut',
  'LambdaFunctionStartFailed',
  'LambdaFunctionScheduleFailed',
]);

/**
 * Invocations of the Task states `states` that the history shows scheduled but not ended. After a
 * StopExecution the history ends there, but such a Lambda invocation keeps running to completion and may
 * still write. `events` oldest first; a tail of the history is enough if it starts at a *StateEntered.
 */
export function openInvocations(events: readonly HistoryEvent[], states: readonly string[] = TARGET_CHANGING_STATES): OpenInvocation[] {
  let state: string | undefined;
  let open: OpenInvocation | undefined;
  const found: OpenInvocation[] = [];
  for (const event of events) {
    const entered = stateEntered(event);
    if (entered !== undefined) {
      state = entered;
      continue;
    }
    if (event.type === 'LambdaFunctionScheduled' && state !== undefined && states.includes(state)) {
      if (open !== undefined) found.push(open);
      open = {
        state,
        scheduledAt: event.timestamp ?? new Date(0),
        timeoutSeconds: event.lambdaFunctionScheduledEventDetails?.timeoutInSeconds ?? MAX_TASK_TIMEOUT_SECONDS,
      };
      continue;
    }
    if (event.type !== undefined && INVOCATION_ENDS.has(event.type)) open = undefined;
  }
  // An earlier invocation the history shows unended followed by another is not possible in a
  // sequential machine, but if it were, it would be open too.
  return open === undefined ? found : [...found, open];
}

export type ClosedStatus = 'SUCCEEDED' | 'FAILED' | 'ABORTED' | 'TIMED_OUT';

const CLOSING_EVENTS: Readonly<Record<string, ClosedStatus>> = {
  ExecutionSucceeded: 'SUCCEEDED',
  ExecutionFailed: 'FAILED',
  ExecutionAborted: 'ABORTED',
  ExecutionTimedOut: 'TIMED_OUT',
};

/** How the execution ended, if `event` is its closing event. */
export function closedStatusOf(event: HistoryEvent | undefined): ClosedStatus | undefined {
  return event?.type === undefined ? undefined : CLOSING_EVENTS[event.type];
}

/** The state the execution entered last, from events oldest first. */
export function lastEnteredState(events: readonly HistoryEvent[]): string | undefined {
  for (let i = events.length - 1; i >= 0; i -= 1) {
    const name = stateEntered(events[i]!);
    if (name !== undefined) return name;
  }
  return undefined;
}
