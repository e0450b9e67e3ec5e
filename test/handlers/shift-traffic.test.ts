import { PreconditionFailedException, UpdateAliasCommand } from '@aws-sdk/client-lambda';
import { handler } from '../../functions/shift-traffic';
import { aliasIs, bakingState, context, expectTakenBetween, fixture, lambda, resetAws, rolloutRequest, stateFor } from './support';

beforeEach(resetAws);

const shift = (state: Parameters<typeof handler>[0]) => handler(state, context('shift-traffic'));
const linear = rolloutRequest({ strategy: { preset: 'linear10-1m' } });

describe('shiftTraffic handler', () => {
  it("sets the first step's weight on the new version and reports the step", async () => {
    const state = await stateFor(rolloutRequest());
    aliasIs('on-baseline');
    lambda.on(UpdateAliasCommand).resolves({});
    const before = Date.now();

    const progress = await shift(state);

    expect(lambda).toHaveReceivedCommandWith(UpdateAliasCommand, {
      FunctionName: 'checkout',
      Name: 'live',
      FunctionVersion: '41',
      RoutingConfig: { AdditionalVersionWeights: { '42': 0.1 } },
      RevisionId: fixture<{ RevisionId: string }>('lambda', 'get-alias-on-baseline').RevisionId,
    });
    expect(progress).toEqual({
      stepIndex: 0,
      extraBakes: 0,
      extraSeconds: 0,
      weight: 10,
      bakeSeconds: 300,
      // The first look comes one interval (analysis.intervalSeconds, 60 s by default) into the bake.
      lookSeconds: 60,
      shiftedAt: expect.any(String),
      shifts: [{ weight: 10, at: progress.shiftedAt }],
    });
    expectTakenBetween(progress.shiftedAt as string, before, Date.now());
  });

  it('moves a later step on from the previous weight and starts its extra bakes afresh', async () => {
    const state = await bakingState(linear, 0, 120);
    aliasIs('canary-10');
    lambda.on(UpdateAliasCommand).resolves({});

    const progress = await shift({ ...state, progress: { ...state.progress, stepIndex: 1 } });

    expect(lambda).toHaveReceivedCommandWith(UpdateAliasCommand, { RoutingConfig: { AdditionalVersionWeights: { '42': 0.2 } } });
    expect(progress).toMatchObject({ stepIndex: 1, extraBakes: 0, extraSeconds: 0, weight: 20, bakeSeconds: 60, lookSeconds: 60 });
    // The split history grows by one: each weight with the time it was written, for split-by-split judges.
    expect(progress.shifts.map((s) => s.weight)).toEqual([10, 20]);
    expect(progress.shifts[1]?.at).toBe(progress.shiftedAt);
  });

  it('a retried shift keeps the time of the write that moved the traffic', async () => {
    const state = await bakingState(linear, 0);
    aliasIs('canary-10');

    const progress = await shift({ ...state, progress: { ...state.progress, shifts: state.progress.shifts } });

    expect(lambda).not.toHaveReceivedCommand(UpdateAliasCommand);
    expect(progress.shifts).toEqual(state.progress.shifts);
    expect(progress.shiftedAt).toBe(state.progress.shifts[0]?.at);
  });

  it('writes nothing when a retried task finds the weight already set', async () => {
    const state = await stateFor(rolloutRequest());
    aliasIs('canary-10');

    await expect(shift(state)).resolves.toMatchObject({ weight: 10 });
    expect(lambda).not.toHaveReceivedCommand(UpdateAliasCommand);
  });

  it('refuses to move traffic forward again after an alarm rolled it back', async () => {
    const state = await bakingState(linear, 0);
    aliasIs('on-baseline');

    await expect(shift({ ...state, progress: { ...state.progress, stepIndex: 1 } })).rejects.toMatchObject({ name: 'TrafficConflict' });
    expect(lambda).not.toHaveReceivedCommand(UpdateAliasCommand);
  });

  it('reports a lost race as TrafficWriteConflict, which the state machine retries', async () => {
    const state = await stateFor(rolloutRequest());
    aliasIs('on-baseline');
    lambda.on(UpdateAliasCommand).rejects(new PreconditionFailedException({ message: 'The Revision Id provided does not match', $metadata: {} }));

    await expect(shift(state)).rejects.toMatchObject({ name: 'TrafficWriteConflict', retryable: true });
  });
});
