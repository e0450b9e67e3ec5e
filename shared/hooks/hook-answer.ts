/**
 * What a hook's invocation means, and what a hook is told. Pure: runHook (run-hook.ts) makes the call and
 * hands the raw answer here. A hook answers {"status": "passed"} or {"status": "failed", "reason": "..."};
 * a function error, an answer of any other shape, a permanent invocation error, the transient errors
 * outlasting the retries, or no answer within timeoutSeconds, all count as failed, with a reason that says which.
 */
import type { HookName, RolloutRequest } from '../config/request';
import type { CoalmineErrorName } from '../errors';
import type { Baseline, Progress } from '../rollout';

/** Longest reason kept from a hook's answer: it travels in the execution state and the events. */
export const HOOK_REASON_CHARS = 500;

/** The error the execution fails with when a hook fails (RecordHookFailure). */
export const HOOK_FAILED_ERROR: CoalmineErrorName = 'HookFailed';

/** The hook's answer as evidence: in $.analysis.hook (preTraffic, onStep) or $.promotion.hook (postTraffic). */
export interface HookAnswer {
  readonly hook: HookName;
  readonly function: string;
  readonly status: 'passed' | 'failed';
  readonly reason: string;
  readonly durationMs: number;
  /** Invocations made: 1, plus one per retried transient error. */
  readonly attempts: number;
  /** With `failed`: the error and cause the execution fails with (RecordHookFailure). */
  readonly error?: string;
  readonly cause?: string;
}

/** What the hook function receives. */
export interface HookPayload {
  readonly hook: HookName;
  readonly rollout: { readonly name: string; readonly executionName: string; readonly startedAt: string };
  readonly target: RolloutRequest['target'];
  /** What the target served before the rollout: where a rollback returns. */
  readonly baseline: Baseline;
  /** The version being rolled out: a Lambda alias target's qualified version ARN, or a KVS target's canary colour. */
  readonly newVersion: { readonly qualifiedArn: string } | { readonly colour: 'blue' | 'green' };
  /** With onStep: the step whose analysis passed (1-based) and its weight. */
  readonly step?: { readonly number: number; readonly weight: number };
}

const ARN = /^arn:(aws[a-z-]*):lambda:([a-z0-9-]+):(\d{12}):function:([A-Za-z0-9_-]+)/;
const EXECUTION_ARN = /^arn:(aws[a-z-]*):states:([a-z0-9-]+):(\d{12}):execution:/;

/**
 * The new version as the hook can call it. A Lambda target named without an ARN is in the account and
 * region the state machine runs in: those come from the execution's ARN.
 */
export function newVersionOf(target: RolloutRequest['target'], executionArn: string): HookPayload['newVersion'] {
  if (target.type === 'cloudfront-kvs') return { colour: target.stableAfterPromotion };
  const named = ARN.exec(target.functionName);
  if (named !== null) return { qualifiedArn: `arn:${named[1]}:lambda:${named[2]}:${named[3]}:function:${named[4]}:${target.version}` };
  const execution = EXECUTION_ARN.exec(executionArn);
  if (execution === null) throw new RangeError(`cannot tell the account and region from the execution ARN ${executionArn}`);
  return { qualifiedArn: `arn:${execution[1]}:lambda:${execution[2]}:${execution[3]}:function:${target.functionName}:${target.version}` };
}

export function hookPayload(
  hook: HookName,
  rollout: { readonly name: string; readonly executionName: string; readonly startedAt: string; readonly request: RolloutRequest; readonly baseline: Baseline },
  executionArn: string,
  progress: Progress,
): HookPayload {
  return {
    hook,
    rollout: { name: rollout.name, executionName: rollout.executionName, startedAt: rollout.startedAt },
    target: rollout.request.target,
    baseline: rollout.baseline,
    newVersion: newVersionOf(rollout.request.target, executionArn),
    ...(hook === 'onStep' ? { step: { number: progress.stepIndex + 1, weight: progress.weight } } : {}),
  };
}

/** How the invocation ended, as runHook saw it. */
export type HookOutcome =
  /** Lambda ran the function: `functionError` is Lambda's FunctionError ("Unhandled"), `payload` the answer as text. */
  | { readonly kind: 'answered'; readonly functionError?: string; readonly payload: string }
  /** No answer within timeoutSeconds. */
  | { readonly kind: 'timed-out'; readonly timeoutSeconds: number }
  /** Lambda refused the call (a permanent error, or transient errors past the retries). */
  | { readonly kind: 'not-invoked'; readonly error: string; readonly message: string; readonly transient: boolean };

const clip = (text: string): string => (text.length > HOOK_REASON_CHARS ? `${text.slice(0, HOOK_REASON_CHARS - 1)}…` : text);

function parsed(payload: string): unknown {
  try {
    return JSON.parse(payload);
  } catch {
    return undefined;
  }
}

/** The status and reason an outcome stands for. */
export function judgeHookOutcome(outcome: HookOutcome, retries: number): { status: 'passed' | 'failed'; reason: string } {
  switch (outcome.kind) {
    case 'timed-out':
      return { status: 'failed', reason: `it did not answer within ${outcome.timeoutSeconds} s (timeoutSeconds)` };
    case 'not-invoked':
      return outcome.transient
        ? { status: 'failed', reason: `Lambda did not run it: ${outcome.error} (${outcome.message}), still after ${retries} ${retries === 1 ? 'retry' : 'retries'}` }
        : { status: 'failed', reason: `Lambda did not run it: ${outcome.error} (${outcome.message})` };
    case 'answered': {
      const answer = parsed(outcome.payload) as { status?: unknown; reason?: unknown; errorType?: unknown; errorMessage?: unknown } | undefined;
      if (outcome.functionError !== undefined) {
        const what = typeof answer?.errorType === 'string' ? `${answer.errorType}: ${String(answer.errorMessage ?? '')}` : outcome.payload;
        return { status: 'failed', reason: `it raised an error (${outcome.functionError}): ${what}` };
      }
      if (answer?.status === 'passed') return { status: 'passed', reason: typeof answer.reason === 'string' ? answer.reason : 'it answered passed' };
      if (answer?.status === 'failed') return { status: 'failed', reason: typeof answer.reason === 'string' && answer.reason.trim() !== '' ? answer.reason : 'it answered failed, without a reason' };
      return {
        status: 'failed',
        reason: `it answered ${outcome.payload.slice(0, 100) || 'nothing'}; a hook answers {"status": "passed"} or {"status": "failed", "reason": "..."}`,
      };
    }
  }
}

export function hookAnswer(hook: HookName, fn: string, outcome: HookOutcome, facts: { readonly retries: number; readonly durationMs: number; readonly attempts: number }): HookAnswer {
  const { status, reason } = judgeHookOutcome(outcome, facts.retries);
  const base = { hook, function: fn, status, reason: clip(reason), durationMs: facts.durationMs, attempts: facts.attempts };
  if (status === 'passed') return base;
  return { ...base, error: HOOK_FAILED_ERROR, cause: clip(`The ${hook} hook ${fn} failed: ${reason}`) };
}
