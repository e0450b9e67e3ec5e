/**
 * The notification function: EventBridge event in (fixtures shaped like docs/events.md), one exact
 * HTTPS request to Slack out, through an incoming webhook or chat.postMessage, with the credential read
 * from SSM with decryption and cached. Slack refusing throws a named error (so the event is retried)
 * that, like every log line, never carries the webhook URL or the token.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetExecutionHistoryCommand, SFNClient } from '@aws-sdk/client-sfn';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { handler } from '../../functions/slack-notify';
import { logger } from '../../shared/handler';
import { localContext } from '../../sim/local-context';
import { classifyEvent, notificationFor } from '../../shared/slack/notifications';
import { CHAT_POST_MESSAGE_URL, SlackPostFailed, useSlackHttp, type SlackHttpRequest } from '../../shared/slack/poster';
import { forgetParameters } from '../../shared/aws/parameters';

const ssm = mockClient(SSMClient);
const sfn = mockClient(SFNClient);

const WEBHOOK_URL = 'https://hooks.slack.com/services/T0ABCD1234/B0NOTIFY01/s3cr3tWebhookPath0000';
const BOT_TOKEN = 'xoxb-1234567890-0987654321-s3cr3tB0tT0ken';
const WEBHOOK_PARAMETER = '/coalmine/dev/slack/webhook-url';
const TOKEN_PARAMETER = '/coalmine/dev/slack/bot-token';

const context = localContext('coalmine-dev-slackNotify');

function fixture(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(__dirname, '../fixtures/lifecycle', `${name}.json`), 'utf8')) as Record<string, unknown>;
}

function expectedMessage(event: unknown) {
  const classified = classifyEvent(event);
  if ('ignored' in classified) throw new Error(classified.ignored);
  return notificationFor(classified);
}

interface Answer {
  status: number;
  text: string;
  headers?: Record<string, string>;
}

let requests: SlackHttpRequest[];
let answers: Array<Answer | Error>;
let restoreHttp: () => void;
let logged: unknown[][];

const ENV_KEYS = ['SLACK_WEBHOOK_URL_PARAMETER', 'SLACK_BOT_TOKEN_PARAMETER', 'SLACK_CHANNEL', 'SLACK_WEBHOOK_URL', 'SLACK_BOT_TOKEN'];

beforeEach(() => {
  for (const key of ENV_KEYS) delete process.env[key];
  ssm.reset();
  sfn.reset();
  forgetParameters();
  ssm.on(GetParameterCommand, { Name: WEBHOOK_PARAMETER, WithDecryption: true }).resolves({ Parameter: { Name: WEBHOOK_PARAMETER, Type: 'SecureString', Value: WEBHOOK_URL } });
  ssm.on(GetParameterCommand, { Name: TOKEN_PARAMETER, WithDecryption: true }).resolves({ Parameter: { Name: TOKEN_PARAMETER, Type: 'SecureString', Value: BOT_TOKEN } });
  requests = [];
  answers = [];
  restoreHttp = useSlackHttp(async (request) => {
    requests.push(request);
    const answer = answers.shift() ?? { status: 200, text: request.url === CHAT_POST_MESSAGE_URL ? '{"ok":true,"channel":"C0DEPLOYS1","ts":"1795341601.000100"}' : 'ok' };
    if (answer instanceof Error) throw answer;
    const headers = new Map(Object.entries(answer.headers ?? {}));
    return { status: answer.status, text: answer.text, headers: { get: (name: string) => headers.get(name.toLowerCase()) ?? null } };
  });
  logged = [];
  for (const level of ['debug', 'info', 'warn', 'error'] as const) {
    jest.spyOn(logger, level).mockImplementation((...args: unknown[]) => {
      logged.push(args);
    });
  }
});

afterEach(() => {
  restoreHttp();
  jest.restoreAllMocks();
  for (const key of ENV_KEYS) delete process.env[key];
});

function expectNoCredentialLogged(): void {
  const text = JSON.stringify(logged, (_key, value: unknown) => (value instanceof Error ? { name: value.name, message: value.message } : value));
  expect(text).not.toContain(WEBHOOK_URL);
  expect(text).not.toContain('s3cr3tWebhookPath');
  expect(text).not.toContain(BOT_TOKEN);
}

describe('incoming webhook (SLACK_WEBHOOK_URL_PARAMETER)', () => {
  beforeEach(() => {
    process.env.SLACK_WEBHOOK_URL_PARAMETER = WEBHOOK_PARAMETER;
  });

  test.each(['rollout-started', 'step-analyzed-pass', 'step-analyzed-fail', 'promoted', 'rolled-back', 'failed-preflight', 'failed-rollback', 'execution-aborted-by-alarm'])(
    '%s: posts the Block Kit message to the webhook, exactly',
    async (name) => {
      const event = fixture(name);
      await expect(handler(event, context)).resolves.toEqual({ posted: true });
      expect(requests).toEqual([
        { url: WEBHOOK_URL, headers: { 'content-type': 'application/json; charset=utf-8' }, body: JSON.stringify(expectedMessage(event)) },
      ]);
      expect(ssm).toHaveReceivedCommandWith(GetParameterCommand, { Name: WEBHOOK_PARAMETER, WithDecryption: true });
      expectNoCredentialLogged();
    },
  );

  test('reads the webhook URL from SSM once for many events (cached)', async () => {
    await handler(fixture('rollout-started'), context);
    await handler(fixture('step-analyzed-pass'), context);
    await handler(fixture('promoted'), context);
    expect(requests).toHaveLength(3);
    expect(ssm).toHaveReceivedCommandTimes(GetParameterCommand, 1);
  });

  test.each([
    { answer: { status: 404, text: 'channel_not_found' }, slackError: 'channel_not_found', retryable: false },
    { answer: { status: 410, text: 'channel_is_archived' }, slackError: 'channel_is_archived', retryable: false },
    { answer: { status: 400, text: 'invalid_payload' }, slackError: 'invalid_payload', retryable: false },
    { answer: { status: 429, text: 'rate_limited', headers: { 'retry-after': '30' } }, slackError: 'rate_limited', retryable: true },
    { answer: { status: 500, text: '<html>oops</html>' }, slackError: 'HTTP 500', retryable: true },
  ])('Slack answers $answer.status ($slackError): SlackPostFailed, retryable=$retryable, no URL anywhere', async ({ answer, slackError, retryable }) => {
    answers.push(answer);
    const failure = handler(fixture('rolled-back'), context);
    await expect(failure).rejects.toBeInstanceOf(SlackPostFailed);
    const error = (await failure.catch((e: unknown) => e)) as SlackPostFailed;
    expect(error.name).toBe('SlackPostFailed');
    expect(error.slackError).toBe(slackError);
    expect(error.retryable).toBe(retryable);
    expect(error.message).not.toContain('hooks.slack.com/services');
    if (answer.status === 429) expect(error.message).toContain('retry after 30 s');
    expectNoCredentialLogged();
  });

  test('a network failure whose message quotes the URL: SlackPostFailed without it', async () => {
    answers.push(new TypeError(`fetch failed: getaddrinfo ENOTFOUND for ${WEBHOOK_URL}`));
    const error = (await handler(fixture('promoted'), context).catch((e: unknown) => e)) as SlackPostFailed;
    expect(error).toBeInstanceOf(SlackPostFailed);
    expect(error.retryable).toBe(true);
    expect(error.message).not.toContain(WEBHOOK_URL);
    expectNoCredentialLogged();
  });

  test('an execution stopped from outside: reads why from its last history event when the event does not say', async () => {
    const event = fixture('execution-aborted-no-details');
    const executionArn = (event.detail as { executionArn: string }).executionArn;
    sfn.on(GetExecutionHistoryCommand, { executionArn, reverseOrder: true, maxResults: 1 }).resolves({
      events: [
        {
          id: 57,
          type: 'ExecutionAborted',
          timestamp: new Date('2026-11-22T10:06:24Z'),
          executionAbortedEventDetails: {
            error: 'AlarmRollback',
            cause: 'Alarm checkout-errors went to ALARM at 2026-11-22T10:06:21.118Z: Threshold Crossed. Rolled back.\ncoalmine-facts: {"alarm":"checkout-errors"}',
          },
        },
      ],
    });
    await handler(event, context);
    const body = JSON.parse(requests[0]!.body) as { text: string };
    expect(body.text).toBe('checkout rolled back by alarm checkout-errors');
  });

  test('if that read fails, the message goes without the reason', async () => {
    sfn.on(GetExecutionHistoryCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));
    await handler(fixture('execution-aborted-no-details'), context);
    expect((JSON.parse(requests[0]!.body) as { text: string }).text).toBe('checkout: the execution was stopped by hand; check the target.');
  });

  test("another state machine's stopped execution is skipped when STATE_MACHINE_ARN is set", async () => {
    process.env.STATE_MACHINE_ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:someone-else';
    try {
      await expect(handler(fixture('execution-aborted-by-alarm'), context)).resolves.toEqual({
        posted: false,
        ignored: 'execution checkout-42-20261122T1000 belongs to another state machine',
      });
      expect(requests).toEqual([]);
    } finally {
      delete process.env.STATE_MACHINE_ARN;
    }
  });

  test('events that are not rollout events are skipped: no SSM read, no post', async () => {
    await expect(handler(fixture('execution-succeeded'), context)).resolves.toEqual({
      posted: false,
      ignored: 'execution status SUCCEEDED is announced by the state machine',
    });
    expect(requests).toEqual([]);
    expect(ssm).not.toHaveReceivedAnyCommand();
  });

  test('a missing parameter is a ConfigurationError naming it', async () => {
    ssm.on(GetParameterCommand, { Name: WEBHOOK_PARAMETER }).rejects(Object.assign(new Error('not found'), { name: 'ParameterNotFound' }));
    await expect(handler(fixture('promoted'), context)).rejects.toMatchObject({
      name: 'ConfigurationError',
      message: expect.stringContaining(`The SSM parameter ${WEBHOOK_PARAMETER} (SLACK_WEBHOOK_URL_PARAMETER) does not exist`),
    });
  });
});

describe('bot token (SLACK_BOT_TOKEN_PARAMETER + SLACK_CHANNEL)', () => {
  beforeEach(() => {
    process.env.SLACK_BOT_TOKEN_PARAMETER = TOKEN_PARAMETER;
    process.env.SLACK_CHANNEL = 'C0DEPLOYS1';
  });

  test('posts through chat.postMessage with the bearer token, to the channel', async () => {
    const event = fixture('step-analyzed-pass');
    await handler(event, context);
    expect(requests).toEqual([
      {
        url: 'https://slack.com/api/chat.postMessage',
        headers: { 'content-type': 'application/json; charset=utf-8', authorization: `Bearer ${BOT_TOKEN}` },
        body: JSON.stringify({ channel: 'C0DEPLOYS1', unfurl_links: false, unfurl_media: false, ...expectedMessage(event) }),
      },
    ]);
    expect(ssm).toHaveReceivedCommandWith(GetParameterCommand, { Name: TOKEN_PARAMETER, WithDecryption: true });
  });

  test.each([
    { text: '{"ok":false,"error":"invalid_auth"}', slackError: 'invalid_auth', retryable: false },
    { text: '{"ok":false,"error":"not_in_channel"}', slackError: 'not_in_channel', retryable: false },
    { text: '{"ok":false,"error":"ratelimited"}', slackError: 'ratelimited', retryable: true },
    { text: 'upstream connect error', slackError: 'invalid_response', retryable: true },
  ])('HTTP 200 with $text: SlackPostFailed ($slackError), no token anywhere', async ({ text, slackError, retryable }) => {
    answers.push({ status: 200, text });
    const error = (await handler(fixture('promoted'), context).catch((e: unknown) => e)) as SlackPostFailed;
    expect(error).toBeInstanceOf(SlackPostFailed);
    expect(error.slackError).toBe(slackError);
    expect(error.retryable).toBe(retryable);
    expect(error.message).not.toContain(BOT_TOKEN);
    expectNoCredentialLogged();
  });

  test.each([
    { channel: undefined, message: 'must name exactly one channel ID' },
    { channel: '#deploys', message: 'is a channel name; use the channel ID instead' },
    { channel: 'C0DEPLOYS1,C0RANDOM99', message: 'it names 2' },
  ])('SLACK_CHANNEL $channel: ConfigurationError', async ({ channel, message }) => {
    if (channel === undefined) delete process.env.SLACK_CHANNEL;
    else process.env.SLACK_CHANNEL = channel;
    await expect(handler(fixture('promoted'), context)).rejects.toMatchObject({ name: 'ConfigurationError', message: expect.stringContaining(message) });
    expect(requests).toEqual([]);
  });
});

test('both parameters named: SLACK_CHANNEL chooses the bot token, its absence the webhook', async () => {
  process.env.SLACK_WEBHOOK_URL_PARAMETER = WEBHOOK_PARAMETER;
  process.env.SLACK_BOT_TOKEN_PARAMETER = TOKEN_PARAMETER;
  await handler(fixture('promoted'), context);
  expect(requests[0]!.url).toBe(WEBHOOK_URL);
  process.env.SLACK_CHANNEL = 'C0DEPLOYS1';
  await handler(fixture('promoted'), context);
  expect(requests[1]!.url).toBe(CHAT_POST_MESSAGE_URL);
  expect(requests[1]!.headers.authorization).toBe(`Bearer ${BOT_TOKEN}`);
});

test('no destination configured: a ConfigurationError saying what to set', async () => {
  await expect(handler(fixture('promoted'), context)).rejects.toMatchObject({
    name: 'ConfigurationError',
    message: expect.stringContaining('set SLACK_WEBHOOK_URL_PARAMETER'),
  });
});

test('local runs may give the webhook URL itself (SLACK_WEBHOOK_URL), without SSM', async () => {
  process.env.SLACK_WEBHOOK_URL = WEBHOOK_URL;
  await handler(fixture('promoted'), context);
  expect(requests[0]!.url).toBe(WEBHOOK_URL);
  expect(ssm).not.toHaveReceivedAnyCommand();
});
