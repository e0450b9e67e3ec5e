/**
 * The EventBridge client of the handlers (made on first use, or the one installed with useAwsClients,
 * shared/aws/clients.ts). A module per client, so that a function bundles only the clients it calls.
 */
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { awsClient } from './clients';

export const eventBridgeClient = awsClient('eventbridge', () => new EventBridgeClient({}));
