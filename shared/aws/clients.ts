/**
 * AWS SDK v3 clients, made on first use and shared by every handler in a Lambda container. Tests and
 * the simulator install their own clients with `useAwsClients`; a custom endpoint (moto_server,
 * LocalStack) comes from AWS_ENDPOINT_URL, which SDK v3 honours by itself.
 */
// The KVS client signs with SigV4a; without a registered signer every call fails in Lambda with
// "Neither CRT nor JS SigV4a implementation is available". This import registers the pure-JS one.
import '@aws-sdk/signature-v4a';
import { CloudFrontKeyValueStoreClient } from '@aws-sdk/client-cloudfront-keyvaluestore';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SSMClient } from '@aws-sdk/client-ssm';

export interface AwsClients {
  readonly lambda: LambdaClient;
  readonly cloudwatch: CloudWatchClient;
  readonly eventbridge: EventBridgeClient;
  readonly sfn: SFNClient;
  readonly ssm: SSMClient;
  readonly kvs: CloudFrontKeyValueStoreClient;
}

type ClientFactories = { [K in keyof AwsClients]: () => AwsClients[K] };

const factories: ClientFactories = {
  lambda: () => new LambdaClient({}),
  cloudwatch: () => new CloudWatchClient({}),
  eventbridge: () => new EventBridgeClient({}),
  sfn: () => new SFNClient({}),
  ssm: () => new SSMClient({}),
  kvs: () => new CloudFrontKeyValueStoreClient({}),
};

let made: Partial<AwsClients> = {};
let installed: Partial<AwsClients> = {};

function client<K extends keyof AwsClients>(key: K): AwsClients[K] {
  const existing = installed[key] ?? made[key];
  if (existing !== undefined) return existing as AwsClients[K];
  const fresh = factories[key]();
  made = { ...made, [key]: fresh };
  return fresh;
}

/** The clients handlers use: installed ones first, else defaults made from the environment. */
export const aws: AwsClients = Object.defineProperties(
  {},
  Object.fromEntries(
    (Object.keys(factories) as Array<keyof AwsClients>).map((key) => [key, { get: () => client(key), enumerable: true }]),
  ),
) as AwsClients;

/** Installs clients (a test's, the simulator's, or ones pointed at moto_server); returns a restore function. */
export function useAwsClients(clients: Partial<AwsClients>): () => void {
  const previous = installed;
  installed = { ...installed, ...clients };
  return () => {
    installed = previous;
  };
}
