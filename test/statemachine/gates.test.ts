/**
 * Approval gates on the real state machine: statemachines/canary.asl.yaml runs locally inside the in-memory
 * AWS world, whose Step Functions records each gate's TaskScheduled (the task token in its parameters) and
 * answers SendTaskSuccess / SendTaskFailure as the service does. People answer through the shared action
 * Slack and the CLI call (shared/actions/approve.ts); an alarm reaches the real alarm-rollback handler.
 * Timeouts run on the simulator's virtual clock (test/sim/gates.test.ts).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { handler as alarmRollback } from '../../functions/alarm-rollback';
import { answerGate, type GateDecision, type GateOutcome } from '../../shared/actions/approve';
import type { Requester } from '../../shared/actions/requester';
import { parseRolloutRequest } from '../../shared/config/request';
import { logger } from '../../shared/handler';
import { localContext } from '../../sim/local-context';
import { classifyEvent, notificationFor } from '../../shared/slack/notifications';
import { approveOutcomeResponse } from '../../shared/slack/command-messages';
import { planRollout } from '../../shared/plan';
import { readDefinition, runLocally } from '../../sim/local-execution';
import type { AwsWorld } from '../../sim/world';
import { taskCatalogue, type ExecutionRecord } from '../../sim/world/sfn';
import { lambdaWorld, localMachine, request } from './helpers';

let world: AwsWorld;
let uninstall: () => void;
let beforeTask: (state: string) => void;

const BOB: Requester = { kind: 'iam', arn: 'arn:aws:sts::123456789012:assumed-role/deploy/bob' };
const GATED = {
  steps: [
    { weight: 10, bakeSeconds: 300 },
    { weight: 50, bakeSeconds: 600, approval: { timeoutSeconds: 3600, onTimeout: 'rollback' } },
    { weight: 100 },
  ],
};

beforeEach(() => {
  world = lambdaWorld();
  uninstall = world.install();
  process.env.STATE_MACHINE_ARN = world.sfn.stateMachineArn;
  process.env.EVENT_BUS_NAME = 'coalmine';
  beforeTask = () => undefined;
  world.sfn.useRunner(
    (input, executionName) =>
      runLocally(localMachine(), input, {
        executionName,
        waitMilliseconds: 0,
        retryMilliseconds: 0,
        taskTokens: world.sfn.tokens,
        beforeTask: (state) => beforeTask(state),
      }),
    taskCatalogue(readDefinition()),
  );
});
afterEach(() => {
  uninstall();
  delete process.env.EVENT_BUS_NAME;
});

const routing = () => {
  const { functionVersion, weights } = world.lambda.alias('checkout', 'live');
  return { functionVersion, weights };
};

function start(input: unknown, name = 'checkout-42'): ExecutionRecord {
  return world.sfn.start(input, name);
}

/** Resolves once the execution's history shows its gate scheduled (the token recorded), as a person would find it. */
const atGate = (execution: ExecutionRecord) =>
  world.sfn.waitForEvent(execution.name, (e) => e.type === 'TaskScheduled' && e.taskScheduledEventDetails?.resource === 'invoke.waitForTaskToken');

const answer = (decision: GateDecision, reason?: string): Promise<GateOutcome> =>
  answerGate({ stateMachineArn: world.sfn.stateMachineArn, target: 'checkout', requester: BOB, receivedAtMs: Date.now(), ...(reason !== undefined ? { reason } : {}) }, decision);

const statesOf = (execution: ExecutionRecord) => execution.history.filter((e) => e.type?.endsWith('StateEntered')).map((e) => e.stateEnteredEventDetails?.name);

describe('an approval gate', () => {
  it('waits after the step passes, announces the wait without the token, and promotes once approved, recording who', async () => {
    const input = request(GATED, { name: 'checkout' });
    const execution = start(input);
    await atGate(execution);

    expect(routing()).toEqual({ functionVersion: '41', weights: { '42': 0.5 } });
    const [awaiting] = world.eventbridge.ofType('Rollout Awaiting Approval');
    expect(awaiting?.detail).toMatchObject({
      executionName: 'checkout-42',
      name: 'checkout',
      stepCount: 2,
      step: { index: 1, weight: 50 },
      verdict: 'pass',
      gate: { kind: 'approval', timeoutSeconds: 3600, onTimeout: 'rollback', then: 'promote' },
    });
    expect(awaiting?.detail).not.toHaveProperty('taskToken');
    const [token] = world.sfn.tokens.waiting();
    expect(JSON.stringify(world.eventbridge.events)).not.toContain(token?.token);

    const outcome = await answer('approve');
    await execution.settled;

    expect(outcome).toMatchObject({ kind: 'approved', rollout: 'checkout', executionName: 'checkout-42', step: { index: 1, weight: 50 }, gateKind: 'approval', by: BOB.arn });
    expect(execution.status).toBe('SUCCEEDED');
    expect(routing()).toEqual({ functionVersion: '42', weights: {} });
    const output = JSON.parse(execution.output ?? '{}') as { approval: unknown };
    expect(output.approval).toEqual({ decision: 'approved', by: BOB.arn, via: 'the coalmine CLI', at: expect.any(String) });
    expect(world.eventbridge.ofType('Rollout Gate Passed')[0]?.detail).toMatchObject({ approval: { decision: 'approved', by: BOB.arn }, step: { index: 1 } });
    expect(statesOf(execution).slice(-7)).toEqual(['AwaitApproval', 'AnnounceGatePassed', 'AfterApproval', 'Promote', 'AnnouncePromoted', 'AfterPromotion', 'RolloutPromoted']);
    // The state transitions the planner predicts for an approved gate.
    expect(statesOf(execution)).toHaveLength(planRollout(parseRolloutRequest(input), { observable: true }).stateTransitions.nominal);
    expect(execution.output).not.toContain(token?.token);
  });

  it('a gate before the last step leads to the next step once approved', async () => {
    const execution = start(request({ steps: [{ weight: 10, bakeSeconds: 60, approval: { timeoutSeconds: 600 } }, { weight: 50, bakeSeconds: 60 }, { weight: 100 }] }, { name: 'checkout' }));
    await atGate(execution);
    expect(routing()).toEqual({ functionVersion: '41', weights: { '42': 0.1 } });

    await answer('approve');
    await execution.settled;

    expect(execution.status).toBe('SUCCEEDED');
    expect(world.lambda.aliasChanges.map((c) => c.weights['42'] ?? (c.functionVersion === '42' ? 1 : 0))).toEqual([0.1, 0.5, 1]);
  });

  it('a person rolling back at the gate (SendTaskFailure) rolls back through the state machine, naming them', async () => {
    const execution = start(request(GATED, { name: 'checkout' }));
    await atGate(execution);

    const outcome = await answer('reject', 'p99 looks off');
    await execution.settled;

    expect(outcome).toMatchObject({ kind: 'rejected', by: BOB.arn });
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('ApprovalRejected');
    expect(execution.cause).toBe(
      `Rolled back at the approval gate of step 2 (50 %) from the coalmine CLI by ${BOB.arn}: p99 looks off. Rolled back: checkout:live sends all traffic to version 41 again (was 50 % on 42).`,
    );
    expect(routing()).toEqual({ functionVersion: '41', weights: {} });
    expect(world.eventbridge.ofType('Rollout Rolled Back')[0]?.detail).toMatchObject({ error: 'ApprovalRejected' });
  });

  it('an alarm going to ALARM while it waits rolls back through the push path; a late Approve finds nothing to approve', async () => {
    const execution = start(request(GATED, { name: 'checkout' }));
    await atGate(execution);
    const [{ token } = { token: '' }] = world.sfn.tokens.waiting();

    const transition = world.cloudwatch.setAlarmState('checkout-errors', 'ALARM', 'Threshold Crossed: 1 datapoint [9.0] was greater than the threshold (1.0).');
    const event = JSON.parse(readFileSync(join(__dirname, '../fixtures/eventbridge/aws.cloudwatch/alarm-state-change-to-alarm.json'), 'utf8')) as {
      time: string;
      detail: { alarmName: string; state: Record<string, string> };
    };
    event.time = `${transition!.at.toISOString().slice(0, 19)}Z`;
    event.detail.alarmName = 'checkout-errors';
    event.detail.state = { ...event.detail.state, value: 'ALARM', timestamp: transition!.at.toISOString().replace('Z', '+0000') };
    await alarmRollback(event as never, localContext('coalmine-alarmRollback'));
    await execution.settled;

    expect(execution.status).toBe('ABORTED');
    expect(execution.error).toBe('AlarmRollback');
    expect(routing()).toEqual({ functionVersion: '41', weights: {} });
    expect(statesOf(execution).at(-1)).toBe('AwaitApproval');

    // The late click: no rollout runs any more, so there is nothing to approve, and nothing moves.
    const late = await answer('approve');
    expect(late).toMatchObject({ kind: 'no-match', match: { kind: 'nothing-running' } });
    expect(routing()).toEqual({ functionVersion: '41', weights: {} });
    // Even the old token itself answers nothing now: the gate was cancelled with its execution.
    expect(() => world.sfn.tokens.succeed(token, '{}')).toThrow(expect.objectContaining({ name: 'TaskTimedOut' }));
  });

  it('a rollout that is baking has nothing to approve, and says where it is', async () => {
    let outcome: Promise<GateOutcome> | undefined;
    beforeTask = (state) => {
      if (state === 'AnalyzeCanary' && outcome === undefined) outcome = answer('approve');
    };
    const execution = start(request(GATED, { name: 'checkout' }));
    await atGate(execution);

    expect(await outcome).toMatchObject({ kind: 'not-waiting', rollout: 'checkout', state: 'AnalyzeCanary' });
    await answer('approve');
    await execution.settled;
  });
});

describe('the task token is a credential', () => {
  it('appears in no log line, event, Slack message, answer or output of a gated run: only where Step Functions records it', async () => {
    // Every log call of every handler, whatever the level: what the log lines would hold.
    const written: string[] = [];
    const spies = (['debug', 'info', 'warn', 'error'] as const).map((level) =>
      jest.spyOn(logger, level).mockImplementation((...args: unknown[]) => {
        written.push(JSON.stringify(args));
      }),
    );
    // As POWERTOOLS_LOGGER_LOG_EVENT=true does when the logger is made: every handler logs the event it gets.
    Object.assign(logger, { logEvent: true });
    try {
      // A gated run rolled back at its gate (the failure's path), then one approved.
      const second = start(request(GATED, { name: 'checkout' }), 'checkout-42-first');
      await atGate(second);
      const [{ token: secondToken } = { token: '' }] = world.sfn.tokens.waiting();
      const rejected = await answer('reject', 'not today');
      await second.settled;
      const execution = start(request(GATED, { name: 'checkout' }));
      await atGate(execution);
      const [{ token } = { token: '' }] = world.sfn.tokens.waiting();
      const approved = await answer('approve');
      await execution.settled;

      expect(token).toMatch(/^local-task-token-/);
      const slack = world.eventbridge.events.map((e) => notificationFor(classifyEvent({ source: e.source, 'detail-type': e.detailType, detail: e.detail }) as never));
      const command = { subcommand: { name: 'approve', target: 'checkout', decision: 'approve' }, origin: { via: 'button', userId: 'U0ALICE123' } } as const;
      const seen = JSON.stringify({
        written,
        events: world.eventbridge.events,
        slack,
        answers: [approved, rejected].map((outcome) => [outcome, approveOutcomeResponse(outcome, command)]),
        outputs: [execution.output, second.error, second.cause],
        // The whole history but the gate's own TaskScheduled, which is where the service keeps the token.
        history: [...execution.history, ...second.history].filter((e) => e.type !== 'TaskScheduled' || e.taskScheduledEventDetails?.resource !== 'invoke.waitForTaskToken'),
      });
      expect(written.length).toBeGreaterThan(0);
      expect(slack.length).toBeGreaterThan(0);
      // Compared as booleans: a failure must not print the token either.
      for (const secret of [token, secondToken, 'local-task-token-']) expect({ secret: secret.slice(0, 17), seen: seen.includes(secret) }).toEqual({ secret: secret.slice(0, 17), seen: false });
      expect(JSON.stringify(execution.history).includes(token)).toBe(true);
    } finally {
      Object.assign(logger, { logEvent: false });
      for (const spy of spies) spy.mockRestore();
    }
  });
});

describe('a hold when the judges cannot decide', () => {
  it('waits for a person with the evidence after the extra bakes, then goes on once approved', async () => {
    world.cloudwatch.setAlarmState('checkout-errors', 'INSUFFICIENT_DATA', 'Insufficient Data: 1 datapoint was unknown.');
    const input = request({ preset: 'canary10-5m' }, { name: 'checkout', analysis: { alarms: ['checkout-errors'], minCanaryRequests: 0, inconclusive: { maxExtraSeconds: 300, then: 'hold', holdSeconds: 1800 } } });
    const execution = start(input);
    await atGate(execution);

    expect(world.eventbridge.ofType('Rollout Awaiting Approval')[0]?.detail).toMatchObject({
      verdict: 'inconclusive',
      gate: { kind: 'hold', timeoutSeconds: 1800, onTimeout: 'rollback', then: 'promote' },
      reason: expect.stringContaining('checkout-errors'),
    });
    // Five looks in the 5-minute bake, five in the 300 s extra bake (alarms estimate no time: all of maxExtraSeconds).
    expect(statesOf(execution).filter((s) => s === 'AnalyzeCanary')).toHaveLength(10);

    await answer('approve');
    await execution.settled;

    expect(execution.status).toBe('SUCCEEDED');
    expect(routing()).toEqual({ functionVersion: '42', weights: {} });
  });
});
