/**
 * The in-memory AWS world: Lambda and CloudWatch services that keep state, faults injected on demand,
 * and every call recorded. `install()` points the handlers' AWS clients at it.
 */
import { CloudFrontKeyValueStoreClient } from '@aws-sdk/client-cloudfront-keyvaluestore';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { LambdaClient, ServiceException, TooManyRequestsException } from '@aws-sdk/client-lambda';
import { SFNClient } from '@aws-sdk/client-sfn';
import { STSClient } from '@aws-sdk/client-sts';
import { useStsClient } from '../../cli/aws/identity';
import { useAwsClients } from '../../shared/aws/clients';
import { CloudWatchWorld } from './cloudwatch';
import { EventBridgeWorld } from './eventbridge';
import { KvsWorld } from './kvs';
import { LambdaWorld } from './lambda';
import { connect, type CallRecord, type InjectedFault } from './sdk-bridge';
import { SfnWorld } from './sfn';
import { StsWorld } from './sts';

export interface Fault {
  /** The API operation, e.g. "UpdateAlias". */
  readonly operation: string;
  /** The AWS error name to raise, e.g. "TooManyRequestsException". */
  readonly error: string;
  /** How many calls fail before the operation works again. */
  readonly times: number;
  /** The call takes effect and its answer is lost: the caller sees `error` after the write (a timeout). */
  readonly responseLost?: boolean;
}

const meta = { $metadata: {} };

/** Builds the SDK exception AWS raises for an error name; services without a modelled class get a plain named error. */
function awsError(name: string, operation: string): Error {
  const message = `Simulated ${name} on ${operation}`;
  switch (name) {
    case 'TooManyRequestsException':
      return new TooManyRequestsException({ message, ...meta });
    case 'ServiceException':
      return new ServiceException({ message, ...meta });
    default:
      return Object.assign(new Error(message), { name, $fault: name.startsWith('Internal') ? 'server' : 'client', ...meta });
  }
}

export class AwsWorld {
  readonly lambda = new LambdaWorld();
  readonly cloudwatch: CloudWatchWorld;
  readonly eventbridge: EventBridgeWorld;
  readonly kvs: KvsWorld;
  readonly sfn: SfnWorld;
  readonly sts = new StsWorld();
  readonly calls: CallRecord[] = [];
  private readonly pendingFaults: Array<Fault & { remaining: number }> = [];
  private readonly beforeCallListeners: Array<(service: string, operation: string) => void> = [];

  constructor(now: () => Date = () => new Date()) {
    this.cloudwatch = new CloudWatchWorld(now);
    this.eventbridge = new EventBridgeWorld(now);
    this.kvs = new KvsWorld(now);
    this.sfn = new SfnWorld(now);
  }

  injectFault(fault: Fault): this {
    this.pendingFaults.push({ ...fault, remaining: fault.times });
    return this;
  }

  /** Runs `listener` before every call reaches the world (e.g. to generate the traffic up to now). */
  onBeforeCall(listener: (service: string, operation: string) => void): () => void {
    this.beforeCallListeners.push(listener);
    return () => {
      const i = this.beforeCallListeners.indexOf(listener);
      if (i >= 0) this.beforeCallListeners.splice(i, 1);
    };
  }

  /** The API operations the world implements, by service: what a fault may name. */
  operations(): Record<string, string[]> {
    return Object.fromEntries(
      [this.lambda.service, this.cloudwatch.service, this.eventbridge.service, this.kvs.service, this.sfn.service, this.sts.service].map((s) => [s.serviceName, Object.keys(s.commands)]),
    );
  }

  /** Connects fresh SDK clients to this world and installs them for the handlers; returns the undo. */
  install(): () => void {
    const faults = (_service: string, operation: string): InjectedFault | null => {
      const fault = this.pendingFaults.find((f) => f.operation === operation && f.remaining > 0);
      if (fault === undefined) return null;
      fault.remaining -= 1;
      return { error: awsError(fault.error, operation), afterApplying: fault.responseLost === true };
    };
    const beforeCall = (service: string, operation: string): void => {
      for (const listener of this.beforeCallListeners) listener(service, operation);
    };
    const lambda = new LambdaClient({ region: 'us-east-1', credentials: { accessKeyId: 'sim', secretAccessKey: 'sim' } });
    const cloudwatch = new CloudWatchClient({ region: 'us-east-1', credentials: { accessKeyId: 'sim', secretAccessKey: 'sim' } });
    connect(lambda, this.lambda.service, { faults, calls: this.calls, beforeCall });
    const eventbridge = new EventBridgeClient({ region: 'us-east-1', credentials: { accessKeyId: 'sim', secretAccessKey: 'sim' } });
    connect(cloudwatch, this.cloudwatch.service, { faults, calls: this.calls, beforeCall });
    connect(eventbridge, this.eventbridge.service, { faults, calls: this.calls, beforeCall });
    const kvs = new CloudFrontKeyValueStoreClient({ region: 'us-east-1', credentials: { accessKeyId: 'sim', secretAccessKey: 'sim' } });
    connect(kvs, this.kvs.service, { faults, calls: this.calls, beforeCall });
    const sfn = new SFNClient({ region: 'us-east-1', credentials: { accessKeyId: 'sim', secretAccessKey: 'sim' } });
    connect(sfn, this.sfn.service, { faults, calls: this.calls, beforeCall });
    const sts = new STSClient({ region: 'us-east-1', credentials: { accessKeyId: 'sim', secretAccessKey: 'sim' } });
    connect(sts, this.sts.service, { faults, calls: this.calls, beforeCall });
    const undoHandlers = useAwsClients({ lambda, cloudwatch, eventbridge, kvs, sfn });
    const undoCli = useStsClient(sts);
    return () => {
      undoCli();
      undoHandlers();
    };
  }

  /** Calls of one operation that reached the service (faults included). */
  callsTo(operation: string): CallRecord[] {
    return this.calls.filter((c) => c.operation === operation);
  }
}
