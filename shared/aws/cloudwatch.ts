/**
 * The CloudWatch client of the handlers (made on first use, or the one installed with useAwsClients,
 * shared/aws/clients.ts). A module per client, so that a function bundles only the clients it calls.
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { awsClient } from './clients';

export const cloudWatchClient = awsClient('cloudwatch', () => new CloudWatchClient({}));
