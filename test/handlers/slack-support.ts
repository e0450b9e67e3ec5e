/**
 * What the Slack handler tests share: API Gateway v2 events from test/fixtures/apigateway signed the way
 * Slack signs them, and a small fake of the AWS the Slack commands touch (the canary state machine's
 * executions and their histories in Step Functions, and the Lambda alias they move), served through
 * aws-sdk-client-mock so that every call can be asserted with its exact input.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  GetAliasCommand,
  InvokeCommand,
  LambdaClient,
  UpdateAliasCommand,
  type GetAliasCommandOutput,
} from '@aws-sdk/client-lambda';
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  ListExecutionsCommand,
  SFNClient,
  StopExecutionCommand,
  type GetExecutionHistoryCommandInput,
  type HistoryEvent,
} from '@aws-sdk/client-sfn';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SSMClient } from '@aws-sdk/client-ssm';
import {
  CloudFrontKeyValueStoreClient,
  DescribeKeyValueStoreCommand,
  GetKeyCommand,
  UpdateKeysCommand,
  type UpdateKeysCommandInput,
} from '@aws-sdk/client-cloudfront-keyvaluestore';
import { mockClient } from 'aws-sdk-client-mock';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { parseRolloutRequest } from '../../shared/config/request';
import { planRollout } from '../../shared/plan';
import type { Progress, Rollout } from '../../shared/rollout';
import { signSlackRequest } from '../../shared/slack/verify';

export const SIGNING_SECRET = 'coalmine-test-signing-secret-0001';
export const STATE_MACHINE_ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:coalmine-dev-canary';
export const FUNCTION_NAME = 'coalmine-dev-slackCommand';

export const sfn = mockClient(SFNClient);
export const lambda = mockClient(LambdaClient);
export const ssm = mockClient(SSMClient);
export const kvs = mockClient(CloudFrontKeyValueStoreClient);
const others = [mockClient(CloudWatchClient), mockClient(EventBridgeClient)];

export function resetAws(): void {
  for (const client of [sfn, lambda, ssm, kvs, ...others]) client.reset();
}

/** Calls that change something, on any client. */
export function writes(): string[] {
  const names = [
    ...sfn.commandCalls(StopExecutionCommand).map(() => 'StopExecution'),
    ...sfn.commandCalls(SendTaskSuccessCommand).map(() => 'SendTaskSuccess'),
    ...sfn.commandCalls(SendTaskFailureCommand).map(() => 'SendTaskFailure'),
    ...lambda.commandCalls(UpdateAliasCommand).map(() => 'UpdateAlias'),
    ...lambda.commandCalls(InvokeCommand).map(() => 'Invoke'),
    ...kvs.commandCalls(UpdateKeysCommand).map(() => 'UpdateKeys'),
  ];
  return names;
}

export function awsCallCount(): number {
  return [sfn, lambda, ssm, kvs, ...others].reduce((sum, client) => sum + client.calls().length, 0);
}

// ---- requests -------------------------------------------------------------------------------------

export type FixtureName = 'slash-command-rollback' | 'slash-command-status-base64' | 'button-rollback';

export function apiFixture(name: FixtureName): APIGatewayProxyEventV2 {
  return JSON.parse(readFileSync(join(__dirname, '../fixtures/apigateway', `${name}.json`), 'utf8')) as APIGatewayProxyEventV2;
}

/** The raw body a fixture carries (decoded if it is base64). */
export function fixtureBody(name: FixtureName): string {
  const event = apiFixture(name);
  return event.isBase64Encoded ? Buffer.from(event.body ?? '', 'base64').toString('utf8') : (event.body ?? '');
}

/** The rollback slash command's form with some fields changed, e.g. `{ text: 'status', user_id: 'U0BOB45678' }`. */
export function slashBody(fields: Record<string, string | undefined>): string {
  const form = new URLSearchParams(fixtureBody('slash-command-rollback'));
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) form.delete(key);
    else form.set(key, value);
  }
  return form.toString();
}

/** The button fixture's payload with changes, as a form body. */
export function buttonBody(change: (payload: Record<string, unknown>) => void = () => undefined): string {
  const payload = JSON.parse(new URLSearchParams(fixtureBody('button-rollback')).get('payload') ?? '{}') as Record<string, unknown>;
  change(payload);
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

export interface SignedEventOptions {
  /** The raw body to sign and send; the fixture's own by default. */
  readonly body?: string;
  readonly secret?: string;
  /** Unix seconds; now by default. */
  readonly timestamp?: number;
  /** Send the body base64-encoded (as API Gateway does for some content types); the fixture's choice by default. */
  readonly base64?: boolean;
}

/** A fixture event carrying `body`, signed at `timestamp` as Slack would, received by API Gateway now. */
export function signedEvent(name: FixtureName, options: SignedEventOptions = {}): APIGatewayProxyEventV2 {
  const event = apiFixture(name);
  const body = options.body ?? fixtureBody(name);
  const base64 = options.base64 ?? event.isBase64Encoded;
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  const signature = signSlackRequest({ signingSecret: options.secret ?? SIGNING_SECRET, timestamp, body });
  return {
    ...event,
    headers: { ...event.headers, ...signature, 'content-length': String(Buffer.byteLength(body)) },
    body: base64 ? Buffer.from(body, 'utf8').toString('base64') : body,
    isBase64Encoded: base64,
    requestContext: { ...event.requestContext, timeEpoch: Date.now() },
  };
}

// ---- the AWS the commands see ---------------------------------------------------------------------

export function rolloutFor(options: { name?: string; functionName?: string; executionName: string; version?: string; weights?: number[] }): Rollout {
  const request = parseRolloutRequest({
    ...(options.name !== undefined ? { name: options.name } : {}),
    target: { type: 'lambda-alias', functionName: options.functionName ?? 'checkout', alias: 'live', version: options.version ?? '42' },
    strategy: { weights: options.weights ?? [10, 50, 100], bakeSeconds: 300 },
    analysis: { alarms: ['checkout-errors'] },
  });
  return {
    // As preflight names it: the request's name, or the router's description of the target.
    name: request.name ?? `${options.functionName ?? 'checkout'}:live`,
    request,
    plan: planRollout(request, { observable: true }),
    baseline: { version: '41' },
    executionName: options.executionName,
    startedAt: '2026-11-22T10:00:00.000Z',
  };
}

/** The progress while step `stepIndex` bakes at `weight`, shifted two minutes ago. */
export function progressAt(stepIndex: number, weight: number): Progress {
  const shiftedAt = new Date(Date.now() - 2 * 60_000).toISOString();
  // Asserted: the Progress type grows fields (e.g. the shifts so far) that the Slack commands do not read.
  return { stepIndex, extraBakes: 0, extraSeconds: 0, weight, bakeSeconds: 300, lookSeconds: 60, shiftedAt, shifts: [{ weight, at: shiftedAt }] } as Progress;
}

export interface FakeExecution {
  readonly name: string;
  /** Null while Preflight has not finished. */
  readonly rollout: Rollout | null;
  /** The raw request while Preflight has not finished; a lambda-alias one on `checkout:live` if not given. */
  readonly request?: unknown;
  readonly startDate: Date;
  /** The state the execution is in now, and its progress. */
  state: string;
  progress: Progress;
  analysis?: { verdict: string; action: string; reason: string; analyzedAt: string };
  /** A traffic-moving task's invocation still open (no end event yet). */
  openInvocation?: { state: string; scheduledAt: Date; timeoutSeconds: number };
  stopped?: { error?: string; cause?: string };
  /** The history records Preflight's output as truncated: the rollout cannot be read from it. */
  truncatedPreflight?: boolean;
  /** Ended on its own (e.g. SUCCEEDED just before a command reached it). */
  endedAs?: 'SUCCEEDED' | 'FAILED';
  /** Waiting at its approval gate (state AwaitApproval): the task token its TaskScheduled records, and what the gate waits on. */
  gate?: { token: string; step: { index: number; weight: number; extraBakes: number }; gate: { kind: 'approval' | 'hold'; timeoutSeconds: number; onTimeout: 'rollback' | 'proceed'; then: 'advance' | 'promote' } };
  /** Step Functions' answer to SendTaskSuccess/Failure: the gate closed meanwhile (TaskTimedOut). */
  gateClosed?: boolean;
}

export interface FakeAlias {
  FunctionVersion: string;
  weights: Record<string, number>;
  revision: number;
  description?: string;
}

/** A small stateful Step Functions + Lambda alias + KeyValueStore, answering the calls the Slack commands make. */
export class FakeAws {
  readonly executions: FakeExecution[] = [];
  alias: FakeAlias = { FunctionVersion: '41', weights: {}, revision: 1 };
  /** The keys of the one KeyValueStore (a cloudfront-kvs target); its ETag changes with every write. */
  store: Record<string, string> = {};
  private storeRevision = 1;
  /** Called before each GetAlias answer: lets a test land a late write. */
  beforeGetAlias: (alias: FakeAlias, call: number) => void = () => undefined;
  private getAliasCalls = 0;
  /** Called when an UpdateAlias arrives, before its RevisionId is checked: lets a test land a concurrent write between a read and a write. */
  beforeUpdateAlias: () => void = () => undefined;
  /** Delay of ListExecutions (the deadline tests). */
  listDelayMs = 0;

  arnOf(name: string): string {
    return `arn:aws:states:us-east-1:123456789012:execution:coalmine-dev-canary:${name}`;
  }

  addRunning(execution: Partial<FakeExecution> & { name: string; rollout: Rollout | null }): FakeExecution {
    const full: FakeExecution = {
      startDate: new Date(Date.now() - 7 * 60_000),
      state: execution.rollout === null ? 'Preflight' : 'Bake',
      progress: progressAt(0, 10),
      ...execution,
    };
    this.executions.push(full);
    if (full.rollout !== null && full.progress.weight > 0) {
      this.alias = { FunctionVersion: '41', weights: { [full.rollout.request.target.type === 'lambda-alias' ? full.rollout.request.target.version : '42']: full.progress.weight / 100 }, revision: this.alias.revision + 1 };
    }
    return full;
  }

  statusOf(execution: FakeExecution): string {
    return execution.endedAs ?? (execution.stopped !== undefined ? 'ABORTED' : 'RUNNING');
  }

  install(): void {
    sfn.on(ListExecutionsCommand).callsFake(async (input: { stateMachineArn: string; statusFilter?: string }) => {
      if (input.stateMachineArn !== STATE_MACHINE_ARN) throw Object.assign(new Error('no such state machine'), { name: 'StateMachineDoesNotExist' });
      if (input.statusFilter === 'RUNNING' && this.listDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.listDelayMs));
      return {
        executions: this.executions
          .filter((e) => input.statusFilter === undefined || this.statusOf(e) === input.statusFilter)
          .map((e) => ({ executionArn: this.arnOf(e.name), stateMachineArn: STATE_MACHINE_ARN, name: e.name, status: this.statusOf(e), startDate: e.startDate, ...(e.stopped !== undefined ? { stopDate: new Date(e.startDate.getTime() + 600_000) } : {}) })),
      };
    });
    sfn.on(DescribeExecutionCommand).callsFake(async (input: { executionArn: string }) => {
      const execution = this.executions.find((e) => this.arnOf(e.name) === input.executionArn);
      if (execution === undefined) throw Object.assign(new Error('no such execution'), { name: 'ExecutionDoesNotExist' });
      const request = execution.rollout?.request ?? execution.request;
      return {
        executionArn: input.executionArn,
        name: execution.name,
        status: this.statusOf(execution),
        startDate: execution.startDate,
        input: JSON.stringify(request),
        ...(execution.stopped !== undefined ? { stopDate: new Date(execution.startDate.getTime() + 600_000), ...execution.stopped } : {}),
        // As the history's closing event records it.
        ...(execution.endedAs !== undefined ? { stopDate: new Date(execution.startDate.getTime() + 600_000) } : {}),
        ...(execution.endedAs === 'FAILED' ? { error: 'CanaryAnalysisFailed', cause: 'the analysis failed' } : {}),
      };
    });
    sfn.on(GetExecutionHistoryCommand).callsFake(async (input: GetExecutionHistoryCommandInput) => {
      const execution = this.executions.find((e) => this.arnOf(e.name) === input.executionArn);
      if (execution === undefined) throw Object.assign(new Error('no such execution'), { name: 'ExecutionDoesNotExist' });
      const events = this.historyOf(execution, input.includeExecutionData !== false);
      const ordered = input.reverseOrder === true ? [...events].reverse() : events;
      return { events: ordered.slice(0, input.maxResults ?? 1000) };
    });
    sfn.on(StopExecutionCommand).callsFake(async (input: { executionArn: string; error?: string; cause?: string }) => {
      const execution = this.executions.find((e) => this.arnOf(e.name) === input.executionArn);
      if (execution === undefined) throw Object.assign(new Error('no such execution'), { name: 'ExecutionDoesNotExist' });
      if (execution.stopped === undefined && execution.endedAs === undefined) {
        execution.stopped = { ...(input.error !== undefined ? { error: input.error } : {}), ...(input.cause !== undefined ? { cause: input.cause } : {}) };
      }
      return { stopDate: new Date() };
    });
    const answer = async (input: { taskToken?: string }) => {
      const execution = this.executions.find((e) => e.gate?.token === input.taskToken);
      if (execution === undefined) throw Object.assign(new Error('Invalid Token'), { name: 'InvalidToken' });
      if (execution.gateClosed === true) throw Object.assign(new Error('Task Timed Out: Provided task does not exist anymore'), { name: 'TaskTimedOut' });
      return {};
    };
    sfn.on(SendTaskSuccessCommand).callsFake(answer);
    sfn.on(SendTaskFailureCommand).callsFake(answer);
    lambda.on(GetAliasCommand, { FunctionName: 'checkout', Name: 'live' }).callsFake(async (): Promise<Partial<GetAliasCommandOutput>> => {
      this.getAliasCalls += 1;
      this.beforeGetAlias(this.alias, this.getAliasCalls);
      return {
        Name: 'live',
        FunctionVersion: this.alias.FunctionVersion,
        RoutingConfig: { AdditionalVersionWeights: { ...this.alias.weights } },
        ...(this.alias.description !== undefined ? { Description: this.alias.description } : {}),
        RevisionId: `rev-${this.alias.revision}`,
      };
    });
    lambda.on(UpdateAliasCommand).callsFake(async (input: { FunctionVersion: string; RoutingConfig?: { AdditionalVersionWeights?: Record<string, number> }; Description?: string; RevisionId?: string }) => {
      this.beforeUpdateAlias();
      if (input.RevisionId !== `rev-${this.alias.revision}`) throw Object.assign(new Error('stale revision'), { name: 'PreconditionFailedException' });
      const description = input.Description ?? this.alias.description;
      this.alias = { FunctionVersion: input.FunctionVersion, weights: { ...(input.RoutingConfig?.AdditionalVersionWeights ?? {}) }, revision: this.alias.revision + 1, ...(description !== undefined ? { description } : {}) };
      return { FunctionVersion: input.FunctionVersion, RevisionId: `rev-${this.alias.revision}` };
    });
    lambda.on(InvokeCommand).resolves({ StatusCode: 202 });
    kvs.on(DescribeKeyValueStoreCommand).callsFake(async () => ({ ETag: `etag-${this.storeRevision}`, Status: 'READY' }));
    kvs.on(GetKeyCommand).callsFake(async (input: { Key: string }) => {
      const value = this.store[input.Key];
      if (value === undefined) throw Object.assign(new Error(`no key ${input.Key}`), { name: 'ResourceNotFoundException' });
      return { Key: input.Key, Value: value };
    });
    kvs.on(UpdateKeysCommand).callsFake(async (input: UpdateKeysCommandInput) => {
      if (input.IfMatch !== `etag-${this.storeRevision}`) throw Object.assign(new Error('stale ETag'), { name: 'ConflictException' });
      for (const put of input.Puts ?? []) this.store[put.Key ?? ''] = put.Value ?? '';
      for (const deleted of input.Deletes ?? []) delete this.store[deleted.Key ?? ''];
      this.storeRevision += 1;
      return { ETag: `etag-${this.storeRevision}` };
    });
  }

  private historyOf(execution: FakeExecution, withData: boolean): HistoryEvent[] {
    const at = (offsetMs: number) => new Date(execution.startDate.getTime() + offsetMs);
    const data = <T>(value: T): T | undefined => (withData ? value : undefined);
    const request = execution.rollout?.request ?? execution.request ?? { target: { type: 'lambda-alias', functionName: 'checkout', alias: 'live', version: '42' } };
    let id = 0;
    const event = (e: Omit<HistoryEvent, 'id' | 'previousEventId'>): HistoryEvent => ({ id: (id += 1), previousEventId: id - 1, ...e });
    const events: HistoryEvent[] = [
      event({ type: 'ExecutionStarted', timestamp: at(0), executionStartedEventDetails: { input: data(JSON.stringify(request)), inputDetails: { truncated: false } } }),
      event({ type: 'TaskStateEntered', timestamp: at(10), stateEnteredEventDetails: { name: 'Preflight', input: data('{}') } }),
      event({ type: 'LambdaFunctionScheduled', timestamp: at(20), lambdaFunctionScheduledEventDetails: { resource: 'arn:aws:lambda:us-east-1:123456789012:function:coalmine-dev-preflight', timeoutInSeconds: 60 } }),
    ];
    if (execution.rollout !== null) {
      const state = { rollout: execution.rollout, progress: execution.progress, ...(execution.analysis !== undefined ? { analysis: execution.analysis } : {}) };
      events.push(
        event({ type: 'LambdaFunctionSucceeded', timestamp: at(400) }),
        event({
          type: 'TaskStateExited',
          timestamp: at(410),
          stateExitedEventDetails: {
            name: 'Preflight',
            output: data(JSON.stringify({ rollout: execution.rollout, progress: { ...execution.progress, stepIndex: 0, weight: 0, shiftedAt: null } })),
            outputDetails: { truncated: execution.truncatedPreflight === true },
          },
        }),
        event({ type: 'TaskStateEntered', timestamp: at(60_000), stateEnteredEventDetails: { name: 'VerifyTraffic' } }),
        event({ type: 'TaskStateExited', timestamp: at(61_000), stateExitedEventDetails: { name: 'VerifyTraffic', output: data(JSON.stringify(state)), outputDetails: { truncated: false } } }),
      );
      if (execution.openInvocation !== undefined) {
        events.push(
          event({ type: 'TaskStateEntered', timestamp: execution.openInvocation.scheduledAt, stateEnteredEventDetails: { name: execution.openInvocation.state } }),
          event({ type: 'LambdaFunctionScheduled', timestamp: execution.openInvocation.scheduledAt, lambdaFunctionScheduledEventDetails: { resource: 'arn:aws:lambda:us-east-1:123456789012:function:coalmine-dev-shiftTraffic', timeoutInSeconds: execution.openInvocation.timeoutSeconds } }),
        );
      } else if (execution.gate !== undefined) {
        const parameters = { FunctionName: 'arn:aws:lambda:us-east-1:123456789012:function:coalmine-dev-announceGate', Payload: { taskToken: execution.gate.token, executionName: execution.name, step: execution.gate.step, gate: execution.gate.gate } };
        events.push(
          event({ type: 'TaskStateEntered', timestamp: at(62_000), stateEnteredEventDetails: { name: 'AwaitApproval' } }),
          event({ type: 'TaskScheduled', timestamp: at(62_001), taskScheduledEventDetails: { resourceType: 'lambda', resource: 'invoke.waitForTaskToken', region: 'us-east-1', parameters: data(JSON.stringify(parameters)) } }),
          event({ type: 'TaskStarted', timestamp: at(62_002), taskStartedEventDetails: { resourceType: 'lambda', resource: 'invoke.waitForTaskToken' } }),
        );
      } else {
        const type = execution.state === 'Bake' ? 'WaitStateEntered' : execution.state.startsWith('Announce') ? 'TaskStateEntered' : execution.state === 'RecordAnalysisFailure' ? 'PassStateEntered' : 'TaskStateEntered';
        events.push(event({ type, timestamp: at(62_000), stateEnteredEventDetails: { name: execution.state } }));
      }
    }
    if (execution.stopped !== undefined) {
      events.push(event({ type: 'ExecutionAborted', timestamp: new Date(), executionAbortedEventDetails: execution.stopped }));
    } else if (execution.endedAs === 'SUCCEEDED') {
      events.push(event({ type: 'ExecutionSucceeded', timestamp: new Date(), executionSucceededEventDetails: { output: data('{}') } }));
    } else if (execution.endedAs === 'FAILED') {
      events.push(event({ type: 'ExecutionFailed', timestamp: new Date(), executionFailedEventDetails: { error: 'CanaryAnalysisFailed', cause: 'the analysis failed' } }));
    }
    return events;
  }
}
