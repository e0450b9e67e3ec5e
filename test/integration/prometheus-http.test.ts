/**
 * The Prometheus client over real HTTP to a local server: SigV4 (service aps) verified by recomputing the
 * signature from what arrived, the bearer token read from SSM, retries of 429/5xx, and the named faults.
 */
import { createHash, createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { queryPrometheus, type PrometheusAuth } from '../../shared/judges/metrics/prometheus-client';

const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const CREDENTIALS = async () => ({ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: SECRET });
const OK = JSON.stringify({ status: 'success', data: { resultType: 'vector', result: [{ metric: {}, value: [1, '42'] }] } });

interface Received {
  readonly request: IncomingMessage;
  readonly body: string;
}
let server: Server;
let baseUrl: string;
const received: Received[] = [];
let answers: Array<{ status: number; body: string }> = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    request.on('end', () => {
      received.push({ request, body });
      const answer = answers.shift() ?? { status: 200, body: OK };
      response.writeHead(answer.status, { 'content-type': 'application/json' });
      response.end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/workspaces/ws-1234`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const ssm = mockClient(SSMClient);
beforeEach(() => {
  received.length = 0;
  answers = [];
  ssm.reset();
});

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
const hmac = (key: Buffer | string, text: string) => createHmac('sha256', key).update(text, 'utf8').digest();

/** Recomputes the SigV4 signature of what arrived, as the service would. */
function expectValidSigV4({ request, body }: Received, region: string, service: string): void {
  const match = /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(
    request.headers.authorization ?? '',
  );
  expect(match).not.toBeNull();
  const [, date, signedRegion, signedService, signedHeaders, signature] = match as RegExpExecArray;
  expect([signedRegion, signedService]).toEqual([region, service]);
  const names = (signedHeaders as string).split(';');
  expect(names).toEqual(expect.arrayContaining(['host', 'x-amz-date', 'content-type']));
  const canonical = [
    request.method,
    (request.url ?? '').split('?')[0],
    '',
    ...names.map((name) => `${name}:${String(request.headers[name]).trim()}`),
    '',
    signedHeaders,
    sha256(body),
  ].join('\n');
  const amzDate = request.headers['x-amz-date'] as string;
  const scope = `${date}/${region}/${service}/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonical)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${SECRET}`, date as string), region), service), 'aws4_request');
  expect(createHmac('sha256', key).update(toSign, 'utf8').digest('hex')).toBe(signature);
}

const fast = (auth: PrometheusAuth) => ({ baseUrl, auth, backoffMs: 1, timeoutMs: 2_000 });

it('signs the query with SigV4 for service aps, and the signature checks out', async () => {
  const answer = await queryPrometheus(fast({ kind: 'sigv4', region: 'eu-west-1', credentials: CREDENTIALS }), 'sum(up)', 1_700_000_000);

  expect(answer).toEqual({ ok: true, samples: [{ labels: {}, value: 42 }] });
  expect(received).toHaveLength(1);
  const [first] = received as [Received];
  expect(first.request.url).toBe('/workspaces/ws-1234/api/v1/query');
  expect(new URLSearchParams(first.body).get('query')).toBe('sum(up)');
  expectValidSigV4(first, 'eu-west-1', 'aps');
});

it('sends the bearer token read from SSM (decrypted), never from the environment', async () => {
  ssm.on(GetParameterCommand, { Name: '/coalmine/prometheus/token', WithDecryption: true }).resolves({ Parameter: { Value: 's3cret\n' } });

  await queryPrometheus(fast({ kind: 'bearer', parameter: '/coalmine/prometheus/token' }), 'up', 1);

  expect(received[0]?.request.headers.authorization).toBe('Bearer s3cret');
});

it('retries 429 and 5xx with backoff, then answers', async () => {
  answers = [
    { status: 429, body: '' },
    { status: 503, body: '' },
  ];
  const answer = await queryPrometheus(fast({ kind: 'none' }), 'up', 1);
  expect(answer.ok).toBe(true);
  expect(received).toHaveLength(3);
});

it.each([
  [429, 'AwsThrottled'],
  [500, 'AwsUnavailable'],
  [401, 'ConfigurationError'],
  [404, 'ConfigurationError'],
])('maps HTTP %i (429 and 5xx after the retries) to %s', async (status, name) => {
  answers = [0, 1, 2].map(() => ({ status, body: '' }));
  await expect(queryPrometheus(fast({ kind: 'none' }), 'up', 1)).rejects.toMatchObject({ name });
});

it('maps an unreachable server to AwsUnavailable', async () => {
  await expect(queryPrometheus({ baseUrl: 'http://127.0.0.1:1', auth: { kind: 'none' }, backoffMs: 1, attempts: 2 }, 'up', 1)).rejects.toMatchObject({ name: 'AwsUnavailable' });
});

it.each([
  ['not JSON', 200, '<html>'],
  ['a rejected query', 400, JSON.stringify({ status: 'error', errorType: 'bad_data', error: 'parse error' })],
  ['a matrix', 200, JSON.stringify({ status: 'success', data: { resultType: 'matrix', result: [] } })],
])('names the query when the answer is %s', async (_what, status, body) => {
  answers = [{ status, body }];
  const answer = await queryPrometheus(fast({ kind: 'none' }), 'rate(x[5m])', 1);
  expect(answer).toMatchObject({ ok: false, problem: expect.stringContaining('"rate(x[5m])"') });
});
