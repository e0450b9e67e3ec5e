/**
 * AWS SDK v3 clients, made on first use and shared by every handler in a Lambda container. Tests and
 * the simulator install their own clients with `useAwsClients`; a custom endpoint (moto_server,
 * LocalStack) comes from AWS_ENDPOINT_URL, which SDK v3 honours by itself.
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { LambdaClient } from '@aws-sdk/client-lambda';

export interface AwsClients {
  readonly lambda: LambdaClient;
  readonly cloudwatch: CloudWatchClient;
  readonly eventbridge: EventBridgeClient;
}

type ClientFactories = { [K in keyof AwsClients]: () => AwsClients[K] };

const factories: ClientFactories = {
  lambda: () => new LambdaClient({}),
  cloudwatch: () => new CloudWatchClient({}),
  eventbridge: () => new EventBridgeClient({}),
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
export const aws: AwsClients = {
  get lambda() {
    return client('lambda');
  },
  get cloudwatch() {
    return client('cloudwatch');
  },
  get eventbridge() {
    return client('eventbridge');
  },
};

/** Installs clients (a test's, the simulator's, or ones pointed at moto_server); returns a restore function. */
export function useAwsClients(clients: Partial<AwsClients>): () => void {
  const previous = installed;
  installed = { ...installed, ...clients };
  return () => {
    installed = previous;
  };
}
