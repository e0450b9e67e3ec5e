/**
 * The alarm-rollback handler over mocked Lambda and Step Functions: which executions it rolls back
 * (exact UpdateAlias and StopExecution inputs), its idempotence, the race rules of docs/triggers.md,
 * (the rule itself, decideOnAlarm, is table-tested in test/unit/alarm-decision.test.ts, and the history
 * reading it rests on in test/unit/execution-history.test.ts).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  SFNClient,
  StopExecutionCommand,
  type HistoryEvent,
} from '@aws-sdk/client-sfn';
import { GetAliasCommand, PreconditionFailedException, UpdateAliasCommand, type GetAliasCommandOutput } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { handler } from '../../functions/alarm-rollback';
import { ALARM_ROLLBACK_ERROR, rollBackOnAlarm } from '../../shared/alarms/rollback-on-alarm';
import { logger } from '../../shared/handler';
import { localContext } from '../../sim/local-context';
import { formatDuration } from '../../shared/duration';
import { classifyEvent, notificationFor } from '../../shared/slack/notifications';
import type { RollbackClock as AlarmRollbackClock } from '../../shared/outside-rollback';
import type { RolloutState } from '../../shared/rollout';
import { History } from '../history-builder';
import { fixture, lambda, resetAws, rolloutRequest, stateFor } from './support';

const sfn = mockClient(SFNClient);

const MACHINE = 'arn:aws:states:us-east-1:123456789012:stateMachine:coalmine-dev-canary';
const arnOf = (name: string) => `arn:aws:states:us-east-1:123456789012:execution:coalmine-dev-canary:${name}`;

function alarmEvent(variant = 'alarm-state-change-to-alarm'): Record<string, unknown> {
  return JSON.parse(readFileSync(join(__dirname, '../fixtures/eventbridge/aws.cloudwatch', `${variant}.json`), 'utf8')) as Record<string, unknown>;
}

/** The alarm fixture's state change: 2025-03-04T10:20:07.121+0000. */
const ALARM_AT = Date.parse('2025-03-04T10:20:07.121Z');
const ALARM_REASON =
  'Threshold Crossed: 1 out of the last 1 datapoints [3.0 (04/03/25 10:19:00)] was greater than the threshold (1.0) (minimum 1 datapoint for OK -> ALARM transition).';

interface FakeExecution {
  readonly name: string;
  status: string;
  stopDate?: Date;
  readonly history: History;
}

let executions: FakeExecution[];
let state: RolloutState;

/** Step Functions over `executions`: ListExecutions, GetExecutionHistory (both orders), StopExecution. */
function fakeStepFunctions(): void {
  const find = (arn: string | undefined) => {
    const found = executions.find((e) => arnOf(e.name) === arn);
    if (found === undefined) throw Object.assign(new Error(`no execution ${arn}`), { name: 'ExecutionDoesNotExist' });
    return found;
  };
  sfn.on(ListExecutionsCommand).callsFake((input: { statusFilter?: string }) => ({
    executions: executions
      .filter((e) => e.status === input.statusFilter)
      .sort((a, b) => (b.stopDate?.getTime() ?? 0) - (a.stopDate?.getTime() ?? 0))
      .map((e) => ({
        executionArn: arnOf(e.name),
        name: e.name,
        status: e.status,
        stateMachineArn: MACHINE,
        startDate: new Date(ALARM_AT - 300_000),
        ...(e.stopDate !== undefined ? { stopDate: e.stopDate } : {}),
      })),
  }));
  sfn.on(GetExecutionHistoryCommand).callsFake((input: { executionArn: string; reverseOrder?: boolean; maxResults?: number }) => {
    const events = find(input.executionArn).history.events;
    return { events: (input.reverseOrder ? [...events].reverse() : events).slice(0, input.maxResults ?? 1000) };
  });
  sfn.on(StopExecutionCommand).callsFake((input: { executionArn: string; error?: string; cause?: string }) => {
    const execution = find(input.executionArn);
    if (execution.status === 'RUNNING') {
      execution.status = 'ABORTED';
      execution.history.events.push({
        id: execution.history.events.length + 1,
        timestamp: new Date(),
        type: 'ExecutionAborted',
        executionAbortedEventDetails: { error: input.error, cause: input.cause },
      } as HistoryEvent);
    }
    return { stopDate: new Date() };
  });
}

function running(name: string, history: History): FakeExecution {
  const execution = { name, status: 'RUNNING', history };
  executions.push(execution);
  return execution;
}

/** An execution that promoted and SUCCEEDED at `at`. */
function succeeded(name: string, at: number): FakeExecution {
  const history = new History(at - 400_000).bakingAfter(state).pass('AnalyzeCanary', 'Task').lambdaTask('Promote', 'promote', { weight: 100 }).pass('AnnouncePromoted', 'Task');
  history.events.push({ id: history.events.length + 1, timestamp: new Date(at), type: 'ExecutionSucceeded' } as HistoryEvent);
  const execution = { name, status: 'SUCCEEDED', stopDate: new Date(at), history };
  executions.push(execution);
  return execution;
}

/** A clock that starts `ms` after the alarm and moves only when slept. */
function clockAfterAlarm(ms: number): AlarmRollbackClock & { slept: number[] } {
  let now = ALARM_AT + ms;
  const slept: number[] = [];
  return {
    slept,
    now: () => new Date(now),
    sleep: async (wait) => {
      slept.push(wait);
      now += wait;
    },
  };
}

const alarmRollback = (event: unknown) => handler(event as never, localContext('coalmine-alarmRollback'));
const alias = (variant: string) => fixture<GetAliasCommandOutput>('lambda', `get-alias-${variant}`);
const ON_BASELINE = () => alias('on-baseline');
const CANARY_10 = () => alias('canary-10');

/**
 * The planned state of a request, as Preflight leaves it. stateFor resets the Lambda and CloudWatch
 * mocks, and a reset of those also drops the behaviours of a client mocked after them (aws-sdk-client-mock
 * shares the stubbed send), so the fakes are installed again afterwards.
 */
/** The same planned rollout watching other alarms (Preflight's checks need not run again). */
function watching(alarms: string[]): RolloutState {
  const { request } = state.rollout;
  return { ...state, rollout: { ...state.rollout, request: { ...request, analysis: { ...request.analysis, alarms } } } };
}

async function planned(request: Record<string, unknown>): Promise<RolloutState> {
  const result = await stateFor(request);
  sfn.reset();
  fakeStepFunctions();
  lambda.on(UpdateAliasCommand).resolves({});
  return result;
}

beforeEach(async () => {
  resetAws();
  executions = [];
  process.env.STATE_MACHINE_ARN = MACHINE;
  delete process.env.ALARM_ROLLBACK_GRACE_SECONDS;
  state = await planned(rolloutRequest({ name: 'checkout' }));
});
afterEach(() => jest.restoreAllMocks());

describe('an alarm during a bake', () => {
  it('an alarm whose name has spaces is named in full in the Slack message, from the stop cause\'s fields', async () => {
    const NAME = 'EC2 CPU Utilization Anomaly';
    running('checkout-42', new History().bakingAfter(watching([NAME])));
    lambda.on(GetAliasCommand).resolvesOnce(CANARY_10()).resolves(ON_BASELINE());
    const event = alarmEvent();
    (event.detail as { alarmName: string }).alarmName = NAME;
    event.resources = [`arn:aws:cloudwatch:us-east-1:123456789012:alarm:${NAME}`];

    await rollBackOnAlarm(event, clockAfterAlarm(850));

    const stop = sfn.commandCalls(StopExecutionCommand)[0]!.args[0].input;
    expect(stop.cause).toMatch(/\ncoalmine-facts: \{"alarm":"EC2 CPU Utilization Anomaly","rollbackLatencyMs":850\}$/);
    // The status-change event Step Functions puts on the bus for that stop, as the notifier receives it.
    const statusChange = JSON.parse(readFileSync(join(__dirname, '../fixtures/lifecycle/execution-aborted-by-alarm.json'), 'utf8')) as { detail: Record<string, unknown> };
    statusChange.detail = { ...statusChange.detail, error: stop.error, cause: stop.cause };
    const classified = classifyEvent(statusChange);
    if ('ignored' in classified) throw new Error(classified.ignored);
    const message = notificationFor(classified);
    expect(message.text).toBe('checkout rolled back by alarm EC2 CPU Utilization Anomaly');
    const shown = JSON.stringify(message.blocks);
    expect(shown).toContain('rolled back by alarm *EC2 CPU Utilization Anomaly*');
    expect(shown).toContain(`${formatDuration(0.85)} to a verified 0 %`);
    // People read the sentence; the fields line is for code.
    expect(shown).not.toContain('coalmine-facts');
  });

  it('rolls the target back to 0 %, then stops the execution naming the alarm, its reason and the latency', async () => {
    running('checkout-42', new History().bakingAfter(state));
    lambda.on(GetAliasCommand).resolvesOnce(CANARY_10()).resolves(ON_BASELINE());
    const clock = clockAfterAlarm(850);
    const info = jest.spyOn(logger, 'info');

    const summary = await rollBackOnAlarm(alarmEvent(), clock);

    expect(lambda).toHaveReceivedCommandTimes(UpdateAliasCommand, 1);
    expect(lambda).toHaveReceivedCommandWith(UpdateAliasCommand, {
      FunctionName: 'checkout',
      Name: 'live',
      FunctionVersion: '41',
      RoutingConfig: { AdditionalVersionWeights: {} },
      RevisionId: '0b7d9e2a-3c4f-4e51-8a6b-7c8d9e0f1a2b',
    });
    const sentence =
      `Alarm checkout-errors went to ALARM at 2025-03-04T10:20:07.121Z: ${ALARM_REASON} ` +
      'Rolled back: checkout:live sends all traffic to version 41 again (was 10 % on 42). ' +
      "Rollback latency: 850 ms from the alarm's state change to a verified 0 % (2025-03-04T10:20:07.971Z).";
    // The sentence for people, the alarm and the latency as fields for the notifier.
    const cause = `${sentence}\ncoalmine-facts: {"alarm":"checkout-errors","rollbackLatencyMs":850}`;
    expect(sfn).toHaveReceivedCommandWith(StopExecutionCommand, { executionArn: arnOf('checkout-42'), error: 'AlarmRollback', cause });
    // Traffic first, the stop second: StopExecution skips the state machine's own RollBack.
    expect(lambda.commandCalls(UpdateAliasCommand)[0]?.calledBefore(sfn.commandCalls(StopExecutionCommand)[0]!)).toBe(true);
    expect(summary).toEqual({
      alarmName: 'checkout-errors',
      runningExecutions: 1,
      executions: [
        {
          executionArn: arnOf('checkout-42'),
          executionName: 'checkout-42',
          rollout: 'checkout',
          action: 'rolled-back',
          detail: sentence,
          rollbackLatencyMs: 850,
          endedAs: 'ABORTED',
          lateWriteUndone: false,
        },
      ],
    });
    expect(info).toHaveBeenCalledWith('rolled back on alarm', expect.objectContaining({ alarmName: 'checkout-errors', executionName: 'checkout-42', rollbackLatencyMs: 850 }));
    expect(clock.slept).toEqual([]);
    expect(ALARM_ROLLBACK_ERROR).toBe('AlarmRollback');
  });

  it('through the Lambda handler, with the real clock', async () => {
    running('checkout-42', new History().bakingAfter(state));
    lambda.on(GetAliasCommand).resolvesOnce(CANARY_10()).resolves(ON_BASELINE());
    const event = alarmEvent() as { detail: { state: { timestamp: string } } };
    const changedAt = Date.now() - 40;
    event.detail.state.timestamp = new Date(changedAt).toISOString().replace('Z', '+0000');

    const summary = await alarmRollback(event);

    const latency = summary.executions[0]?.rollbackLatencyMs ?? -1;
    expect(latency).toBeGreaterThanOrEqual(40);
    expect(latency).toBeLessThan(5_000);
    expect(sfn).toHaveReceivedCommandWith(StopExecutionCommand, {
      error: 'AlarmRollback',
      cause: expect.stringContaining(`Rollback latency: ${latency} ms from the alarm's state change to a verified 0 %`),
    });
  });

  it('is idempotent: the same event again finds nothing running that watches the alarm and changes nothing', async () => {
    running('checkout-42', new History().bakingAfter(state));
    lambda.on(GetAliasCommand).resolvesOnce(CANARY_10()).resolves(ON_BASELINE());
    await alarmRollback(alarmEvent());
    lambda.resetHistory();
    sfn.resetHistory();
    const info = jest.spyOn(logger, 'info');

    const again = await alarmRollback(alarmEvent());

    expect(again).toEqual({ alarmName: 'checkout-errors', runningExecutions: 0, executions: [] });
    expect(info).toHaveBeenCalledWith('no running rollout watches this alarm; nothing changed', { alarmName: 'checkout-errors', runningExecutions: 0 });
    expect(lambda.calls()).toHaveLength(0);
    expect(sfn).not.toHaveReceivedCommand(StopExecutionCommand);
  });

  it('a concurrent duplicate rolls back nothing more: the target is already on the baseline', async () => {
    running('checkout-42', new History().bakingAfter(state));
    lambda.on(GetAliasCommand).resolves(ON_BASELINE());

    const summary = await alarmRollback(alarmEvent());

    expect(lambda).not.toHaveReceivedCommand(UpdateAliasCommand);
    expect(summary.executions[0]).toMatchObject({ action: 'rolled-back', detail: expect.stringContaining('Rolled back: checkout:live already sends all traffic to version 41.') });
  });

  it('matches a composite alarm by its name', async () => {
    const composite = watching(['checkout-health']);
    running('checkout-42', new History().bakingAfter(composite));
    lambda.on(GetAliasCommand).resolvesOnce(CANARY_10()).resolves(ON_BASELINE());

    const summary = await alarmRollback(alarmEvent('composite-alarm-to-alarm'));

    expect(summary.executions.map((e) => e.action)).toEqual(['rolled-back']);
    expect(sfn).toHaveReceivedCommandWith(StopExecutionCommand, { cause: expect.stringContaining('Alarm checkout-health went to ALARM at 2025-03-04T10:20:09.402Z') });
  });
});

describe('which executions it touches', () => {
  it('only running rollouts that watch the alarm; one still in Preflight is stopped before traffic moves; a refused one is left to fail', async () => {
    const other = watching(['billing-errors']);
    lambda.on(GetAliasCommand).resolvesOnce(CANARY_10()).resolves(ON_BASELINE());
    running('checkout-42', new History().bakingAfter(state));
    running('billing-7', new History().bakingAfter(other));
    running('checkout-43', new History().started(rolloutRequest()).enter('Preflight').invoke('preflight'));
    running(
      'checkout-44',
      new History().started(rolloutRequest()).lambdaTask('Preflight', 'preflight', { ...rolloutRequest(), failure: { Error: 'AlarmAlreadyFiring' } }).enter('AnnounceRolloutRefused'),
    );

    const summary = await alarmRollback(alarmEvent());

    expect(summary.runningExecutions).toBe(4);
    expect(summary.executions.map((e) => [e.executionName, e.action])).toEqual([
      ['checkout-42', 'rolled-back'],
      ['checkout-43', 'stopped-before-traffic'],
    ]);
    // Each execution is handled on its own, concurrently: the stops come in no particular order.
    const stops = sfn.commandCalls(StopExecutionCommand).map((c) => [c.args[0].input.executionArn, c.args[0].input.cause]);
    expect(stops).toHaveLength(2);
    expect(stops).toEqual(
      expect.arrayContaining([
        [arnOf('checkout-42'), expect.stringContaining('Rolled back: checkout:live')],
        [arnOf('checkout-43'), `Alarm checkout-errors went to ALARM at 2025-03-04T10:20:07.121Z: ${ALARM_REASON} Stopped before any traffic moved: Preflight had not finished.\ncoalmine-facts: {"alarm":"checkout-errors"}`],
      ]),
    );
    expect(lambda).toHaveReceivedCommandTimes(UpdateAliasCommand, 1);
  });

  it('an alarm no rollout watches changes nothing and says so', async () => {
    running('checkout-42', new History().bakingAfter(state));
    const event = alarmEvent() as { detail: { alarmName: string }; resources: string[] };
    event.detail.alarmName = 'billing-errors';
    event.resources = ['arn:aws:cloudwatch:us-east-1:123456789012:alarm:billing-errors'];
    const info = jest.spyOn(logger, 'info');

    const summary = await alarmRollback(event);

    expect(summary).toEqual({ alarmName: 'billing-errors', runningExecutions: 1, executions: [] });
    expect(info).toHaveBeenCalledWith('no running rollout watches this alarm; nothing changed', { alarmName: 'billing-errors', runningExecutions: 1 });
    expect(lambda.calls()).toHaveLength(0);
    expect(sfn).not.toHaveReceivedCommand(StopExecutionCommand);
  });

  it.each([
    ['an alarm going back to OK', alarmEvent('alarm-state-change-to-ok'), 'alarm checkout-errors went to OK; only ALARM rolls back'],
    ['another event', { source: 'aws.ecr', 'detail-type': 'ECR Image Action', detail: {} }, 'not a CloudWatch alarm state change (source "aws.ecr"'],
  ])('%s is ignored without a single AWS call', async (_label, event, reason) => {
    const summary = await alarmRollback(event);

    expect(summary.ignored).toContain(reason);
    expect(sfn.calls()).toHaveLength(0);
    expect(lambda.calls()).toHaveLength(0);
  });

  it('reads every page of running executions', async () => {
    running('checkout-42', new History().bakingAfter(state));
    sfn
      .on(ListExecutionsCommand, { statusFilter: 'RUNNING' })
      .resolvesOnce({ executions: [], nextToken: 'page-2' })
      .resolves({ executions: [{ executionArn: arnOf('checkout-42'), name: 'checkout-42', status: 'RUNNING', stateMachineArn: MACHINE, startDate: new Date() }] });
    lambda.on(GetAliasCommand).resolvesOnce(CANARY_10()).resolves(ON_BASELINE());

    const summary = await alarmRollback(alarmEvent());

    const listings = sfn.commandCalls(ListExecutionsCommand).map((c) => c.args[0].input);
    expect(listings.filter((l) => l.statusFilter === 'RUNNING')).toEqual([
      { stateMachineArn: MACHINE, statusFilter: 'RUNNING', maxResults: 100, nextToken: undefined },
      { stateMachineArn: MACHINE, statusFilter: 'RUNNING', maxResults: 100, nextToken: 'page-2' },
    ]);
    expect(summary.executions.map((e) => e.executionName)).toEqual(['checkout-42']);
  });

  it('without STATE_MACHINE_ARN it fails loudly', async () => {
    delete process.env.STATE_MACHINE_ARN;

    await expect(alarmRollback(alarmEvent())).rejects.toMatchObject({ name: 'ConfigurationError', message: expect.stringContaining('STATE_MACHINE_ARN is not set') });
  });
});

describe('the race rules', () => {
  it('(a) a promotion that landed first is undone: the alias goes back to the baseline, then the execution stops', async () => {
    running('checkout-42', new History().bakingAfter(state).pass('AnalyzeCanary', 'Task').lambdaTask('Promote', 'promote', { weight: 100 }).enter('AnnouncePromoted'));
    lambda.on(GetAliasCommand).resolvesOnce(alias('promoted')).resolves(ON_BASELINE());

    const summary = await alarmRollback(alarmEvent());

    expect(lambda).toHaveReceivedCommandWith(UpdateAliasCommand, {
      FunctionVersion: '41',
      RoutingConfig: { AdditionalVersionWeights: {} },
      RevisionId: '5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9',
    });
    expect(summary.executions[0]).toMatchObject({ action: 'rolled-back', endedAs: 'ABORTED', detail: expect.stringContaining('(was 100 % on 42)') });
  });

  it('a shift that wins the compare-and-swap between our read and write makes us read again and roll that back', async () => {
    running('checkout-42', new History().bakingAfter(state));
    const fiftyPercent = { ...CANARY_10(), RoutingConfig: { AdditionalVersionWeights: { '42': 0.5 } }, RevisionId: 'rev-after-shift' };
    lambda.on(GetAliasCommand).resolvesOnce(CANARY_10()).resolvesOnce(fiftyPercent).resolves(ON_BASELINE());
    lambda
      .on(UpdateAliasCommand)
      .rejectsOnce(new PreconditionFailedException({ message: 'The RevisionId provided does not match', $metadata: {} }))
      .resolves({});

    const summary = await rollBackOnAlarm(alarmEvent(), clockAfterAlarm(500));

    expect(lambda.commandCalls(UpdateAliasCommand).map((c) => c.args[0].input.RevisionId)).toEqual(['0b7d9e2a-3c4f-4e51-8a6b-7c8d9e0f1a2b', 'rev-after-shift']);
    expect(summary.executions[0]).toMatchObject({ action: 'rolled-back', detail: expect.stringContaining('(was 50 % on 42)') });
  });

  it('(d) a shift from 0 % still in flight at the stop can land after the rollback: the handler waits it out and undoes it', async () => {
    // The alarm came while the first ShiftTraffic (0 → 10 %) was running: the rollback found 0 % and
    // wrote nothing, and the forward-only rule cannot refuse a shift from 0 %.
    const history = new History(ALARM_AT - 2_000).started(state.rollout.request).lambdaTask('Preflight', 'preflight', state).pass('AnnounceRolloutStarted', 'Task').enter('ShiftTraffic').invoke('shiftTraffic', 60);
    running('checkout-1', history);
    const scheduledAt = history.lastAt - 100;
    lambda
      .on(GetAliasCommand)
      .resolvesOnce(ON_BASELINE()) // rollback: already at 0 %
      .resolvesOnce(ON_BASELINE()) // verified
      .resolvesOnce(ON_BASELINE()) // right after the stop
      .resolvesOnce(ON_BASELINE()) // rollback anyway (idempotent; releases what the rollout holds, e.g. a KVS lock)
      .resolvesOnce(ON_BASELINE()) // verified
      .resolvesOnce(CANARY_10()) // once the invocation must have ended: its write landed
      .resolvesOnce(CANARY_10()) // rollback again
      .resolves(ON_BASELINE());
    const clock = clockAfterAlarm(0);
    const warn = jest.spyOn(logger, 'warn');

    const summary = await rollBackOnAlarm(alarmEvent(), clock);

    // Waits until the task's timeout (60 s) plus a margin after the invocation was scheduled.
    expect(clock.slept).toEqual([scheduledAt + 65_000 - ALARM_AT]);
    expect(lambda).toHaveReceivedCommandTimes(UpdateAliasCommand, 1);
    expect(lambda).toHaveReceivedCommandWith(UpdateAliasCommand, { FunctionVersion: '41', RoutingConfig: { AdditionalVersionWeights: {} } });
    expect(summary.executions[0]).toMatchObject({ action: 'rolled-back', endedAs: 'ABORTED', lateWriteUndone: true });
    expect(warn).toHaveBeenCalledWith('a traffic write landed after the alarm rollback; rolled back again', expect.objectContaining({ lateWeight: 10 }));
  });

  it('(c) a rollout promoted before the alarm changed state is left alone: the alarm is no longer its business', async () => {
    succeeded('checkout-42', ALARM_AT - 1);
    const info = jest.spyOn(logger, 'info');

    const summary = await alarmRollback(alarmEvent());

    expect(summary).toEqual({ alarmName: 'checkout-errors', runningExecutions: 0, executions: [] });
    expect(lambda.calls()).toHaveLength(0);
    expect(sfn).not.toHaveReceivedCommand(StopExecutionCommand);
    // Only executions that succeeded since the alarm changed state are even looked at.
    expect(sfn).not.toHaveReceivedCommand(GetExecutionHistoryCommand);
    expect(info).toHaveBeenCalledWith('no running rollout watches this alarm; nothing changed', expect.anything());
  });

  it('(c) a rollout promoted after the alarm had fired (a late event) is rolled back; its ended execution is not stopped', async () => {
    succeeded('checkout-42', ALARM_AT + 300);
    lambda.on(GetAliasCommand).resolvesOnce(alias('promoted')).resolves(ON_BASELINE());
    const warn = jest.spyOn(logger, 'warn');

    const summary = await rollBackOnAlarm(alarmEvent(), clockAfterAlarm(900));

    expect(lambda).toHaveReceivedCommandWith(UpdateAliasCommand, { FunctionVersion: '41', RoutingConfig: { AdditionalVersionWeights: {} } });
    expect(sfn).not.toHaveReceivedCommand(StopExecutionCommand);
    expect(summary.executions).toEqual([
      expect.objectContaining({ executionName: 'checkout-42', action: 'rolled-back', endedAs: 'SUCCEEDED', rollbackLatencyMs: 900 }),
    ]);
    expect(warn).toHaveBeenCalledWith('rolled back a rollout whose execution succeeded after its alarm had fired', expect.objectContaining({ executionName: 'checkout-42' }));
  });

  it('(c) with ALARM_ROLLBACK_GRACE_SECONDS, an alarm shortly after the promotion still rolls back', async () => {
    process.env.ALARM_ROLLBACK_GRACE_SECONDS = '120';
    succeeded('checkout-42', ALARM_AT - 60_000);
    succeeded('checkout-41', ALARM_AT - 180_000);
    lambda.on(GetAliasCommand).resolvesOnce(alias('promoted')).resolves(ON_BASELINE());

    const summary = await alarmRollback(alarmEvent());

    expect(summary.executions.map((e) => [e.executionName, e.action, e.endedAs])).toEqual([['checkout-42', 'rolled-back', 'SUCCEEDED']]);
    expect(sfn).toHaveReceivedCommandWith(ListExecutionsCommand, { statusFilter: 'SUCCEEDED' });
    expect(sfn).not.toHaveReceivedCommand(StopExecutionCommand);
  });

  it('(c) an ended rollout whose target a newer rollout has taken over is left alone', async () => {
    succeeded('checkout-42', ALARM_AT + 300);
    lambda.on(GetAliasCommand).resolves({ ...alias('promoted'), RoutingConfig: { AdditionalVersionWeights: { '43': 0.1 } } });

    const summary = await alarmRollback(alarmEvent());

    expect(summary.executions[0]).toMatchObject({ action: 'left-alone', detail: expect.stringContaining('changed outside this rollout') });
    expect(lambda).not.toHaveReceivedCommand(UpdateAliasCommand);
  });

  it('a malformed ALARM_ROLLBACK_GRACE_SECONDS fails loudly', async () => {
    process.env.ALARM_ROLLBACK_GRACE_SECONDS = '2m';

    await expect(alarmRollback(alarmEvent())).rejects.toMatchObject({
      name: 'ConfigurationError',
      message: 'ALARM_ROLLBACK_GRACE_SECONDS is "2m"; it must be a whole number of seconds from 0 to 3600 (how long after a promotion an alarm still rolls back).',
    });
  });

  it('(c) a listing that still shows RUNNING an execution that ended before the alarm does not fool it', async () => {
    const stale = succeeded('checkout-42', ALARM_AT - 500);
    stale.status = 'RUNNING';
    const info = jest.spyOn(logger, 'info');

    const summary = await alarmRollback(alarmEvent());

    expect(summary.executions).toEqual([]);
    expect(lambda.calls()).toHaveLength(0);
    expect(info).toHaveBeenCalledWith('the alarm leaves this rollout alone', {
      alarmName: 'checkout-errors',
      executionName: 'checkout-42',
      reason: 'ended (SUCCEEDED) at 2025-03-04T10:20:06.621Z, before the alarm changed state',
    });
  });

  it('an execution that ended on its own before the stop is reported, traffic still verified at 0 %', async () => {
    const history = new History().bakingAfter(state);
    running('checkout-42', history);
    lambda.on(GetAliasCommand).resolvesOnce(CANARY_10()).resolves(ON_BASELINE());
    sfn.on(StopExecutionCommand).callsFake(() => {
      executions[0]!.status = 'FAILED';
      history.events.push({ id: 999, timestamp: new Date(), type: 'ExecutionFailed', executionFailedEventDetails: { error: 'CanaryAnalysisFailed' } } as HistoryEvent);
      return { stopDate: new Date() };
    });

    const summary = await alarmRollback(alarmEvent());

    expect(summary.executions[0]).toMatchObject({ action: 'rolled-back', endedAs: 'FAILED' });
  });
});

describe('when the rollback cannot complete', () => {
  it('a rollback that cannot write leaves the execution running (its own rollback acts) and fails the invocation', async () => {
    running('checkout-42', new History().bakingAfter(state));
    lambda.on(GetAliasCommand).resolves(CANARY_10());
    lambda.on(UpdateAliasCommand).rejects(Object.assign(new Error('not authorized'), { name: 'AccessDeniedException', $fault: 'client' }));

    await expect(alarmRollback(alarmEvent())).rejects.toMatchObject({
      name: 'RollbackFailed',
      message: expect.stringMatching(/^Alarm checkout-errors: checkout-42: the rollback could not be verified, so the execution was left running .*AccessDeniedException/),
    });
    expect(sfn).not.toHaveReceivedCommand(StopExecutionCommand);
  });

  it('a rollback that does not read back as 0 % is not trusted: no stop', async () => {
    running('checkout-42', new History().bakingAfter(state));
    lambda.on(GetAliasCommand).resolves(CANARY_10());

    await expect(rollBackOnAlarm(alarmEvent(), clockAfterAlarm(0))).rejects.toMatchObject({
      message: expect.stringContaining('the target still sends 10 % to the new version after the rollback (3 reads)'),
    });
    expect(sfn).not.toHaveReceivedCommand(StopExecutionCommand);
  });

  it('a stop that fails after the rollback fails the invocation, so that a retry stops it (the rollback is a no-op then)', async () => {
    running('checkout-42', new History().bakingAfter(state));
    lambda.on(GetAliasCommand).resolvesOnce(CANARY_10()).resolves(ON_BASELINE());
    sfn.on(StopExecutionCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $fault: 'client' }));

    await expect(rollBackOnAlarm(alarmEvent(), clockAfterAlarm(0))).rejects.toMatchObject({
      message: expect.stringContaining('rolled back (0 % verified) but could not stop it or check for late writes: AwsThrottled'),
    });
    expect(lambda).toHaveReceivedCommandTimes(UpdateAliasCommand, 1);
  });
});
