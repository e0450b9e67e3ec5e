import { notifySlack } from '../shared/slack/notifier';
import { lambdaHandler } from '../shared/handler';

/** EventBridge: coalmine lifecycle events and executions stopped from outside → one Slack message each. */
export const handler = lambdaHandler((event: unknown) => notifySlack(event));
