/**
 * Who may do what from Slack. `status` and `help` change nothing and are open to anyone in the
 * workspace; `rollback`, `promote` and `approve` (which moves a rollout on, or rolls it back at its gate)
 * move traffic and need both an allowed user and an allowed channel.
 * An empty allowlist means nobody, never everybody: forgetting to configure it must fail closed.
 */
import type { SlackCommand, SubcommandName } from './commands';

export interface SlackAccessPolicy {
  allowedUsers: readonly string[];
  allowedChannels: readonly string[];
}

/** Subcommands that move traffic. Everything else is read-only. */
export const PRIVILEGED_SUBCOMMANDS: readonly SubcommandName[] = ['rollback', 'promote', 'approve'];

export function isPrivileged(name: SubcommandName): boolean {
  return PRIVILEGED_SUBCOMMANDS.includes(name);
}

export type AuthorizationRefusal =
  | 'no-users-allowed'
  | 'user-not-allowed'
  | 'no-channels-allowed'
  | 'no-channel'
  | 'channel-not-allowed';

export type AuthorizationDecision =
  | { allowed: true }
  /** `reason` is polite and addressed to the user; `refusals` lists every rule that failed, for logs and tests. */
  | { allowed: false; refusals: AuthorizationRefusal[]; reason: string };

export function authorize(command: SlackCommand, policy: SlackAccessPolicy): AuthorizationDecision {
  const { name } = command.subcommand;
  if (!isPrivileged(name)) return { allowed: true };

  const { userId, channelId } = command.origin;
  const refusals: AuthorizationRefusal[] = [];
  const sentences: string[] = [];

  // Both rules are checked so that the user learns everything that stands in the way at once.
  if (policy.allowedUsers.length === 0) {
    refusals.push('no-users-allowed');
    sentences.push(
      `nobody may run \`${name}\` from Slack yet: the user allowlist is empty, and an empty list means nobody, ` +
        'not everybody. An operator can add Slack member IDs to it.',
    );
  } else if (!policy.allowedUsers.includes(userId)) {
    refusals.push('user-not-allowed');
    sentences.push(
      `you (<@${userId}>, member ID ${userId}) are not on the list of people who may run \`${name}\`. ` +
        'An operator can add your member ID to it.',
    );
  }

  if (policy.allowedChannels.length === 0) {
    refusals.push('no-channels-allowed');
    sentences.push(
      `\`${name}\` is not allowed in any channel yet: the channel allowlist is empty, and an empty list means ` +
        'no channel, not every channel.',
    );
  } else if (channelId === undefined) {
    refusals.push('no-channel');
    sentences.push(`\`${name}\` has to be run from an approved channel, and this request came from outside any channel.`);
  } else if (!policy.allowedChannels.includes(channelId)) {
    refusals.push('channel-not-allowed');
    sentences.push(
      `\`${name}\` can only be run from approved channels, and this one (${channelId}) is not one of them. ` +
        'Please try again from your team\'s deployment channel.',
    );
  }

  if (refusals.length === 0) return { allowed: true };
  return { allowed: false, refusals, reason: `Sorry, ${sentences.join(' Also, ')}` };
}

// ---- allowlist configuration ----------------------------------------------------------------------

export type SlackIdKind = 'user' | 'channel';

// Member IDs start with U (workspace) or W (Enterprise Grid); conversation IDs with C (channels) or
// G (older private channels and group DMs). The rest is upper-case letters and digits.
const ID_PATTERNS: Readonly<Record<SlackIdKind, RegExp>> = {
  user: /^[UW][A-Z0-9]{6,20}$/,
  channel: /^[CG][A-Z0-9]{6,20}$/,
};

const ID_EXAMPLES: Readonly<Record<SlackIdKind, string>> = {
  user: 'a member ID such as U2CERLKJA (starts with U or W)',
  channel: 'a channel ID such as C2147483705 (starts with C or G)',
};

export type AllowlistParse =
  | { ok: true; ids: string[] }
  | { ok: false; message: string; entry: string; position: number };

/**
 * Parses a comma-separated list of Slack IDs, as kept in an environment variable. Spaces around
 * entries and empty entries (a trailing comma) are ignored; duplicates are kept once; an unset or
 * blank value is an empty list, which `authorize` reads as nobody. `source` names the variable in errors.
 */
export function parseSlackIdList(raw: string | undefined, kind: SlackIdKind, source: string): AllowlistParse {
  const ids: string[] = [];
  const entries = (raw ?? '').split(',');
  for (const [index, rawEntry] of entries.entries()) {
    const entry = rawEntry.trim();
    if (entry.length === 0) continue;
    const position = index + 1;
    if (!ID_PATTERNS[kind].test(entry)) {
      return { ok: false, entry, position, message: `${source}: entry ${position}, "${entry}", ${whyNotAnId(entry, kind)}` };
    }
    if (!ids.includes(entry)) ids.push(entry);
  }
  return { ok: true, ids };
}

export type AccessPolicyParse = { ok: true; policy: SlackAccessPolicy } | { ok: false; messages: string[] };

/** Reads both allowlists at once, reporting every bad entry's list rather than stopping at the first list. */
export function parseSlackAccessPolicy(
  raw: { allowedUsers: string | undefined; allowedChannels: string | undefined },
  sources: { allowedUsers: string; allowedChannels: string },
): AccessPolicyParse {
  const users = parseSlackIdList(raw.allowedUsers, 'user', sources.allowedUsers);
  const channels = parseSlackIdList(raw.allowedChannels, 'channel', sources.allowedChannels);
  if (users.ok && channels.ok) return { ok: true, policy: { allowedUsers: users.ids, allowedChannels: channels.ids } };
  const messages = [users, channels].flatMap((result) => (result.ok ? [] : [result.message]));
  return { ok: false, messages };
}

function whyNotAnId(entry: string, kind: SlackIdKind): string {
  const other: SlackIdKind = kind === 'user' ? 'channel' : 'user';
  const expected = ID_EXAMPLES[kind];
  if (entry.startsWith('#')) return `is a channel name; use the channel ID instead, ${expected}.`;
  if (entry.startsWith('@')) return `is a display name; use the member ID instead, ${expected}.`;
  if (entry.startsWith('<') && entry.endsWith('>')) return `is Slack mention markup; use the bare ID inside it, ${expected}.`;
  if (ID_PATTERNS[kind].test(entry.toUpperCase())) return `must be upper case: Slack IDs are, ${expected}.`;
  if (ID_PATTERNS[other].test(entry)) return `looks like a ${other} ID; this list needs ${expected}.`;
  return `is not ${expected}.`;
}
