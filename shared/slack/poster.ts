/**
 * Posting to Slack over HTTPS: an incoming webhook, chat.postMessage with a bot token, or a command's
 * response_url. The HTTP call itself is a tiny injectable function, so that tests and the simulator see
 * the exact request and Lambda uses the runtime's fetch.
 *
 * Webhook URLs, response URLs and tokens are credentials: no error message or log line carries them,
 * only Slack's error code and the HTTP status.
 */
import { CoalmineError } from '../errors';
import type { SlackBlock, SlackResponse } from './responses';

export interface SlackHttpRequest {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export interface SlackHttpResponse {
  readonly status: number;
  readonly headers: { get(name: string): string | null };
  readonly text: string;
}

export type SlackHttpPost = (request: SlackHttpRequest) => Promise<SlackHttpResponse>;

/** Slack answers in well under a second; a hung connection must not eat the Lambda's time. */
export const SLACK_HTTP_TIMEOUT_MS = 5_000;

export const CHAT_POST_MESSAGE_URL = 'https://slack.com/api/chat.postMessage';

const fetchPost: SlackHttpPost = async (request) => {
  const response = await fetch(request.url, {
    method: 'POST',
    headers: request.headers,
    body: request.body,
    signal: AbortSignal.timeout(SLACK_HTTP_TIMEOUT_MS),
  });
  return { status: response.status, headers: response.headers, text: await response.text() };
};

let installed: SlackHttpPost | undefined;

/** Installs the HTTP call Slack posts go through (tests, the simulator); returns a restore function. */
export function useSlackHttp(post: SlackHttpPost): () => void {
  const previous = installed;
  installed = post;
  return () => {
    installed = previous;
  };
}

function slackHttp(): SlackHttpPost {
  return installed ?? fetchPost;
}

/**
 * Slack refused or could not take a post. `retryable` is true for rate limits, Slack's own faults and
 * network failures; false for what a retry cannot fix (a revoked token, an archived channel, a bad payload).
 */
export class SlackPostFailed extends CoalmineError {
  readonly retryable: boolean;
  /** Slack's error code ("invalid_auth", "channel_not_found", …) or the HTTP status when Slack gave none. */
  readonly slackError: string;

  constructor(message: string, options: { retryable: boolean; slackError: string; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.retryable = options.retryable;
    this.slackError = options.slackError;
  }
}
Object.defineProperty(SlackPostFailed.prototype, 'name', { value: 'SlackPostFailed', writable: false, enumerable: false });

/** A message: `text` is the notification and screen-reader fallback, `blocks` what people see. */
export interface SlackMessage {
  readonly text: string;
  readonly blocks?: readonly SlackBlock[];
}

export type SlackDestination =
  | { readonly kind: 'webhook'; readonly url: string }
  | { readonly kind: 'bot'; readonly token: string; readonly channel: string };

const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8' } as const;

/** Posts a notification to an incoming webhook or, with a bot token, through chat.postMessage. */
export async function postSlackMessage(destination: SlackDestination, message: SlackMessage): Promise<void> {
  if (destination.kind === 'webhook') {
    const response = await send('incoming webhook', {
      url: destination.url,
      headers: JSON_HEADERS,
      body: JSON.stringify(message),
    });
    expectSuccess('incoming webhook', response);
    return;
  }
  const response = await send('chat.postMessage', {
    url: CHAT_POST_MESSAGE_URL,
    headers: { ...JSON_HEADERS, authorization: `Bearer ${destination.token}` },
    // Links in a rollout message point at consoles; previews of them only add noise.
    body: JSON.stringify({ channel: destination.channel, unfurl_links: false, unfurl_media: false, ...message }),
  });
  expectSuccess('chat.postMessage', response);
  expectOk('chat.postMessage', response);
}

/**
 * Answers a command later through its response_url (valid for 30 minutes, up to five posts). `replace_original:
 * false` keeps a notification a button was pressed on and adds the answer below it.
 */
export async function postToResponseUrl(responseUrl: string, response: SlackResponse): Promise<void> {
  const result = await send('response_url', {
    url: responseUrl,
    headers: JSON_HEADERS,
    body: JSON.stringify({ ...response, replace_original: false }),
  });
  expectSuccess('response_url', result);
}

async function send(what: string, request: SlackHttpRequest): Promise<SlackHttpResponse> {
  try {
    return await slackHttp()(request);
  } catch (error) {
    // The fetch error may quote the URL; keep only its name.
    const name = error instanceof Error ? error.name : 'Error';
    throw new SlackPostFailed(`Posting to the Slack ${what} failed before Slack answered (${name}).`, {
      retryable: true,
      slackError: name,
    });
  }
}

function expectSuccess(what: string, response: SlackHttpResponse): void {
  if (response.status >= 200 && response.status < 300) return;
  const code = slackErrorCode(response.text) ?? `HTTP ${response.status}`;
  const retryAfter = response.headers.get('retry-after');
  const retryable = response.status === 429 || response.status >= 500;
  throw new SlackPostFailed(
    `The Slack ${what} answered HTTP ${response.status} (${code})` +
      `${response.status === 429 && retryAfter !== null ? `; Slack asks to retry after ${retryAfter} s` : ''}.`,
    { retryable, slackError: code },
  );
}

/** Web API methods answer 200 with `{"ok": false, "error": "…"}` when they refuse. */
function expectOk(what: string, response: SlackHttpResponse): void {
  let body: unknown;
  try {
    body = JSON.parse(response.text);
  } catch {
    throw new SlackPostFailed(`The Slack ${what} answered with something other than JSON.`, { retryable: true, slackError: 'invalid_response' });
  }
  const { ok, error } = (body ?? {}) as { ok?: unknown; error?: unknown };
  if (ok === true) return;
  const code = typeof error === 'string' && /^[a-z0-9_]{1,64}$/.test(error) ? error : 'unknown_error';
  const retryable = code === 'ratelimited' || code === 'internal_error' || code === 'fatal_error' || code === 'service_unavailable';
  throw new SlackPostFailed(`The Slack ${what} refused the message (${code}).`, { retryable, slackError: code });
}

/** Webhooks answer errors as a bare code ("invalid_payload", "channel_is_archived"); anything else is not quoted. */
function slackErrorCode(text: string): string | undefined {
  const trimmed = text.trim();
  if (/^[a-z0-9_]{1,64}$/.test(trimmed)) return trimmed;
  try {
    const error = (JSON.parse(trimmed) as { error?: unknown }).error;
    return typeof error === 'string' && /^[a-z0-9_]{1,64}$/.test(error) ? error : undefined;
  } catch {
    return undefined;
  }
}
