/**
 * The SSM client of the handlers (made on first use, or the one installed with useAwsClients,
 * shared/aws/clients.ts). A module per client, so that a function bundles only the clients it calls
 * (the accessor is marked pure: a module that imports it and never calls it does not keep it).
 */
import { SSMClient } from '@aws-sdk/client-ssm';
import { awsClient } from './clients';

export const ssmClient = /* @__PURE__ */ awsClient('ssm', () => new SSMClient({}));
