/**
 * The CloudWatch client of the handlers (made on first use, or the one installed with useAwsClients,
 * shared/aws/clients.ts). A module per client, so that a function bundles only the clients it calls
 * (the accessor is marked pure: a module that imports it and never calls it does not keep it).
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { awsClient } from './clients';

export const cloudWatchClient = /* @__PURE__ */ awsClient('cloudwatch', () => new CloudWatchClient({}));
