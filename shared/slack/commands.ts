/**
 * Turns what Slack sends (a slash command's form body, or an interactivity `payload=` form field from a
 * button) into one typed command. Pure, and only for bodies that `verifySlackRequest` accepted.
 *
 *   /coalmine rollback <target> [reason…]
 *   /coalmine promote <target>
 *   /coalmine approve <target>       (and the gate's Approve and Roll back buttons)
 *   /coalmine status [target]
 *   /coalmine help
 */
import { fieldsOf, holds, listOf, nullish, optional, text, type FieldProblem } from '../fields';
import { isRecord } from '../json';

export const SUBCOMMAND_NAMES = ['rollback', 'promote', 'approve', 'status', 'help'] as const;
export type SubcommandName = (typeof SUBCOMMAND_NAMES)[number];

export type Subcommand =
  | { name: 'rollback'; target: string; reason?: string }
  | { name: 'promote'; target: string }
  /** Answers the gate the rollout waits at: approve, or (the gate's Roll back button) reject. */
  | { name: 'approve'; target: string; decision: 'approve' | 'reject' }
  | { name: 'status'; target?: string }
  | { name: 'help' };

/** Who asked, from where, and how to answer later. */
export interface SlackOrigin {
  via: 'slash-command' | 'button';
  userId: string;
  userName?: string;
  teamId?: string;
  /** Absent when a button was pressed outside a conversation (e.g. the App Home). */
  channelId?: string;
  /** Slack's short-lived webhook for follow-up messages. */
  responseUrl?: string;
  triggerId?: string;
  /** The slash command as typed, e.g. "/coalmine"; a workspace may have renamed it. */
  slashCommand?: string;
}

export interface SlackCommand {
  subcommand: Subcommand;
  origin: SlackOrigin;
}

export type CommandParseErrorCode =
  | 'unknown-subcommand'
  | 'missing-target'
  | 'invalid-target'
  | 'unexpected-argument'
  | 'invalid-reason'
  /** The body is not a Slack request we understand (missing user, bad JSON, wrong field types). */
  | 'malformed-request'
  /** A well-formed interaction that coalmine does not handle (another payload type, an unknown button). */
  | 'unsupported-interaction';

export interface CommandParseError {
  code: CommandParseErrorCode;
  /** What was wrong, in a sentence a user can act on. Plain text: escape before putting it in mrkdwn. */
  message: string;
  /** The usage line for the subcommand concerned, or the whole usage. */
  usage: string;
}

export type SlackCommandParse =
  | { ok: true; command: SlackCommand }
  /** `origin` is there whenever the request said who sent it, so the handler can still answer them. */
  | { ok: false; error: CommandParseError; origin?: SlackOrigin };

/** The `action_id`s of coalmine's buttons. One definition, shared by the message builders and this parser. */
export const ACTION_IDS = {
  rollback: 'coalmine.rollback',
  promote: 'coalmine.promote',
  status: 'coalmine.status',
  /** At a gate: approve (SendTaskSuccess). */
  approve: 'coalmine.approve',
  /** At a gate: roll back (SendTaskFailure). */
  reject: 'coalmine.reject',
} as const;

/** Longest target: a rollout name, `function:alias` or an execution name all fit. */
export const MAX_TARGET_LENGTH = 128;
export const MAX_REASON_LENGTH = 500;

const DEFAULT_SLASH_COMMAND = '/coalmine';

// Letters, digits, '.', '_' and '-', each part starting with a letter or digit; at most one ':' (function:alias).
// Covers Lambda function and alias names and Step Functions execution names that avoid their reserved characters.
const TARGET_PART = '[A-Za-z0-9][A-Za-z0-9._-]*';
const TARGET_PATTERN = new RegExp(`^${TARGET_PART}(?::${TARGET_PART})?$`);
const TARGET_CHARACTER = /[A-Za-z0-9._:-]/;

export function usageLine(name: SubcommandName, slashCommand = DEFAULT_SLASH_COMMAND): string {
  switch (name) {
    case 'rollback':
      return `${slashCommand} rollback <target> [reason…]`;
    case 'promote':
      return `${slashCommand} promote <target>`;
    case 'approve':
      return `${slashCommand} approve <target>`;
    case 'status':
      return `${slashCommand} status [target]`;
    case 'help':
      return `${slashCommand} help`;
  }
}

export function fullUsage(slashCommand = DEFAULT_SLASH_COMMAND): string {
  return SUBCOMMAND_NAMES.map((name) => usageLine(name, slashCommand)).join('\n');
}

/**
 * Parses the text after the slash command. Whitespace is free, the subcommand is case-insensitive,
 * the target keeps its case (Lambda names are case-sensitive), empty text means help.
 */
export function parseCommandText(
  text: string,
  slashCommand = DEFAULT_SLASH_COMMAND,
): { ok: true; subcommand: Subcommand } | { ok: false; error: CommandParseError } {
  const trimmed = text.trim();
  if (trimmed.length === 0) return { ok: true, subcommand: { name: 'help' } };

  const [word = '', ...rest] = trimmed.split(/\s+/);
  const name = word.toLowerCase();
  const usage = (n: SubcommandName) => usageLine(n, slashCommand);
  const fail = (code: CommandParseErrorCode, message: string, u: string) =>
    ({ ok: false, error: { code, message, usage: u } }) as const;

  switch (name) {
    case 'help':
      return { ok: true, subcommand: { name: 'help' } };

    case 'status': {
      if (rest.length > 1) {
        return fail('unexpected-argument', `status takes at most one target, not ${rest.length} words.`, usage('status'));
      }
      const [target] = rest;
      if (target === undefined) return { ok: true, subcommand: { name: 'status' } };
      const problem = targetProblem(target);
      if (problem !== undefined) return fail('invalid-target', problem, usage('status'));
      return { ok: true, subcommand: { name: 'status', target } };
    }

    case 'promote': {
      const [target, ...extra] = rest;
      if (target === undefined) {
        return fail('missing-target', 'promote needs to know what to promote.', usage('promote'));
      }
      const problem = targetProblem(target);
      if (problem !== undefined) return fail('invalid-target', problem, usage('promote'));
      if (extra.length > 0) {
        return fail(
          'unexpected-argument',
          `promote takes only a target; "${clip(extra.join(' '))}" was left over.`,
          usage('promote'),
        );
      }
      return { ok: true, subcommand: { name: 'promote', target } };
    }

    case 'approve': {
      const [target, ...extra] = rest;
      if (target === undefined) return fail('missing-target', 'approve needs to know which rollout to approve.', usage('approve'));
      const problem = targetProblem(target);
      if (problem !== undefined) return fail('invalid-target', problem, usage('approve'));
      if (extra.length > 0) {
        return fail('unexpected-argument', `approve takes only a target; "${clip(extra.join(' '))}" was left over.`, usage('approve'));
      }
      return { ok: true, subcommand: { name: 'approve', target, decision: 'approve' } };
    }

    case 'rollback': {
      const [target] = rest;
      if (target === undefined) {
        return fail('missing-target', 'rollback needs to know what to roll back.', usage('rollback'));
      }
      const problem = targetProblem(target);
      if (problem !== undefined) return fail('invalid-target', problem, usage('rollback'));
      // The reason is everything after the target, with its runs of whitespace folded to single spaces.
      const reason = rest.slice(1).join(' ');
      if (reason.length > MAX_REASON_LENGTH) {
        return fail(
          'invalid-reason',
          `the reason is ${reason.length} characters; keep it under ${MAX_REASON_LENGTH}.`,
          usage('rollback'),
        );
      }
      return {
        ok: true,
        subcommand: reason.length > 0 ? { name: 'rollback', target, reason } : { name: 'rollback', target },
      };
    }

    default:
      return fail(
        'unknown-subcommand',
        `"${clip(word)}" is not a coalmine command. Try one of: ${SUBCOMMAND_NAMES.join(', ')}.`,
        fullUsage(slashCommand),
      );
  }
}

/** Why a target is refused, or undefined when it is fine. */
export function targetProblem(target: string): string | undefined {
  if (target.length > MAX_TARGET_LENGTH) {
    return `the target is ${target.length} characters long; the limit is ${MAX_TARGET_LENGTH}.`;
  }
  if (TARGET_PATTERN.test(target)) return undefined;
  const bad = [...target].find((ch) => !TARGET_CHARACTER.test(ch));
  const rule =
    'a target is a rollout name, function:alias or execution name made of letters, digits, ".", "_" and "-" ' +
    '(with at most one ":")';
  if (bad !== undefined) return `"${clip(target)}" contains ${describeCharacter(bad)}; ${rule}.`;
  return `"${clip(target)}" is not a valid target; ${rule}, each part starting with a letter or digit.`;
}

// ---- slash commands -------------------------------------------------------------------------------

// Slack IDs (users, channels, teams) are upper-case letters and digits; holding them to that keeps them
// safe to echo into messages as <@U…> mentions.
const SLACK_ID = /^[A-Z0-9]{2,32}$/;

// Checked by hand (shared/fields.ts), not by a schema: the parse is on every Slack request's path, and a
// schema library would be most of the Slack functions' cold start.
const slackId = holds((value) => typeof value === 'string' && SLACK_ID.test(value), 'a Slack ID');
const httpsUrl = holds((value) => typeof value === 'string' && isHttpsUrl(value), 'an https URL');

interface SlashCommandForm {
  readonly command?: string;
  readonly text?: string;
  readonly user_id: string;
  readonly user_name?: string;
  readonly channel_id: string;
  readonly team_id?: string;
  readonly response_url?: string;
  readonly trigger_id?: string;
}

// Every form field is a string: only the IDs and the URL can be wrong.
const checkSlashCommandForm = fieldsOf({ user_id: slackId, channel_id: slackId, team_id: optional(slackId), response_url: optional(httpsUrl) });

/** Parses a slash command's `application/x-www-form-urlencoded` body. */
export function parseSlashCommand(body: string): SlackCommandParse {
  const form = formFields(body);
  const bad = checkSlashCommandForm(form, '');
  if (bad.length > 0) return malformed(`the slash command is missing or has a bad ${quoted(bad)}.`);
  const fields = form as unknown as SlashCommandForm;
  const slashCommand = fields.command !== undefined && fields.command.length > 0 ? fields.command : undefined;
  const origin = compact<SlackOrigin>({
    via: 'slash-command',
    userId: fields.user_id,
    userName: fields.user_name,
    teamId: fields.team_id,
    channelId: fields.channel_id,
    responseUrl: fields.response_url,
    triggerId: fields.trigger_id,
    slashCommand,
  });
  const result = parseCommandText(fields.text ?? '', slashCommand);
  if (!result.ok) return { ok: false, error: result.error, origin };
  return { ok: true, command: { subcommand: result.subcommand, origin } };
}

// ---- interactivity (buttons) ----------------------------------------------------------------------

interface BlockActions {
  readonly user: { readonly id: string; readonly username?: string; readonly name?: string };
  readonly team?: { readonly id: string } | null;
  readonly channel?: { readonly id: string } | null;
  readonly response_url?: string;
  readonly trigger_id?: string;
  readonly actions: ReadonlyArray<{ readonly action_id: string; readonly value?: string }>;
}

// Slack adds fields over time; unknown keys are ignored, not refused.
const checkBlockActions = fieldsOf({
  user: fieldsOf({ id: slackId, username: optional(text), name: optional(text) }),
  team: nullish(fieldsOf({ id: slackId })),
  channel: nullish(fieldsOf({ id: slackId })),
  response_url: optional(httpsUrl),
  trigger_id: optional(text),
  actions: listOf(fieldsOf({ action_id: text, value: optional(text) }), 1),
});

/** Each button's subcommand, given the target its value names. */
const BUTTONS: Readonly<Record<string, { readonly name: 'rollback' | 'promote' | 'approve' | 'status'; readonly subcommand: (target: string) => Subcommand }>> = {
  [ACTION_IDS.rollback]: { name: 'rollback', subcommand: (target) => ({ name: 'rollback', target }) },
  [ACTION_IDS.promote]: { name: 'promote', subcommand: (target) => ({ name: 'promote', target }) },
  [ACTION_IDS.status]: { name: 'status', subcommand: (target) => ({ name: 'status', target }) },
  [ACTION_IDS.approve]: { name: 'approve', subcommand: (target) => ({ name: 'approve', target, decision: 'approve' }) },
  [ACTION_IDS.reject]: { name: 'approve', subcommand: (target) => ({ name: 'approve', target, decision: 'reject' }) },
};

/**
 * Parses an interactivity request: a form body whose `payload` field holds JSON. Only `block_actions`
 * from coalmine's own buttons become commands; the button's `value` names the target.
 */
export function parseInteraction(body: string): SlackCommandParse {
  const raw = formFields(body).payload;
  if (raw === undefined) return malformed('the interaction has no "payload" field.');
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return malformed('the interaction payload is not JSON.');
  }

  const type = isRecord(json) ? json.type : undefined;
  if (type !== 'block_actions') {
    return {
      ok: false,
      error: {
        code: typeof type === 'string' ? 'unsupported-interaction' : 'malformed-request',
        message:
          typeof type === 'string'
            ? `coalmine does not handle "${clip(type)}" interactions.`
            : 'the interaction payload has no type.',
        usage: fullUsage(),
      },
    };
  }

  const bad = checkBlockActions(json, '');
  if (bad.length > 0) return malformed(`the button press is missing or has a bad ${quoted(bad)}.`);
  const payload = json as unknown as BlockActions;
  const origin = compact<SlackOrigin>({
    via: 'button',
    userId: payload.user.id,
    userName: payload.user.username ?? payload.user.name,
    teamId: payload.team?.id,
    channelId: payload.channel?.id,
    responseUrl: payload.response_url,
    triggerId: payload.trigger_id,
  });

  // Slack sends one action per press; the first is the one pressed.
  const [action] = payload.actions;
  const button = action === undefined ? undefined : BUTTONS[action.action_id];
  if (action === undefined || button === undefined) {
    return {
      ok: false,
      error: {
        code: 'unsupported-interaction',
        message: `coalmine has no button "${clip(action?.action_id ?? '')}".`,
        usage: fullUsage(),
      },
      origin,
    };
  }

  const name = button.name;
  const target = (action.value ?? '').trim();
  if (target.length === 0) {
    if (name === 'status') return { ok: true, command: { subcommand: { name: 'status' }, origin } };
    return { ok: false, error: { code: 'missing-target', message: `the ${name} button names no target.`, usage: usageLine(name) }, origin };
  }
  const problem = targetProblem(target);
  if (problem !== undefined) {
    return { ok: false, error: { code: 'invalid-target', message: problem, usage: usageLine(name) }, origin };
  }
  return { ok: true, command: { subcommand: button.subcommand(target), origin } };
}

/** One endpoint for both: a body with a `payload` field is an interaction, anything else a slash command. */
export function parseSlackRequest(body: string): SlackCommandParse {
  return formFields(body).payload !== undefined ? parseInteraction(body) : parseSlashCommand(body);
}

// ---- helpers --------------------------------------------------------------------------------------

/** First value of each field; URLSearchParams decodes `+` as a space, as the form encoding says. */
function formFields(body: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const [key, value] of new URLSearchParams(body)) {
    if (!(key in fields)) fields[key] = value;
  }
  return fields;
}

function malformed(message: string): SlackCommandParse {
  return { ok: false, error: { code: 'malformed-request', message, usage: fullUsage() } };
}

function quoted(problems: readonly FieldProblem[]): string {
  return [...new Set(problems.map((problem) => problem.path || '(body)'))].map((p) => `"${p}"`).join(', ');
}

function isHttpsUrl(value: string): boolean {
  try {
    return new URL(value).protocol === 'https:';
  } catch {
    return false;
  }
}


/** Drops undefined members so that optional fields are absent rather than present-and-undefined. */
function compact<T extends object>(value: { [K in keyof T]: T[K] | undefined }): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** Echoes user input back shortened, so that a pasted essay does not become the error message. */
function clip(text: string, max = 60): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function describeCharacter(ch: string): string {
  const code = ch.codePointAt(0) ?? 0;
  if (code < 0x20 || code === 0x7f) return `a control character (U+${code.toString(16).toUpperCase().padStart(4, '0')})`;
  return `"${ch}"`;
}
