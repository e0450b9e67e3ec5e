/**
 * What an execution's history (GetExecutionHistory) tells a rollback from outside the state machine:
 * which rollout it drives (the Preflight task's output), which alarms it watches, whether a task that can
 * change the target is still in flight, and how the execution ended. Pure functions over history events;
 * no AWS calls.
 */
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { targetShapeProblem } from '../config/target-facts';
import type { Rollout } from '../rollout';
import { PREFLIGHT_STATE, TARGET_CHANGING_STATES } from './states';
import { isRecord, parseJson } from '../json';

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

/** Why the rollout in Preflight's output ($.rollout) cannot be read back, or undefined when it can. */
function plannedRolloutProblem(rollout: unknown): string | undefined {
  if (!isRecord(rollout)) return 'the Preflight output is not a rollout: rollout is not an object';
  const notString = (['name', 'executionName', 'startedAt'] as const).find((key) => typeof rollout[key] !== 'string');
  if (notString !== undefined) return `the Preflight output is not a rollout: rollout.${notString} is not a string`;
  if (!isRecord(rollout.plan)) return 'the Preflight output is not a rollout: rollout.plan is not an object';
  const { baseline } = rollout;
  if (!isRecord(baseline) || !Object.values(baseline).every((v) => ['string', 'number', 'boolean'].includes(typeof v))) {
    return 'the Preflight output is not a rollout: rollout.baseline is not a record of strings, numbers and booleans';
  }
  const request = plannedRequestProblem(rollout.request);
  return request === undefined ? undefined : `the planned request no longer parses: ${request}`;
}

const isAlarmList = (alarms: unknown): boolean => Array.isArray(alarms) && alarms.every((alarm) => typeof alarm === 'string');

/**
 * Why the planned request cannot serve a rollback from outside the state machine, or undefined when it can.
 * Preflight parsed it with the full schema (config/request.ts) when the execution started; read back, it
 * needs the fields those rollbacks use, each checked by hand: its target, and the alarms it watches. The
 * full schema stays out of the functions that only read histories, and out of their cold starts.
 */
function plannedRequestProblem(request: unknown): string | undefined {
  if (!isRecord(request)) return 'the request is not an object';
  const target = targetShapeProblem(request.target);
  if (target !== undefined) return target;
  if (!isRecord(request.analysis) || !isAlarmList(request.analysis.alarms)) return 'analysis.alarms is not a list of alarm names';
  const post = request.postPromotion;
  if (post === undefined || (isRecord(post) && (post.analysis === undefined || (isRecord(post.analysis) && (post.analysis.alarms === undefined || isAlarmList(post.analysis.alarms)))))) return undefined;
  return 'postPromotion.analysis.alarms is not a list of alarm names';
}

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
    const problem = plannedRolloutProblem(output.rollout);
    if (problem !== undefined) return { stage: 'unreadable', reason: problem };
    return { stage: 'planned', rollout: output.rollout as Rollout };
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
