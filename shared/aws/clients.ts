/**
 * AWS SDK v3 clients, made on first use and shared by every handler in a Lambda container. Each client
 * has its own module (shared/aws/lambda.ts, sfn.ts, …) that imports its SDK package, so a function bundles
 * and loads only the clients its code calls; this module imports none. Tests and the simulator install
 * their own clients with `useAwsClients`; a custom endpoint (moto_server, LocalStack) comes from
 * AWS_ENDPOINT_URL, which SDK v3 honours by itself.
 */
import type { CloudFrontKeyValueStoreClient } from '@aws-sdk/client-cloudfront-keyvaluestore';
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { SFNClient } from '@aws-sdk/client-sfn';
import type { SSMClient } from '@aws-sdk/client-ssm';

export interface AwsClients {
  readonly lambda: LambdaClient;
  readonly cloudwatch: CloudWatchClient;
  readonly eventbridge: EventBridgeClient;
  readonly sfn: SFNClient;
  readonly ssm: SSMClient;
  readonly kvs: CloudFrontKeyValueStoreClient;
}

let made: Partial<AwsClients> = {};
let installed: Partial<AwsClients> = {};

/** The accessor of one client: the installed one first, else one made from the environment, once. */
export function awsClient<K extends keyof AwsClients>(key: K, make: () => AwsClients[K]): () => AwsClients[K] {
  return () => {
    const existing = installed[key] ?? made[key];
    if (existing !== undefined) return existing as AwsClients[K];
    const fresh = make();
    made = { ...made, [key]: fresh };
    return fresh;
  };
}

/** Installs clients (a test's, the simulator's, or ones pointed at moto_server); returns a restore function. */
export function useAwsClients(clients: Partial<AwsClients>): () => void {
  const previous = installed;
  installed = { ...installed, ...clients };
  return () => {
    installed = previous;
  };
}
