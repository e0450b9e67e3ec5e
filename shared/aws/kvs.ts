/**
 * The CloudFront KeyValueStore client of the handlers (made on first use, or the one installed with useAwsClients,
 * shared/aws/clients.ts). A module per client, so that a function bundles only the clients it calls
 * (the accessor is marked pure: a module that imports it and never calls it does not keep it).
 */
// The KVS client signs with SigV4a; without a registered signer every call fails in Lambda with
// "Neither CRT nor JS SigV4a implementation is available". This import registers the pure-JS one.
import '@aws-sdk/signature-v4a';
import { CloudFrontKeyValueStoreClient } from '@aws-sdk/client-cloudfront-keyvaluestore';
import { awsClient } from './clients';

export const kvsClient = /* @__PURE__ */ awsClient('kvs', () => new CloudFrontKeyValueStoreClient({}));
