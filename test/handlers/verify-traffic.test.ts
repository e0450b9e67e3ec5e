import { UpdateAliasCommand } from '@aws-sdk/client-lambda';
import { handler } from '../../functions/verify-traffic';
import { TrafficNotYetVisible } from '../../shared/errors';
import { aliasIs, bakingState, context, lambda, resetAws, rolloutRequest } from './support';

beforeEach(resetAws);

const verify = (state: Parameters<typeof handler>[0]) => handler(state, context('verify-traffic'));

describe('verifyTraffic handler', () => {
  it('confirms the weight the alias shows', async () => {
    const state = await bakingState(rolloutRequest(), 0);
    aliasIs('canary-10');

    await expect(verify(state)).resolves.toEqual({ status: 'verified' });
    expect(lambda).not.toHaveReceivedCommand(UpdateAliasCommand);
  });

  it.each([
    ['still shows the baseline only', 'on-baseline'],
    ['shows the new version fully', 'promoted'],
  ])('throws TrafficNotYetVisible, to be retried, when the alias %s', async (_case, variant) => {
    const state = await bakingState(rolloutRequest(), 0);
    aliasIs(variant);

    const check = verify(state);

    await expect(check).rejects.toBeInstanceOf(TrafficNotYetVisible);
    await expect(check).rejects.toMatchObject({
      name: 'TrafficNotYetVisible',
      retryable: true,
      message: 'the target does not yet show 10 % on the canary',
    });
  });
});
