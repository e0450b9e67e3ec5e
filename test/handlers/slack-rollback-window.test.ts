/**
 * `/coalmine rollback ROLLOUT` of a rollout that ended promoted (docs/rollback-window.md), through the Slack
 * function with API Gateway events signed as Slack signs them: the restore in one UpdateAlias carrying the
 * user and reason, its log line, the refusals (window closed with the start command, forward-only), a
 * request Slack did not sign, and a replayed request that names a rollout started after it was signed.
 */
import { UpdateAliasCommand } from '@aws-sdk/client-lambda';
import { StopExecutionCommand } from '@aws-sdk/client-sfn';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { handler } from '../../functions/slack-command';
import { logger } from '../../shared/handler';
import { localContext } from '../../sim/local-context';
import type { SlackResponse } from '../../shared/slack/responses';
import { forgetParameters } from '../../shared/aws/parameters';
import type { MetricRecord } from '../../shared/telemetry/records';
import { useMetricsSink } from '../../shared/telemetry/sink';
import { FUNCTION_NAME, FakeAws, SIGNING_SECRET, STATE_MACHINE_ARN, awsCallCount, lambda, progressAt, resetAws, rolloutFor, sfn, signedEvent, slashBody, writes } from './slack-support';

const context = localContext(FUNCTION_NAME);
const EXECUTION = 'checkout-42-20261122T1000';
const HOUR = 3_600_000;
const ENV = { SLACK_SIGNING_SECRET: SIGNING_SECRET, STATE_MACHINE_ARN, SLACK_ALLOWED_USERS: 'U0ALICE123', SLACK_ALLOWED_CHANNELS: 'C0DEPLOYS1', AWS_LAMBDA_FUNCTION_NAME: FUNCTION_NAME };

let fake: FakeAws;
let logged: Array<{ message: unknown; fields: Record<string, unknown> }>;

beforeEach(() => {
  Object.assign(process.env, ENV);
  resetAws();
  forgetParameters();
  fake = new FakeAws();
  fake.install();
  logged = [];
  for (const level of ['debug', 'info', 'warn', 'error'] as const) {
    jest.spyOn(logger, level).mockImplementation((...args: unknown[]) => void logged.push({ message: args[0], fields: (args[1] ?? {}) as Record<string, unknown> }));
  }
});

afterEach(() => {
  jest.restoreAllMocks();
  for (const key of Object.keys(ENV)) delete process.env[key];
});

/** checkout 41 → 42, ended promoted `endedAgoMs` ago (the fake ends an execution 10 minutes after its start), the alias on 42 alone. */
function promotedCheckout(endedAgoMs = HOUR, startedAt?: Date) {
  fake.addRunning({
    name: EXECUTION,
    rollout: rolloutFor({ name: 'checkout', executionName: EXECUTION }),
    progress: progressAt(2, 100),
    endedAs: 'SUCCEEDED',
    startDate: startedAt ?? new Date(Date.now() - endedAgoMs - 600_000),
  });
  fake.alias = { FunctionVersion: '42', weights: {}, revision: 7 };
}

async function answer(text: string, options: { timestamp?: number; secret?: string } = {}): Promise<{ result: APIGatewayProxyStructuredResultV2; response?: SlackResponse }> {
  const result = (await handler(signedEvent('slash-command-rollback', { body: slashBody({ text }), ...options }), context)) as APIGatewayProxyStructuredResultV2;
  return { result, ...(result.statusCode === 200 ? { response: JSON.parse(result.body ?? '') as SlackResponse } : {}) };
}

/** Everything a person sees in the answer. */
const shown = (response: SlackResponse | undefined): string =>
  [response?.text, ...(response?.blocks ?? []).flatMap((b) => (b.type === 'section' ? [b.text.text] : b.type === 'context' ? b.elements.map((e) => e.text) : []))].join('\n');

describe('/coalmine rollback of a rollout that ended promoted', () => {
  it('restores the previous version in one UpdateAlias that records the Slack user and the reason, tells the channel, and stops nothing', async () => {
    promotedCheckout();
    const published: MetricRecord[] = [];
    const restoreSink = useMetricsSink({ publish: (records) => void published.push(...records) });
    const { response } = await answer('rollback checkout p99 doubled an hour after promotion');
    restoreSink();

    expect(lambda).toHaveReceivedCommandWith(UpdateAliasCommand, {
      FunctionName: 'checkout',
      Name: 'live',
      FunctionVersion: '41',
      RoutingConfig: { AdditionalVersionWeights: {} },
      Description: expect.stringMatching(/^coalmine restored version 41 after checkout-42-20261122T1000 at \S+Z for alice \(U0ALICE123\) in C0DEPLOYS1: p99 doubled an hour after promotion$/),
      RevisionId: 'rev-7',
    });
    expect(writes()).toEqual(['UpdateAlias']);
    expect(sfn).not.toHaveReceivedCommand(StopExecutionCommand);
    expect(response?.response_type).toBe('in_channel');
    expect(shown(response)).toContain(':rewind: <@U0ALICE123> restored the previous version of *checkout*, which had ended promoted.');
    expect(shown(response)).toContain('checkout:live sends all traffic to version 41 again (was all on 42)');
    expect(shown(response)).toMatch(/recorded by alice \(U0ALICE123\) in C0DEPLOYS1 at \S+Z: p99 doubled an hour after promotion/);
    expect(logged).toContainEqual({
      message: 'rollback window: restored the previous version',
      fields: expect.objectContaining({ rollout: 'checkout', executionName: EXECUTION, requester: 'alice (U0ALICE123) in C0DEPLOYS1', reason: 'p99 doubled an hour after promotion' }),
    });
    expect(logged).toContainEqual({ message: 'slack command', fields: expect.objectContaining({ subcommand: 'rollback', target: 'checkout', outcome: 'restored' }) });
    expect(published).toEqual([
      { dimensionSets: [{ Rollout: 'checkout', TargetType: 'lambda-alias' }, {}, { Error: 'RestoredAfterPromotion' }], values: [{ metric: 'rolledBack', value: 1 }] },
      { dimensionSets: [{}], values: [{ metric: 'rollbackLatency', value: expect.any(Number) }] },
    ]);
  });

  it('after the window: only to the asker, with the start command of the old version as a code block, and nothing written', async () => {
    promotedCheckout(25 * HOUR);
    const { response } = await answer('rollback checkout');

    expect(response?.response_type).toBe('ephemeral');
    expect(shown(response)).toContain('its rollback window (1 d) closed at');
    expect(response?.blocks?.[1]).toEqual({
      type: 'section',
      text: { type: 'mrkdwn', text: expect.stringMatching(new RegExp(`^\`\`\`echo '\\{.*"version":"41".*\\}' \\| coalmine start --request - --name ${EXECUTION}-revert --state-machine ${STATE_MACHINE_ARN}\`\`\`$`)) },
    });
    expect(writes()).toEqual([]);
  });

  it('refuses an alias changed since the promotion, saying what it shows, and writes nothing', async () => {
    promotedCheckout();
    fake.alias = { FunctionVersion: '43', weights: {}, revision: 8 };
    const { response } = await answer('rollback checkout');

    expect(response?.response_type).toBe('ephemeral');
    expect(shown(response)).toContain('checkout:live points at version 43, not at version 42 alone as the promotion left it. It changed after checkout (execution checkout-42-20261122T1000) ended promoted, so coalmine will not overwrite it (the forward-only rule). Nothing was changed.');
    expect(writes()).toEqual([]);
  });

  it('answers a request Slack did not sign with 401 and no AWS call', async () => {
    promotedCheckout();
    const before = awsCallCount();
    const { result } = await answer('rollback checkout', { secret: 'not-the-signing-secret-0000000000' });

    expect(result.statusCode).toBe(401);
    expect(awsCallCount()).toBe(before);
  });

  it('does not restore a rollout that started after the request was signed (a replay)', async () => {
    const signedAt = Math.floor(Date.now() / 1000) - 120;
    promotedCheckout(0, new Date(Date.now() - 60_000));
    const { response } = await answer('rollback checkout', { timestamp: signedAt });

    expect(shown(response)).toContain('started after this request was sent');
    expect(writes()).toEqual([]);
  });
});
