/**
 * The Lambda client of the handlers (made on first use, or the one installed with useAwsClients,
 * shared/aws/clients.ts). A module per client, so that a function bundles only the clients it calls.
 */
import { LambdaClient } from '@aws-sdk/client-lambda';
import { awsClient } from './clients';

export const lambdaClient = awsClient('lambda', () => new LambdaClient({}));
