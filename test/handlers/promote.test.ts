import { UpdateAliasCommand } from '@aws-sdk/client-lambda';
import { handler } from '../../functions/promote';
import { aliasIs, bakingState, context, expectTakenBetween, fixture, lambda, resetAws, rolloutRequest, stateFor } from './support';

beforeEach(resetAws);

const promote = (state: Parameters<typeof handler>[0]) => handler(state, context('promote'));

describe('promote handler', () => {
  it('sends all traffic to the new version, leaving no weights', async () => {
    const state = await bakingState(rolloutRequest(), 0);
    aliasIs('canary-10');
    lambda.on(UpdateAliasCommand).resolves({});
    const before = Date.now();

    const result = await promote(state);

    expect(lambda).toHaveReceivedCommandTimes(UpdateAliasCommand, 1);
    expect(lambda).toHaveReceivedCommandWith(UpdateAliasCommand, {
      FunctionName: 'checkout',
      Name: 'live',
      FunctionVersion: '42',
      RoutingConfig: { AdditionalVersionWeights: {} },
      RevisionId: fixture<{ RevisionId: string }>('lambda', 'get-alias-canary-10').RevisionId,
    });
    expect(result).toEqual({ weight: 100, promotedAt: expect.any(String) });
    expectTakenBetween(result.promotedAt, before, Date.now());
  });

  it('promotes all-at-once straight from the baseline', async () => {
    const state = await stateFor(rolloutRequest({ strategy: { preset: 'all-at-once' } }));
    aliasIs('on-baseline');
    lambda.on(UpdateAliasCommand).resolves({});

    await expect(promote(state)).resolves.toMatchObject({ weight: 100 });
    expect(lambda).toHaveReceivedCommandWith(UpdateAliasCommand, { FunctionVersion: '42', RoutingConfig: { AdditionalVersionWeights: {} } });
  });

  it('succeeds without writing when a retried task finds the alias promoted', async () => {
    const state = await bakingState(rolloutRequest(), 0);
    aliasIs('promoted');

    await expect(promote(state)).resolves.toMatchObject({ weight: 100 });
    expect(lambda).not.toHaveReceivedCommand(UpdateAliasCommand);
  });

  it('does not promote a canary that was rolled back meanwhile', async () => {
    const state = await bakingState(rolloutRequest(), 0);
    aliasIs('on-baseline');

    await expect(promote(state)).rejects.toMatchObject({ name: 'TrafficConflict' });
    expect(lambda).not.toHaveReceivedCommand(UpdateAliasCommand);
  });
});
