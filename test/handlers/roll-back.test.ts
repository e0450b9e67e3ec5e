import { GetAliasCommand, UpdateAliasCommand } from '@aws-sdk/client-lambda';
import { handler } from '../../functions/roll-back';
import type { RolloutState } from '../../shared/rollout';
import { aliasIs, bakingState, context, expectTakenBetween, fixture, lambda, resetAws, rolloutRequest } from './support';

beforeEach(resetAws);

const rollBack = (input: Parameters<typeof handler>[0]) => handler(input, context('roll-back'));

/** The Cause a Catch hands over for an error thrown by a Node.js Lambda task. */
function lambdaCause(errorType: string, errorMessage: string): string {
  return JSON.stringify({ errorType, errorMessage, trace: [`${errorType}: ${errorMessage}`, '    at LambdaAliasRouter.setWeight (/var/task/index.js:1:2345)'] });
}

const ROLLED_BACK = 'Rolled back: checkout:live sends all traffic to version 41 again (was 10 % on 42).';

describe('rollBack handler', () => {
  let state: RolloutState;
  beforeEach(async () => {
    state = await bakingState(rolloutRequest(), 0);
  });

  it('sends all traffic back to the baseline, leaving no weights', async () => {
    aliasIs('canary-10');
    lambda.on(UpdateAliasCommand).resolves({});
    const before = Date.now();

    const result = await rollBack({ rollout: state.rollout, failure: { Error: 'CanaryAnalysisFailed', Cause: 'step 1 at 10 %: the analysis failed' } });

    expect(lambda).toHaveReceivedCommandWith(UpdateAliasCommand, {
      FunctionName: 'checkout',
      Name: 'live',
      FunctionVersion: '41',
      RoutingConfig: { AdditionalVersionWeights: {} },
      RevisionId: fixture<{ RevisionId: string }>('lambda', 'get-alias-canary-10').RevisionId,
    });
    expect(result).toEqual({
      error: 'CanaryAnalysisFailed',
      cause: `step 1 at 10 %: the analysis failed. ${ROLLED_BACK}`,
      changed: true,
      weight: 0,
      rolledBackAt: expect.any(String),
    });
    expectTakenBetween(result.rolledBackAt, before, Date.now());
  });

  it("words the cause from a Lambda task's error JSON, not the JSON itself", async () => {
    aliasIs('canary-10');
    lambda.on(UpdateAliasCommand).resolves({});
    const message = 'GetAlias: AWS did not answer successfully (ServiceException: internal error)';

    const result = await rollBack({ rollout: state.rollout, failure: { Error: 'AwsUnavailable', Cause: lambdaCause('AwsUnavailable', message) } });

    expect(result.error).toBe('AwsUnavailable');
    expect(result.cause).toBe(`${message}. ${ROLLED_BACK}`);
    expect(result.cause).not.toContain('errorType');
    expect(result.cause).not.toContain('trace');
  });

  it('joins a message that ends in a full stop without doubling it', async () => {
    aliasIs('canary-10');
    lambda.on(UpdateAliasCommand).resolves({});
    const message = 'Cannot promote on checkout:live: the canary carries 0 %, not the 10 % this rollout left it at.';

    const result = await rollBack({ rollout: state.rollout, failure: { Error: 'TrafficConflict', Cause: lambdaCause('TrafficConflict', message) } });

    expect(result.cause).toBe(`${message} ${ROLLED_BACK}`);
  });

  it('falls back to the error name when there is no cause (a task timeout)', async () => {
    aliasIs('canary-10');
    lambda.on(UpdateAliasCommand).resolves({});

    const result = await rollBack({ rollout: state.rollout, failure: { Error: 'States.Timeout' } });

    expect(result.cause).toBe(`States.Timeout. ${ROLLED_BACK}`);
  });

  it('is safe to run twice: the second run finds the baseline and writes nothing', async () => {
    lambda.on(GetAliasCommand).resolvesOnce(fixture('lambda', 'get-alias-canary-10')).resolves(fixture('lambda', 'get-alias-on-baseline'));
    lambda.on(UpdateAliasCommand).resolves({});
    const input = { rollout: state.rollout, failure: { Error: 'CanaryAnalysisFailed', Cause: 'step 1 at 10 %: the analysis failed' } };

    const first = await rollBack(input);
    const second = await rollBack(input);

    expect(first.changed).toBe(true);
    expect(second).toMatchObject({
      error: 'CanaryAnalysisFailed',
      changed: false,
      weight: 0,
      cause: 'step 1 at 10 %: the analysis failed. Rolled back: checkout:live already sends all traffic to version 41.',
    });
    expect(lambda).toHaveReceivedCommandTimes(UpdateAliasCommand, 1);
  });

  it('leaves an alias that someone else took over as it is, and says so', async () => {
    aliasIs('taken-over');

    const result = await rollBack({ rollout: state.rollout, failure: { Error: 'TrafficConflict', Cause: lambdaCause('TrafficConflict', 'Cannot shift traffic') } });

    expect(result.changed).toBe(false);
    expect(result.cause).toContain('no longer routes to version 42');
    expect(lambda).not.toHaveReceivedCommand(UpdateAliasCommand);
  });
});
