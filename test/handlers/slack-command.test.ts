/**
 * The Slack function end to end, with real API Gateway HTTP API (payload 2.0) events: verification
 * (401 and nothing else for anything Slack did not sign), help, status, rollback and promote with the
 * exact AWS calls they make, refusals that touch nothing, helpful answers for every mistake (never a
 * 500), buttons answered on their response_url, and the hand-over to an asynchronous invocation when
 * Slack's 3 s would be missed.
 */
import { GetAliasCommand, InvokeCommand, UpdateAliasCommand } from '@aws-sdk/client-lambda';
import { GetExecutionHistoryCommand, ListExecutionsCommand, SendTaskFailureCommand, SendTaskSuccessCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { handler } from '../../functions/slack-command';
import { logger } from '../../shared/handler';
import { localContext } from '../../sim/local-context';
import { handleSlackRequest } from '../../shared/slack/command-handler';
import { signWork, type SlackWork } from '../../shared/slack/handover';
import { signedSlashCommandEvent } from '../../sim/signed-request';
import { useSlackHttp, type SlackHttpRequest } from '../../shared/slack/poster';
import type { SlackResponse } from '../../shared/slack/responses';
import { forgetParameters } from '../../shared/aws/parameters';
import { signSlackRequest } from '../../shared/slack/verify';
import slackDocsExample from '../fixtures/slack/slack-docs-signature-example.json';
import {
  FUNCTION_NAME,
  FakeAws,
  SIGNING_SECRET,
  STATE_MACHINE_ARN,
  apiFixture,
  awsCallCount,
  buttonBody,
  fixtureBody,
  lambda,
  resetAws,
  progressAt,
  rolloutFor,
  sfn,
  signedEvent,
  slashBody,
  ssm,
  writes,
} from './slack-support';

const context = localContext(FUNCTION_NAME);
const ALICE = 'U0ALICE123';
const BOB = 'U0BOB45678';
const DEPLOYS = 'C0DEPLOYS1';
const EXECUTION = 'checkout-42-20261122T1000';

const ENV = {
  SLACK_SIGNING_SECRET: SIGNING_SECRET,
  STATE_MACHINE_ARN,
  SLACK_ALLOWED_USERS: `${ALICE}, U0CAROL999`,
  SLACK_ALLOWED_CHANNELS: DEPLOYS,
  AWS_LAMBDA_FUNCTION_NAME: FUNCTION_NAME,
};
const ENV_KEYS = [...Object.keys(ENV), 'SLACK_SIGNING_SECRET_PARAMETER', 'SLACK_SYNC_BUDGET_MS'];

let fake: FakeAws;
let posts: SlackHttpRequest[];
let restoreHttp: () => void;
let logged: Array<{ level: string; args: unknown[] }>;

beforeEach(() => {
  for (const key of ENV_KEYS) delete process.env[key];
  Object.assign(process.env, ENV);
  resetAws();
  forgetParameters();
  fake = new FakeAws();
  fake.install();
  posts = [];
  restoreHttp = useSlackHttp(async (request) => {
    posts.push(request);
    return { status: 200, text: 'ok', headers: { get: () => null } };
  });
  logged = [];
  for (const level of ['debug', 'info', 'warn', 'error'] as const) {
    jest.spyOn(logger, level).mockImplementation((...args: unknown[]) => {
      logged.push({ level, args });
    });
  }
});

afterEach(() => {
  restoreHttp();
  jest.restoreAllMocks();
  for (const key of ENV_KEYS) delete process.env[key];
});

async function call(event: unknown): Promise<APIGatewayProxyStructuredResultV2> {
  return (await handler(event, context)) as APIGatewayProxyStructuredResultV2;
}

function slackAnswer(result: APIGatewayProxyStructuredResultV2): SlackResponse {
  expect(result.statusCode).toBe(200);
  expect(result.headers).toEqual({ 'content-type': 'application/json; charset=utf-8' });
  return JSON.parse(result.body ?? '') as SlackResponse;
}

/** Everything a person sees in the answer. */
function shown(response: SlackResponse): string {
  return [
    response.text,
    ...(response.blocks ?? []).flatMap((b) => (b.type === 'section' ? [b.text.text] : b.type === 'context' ? b.elements.map((e) => e.text) : [])),
  ].join('\n');
}

function commandLogs(): Array<Record<string, unknown>> {
  return logged.filter((l) => l.args[0] === 'slack command').map((l) => l.args[1] as Record<string, unknown>);
}

function slash(text: string, fields: Record<string, string | undefined> = {}): APIGatewayProxyEventV2 {
  return signedEvent('slash-command-rollback', { body: slashBody({ text, ...fields }) });
}

function runningCheckout(extra: Partial<Parameters<FakeAws['addRunning']>[0]> = {}) {
  return fake.addRunning({ name: EXECUTION, rollout: rolloutFor({ name: 'checkout', executionName: EXECUTION }), ...extra });
}

// ---- verification --------------------------------------------------------------------------------

describe('verification: anything Slack did not sign gets 401 and changes nothing', () => {
  const now = () => Math.floor(Date.now() / 1000);
  const body = fixtureBody('slash-command-rollback');

  test.each<{ name: string; event: () => APIGatewayProxyEventV2 }>([
    {
      name: 'unsigned',
      event: () => {
        const event = signedEvent('slash-command-rollback');
        const headers = { ...event.headers };
        delete headers['x-slack-signature'];
        delete headers['x-slack-request-timestamp'];
        return { ...event, headers };
      },
    },
    { name: 'forged (signed with another secret)', event: () => signedEvent('slash-command-rollback', { secret: 'not-the-signing-secret' }) },
    { name: 'stale (signed 301 s ago)', event: () => signedEvent('slash-command-rollback', { timestamp: now() - 301 }) },
    { name: 'from the future (301 s ahead)', event: () => signedEvent('slash-command-rollback', { timestamp: now() + 301 }) },
    { name: 'replayed (the recorded request, hours later)', event: () => apiFixture('slash-command-rollback') },
    {
      name: 're-encoded (%20 for +, same signature)',
      event: () => {
        const event = signedEvent('slash-command-rollback');
        return { ...event, body: body.replace(/\+/g, '%20') };
      },
    },
    {
      name: 're-encoded (base64 body not flagged as base64)',
      event: () => {
        const event = signedEvent('slash-command-rollback', { base64: true });
        return { ...event, isBase64Encoded: false };
      },
    },
    {
      name: 'body swapped (a signed status, the body of a rollback)',
      event: () => {
        const event = signedEvent('slash-command-rollback', { body: slashBody({ text: 'status' }) });
        return { ...event, body };
      },
    },
    {
      name: 'truncated body',
      event: () => {
        const event = signedEvent('slash-command-rollback');
        return { ...event, body: body.slice(0, body.length - 10) };
      },
    },
    {
      name: 'truncated signature',
      event: () => {
        const event = signedEvent('slash-command-rollback');
        return { ...event, headers: { ...event.headers, 'x-slack-signature': event.headers['x-slack-signature']!.slice(0, 40) } };
      },
    },
    {
      name: 'two signatures (API Gateway joins duplicate headers with a comma)',
      event: () => {
        const event = signedEvent('slash-command-rollback');
        const forged = signSlackRequest({ signingSecret: 'x', timestamp: now(), body })['x-slack-signature'];
        return { ...event, headers: { ...event.headers, 'x-slack-signature': `${forged},${event.headers['x-slack-signature']}` } };
      },
    },
    {
      name: 'not base64 though flagged so',
      event: () => {
        const event = signedEvent('slash-command-status-base64');
        return { ...event, body: `${event.body}!!` };
      },
    },
  ])('$name', async ({ event }) => {
    runningCheckout();
    const result = await call(event());
    expect(result).toEqual({ statusCode: 401, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: 'The request is not signed by Slack.' });
    expect(awsCallCount()).toBe(0);
    expect(posts).toEqual([]);
    expect(logged.some((l) => l.level === 'warn' && l.args[0] === 'Slack request refused: verification failed')).toBe(true);
  });

  test("Slack's own published example verifies (and, with empty text, gets help)", async () => {
    process.env.SLACK_SIGNING_SECRET = slackDocsExample.signingSecret;
    const event = {
      ...apiFixture('slash-command-rollback'),
      body: slackDocsExample.body,
      headers: { 'x-slack-request-timestamp': slackDocsExample.timestamp, 'x-slack-signature': slackDocsExample.signature },
    };
    const at = Number(slackDocsExample.timestamp) * 1000;
    const result = await handleSlackRequest(event, { now: () => at + 1_000 });
    const answer = slackAnswer(result);
    expect(answer.response_type).toBe('ephemeral');
    expect(answer.text).toContain('/webhook-collect rollback &lt;target&gt;');
  });

  test('the recorded fixtures verify at their own time', async () => {
    for (const name of ['slash-command-rollback', 'slash-command-status-base64', 'button-rollback'] as const) {
      const event = apiFixture(name);
      const at = Number(event.headers['x-slack-request-timestamp']) * 1000;
      const result = await handleSlackRequest(event, { now: () => at + 500, invokeSelf: async () => undefined });
      expect(result.statusCode).toBe(200);
    }
  });

  test('the signing secret from SSM (SecureString, decrypted), read once and cached', async () => {
    delete process.env.SLACK_SIGNING_SECRET;
    process.env.SLACK_SIGNING_SECRET_PARAMETER = '/coalmine/dev/slack/signing-secret';
    ssm.on(GetParameterCommand, { Name: '/coalmine/dev/slack/signing-secret', WithDecryption: true }).resolves({ Parameter: { Value: SIGNING_SECRET } });
    expect(slackAnswer(await call(slash('help'))).response_type).toBe('ephemeral');
    expect(slackAnswer(await call(slash('help'))).response_type).toBe('ephemeral');
    expect(ssm).toHaveReceivedCommandTimes(GetParameterCommand, 1);
    expect(JSON.stringify(logged)).not.toContain(SIGNING_SECRET);
  });

  test('SSM unavailable: a polite 200 that says nothing was done, no other AWS call', async () => {
    delete process.env.SLACK_SIGNING_SECRET;
    process.env.SLACK_SIGNING_SECRET_PARAMETER = '/coalmine/dev/slack/signing-secret';
    ssm.on(GetParameterCommand).rejects(Object.assign(new Error('slow down'), { name: 'ThrottlingException' }));
    runningCheckout();
    const answer = slackAnswer(await call(slash('rollback checkout')));
    expect(answer.text).toContain('cannot check that this request came from Slack right now');
    expect(writes()).toEqual([]);
    expect(sfn.calls()).toHaveLength(0);
  });

  test('no signing secret configured at all: the same polite answer, logged as a configuration error', async () => {
    delete process.env.SLACK_SIGNING_SECRET;
    const answer = slackAnswer(await call(slash('help')));
    expect(answer.text).toContain('signing secret could not be read');
    expect(logged.find((l) => l.level === 'error')?.args[1]).toMatchObject({ errorName: 'ConfigurationError' });
  });
});

// ---- help and mistakes ----------------------------------------------------------------------------

describe('help, and a helpful answer for every mistake (never a 500)', () => {
  test.each(['help', '', '   '])('"%s" → help', async (text) => {
    const answer = slackAnswer(await call(slash(text)));
    expect(answer.response_type).toBe('ephemeral');
    expect(shown(answer)).toContain('/coalmine rollback &lt;target&gt; [reason…]');
    expect(awsCallCount()).toBe(0);
  });

  test.each([
    { text: 'deploy checkout', says: '"deploy" is not a coalmine command' },
    { text: 'rollback', says: 'rollback needs to know what to roll back' },
    { text: 'promote checkout now please', says: 'promote takes only a target' },
    { text: 'rollback check<out>', says: 'contains "&lt;"' },
    { text: 'status a b', says: 'status takes at most one target' },
  ])('"$text"', async ({ text, says }) => {
    const answer = slackAnswer(await call(slash(text)));
    expect(answer.response_type).toBe('ephemeral');
    expect(shown(answer)).toContain(says);
    expect(writes()).toEqual([]);
  });

  test('a signed body that is not a slash command (no user) → a 200 explaining it', async () => {
    const answer = slackAnswer(await call(signedEvent('slash-command-rollback', { body: 'hello=world' })));
    expect(shown(answer)).toContain('the slash command is missing or has a bad');
    expect(awsCallCount()).toBe(0);
  });

  test('a signed interaction whose payload is not JSON → a 200 explaining it', async () => {
    const answer = slackAnswer(await call(signedEvent('button-rollback', { body: 'payload=%7Bnot-json' })));
    expect(shown(answer)).toContain('the interaction payload is not JSON');
  });

  test('AWS failing mid-command → a 200 that sends the user to status, with a reference; never a 500', async () => {
    sfn.on(ListExecutionsCommand).rejects(Object.assign(new Error('User is not authorized'), { name: 'AccessDeniedException' }));
    const answer = slackAnswer(await call(slash('status')));
    expect(shown(answer)).toContain('Check `status` before trying again');
    expect(shown(answer)).toContain('Vx2abcDEFgh1AAA=');
    expect(logged.find((l) => l.args[0] === 'slack command failed')?.args[1]).toMatchObject({ errorName: 'AccessDeniedException', path: 'sync' });
  });

  test('a missing STATE_MACHINE_ARN → a 200 error answer, the ConfigurationError logged', async () => {
    delete process.env.STATE_MACHINE_ARN;
    const answer = slackAnswer(await call(slash('status')));
    expect(shown(answer)).toContain('coalmine hit an error');
    expect(logged.find((l) => l.args[0] === 'slack command failed')?.args[1]).toMatchObject({ errorName: 'ConfigurationError' });
  });
});

// ---- status ----------------------------------------------------------------------------------------

describe('status (anyone may ask)', () => {
  test('nothing running', async () => {
    const answer = slackAnswer(await call(signedEvent('slash-command-status-base64')));
    expect(answer).toMatchObject({ response_type: 'ephemeral', text: 'Nothing is rolling out right now.' });
    expect(sfn).toHaveReceivedCommandWith(ListExecutionsCommand, { stateMachineArn: STATE_MACHINE_ARN, statusFilter: 'RUNNING' });
    expect(writes()).toEqual([]);
  });

  test('rollouts running: name, target, versions, step, weight, state, last analysis, buttons', async () => {
    runningCheckout({
      progress: progressAt(1, 50),
      analysis: { verdict: 'pass', action: 'advance', reason: 'step 1 at 10 %: the analysis passed: 1 alarm(s) OK', analyzedAt: new Date().toISOString() },
    });
    fake.addRunning({ name: 'search-7-20261122T1100', rollout: null });
    // bob, in #random, body base64-encoded by API Gateway: status is open to him.
    const answer = slackAnswer(await call(signedEvent('slash-command-status-base64')));
    const text = shown(answer);
    expect(text).toContain('2 rollouts in progress');
    expect(text).toContain('*checkout* · `checkout:live` · version 41 → 42');
    expect(text).toContain('Step 2 of 2 at *50 %* · baking until <!date^');
    expect(text).toContain('Last analysis: :white_check_mark: step 1 at 10 %: the analysis passed');
    expect(text).toContain('*checkout:live*\nChecking the target and alarms (preflight)');
    expect(answer.blocks).toContainEqual(expect.objectContaining({ type: 'actions', elements: expect.arrayContaining([expect.objectContaining({ action_id: 'coalmine.rollback', value: EXECUTION })]) }));
    expect(sfn).toHaveReceivedCommandWith(GetExecutionHistoryCommand, { executionArn: fake.arnOf(EXECUTION), reverseOrder: true, includeExecutionData: true });
    expect(writes()).toEqual([]);
  });

  test.each(['checkout', 'checkout:live', EXECUTION])('status %s picks that rollout', async (target) => {
    runningCheckout();
    fake.addRunning({ name: 'search-7-20261122T1100', rollout: rolloutFor({ name: 'search', functionName: 'search', executionName: 'search-7-20261122T1100' }) });
    const text = shown(slackAnswer(await call(slash(`status ${target}`, { user_id: BOB, channel_id: 'C0RANDOM99' }))));
    expect(text).toContain('Status of checkout');
    expect(text).not.toContain('search');
  });

  test('a target an ended rollout left split, with nothing running on it, is listed (issue 10 part 3)', async () => {
    // A promote stopped the execution and then could not complete: the alias still sends 10 % to 42.
    runningCheckout({ stopped: { error: 'ManualPromote', cause: 'Promotion requested from Slack by alice (U0ALICE123).' } });
    const answer = slackAnswer(await call(slash('status')));
    expect(shown(answer)).toContain('Nothing is rolling out right now.');
    expect(shown(answer)).toContain(
      `*checkout:live* is left at 10 % on the new version by execution \`${EXECUTION}\`, which ended ABORTED: ` +
        'a person promoted it, and the promotion did not complete. No rollout drives it; the reconciler returns it to 0 %.',
    );
    expect(writes()).toEqual([]);
  });

  test('a split target a running rollout drives is that rollout, not stranded; a target back at 0 % is not listed', async () => {
    runningCheckout({ stopped: { error: 'ManualPromote' } });
    fake.addRunning({ name: 'checkout-43-20261122T1030', rollout: rolloutFor({ name: 'checkout', executionName: 'checkout-43-20261122T1030' }) });
    expect(shown(slackAnswer(await call(slash('status'))))).not.toContain('is left at');
    fake.executions.pop();
    fake.alias = { FunctionVersion: '41', weights: {}, revision: fake.alias.revision + 1 };
    expect(shown(slackAnswer(await call(slash('status'))))).not.toContain('is left at');
  });

  test('status of an unknown target lists what is running', async () => {
    runningCheckout();
    const text = shown(slackAnswer(await call(slash('status payments'))));
    expect(text).toContain('No running rollout is called `payments`. Running now: `checkout` (checkout:live, execution checkout-42-20261122T1000)');
  });
});

// ---- rollback -------------------------------------------------------------------------------------

describe('rollback', () => {
  test('by an allowed user in an allowed channel: verified rollback, then StopExecution naming the user and the reason', async () => {
    runningCheckout();
    const answer = slackAnswer(await call(signedEvent('slash-command-rollback')));

    expect(lambda).toHaveReceivedCommandWith(UpdateAliasCommand, {
      FunctionName: 'checkout',
      Name: 'live',
      FunctionVersion: '41',
      RoutingConfig: { AdditionalVersionWeights: {} },
      RevisionId: 'rev-2',
    });
    expect(sfn).toHaveReceivedCommandWith(StopExecutionCommand, {
      executionArn: fake.arnOf(EXECUTION),
      error: 'ManualRollback',
      cause: expect.stringMatching(
        /^Rollback requested from Slack by alice \(U0ALICE123\) in C0DEPLOYS1: error rate doubled after v42\. Rolled back: checkout:live sends all traffic to version 41 again \(was 10 % on 42\)\. Rollback latency: \d+ ms from the command to a verified 0 % \(.+Z\)\.\ncoalmine-facts: \{"requester":\{"kind":"slack","userId":"U0ALICE123","userName":"alice","channelId":"C0DEPLOYS1"\},"rollbackLatencyMs":\d+\}$/,
      ),
    });
    expect(fake.alias).toMatchObject({ FunctionVersion: '41', weights: {} });
    expect(fake.executions[0]!.stopped?.error).toBe('ManualRollback');

    expect(answer.response_type).toBe('in_channel');
    expect(shown(answer)).toContain(':rewind: <@U0ALICE123> rolled back *checkout*: all traffic is on the stable version again.');
    expect(shown(answer)).toContain('Execution `checkout-42-20261122T1000` stopped with `ManualRollback`');
    expect(commandLogs()).toEqual([
      expect.objectContaining({ user: ALICE, channel: DEPLOYS, subcommand: 'rollback', target: 'checkout:live', outcome: 'rolled-back', path: 'sync' }),
    ]);
  });

  test('the rollback reaches 0 % before the execution is stopped', async () => {
    runningCheckout();
    const sequence: string[] = [];
    lambda.on(UpdateAliasCommand).callsFake(async (input: { FunctionVersion: string; RevisionId: string }) => {
      sequence.push('UpdateAlias');
      fake.alias = { FunctionVersion: input.FunctionVersion, weights: {}, revision: fake.alias.revision + 1 };
      return {};
    });
    fake.beforeGetAlias = () => {
      if (fake.executions[0]!.stopped !== undefined) sequence.push('GetAlias after stop');
    };
    await call(slash('rollback checkout'));
    expect(sequence[0]).toBe('UpdateAlias');
    expect(sfn.commandCalls(StopExecutionCommand)).toHaveLength(1);
    // After the stop, one more look at the target for a write that was in flight.
    expect(sequence).toContain('GetAlias after stop');
  });

  test.each([
    { who: 'a user not on the list', fields: { user_id: BOB, user_name: 'bob' }, says: 'you (<@U0BOB45678>, member ID U0BOB45678) are not on the list', refusal: 'user-not-allowed' },
    { who: 'an allowed user in another channel', fields: { channel_id: 'C0RANDOM99' }, says: 'this one (C0RANDOM99) is not one of them', refusal: 'channel-not-allowed' },
  ])('refused for $who: ephemeral, polite, no AWS call', async ({ fields, says, refusal }) => {
    runningCheckout();
    const answer = slackAnswer(await call(slash('rollback checkout', fields)));
    expect(answer.response_type).toBe('ephemeral');
    expect(shown(answer)).toContain('Sorry,');
    expect(shown(answer)).toContain(says);
    expect(awsCallCount()).toBe(0);
    expect(commandLogs()[0]).toMatchObject({ outcome: `refused:${refusal}` });
  });

  test('malformed allowlists: rollback refused with a clear answer and one logged ConfigurationError; status still works', async () => {
    process.env.SLACK_ALLOWED_USERS = '@alice';
    runningCheckout();
    const refused = slackAnswer(await call(slash('rollback checkout')));
    expect(shown(refused)).toContain("coalmine's Slack access lists are misconfigured, so nobody can run `rollback`");
    expect(writes()).toEqual([]);
    await call(slash('rollback checkout'));
    const errors = logged.filter((l) => l.level === 'error' && String(l.args[0]).startsWith('Slack access lists are misconfigured'));
    expect(errors).toHaveLength(1);
    expect(errors[0]!.args[1]).toMatchObject({ errorName: 'ConfigurationError', errorMessage: expect.stringContaining('SLACK_ALLOWED_USERS: entry 1, "@alice", is a display name') });
    expect(slackAnswer(await call(slash('status'))).text).toContain('1 rollout in progress');
  });

  test('an empty allowlist means nobody', async () => {
    process.env.SLACK_ALLOWED_USERS = '';
    runningCheckout();
    expect(shown(slackAnswer(await call(slash('rollback checkout'))))).toContain('the user allowlist is empty');
    expect(awsCallCount()).toBe(0);
  });

  test('no rollout running', async () => {
    const answer = slackAnswer(await call(slash('rollback checkout')));
    expect(answer.response_type).toBe('ephemeral');
    expect(answer.text).toBe('Nothing is rolling out right now, and no rollout that ended is called `checkout`, so there is nothing to roll back.');
    expect(writes()).toEqual([]);
  });

  test('an unknown target', async () => {
    runningCheckout();
    const answer = slackAnswer(await call(slash('rollback payments')));
    expect(answer.text).toContain('No running rollout is called `payments`. Running now: `checkout`');
    expect(writes()).toEqual([]);
  });

  test('a name two running rollouts share: ambiguous, pick by execution', async () => {
    runningCheckout();
    fake.addRunning({ name: 'checkout-43-20261122T1005', rollout: rolloutFor({ name: 'checkout', executionName: 'checkout-43-20261122T1005', version: '43' }) });
    const answer = slackAnswer(await call(slash('rollback checkout')));
    expect(answer.text).toContain('`checkout` names 2 running rollouts');
    expect(writes()).toEqual([]);
  });

  test('a rollout still in preflight is stopped before any traffic moves', async () => {
    fake.addRunning({ name: 'checkout-44-20261122T1010', rollout: null });
    const answer = slackAnswer(await call(slash('rollback checkout-44-20261122T1010')));
    // Before planning, the rollout is named from its raw request.
    expect(shown(answer)).toContain('stopped *checkout:live* before any traffic moved');
    expect(lambda).not.toHaveReceivedCommand(UpdateAliasCommand);
    expect(sfn).toHaveReceivedCommandWith(StopExecutionCommand, {
      error: 'ManualRollback',
      cause:
        'Rollback requested from Slack by alice (U0ALICE123) in C0DEPLOYS1 (no reason given). Stopped before any traffic moved: Preflight had not finished.\n' +
        `coalmine-facts: {"requester":{"kind":"slack","userId":"U0ALICE123","userName":"alice","channelId":"C0DEPLOYS1"}}`,
    });
  });

  describe('a cloudfront-kvs rollout stopped in Preflight: what its Preflight takes after the stop', () => {
    const STOREFRONT = 'storefront-7-20261122T1015';
    const KVS_ARN = 'arn:aws:cloudfront::123456789012:key-value-store/327284aa-bcd5-499f-a3ff-26b9a9d31b58';
    const IDLE = { green_percentage: '0', blue_cidrs: '[]', green_cidrs: '[]' };
    const lockOf = (executionName: string) => JSON.stringify({ executionName, since: '2026-11-22T10:15:01.000Z' });

    test.each([
      { case: 'its own lock is released', holder: STOREFRONT, after: IDLE, released: 1 },
      { case: "another rollout's lock (its Preflight was refused) is left alone", holder: 'storefront-6-20261122T0900', after: { ...IDLE, coalmine_lock: lockOf('storefront-6-20261122T0900') }, released: 0 },
    ])('$case', async ({ holder, after, released }) => {
      fake.store = { ...IDLE };
      fake.addRunning({
        name: STOREFRONT,
        rollout: null,
        request: { name: 'storefront', target: { type: 'cloudfront-kvs', kvsArn: KVS_ARN }, strategy: { preset: 'canary10-5m' }, analysis: { alarms: ['storefront-5xx'] } },
      });
      sfn.on(StopExecutionCommand).callsFake(async (input: { error: string; cause: string }) => {
        fake.executions[0]!.stopped = { error: input.error, cause: input.cause };
        // The Preflight invocation, still running, gets to its lock write after the stop.
        fake.store.coalmine_lock = lockOf(holder);
        return {};
      });

      const answer = slackAnswer(await call(slash(`rollback ${STOREFRONT}`)));

      expect(shown(answer)).toContain('stopped *storefront* before any traffic moved');
      expect(sfn).toHaveReceivedCommandWith(StopExecutionCommand, { error: 'ManualRollback', cause: expect.stringContaining('Stopped before any traffic moved') });
      expect(fake.store).toEqual(after);
      expect(writes()).toEqual(['StopExecution', ...Array<string>(released).fill('UpdateKeys')]);
    });
  });

  test.each(['rollback', 'promote'])('%s of a rollout whose history cannot be read: neither moved nor stopped', async (verb) => {
    runningCheckout({ truncatedPreflight: true });
    const answer = slackAnswer(await call(slash(`${verb} ${EXECUTION}`)));
    expect(shown(answer)).toContain('cannot tell from the execution');
    expect(writes()).toEqual([]);
  });

  test('a rollback that cannot be verified leaves the execution running and says a person must act', async () => {
    runningCheckout();
    // Something keeps putting 10 % back: the rollback never reads 0 %.
    fake.beforeGetAlias = (alias) => {
      alias.weights = { '42': 0.1 };
    };
    const answer = slackAnswer(await call(slash('rollback checkout')));
    expect(sfn).not.toHaveReceivedCommand(StopExecutionCommand);
    expect(answer.response_type).toBe('in_channel');
    expect(shown(answer)).toContain('did not complete');
    expect(shown(answer)).toContain('*A person must act:*');
    expect(commandLogs()[0]).toMatchObject({ outcome: 'failed' });
  });

  test('a traffic write in flight at the stop lands late: it is rolled back again and the answer says so', async () => {
    runningCheckout({ openInvocation: { state: 'ShiftTraffic', scheduledAt: new Date(Date.now() - 120_000), timeoutSeconds: 60 } });
    fake.beforeGetAlias = (alias) => {
      // The in-flight ShiftTraffic lands right after the stop.
      if (fake.executions[0]!.stopped !== undefined && !landed) {
        landed = true;
        alias.weights = { '42': 0.5 };
        alias.revision += 1;
      }
    };
    let landed = false;
    const answer = slackAnswer(await call(slash('rollback checkout')));
    expect(lambda.commandCalls(UpdateAliasCommand)).toHaveLength(2);
    expect(fake.alias.weights).toEqual({});
    expect(shown(answer)).toContain('landed after the stop; coalmine rolled it back again');
  });
});

// ---- promote ----------------------------------------------------------------------------------------

describe('promote', () => {
  test('stops the execution first (ManualPromote, naming the user), then promotes the alias, verified', async () => {
    runningCheckout();
    const sequence: string[] = [];
    sfn.on(StopExecutionCommand).callsFake(async (input: { error: string; cause: string }) => {
      sequence.push('StopExecution');
      fake.executions[0]!.stopped = { error: input.error, cause: input.cause };
      return {};
    });
    lambda.on(UpdateAliasCommand).callsFake(async (input: { FunctionVersion: string }) => {
      sequence.push('UpdateAlias');
      fake.alias = { FunctionVersion: input.FunctionVersion, weights: {}, revision: fake.alias.revision + 1 };
      return {};
    });
    const answer = slackAnswer(await call(slash('promote checkout')));
    expect(sequence).toEqual(['StopExecution', 'UpdateAlias']);
    expect(sfn).toHaveReceivedCommandWith(StopExecutionCommand, {
      executionArn: fake.arnOf(EXECUTION),
      error: 'ManualPromote',
      cause:
        'Promotion requested from Slack by alice (U0ALICE123) in C0DEPLOYS1 (no reason given). Skipping the remaining steps and analysis: ' +
        'coalmine stops this execution, then sends all traffic to the new version.\n' +
        `coalmine-facts: {"requester":{"kind":"slack","userId":"U0ALICE123","userName":"alice","channelId":"C0DEPLOYS1"}}`,
    });
    expect(lambda).toHaveReceivedCommandWith(UpdateAliasCommand, { FunctionName: 'checkout', Name: 'live', FunctionVersion: '42', RoutingConfig: { AdditionalVersionWeights: {} } });
    expect(answer.response_type).toBe('in_channel');
    expect(shown(answer)).toContain(':rocket: <@U0ALICE123> promoted *checkout*: all traffic is on the new version');
    expect(shown(answer)).toContain('from 10 % to a verified 100 %');
  });

  describe('after the stop, the target is never left split (issue 10 part 3)', () => {
    const throttled = () => Object.assign(new Error('Rate exceeded'), { name: 'TooManyRequestsException', $metadata: { httpStatusCode: 429 } });
    /** The command through the real handler, with a virtual clock so that the retries' waits take no time. */
    async function promoteVirtually(): Promise<SlackResponse> {
      let virtual = Date.now();
      return slackAnswer(
        await handleSlackRequest(slash('promote checkout'), {
          clock: { now: () => new Date(virtual), sleep: async (ms) => void (virtual += ms) },
          syncBudgetMs: Number.POSITIVE_INFINITY,
        }),
      );
    }
    /** UpdateAlias to `version` throttled `times` times (or always), then the fake's own behaviour. */
    function throttleUpdates(version: string, times: number): { calls: string[] } {
      const calls: string[] = [];
      let left = times;
      lambda.on(UpdateAliasCommand).callsFake(async (input: { FunctionVersion: string; RoutingConfig?: { AdditionalVersionWeights?: Record<string, number> }; RevisionId?: string }) => {
        calls.push(input.FunctionVersion);
        if (input.FunctionVersion === version && left > 0) {
          left -= 1;
          throw throttled();
        }
        if (input.RevisionId !== `rev-${fake.alias.revision}`) throw Object.assign(new Error('stale revision'), { name: 'PreconditionFailedException' });
        fake.alias = { FunctionVersion: input.FunctionVersion, weights: { ...(input.RoutingConfig?.AdditionalVersionWeights ?? {}) }, revision: fake.alias.revision + 1 };
        return { FunctionVersion: input.FunctionVersion, RevisionId: `rev-${fake.alias.revision}` };
      });
      return { calls };
    }

    test('five UpdateAlias throttles after StopExecution: retried hard, promoted and verified at 100 %', async () => {
      runningCheckout();
      const { calls } = throttleUpdates('42', 5);
      const answer = await promoteVirtually();
      expect(calls).toEqual(['42', '42', '42', '42', '42', '42']);
      expect(fake.alias).toMatchObject({ FunctionVersion: '42', weights: {} });
      expect(shown(answer)).toContain('promoted *checkout*');
    });

    test('a promotion that cannot complete: coalmine rolls the target back to 0 % and says so', async () => {
      runningCheckout();
      const { calls } = throttleUpdates('42', Number.POSITIVE_INFINITY);
      const answer = await promoteVirtually();
      expect(calls.filter((v) => v === '42')).toHaveLength(20);
      expect(calls.at(-1)).toBe('41');
      expect(fake.alias).toMatchObject({ FunctionVersion: '41', weights: {} });
      expect(answer.response_type).toBe('in_channel');
      expect(shown(answer)).toContain('did not complete');
      expect(shown(answer)).toContain('coalmine rolled the target back to 0 %: all traffic is on the stable version');
    });

    test('neither the promotion nor the rollback lands: the person is told the reconciler takes it to 0 %', async () => {
      runningCheckout();
      lambda.on(UpdateAliasCommand).rejects(throttled());
      const answer = await promoteVirtually();
      expect(fake.alias.weights).toEqual({ '42': 0.1 });
      expect(shown(answer)).toContain('the reconciler returns the target to 0 %');
    });
  });

  test('a rollout already rolling back is not promoted, and not stopped', async () => {
    runningCheckout({ state: 'RollBack' });
    const answer = slackAnswer(await call(slash('promote checkout')));
    expect(answer.response_type).toBe('ephemeral');
    expect(answer.text).toContain('is already rolling back (rolling back); coalmine does not promote over a rollback');
    expect(writes()).toEqual([]);
  });

  test('a rollout in preflight has nothing to promote yet', async () => {
    fake.addRunning({ name: 'checkout-44-20261122T1010', rollout: null });
    const answer = slackAnswer(await call(slash('promote checkout-44-20261122T1010')));
    expect(answer.text).toContain('is still in preflight');
    expect(writes()).toEqual([]);
  });

  test('refused for a user not on the list, before any AWS call', async () => {
    runningCheckout();
    slackAnswer(await call(slash('promote checkout', { user_id: BOB })));
    expect(awsCallCount()).toBe(0);
  });
});

describe('a replayed request never reaches a rollout started after it was signed', () => {
  /** A captured request, signed 60 s ago (inside the 300 s window, so it verifies again). */
  function captured(text: string): APIGatewayProxyEventV2 {
    return signedEvent('slash-command-rollback', { body: slashBody({ text }), timestamp: Math.floor(Date.now() / 1000) - 60 });
  }

  test.each([
    ['promote checkout', 'promote'],
    ['rollback checkout p99 doubled', 'roll it back'],
  ])('%s replayed against a newer execution of the same name: refused, nothing written', async (text, verb) => {
    // The execution the request was meant for has ended; a newer one of the same name started 30 s ago.
    fake.addRunning({ name: 'checkout-43-20261122T1030', rollout: rolloutFor({ name: 'checkout', executionName: 'checkout-43-20261122T1030' }), startDate: new Date(Date.now() - 30_000) });
    const answer = slackAnswer(await call(captured(text)));
    expect(writes()).toEqual([]);
    expect(answer.response_type).toBe('ephemeral');
    expect(shown(answer)).toContain('`checkout` (checkout:live, execution checkout-43-20261122T1030) started after this request was sent');
    expect(shown(answer)).toContain(`so coalmine did not ${verb}`);
    expect(commandLogs()[0]).toMatchObject({ outcome: 'no-match:started-after-request' });
  });

  test('the same captured request still acts on the execution that was running when it was signed', async () => {
    runningCheckout();
    const answer = slackAnswer(await call(captured('promote checkout')));
    expect(writes()).toEqual(['StopExecution', 'UpdateAlias']);
    expect(shown(answer)).toContain('promoted *checkout*');
  });

  test('an execution started in the same second as the signed timestamp counts as running then; one a second later does not', async () => {
    const signedAt = Math.floor(Date.now() / 1000) - 60;
    const event = signedEvent('slash-command-rollback', { body: slashBody({ text: 'promote checkout' }), timestamp: signedAt });
    const execution = fake.addRunning({ name: EXECUTION, rollout: rolloutFor({ name: 'checkout', executionName: EXECUTION }), startDate: new Date(signedAt * 1000 + 1_000) });
    expect(slackAnswer(await call(event)).text).toContain('started after this request was sent');
    execution.startDate.setTime(signedAt * 1000 + 999);
    expect(shown(slackAnswer(await call(event)))).toContain('promoted *checkout*');
  });

  test('the hand-over carries the signed time under its signature, and the async run refuses the newer execution too', async () => {
    process.env.SLACK_SYNC_BUDGET_MS = '100';
    fake.listDelayMs = 400;
    const signedAt = Math.floor(Date.now() / 1000) - 60;
    slackAnswer(await call(signedEvent('slash-command-rollback', { body: slashBody({ text: 'rollback checkout' }), timestamp: signedAt })));
    const work = JSON.parse(Buffer.from(lambda.commandCalls(InvokeCommand)[0]!.args[0].input.Payload as Uint8Array).toString('utf8')) as SlackWork;
    await new Promise((resolve) => setTimeout(resolve, 450));
    fake.listDelayMs = 0;
    expect(work.signedAtMs).toBe(signedAt * 1000);
    // Moving the bound forward breaks the signature.
    await expect(handler({ ...work, signedAtMs: Date.now() }, context)).resolves.toEqual({ outcome: 'bad-signature', posted: false });
    fake.addRunning({ name: 'checkout-43-20261122T1030', rollout: rolloutFor({ name: 'checkout', executionName: 'checkout-43-20261122T1030' }), startDate: new Date(Date.now() - 10_000) });
    await expect(handler(work, context)).resolves.toEqual({ outcome: 'no-match:started-after-request', posted: true });
    expect(writes()).toEqual(['Invoke']);
  });
});

// ---- buttons ------------------------------------------------------------------------------------

describe('the "Roll back" button (block_actions)', () => {
  test('is verified the same way, acknowledged with an empty 200, and answered on its response_url', async () => {
    runningCheckout();
    const result = await call(signedEvent('button-rollback', { body: buttonBody((p) => ((p.actions as Array<{ value: string }>)[0]!.value = EXECUTION)) }));
    expect(result).toEqual({ statusCode: 200, body: '' });
    expect(sfn).toHaveReceivedCommandWith(StopExecutionCommand, { error: 'ManualRollback', cause: expect.stringContaining('Rollback requested from Slack by alice (U0ALICE123) in C0DEPLOYS1 (no reason given).') });
    expect(posts).toHaveLength(1);
    expect(posts[0]!.url).toBe('https://hooks.slack.com/actions/T0ABCD1234/1234567890126/abcdEFGHijklMNOPqrstUVWZ');
    const body = JSON.parse(posts[0]!.body) as SlackResponse & { replace_original: boolean };
    expect(body).toMatchObject({ response_type: 'in_channel', replace_original: false });
    expect(body.text).toContain(':rewind: <@U0ALICE123> rolled back *checkout*');
    expect(commandLogs()[0]).toMatchObject({ via: 'button', target: EXECUTION, outcome: 'rolled-back' });
    // The response_url is a credential of sorts: never logged.
    expect(JSON.stringify(logged)).not.toContain('hooks.slack.com/actions');
  });

  test('pressed by someone not on the list: the refusal goes to the response_url, nothing else happens', async () => {
    runningCheckout();
    const result = await call(signedEvent('button-rollback', { body: buttonBody((p) => ((p.user as { id: string }).id = BOB)) }));
    expect(result).toEqual({ statusCode: 200, body: '' });
    expect(awsCallCount()).toBe(0);
    expect((JSON.parse(posts[0]!.body) as SlackResponse).text).toContain('not on the list');
  });

  test('a forged button press: 401, no post', async () => {
    runningCheckout();
    const result = await call(signedEvent('button-rollback', { secret: 'guess' }));
    expect(result.statusCode).toBe(401);
    expect(posts).toEqual([]);
    expect(awsCallCount()).toBe(0);
  });
});

describe('the gate\'s buttons and /coalmine approve', () => {
  const TOKEN = 'AQCEAAAAKgAAAAMAAAAAAAAAAfake-gate-token';
  const GATE = { token: TOKEN, step: { index: 1, weight: 50, extraBakes: 0 }, gate: { kind: 'approval' as const, timeoutSeconds: 3600, onTimeout: 'rollback' as const, then: 'promote' as const } };
  const press = (actionId: string, user = ALICE) =>
    signedEvent('button-rollback', {
      body: buttonBody((p) => {
        (p.actions as Array<{ action_id: string; value: string }>)[0]! = { ...(p.actions as Array<{ action_id: string; value: string }>)[0]!, action_id: actionId, value: EXECUTION };
        (p.user as { id: string }).id = user;
      }),
    });

  test('Approve answers the gate with SendTaskSuccess: who approved, from where, never the token in a message or log', async () => {
    runningCheckout({ state: 'AwaitApproval', progress: progressAt(1, 50), gate: GATE });
    const result = await call(press('coalmine.approve'));

    expect(result).toEqual({ statusCode: 200, body: '' });
    expect(sfn).toHaveReceivedCommandTimes(SendTaskSuccessCommand, 1);
    const sent = sfn.commandCalls(SendTaskSuccessCommand)[0]!.args[0].input;
    expect(sent.taskToken).toBe(TOKEN);
    expect(JSON.parse(sent.output ?? '')).toEqual({ decision: 'approved', by: 'alice (U0ALICE123) in C0DEPLOYS1', via: 'Slack', at: expect.any(String) });
    expect(sfn).toHaveReceivedCommandWith(GetExecutionHistoryCommand, { executionArn: fake.arnOf(EXECUTION), reverseOrder: true, includeExecutionData: true });
    expect(writes()).toEqual(['SendTaskSuccess']);
    const body = JSON.parse(posts[0]!.body) as SlackResponse;
    expect(body).toMatchObject({ response_type: 'in_channel' });
    expect(body.text).toBe(':white_check_mark: <@U0ALICE123> approved *checkout* at step 2 (50 %): the rollout moves on.');
    expect(commandLogs()[0]).toMatchObject({ via: 'button', target: EXECUTION, outcome: 'approved' });
    expect(JSON.stringify([logged, posts])).not.toContain(TOKEN);
  });

  test('Roll back at the gate answers with SendTaskFailure ApprovalRejected, naming the person', async () => {
    runningCheckout({ state: 'AwaitApproval', progress: progressAt(1, 50), gate: GATE });
    await call(press('coalmine.reject'));

    expect(sfn).toHaveReceivedCommandWith(SendTaskFailureCommand, {
      taskToken: TOKEN,
      error: 'ApprovalRejected',
      cause: 'Rolled back at the approval gate of step 2 (50 %) from Slack by alice (U0ALICE123) in C0DEPLOYS1.',
    });
    expect(writes()).toEqual(['SendTaskFailure']);
    expect((JSON.parse(posts[0]!.body) as SlackResponse).text).toBe(':rewind: <@U0ALICE123> rolled *checkout* back at step 2 (50 %): all traffic goes back to the stable version.');
  });

  test('/coalmine approve on a rollout that bakes has nothing to approve, and changes nothing', async () => {
    runningCheckout();
    const answer = slackAnswer(await call(slash(`approve ${EXECUTION}`)));

    expect(answer.response_type).toBe('ephemeral');
    expect(shown(answer)).toContain('Nothing to approve: *checkout* is not waiting at a gate (it is baking).');
    expect(writes()).toEqual([]);
  });

  test('a late Approve, after the gate closed (it timed out, or an alarm stopped the execution), finds nothing to approve', async () => {
    runningCheckout({ state: 'AwaitApproval', progress: progressAt(1, 50), gate: GATE, gateClosed: true });
    await call(press('coalmine.approve'));

    expect((JSON.parse(posts[0]!.body) as SlackResponse).text).toMatch(/^Nothing to approve: the gate of \*checkout\* closed before your answer reached it/);
  });

  test('pressed by someone not on the list: refused, no AWS call', async () => {
    runningCheckout({ state: 'AwaitApproval', progress: progressAt(1, 50), gate: GATE });
    await call(press('coalmine.approve', BOB));

    expect(awsCallCount()).toBe(0);
    expect((JSON.parse(posts[0]!.body) as SlackResponse).text).toContain('not on the list of people who may run `approve`');
  });
});

// ---- the 3 s deadline -------------------------------------------------------------------------------

describe("Slack's 3 s: past the deadline, hand over to an asynchronous invocation", () => {
  beforeEach(() => {
    process.env.SLACK_SYNC_BUDGET_MS = '100';
  });

  async function handOver(text: string): Promise<{ answer: SlackResponse; work: SlackWork }> {
    fake.listDelayMs = 400;
    const answer = slackAnswer(await call(slash(text)));
    const invokes = lambda.commandCalls(InvokeCommand);
    expect(invokes).toHaveLength(1);
    const input = invokes[0]!.args[0].input;
    expect(input).toMatchObject({ FunctionName: FUNCTION_NAME, InvocationType: 'Event' });
    const work = JSON.parse(Buffer.from(input.Payload as Uint8Array).toString('utf8')) as SlackWork;
    // Let the abandoned attempt reach its next step and give up.
    await new Promise((resolve) => setTimeout(resolve, 450));
    fake.listDelayMs = 0;
    return { answer, work };
  }

  test('rollback: acknowledged at once, Lambda Invoke (Event) with the verified command; the async run rolls back and posts to response_url', async () => {
    runningCheckout();
    const { answer, work } = await handOver('rollback checkout error rate doubled');
    expect(answer.response_type).toBe('in_channel');
    expect(answer.text).toBe(':hourglass_flowing_sand: Rolling back `checkout` for <@U0ALICE123>…');
    expect(work).toMatchObject({
      kind: 'coalmine.slack-command',
      version: 1,
      command: { subcommand: { name: 'rollback', target: 'checkout', reason: 'error rate doubled' }, origin: { userId: ALICE, channelId: DEPLOYS, via: 'slash-command' } },
      receivedAtMs: expect.any(Number),
      signature: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    // The abandoned attempt stopped before moving anything.
    expect(writes()).toEqual(['Invoke']);
    expect(commandLogs()[0]).toMatchObject({ outcome: 'handed-over', path: 'handoff', budgetMs: 100 });

    await expect(handler(work, context)).resolves.toEqual({ outcome: 'rolled-back', posted: true });
    expect(sfn).toHaveReceivedCommandWith(StopExecutionCommand, { error: 'ManualRollback', cause: expect.stringContaining('alice (U0ALICE123) in C0DEPLOYS1: error rate doubled.') });
    expect(fake.alias.weights).toEqual({});
    expect(posts).toHaveLength(1);
    expect(posts[0]!.url).toBe('https://hooks.slack.com/commands/T0ABCD1234/1234567890123/abcdEFGHijklMNOPqrstUVWX');
    const posted = JSON.parse(posts[0]!.body) as SlackResponse & { replace_original: boolean };
    expect(posted).toMatchObject({ response_type: 'in_channel', replace_original: false });
    expect(posted.text).toContain('rolled back *checkout*');
    expect(commandLogs()[1]).toMatchObject({ outcome: 'rolled-back', path: 'async' });
  });

  test('status: acknowledged ephemerally, the answer posted later', async () => {
    runningCheckout();
    const { answer, work } = await handOver('status');
    expect(answer).toMatchObject({ response_type: 'ephemeral', text: 'Still reading the rollouts; the answer follows here.' });
    await handler(work, context);
    expect((JSON.parse(posts[0]!.body) as SlackResponse).text).toContain('1 rollout in progress');
  });

  test('the async run after an attempt that already stopped the execution only finishes the job', async () => {
    const execution = runningCheckout();
    const { work } = await handOver('rollback checkout');
    // As if the first attempt had gone as far as the stop before the deadline.
    fake.alias = { FunctionVersion: '41', weights: {}, revision: 9 };
    execution.stopped = { error: 'ManualRollback', cause: 'Rollback requested from Slack by alice (U0ALICE123) in C0DEPLOYS1. Rolled back: checkout:live sends all traffic to version 41 again (was 10 % on 42).' };
    const resumed = signWork({ ...work, execution: { arn: fake.arnOf(EXECUTION), name: EXECUTION } }, SIGNING_SECRET);
    await expect(handler(resumed, context)).resolves.toEqual({ outcome: 'rolled-back', posted: true });
    expect(sfn).not.toHaveReceivedCommand(StopExecutionCommand);
    expect(lambda).not.toHaveReceivedCommand(UpdateAliasCommand);
    expect(lambda).toHaveReceivedCommand(GetAliasCommand);
    expect((JSON.parse(posts[0]!.body) as SlackResponse).text).toContain('rolled back *checkout*');
  });

  test('a hand-over whose signature does not match is ignored: no AWS call, no post', async () => {
    runningCheckout();
    const { work } = await handOver('rollback checkout');
    lambda.resetHistory();
    sfn.resetHistory();
    const tampered = { ...work, command: { ...work.command, origin: { ...work.command.origin, userId: BOB } } };
    await expect(handler(tampered, context)).resolves.toEqual({ outcome: 'bad-signature', posted: false });
    expect(sfn.calls()).toHaveLength(0);
    expect(posts).toEqual([]);
  });

  test('a hand-over older than 5 minutes is not acted on; the user is told', async () => {
    runningCheckout();
    const { work } = await handOver('rollback checkout');
    sfn.resetHistory();
    const old = signWork({ ...work, receivedAtMs: Date.now() - 6 * 60_000 }, SIGNING_SECRET);
    await expect(handler(old, context)).resolves.toEqual({ outcome: 'expired', posted: true });
    expect(sfn.calls()).toHaveLength(0);
    expect((JSON.parse(posts[0]!.body) as SlackResponse).text).toContain('so it did nothing');
  });

  test('the allowlist decides again in the async run', async () => {
    runningCheckout();
    const { work } = await handOver('rollback checkout');
    process.env.SLACK_ALLOWED_USERS = 'U0CAROL999';
    sfn.resetHistory();
    await expect(handler(work, context)).resolves.toEqual({ outcome: 'refused:user-not-allowed', posted: true });
    expect(sfn.calls()).toHaveLength(0);
  });

  test('the self-invocation failing: an error answer that sends the user to status', async () => {
    runningCheckout();
    fake.listDelayMs = 400;
    lambda.on(InvokeCommand).rejects(Object.assign(new Error('not authorized to invoke'), { name: 'AccessDeniedException' }));
    const answer = slackAnswer(await call(slash('rollback checkout')));
    expect(shown(answer)).toContain('Check `status` before trying again');
    expect(logged.find((l) => l.args[0] === 'slack command failed')?.args[1]).toMatchObject({ path: 'handoff', errorName: 'AccessDeniedException' });
    await new Promise((resolve) => setTimeout(resolve, 450));
  });

  test('a button past the deadline: the acknowledgement and later the outcome both go to its response_url', async () => {
    process.env.SLACK_SYNC_BUDGET_MS = '500';
    runningCheckout();
    // 500 ms less the 400 ms kept for posting a button's answer: 100 ms for the work.
    fake.listDelayMs = 300;
    const result = await call(signedEvent('button-rollback', { body: buttonBody((p) => ((p.actions as Array<{ value: string }>)[0]!.value = EXECUTION)) }));
    expect(result).toEqual({ statusCode: 200, body: '' });
    expect(lambda).toHaveReceivedCommandWith(InvokeCommand, { InvocationType: 'Event' });
    expect((JSON.parse(posts[0]!.body) as SlackResponse).text).toBe(`:hourglass_flowing_sand: Rolling back \`${EXECUTION}\` for <@U0ALICE123>…`);
    await new Promise((resolve) => setTimeout(resolve, 350));
    fake.listDelayMs = 0;
    const work = JSON.parse(Buffer.from(lambda.commandCalls(InvokeCommand)[0]!.args[0].input.Payload as Uint8Array).toString('utf8')) as SlackWork;
    await handler(work, context);
    expect(posts).toHaveLength(2);
    expect(posts[1]!.url).toBe(posts[0]!.url);
    expect((JSON.parse(posts[1]!.body) as SlackResponse).text).toContain('rolled back *checkout*');
  });

  test.each(['2.5', '3000', 'fast'])('a malformed SLACK_SYNC_BUDGET_MS (%s) → a 200 error answer, nothing moved, the ConfigurationError naming it', async (value) => {
    process.env.SLACK_SYNC_BUDGET_MS = value;
    runningCheckout();
    const answer = slackAnswer(await call(slash('rollback checkout')));
    expect(shown(answer)).toContain('coalmine hit an error');
    expect(lambda).not.toHaveReceivedCommand(UpdateAliasCommand);
    expect(logged.find((l) => l.args[0] === 'slack command failed')?.args[1]).toMatchObject({
      errorName: 'ConfigurationError',
      errorMessage: `SLACK_SYNC_BUDGET_MS is "${value}"; it must be a whole number of milliseconds from 0 to 2800 (how long a Slack command may run in the request before it is handed over).`,
    });
  });

  test('within the budget, no hand-over: the answer is the outcome', async () => {
    process.env.SLACK_SYNC_BUDGET_MS = '2200';
    runningCheckout();
    const answer = slackAnswer(await call(slash('rollback checkout')));
    expect(answer.text).toContain('rolled back *checkout*');
    expect(lambda).not.toHaveReceivedCommand(InvokeCommand);
  });
});

test('every command is logged once with user, channel, target and outcome; never the body or the response_url', async () => {
  runningCheckout();
  await call(slash('status'));
  await call(slash('rollback checkout', { user_id: BOB }));
  await call(slash('rollback checkout'));
  expect(commandLogs().map((l) => [l.user, l.channel, l.subcommand, l.target, l.outcome])).toEqual([
    [ALICE, DEPLOYS, 'status', undefined, 'status:1'],
    [BOB, DEPLOYS, 'rollback', 'checkout', 'refused:user-not-allowed'],
    [ALICE, DEPLOYS, 'rollback', 'checkout', 'rolled-back'],
  ]);
  const everything = JSON.stringify(logged);
  expect(everything).not.toContain('response_url');
  expect(everything).not.toContain('hooks.slack.com');
  expect(everything).not.toContain('fakeVerificationToken000');
  expect(everything).not.toContain(SIGNING_SECRET);
});

test("the simulator's hook: a signed slash command at a virtual time, config given as options, no deadline", async () => {
  for (const key of ['SLACK_SIGNING_SECRET', 'SLACK_ALLOWED_USERS', 'SLACK_ALLOWED_CHANNELS']) delete process.env[key];
  const virtualNow = Date.parse('2026-11-22T10:07:00.000Z');
  runningCheckout({ startDate: new Date(virtualNow - 7 * 60_000) });
  const event = signedSlashCommandEvent(
    { text: 'rollback checkout the canary looks bad', userId: ALICE, userName: 'alice', channelId: DEPLOYS, responseUrl: 'https://hooks.slack.com/commands/T0SIM/1/sim' },
    { signingSecret: 'sim-secret', nowMs: virtualNow },
  );
  let virtual = virtualNow;
  const result = await handleSlackRequest(event, {
    now: () => virtual,
    clock: { now: () => new Date(virtual), sleep: async (ms) => void (virtual += ms) },
    signingSecret: 'sim-secret',
    access: { allowedUsers: [ALICE], allowedChannels: [DEPLOYS] },
    syncBudgetMs: Number.POSITIVE_INFINITY,
  });
  const answer = slackAnswer(result);
  expect(answer.text).toContain(':rewind: <@U0ALICE123> rolled back *checkout*');
  expect(sfn).toHaveReceivedCommandWith(StopExecutionCommand, {
    error: 'ManualRollback',
    cause: expect.stringContaining('Rollback requested from Slack by alice (U0ALICE123) in C0DEPLOYS1: the canary looks bad. Rolled back: checkout:live sends all traffic to version 41 again (was 10 % on 42). Rollback latency: 0 ms from the command to a verified 0 % (2026-11-22T10:07:00.000Z).'),
  });
  expect(lambda).not.toHaveReceivedCommand(InvokeCommand);
});
