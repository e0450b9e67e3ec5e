/**
 * The start-from-artifact handler over mocked Step Functions and SSM: which rollout an artifact event
 * starts (exact StartExecution input), and what a repeated event, a taken name, an unmatched artifact
 * and a broken rules source do.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DescribeExecutionCommand, ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { GetParameterCommand, ParameterNotFound, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { handler } from '../../functions/start-from-artifact';
import { forgetParameters } from '../../shared/aws/parameters';
import { logger } from '../../shared/handler';
import { localContext } from '../../sim/local-context';

const sfn = mockClient(SFNClient);
const ssm = mockClient(SSMClient);

const MACHINE = 'arn:aws:states:us-east-1:123456789012:stateMachine:coalmine-dev-canary';
const execution = (name: string) => `arn:aws:states:us-east-1:123456789012:execution:coalmine-dev-canary:${name}`;

function event(source: string, variant: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(__dirname, '../fixtures/eventbridge', source, `${variant}.json`), 'utf8')) as Record<string, unknown>;
}

const start = (input: unknown) => handler(input as never, localContext('coalmine-startFromArtifact'));

/** The request the bundled example rule "checkout" renders for version 42. */
const CHECKOUT_42 = {
  name: 'checkout',
  target: { type: 'lambda-alias', functionName: 'checkout', alias: 'live', version: '42' },
  strategy: { preset: 'canary10-5m' },
  analysis: { alarms: ['checkout-errors', 'checkout-p99-latency'] },
};

const alreadyExists = () =>
  new ExecutionAlreadyExists({ message: `Execution Already Exists: '${execution('lambda-checkout-42')}'`, $metadata: { httpStatusCode: 400 } });

beforeEach(() => {
  sfn.reset();
  ssm.reset();
  forgetParameters();
  process.env.STATE_MACHINE_ARN = MACHINE;
  delete process.env.ARTIFACT_RULES_PARAMETER;
});
afterEach(() => jest.restoreAllMocks());

describe('a new artifact', () => {
  it('a published Lambda version starts the rollout its rule renders, named after the function and version', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: execution('lambda-checkout-42'), startDate: new Date() });

    const result = await start(event('aws.lambda', 'publish-version'));

    expect(sfn).toHaveReceivedCommandTimes(StartExecutionCommand, 1);
    expect(sfn).toHaveReceivedCommandWith(StartExecutionCommand, {
      stateMachineArn: MACHINE,
      name: 'lambda-checkout-42',
      input: JSON.stringify(CHECKOUT_42),
    });
    expect(result).toEqual({
      outcome: 'started',
      artifact: { kind: 'lambda-version', functionName: 'checkout', version: '42' },
      rule: 'checkout',
      executionName: 'lambda-checkout-42',
      executionArn: execution('lambda-checkout-42'),
    });
  });

  it('an S3 release marker starts the function and version its key names', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn', startDate: new Date() });

    const result = await start(event('aws.s3', 'object-created'));

    const input = JSON.parse(sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input.input ?? '{}') as { target: unknown; strategy: unknown };
    expect(input.target).toEqual({ type: 'lambda-alias', functionName: 'checkout', alias: 'live', version: '42' });
    expect(input.strategy).toEqual({ preset: 'linear10-2m' });
    expect(result).toMatchObject({ outcome: 'started', rule: 'release-markers', executionName: expect.stringMatching(/^s3-coalmine-releases-[0-9a-f]{16}$/) });
  });

  it('a tagged ECR push starts the version its tag names; the execution is named after the digest', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn', startDate: new Date() });

    await start(event('aws.ecr', 'image-push'));

    expect(sfn).toHaveReceivedCommandWith(StartExecutionCommand, {
      name: 'ecr-web-9b2e4f1a7c3d',
      input: JSON.stringify({
        target: { type: 'lambda-alias', functionName: 'web', alias: 'live', version: '43' },
        strategy: { preset: 'canary10-10m' },
        analysis: { alarms: ['web-errors'] },
      }),
    });
  });
});

describe('repeated events start nothing twice', () => {
  it('the same event twice sends the same name and input: Step Functions returns the running execution', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: execution('lambda-checkout-42'), startDate: new Date() });

    const first = await start(event('aws.lambda', 'publish-version'));
    const second = await start(event('aws.lambda', 'publish-version'));

    const calls = sfn.commandCalls(StartExecutionCommand).map((c) => c.args[0].input);
    expect(calls).toHaveLength(2);
    expect(calls[1]).toEqual(calls[0]);
    expect(second).toEqual(first);
  });

  it('after the rollout ended, the name is taken by the same input: reported as a duplicate, not retried', async () => {
    sfn.on(StartExecutionCommand).rejects(alreadyExists());
    sfn.on(DescribeExecutionCommand).resolves({ status: 'SUCCEEDED', input: JSON.stringify(CHECKOUT_42) });
    const info = jest.spyOn(logger, 'info');

    const result = await start(event('aws.lambda', 'publish-version'));

    expect(result).toMatchObject({ outcome: 'duplicate', executionArn: execution('lambda-checkout-42') });
    expect(result.reason).toBe('version 42 of Lambda function checkout already had its rollout lambda-checkout-42 (SUCCEEDED); a repeated event starts nothing');
    expect(sfn).toHaveReceivedCommandTimes(StartExecutionCommand, 1);
    expect(sfn).toHaveReceivedCommandWith(DescribeExecutionCommand, { executionArn: execution('lambda-checkout-42') });
    expect(info).toHaveBeenCalledWith('rollout already started for this artifact', expect.objectContaining({ status: 'SUCCEEDED' }));
  });

  it('the name taken by a different input is reported as a conflict and returns normally', async () => {
    sfn.on(StartExecutionCommand).rejects(alreadyExists());
    sfn.on(DescribeExecutionCommand).resolves({ status: 'RUNNING', input: JSON.stringify({ ...CHECKOUT_42, strategy: { preset: 'linear10-1m' } }) });
    const error = jest.spyOn(logger, 'error');

    const result = await start(event('aws.lambda', 'publish-version'));

    expect(result).toMatchObject({ outcome: 'conflict', executionName: 'lambda-checkout-42' });
    expect(result.reason).toContain('an execution named lambda-checkout-42 already exists (RUNNING) with a different input: nothing started');
    expect(error).toHaveBeenCalledWith('rollout not started: the execution name is taken', expect.objectContaining({ rule: 'checkout' }));
    expect(sfn).toHaveReceivedCommandTimes(StartExecutionCommand, 1);
  });

  it('still returns normally when the existing execution cannot be described', async () => {
    sfn.on(StartExecutionCommand).rejects(alreadyExists());
    sfn.on(DescribeExecutionCommand).rejects(Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' }));

    const result = await start(event('aws.lambda', 'publish-version'));

    expect(result).toMatchObject({ outcome: 'conflict' });
    expect(result.reason).toContain('an execution named lambda-checkout-42 already exists with a different input');
  });
});

describe('events that start nothing', () => {
  it('an artifact no rule matches is ignored with a log line naming the rules', async () => {
    const info = jest.spyOn(logger, 'info');
    const push = event('aws.ecr', 'image-push') as { detail: Record<string, unknown> };
    push.detail['repository-name'] = 'batch-jobs';

    const result = await start(push);

    expect(result).toMatchObject({ outcome: 'unmatched', reason: expect.stringContaining('no rule in config/artifact-rules.json matches image batch-jobs@sha256:9b2e') });
    expect(info).toHaveBeenCalledWith('artifact ignored: no rule matches', expect.objectContaining({ rulesSource: 'config/artifact-rules.json' }));
    expect(sfn.calls()).toHaveLength(0);
  });

  it.each([
    ['aws.ecr', 'image-push-failed'],
    ['aws.ecr', 'image-delete'],
    ['aws.lambda', 'publish-version-failed'],
    ['aws.ecr', 'image-push-untagged'],
  ])('%s %s starts nothing', async (source, variant) => {
    const result = await start(event(source, variant));

    expect(['ignored', 'unmatched']).toContain(result.outcome);
    expect(sfn.calls()).toHaveLength(0);
  });
});

describe('rules from an SSM parameter', () => {
  const RULES = {
    rules: [
      {
        name: 'all-functions',
        match: { kind: 'lambda-version' },
        rollout: {
          target: { type: 'lambda-alias', functionName: '{functionName}', alias: 'prod', version: '{version}' },
          strategy: { preset: 'all-at-once' },
          analysis: {},
        },
      },
    ],
  };

  beforeEach(() => {
    process.env.ARTIFACT_RULES_PARAMETER = '/coalmine/artifact-rules';
    sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn', startDate: new Date() });
  });

  it('are read once per container and used instead of the bundled file', async () => {
    ssm.on(GetParameterCommand).resolves({ Parameter: { Name: '/coalmine/artifact-rules', Value: JSON.stringify(RULES) } });

    await start(event('aws.lambda', 'publish-version'));
    const second = await start(event('aws.lambda', 'publish-version'));

    expect(ssm).toHaveReceivedCommandTimes(GetParameterCommand, 1);
    expect(ssm).toHaveReceivedCommandWith(GetParameterCommand, { Name: '/coalmine/artifact-rules', WithDecryption: true });
    expect(second.rule).toBe('all-functions');
    expect(sfn).toHaveReceivedCommandWith(StartExecutionCommand, { input: expect.stringContaining('"alias":"prod"') });
  });

  it('a missing parameter fails loudly, and the next event reads it again', async () => {
    ssm
      .on(GetParameterCommand)
      .rejectsOnce(new ParameterNotFound({ message: 'not found', $metadata: {} }))
      .resolves({ Parameter: { Value: JSON.stringify(RULES) } });

    await expect(start(event('aws.lambda', 'publish-version'))).rejects.toMatchObject({
      name: 'ConfigurationError',
      message: expect.stringContaining('The SSM parameter /coalmine/artifact-rules (ARTIFACT_RULES_PARAMETER) does not exist'),
    });
    await expect(start(event('aws.lambda', 'publish-version'))).resolves.toMatchObject({ outcome: 'started' });
    expect(ssm).toHaveReceivedCommandTimes(GetParameterCommand, 2);
  });

  it.each([
    ['not JSON', 'rules: []', 'The SSM parameter /coalmine/artifact-rules does not hold JSON'],
    ['invalid rules', JSON.stringify({ rules: [{ match: { kind: 'lambda-version' }, rollout: {}, when: 'always' }] }), 'rules.0: unknown field "when"'],
  ])('%s fails loudly, naming the parameter', async (_label, value, message) => {
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: value } });

    await expect(start(event('aws.lambda', 'publish-version'))).rejects.toMatchObject({ name: 'ConfigurationError', message: expect.stringContaining(message) });
    expect(sfn.calls()).toHaveLength(0);
  });

  it('a rule that renders an invalid request for this artifact is a configuration error; nothing starts', async () => {
    const byKey = {
      rules: [
        {
          name: 'markers',
          match: { kind: 's3-object', key: 'lambda/*/*.json' },
          rollout: { target: { type: 'lambda-alias', functionName: '{key.1}', alias: 'live', version: '{key.2}' }, strategy: { preset: 'all-at-once' }, analysis: {} },
        },
      ],
    };
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: JSON.stringify(byKey) } });
    const marker = event('aws.s3', 'object-created') as { detail: { object: { key: string } } };
    marker.detail.object.key = 'lambda/checkout/latest.json';

    await expect(start(marker)).rejects.toMatchObject({
      name: 'ConfigurationError',
      message: expect.stringMatching(/^Artifact rule markers \(SSM parameter \/coalmine\/artifact-rules\) renders an invalid rollout request for object s3:\/\/coalmine-releases\/lambda\/checkout\/latest.json: .*target.version: a published version number/),
    });
    expect(sfn.calls()).toHaveLength(0);
  });
});

describe('failures', () => {
  it('without STATE_MACHINE_ARN the function fails loudly before starting anything', async () => {
    delete process.env.STATE_MACHINE_ARN;

    await expect(start(event('aws.lambda', 'publish-version'))).rejects.toMatchObject({
      name: 'ConfigurationError',
      message: expect.stringContaining('STATE_MACHINE_ARN is not set'),
    });
    expect(sfn.calls()).toHaveLength(0);
  });

  it('a throttled StartExecution fails the invocation so that Lambda retries it (a retry is idempotent)', async () => {
    sfn.on(StartExecutionCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $fault: 'client' }));

    await expect(start(event('aws.lambda', 'publish-version'))).rejects.toMatchObject({ name: 'AwsThrottled' });
  });
});
