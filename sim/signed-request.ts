/**
 * A slash command as Slack sends it and API Gateway (HTTP API, payload 2.0) delivers it, signed with a
 * given secret at a given time: how the simulator (and anything else that drives coalmine without Slack)
 * puts a person's `/coalmine rollback …` into a scenario. Pure.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { signSlackRequest } from '../shared/slack/verify';

export interface SlashCommandInput {
  /** What follows the command, e.g. "rollback checkout error rate doubled". */
  readonly text: string;
  readonly userId: string;
  readonly userName?: string;
  readonly channelId: string;
  readonly teamId?: string;
  /** Where the outcome is posted when it comes later; give one whose posts the caller captures. */
  readonly responseUrl?: string;
  /** The command as typed; "/coalmine" by default. */
  readonly command?: string;
}

export function signedSlashCommandEvent(input: SlashCommandInput, signing: { signingSecret: string; nowMs: number }): APIGatewayProxyEventV2 {
  const form = new URLSearchParams({
    team_id: input.teamId ?? 'T0SIMULATE',
    channel_id: input.channelId,
    user_id: input.userId,
    ...(input.userName !== undefined ? { user_name: input.userName } : {}),
    command: input.command ?? '/coalmine',
    text: input.text,
    ...(input.responseUrl !== undefined ? { response_url: input.responseUrl } : {}),
  });
  const body = form.toString();
  const seconds = Math.floor(signing.nowMs / 1000);
  const path = '/slack/commands';
  return {
    version: '2.0',
    routeKey: `POST ${path}`,
    rawPath: path,
    rawQueryString: '',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'user-agent': 'Slackbot 1.0 (+https://api.slack.com/robots)',
      ...signSlackRequest({ signingSecret: signing.signingSecret, timestamp: seconds, body }),
    },
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: 'local',
      domainPrefix: 'local',
      http: { method: 'POST', path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'Slackbot 1.0 (+https://api.slack.com/robots)' },
      requestId: `local-${signing.nowMs}`,
      routeKey: `POST ${path}`,
      stage: '$default',
      time: new Date(signing.nowMs).toISOString(),
      timeEpoch: signing.nowMs,
    },
    body,
    isBase64Encoded: false,
  };
}
