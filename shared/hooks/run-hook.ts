/**
 * The RunPreTrafficHook, RunStepHook and RunPostTrafficHook tasks: invoke the request's hook function
 * synchronously (RequestResponse) with the real Lambda client, retry its transient Lambda errors up to the
 * hook's `retries`, give up after its `timeoutSeconds`, and return the answer (hook-answer.ts) for the
 * state machine to branch on. A failing hook is an answer, not an error: the ASL records it and rolls back.
 */
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { lambdaClient } from '../aws/lambda';
import type { HookName } from '../config/request';
import { THROTTLING_NAMES, UNAVAILABLE_NAMES, messageOf } from '../errors';
import type { RolloutState } from '../rollout';
import { hookRecords, labelOf } from '../telemetry/records';
import { publishMetrics } from '../telemetry/sink';
import { hookAnswer, hookPayload, type HookAnswer, type HookOutcome } from './hook-answer';

export interface RunHookInput extends Pick<RolloutState, 'rollout' | 'progress'> {
  readonly hook: HookName;
  /** $$.Execution.Id: the account and region of a target named without an ARN. */
  readonly executionArn: string;
}

/** Lambda's errors that may clear on their own, besides throttling and service faults. */
const LAMBDA_TRANSIENT_NAMES: ReadonlySet<string> = new Set(['EC2ThrottledException', 'ResourceNotReadyException', 'ResourceConflictException']);

export function isTransientInvokeError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const name = error.name;
  return THROTTLING_NAMES.has(name) || UNAVAILABLE_NAMES.has(name) || LAMBDA_TRANSIENT_NAMES.has(name) || (error as { $fault?: string }).$fault === 'server';
}

export interface RunHookOptions {
  /** Waits between attempts (the simulator's and the tests' clocks pass their own). */
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
}

/** Waits of 1, 2, 4, ... s between attempts, at most 8 s: a hook's attempts stay within its budget (LIMITS.maxHookSeconds). */
export function retryDelayMs(retry: number): number {
  return Math.min(1000 * 2 ** retry, 8000);
}

const TIMED_OUT = Symbol('timed out');

async function invokeOnce(fn: string, payload: string, timeoutSeconds: number): Promise<HookOutcome> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), timeoutSeconds * 1000);
  });
  try {
    const result = await Promise.race([
      lambdaClient().send(new InvokeCommand({ FunctionName: fn, InvocationType: 'RequestResponse', Payload: new TextEncoder().encode(payload) }), {
        abortSignal: controller.signal,
      }),
      timeout,
    ]);
    if (result === TIMED_OUT) {
      controller.abort();
      return { kind: 'timed-out', timeoutSeconds };
    }
    const text = result.Payload === undefined ? '' : new TextDecoder().decode(result.Payload);
    return { kind: 'answered', ...(result.FunctionError === undefined ? {} : { functionError: result.FunctionError }), payload: text };
  } finally {
    clearTimeout(timer);
  }
}

export async function runHook(input: RunHookInput, options: RunHookOptions = {}): Promise<HookAnswer> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const now = options.now ?? Date.now;
  const hook = input.rollout.request.hooks?.[input.hook];
  if (hook === undefined) throw new RangeError(`the request has no ${input.hook} hook`);
  const payload = JSON.stringify(hookPayload(input.hook, input.rollout, input.executionArn, input.progress));
  const startedMs = now();
  let attempts = 0;
  let outcome: HookOutcome;
  for (;;) {
    attempts += 1;
    try {
      outcome = await invokeOnce(hook.function, payload, hook.timeoutSeconds);
      break;
    } catch (error) {
      const transient = isTransientInvokeError(error);
      if (!transient || attempts > hook.retries) {
        outcome = { kind: 'not-invoked', error: error instanceof Error ? error.name : 'Error', message: messageOf(error), transient };
        break;
      }
      await sleep(retryDelayMs(attempts - 1));
    }
  }
  const answer = hookAnswer(input.hook, hook.function, outcome, { retries: hook.retries, durationMs: Math.max(0, now() - startedMs), attempts });
  publishMetrics(hookRecords(labelOf(input.rollout), answer));
  return answer;
}
