/**
 * Instant queries against a Prometheus HTTP API (`POST <base>/api/v1/query`): a self-hosted server, with an
 * optional bearer token or basic auth read from an SSM SecureString, or Amazon Managed Service for
 * Prometheus, signed with SigV4 (service `aps`) by the SDK's signer and default credentials.
 *
 * Faults are named for the state machine: 429 after the retries here is AwsThrottled, 5xx, timeouts and
 * connection failures are AwsUnavailable (both retried by its Retry blocks); refused credentials or a wrong
 * URL are ConfigurationError. A query the server rejects (400/422), a malformed answer or one without a
 * number is a `problem` naming the query: the judge makes it `inconclusive`, never a pass, never a crash.
 */
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { Sha256 } from '@smithy/core/checksum';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import { ssmClient } from '../../aws/ssm';
import { AwsThrottled, AwsUnavailable, ConfigurationError, awsCall } from '../../errors';

export type PrometheusAuth =
  | { readonly kind: 'none' }
  | { readonly kind: 'bearer' | 'basic'; /** SSM SecureString: the token, or "user:password". */ readonly parameter: string }
  | { readonly kind: 'sigv4'; readonly region: string; readonly credentials?: AwsCredentialIdentityProvider };

export interface PrometheusEndpoint {
  /** e.g. http://prometheus.internal:9090 or https://aps-workspaces.us-east-1.amazonaws.com/workspaces/ws-… */
  readonly baseUrl: string;
  readonly auth: PrometheusAuth;
  /** Per attempt. */
  readonly timeoutMs?: number;
  readonly attempts?: number;
  /** First backoff; doubled per attempt, with jitter. */
  readonly backoffMs?: number;
}

export interface PromSample {
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export type QueryAnswer = { readonly ok: true; readonly samples: readonly PromSample[] } | { readonly ok: false; readonly problem: string };

const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_ATTEMPTS = 3;
const DEFAULT_BACKOFF_MS = 250;
/** A Retry-After longer than this is not waited out here; the state machine's retry waits longer. */
const MAX_RETRY_AFTER_MS = 5_000;

async function authorization(auth: PrometheusAuth): Promise<string | undefined> {
  if (auth.kind === 'none' || auth.kind === 'sigv4') return undefined;
  const result = await awsCall('GetParameter', () => ssmClient().send(new GetParameterCommand({ Name: auth.parameter, WithDecryption: true }))).catch((error: unknown) => {
    if (error instanceof Error && (error.name === 'ParameterNotFound' || error.name === 'AccessDeniedException')) {
      throw new ConfigurationError(`The Prometheus credentials parameter ${auth.parameter} cannot be read (${error.name}); create it as a SecureString and allow ssm:GetParameter on it.`);
    }
    throw error;
  });
  const secret = result.Parameter?.Value?.trim() ?? '';
  if (secret === '') throw new ConfigurationError(`The SSM parameter ${auth.parameter} is empty; it must hold the Prometheus ${auth.kind === 'bearer' ? 'bearer token' : 'basic auth "user:password"'}.`);
  return auth.kind === 'bearer' ? `Bearer ${secret}` : `Basic ${Buffer.from(secret, 'utf8').toString('base64')}`;
}

async function signedHeaders(url: URL, body: string, headers: Record<string, string>, auth: Extract<PrometheusAuth, { kind: 'sigv4' }>): Promise<Record<string, string>> {
  const signer = new SignatureV4({ service: 'aps', region: auth.region, credentials: auth.credentials ?? defaultProvider(), sha256: Sha256 });
  const query: Record<string, string> = {};
  url.searchParams.forEach((value, key) => {
    query[key] = value;
  });
  const signed = await signer.sign({
    method: 'POST',
    protocol: url.protocol,
    hostname: url.hostname,
    ...(url.port === '' ? {} : { port: Number(url.port) }),
    path: url.pathname,
    query,
    headers: { ...headers, host: url.host },
    body,
  });
  return signed.headers;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function retryAfterMs(response: Response): number | undefined {
  const value = Number(response.headers.get('retry-after'));
  return Number.isFinite(value) && value >= 0 ? Math.min(value * 1000, MAX_RETRY_AFTER_MS) : undefined;
}

/** The answer's samples, or what is wrong with it. */
export function parseAnswer(query: string, text: string): QueryAnswer {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, problem: `Prometheus answered "${query}" with something that is not JSON` };
  }
  const body = json as { status?: unknown; error?: unknown; data?: { resultType?: unknown; result?: unknown } };
  if (body.status !== 'success') return { ok: false, problem: `Prometheus refused "${query}": ${typeof body.error === 'string' ? body.error : 'no reason given'}` };
  const { resultType, result } = body.data ?? {};
  if (resultType === 'scalar' && Array.isArray(result)) return { ok: true, samples: [{ labels: {}, value: Number(result[1]) }] };
  if (resultType !== 'vector' || !Array.isArray(result)) return { ok: false, problem: `Prometheus answered "${query}" with a ${String(resultType)}, not an instant vector` };
  const samples: PromSample[] = [];
  for (const item of result as Array<{ metric?: unknown; value?: unknown }>) {
    if (typeof item?.metric !== 'object' || item.metric === null || !Array.isArray(item.value)) return { ok: false, problem: `Prometheus answered "${query}" with a malformed sample` };
    samples.push({ labels: item.metric as Record<string, string>, value: Number(item.value[1]) });
  }
  return { ok: true, samples };
}

/** Evaluates `query` at `timeSeconds` (epoch). */
export async function queryPrometheus(endpoint: PrometheusEndpoint, query: string, timeSeconds: number): Promise<QueryAnswer> {
  const url = new URL(`${endpoint.baseUrl.replace(/\/+$/, '')}/api/v1/query`);
  const body = new URLSearchParams({ query, time: String(timeSeconds) }).toString();
  const attempts = endpoint.attempts ?? DEFAULT_ATTEMPTS;
  const where = `Prometheus at ${url.origin}`;
  const auth = await authorization(endpoint.auth);
  let failure: Error = new AwsUnavailable(`${where} was not asked`);
  for (let attempt = 1; attempt <= attempts; attempt += 1) {
    const base: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', ...(auth === undefined ? {} : { authorization: auth }) };
    const headers = endpoint.auth.kind === 'sigv4' ? await signedHeaders(url, body, base, endpoint.auth) : base;
    let response: Response;
    try {
      response = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(endpoint.timeoutMs ?? DEFAULT_TIMEOUT_MS) });
    } catch (error) {
      failure = new AwsUnavailable(`${where} did not answer "${query}" (${(error as Error).name}: ${(error as Error).message})`, { cause: error });
      if (attempt < attempts) await sleep(backoff(endpoint, attempt));
      continue;
    }
    const text = await response.text();
    if (response.ok || response.status === 400 || response.status === 422) return parseAnswer(query, text);
    if (response.status === 401 || response.status === 403) {
      throw new ConfigurationError(`${where} refused the credentials (HTTP ${response.status}); check its auth setting and the identity's permissions (aps:QueryMetrics for a workspace).`);
    }
    if (response.status !== 429 && response.status < 500) {
      throw new ConfigurationError(`${where} answered HTTP ${response.status} at ${url.pathname}; check that the base URL is the server's (or the workspace's) root.`);
    }
    failure =
      response.status === 429
        ? new AwsThrottled(`${where} throttled "${query}" (HTTP 429) ${attempts} times`)
        : new AwsUnavailable(`${where} failed "${query}" with HTTP ${response.status} ${attempts} times`);
    if (attempt < attempts) await sleep(retryAfterMs(response) ?? backoff(endpoint, attempt));
  }
  throw failure;
}

function backoff(endpoint: PrometheusEndpoint, attempt: number): number {
  const first = endpoint.backoffMs ?? DEFAULT_BACKOFF_MS;
  return first * 2 ** (attempt - 1) * (0.5 + Math.random() / 2);
}
