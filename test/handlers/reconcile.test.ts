/**
 * The reconcile handler over mocked Lambda, KeyValueStore, Step Functions and EventBridge: what it reads,
 * the exact rollback it writes, what it records, and the race rules of docs/reconciler.md (which the
 * table in test/unit/reconcile-race-rules.test.ts decides) carried out end to end.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CloudFrontKeyValueStoreClient,
  DescribeKeyValueStoreCommand,
  AccessDeniedException,
  GetKeyCommand,
  ResourceNotFoundException,
  UpdateKeysCommand,
} from '@aws-sdk/client-cloudfront-keyvaluestore';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetAliasCommand, PreconditionFailedException, TooManyRequestsException, UpdateAliasCommand, type GetAliasCommandOutput } from '@aws-sdk/client-lambda';
import { DescribeExecutionCommand, ListExecutionsCommand, SFNClient, type DescribeExecutionOutput } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { handler } from '../../functions/reconcile';
import type { RollbackClock } from '../../shared/outside-rollback';
import { PERSON_PROMOTE_BUDGET_MS } from '../../shared/reconcile/race-rules';
import { SPACED_RETRY_BUDGET_MS, SPACED_RETRY_WAITS_MS } from '../../shared/reconcile/reconciler';
import { reconcileEvent } from '../../shared/reconcile/reconcile-event';
import { findStrandedTarget, sweepStrandedTargets } from '../../shared/reconcile/stranded';
import { context, fixture, lambda, resetAws } from './support';

const sfn = mockClient(SFNClient);
const kvs = mockClient(CloudFrontKeyValueStoreClient);
const events = mockClient(EventBridgeClient);

const MACHINE = 'arn:aws:states:us-east-1:123456789012:stateMachine:coalmine-dev-canary';
const arnOf = (name: string) => `arn:aws:states:us-east-1:123456789012:execution:coalmine-dev-canary:${name}`;
const NAME = 'checkout-42-20261122T1000';
const KVS_ARN = 'arn:aws:cloudfront::123456789012:key-value-store/6a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
const LAMBDA_REQUEST = { name: 'checkout', target: { type: 'lambda-alias', functionName: 'checkout', alias: 'live', version: '42' }, strategy: { weights: [10, 50, 100], bakeSeconds: 300 }, analysis: { alarms: ['checkout-errors'] } };
const KVS_REQUEST = { name: 'web', target: { type: 'cloudfront-kvs', kvsArn: KVS_ARN }, strategy: { weights: [10, 50, 100], bakeSeconds: 300 }, analysis: { alarms: ['checkout-errors'] } };
const STOPPED_AT = new Date(1795341600000 + 420_000);

function statusEvent(variant: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(__dirname, '../fixtures/eventbridge/aws.states', `${variant}.json`), 'utf8')) as Record<string, unknown>;
}

function execution(overrides: Partial<DescribeExecutionOutput> = {}, name = NAME, request: unknown = LAMBDA_REQUEST): void {
  sfn.on(DescribeExecutionCommand, { executionArn: arnOf(name) }).resolves({
    executionArn: arnOf(name),
    stateMachineArn: MACHINE,
    name,
    status: 'ABORTED',
    startDate: new Date(1795341600000),
    stopDate: STOPPED_AT,
    input: JSON.stringify(request),
    ...overrides,
  });
}

function noneRunning(): void {
  sfn.on(ListExecutionsCommand, { stateMachineArn: MACHINE, statusFilter: 'RUNNING' }).resolves({ executions: [] });
}

const canary10 = (): GetAliasCommandOutput => fixture<GetAliasCommandOutput>('lambda', 'get-alias-canary-10');
const onBaseline = (): GetAliasCommandOutput => fixture<GetAliasCommandOutput>('lambda', 'get-alias-on-baseline');

/** A clock that moves only when slept: what the handler waits is measured, not spent. */
function virtualClock(start: Date): RollbackClock & { slept: number[] } {
  let now = start.getTime();
  const slept: number[] = [];
  return { slept, now: () => new Date(now), sleep: async (ms) => { slept.push(ms); now += ms; } };
}

/** The reconciler's spaced waits among what `clock` slept (withRetries' quick ones are under a second). */
const spacedWaits = (clock: { slept: readonly number[] }): number[] => clock.slept.filter((ms) => ms >= 1_000);

const denied = (): Error => Object.assign(new Error('User is not authorized to perform this action'), { name: 'AccessDeniedException', $fault: 'client' });

beforeEach(() => {
  resetAws();
  sfn.reset();
  kvs.reset();
  events.reset();
  process.env.STATE_MACHINE_ARN = MACHINE;
  process.env.EVENT_BUS_NAME = 'coalmine-dev';
  events.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: '1' }] });
});

describe('a console stop leaves a Lambda alias at 10 %', () => {
  it('returns it to the baseline with the alias RevisionId, reads it back, and records the reconciler', async () => {
    execution();
    noneRunning();
    lambda.on(GetAliasCommand).resolvesOnce(canary10()).resolvesOnce(canary10()).resolves(onBaseline());
    lambda.on(UpdateAliasCommand).resolves({});

    const summary = await handler(statusEvent('execution-aborted-console'), context('reconcile'));

    expect(lambda).toHaveReceivedCommandWith(UpdateAliasCommand, {
      FunctionName: 'checkout',
      Name: 'live',
      FunctionVersion: '41',
      RoutingConfig: { AdditionalVersionWeights: {} },
      RevisionId: canary10().RevisionId,
    });
    expect(summary.results).toEqual([
      expect.objectContaining({ executionName: NAME, status: 'ABORTED', outcome: 'rolled-back', reason: expect.stringMatching(/stopped from outside/) }),
    ]);
    const entry = events.commandCalls(PutEventsCommand)[0]!.args[0].input.Entries![0]!;
    expect(entry).toMatchObject({ EventBusName: 'coalmine-dev', Source: 'coalmine', DetailType: 'Rollout Rolled Back' });
    expect(JSON.parse(entry.Detail!)).toMatchObject({
      executionName: NAME,
      name: 'checkout',
      rolledBackBy: 'the reconciler',
      endStatus: 'ABORTED',
      error: 'ABORTED',
      baseline: { version: '41' },
      cause: expect.stringMatching(/Rolled back by the reconciler: checkout:live sends all traffic to version 41 again/),
    });
  });

  it('a duplicate or late delivery finds the target safe and changes nothing, saying so', async () => {
    execution();
    lambda.on(GetAliasCommand).resolves(onBaseline());
    const summary = await handler(statusEvent('execution-aborted-console'), context('reconcile'));
    expect(summary.results[0]).toMatchObject({ outcome: 'unchanged', reason: expect.stringMatching(/already safe/) });
    expect(lambda).not.toHaveReceivedCommand(UpdateAliasCommand);
    expect(events).not.toHaveReceivedCommand(PutEventsCommand);
  });

  it('a write that loses the compare-and-swap is read again: the winner (a person\'s rollback) stands', async () => {
    execution();
    noneRunning();
    lambda.on(GetAliasCommand).resolvesOnce(canary10()).resolvesOnce(canary10()).resolves(onBaseline());
    lambda.on(UpdateAliasCommand).rejects(new PreconditionFailedException({ message: 'stale', $metadata: {} }));
    const summary = await handler(statusEvent('execution-aborted-console'), context('reconcile'));
    expect(lambda).toHaveReceivedCommandTimes(UpdateAliasCommand, 1);
    expect(summary.results[0]).toMatchObject({ outcome: 'rolled-back', detail: expect.stringMatching(/already sends all traffic to version 41/) });
  });

  it('leaves a newer rollout of the same alias alone', async () => {
    execution();
    sfn.on(ListExecutionsCommand, { stateMachineArn: MACHINE, statusFilter: 'RUNNING' }).resolves({ executions: [{ executionArn: arnOf('checkout-42-b'), name: 'checkout-42-b', stateMachineArn: MACHINE, status: 'RUNNING', startDate: new Date() }] });
    execution({ status: 'RUNNING' }, 'checkout-42-b');
    lambda.on(GetAliasCommand).resolves(canary10());
    const summary = await handler(statusEvent('execution-aborted-console'), context('reconcile'));
    expect(summary.results[0]).toMatchObject({ outcome: 'unchanged', reason: expect.stringMatching(/newer rollout .*checkout-42-b/) });
    expect(lambda).not.toHaveReceivedCommand(UpdateAliasCommand);
  });

  it('a read of the target that is throttled is retried within the invocation, and the rollback goes ahead', async () => {
    execution();
    noneRunning();
    const throttled = new TooManyRequestsException({ message: 'Rate exceeded', $metadata: {}, Type: 'User' });
    lambda.on(GetAliasCommand).rejectsOnce(throttled).rejectsOnce(throttled).resolvesOnce(canary10()).resolvesOnce(canary10()).resolves(onBaseline());
    lambda.on(UpdateAliasCommand).resolves({});
    const summary = await reconcileEvent(statusEvent('execution-aborted-console'), virtualClock(STOPPED_AT));
    expect(summary.results[0]).toMatchObject({ outcome: 'rolled-back' });
    expect(lambda).toHaveReceivedCommandTimes(UpdateAliasCommand, 1);
  });

  it('a read that stays throttled leaves the target to the next sweep, changing nothing: 5 quick attempts, 5 times 2, 4, 8 and 16 s apart', async () => {
    execution();
    lambda.on(GetAliasCommand).rejects(new TooManyRequestsException({ message: 'Rate exceeded', $metadata: {}, Type: 'User' }));
    const clock = virtualClock(STOPPED_AT);
    const summary = await reconcileEvent(statusEvent('execution-aborted-console'), clock);
    expect(summary.results[0]).toMatchObject({ outcome: 'unchanged', reason: expect.stringMatching(/^the target could not be read: AwsThrottled/) });
    expect(lambda).toHaveReceivedCommandTimes(GetAliasCommand, 25);
    expect(spacedWaits(clock)).toEqual(SPACED_RETRY_WAITS_MS);
    expect(lambda).not.toHaveReceivedCommand(UpdateAliasCommand);
  });

  it('a refusal is not retried: the alias points at another baseline by the time of the rollback, and is left as it is', async () => {
    execution();
    noneRunning();
    lambda.on(GetAliasCommand).resolvesOnce(canary10()).resolves({ ...canary10(), FunctionVersion: '40' });
    const clock = virtualClock(STOPPED_AT);
    const summary = await reconcileEvent(statusEvent('execution-aborted-console'), clock);
    expect(summary.results[0]).toMatchObject({ outcome: 'unchanged', reason: expect.stringMatching(/^the target was changed outside this rollout/) });
    expect(lambda).toHaveReceivedCommandTimes(GetAliasCommand, 2);
    expect(clock.slept).toEqual([]);
    expect(lambda).not.toHaveReceivedCommand(UpdateAliasCommand);
  });

  it('a rollback that keeps failing is reported failed (the sweep tries again) and announces nothing', async () => {
    execution();
    noneRunning();
    lambda.on(GetAliasCommand).resolves(canary10());
    lambda.on(UpdateAliasCommand).rejects(new TooManyRequestsException({ message: 'Rate exceeded', $metadata: {}, Type: 'User' }));
    const summary = await reconcileEvent(statusEvent('execution-aborted-console'), virtualClock(STOPPED_AT));
    expect(summary.results[0]).toMatchObject({ outcome: 'failed', detail: expect.stringMatching(/^AwsThrottled/) });
    expect(lambda).toHaveReceivedCommandTimes(UpdateAliasCommand, 25);
    expect(events).not.toHaveReceivedCommand(PutEventsCommand);
  });
});

describe('a person\'s promote in flight', () => {
  it('gets its budget: the reconciler waits, and finds the promotion complete', async () => {
    execution({ error: 'ManualPromote', cause: 'promoted by @alice' });
    noneRunning();
    lambda.on(GetAliasCommand).resolvesOnce(canary10()).resolves({ ...onBaseline(), FunctionVersion: '42' });
    const clock = virtualClock(new Date(STOPPED_AT.getTime() + 10_000));
    const summary = await reconcileEvent(statusEvent('execution-aborted-console'), clock);
    expect(clock.slept).toEqual([PERSON_PROMOTE_BUDGET_MS - 10_000]);
    expect(summary.results[0]).toMatchObject({ outcome: 'unchanged', reason: expect.stringMatching(/already safe/) });
    expect(lambda).not.toHaveReceivedCommand(UpdateAliasCommand);
  });

  it('that did not complete within its budget: back to 0 %, and the person is told through the event', async () => {
    execution({ error: 'ManualPromote', cause: 'promoted by @alice' });
    noneRunning();
    lambda.on(GetAliasCommand).resolvesOnce(canary10()).resolvesOnce(canary10()).resolvesOnce(canary10()).resolves(onBaseline());
    lambda.on(UpdateAliasCommand).resolves({});
    const summary = await reconcileEvent(statusEvent('execution-aborted-console'), virtualClock(STOPPED_AT));
    expect(summary.results[0]).toMatchObject({ outcome: 'rolled-back', reason: expect.stringMatching(/promotion did not complete/) });
    expect(JSON.parse(events.commandCalls(PutEventsCommand)[0]!.args[0].input.Entries![0]!.Detail!)).toMatchObject({ error: 'ManualPromote' });
  });
});

describe('a KeyValueStore target', () => {
  /** The store holding `values`; the first `failing.getKey` GetKey and `failing.describe` DescribeKeyValueStore calls fail. */
  function store(values: Record<string, string>, failing: { readonly getKey?: number; readonly describe?: number } = {}): void {
    let getKeyFailures = failing.getKey ?? 0;
    let describeFailures = failing.describe ?? 0;
    kvs.on(DescribeKeyValueStoreCommand).callsFake(() => {
      if (describeFailures-- > 0) throw new ResourceNotFoundException({ message: 'The specified resource is not found', $metadata: {} });
      return { ETag: 'etag-1', Status: 'READY', ItemCount: 0, TotalSizeInBytes: 0, KvsARN: KVS_ARN, Created: new Date() };
    });
    kvs.on(GetKeyCommand).callsFake((input: { Key: string }) => {
      if (getKeyFailures-- > 0) throw new AccessDeniedException({ message: 'User is not authorized to perform cloudfront-keyvaluestore:GetKey', $metadata: {} });
      if (values[input.Key] === undefined) throw new ResourceNotFoundException({ message: 'no key', $metadata: {} });
      return { Key: input.Key, Value: values[input.Key], ItemCount: 1, TotalSizeInBytes: 1 };
    });
  }
  /** An UpdateKeys that rolls `values` back: 0 % and no lock. */
  function rollbackLands(values: Record<string, string>): void {
    kvs.on(UpdateKeysCommand).callsFake(() => {
      values.green_percentage = '0';
      delete values.coalmine_lock;
      return { ETag: 'etag-2', ItemCount: 1, TotalSizeInBytes: 1 };
    });
  }
  const lock = (name: string) => JSON.stringify({ executionName: name, since: '2026-11-22T10:00:00Z' });

  it('timed out at 30 %: 0 % and the lock released in one batch with the ETag', async () => {
    execution({ status: 'TIMED_OUT' }, NAME, KVS_REQUEST);
    noneRunning();
    const values: Record<string, string> = { green_percentage: '30', coalmine_lock: lock(NAME), green_cidrs: '[]' };
    store(values);
    rollbackLands(values);
    const summary = await handler(statusEvent('execution-timed-out'), context('reconcile'));
    expect(kvs).toHaveReceivedCommandWith(UpdateKeysCommand, { KvsARN: KVS_ARN, IfMatch: 'etag-1', Puts: [{ Key: 'green_percentage', Value: '0' }], Deletes: [{ Key: 'coalmine_lock' }] });
    expect(summary.results[0]).toMatchObject({ outcome: 'rolled-back', reason: expect.stringMatching(/timed out/) });
  });

  it('a console stop at 5 % while its reads are denied (a role still propagating) and its store is not found (an eventually consistent read): tried again, spaced, within the invocation, and rolled back', async () => {
    execution({}, NAME, KVS_REQUEST);
    noneRunning();
    const values: Record<string, string> = { green_percentage: '5', coalmine_lock: lock(NAME), green_cidrs: '[]' };
    store(values, { getKey: 4, describe: 4 });
    rollbackLands(values);
    const clock = virtualClock(STOPPED_AT);
    const summary = await reconcileEvent(statusEvent('execution-aborted-console'), clock);
    expect(summary.results[0]).toMatchObject({ outcome: 'rolled-back', reason: expect.stringMatching(/stopped from outside/) });
    expect(kvs).toHaveReceivedCommandTimes(UpdateKeysCommand, 1);
    expect(kvs).toHaveReceivedCommandWith(UpdateKeysCommand, { KvsARN: KVS_ARN, IfMatch: 'etag-1', Puts: [{ Key: 'green_percentage', Value: '0' }], Deletes: [{ Key: 'coalmine_lock' }] });
    // Four denied reads, then four DescribeKeyValueStore calls that found no store: each waited out once.
    expect(spacedWaits(clock)).toEqual([...SPACED_RETRY_WAITS_MS, ...SPACED_RETRY_WAITS_MS]);
  });

  it('a read denied for good is tried 5 times over 30 s, then left to the sweep, changing nothing', async () => {
    execution({}, NAME, KVS_REQUEST);
    store({ green_percentage: '5', coalmine_lock: lock(NAME) }, { getKey: Infinity });
    const clock = virtualClock(STOPPED_AT);
    const summary = await reconcileEvent(statusEvent('execution-aborted-console'), clock);
    expect(summary.results[0]).toMatchObject({ outcome: 'unchanged', reason: expect.stringMatching(/^the target could not be read: AccessDeniedException/) });
    expect(kvs).toHaveReceivedCommandTimes(GetKeyCommand, 5);
    expect(clock.slept).toEqual(SPACED_RETRY_WAITS_MS);
    expect(kvs).not.toHaveReceivedCommand(UpdateKeysCommand);
  });

  it('at 0 % with the ended execution\'s lock: releases the lock only', async () => {
    execution({ status: 'FAILED', error: 'States.Runtime' }, NAME, KVS_REQUEST);
    noneRunning();
    const values: Record<string, string> = { green_percentage: '0', coalmine_lock: lock(NAME), green_cidrs: '[]' };
    store(values);
    kvs.on(UpdateKeysCommand).callsFake(() => {
      delete values.coalmine_lock;
      return { ETag: 'etag-2', ItemCount: 1, TotalSizeInBytes: 1 };
    });
    const summary = await reconcileEvent({ ...statusEvent('execution-timed-out'), detail: { ...(statusEvent('execution-timed-out').detail as object), status: 'FAILED' } });
    expect(kvs).toHaveReceivedCommandWith(UpdateKeysCommand, { KvsARN: KVS_ARN, IfMatch: 'etag-1', Deletes: [{ Key: 'coalmine_lock' }] });
    expect(summary.results[0]).toMatchObject({ outcome: 'rolled-back', reason: expect.stringMatching(/States.Runtime, and it still holds the store's rollout lock/) });
  });

  it('locked by another execution: left alone', async () => {
    execution({ status: 'TIMED_OUT' }, NAME, KVS_REQUEST);
    store({ green_percentage: '30', coalmine_lock: lock('web-2') });
    const summary = await handler(statusEvent('execution-timed-out'), context('reconcile'));
    expect(kvs).not.toHaveReceivedCommand(UpdateKeysCommand);
    expect(summary.results[0]).toMatchObject({ outcome: 'unchanged', reason: expect.stringMatching(/locked by execution web-2/) });
  });
});

describe('events it does not act on', () => {
  it.each([
    ['another state machine', { stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:other' }, /not this stack's state machine/],
    ['a clean end', { status: 'SUCCEEDED' }, /SUCCEEDED is not one the reconciler acts on/],
  ])('%s', async (_name, detail, reason) => {
    const event = statusEvent('execution-timed-out');
    const summary = await handler({ ...event, detail: { ...(event.detail as object), ...detail } }, context('reconcile'));
    expect(summary.ignored).toMatch(reason);
    expect(sfn.calls()).toHaveLength(0);
  });

  it('an unknown event', async () => {
    expect((await handler({ 'detail-type': 'Something' }, context('reconcile'))).ignored).toMatch(/not a status change/);
  });

  it('an input that is not a rollout request (Preflight refused it): nothing moved', async () => {
    execution({ status: 'FAILED', error: 'RolloutRequestInvalid' }, NAME, { target: 'nope' });
    const summary = await handler(statusEvent('execution-timed-out'), context('reconcile'));
    expect(summary.results[0]).toMatchObject({ outcome: 'unchanged', reason: expect.stringMatching(/not a rollout request/) });
  });
});

describe('the sweep and the stranded-target finder', () => {
  const ended = (name: string, stopDate: Date) => ({ executionArn: arnOf(name), name, stateMachineArn: MACHINE, status: 'FAILED' as const, startDate: new Date(0), stopDate });

  it('finds the newest ended execution of each target, and rolls back what is due', async () => {
    const now = new Date('2026-12-02T12:00:00Z');
    const recent = new Date(now.getTime() - 6 * 60_000);
    sfn.on(ListExecutionsCommand, { stateMachineArn: MACHINE, statusFilter: 'FAILED' }).resolves({ executions: [ended('new', recent), ended('old', new Date(now.getTime() - 3_600_000))] });
    sfn.on(ListExecutionsCommand, { stateMachineArn: MACHINE, statusFilter: 'ABORTED' }).resolves({ executions: [] });
    sfn.on(ListExecutionsCommand, { stateMachineArn: MACHINE, statusFilter: 'TIMED_OUT' }).resolves({ executions: [] });
    noneRunning();
    execution({ status: 'FAILED', error: 'RollbackFailed', stopDate: recent }, 'new');
    execution({ status: 'FAILED', error: 'RollbackFailed' }, 'old');
    lambda.on(GetAliasCommand).resolves(canary10());

    const stranded = await sweepStrandedTargets(MACHINE, new Date(now.getTime() - 86_400_000));
    expect(stranded.map((s) => [s.execution.name, s.targetName, s.reading.state.kind])).toEqual([['new', 'checkout:live', 'split']]);
    expect(await findStrandedTarget({ executionArn: arnOf('old'), name: 'old', status: 'FAILED', input: JSON.stringify(LAMBDA_REQUEST) })).toMatchObject({ targetName: 'checkout:live' });

    lambda.reset();
    lambda.on(GetAliasCommand).resolvesOnce(canary10()).resolvesOnce(canary10()).resolves(onBaseline());
    lambda.on(UpdateAliasCommand).resolves({});
    const summary = await reconcileEvent({ 'detail-type': 'Scheduled Event', source: 'aws.events', detail: {} }, virtualClock(now));
    expect(summary).toMatchObject({ trigger: 'sweep', results: [expect.objectContaining({ executionName: 'new', outcome: 'rolled-back', reason: expect.stringMatching(/own rollback gave up/) })] });
    expect(sfn).toHaveReceivedCommandWith(ListExecutionsCommand, { stateMachineArn: MACHINE, statusFilter: 'FAILED', maxResults: 100 });
  });

  it('spends at most SPACED_RETRY_BUDGET_MS waiting over all its targets: three aliases denied for good, the third read once', async () => {
    const now = new Date('2026-12-02T12:00:00Z');
    const stop = new Date(now.getTime() - 5 * 60_000);
    const names = ['checkout', 'cart', 'search'];
    sfn.on(ListExecutionsCommand, { stateMachineArn: MACHINE, statusFilter: 'FAILED' }).resolves({ executions: names.map((name) => ended(name, stop)) });
    sfn.on(ListExecutionsCommand, { stateMachineArn: MACHINE, statusFilter: 'ABORTED' }).resolves({ executions: [] });
    sfn.on(ListExecutionsCommand, { stateMachineArn: MACHINE, statusFilter: 'TIMED_OUT' }).resolves({ executions: [] });
    for (const name of names) execution({ status: 'FAILED', error: 'States.Runtime', stopDate: stop }, name, { ...LAMBDA_REQUEST, target: { ...LAMBDA_REQUEST.target, functionName: name } });
    lambda.on(GetAliasCommand).rejects(denied());
    const clock = virtualClock(now);
    const summary = await reconcileEvent({ 'detail-type': 'Scheduled Event', source: 'aws.events', detail: {} }, clock);
    expect(summary.results.map((r) => [r.executionName, r.outcome, r.reason])).toEqual(
      names.map((name) => [name, 'unchanged', expect.stringMatching(/^the target could not be read: AccessDeniedException/)]),
    );
    expect(lambda).toHaveReceivedCommandTimes(GetAliasCommand, 5 + 5 + 1);
    expect(clock.slept).toEqual([...SPACED_RETRY_WAITS_MS, ...SPACED_RETRY_WAITS_MS]);
    expect(clock.slept.reduce((a, b) => a + b, 0)).toBe(SPACED_RETRY_BUDGET_MS);
  });

  it('is not due between two backoff tries: reads nothing', async () => {
    const now = new Date('2026-12-02T12:00:00Z');
    for (const status of ['FAILED', 'ABORTED', 'TIMED_OUT'] as const) sfn.on(ListExecutionsCommand, { stateMachineArn: MACHINE, statusFilter: status }).resolves({ executions: [] });
    // 87 minutes after its end: past the dense first hour, tries are at 75 and 95 minutes.
    sfn.on(ListExecutionsCommand, { stateMachineArn: MACHINE, statusFilter: 'FAILED' }).resolves({ executions: [ended('new', new Date(now.getTime() - 87 * 60_000))] });
    execution({ status: 'FAILED', error: 'RollbackFailed' }, 'new');
    const summary = await reconcileEvent({ 'detail-type': 'Scheduled Event', source: 'aws.events', detail: {} }, virtualClock(now));
    expect(summary.results).toEqual([]);
    expect(lambda).not.toHaveReceivedCommand(GetAliasCommand);
  });
});
