/**
 * The Slack endpoint: slash commands (`/coalmine rollback checkout`) and button presses arrive as API
 * Gateway HTTP API (payload 2.0) events. Each is verified (Slack's signature over the raw body), parsed,
 * authorized, then acted on:
 *
 *   help                 answered at once
 *   status [target]      reads the running executions
 *   rollback <target>    the alarm path's verified rollback, then StopExecution `ManualRollback`
 *   promote <target>     StopExecution `ManualPromote`, then the router's verified promotion
 *   approve <target>     SendTaskSuccess (or, the gate's Roll back button, SendTaskFailure) with the gate's task token
 *
 * Slack waits 3 s for the answer. The work runs against a deadline measured from API Gateway's receipt
 * of the request (SYNC_BUDGET_MS); if it is not done by then, it is aborted between two steps, the
 * function invokes itself asynchronously with the verified command (signed with the signing secret, so
 * that nothing else can queue a command), and Slack gets an acknowledgement now and the outcome on the
 * command's response_url later. Every step of the work is safe to repeat, so the asynchronous run starts
 * again from the top.
 *
 * Every answer is HTTP 200 with a Slack message, except a request that fails verification: 401, and
 * nothing else happens.
 *
 * This file is the pipeline; access.ts decides who may act, run-command.ts carries a command out through
 * the person-driven actions (shared/actions), handover.ts signs and checks the hand-over, delivery.ts
 * sends the answers.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { wholeNumberFromEnv } from '../config/env';
import { formatDuration } from '../duration';
import { errorLogFields } from '../errors';
import { logger } from '../handler';
import { realClock, type RollbackClock } from '../outside-rollback';
import { checkAccess } from './access';
import type { SlackAccessPolicy } from './authorize';
import { parseSlackRequest, type SlackCommand } from './commands';
import { answer, post, slackBody, type HttpResult } from './delivery';
import {
  DeadlineReached,
  MAX_WORK_AGE_MS,
  SLACK_WORK_KIND,
  invokeSelfAsync,
  isSlackWork,
  signWork,
  workSignatureValid,
  type SlackWork,
} from './handover';
import { errorResponse, helpResponse, parseErrorResponse, stillWorkingResponse, verificationUnavailableResponse, type SlackResponse } from './responses';
import { runCommand, type CommandResult } from './run-command';
import { SLACK_SIGNING_SECRET, readSlackSecret } from './secrets';
import { verifySlackRequest, type SlackVerificationResult } from './verify';

/**
 * Time from API Gateway's receipt of the request to giving up on answering with the outcome. Slack
 * allows 3,000 ms from its side; this leaves ~800 ms for the network before API Gateway, the
 * self-invocation, and (for a button) the post to the response_url.
 */
export const DEFAULT_SYNC_BUDGET_MS = 2_200;
/**
 * A button's answer is posted to its response_url before the HTTP acknowledgement (Slack shows nothing
 * of the acknowledgement's body), so its work has this much less time.
 */
export const BUTTON_POST_ALLOWANCE_MS = 400;
const MIN_SYNC_BUDGET_MS = 0;
const MAX_SYNC_BUDGET_MS = 2_800;

export interface SlackHandlerOptions {
  readonly now?: () => number;
  /** The signing secret itself, instead of SLACK_SIGNING_SECRET(_PARAMETER) (the simulator). */
  readonly signingSecret?: string;
  /** The allowlists themselves, instead of SLACK_ALLOWED_USERS / SLACK_ALLOWED_CHANNELS (the simulator). */
  readonly access?: SlackAccessPolicy;
  /** Overrides SLACK_SYNC_BUDGET_MS. Infinity: no deadline, the work always finishes in the request (the simulator). */
  readonly syncBudgetMs?: number;
  /** Hands the work to an asynchronous invocation; by default Lambda Invoke (Event) on this function. */
  readonly invokeSelf?: (work: SlackWork) => Promise<void>;
  readonly clock?: RollbackClock;
}

/** One entry point for the function: API Gateway requests and its own asynchronous hand-overs. */
export async function handleSlackEvent(event: unknown, options: SlackHandlerOptions = {}): Promise<HttpResult | WorkSummary> {
  if (isSlackWork(event)) return handleSlackWork(event, options);
  return handleSlackRequest(event as APIGatewayProxyEventV2, options);
}

export async function handleSlackRequest(event: APIGatewayProxyEventV2, options: SlackHandlerOptions = {}): Promise<HttpResult> {
  const now = options.now ?? Date.now;
  const handlerStartMs = now();
  const receivedAtMs = receiptTime(event, handlerStartMs);
  const reference = event?.requestContext?.requestId;

  let signingSecret: string;
  try {
    signingSecret = options.signingSecret ?? (await readSlackSecret(SLACK_SIGNING_SECRET, handlerStartMs));
  } catch (error) {
    logger.error('cannot read the Slack signing secret; the request was not verified and nothing was done', errorLogFields(error));
    return slackBody(verificationUnavailableResponse(reference));
  }

  const verification = verify(event, signingSecret, now);
  if (!verification.ok) return NOT_SIGNED;

  const parsed = parseSlackRequest(verification.body);
  if (!parsed.ok) {
    logger.info('Slack command refused: could not parse it', {
      code: parsed.error.code,
      message: parsed.error.message,
      user: parsed.origin?.userId,
      channel: parsed.origin?.channelId,
    });
    return answer(parsed.origin, parseErrorResponse(parsed.error));
  }
  const { command } = parsed;

  const refusal = checkAccess(command, reference, options.access);
  if (refusal !== undefined) {
    logCommand(command, refusal.outcome, { path: 'sync', durationMs: now() - handlerStartMs });
    return answer(command.origin, refusal.response);
  }

  if (command.subcommand.name === 'help') {
    logCommand(command, 'help', { path: 'sync', durationMs: now() - handlerStartMs });
    return answer(command.origin, helpResponse(command.origin.slashCommand));
  }

  let budget: number;
  try {
    budget = syncBudgetMs(options);
  } catch (error) {
    logFailure(command, error, 'sync');
    return answer(command.origin, errorResponse(reference !== undefined ? { reference } : {}));
  }
  const deadlineMs = receivedAtMs + budget - (command.origin.via === 'button' ? BUTTON_POST_ALLOWANCE_MS : 0);
  const progress: { execution?: { arn: string; name: string } } = {};
  const controller = new AbortController();
  const signedAtMs = verification.timestamp * 1000;
  const run = runCommand(command, {
    receivedAtMs,
    signedAtMs,
    signal: controller.signal,
    clock: options.clock ?? realClock,
    onResolved: (execution) => {
      progress.execution = execution;
    },
  }).then(
    (result) => ({ state: 'done' as const, result }),
    (error: unknown) => ({ state: 'failed' as const, error }),
  );
  const first = await beforeDeadline(run, deadlineMs, now);

  if (first.state === 'done') {
    logCommand(command, first.result.outcome, { path: 'sync', durationMs: now() - handlerStartMs });
    return answer(command.origin, first.result.response);
  }
  if (first.state === 'failed') {
    logFailure(command, first.error, 'sync');
    return answer(command.origin, errorResponse(reference !== undefined ? { reference } : {}));
  }

  // Late: stop the work between two steps (a step in flight completes; every step is safe to repeat),
  // and hand the command over. The abandoned attempt settles on its own; it must not become an
  // unhandled rejection, and the `.then` above already caught it.
  controller.abort(new DeadlineReached(budget));
  return handOver(command, { receivedAtMs, signedAtMs, execution: progress.execution }, signingSecret, options, reference, () => ({
    path: 'handoff',
    durationMs: now() - handlerStartMs,
    budgetMs: budget,
    execution: progress.execution?.name,
  }));
}

/** The run's settlement, or `late` once `deadlineMs` passes; without a finite deadline, the run's alone. */
async function beforeDeadline<T>(run: Promise<T>, deadlineMs: number, now: () => number): Promise<T | { state: 'late' }> {
  // No timer at all without a finite budget: setTimeout would read Infinity as 1 ms.
  if (!Number.isFinite(deadlineMs)) return run;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<{ state: 'late' }>((resolve) => {
    timer = setTimeout(() => resolve({ state: 'late' }), Math.max(0, deadlineMs - now()));
  });
  try {
    return await Promise.race([run, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** Signs the command over to this function's asynchronous invocation and answers that it is under way. */
async function handOver(
  command: SlackCommand,
  times: { receivedAtMs: number; signedAtMs: number; execution: { arn: string; name: string } | undefined },
  signingSecret: string,
  options: SlackHandlerOptions,
  reference: string | undefined,
  logFields: () => Record<string, unknown>,
): Promise<HttpResult> {
  const { receivedAtMs, signedAtMs, execution } = times;
  const work = signWork({ kind: SLACK_WORK_KIND, version: 1, command, receivedAtMs, signedAtMs, ...(execution !== undefined ? { execution } : {}) }, signingSecret);
  try {
    await (options.invokeSelf ?? invokeSelfAsync)(work);
  } catch (error) {
    logFailure(command, error, 'handoff');
    return answer(command.origin, errorResponse(reference !== undefined ? { reference } : {}));
  }
  logCommand(command, 'handed-over', logFields());
  return answer(command.origin, stillWorkingResponse(command));
}

export interface WorkSummary {
  readonly outcome: string;
  readonly posted: boolean;
}

/** The asynchronous half: run the handed-over command to the end and post the outcome to its response_url. */
export async function handleSlackWork(work: SlackWork, options: SlackHandlerOptions = {}): Promise<WorkSummary> {
  const now = options.now ?? Date.now;
  const startMs = now();
  let secret: string;
  try {
    secret = options.signingSecret ?? (await readSlackSecret(SLACK_SIGNING_SECRET, startMs));
  } catch (error) {
    // Thrown, so that Lambda's asynchronous retry (if configured) tries again once SSM answers.
    logger.error('cannot read the Slack signing secret to check a handed-over command', errorLogFields(error));
    throw error;
  }
  if (!workSignatureValid(work, secret)) {
    logger.error('a handed-over Slack command carries a bad signature; ignored', { user: work.command?.origin?.userId });
    return { outcome: 'bad-signature', posted: false };
  }
  const { command } = work;
  const age = startMs - work.receivedAtMs;
  if (age > MAX_WORK_AGE_MS) {
    logCommand(command, 'expired', { path: 'async', ageMs: age });
    const posted = await post(command, expiredResponse(command, age));
    return { outcome: 'expired', posted };
  }
  // The allowlists may have changed since the request; they decide now.
  const refusal = checkAccess(command, undefined, options.access);
  if (refusal !== undefined) {
    logCommand(command, refusal.outcome, { path: 'async' });
    return { outcome: refusal.outcome, posted: await post(command, refusal.response) };
  }

  let result: CommandResult;
  try {
    result = await runCommand(command, {
      receivedAtMs: work.receivedAtMs,
      signedAtMs: work.signedAtMs,
      clock: options.clock ?? realClock,
      ...(work.execution !== undefined ? { execution: work.execution } : {}),
    });
  } catch (error) {
    logFailure(command, error, 'async');
    await post(command, errorResponse());
    return { outcome: 'error', posted: false };
  }
  logCommand(command, result.outcome, { path: 'async', durationMs: now() - startMs, sinceRequestMs: now() - work.receivedAtMs });
  return { outcome: result.outcome, posted: await post(command, result.response) };
}

function expiredResponse(command: SlackCommand, ageMs: number): SlackResponse {
  const text =
    `coalmine could not get to your \`${command.subcommand.name}\` within ${formatDuration(MAX_WORK_AGE_MS / 1000)} ` +
    `(it waited ${Math.round(ageMs / 1000)} s), so it did nothing. Check \`status\` and run it again if it is still needed.`;
  return { response_type: 'ephemeral', text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: `:warning: ${text}` } }] };
}

const NOT_SIGNED: HttpResult = { statusCode: 401, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: 'The request is not signed by Slack.' };

/** The request verified against the signing secret; a refusal is logged with why (never the body). */
function verify(event: APIGatewayProxyEventV2, signingSecret: string, now: () => number): SlackVerificationResult {
  const verification = verifySlackRequest({
    headers: event?.headers,
    rawBody: event?.body,
    isBase64Encoded: event?.isBase64Encoded === true,
    signingSecret,
    nowSeconds: now() / 1000,
  });
  if (!verification.ok) {
    logger.warn('Slack request refused: verification failed', {
      reason: verification.reason,
      detail: verification.detail,
      path: event?.rawPath,
      sourceIp: event?.requestContext?.http?.sourceIp,
    });
  }
  return verification;
}

/** API Gateway's receipt of the request, when the event says and it is plausible; else the handler's start. */
function receiptTime(event: APIGatewayProxyEventV2, handlerStartMs: number): number {
  const epoch = event?.requestContext?.timeEpoch;
  if (typeof epoch === 'number' && Number.isFinite(epoch) && epoch <= handlerStartMs && handlerStartMs - epoch < 30_000) return epoch;
  return handlerStartMs;
}

/** The options' budget, else SLACK_SYNC_BUDGET_MS; a malformed value is a ConfigurationError naming it. */
function syncBudgetMs(options: SlackHandlerOptions): number {
  if (options.syncBudgetMs !== undefined) return options.syncBudgetMs;
  return wholeNumberFromEnv('SLACK_SYNC_BUDGET_MS', 'milliseconds', DEFAULT_SYNC_BUDGET_MS, { min: MIN_SYNC_BUDGET_MS, max: MAX_SYNC_BUDGET_MS });
}

/** One line per command: who, where, what, and how it ended. Never the body, the response_url or a secret. */
function logCommand(command: SlackCommand, outcome: string, extra: Record<string, unknown>): void {
  const { subcommand, origin } = command;
  logger.info('slack command', {
    user: origin.userId,
    userName: origin.userName,
    channel: origin.channelId,
    via: origin.via,
    subcommand: subcommand.name,
    target: 'target' in subcommand ? subcommand.target : undefined,
    reason: subcommand.name === 'rollback' ? subcommand.reason : undefined,
    outcome,
    ...extra,
  });
}

function logFailure(command: SlackCommand, error: unknown, path: string): void {
  const { subcommand, origin } = command;
  logger.error('slack command failed', {
    user: origin.userId,
    channel: origin.channelId,
    subcommand: subcommand.name,
    target: 'target' in subcommand ? subcommand.target : undefined,
    path,
    ...errorLogFields(error),
  });
}
