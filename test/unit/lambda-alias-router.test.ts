import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  GetAliasCommand,
  GetFunctionConfigurationCommand,
  LambdaClient,
  PreconditionFailedException,
  ResourceNotFoundException,
  ServiceException,
  TooManyRequestsException,
  UpdateAliasCommand,
  type GetAliasCommandOutput,
  type GetFunctionConfigurationCommandOutput,
} from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import type { LambdaAliasTarget } from '../../shared/config/targets';
import { AwsThrottled, AwsUnavailable, PreflightFailed, RolloutInProgress, TrafficConflict, TrafficWriteConflict } from '../../shared/errors';
import { LambdaAliasRouter, lambdaAliasKind } from '../../shared/routers/lambda-alias';

function fixture<T>(variant: string): T {
  return JSON.parse(readFileSync(join(__dirname, '../fixtures/lambda', `${variant}.json`), 'utf8')) as T;
}
const alias = (variant: string) => fixture<GetAliasCommandOutput>(`get-alias-${variant}`);
const functionConfiguration = (variant: string) => fixture<GetFunctionConfigurationCommandOutput>(`get-function-configuration-${variant}`);

const REVISION = {
  onBaseline: alias('on-baseline').RevisionId,
  canary10: alias('canary-10').RevisionId,
  promoted: alias('promoted').RevisionId,
};

const target: LambdaAliasTarget = { type: 'lambda-alias', functionName: 'checkout', alias: 'live', version: '42' };
const router = () => new LambdaAliasRouter(target, { version: '41' });

const $metadata = {};
const preconditionFailed = () =>
  new PreconditionFailedException({
    message: 'The Revision Id provided does not match the latest Revision Id. Call the GetAlias API to retrieve the latest Revision Id',
    $metadata,
  });
const tooManyRequests = () => new TooManyRequestsException({ message: 'Rate exceeded', $metadata });
const serviceException = () => new ServiceException({ message: 'An internal error occurred', $metadata });
const notFound = (what: string) => new ResourceNotFoundException({ message: `${what} not found`, $metadata });

const lambda = mockClient(LambdaClient);

beforeEach(() => {
  lambda.reset();
});

function aliasIs(variant: string): void {
  lambda.on(GetAliasCommand, { FunctionName: 'checkout', Name: 'live' }).resolves(alias(variant));
}

const updates = () => lambda.commandCalls(UpdateAliasCommand).map((call) => call.args[0].input);

describe('setWeight', () => {
  it('keeps the alias on the baseline and weights the new version, guarded by the RevisionId it read', async () => {
    aliasIs('on-baseline');
    lambda.on(UpdateAliasCommand).resolves({});

    await router().setWeight(10, 0);

    expect(lambda).toHaveReceivedCommandWith(GetAliasCommand, { FunctionName: 'checkout', Name: 'live' });
    expect(lambda).toHaveReceivedCommandTimes(UpdateAliasCommand, 1);
    expect(lambda).toHaveReceivedCommandWith(UpdateAliasCommand, {
      FunctionName: 'checkout',
      Name: 'live',
      FunctionVersion: '41',
      RoutingConfig: { AdditionalVersionWeights: { '42': 0.1 } },
      RevisionId: REVISION.onBaseline,
    });
    expect(updates()).toEqual([
      {
        FunctionName: 'checkout',
        Name: 'live',
        FunctionVersion: '41',
        RoutingConfig: { AdditionalVersionWeights: { '42': 0.1 } },
        RevisionId: REVISION.onBaseline,
      },
    ]);
  });

  it.each([
    [0.29, 0.0029],
    [0.5, 0.005],
    [12.35, 0.1235],
    [99.99, 0.9999],
  ])('writes %s %% as the fraction %s', async (percent, fraction) => {
    aliasIs('on-baseline');
    lambda.on(UpdateAliasCommand).resolves({});

    await router().setWeight(percent, 0);

    expect(updates()[0]?.RoutingConfig).toEqual({ AdditionalVersionWeights: { '42': fraction } });
  });

  it('moves on from the weight of the previous step', async () => {
    aliasIs('canary-10');
    lambda.on(UpdateAliasCommand).resolves({});

    await router().setWeight(50, 10);

    expect(updates()).toEqual([expect.objectContaining({ FunctionVersion: '41', RoutingConfig: { AdditionalVersionWeights: { '42': 0.5 } }, RevisionId: REVISION.canary10 })]);
  });

  it('writes nothing when the weight is already there (a retried task)', async () => {
    aliasIs('canary-10');

    await router().setWeight(10, 0);

    expect(lambda).toHaveReceivedCommandTimes(GetAliasCommand, 1);
    expect(lambda).not.toHaveReceivedCommand(UpdateAliasCommand);
  });

  it.each([
    ['someone pointed the alias at another version', 'taken-over', 10, 'it points at version 43'],
    ['another rollout weights another version', 'other-canary', 10, 'version 41 with 5 % on 43'],
  ])('refuses when %s, and writes nothing', async (_case, variant, from, detail) => {
    aliasIs(variant);

    const shift = router().setWeight(20, from);

    await expect(shift).rejects.toBeInstanceOf(TrafficConflict);
    await expect(shift).rejects.toThrow('Cannot shift traffic on checkout:live: the alias was changed outside this rollout');
    await expect(shift).rejects.toThrow(detail);
    expect(lambda).not.toHaveReceivedCommand(UpdateAliasCommand);
  });

  it.each([
    ['rolled back (by an alarm or a person)', 'on-baseline', 0],
    ['promoted by a person', 'promoted', 100],
  ])('does not move traffic forward again after it was %s', async (_case, variant, current) => {
    aliasIs(variant);

    const shift = router().setWeight(20, 10);

    await expect(shift).rejects.toMatchObject({
      name: 'TrafficConflict',
      message: expect.stringContaining(`the canary carries ${current} %, not the 10 % this rollout left it at`),
    });
    expect(lambda).not.toHaveReceivedCommand(UpdateAliasCommand);
  });

  it('refuses 100 %: promotion is its own operation', async () => {
    await expect(router().setWeight(100, 90)).rejects.toThrow(RangeError);
    expect(lambda).not.toHaveReceivedAnyCommand();
  });
});

describe('promote', () => {
  it('points the alias at the new version with no weights left', async () => {
    aliasIs('canary-10');
    lambda.on(UpdateAliasCommand).resolves({});

    await router().promote(10);

    expect(updates()).toEqual([
      { FunctionName: 'checkout', Name: 'live', FunctionVersion: '42', RoutingConfig: { AdditionalVersionWeights: {} }, RevisionId: REVISION.canary10 },
    ]);
  });

  it('promotes straight from the baseline when the plan has no canary step (all-at-once)', async () => {
    aliasIs('on-baseline');
    lambda.on(UpdateAliasCommand).resolves({});

    await router().promote(0);

    expect(lambda).toHaveReceivedCommandWith(UpdateAliasCommand, { FunctionVersion: '42', RoutingConfig: { AdditionalVersionWeights: {} } });
  });

  it('writes nothing when already promoted', async () => {
    aliasIs('promoted');

    await router().promote(10);

    expect(lambda).not.toHaveReceivedCommand(UpdateAliasCommand);
  });

  it('does not promote a canary that someone rolled back', async () => {
    aliasIs('on-baseline');

    await expect(router().promote(10)).rejects.toThrow('Cannot promote on checkout:live: the canary carries 0 %, not the 10 %');
    expect(lambda).not.toHaveReceivedCommand(UpdateAliasCommand);
  });

  it('does not promote over somebody else’s change', async () => {
    aliasIs('other-canary');

    await expect(router().promote(10)).rejects.toBeInstanceOf(TrafficConflict);
    expect(lambda).not.toHaveReceivedCommand(UpdateAliasCommand);
  });
});

describe('rollback', () => {
  it.each([
    ['a canary step', 'canary-10', REVISION.canary10, 'was 10 % on 42'],
    ['a promotion', 'promoted', REVISION.promoted, 'was 100 % on 42'],
  ])('after %s, points the alias at the baseline with no weights and says what it undid', async (_case, variant, revision, was) => {
    aliasIs(variant);
    lambda.on(UpdateAliasCommand).resolves({});

    const outcome = await router().rollback();

    expect(updates()).toEqual([
      { FunctionName: 'checkout', Name: 'live', FunctionVersion: '41', RoutingConfig: { AdditionalVersionWeights: {} }, RevisionId: revision },
    ]);
    expect(outcome).toEqual({ changed: true, detail: `checkout:live sends all traffic to version 41 again (${was})` });
  });

  it('is safe to run twice', async () => {
    lambda.on(GetAliasCommand).resolvesOnce(alias('canary-10')).resolves(alias('on-baseline'));
    lambda.on(UpdateAliasCommand).resolves({});

    const first = await router().rollback();
    const second = await router().rollback();

    expect(first.changed).toBe(true);
    expect(second).toEqual({ changed: false, detail: 'checkout:live already sends all traffic to version 41' });
    expect(lambda).toHaveReceivedCommandTimes(UpdateAliasCommand, 1);
  });

  it('leaves alone an alias someone else took over that no longer reaches the new version', async () => {
    aliasIs('taken-over');

    const outcome = await router().rollback();

    expect(outcome.changed).toBe(false);
    expect(outcome.detail).toContain('checkout:live no longer routes to version 42');
    expect(outcome.detail).toContain('left as it is');
    expect(lambda).not.toHaveReceivedCommand(UpdateAliasCommand);
  });

  it('refuses to overwrite a foreign change that still weights the new version', async () => {
    lambda.on(GetAliasCommand).resolves({ ...alias('taken-over'), RoutingConfig: { AdditionalVersionWeights: { '42': 0.1 } } });

    await expect(router().rollback()).rejects.toThrow('Cannot roll back on checkout:live: the alias was changed outside this rollout');
    expect(lambda).not.toHaveReceivedCommand(UpdateAliasCommand);
  });
});

describe('restore (the rollback window, docs/rollback-window.md)', () => {
  const RECORD = { executionName: 'checkout-42', by: 'arn:aws:sts::123456789012:assumed-role/deploy/bob', reason: 'p99 doubled', at: '2026-11-22T11:00:00.000Z' };
  const DESCRIPTION = 'coalmine restored version 41 after checkout-42 at 2026-11-22T11:00:00.000Z for arn:aws:sts::123456789012:assumed-role/deploy/bob: p99 doubled';

  it('points a promoted alias at the baseline with no weights and the record as its description, in one UpdateAlias guarded by the RevisionId it read', async () => {
    aliasIs('promoted');
    lambda.on(UpdateAliasCommand).resolves({});

    expect(await router().restore(RECORD)).toEqual({ written: true, detail: 'checkout:live sends all traffic to version 41 again (was all on 42)' });
    expect(updates()).toEqual([
      { FunctionName: 'checkout', Name: 'live', FunctionVersion: '41', RoutingConfig: { AdditionalVersionWeights: {} }, Description: DESCRIPTION, RevisionId: REVISION.promoted },
    ]);
  });

  it('reads the record back from the description once restored, and a person’s own description as no record', async () => {
    lambda.on(GetAliasCommand).resolvesOnce({ ...alias('on-baseline'), Description: DESCRIPTION }).resolves(alias('on-baseline'));

    expect(await router().inspectPromoted()).toEqual({ kind: 'restored', detail: 'checkout:live sends all traffic to version 41', record: { ...RECORD, restored: 'version 41' } });
    expect(await router().inspectPromoted()).toEqual({ kind: 'restored', detail: 'checkout:live sends all traffic to version 41' });
  });

  it.each([
    ['a canary split', 'canary-10', 'checkout:live points at version 41 with 10 % on 42, not at version 42 alone as the promotion left it'],
    ['an alias someone else took over', 'taken-over', 'checkout:live points at version 43, not at version 42 alone as the promotion left it'],
  ])('writes nothing over %s, and says what the alias shows', async (_, variant, detail) => {
    aliasIs(variant);
    expect(await router().restore(RECORD)).toEqual({ written: false, view: { kind: 'changed', detail } });
    expect(lambda).not.toHaveReceivedCommand(UpdateAliasCommand);
  });

  it('reports a concurrent change (a stale RevisionId) as TrafficWriteConflict, never overwriting it', async () => {
    aliasIs('promoted');
    lambda.on(UpdateAliasCommand).rejects(preconditionFailed());

    await expect(router().restore(RECORD)).rejects.toThrow(TrafficWriteConflict);
  });
});

describe('getWeight and verifyWeight', () => {
  it.each([
    ['on-baseline', 0],
    ['canary-10', 10],
    ['promoted', 100],
    ['other-canary', 0],
  ])('reads %s as %i %%', async (variant, weight) => {
    aliasIs(variant);

    await expect(router().getWeight()).resolves.toBe(weight);
  });

  it.each([
    [10, 'verified'],
    [20, 'mismatch'],
    [0, 'mismatch'],
  ])('checks %i %% against an alias at 10 %%: %s', async (percent, result) => {
    aliasIs('canary-10');

    await expect(router().verifyWeight(percent)).resolves.toBe(result);
    expect(lambda).not.toHaveReceivedCommand(UpdateAliasCommand);
  });

  it('compares at the precision of the request, not of floating point', async () => {
    lambda.on(GetAliasCommand).resolves({ ...alias('canary-10'), RoutingConfig: { AdditionalVersionWeights: { '42': 0.0029 } } });

    await expect(router().verifyWeight(0.29)).resolves.toBe('verified');
  });
});

describe('AWS errors', () => {
  it('reports a lost compare-and-swap race as TrafficWriteConflict naming the stale RevisionId', async () => {
    aliasIs('on-baseline');
    lambda.on(UpdateAliasCommand).rejects(preconditionFailed());

    const shift = router().setWeight(10, 0);

    await expect(shift).rejects.toBeInstanceOf(TrafficWriteConflict);
    await expect(shift).rejects.toMatchObject({ retryable: true, cause: expect.objectContaining({ name: 'PreconditionFailedException' }) });
    await expect(shift).rejects.toThrow(`checkout:live changed between read and write (RevisionId ${REVISION.onBaseline} is stale)`);
  });

  const operations: Array<[string, (r: LambdaAliasRouter) => Promise<unknown>]> = [
    ['setWeight', (r) => r.setWeight(20, 10)],
    ['promote', (r) => r.promote(10)],
    ['rollback', (r) => r.rollback()],
  ];
  describe.each(operations)('%s', (_operation, operate) => {
    it.each([
      ['UpdateAlias', 'TooManyRequestsException', tooManyRequests, AwsThrottled],
      ['UpdateAlias', 'ServiceException', serviceException, AwsUnavailable],
      ['GetAlias', 'TooManyRequestsException', tooManyRequests, AwsThrottled],
      ['GetAlias', 'ServiceException', serviceException, AwsUnavailable],
    ])('turns %s %s into a retryable error', async (command, _name, error, Expected) => {
      aliasIs('canary-10');
      if (command === 'GetAlias') lambda.on(GetAliasCommand).rejects(error());
      else lambda.on(UpdateAliasCommand).rejects(error());

      const failure = operate(router());

      await expect(failure).rejects.toBeInstanceOf(Expected);
      await expect(failure).rejects.toMatchObject({ retryable: true, message: expect.stringMatching(new RegExp(`^${command}: `)) });
    });

    it('turns PreconditionFailedException into TrafficWriteConflict', async () => {
      aliasIs('canary-10');
      lambda.on(UpdateAliasCommand).rejects(preconditionFailed());

      await expect(operate(router())).rejects.toBeInstanceOf(TrafficWriteConflict);
    });
  });

  it('lets a deleted alias through as it is: no retry will bring it back', async () => {
    lambda.on(GetAliasCommand).rejects(notFound('Alias'));

    await expect(router().setWeight(10, 0)).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });
});

describe('preflight', () => {
  const preflight = () => lambdaAliasKind.preflight(target);

  function world(version: string | Error, aliasVariant: string | Error): void {
    const versionCall = lambda.on(GetFunctionConfigurationCommand, { FunctionName: 'checkout', Qualifier: '42' });
    if (version instanceof Error) versionCall.rejects(version);
    else versionCall.resolves(functionConfiguration(version));
    const aliasCall = lambda.on(GetAliasCommand, { FunctionName: 'checkout', Name: 'live' });
    if (aliasVariant instanceof Error) aliasCall.rejects(aliasVariant);
    else aliasCall.resolves(alias(aliasVariant));
  }

  afterEach(() => {
    expect(lambda).not.toHaveReceivedCommand(UpdateAliasCommand);
  });

  it('returns the version the alias points at as the baseline', async () => {
    world('active', 'on-baseline');

    await expect(preflight()).resolves.toEqual({ version: '41' });
    expect(lambda).toHaveReceivedCommandWith(GetFunctionConfigurationCommand, { FunctionName: 'checkout', Qualifier: '42' });
    expect(lambda).toHaveReceivedCommandWith(GetAliasCommand, { FunctionName: 'checkout', Name: 'live' });
  });

  it.each<[string, string | Error, string | Error, string, string[]]>([
    [
      'the version does not exist',
      notFound('Function'),
      'on-baseline',
      'PreflightFailed',
      ['Version 42 of Lambda function checkout does not exist', 'aws lambda publish-version --function-name checkout'],
    ],
    [
      'the version is still being created',
      'pending',
      'on-baseline',
      'PreflightFailed',
      ['Version 42 of checkout is Pending (The function is being created.)', 'wait until it is Active'],
    ],
    ['the version failed', 'failed', 'on-baseline', 'PreflightFailed', ['is Failed (The subnet subnet-0a1b2c3d4e5f60718 does not exist.)']],
    [
      'the alias does not exist',
      'active',
      notFound('Alias'),
      'PreflightFailed',
      ['Alias checkout:live does not exist', 'aws lambda create-alias --function-name checkout --name live'],
    ],
    [
      'another rollout is moving the alias',
      'active',
      'other-canary',
      'RolloutInProgress',
      ['checkout:live is already mid-rollout: it sends 5 % to version 43 besides version 41', 'roll it back'],
    ],
    [
      'our own rollout is already moving the alias',
      'active',
      'canary-10',
      'RolloutInProgress',
      ['it sends 10 % to version 42 besides version 41'],
    ],
    ['the alias already points at the version', 'active', 'promoted', 'PreflightFailed', ['checkout:live already points at version 42: there is nothing to roll out']],
    [
      'the alias points at $LATEST',
      'active',
      'on-latest',
      'PreflightFailed',
      ['checkout:live points at $LATEST; weighted routing needs the alias on a published version'],
    ],
  ])('refuses when %s', async (_case, version, aliasVariant, name, phrases) => {
    world(version, aliasVariant);

    const refusal = preflight();

    await expect(refusal).rejects.toMatchObject({ name, retryable: false });
    for (const phrase of phrases) await expect(refusal).rejects.toThrow(phrase);
  });

  it('has the error classes the state machine matches on', async () => {
    world('active', 'other-canary');
    await expect(preflight()).rejects.toBeInstanceOf(RolloutInProgress);

    lambda.reset();
    world('pending', 'on-baseline');
    await expect(preflight()).rejects.toBeInstanceOf(PreflightFailed);
  });

  it('lets throttling through as AwsThrottled, to be retried', async () => {
    world(tooManyRequests(), 'on-baseline');

    await expect(preflight()).rejects.toBeInstanceOf(AwsThrottled);
  });

  it('describes the target by function and alias, and can observe its weights', () => {
    expect(lambdaAliasKind.describe(target)).toBe('checkout:live');
    expect(lambdaAliasKind.observable).toBe(true);
  });
});
