/**
 * How an answer reaches the person: a slash command's is the HTTP response's body; a button's goes to
 * its response_url (Slack shows nothing of an interaction's acknowledgement), as does the outcome of a
 * handed-over command.
 */
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { errorLogFields } from '../errors';
import { logger } from '../handler';
import type { SlackCommand } from './commands';
import { postToResponseUrl } from './poster';
import type { SlackResponse } from './responses';

export type HttpResult = APIGatewayProxyStructuredResultV2;

/** The HTTP answer to a request: the body for a slash command; an empty 200 after posting for a button. */
export async function answer(origin: SlackCommand['origin'] | undefined, response: SlackResponse): Promise<HttpResult> {
  if (origin?.via !== 'button') return slackBody(response);
  if (origin.responseUrl !== undefined) {
    try {
      await postToResponseUrl(origin.responseUrl, response);
    } catch (error) {
      logger.error('could not answer a button press on its response_url', errorLogFields(error));
    }
  } else {
    logger.warn('a button press came without a response_url; its answer is lost', { user: origin.userId });
  }
  return { statusCode: 200, body: '' };
}

export function slackBody(response: SlackResponse): HttpResult {
  return { statusCode: 200, headers: { 'content-type': 'application/json; charset=utf-8' }, body: JSON.stringify(response) };
}

/** Posts to the command's response_url; false (and logged) when there is none or Slack refuses. */
export async function post(command: SlackCommand, response: SlackResponse): Promise<boolean> {
  const url = command.origin.responseUrl;
  if (url === undefined) {
    logger.warn('the command has no response_url; its outcome is only in the logs', { user: command.origin.userId });
    return false;
  }
  try {
    await postToResponseUrl(url, response);
    return true;
  } catch (error) {
    logger.error('could not post the outcome to the response_url', errorLogFields(error));
    return false;
  }
}
