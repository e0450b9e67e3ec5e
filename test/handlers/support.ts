/**
 * What the handler tests share: mocked AWS clients, recorded AWS outputs, and execution states made the
 * way the state machine makes them (the Preflight task's output, then each task's slice put back).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CloudFrontKeyValueStoreClient } from '@aws-sdk/client-cloudfront-keyvaluestore';
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { GetAliasCommand, GetFunctionConfigurationCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { localContext } from '../../sim/local-context';
import type { Progress, RolloutState } from '../../shared/rollout';
import { preflight } from '../../shared/tasks/preflight';

export const lambda = mockClient(LambdaClient);
export const cloudwatch = mockClient(CloudWatchClient);
/** Every other client the engine can make (shared/aws/clients.ts), so that "no AWS call" means none at all. */
const others = [mockClient(EventBridgeClient), mockClient(SFNClient), mockClient(SSMClient), mockClient(CloudFrontKeyValueStoreClient)];

export function resetAws(): void {
  for (const client of [lambda, cloudwatch, ...others]) client.reset();
}

/** How many AWS calls the handlers made, on any client. */
export function awsCalls(): number {
  return [lambda, cloudwatch, ...others].reduce((sum, client) => sum + client.calls().length, 0);
}

const TIMESTAMPS = new Set(['StateUpdatedTimestamp', 'StateTransitionedTimestamp', 'AlarmConfigurationUpdatedTimestamp']);

/** A recorded AWS output from test/fixtures/<source>/<variant>.json, timestamps as Dates like the SDK gives them. */
export function fixture<T>(source: 'lambda' | 'cloudwatch', variant: string): T {
  const text = readFileSync(join(__dirname, '../fixtures', source, `${variant}.json`), 'utf8');
  return JSON.parse(text, (key, value: unknown) => (TIMESTAMPS.has(key) ? new Date(value as string) : value)) as T;
}

export const context = (functionName: string) => localContext(`coalmine-${functionName}`);

export const TARGET = { type: 'lambda-alias', functionName: 'checkout', alias: 'live', version: '42' } as const;
export const ALARMS = ['checkout-errors', 'checkout-throttles'];

export function rolloutRequest(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { target: TARGET, strategy: { preset: 'canary10-5m' }, analysis: { alarms: ALARMS }, ...overrides };
}

export const EXECUTION = { executionName: 'checkout-42-20250304T1015', startedAt: '2025-03-04T10:15:00.000Z' };

/** The Lambda alias `checkout:live` as GetAlias returns it, e.g. "on-baseline", "canary-10". */
export function aliasIs(variant: string): void {
  lambda.on(GetAliasCommand, { FunctionName: 'checkout', Name: 'live' }).resolves(fixture('lambda', `get-alias-${variant}`));
}

/** A world where checkout:live serves version 41, version 42 is published and Active, and the alarms are OK. */
export function readyWorld(): void {
  lambda
    .on(GetFunctionConfigurationCommand, { FunctionName: 'checkout', Qualifier: '42' })
    .resolves(fixture('lambda', 'get-function-configuration-active'));
  aliasIs('on-baseline');
  cloudwatch.on(DescribeAlarmsCommand).resolves(fixture('cloudwatch', 'describe-alarms-all-ok'));
}

/** The state the Preflight task hands to the loop for this request, with its step `progress` applied. */
export async function stateFor(request: Record<string, unknown>, progress: Partial<Progress> = {}): Promise<RolloutState> {
  readyWorld();
  const planned = await preflight({ request, ...EXECUTION });
  resetAws();
  return { ...planned, progress: { ...planned.progress, ...progress } };
}

/** The state at the last look of step `stepIndex`'s bake (its first wait is the whole bake), after `extraSeconds` of extra bakes. */
export async function bakingState(request: Record<string, unknown>, stepIndex: number, extraSeconds = 0): Promise<RolloutState> {
  const state = await stateFor(request);
  const step = state.rollout.plan.steps[stepIndex];
  if (step === undefined) throw new Error(`the plan has no step ${stepIndex}`);
  return {
    ...state,
    progress: {
      stepIndex,
      extraBakes: extraSeconds > 0 ? 1 : 0,
      extraSeconds,
      weight: step.weight,
      bakeSeconds: step.bakeSeconds,
      lookSeconds: step.bakeSeconds + extraSeconds,
      shiftedAt: '2025-03-04T10:16:00.000Z',
      shifts: state.rollout.plan.steps
        .slice(0, stepIndex + 1)
        .map((s, i) => ({ weight: s.weight, at: new Date(Date.parse('2025-03-04T10:16:00.000Z') - (stepIndex - i) * 60_000).toISOString() })),
    },
  };
}

/** Asserts an ISO timestamp taken between two instants. */
export function expectTakenBetween(iso: string, before: number, after: number): void {
  expect(new Date(iso).toISOString()).toBe(iso);
  expect(Date.parse(iso)).toBeGreaterThanOrEqual(before);
  expect(Date.parse(iso)).toBeLessThanOrEqual(after);
}
