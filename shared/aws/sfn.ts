/**
 * The Step Functions client of the handlers (made on first use, or the one installed with useAwsClients,
 * shared/aws/clients.ts). A module per client, so that a function bundles only the clients it calls.
 */
import { SFNClient } from '@aws-sdk/client-sfn';
import { awsClient } from './clients';

export const sfnClient = awsClient('sfn', () => new SFNClient({}));
