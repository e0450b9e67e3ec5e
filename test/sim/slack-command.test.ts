/**
 * The slack-command event: a person's `/coalmine …` reaches the real Slack handler as a signed API Gateway
 * request, and acts on the execution running in the in-memory Step Functions.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { builtInScenario, parseScenario, SCENARIO_DIRECTORY } from '../../sim/scenario';
import { simulate, type SimulationEvent } from '../../sim/simulate';
import { slackChannelId, slackMemberId } from '../../sim/slack';
import { scenarioProblems } from './support';

type Document = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function healthyWith(events: unknown[], slack?: object): Document {
  const document = JSON.parse(readFileSync(join(SCENARIO_DIRECTORY, 'healthy.json'), 'utf8')) as Document;
  document.events = events;
  if (slack !== undefined) document.world.slack = slack;
  return document;
}

describe('slack-rollback: a person stops a rollout mid-way', () => {
  it('bob is refused, then alice rolls back at 25 %: ManualRollback naming her, the execution stopped before its next step', async () => {
    // Act
    const progress: SimulationEvent[] = [];
    const result = await simulate(builtInScenario('slack-rollback'), { onEvent: (e) => progress.push(e) });

    // Assess
    expect(result).toMatchObject({ outcome: 'rolled_back', finalWeight: 0, error: 'ManualRollback', simulatedSeconds: 480 });
    expect(result.reason).toMatch(
      /^Rollback requested from Slack by alice \(U0ALICE\) in C0DEPLOYS: canary looks slow\. Rolled back: checkout:live sends all traffic to version 41 again \(was 25 % on 42\)\. Rollback latency: 0 ms from the command/,
    );
    expect(result.steps.map((s) => [s.weight, s.verdict])).toEqual([
      [10, 'pass'],
      // The looks at 25 % passed until alice rolled back between two of them.
      [25, 'pass'],
    ]);
    expect(result.routing).toMatchObject({ weightsSet: [10, 25, 0], problems: [] });
    expect(result.slackCommands).toEqual([
      expect.objectContaining({ atSeconds: 360, user: 'bob', text: 'rollback checkout', statusCode: 200, responseType: 'ephemeral', reply: expect.stringMatching(/are not on the list of people who may run `rollback`/) }),
      expect.objectContaining({ atSeconds: 480, user: 'alice', channel: 'deploys', statusCode: 200, responseType: 'in_channel', reply: expect.stringMatching(/^:rewind: <@U0ALICE> rolled back \*checkout\*/) }),
    ]);
    // No alarm fired: nothing for the alarm rollback, and no alarm-to-rollback latency.
    expect(result).toMatchObject({ rollbackLatencySeconds: null, alarmEvents: { invocations: [] } });
    expect(progress.filter((e) => e.type === 'slack' || e.type === 'stopped').map((e) => [e.type, e.at])).toEqual([
      ['slack', 360],
      ['stopped', 480],
      ['slack', 480],
    ]);
  });
});

describe('slack commands that change nothing', () => {
  it('a user not on the allowlist is refused: the rollout promotes as if nobody had asked', async () => {
    // Prepare
    const document = healthyWith([{ at: 120, kind: 'slack-command', user: 'bob', text: 'rollback checkout looks bad' }], { allowedUsers: ['alice'] });
    // Act
    const result = await simulate(parseScenario(document, 'healthy-bob'));
    // Assess
    expect(result).toMatchObject({ outcome: 'promoted', finalWeight: 100, error: null });
    expect(result.routing.weightsSet).toEqual([10, 100]);
    expect(result.slackCommands).toEqual([
      expect.objectContaining({ user: 'bob', responseType: 'ephemeral', reply: expect.stringMatching(/^Sorry, you \(<@U0BOB00>, member ID U0BOB00\) are not on the list/) }),
    ]);
  });

  it('an allowed user in a channel not on the list is refused too', async () => {
    const document = healthyWith([{ at: 120, kind: 'slack-command', user: 'alice', text: 'rollback checkout', channel: 'random' }]);
    const result = await simulate(parseScenario(document, 'healthy-random-channel'));
    expect(result.outcome).toBe('promoted');
    expect(result.slackCommands[0]?.reply).toMatch(/can only be run from approved channels, and this one \(C0RANDOM\) is not one of them/);
  });

  it('status reads the rollout and moves nothing', async () => {
    const document = healthyWith([{ at: 120, kind: 'slack-command', user: 'carol', text: 'status checkout' }], { allowedUsers: [] });
    const result = await simulate(parseScenario(document, 'healthy-status'));
    expect(result).toMatchObject({ outcome: 'promoted', routing: { weightsSet: [10, 100] } });
    expect(result.slackCommands).toEqual([expect.objectContaining({ user: 'carol', statusCode: 200, reply: expect.stringContaining('checkout') })]);
  });
});

describe('the allowlists', () => {
  it('by default hold everyone the slack-command events name, in world.slack.channel', async () => {
    const document = healthyWith([{ at: 120, kind: 'slack-command', user: 'alice', text: 'rollback checkout' }]);
    const scenario = parseScenario(document, 'healthy-alice');
    expect(scenario.slack).toEqual({ channel: 'deploys', allowedUsers: ['alice'], allowedChannels: ['deploys'] });
    const result = await simulate(scenario);
    expect(result).toMatchObject({ outcome: 'rolled_back', error: 'ManualRollback', simulatedSeconds: 120 });
  });

  it('names become readable Slack IDs', () => {
    expect([slackMemberId('alice'), slackMemberId('bob'), slackMemberId('j.doe'), slackChannelId('deploys')]).toEqual(['U0ALICE', 'U0BOB00', 'U0JDOE0', 'C0DEPLOYS']);
  });
});

describe('the slack-command event in a scenario file', () => {
  it.each([
    [{ at: 60, kind: 'slack-command', user: 'alice' }, /^events\[0\]\.text: required/],
    [{ at: 60, kind: 'slack-command', user: 'alice', text: '' }, /^events\[0\]\.text: cannot be empty/],
    [{ at: 60, kind: 'slack-command', user: '@alice', text: 'rollback checkout' }, /^events\[0\]\.user: a Slack name such as "alice"/],
    [{ at: 60, kind: 'slack-command', user: 'alice', text: 'rollback checkout', as: 'admin' }, /^events\[0\]: unknown field "as"/],
  ])('rejects %j', (event, message) => {
    const problems = scenarioProblems(healthyWith([]), (d) => (d.events = [event]));
    expect(problems).toEqual([expect.stringMatching(message)]);
  });

  it('rejects misspelt world.slack and world.alarmEvents fields', () => {
    const problems = scenarioProblems(healthyWith([]), (d) => {
      d.world.slack = { allowedUser: ['alice'] };
      d.world.alarmEvents = { delay: 2, deliveries: 0 };
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^world\.slack: unknown field "allowedUser"/),
        expect.stringMatching(/^world\.alarmEvents: unknown field "delay"/),
        'world.alarmEvents.deliveries: must be at least 1: EventBridge delivers at least once',
      ]),
    );
  });
});

describe('a Slack promote that stopped the execution never leaves the target split (issue 10 part 3)', () => {
  it.each([
    [5, 'promoted', 100, /promoted \*checkout\*/],
    [20, 'rolled_back', 0, /coalmine rolled the target back to 0 %/],
  ])('%i UpdateAlias throttles after the stop: %s, the target at %i %', async (times, outcome, finalWeight, reply) => {
    const document = healthyWith([
      { at: 119, kind: 'inject-fault', operation: 'UpdateAlias', error: 'TooManyRequestsException', times },
      { at: 120, kind: 'slack-command', user: 'alice', text: 'promote checkout' },
    ]);
    const result = await simulate(parseScenario(document, `promote-throttled-${times}`));
    expect(result).toMatchObject({ outcome, finalWeight, error: 'ManualPromote' });
    expect(result.slackCommands).toEqual([expect.objectContaining({ user: 'alice', text: 'promote checkout', reply: expect.stringMatching(reply) })]);
  });
});
