/**
 * The bodies coalmine answers Slack with: `{ response_type, text, blocks? }`, returned from the
 * request within Slack's 3 seconds or posted later to the `response_url`. `text` is always set, as the
 * notification and screen-reader fallback when there are blocks.
 *
 * Refusals, errors and help are ephemeral (only the asker sees them); a rollback or promotion request is
 * posted in the channel, so that everyone watching the deployment sees who moved traffic and why.
 */
import type { CommandParseError, SlackCommand } from './commands';
import { ACTION_IDS, fullUsage, targetProblem } from './commands';

export interface TextObject {
  type: 'mrkdwn' | 'plain_text';
  text: string;
}

export interface ConfirmationDialog {
  title: { type: 'plain_text'; text: string };
  text: { type: 'plain_text'; text: string };
  confirm: { type: 'plain_text'; text: string };
  deny: { type: 'plain_text'; text: string };
  style?: 'danger' | 'primary';
}

export interface ButtonElement {
  type: 'button';
  text: { type: 'plain_text'; text: string };
  action_id: string;
  value: string;
  style?: 'danger' | 'primary';
  confirm?: ConfirmationDialog;
}

export type SlackBlock =
  /** `fields` show as a two-column grid under the text (at most 10, each at most 2,000 characters). */
  | { type: 'section'; text: TextObject; fields?: TextObject[] }
  | { type: 'context'; elements: TextObject[] }
  | { type: 'actions'; elements: ButtonElement[] }
  | { type: 'header'; text: { type: 'plain_text'; text: string } }
  | { type: 'divider' };

export interface SlackResponse {
  response_type: 'ephemeral' | 'in_channel';
  text: string;
  blocks?: SlackBlock[];
}

/** Slack's limit on a section's text. */
const SECTION_TEXT_LIMIT = 3000;

/**
 * Escapes the three characters Slack's mrkdwn treats as control characters, so that user input cannot
 * become a mention, a channel-wide ping or a link. Entities Slack already escaped are left alone.
 */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&(?!(?:amp|lt|gt);)/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** `text` as a code span. Backticks cannot be escaped inside one; they never occur in names coalmine accepts. */
export function inlineCode(text: string): string {
  return `\`${escapeMrkdwn(text.replace(/`/g, "'"))}\``;
}

/** The person who sent `command`, as a mention. */
export function askerOf(command: SlackCommand): string {
  return `<@${command.origin.userId}>`;
}

export function helpResponse(slashCommand?: string): SlackResponse {
  // "<target>" must reach Slack as "&lt;target&gt;": a raw "<" starts a link or mention, even in a code block.
  const usage = escapeMrkdwn(fullUsage(slashCommand));
  const intro = '*coalmine* moves traffic to a new version step by step and rolls back when the canary looks worse.';
  const details = escapeMrkdwn(
    [
      '• `rollback <target> [reason…]` sends all traffic back to the stable version now.',
      '• `promote <target>` sends all traffic to the new version now.',
      '• `approve <target>` lets a rollout waiting at its approval gate move on.',
      '• `status [target]` shows rollouts in progress.',
      'A target is a rollout name, `function:alias`, or an execution name.',
    ].join('\n'),
  );
  return {
    response_type: 'ephemeral',
    text: `${intro}\n${usage}`,
    blocks: [
      section(intro),
      section(`\`\`\`${usage}\`\`\``),
      section(details),
      context('Anyone can ask for status and help. Rollback, promote and approve need an allowed user in an allowed channel.'),
    ],
  };
}

/** For `authorize`'s refusal; its reason is already mrkdwn with only trusted values interpolated. */
export function refusalResponse(refusal: { reason: string }): SlackResponse {
  return {
    response_type: 'ephemeral',
    text: refusal.reason,
    blocks: [section(`:no_entry: ${refusal.reason}`)],
  };
}

export function parseErrorResponse(error: CommandParseError): SlackResponse {
  const message = escapeMrkdwn(error.message);
  const usage = escapeMrkdwn(error.usage);
  return {
    response_type: 'ephemeral',
    text: `${message}\nUsage:\n${usage}`,
    blocks: [section(`:warning: ${capitalise(message)}`), section(`Usage:\n\`\`\`${usage}\`\`\``)],
  };
}

/**
 * For a failure on coalmine's side. It cannot say whether anything changed, so it sends the user to
 * `status` before trying again. `reference` (e.g. the Lambda request ID) ties the message to the logs.
 */
export function errorResponse(options: { reference?: string } = {}): SlackResponse {
  const text =
    'coalmine hit an error while handling that request. Check `status` before trying again, ' +
    'in case part of it went through.';
  const blocks: SlackBlock[] = [section(`:x: ${text}`)];
  if (options.reference !== undefined && options.reference.length > 0) {
    blocks.push(context(`Reference for the operators: \`${escapeMrkdwn(options.reference)}\``));
  }
  return { response_type: 'ephemeral', text, blocks };
}

/**
 * The immediate answer when the work did not finish within Slack's deadline and goes on in the
 * background; the outcome is posted to the response_url when it is done.
 */
export function stillWorkingResponse(command: SlackCommand): SlackResponse {
  const { subcommand } = command;
  if (subcommand.name === 'rollback' || subcommand.name === 'promote' || subcommand.name === 'approve') {
    const verb = subcommand.name === 'rollback' ? 'Rolling back' : subcommand.name === 'promote' ? 'Promoting' : 'Answering the gate of';
    const headline = `:hourglass_flowing_sand: ${verb} ${inlineCode(subcommand.target)} for ${askerOf(command)}…`;
    const blocks = [section(headline)];
    if (subcommand.name === 'rollback' && subcommand.reason !== undefined) blocks.push(section(`*Reason:* ${escapeMrkdwn(subcommand.reason)}`));
    blocks.push(context('This takes longer than Slack waits for; the outcome follows here.'));
    return { response_type: 'in_channel', text: headline, blocks };
  }
  const text = 'Still reading the rollouts; the answer follows here.';
  return { response_type: 'ephemeral', text, blocks: [section(`:hourglass_flowing_sand: ${text}`)] };
}

/** The allowlists are malformed: nobody may roll back or promote until an operator fixes them. */
export function accessMisconfiguredResponse(name: string, reference?: string): SlackResponse {
  const text =
    `coalmine's Slack access lists are misconfigured, so nobody can run \`${escapeMrkdwn(name)}\` from Slack until an ` +
    'operator fixes them. `status` and `help` still work.';
  return withReference({ response_type: 'ephemeral', text, blocks: [section(`:warning: ${text}`)] }, reference);
}

/** The signing secret could not be read: no request can be verified, so none is acted on. */
export function verificationUnavailableResponse(reference?: string): SlackResponse {
  const text =
    'coalmine cannot check that this request came from Slack right now (its signing secret could not be read), ' +
    'so it did nothing. Please try again in a minute; if it persists, tell the operators.';
  return withReference({ response_type: 'ephemeral', text, blocks: [section(`:warning: ${text}`)] }, reference);
}

function withReference(response: SlackResponse, reference: string | undefined): SlackResponse {
  if (reference === undefined) return response;
  return { ...response, blocks: [...(response.blocks ?? []), context(`Reference for the operators: ${inlineCode(reference)}`)] };
}

/**
 * The immediate answer to a command coalmine accepted. `note` (plain text) adds a line, e.g. the
 * execution that was started.
 */
export function acknowledgementResponse(command: SlackCommand, options: { note?: string } = {}): SlackResponse {
  const { subcommand, origin } = command;
  const asker = `<@${origin.userId}>`;
  let response: SlackResponse;
  switch (subcommand.name) {
    case 'help':
      return helpResponse(origin.slashCommand);
    case 'rollback': {
      const headline = `:rewind: ${asker} asked coalmine to roll back \`${subcommand.target}\`: all traffic goes back to the stable version.`;
      const blocks = [section(headline)];
      if (subcommand.reason !== undefined) blocks.push(section(`*Reason:* ${escapeMrkdwn(subcommand.reason)}`));
      blocks.push(context(`Follow it with \`${statusCommand(command, subcommand.target)}\`.`));
      response = { response_type: 'in_channel', text: headline, blocks };
      break;
    }
    case 'promote': {
      const headline = `:rocket: ${asker} asked coalmine to promote \`${subcommand.target}\`: all traffic goes to the new version.`;
      response = {
        response_type: 'in_channel',
        text: headline,
        blocks: [section(headline), context(`Follow it with \`${statusCommand(command, subcommand.target)}\`.`)],
      };
      break;
    }
    case 'approve': {
      const headline =
        subcommand.decision === 'approve'
          ? `:white_check_mark: ${asker} approved \`${subcommand.target}\` at its gate.`
          : `:rewind: ${asker} asked coalmine to roll \`${subcommand.target}\` back at its gate: all traffic goes back to the stable version.`;
      response = { response_type: 'in_channel', text: headline, blocks: [section(headline), context(`Follow it with \`${statusCommand(command, subcommand.target)}\`.`)] };
      break;
    }
    case 'status': {
      const text =
        subcommand.target === undefined
          ? 'Looking up the rollouts in progress…'
          : `Looking up the status of \`${subcommand.target}\`…`;
      response = { response_type: 'ephemeral', text, blocks: [section(text)] };
      break;
    }
  }
  if (options.note !== undefined && options.note.length > 0) {
    response.blocks = [...(response.blocks ?? []), context(escapeMrkdwn(options.note))];
  }
  return response;
}

/**
 * Roll back / Promote / Status buttons for a rollout notification. Pressing one sends a `block_actions`
 * payload that `parseInteraction` turns into the same command as the slash command; the two that move
 * traffic ask for confirmation first.
 */
export function rolloutActionsBlock(target: string): SlackBlock {
  const problem = targetProblem(target);
  if (problem !== undefined) throw new RangeError(`rolloutActionsBlock: ${problem}`);
  return {
    type: 'actions',
    elements: [
      {
        type: 'button',
        text: plain('Roll back'),
        action_id: ACTION_IDS.rollback,
        value: target,
        style: 'danger',
        confirm: {
          title: plain('Roll back?'),
          text: plain(clipPlain(`All traffic for ${target} goes back to the stable version now.`, 300)),
          confirm: plain('Roll back'),
          deny: plain('Cancel'),
          style: 'danger',
        },
      },
      {
        type: 'button',
        text: plain('Promote'),
        action_id: ACTION_IDS.promote,
        value: target,
        style: 'primary',
        confirm: {
          title: plain('Promote?'),
          text: plain(clipPlain(`All traffic for ${target} goes to the new version now, skipping the remaining analysis.`, 300)),
          confirm: plain('Promote'),
          deny: plain('Cancel'),
          style: 'primary',
        },
      },
      { type: 'button', text: plain('Status'), action_id: ACTION_IDS.status, value: target },
    ],
  };
}

/**
 * The gate's buttons: Approve (SendTaskSuccess) and Roll back (SendTaskFailure), keyed by the rollout. The
 * value names the rollout, never the task token: the handler reads the token from the execution's history.
 */
export function gateActionsBlock(target: string): SlackBlock {
  const problem = targetProblem(target);
  if (problem !== undefined) throw new RangeError(`gateActionsBlock: ${problem}`);
  return {
    type: 'actions',
    elements: [
      { type: 'button', text: plain('Approve'), action_id: ACTION_IDS.approve, value: target, style: 'primary' },
      {
        type: 'button',
        text: plain('Roll back'),
        action_id: ACTION_IDS.reject,
        value: target,
        style: 'danger',
        confirm: {
          title: plain('Roll back?'),
          text: plain(clipPlain(`The gate rolls ${target} back: all traffic goes back to the stable version.`, 300)),
          confirm: plain('Roll back'),
          deny: plain('Cancel'),
          style: 'danger',
        },
      },
    ],
  };
}

function statusCommand(command: SlackCommand, target: string): string {
  return escapeMrkdwn(`${command.origin.slashCommand ?? '/coalmine'} status ${target}`);
}

function section(text: string): SlackBlock {
  return { type: 'section', text: { type: 'mrkdwn', text: clipPlain(text, SECTION_TEXT_LIMIT) } };
}

function context(text: string): SlackBlock {
  return { type: 'context', elements: [{ type: 'mrkdwn', text }] };
}

function plain(text: string): { type: 'plain_text'; text: string } {
  return { type: 'plain_text', text };
}

function clipPlain(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function capitalise(text: string): string {
  return text.length === 0 ? text : text[0]!.toUpperCase() + text.slice(1);
}
