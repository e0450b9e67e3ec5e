/**
 * The notification handler's body: an EventBridge event in, one Slack message out, through an incoming
 * webhook or a bot token (both kept in SSM). A post Slack refuses throws SlackPostFailed, so that the
 * asynchronous invocation is retried; an event that is not a rollout event is skipped and logged.
 */
import { GetExecutionHistoryCommand } from '@aws-sdk/client-sfn';
import { sfnClient } from '../aws/sfn';
import { optionalEnv, type EnvName } from '../config/env';
import { ConfigurationError, awsCall, errorLogFields } from '../errors';
import { logger } from '../handler';
import { parseSlackIdList } from './authorize';
import { classifyEvent, notificationFor, type NotificationEvent } from './notifications';
import { postSlackMessage, type SlackDestination } from './poster';
import { SLACK_BOT_TOKEN, SLACK_WEBHOOK_URL, isSlackSecretConfigured, readSlackSecret } from './secrets';

export const SLACK_CHANNEL_ENV: EnvName = 'SLACK_CHANNEL';

export interface NotifySummary {
  readonly posted: boolean;
  readonly ignored?: string;
}

export async function notifySlack(event: unknown): Promise<NotifySummary> {
  const classified = classifyEvent(event);
  if ('ignored' in classified) {
    logger.info('event not posted to Slack', { reason: classified.ignored });
    return { posted: false, ignored: classified.ignored };
  }
  // The rule filters on the state machine; this holds if a rule is widened by mistake.
  const ours = optionalEnv('STATE_MACHINE_ARN');
  if (classified.kind === 'execution-stopped' && ours !== undefined && classified.stateMachineArn !== undefined && classified.stateMachineArn !== ours) {
    const ignored = `execution ${classified.executionName} belongs to another state machine`;
    logger.info('event not posted to Slack', { reason: ignored });
    return { posted: false, ignored };
  }
  const complete = await withStopDetails(classified);
  const message = notificationFor(complete);
  const destination = await slackDestination();
  await postSlackMessage(destination, message);
  logger.info('posted to Slack', {
    event: complete.kind === 'lifecycle' ? complete.detailType : `execution ${complete.status}`,
    executionName: complete.kind === 'lifecycle' ? complete.detail.executionName : complete.executionName,
    via: destination.kind,
  });
  return { posted: true };
}

/**
 * Where notifications go: with SLACK_CHANNEL set (or no webhook configured), chat.postMessage with the
 * bot token of SLACK_BOT_TOKEN(_PARAMETER) to that channel; else the incoming webhook of
 * SLACK_WEBHOOK_URL(_PARAMETER). A deployment may name both parameters and choose with SLACK_CHANNEL.
 * Neither configured is a ConfigurationError.
 */
export async function slackDestination(): Promise<SlackDestination> {
  const webhookConfigured = isSlackSecretConfigured(SLACK_WEBHOOK_URL);
  if (isSlackSecretConfigured(SLACK_BOT_TOKEN) && (optionalEnv(SLACK_CHANNEL_ENV) !== undefined || !webhookConfigured)) {
    const channels = parseSlackIdList(optionalEnv(SLACK_CHANNEL_ENV), 'channel', SLACK_CHANNEL_ENV);
    if (!channels.ok) throw new ConfigurationError(channels.message);
    if (channels.ids.length !== 1) {
      throw new ConfigurationError(
        `${SLACK_CHANNEL_ENV} must name exactly one channel ID (e.g. C0DEPLOYS1) for the bot token to post to; it names ${channels.ids.length}.`,
      );
    }
    return { kind: 'bot', token: await readSlackSecret(SLACK_BOT_TOKEN), channel: channels.ids[0]! };
  }
  if (webhookConfigured) {
    const url = await readSlackSecret(SLACK_WEBHOOK_URL);
    if (!isHttpsUrl(url)) {
      // The value is a credential: name where it came from, not what it is.
      throw new ConfigurationError(`${SLACK_WEBHOOK_URL.purpose} is not an https URL; check ${SLACK_WEBHOOK_URL.parameterEnv}.`);
    }
    return { kind: 'webhook', url };
  }
  throw new ConfigurationError(
    `No Slack destination is configured: set ${SLACK_WEBHOOK_URL.parameterEnv} (an incoming webhook URL in SSM), ` +
      `or ${SLACK_BOT_TOKEN.parameterEnv} and ${SLACK_CHANNEL_ENV} (a bot token in SSM and the channel ID to post to).`,
  );
}

/**
 * A stop from outside names its error and cause in the execution's last history event; the status-change
 * event may not carry them. One history read fills them in; if it fails, the message goes without.
 */
async function withStopDetails(event: NotificationEvent): Promise<NotificationEvent> {
  if (event.kind !== 'execution-stopped' || event.status !== 'ABORTED' || event.error !== undefined || event.executionArn === undefined) {
    return event;
  }
  const executionArn = event.executionArn;
  try {
    const page = await awsCall('GetExecutionHistory', () =>
      sfnClient().send(new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, maxResults: 1, includeExecutionData: false })),
    );
    const details = page.events?.[0]?.executionAbortedEventDetails;
    return {
      ...event,
      ...(details?.error !== undefined ? { error: details.error } : {}),
      ...(details?.cause !== undefined ? { cause: details.cause } : {}),
    };
  } catch (error) {
    logger.warn('could not read why the execution was stopped; posting without it', {
      executionName: event.executionName,
      ...errorLogFields(error),
    });
    return event;
  }
}

function isHttpsUrl(value: string): boolean {
  try {
    return new URL(value).protocol === 'https:';
  } catch {
    return false;
  }
}
