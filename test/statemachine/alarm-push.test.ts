/**
 * Alarm-pushed rollback against the real state machine: statemachines/canary.asl.yaml runs locally
 * (every Task bound to its real handler) inside the in-memory AWS world, whose Step Functions lists,
 * records and stops the run as the service does. The alarm event is delivered to the real alarm-rollback
 * handler at chosen moments of the run: the race rules of docs/triggers.md, proved on the real ASL.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { handler as alarmRollback } from '../../functions/alarm-rollback';
import { handler as startFromArtifact } from '../../functions/start-from-artifact';
import { TRAFFIC_MOVING_STATES } from '../../shared/executions/states';
import { rollBackOnAlarm, type AlarmRollbackSummary } from '../../shared/alarms/rollback-on-alarm';
import { promoteRollout } from '../../shared/actions/promote';
import type { Requester } from '../../shared/actions/requester';
import { rollBackRollout } from '../../shared/actions/rollback';
import { forgetParameters } from '../../shared/aws/parameters';
import { logger } from '../../shared/handler';
import { localContext } from '../../sim/local-context';
import type { RollbackClock as AlarmRollbackClock } from '../../shared/outside-rollback';
import { functionKeyOf, readDefinition, runLocally } from '../../sim/local-execution';
import type { AwsWorld } from '../../sim/world';
import type { AlarmTransition } from '../../sim/world/cloudwatch';
import { taskCatalogue, type ExecutionRecord } from '../../sim/world/sfn';
import { lambdaWorld, localMachine, request } from './helpers';

let world: AwsWorld;
let uninstall: () => void;
/** How long each Wait state lasts in this test's runs: long enough to be "during the bake" until stopped. */
let waitMilliseconds: number;
/** Runs before a Task's handler, inside the run: the moment an alarm arrives "while the machine is at X". */
let beforeTask: (state: string, input: { progress?: { stepIndex: number } }) => Promise<void>;
let afterTask: (state: string) => void;

beforeEach(() => {
  world = lambdaWorld();
  uninstall = world.install();
  process.env.STATE_MACHINE_ARN = world.sfn.stateMachineArn;
  delete process.env.ARTIFACT_RULES_PARAMETER;
  forgetParameters();
  waitMilliseconds = 0;
  beforeTask = async () => undefined;
  afterTask = () => undefined;
  world.sfn.useRunner(
    (input, executionName) =>
      runLocally(localMachine(), input, {
        executionName,
        waitMilliseconds,
        retryMilliseconds: 0,
        beforeTask: (state, taskInput) => beforeTask(state, taskInput as never),
        afterTask: (state) => afterTask(state),
      }),
    taskCatalogue(readDefinition()),
  );
});
afterEach(() => uninstall());

const routing = () => {
  const { functionVersion, weights } = world.lambda.alias('checkout', 'live');
  return { functionVersion, weights };
};

/** The EventBridge event CloudWatch sends for a transition: the documented shape, filled from the world. */
function alarmEventFor(transition: AlarmTransition): Record<string, unknown> {
  const event = JSON.parse(
    readFileSync(join(__dirname, '../fixtures/eventbridge/aws.cloudwatch/alarm-state-change-to-alarm.json'), 'utf8'),
  ) as { time: string; resources: string[]; detail: { alarmName: string; state: Record<string, string>; previousState: Record<string, string> } };
  const cloudWatchTime = (at: Date) => at.toISOString().replace('Z', '+0000');
  event.time = `${transition.at.toISOString().slice(0, 19)}Z`;
  event.resources = [`arn:aws:cloudwatch:us-east-1:123456789012:alarm:${transition.name}`];
  event.detail.alarmName = transition.name;
  event.detail.state = { ...event.detail.state, value: transition.to, reason: transition.reason, timestamp: cloudWatchTime(transition.at) };
  event.detail.previousState = { ...event.detail.previousState, value: transition.from };
  return event;
}

/** The alarm goes to ALARM in the world; returns the event EventBridge delivers for it. */
function alarmFires(name = 'checkout-errors', reason = 'Threshold Crossed: 3 datapoints [5.0, 7.0, 9.0] were greater than the threshold (1.0).') {
  const transition = world.cloudwatch.setAlarmState(name, 'ALARM', reason);
  if (transition === null) throw new Error(`${name} was in ALARM already`);
  return alarmEventFor(transition);
}

const deliver = (event: unknown): Promise<AlarmRollbackSummary> => alarmRollback(event as never, localContext('coalmine-alarmRollback'));

function start(input: unknown, name = 'checkout-42'): ExecutionRecord {
  return world.sfn.start(input, name);
}

const entered = (execution: ExecutionRecord, state: string) =>
  world.sfn.waitForEvent(execution.name, (e) => e.type?.endsWith('StateEntered') === true && e.stateEnteredEventDetails?.name === state);

/** A promise and its resolve function. */
function signal(): { promise: Promise<void>; resolve: () => void } {
  let resolve: () => void = () => undefined;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** Lets the world's Step Functions record what the run has done so far. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('an alarm during the bake of a canary', () => {
  it('rolls traffic back to 0 % and stops the execution with the alarm named; a repeated event changes nothing', async () => {
    waitMilliseconds = 60_000;
    const execution = start(request({ preset: 'canary10-5m' }));
    await entered(execution, 'Bake');
    expect(routing()).toEqual({ functionVersion: '41', weights: { '42': 0.1 } });

    const event = alarmFires();
    const summary = await deliver(event);
    await execution.settled;

    expect(routing()).toEqual({ functionVersion: '41', weights: {} });
    expect(execution.status).toBe('ABORTED');
    expect(execution.error).toBe('AlarmRollback');
    expect(execution.cause).toMatch(
      /^Alarm checkout-errors went to ALARM at \S+: Threshold Crossed: 3 datapoints \[5\.0, 7\.0, 9\.0\] were greater than the threshold \(1\.0\)\. Rolled back: checkout:live sends all traffic to version 41 again \(was 10 % on 42\)\. Rollback latency: \d+ ms from the alarm's state change to a verified 0 %/,
    );
    expect(execution.history.at(-1)).toMatchObject({ type: 'ExecutionAborted', executionAbortedEventDetails: { error: 'AlarmRollback' } });
    // Nothing ran after the Bake: the state machine's own analysis and rollback were skipped, as StopExecution does.
    expect(execution.history.filter((e) => e.type?.endsWith('StateEntered')).map((e) => e.stateEnteredEventDetails?.name).at(-1)).toBe('Bake');
    const latency = summary.executions[0]?.rollbackLatencyMs ?? -1;
    expect(latency).toBeGreaterThanOrEqual(0);
    expect(latency).toBeLessThan(1_000);
    expect(execution.cause).toContain(`Rollback latency: ${latency} ms`);

    const writes = world.lambda.aliasChanges.length;
    const again = await deliver(event);

    expect(again).toEqual({ alarmName: 'checkout-errors', runningExecutions: 0, executions: [] });
    expect(world.lambda.aliasChanges).toHaveLength(writes);
  });

  it('at 50 % as at 10 %', async () => {
    waitMilliseconds = 60_000;
    const execution = start(request({ weights: [50, 100], bakeSeconds: 600 }));
    await entered(execution, 'Bake');

    await deliver(alarmFires());
    await execution.settled;

    expect(routing()).toEqual({ functionVersion: '41', weights: {} });
    expect(execution.cause).toContain('(was 50 % on 42)');
  });

  it('an alarm the rollout does not watch changes nothing, and the rollout goes on to promote', async () => {
    world.cloudwatch.addAlarm('billing-errors');
    let summary: AlarmRollbackSummary | undefined;
    beforeTask = async (state) => {
      // Once: the alarm goes to ALARM at the first look and stays there through the later ones.
      if (state === 'AnalyzeCanary' && summary === undefined) summary = await deliver(alarmFires('billing-errors'));
    };
    const execution = start(request({ preset: 'canary10-5m' }));
    await execution.settled;

    expect(summary).toEqual({ alarmName: 'billing-errors', runningExecutions: 1, executions: [] });
    expect(execution.status).toBe('SUCCEEDED');
    expect(routing()).toEqual({ functionVersion: '42', weights: {} });
  });

  it('a rollout still in Preflight is stopped before any traffic moves', async () => {
    let handled: Promise<AlarmRollbackSummary> | undefined;
    beforeTask = async (state) => {
      if (state !== 'Preflight') return;
      await settle();
      handled = deliver(alarmFires());
      await handled;
    };
    const execution = start(request({ preset: 'canary10-5m' }));
    await execution.settled;
    // The stop ends the execution before the handler's last look at it: wait for the handler too.
    const summary = await handled;

    expect(summary?.executions.map((e) => e.action)).toEqual(['stopped-before-traffic']);
    expect(execution).toMatchObject({ status: 'ABORTED', error: 'AlarmRollback', cause: expect.stringContaining('Stopped before any traffic moved') });
    expect(world.lambda.aliasChanges).toEqual([]);
  });
});

describe('an alarm during the post-promotion bake', () => {
  const baked = (extra: object = {}) => request({ preset: 'canary10-5m' }, { postPromotion: { bakeSeconds: 1800 }, ...extra });

  it('rolls the promoted alias back to the previous version in one write and stops the execution', async () => {
    let writes = -1;
    let handled: Promise<AlarmRollbackSummary> | undefined;
    beforeTask = async (state) => {
      if (state !== 'AnalyzeAfterPromotion') return;
      expect(routing()).toEqual({ functionVersion: '42', weights: {} });
      writes = world.lambda.aliasChanges.length;
      handled = deliver(alarmFires());
      await handled;
      // The look never runs: the execution was stopped while it waited in the bake.
      throw new Error('stopped');
    };
    const execution = start(baked());
    await execution.settled;
    const summary = (await handled) as AlarmRollbackSummary;

    expect(routing()).toEqual({ functionVersion: '41', weights: {} });
    expect(world.lambda.aliasChanges.slice(writes)).toEqual([{ functionName: 'checkout', alias: 'live', functionVersion: '41', weights: {} }]);
    expect(summary.executions[0]).toMatchObject({ action: 'rolled-back', endedAs: 'ABORTED', detail: expect.stringContaining('(was 100 % on 42)') });
    expect(execution).toMatchObject({ status: 'ABORTED', error: 'AlarmRollback' });
  });

  it('watches postPromotion.analysis.alarms as well as the rollout\'s own', async () => {
    world.cloudwatch.addAlarm('checkout-memory');
    let handled: Promise<AlarmRollbackSummary> | undefined;
    beforeTask = async (state) => {
      if (state !== 'AnalyzeAfterPromotion') return;
      handled = deliver(alarmFires('checkout-memory'));
      await handled;
      throw new Error('stopped');
    };
    const execution = start(baked({ postPromotion: { bakeSeconds: 1800, analysis: { alarms: ['checkout-memory'] } } }));
    await execution.settled;
    await handled;

    expect(routing()).toEqual({ functionVersion: '41', weights: {} });
    expect(execution.error).toBe('AlarmRollback');
  });

  // The race rules of a person's action during the bake (docs/post-promotion.md): the execution runs, so
  // the running-rollout actions apply. Traffic stays at 0 % or 100 % whichever wins.
  const person: Requester = { kind: 'iam', arn: 'arn:aws:sts::123456789012:assumed-role/deploy/bob' };
  const action = () => ({ stateMachineArn: world.sfn.stateMachineArn, target: 'checkout-42', requester: person, receivedAtMs: Date.now(), reason: 'memory climbing' });

  it("a person's rollback during the bake restores the previous version, verified, and stops the execution", async () => {
    let handled: ReturnType<typeof rollBackRollout> | undefined;
    beforeTask = async (state) => {
      if (state !== 'AnalyzeAfterPromotion') return;
      handled = rollBackRollout(action());
      await handled;
      throw new Error('stopped');
    };
    const execution = start(baked());
    await execution.settled;
    const outcome = await handled;

    expect(outcome).toMatchObject({ kind: 'rolled-back', executionName: 'checkout-42', cause: expect.stringContaining('(was 100 % on 42)') });
    expect(routing()).toEqual({ functionVersion: '41', weights: {} });
    expect(execution).toMatchObject({ status: 'ABORTED', error: 'ManualRollback' });
  });

  it("a person's promote during the bake ends the bake early: no write, the new version stays at 100 %", async () => {
    let handled: ReturnType<typeof promoteRollout> | undefined;
    let writes = -1;
    beforeTask = async (state) => {
      if (state !== 'AnalyzeAfterPromotion') return;
      writes = world.lambda.aliasChanges.length;
      handled = promoteRollout(action());
      await handled;
      throw new Error('stopped');
    };
    const execution = start(baked());
    await execution.settled;
    const outcome = await handled;

    expect(outcome).toMatchObject({ kind: 'promoted', fromWeight: 100 });
    expect(world.lambda.aliasChanges).toHaveLength(writes);
    expect(routing()).toEqual({ functionVersion: '42', weights: {} });
    expect(execution).toMatchObject({ status: 'ABORTED', error: 'ManualPromote' });
  });

  it('an alarm just after the bake ended (the execution succeeded) leaves the promotion alone', async () => {
    const execution = start(baked());
    await execution.settled;
    expect(execution.status).toBe('SUCCEEDED');
    expect(execution.history.filter((e) => e.stateEnteredEventDetails?.name === 'AnalyzeAfterPromotion')).toHaveLength(6);
    await new Promise((resolve) => setTimeout(resolve, 5));

    const summary = await deliver(alarmFires());

    expect(summary).toEqual({ alarmName: 'checkout-errors', runningExecutions: 0, executions: [] });
    expect(routing()).toEqual({ functionVersion: '42', weights: {} });
    expect(world.callsTo('StopExecution')).toEqual([]);
  });
});

describe('the race rules, on the real state machine', () => {
  it('(a) the machine’s write lands first: a promotion already made is undone, then the execution stops', async () => {
    let handled: Promise<AlarmRollbackSummary> | undefined;
    beforeTask = async (state) => {
      if (state !== 'AnnouncePromoted') return;
      expect(routing()).toEqual({ functionVersion: '42', weights: {} });
      handled = deliver(alarmFires());
      await handled;
      // The announcement never runs: the execution was stopped while it waited.
      throw new Error('stopped');
    };
    const execution = start(request({ preset: 'canary10-5m' }));
    await execution.settled;
    const summary = await handled;

    expect(routing()).toEqual({ functionVersion: '41', weights: {} });
    expect(summary?.executions[0]).toMatchObject({ action: 'rolled-back', endedAs: 'ABORTED', detail: expect.stringContaining('(was 100 % on 42)') });
    expect(execution.status).toBe('ABORTED');
    expect(world.eventbridge.ofType('Rollout Promoted')).toEqual([]);
  });

  it('(c) an alarm after the execution promoted and ended leaves it alone', async () => {
    const execution = start(request({ preset: 'canary10-5m' }));
    await execution.settled;
    expect(execution.status).toBe('SUCCEEDED');
    // Timestamps have milliseconds; a tie would count as "while running" (the safe side).
    await new Promise((resolve) => setTimeout(resolve, 5));

    const summary = await deliver(alarmFires());

    expect(summary).toEqual({ alarmName: 'checkout-errors', runningExecutions: 0, executions: [] });
    expect(routing()).toEqual({ functionVersion: '42', weights: {} });
    expect(world.callsTo('StopExecution')).toEqual([]);
  });

  it('(c) an alarm that fired before the promotion but arrives after it still rolls back; the ended execution is not stopped', async () => {
    let event: Record<string, unknown> | undefined;
    beforeTask = async (state) => {
      // The last analysis has passed; the alarm fires now, its event is delivered only after the execution ends.
      if (state === 'Promote') event = alarmFires();
    };
    const execution = start(request({ preset: 'canary10-5m' }));
    await execution.settled;
    expect(execution.status).toBe('SUCCEEDED');

    const summary = await deliver(event);

    expect(routing()).toEqual({ functionVersion: '41', weights: {} });
    expect(summary.executions[0]).toMatchObject({ action: 'rolled-back', endedAs: 'SUCCEEDED', detail: expect.stringContaining('(was 100 % on 42)') });
    expect(world.callsTo('StopExecution')).toEqual([]);
  });

  /**
   * Delivers the alarm while `state` (at step `stepIndex`) is in flight: its Lambda invocation has been
   * scheduled but has not read the target yet. The handler rolls back and stops; the invocation goes on
   * as a real one would, released when the handler waits for it to end.
   */
  async function alarmWhileInFlight(state: string, stepIndex: number, input: unknown, options: { onRelease?: () => void } = {}) {
    const released = signal();
    const taskEnded = signal();
    const slept: number[] = [];
    const clock: AlarmRollbackClock = {
      now: () => new Date(),
      sleep: async (ms) => {
        slept.push(ms);
        if (ms < 10_000) return; // retry backoffs and re-reads: no need to wait
        released.resolve();
        await taskEnded.promise;
      },
    };
    let handled: Promise<AlarmRollbackSummary> | undefined;
    const writesBeforeAlarm: number[] = [];
    // What the in-flight task did once released: the handler sleeps meanwhile, so every call is the task's.
    let inFlight = false;
    const taskCalls: string[] = [];
    const stopListening = world.onBeforeCall((service, operation) => {
      if (inFlight) taskCalls.push(`${service}:${operation}`);
    });
    const taskErrors = jest.spyOn(logger, 'error');
    beforeTask = async (name, taskInput) => {
      if (name !== state || (taskInput.progress?.stepIndex ?? 0) !== stepIndex || handled !== undefined) return;
      await settle();
      writesBeforeAlarm.push(world.lambda.aliasChanges.length);
      handled = rollBackOnAlarm(alarmFires(), clock);
      await released.promise;
      options.onRelease?.();
      inFlight = true;
    };
    afterTask = (name) => {
      if (name !== state || !inFlight) return;
      inFlight = false;
      taskEnded.resolve();
    };
    const execution = start(input);
    await execution.settled;
    await taskEnded.promise;
    const summary = await (handled as Promise<AlarmRollbackSummary>);
    stopListening();
    const taskError = taskErrors.mock.calls.find(([message]) => message === 'failed')?.[1] as { errorName?: string; errorMessage?: string } | undefined;
    taskErrors.mockRestore();
    return { execution, summary, slept, writesBeforeAlarm: writesBeforeAlarm[0] ?? -1, taskCalls, taskError };
  }

  it('(b) the machine’s write comes after the rollback: it is refused, traffic stays at 0 %', async () => {
    // Step 2 (10 % → 50 %) is in flight when the alarm comes.
    const { execution, summary, slept, taskCalls, taskError } = await alarmWhileInFlight('ShiftTraffic', 1, request({ weights: [10, 50, 100], bakeSeconds: 60 }));

    expect(routing()).toEqual({ functionVersion: '41', weights: {} });
    expect(world.lambda.aliasChanges.map((c) => [c.functionVersion, c.weights])).toEqual([
      ['41', { '42': 0.1 }], // step 1, by the machine
      ['41', {}], // the alarm rollback
    ]);
    // The in-flight shift read the alias after the rollback and wrote nothing: the forward-only rule refused it.
    expect(taskCalls).toEqual(['lambda:GetAlias']);
    expect(taskError).toMatchObject({ errorName: 'TrafficConflict', errorMessage: expect.stringContaining('carries 0 %, not the 10 % this rollout left it at') });
    expect(execution.status).toBe('ABORTED');
    expect(summary.executions[0]).toMatchObject({ action: 'rolled-back', lateWriteUndone: false });
    expect(slept.filter((ms) => ms >= 10_000)).toHaveLength(1);
  });

  it('(d) the first shift from 0 % can land after a rollback at 0 %: the handler waits it out and rolls it back', async () => {
    const { execution, summary, slept, writesBeforeAlarm, taskCalls, taskError } = await alarmWhileInFlight('ShiftTraffic', 0, request({ preset: 'canary10-5m' }));

    expect(writesBeforeAlarm).toBe(0);
    expect(taskCalls).toEqual(['lambda:GetAlias', 'lambda:UpdateAlias']);
    expect(taskError).toBeUndefined();
    // The stray write (the forward-only rule cannot tell 0 % before the rollout from 0 % after a rollback),
    // then the handler's second rollback once the invocation had ended.
    expect(world.lambda.aliasChanges.map((c) => [c.functionVersion, c.weights])).toEqual([
      ['41', { '42': 0.1 }],
      ['41', {}],
    ]);
    expect(routing()).toEqual({ functionVersion: '41', weights: {} });
    expect(execution.status).toBe('ABORTED');
    expect(summary.executions[0]).toMatchObject({ action: 'rolled-back', lateWriteUndone: true });
    // It waited for the task's timeout (60 s in the ASL) plus a margin from when the invocation was scheduled.
    const wait = slept.find((ms) => ms >= 10_000) ?? 0;
    expect(wait).toBeGreaterThan(60_000);
    expect(wait).toBeLessThanOrEqual(65_000);
  });

  it('(e) Preflight in flight at the stop can take a cloudfront-kvs lock afterwards: the handler waits it out and releases the lock', async () => {
    const kvsArn = 'arn:aws:cloudfront::123456789012:key-value-store/327284aa-bcd5-499f-a3ff-26b9a9d31b58';
    const idle = { green_percentage: '0', blue_cidrs: '[]', green_cidrs: '[]' };
    world.kvs.addStore(kvsArn, idle);
    const input = { name: 'storefront', target: { type: 'cloudfront-kvs', kvsArn }, strategy: { preset: 'canary10-5m' }, analysis: { alarms: ['checkout-errors'] } };

    // The Preflight invocation read the alarms before the alarm changed state (here: the alarm is back to
    // OK when the task goes on), so it goes on to take the lock, after the stop.
    const { execution, summary, slept, taskCalls, taskError } = await alarmWhileInFlight('Preflight', 0, input, {
      onRelease: () => world.cloudwatch.setAlarmState('checkout-errors', 'OK', 'Threshold no longer crossed.'),
    });

    expect(taskError).toBeUndefined();
    expect(taskCalls).toContain('cloudfront-keyvaluestore:UpdateKeys');
    // Taken by the stopped execution's Preflight, released by the handler once that invocation must have ended.
    const locks = world.kvs.history(kvsArn, 'coalmine_lock').map((v) => (v === '(deleted)' ? v : (JSON.parse(v) as { executionName: string }).executionName));
    expect(locks).toEqual([execution.name, '(deleted)']);
    expect(world.kvs.items(kvsArn)).toEqual(idle);
    expect(execution.status).toBe('ABORTED');
    expect(summary.executions[0]).toMatchObject({ action: 'stopped-before-traffic', endedAs: 'ABORTED', lateWriteUndone: false });
    // It waited for Preflight's timeout (60 s in the ASL) plus a margin from when the invocation was scheduled.
    const wait = slept.find((ms) => ms >= 10_000) ?? 0;
    expect(wait).toBeGreaterThan(60_000);
    expect(wait).toBeLessThanOrEqual(65_000);
  });

  it('the traffic-moving states the handler watches are exactly those bound to the shiftTraffic and promote functions', () => {
    const states = Object.entries(readDefinition().States).filter(
      ([, s]) => s.Type === 'Task' && typeof s.Resource !== 'string' && ['shiftTraffic', 'promote'].includes(functionKeyOf(s)),
    );

    expect(states.map(([name]) => name).sort()).toEqual([...TRAFFIC_MOVING_STATES].sort());
  });
});

describe('from a published version to an alarm rollback', () => {
  function publishVersionEvent(): Record<string, unknown> {
    return JSON.parse(readFileSync(join(__dirname, '../fixtures/eventbridge/aws.lambda/publish-version.json'), 'utf8')) as Record<string, unknown>;
  }

  it('the PublishVersion event starts the rollout its rule names; an alarm during its bake rolls it back; the event again starts nothing', async () => {
    waitMilliseconds = 60_000;
    const published = publishVersionEvent();

    const started = await startFromArtifact(published as never, localContext('coalmine-startFromArtifact'));
    const execution = world.sfn.execution('lambda-checkout-42');
    await entered(execution, 'Bake');
    await deliver(alarmFires('checkout-p99-latency', 'Threshold Crossed: p99 above 800 ms.'));
    await execution.settled;
    const repeated = await startFromArtifact(published as never, localContext('coalmine-startFromArtifact'));

    expect(started).toMatchObject({ outcome: 'started', rule: 'checkout', executionName: 'lambda-checkout-42' });
    expect(execution).toMatchObject({ status: 'ABORTED', error: 'AlarmRollback', cause: expect.stringContaining('Alarm checkout-p99-latency went to ALARM') });
    expect(routing()).toEqual({ functionVersion: '41', weights: {} });
    expect(repeated).toMatchObject({ outcome: 'duplicate', reason: expect.stringContaining('already had its rollout lambda-checkout-42 (ABORTED)') });
    expect(world.sfn.service.commands.ListExecutions?.({ statusFilter: 'RUNNING' })).toEqual({ executions: [] });
  });
});
