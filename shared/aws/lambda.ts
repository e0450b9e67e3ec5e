/**
 * The Lambda client of the handlers (made on first use, or the one installed with useAwsClients,
 * shared/aws/clients.ts). A module per client, so that a function bundles only the clients it calls
 * (the accessor is marked pure: a module that imports it and never calls it does not keep it).
 */
import { LambdaClient } from '@aws-sdk/client-lambda';
import { awsClient } from './clients';

export const lambdaClient = /* @__PURE__ */ awsClient('lambda', () => new LambdaClient({}));
