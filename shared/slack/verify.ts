/**
 * Verifies that a request came from Slack: HMAC-SHA256 over `v0:{timestamp}:{raw body}` with the app's
 * signing secret, compared in constant time, with a 300-second window against replays.
 *
 * Pure: the secret and the clock come in as arguments. It never throws on what the caller sends; every
 * refusal is a typed reason that the handler logs and answers with 401.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SLACK_SIGNATURE_HEADER = 'x-slack-signature';
export const SLACK_TIMESTAMP_HEADER = 'x-slack-request-timestamp';
export const SLACK_SIGNATURE_VERSION = 'v0';

/** Slack's documented replay window; a request exactly this far from our clock is still accepted. */
export const SLACK_MAX_CLOCK_SKEW_SECONDS = 300;

const SIGNATURE_PATTERN = /^v0=[0-9a-f]{64}$/;
const SIGNATURE_BYTES = 32;
// Unix seconds as Slack sends them: digits only. A sign, a fraction or an exponent is not Slack's.
const TIMESTAMP_PATTERN = /^[0-9]{1,15}$/;
const BASE64_PATTERN = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export type SlackVerificationFailure =
  /** The deployment has no signing secret: refuse everything rather than accept an empty-key HMAC. */
  | 'no-signing-secret'
  | 'missing-signature'
  | 'missing-timestamp'
  /** The same header came twice (names differing only in case) with different values. */
  | 'duplicate-header'
  | 'malformed-timestamp'
  /** More than 300 s before or after our clock: a replay, or a badly wrong clock. */
  | 'stale'
  /** Not `v0=` followed by 64 lower-case hex digits (truncated, another version, garbage). */
  | 'malformed-signature'
  /** Flagged as base64 but is not valid base64. */
  | 'malformed-body'
  | 'bad-signature';

export type SlackVerificationResult =
  | { ok: true; body: string; timestamp: number }
  | { ok: false; reason: SlackVerificationFailure; detail: string };

export interface VerifySlackRequestInput {
  /** Request headers in any letter case (API Gateway v2 lower-cases them, v1 keeps them as sent). */
  headers: Readonly<Record<string, string | undefined>> | null | undefined;
  /** The body exactly as received; a missing body counts as empty. */
  rawBody: string | null | undefined;
  /** API Gateway sets this when it delivered the body base64-encoded. */
  isBase64Encoded?: boolean;
  signingSecret: string;
  /** The current time in Unix seconds (fractions allowed). */
  nowSeconds: number;
}

export function verifySlackRequest(input: VerifySlackRequestInput): SlackVerificationResult {
  const { signingSecret, nowSeconds } = input;
  if (typeof signingSecret !== 'string' || signingSecret.length === 0) {
    return refuse('no-signing-secret', 'no Slack signing secret is configured; every request is refused');
  }

  const signature = readHeader(input.headers, SLACK_SIGNATURE_HEADER);
  if (signature === 'duplicate') return refuse('duplicate-header', `${SLACK_SIGNATURE_HEADER} was sent twice`);
  if (signature === undefined) return refuse('missing-signature', `no ${SLACK_SIGNATURE_HEADER} header`);

  const timestampText = readHeader(input.headers, SLACK_TIMESTAMP_HEADER);
  if (timestampText === 'duplicate') return refuse('duplicate-header', `${SLACK_TIMESTAMP_HEADER} was sent twice`);
  if (timestampText === undefined) return refuse('missing-timestamp', `no ${SLACK_TIMESTAMP_HEADER} header`);
  if (!TIMESTAMP_PATTERN.test(timestampText)) {
    return refuse('malformed-timestamp', `${SLACK_TIMESTAMP_HEADER} is not whole Unix seconds`);
  }

  const timestamp = Number(timestampText);
  const skew = nowSeconds - timestamp;
  // Written so that a NaN clock also refuses.
  if (!(Math.abs(skew) <= SLACK_MAX_CLOCK_SKEW_SECONDS)) {
    return refuse(
      'stale',
      `request timestamp is ${Math.round(Math.abs(skew))} s ${skew >= 0 ? 'old' : 'in the future'}; ` +
        `the limit is ${SLACK_MAX_CLOCK_SKEW_SECONDS} s`,
    );
  }

  if (!SIGNATURE_PATTERN.test(signature)) {
    return refuse('malformed-signature', `${SLACK_SIGNATURE_HEADER} is not "v0=" and 64 hex digits`);
  }

  const bodyBytes = decodeBody(input.rawBody, input.isBase64Encoded === true);
  if (bodyBytes === undefined) return refuse('malformed-body', 'the body is flagged base64 but is not base64');

  const expected = hmac(signingSecret, timestampText, bodyBytes);
  const received = Buffer.from(signature.slice(SLACK_SIGNATURE_VERSION.length + 1), 'hex');
  // Equal by construction (the pattern fixes the length), but timingSafeEqual throws on a mismatch.
  if (received.length !== SIGNATURE_BYTES || expected.length !== received.length) {
    return refuse('malformed-signature', `${SLACK_SIGNATURE_HEADER} has the wrong length`);
  }
  if (!timingSafeEqual(expected, received)) {
    return refuse('bad-signature', 'the signature does not match the body, timestamp and signing secret');
  }
  return { ok: true, body: bodyBytes.toString('utf8'), timestamp };
}

export interface SignSlackRequestInput {
  signingSecret: string;
  /** Unix seconds. */
  timestamp: number | string;
  /** The raw body as it will be sent, before any base64 encoding. */
  body: string | Buffer;
}

/** Signs a body the way Slack does, for tests and the simulator. Header names are lower case, as API Gateway v2 delivers them. */
export function signSlackRequest(input: SignSlackRequestInput): Record<string, string> {
  const timestamp = String(input.timestamp);
  const body = typeof input.body === 'string' ? Buffer.from(input.body, 'utf8') : input.body;
  const signature = `${SLACK_SIGNATURE_VERSION}=${hmac(input.signingSecret, timestamp, body).toString('hex')}`;
  return { [SLACK_TIMESTAMP_HEADER]: timestamp, [SLACK_SIGNATURE_HEADER]: signature };
}

function hmac(secret: string, timestamp: string, body: Buffer): Buffer {
  return createHmac('sha256', secret)
    .update(`${SLACK_SIGNATURE_VERSION}:${timestamp}:`, 'utf8')
    .update(body)
    .digest();
}

function refuse(reason: SlackVerificationFailure, detail: string): SlackVerificationResult {
  return { ok: false, reason, detail };
}

/** Finds a header whatever its letter case. Two spellings with the same value are harmless; with different values, ambiguous. */
function readHeader(
  headers: Readonly<Record<string, unknown>> | null | undefined,
  lowerName: string,
): string | undefined | 'duplicate' {
  if (headers === null || typeof headers !== 'object') return undefined;
  let found: string | undefined;
  for (const [name, value] of Object.entries(headers)) {
    if (name.toLowerCase() !== lowerName || typeof value !== 'string') continue;
    if (found !== undefined && found !== value) return 'duplicate';
    found = value;
  }
  return found === undefined || found.length === 0 ? undefined : found;
}

function decodeBody(rawBody: string | null | undefined, isBase64Encoded: boolean): Buffer | undefined {
  const text = typeof rawBody === 'string' ? rawBody : '';
  if (!isBase64Encoded) return Buffer.from(text, 'utf8');
  // Buffer.from(…, 'base64') skips characters it does not know; check first so that garbage is named as such.
  if (!BASE64_PATTERN.test(text)) return undefined;
  return Buffer.from(text, 'base64');
}
