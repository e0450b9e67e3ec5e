/**
 * The SSM client of the handlers (made on first use, or the one installed with useAwsClients,
 * shared/aws/clients.ts). A module per client, so that a function bundles only the clients it calls.
 */
import { SSMClient } from '@aws-sdk/client-ssm';
import { awsClient } from './clients';

export const ssmClient = awsClient('ssm', () => new SSMClient({}));
