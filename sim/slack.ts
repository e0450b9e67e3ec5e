/**
 * People in Slack, as the deployed stack hears them: `/coalmine <text>` becomes the API Gateway (HTTP API,
 * payload 2.0) event that Slack's request makes, signed with the simulation's signing secret at the virtual
 * time, and goes to the real command handler with the scenario's allowlists and no deadline (the simulated
 * AWS answers at once, so the answer is always the outcome, never a hand-over). Slack shows the person the
 * handler's answer; the simulation records it.
 *
 * Scenarios name people and channels ("alice", "deploys"); Slack identifies them by member and channel
 * IDs, which are derived here, readable and stable: alice is U0ALICE, #deploys is C0DEPLOYS.
 */
import { handleSlackRequest } from '../shared/slack/command-handler';
import { signedSlashCommandEvent } from './signed-request';
import type { HandlerClock } from './outside-work';

/** Signs the simulated requests; the handler is given the same secret instead of reading SSM. */
const SIMULATION_SIGNING_SECRET = 'coalmine-simulation-signing-secret';

/** Slack IDs are an upper-case letter and 6 to 20 upper-case letters or digits. */
function slackId(prefix: 'U' | 'C', name: string): string {
  return `${prefix}0${name.toUpperCase().replace(/[^A-Z0-9]/g, '')}`.padEnd(7, '0').slice(0, 21);
}

export const slackMemberId = (user: string): string => slackId('U', user);
export const slackChannelId = (channel: string): string => slackId('C', channel);

export interface SlackSettings {
  /** The channel commands come from unless an event names another. */
  readonly channel: string;
  /** People who may roll back and promote (SLACK_ALLOWED_USERS), by name. */
  readonly allowedUsers: readonly string[];
  /** Channels where they may (SLACK_ALLOWED_CHANNELS), by name. */
  readonly allowedChannels: readonly string[];
}

/** A command and Slack's answer to it. */
export interface SlackExchange {
  readonly atMs: number;
  readonly user: string;
  readonly channel: string;
  readonly text: string;
  readonly statusCode: number;
  /** `in_channel`: everyone in the channel sees it; `ephemeral`: only the person who asked. */
  readonly responseType: string | null;
  /** The answer's text as Slack shows it (mrkdwn). */
  readonly reply: string;
}

export class SlackWorkspace {
  readonly exchanges: SlackExchange[] = [];

  constructor(
    private readonly settings: SlackSettings,
    private readonly clock: HandlerClock,
  ) {}

  /** `user` types `/coalmine <text>` in `channel`; resolves with what Slack shows them. */
  async command(user: string, text: string, channel = this.settings.channel): Promise<SlackExchange> {
    const nowMs = Date.now();
    const event = signedSlashCommandEvent(
      { text, userId: slackMemberId(user), userName: user, channelId: slackChannelId(channel) },
      { signingSecret: SIMULATION_SIGNING_SECRET, nowMs },
    );
    const response = await handleSlackRequest(event, {
      now: () => Date.now(),
      signingSecret: SIMULATION_SIGNING_SECRET,
      access: {
        allowedUsers: this.settings.allowedUsers.map(slackMemberId),
        allowedChannels: this.settings.allowedChannels.map(slackChannelId),
      },
      syncBudgetMs: Number.POSITIVE_INFINITY,
      clock: this.clock,
    });
    const body = parseBody(response.body);
    const exchange: SlackExchange = {
      atMs: nowMs,
      user,
      channel,
      text,
      statusCode: response.statusCode ?? 200,
      responseType: body.response_type ?? null,
      reply: body.text ?? response.body ?? '',
    };
    this.exchanges.push(exchange);
    return exchange;
  }
}

function parseBody(body: string | undefined): { response_type?: string; text?: string } {
  try {
    return JSON.parse(body ?? '') as { response_type?: string; text?: string };
  } catch {
    // A refusal of the signature is plain text.
    return {};
  }
}
