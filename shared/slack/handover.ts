/**
 * The hand-over: when a command cannot finish within Slack's deadline, the function invokes itself
 * asynchronously with the verified command. The payload is signed with the Slack signing secret (HMAC
 * over its fields), so that nothing else able to invoke the function can queue a command; the
 * asynchronous run checks the signature and the age before it acts.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { SlackCommand } from './commands';

/** A handed-over command older than this is not acted on: the person has moved on (and response_urls last 30 min). */
export const MAX_WORK_AGE_MS = 5 * 60 * 1000;

/** Marks the self-invocation payload; an API Gateway event never has this field. */
export const SLACK_WORK_KIND = 'coalmine.slack-command';

/** The verified command, handed from the request to an asynchronous invocation of the same function. */
export interface SlackWork {
  readonly kind: typeof SLACK_WORK_KIND;
  readonly version: 1;
  readonly command: SlackCommand;
  /** When API Gateway received the request (ms since the epoch). */
  readonly receivedAtMs: number;
  /** The request's signed timestamp (ms since the epoch): the newest execution start the command may act on. */
  readonly signedAtMs: number;
  /** The execution the first attempt resolved the target to, if it got that far. */
  readonly execution?: { readonly arn: string; readonly name: string };
  /** HMAC-SHA256 (hex) of the fields above under the signing secret. */
  readonly signature: string;
}


/** The abort reason when Slack's deadline is reached: not a failure, the work goes on elsewhere. */
export class DeadlineReached extends Error {
  constructor(budgetMs: number) {
    super(`Slack's deadline: not done within ${budgetMs} ms of the request; handed over`);
  }
}
Object.defineProperty(DeadlineReached.prototype, 'name', { value: 'DeadlineReached', writable: false, enumerable: false });

/**
 * Lambda Invoke (Event) on this function. The Lambda client is imported with the first hand-over
 * (shared/slack/self-invoke.ts): most commands answer within the deadline, and their cold start need not
 * load it.
 */
export async function invokeSelfAsync(work: SlackWork): Promise<void> {
  const { invokeSelf } = await import('./self-invoke');
  await invokeSelf(work);
}

function workDigest(work: Omit<SlackWork, 'signature'>, secret: string): Buffer {
  const { kind, version, command, receivedAtMs, signedAtMs, execution } = work;
  return createHmac('sha256', secret)
    .update('coalmine-slack-work:v1:', 'utf8')
    .update(JSON.stringify({ kind, version, command, receivedAtMs, signedAtMs, execution: execution ?? null }), 'utf8')
    .digest();
}

export function signWork(work: Omit<SlackWork, 'signature'>, secret: string): SlackWork {
  return { ...work, signature: workDigest(work, secret).toString('hex') };
}

export function workSignatureValid(work: SlackWork, secret: string): boolean {
  if (typeof work.signature !== 'string' || !/^[0-9a-f]{64}$/.test(work.signature)) return false;
  return timingSafeEqual(workDigest(work, secret), Buffer.from(work.signature, 'hex'));
}

export function isSlackWork(event: unknown): event is SlackWork {
  return typeof event === 'object' && event !== null && (event as { kind?: unknown }).kind === SLACK_WORK_KIND;
}
