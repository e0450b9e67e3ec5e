import {
  PRIVILEGED_SUBCOMMANDS,
  authorize,
  parseSlackAccessPolicy,
  parseSlackIdList,
  type AuthorizationRefusal,
  type SlackAccessPolicy,
} from '../../../shared/slack/authorize';
import type { SlackCommand, Subcommand } from '../../../shared/slack/commands';

const ALICE = 'U0ALICE123';
const MALLORY = 'U0MALLORY1';
const DEPLOYS = 'C0DEPLOYS1';
const RANDOM = 'C0RANDOM99';

const policy: SlackAccessPolicy = { allowedUsers: [ALICE, 'W0GRIDUSER1'], allowedChannels: [DEPLOYS, 'G0PRIVATE01'] };

function command(subcommand: Subcommand, userId: string, channelId: string | undefined): SlackCommand {
  return {
    subcommand,
    origin: channelId === undefined ? { via: 'button', userId } : { via: 'slash-command', userId, channelId },
  };
}

const rollback: Subcommand = { name: 'rollback', target: 'checkout:live', reason: 'errors' };
const promote: Subcommand = { name: 'promote', target: 'checkout:live' };
const status: Subcommand = { name: 'status', target: 'checkout:live' };
const help: Subcommand = { name: 'help' };

describe('authorize', () => {
  it('treats exactly rollback, promote and approve as privileged: approve moves a rollout on, or back', () => {
    expect([...PRIVILEGED_SUBCOMMANDS].sort()).toEqual(['approve', 'promote', 'rollback']);
  });

  const table: Array<[string, Subcommand, string, string | undefined, SlackAccessPolicy, AuthorizationRefusal[]]> = [
    // Read-only commands: anyone, anywhere, whatever the lists say.
    ['status by a stranger in a random channel', status, MALLORY, RANDOM, policy, []],
    ['help by a stranger in a random channel', help, MALLORY, RANDOM, policy, []],
    ['status with empty allowlists', status, MALLORY, RANDOM, { allowedUsers: [], allowedChannels: [] }, []],
    ['status outside any channel', { name: 'status' }, MALLORY, undefined, policy, []],
    // Privileged commands: both lists.
    ['rollback by an allowed user in an allowed channel', rollback, ALICE, DEPLOYS, policy, []],
    ['promote by an allowed user in an allowed channel', promote, ALICE, DEPLOYS, policy, []],
    ['rollback by a Grid user in an allowed private channel', rollback, 'W0GRIDUSER1', 'G0PRIVATE01', policy, []],
    ['rollback by an allowed user in another channel', rollback, ALICE, RANDOM, policy, ['channel-not-allowed']],
    ['rollback by an allowed user in a DM', rollback, ALICE, 'D0DIRECT001', policy, ['channel-not-allowed']],
    ['promote by a stranger in an allowed channel', promote, MALLORY, DEPLOYS, policy, ['user-not-allowed']],
    ['rollback by a stranger in another channel', rollback, MALLORY, RANDOM, policy, ['user-not-allowed', 'channel-not-allowed']],
    ['rollback by an allowed user outside any channel', rollback, ALICE, undefined, policy, ['no-channel']],
    [
      'rollback with an empty user list',
      rollback,
      ALICE,
      DEPLOYS,
      { allowedUsers: [], allowedChannels: [DEPLOYS] },
      ['no-users-allowed'],
    ],
    [
      'rollback with an empty channel list',
      rollback,
      ALICE,
      DEPLOYS,
      { allowedUsers: [ALICE], allowedChannels: [] },
      ['no-channels-allowed'],
    ],
    [
      'promote with both lists empty',
      promote,
      ALICE,
      DEPLOYS,
      { allowedUsers: [], allowedChannels: [] },
      ['no-users-allowed', 'no-channels-allowed'],
    ],
    // IDs are compared exactly.
    ['a user ID in another case', rollback, ALICE.toLowerCase(), DEPLOYS, policy, ['user-not-allowed']],
    ['a channel ID with a prefix of an allowed one', rollback, ALICE, DEPLOYS.slice(0, -1), policy, ['channel-not-allowed']],
  ];

  it.each(table)('%s', (_name, subcommand, userId, channelId, accessPolicy, refusals) => {
    const decision = authorize(command(subcommand, userId, channelId), accessPolicy);
    if (refusals.length === 0) {
      expect(decision).toEqual({ allowed: true });
    } else {
      expect(decision).toMatchObject({ allowed: false, refusals });
    }
  });

  describe('reasons', () => {
    const reasonFor = (subcommand: Subcommand, userId: string, channelId: string | undefined, accessPolicy = policy) => {
      const decision = authorize(command(subcommand, userId, channelId), accessPolicy);
      if (decision.allowed) throw new Error('expected a refusal');
      return decision.reason;
    };

    it('are polite and name the command', () => {
      const reason = reasonFor(rollback, MALLORY, DEPLOYS);
      expect(reason).toMatch(/^Sorry, /);
      expect(reason).toContain('`rollback`');
    });

    it('tell a stranger their member ID, so that they can ask for it to be added', () => {
      expect(reasonFor(promote, MALLORY, DEPLOYS)).toContain(MALLORY);
    });

    it('say that an empty list means nobody, not everybody', () => {
      const reason = reasonFor(rollback, ALICE, DEPLOYS, { allowedUsers: [], allowedChannels: [DEPLOYS] });
      expect(reason).toMatch(/empty/);
      expect(reason).toMatch(/means nobody, not everybody/);
    });

    it('say the same of an empty channel list', () => {
      const reason = reasonFor(rollback, ALICE, DEPLOYS, { allowedUsers: [ALICE], allowedChannels: [] });
      expect(reason).toMatch(/means no channel, not every channel/);
    });

    it('mention both problems when both rules fail', () => {
      const reason = reasonFor(rollback, MALLORY, RANDOM);
      expect(reason).toMatch(/not on the list/);
      expect(reason).toMatch(/approved channels/);
    });

    it('do not list the allowed users or channels', () => {
      const reason = reasonFor(rollback, MALLORY, RANDOM);
      for (const id of [...policy.allowedUsers, ...policy.allowedChannels]) expect(reason).not.toContain(id);
    });
  });
});

describe('parseSlackIdList', () => {
  it.each([
    [undefined, []],
    ['', []],
    ['   ', []],
    ['U0ALICE123', ['U0ALICE123']],
    ['U0ALICE123,W0GRIDUSER1', ['U0ALICE123', 'W0GRIDUSER1']],
    [' U0ALICE123 , W0GRIDUSER1 ', ['U0ALICE123', 'W0GRIDUSER1']],
    ['U0ALICE123,', ['U0ALICE123']],
    ['U0ALICE123,,W0GRIDUSER1', ['U0ALICE123', 'W0GRIDUSER1']],
    ['U0ALICE123,U0ALICE123', ['U0ALICE123']],
    ['U2CERLKJA', ['U2CERLKJA']],
  ] as const)('users %j → %j', (raw, ids) => {
    expect(parseSlackIdList(raw, 'user', 'COALMINE_SLACK_ALLOWED_USERS')).toEqual({ ok: true, ids });
  });

  it.each([
    ['C0DEPLOYS1,G0PRIVATE01', ['C0DEPLOYS1', 'G0PRIVATE01']],
    ['G8PSS9T3V', ['G8PSS9T3V']],
    ['C2147483705', ['C2147483705']],
  ] as const)('channels %j → %j', (raw, ids) => {
    expect(parseSlackIdList(raw, 'channel', 'COALMINE_SLACK_ALLOWED_CHANNELS')).toEqual({ ok: true, ids });
  });

  it.each([
    ['user', 'U0ALICE123,@bob', '@bob', 2, /display name; use the member ID/],
    ['user', 'u0alice123', 'u0alice123', 1, /must be upper case/],
    ['user', 'C0DEPLOYS1', 'C0DEPLOYS1', 1, /looks like a channel ID/],
    ['user', '<@U0ALICE123>', '<@U0ALICE123>', 1, /mention markup/],
    ['user', 'U0ALICE123 W0GRIDUSER1', 'U0ALICE123 W0GRIDUSER1', 1, /is not a member ID/],
    ['user', 'U0ALICE123;W0GRIDUSER1', 'U0ALICE123;W0GRIDUSER1', 1, /is not a member ID/],
    ['user', 'B0BOTUSER1', 'B0BOTUSER1', 1, /is not a member ID such as U2CERLKJA/],
    ['user', 'U1', 'U1', 1, /is not a member ID/],
    ['channel', 'C0DEPLOYS1,#deploys', '#deploys', 2, /channel name; use the channel ID/],
    ['channel', 'D0DIRECT001', 'D0DIRECT001', 1, /is not a channel ID/],
    ['channel', 'U0ALICE123', 'U0ALICE123', 1, /looks like a user ID/],
    ['channel', 'deploys', 'deploys', 1, /is not a channel ID/],
  ] as const)('%s list %j names the bad entry %j', (kind, raw, entry, position, why) => {
    const source = kind === 'user' ? 'COALMINE_SLACK_ALLOWED_USERS' : 'COALMINE_SLACK_ALLOWED_CHANNELS';
    const result = parseSlackIdList(raw, kind, source);
    expect(result).toMatchObject({ ok: false, entry, position });
    if (result.ok) return;
    expect(result.message).toContain(source);
    expect(result.message).toContain(`"${entry}"`);
    expect(result.message).toMatch(why);
  });
});

describe('parseSlackAccessPolicy', () => {
  const sources = { allowedUsers: 'COALMINE_SLACK_ALLOWED_USERS', allowedChannels: 'COALMINE_SLACK_ALLOWED_CHANNELS' };

  it('reads both lists', () => {
    expect(parseSlackAccessPolicy({ allowedUsers: 'U0ALICE123', allowedChannels: 'C0DEPLOYS1' }, sources)).toEqual({
      ok: true,
      policy: { allowedUsers: ['U0ALICE123'], allowedChannels: ['C0DEPLOYS1'] },
    });
  });

  it('reads unset variables as empty lists, which authorize refuses', () => {
    const result = parseSlackAccessPolicy({ allowedUsers: undefined, allowedChannels: undefined }, sources);
    expect(result).toEqual({ ok: true, policy: { allowedUsers: [], allowedChannels: [] } });
    if (!result.ok) return;
    expect(authorize(command(rollback, ALICE, DEPLOYS), result.policy).allowed).toBe(false);
  });

  it('reports a bad entry in each list', () => {
    const result = parseSlackAccessPolicy({ allowedUsers: '@alice', allowedChannels: '#deploys' }, sources);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.messages).toHaveLength(2);
    expect(result.messages[0]).toContain('COALMINE_SLACK_ALLOWED_USERS');
    expect(result.messages[1]).toContain('COALMINE_SLACK_ALLOWED_CHANNELS');
  });
});
