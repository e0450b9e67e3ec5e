/**
 * Gates on the simulator's virtual clock: the real ASL waits at its gate in simulated time, a person answers
 * through the real Slack handler, and the gate's own timeout fires when nobody does.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { builtInScenario, parseScenario, SCENARIO_DIRECTORY } from '../../sim/scenario';
import { SIMULATED_CALLER_ARN } from '../../sim/world/sts';
import { simulate, type SimulationEvent } from '../../sim/simulate';

type Document = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function approvalWith(change: (document: Document) => void): Document {
  const document = JSON.parse(readFileSync(join(SCENARIO_DIRECTORY, 'approval.json'), 'utf8')) as Document;
  change(document);
  return document;
}

const gateLines = (progress: SimulationEvent[]) =>
  progress.flatMap((e) => (e.type === 'gate-waiting' ? [[e.at, 'waiting', e.gate.kind]] : e.type === 'gate-closed' ? [[e.at, e.decision, e.by]] : []));

describe('approval: a person approves at 7:00 and the rollout promotes', () => {
  it('waits at the gate from the passing analysis at 5:00 until alice approves from Slack at 7:00, then promotes at once', async () => {
    const progress: SimulationEvent[] = [];
    const result = await simulate(builtInScenario('approval'), { onEvent: (e) => progress.push(e) });

    expect(result).toMatchObject({ outcome: 'promoted', finalWeight: 100, error: null, simulatedSeconds: 420 });
    expect(result.routing).toMatchObject({ weightsSet: [10, 100], problems: [] });
    expect(gateLines(progress)).toEqual([
      [300, 'waiting', 'approval'],
      [420, 'approved', 'alice (U0ALICE) in C0DEPLOYS'],
    ]);
    expect(result.slackCommands).toEqual([
      expect.objectContaining({ atSeconds: 420, user: 'alice', text: 'approve checkout', responseType: 'in_channel', reply: expect.stringMatching(/^:white_check_mark: <@U0ALICE> approved \*checkout\* at step 1 \(10 %\): the rollout moves on\./) }),
    ]);
    // From the click to the execution moving on: no simulated time at all; the promotion follows in the same second.
    const promoted = progress.find((e) => e.type === 'promoted');
    expect(promoted?.at).toBe(420);
  });

  it('a person who may not approve is refused, and the rollout keeps waiting', async () => {
    const document = approvalWith((d) => {
      d.events = [{ at: 360, kind: 'slack-command', user: 'bob', text: 'approve checkout' }, ...d.events];
    });
    const result = await simulate(parseScenario(document, 'approval-bob'));

    expect(result.slackCommands[0]).toMatchObject({ user: 'bob', responseType: 'ephemeral', reply: expect.stringMatching(/not on the list of people who may run `approve`/) });
    expect(result).toMatchObject({ outcome: 'promoted', simulatedSeconds: 420 });
  });
});

describe('the cli event: an operator approves from the terminal', () => {
  it('runs the real coalmine approve as the simulated operator; the gate records them and the rollout promotes', async () => {
    const document = approvalWith((d) => {
      d.events = [
        { at: 330, kind: 'cli', args: ['watch', 'checkout', '--interval', '30'] },
        { at: 360, kind: 'cli', args: ['status', 'checkout'] },
        { at: 420, kind: 'cli', args: ['approve', 'checkout'] },
      ];
    });
    const progress: SimulationEvent[] = [];
    const result = await simulate(parseScenario(document, 'cli-approve'), { onEvent: (e) => progress.push(e) });

    const operator = SIMULATED_CALLER_ARN;
    const ran = result.cliCommands;
    // In the order they ended: the watch follows the rollout past the approval to its promotion (exit 0).
    expect(ran.map((c) => [c.atSeconds, c.args.join(' '), c.exitCode])).toEqual([
      [360, 'status checkout', 0],
      [420, 'approve checkout', 0],
      [330, 'watch checkout --interval 30', 0],
    ]);
    const printed = (i: number) => ran[i]!.output.filter((o) => o.stream === 'out').map((o) => o.line);
    const waiting = 'waiting for a person: coalmine approve simulation-cli-approve-1, or coalmine approve simulation-cli-approve-1 --roll-back';
    expect(printed(0)).toContain(`  ${waiting}`);
    expect(printed(1)).toEqual([`Approved checkout (execution simulation-cli-approve-1) at step 1 (10 %) as ${operator}: the rollout moves on.`]);
    expect(printed(2).some((line) => line.endsWith(`; ${waiting}`))).toBe(true);
    expect(gateLines(progress)).toEqual([
      [300, 'waiting', 'approval'],
      [420, 'approved', operator],
    ]);
    expect(result).toMatchObject({ outcome: 'promoted', finalWeight: 100, simulatedSeconds: 420 });
  });
});

describe('a gate nobody answers', () => {
  it.each([
    ['rollback', 'rolled_back', 0, 'ApprovalTimedOut', [10, 0]],
    ['proceed', 'promoted', 100, null, [10, 100]],
  ] as const)('with onTimeout %s: waits the whole timeout in simulated time, then %s', async (onTimeout, outcome, finalWeight, error, weightsSet) => {
    const document = approvalWith((d) => {
      d.rollout.strategy.steps[0].approval = { timeoutSeconds: 1800, onTimeout };
      d.events = [];
    });
    const progress: SimulationEvent[] = [];
    const result = await simulate(parseScenario(document, `timeout-${onTimeout}`), { onEvent: (e) => progress.push(e) });

    expect(result).toMatchObject({ outcome, finalWeight, error, simulatedSeconds: 300 + 1800 });
    expect(result.routing).toMatchObject({ weightsSet, problems: [] });
    expect(gateLines(progress)).toEqual([
      [300, 'waiting', 'approval'],
      [2100, 'timed-out', null],
    ]);
    if (onTimeout === 'rollback') expect(result.reason).toMatch(/^Step 1 waited 1800 s for a person at its approval gate and nobody answered; the gate rolls back on timeout\. Rolled back: /);
  });
});

describe('an alarm while the rollout waits at its gate', () => {
  it('rolls back through the push path at once; alice’s late Approve finds nothing to approve and says so', async () => {
    const document = approvalWith((d) => {
      d.events = [
        { at: 360, kind: 'set-alarm-state', alarm: 'checkout-errors', state: 'ALARM', reason: 'Threshold Crossed', holdSeconds: 600 },
        { at: 420, kind: 'slack-command', user: 'alice', text: 'approve checkout' },
      ];
    });
    const result = await simulate(parseScenario(document, 'alarm-at-gate'));

    expect(result).toMatchObject({ outcome: 'rolled_back', finalWeight: 0, error: 'AlarmRollback' });
    expect(result.rollbackLatencySeconds).toBe(1);
    expect(result.routing).toMatchObject({ weightsSet: [10, 0], problems: [] });
    expect(result.slackCommands).toEqual([
      expect.objectContaining({ atSeconds: 420, responseType: 'ephemeral', reply: 'Nothing is rolling out right now, so there is nothing to approve. A finished rollout is changed by starting a new one.' }),
    ]);
  });
});

describe('a hold on an inconclusive analysis', () => {
  it('holds with the evidence after the extra bakes, and promotes once approved', async () => {
    const document = approvalWith((d) => {
      d.rollout.strategy = { preset: 'canary10-5m' };
      // Too little traffic for the alarm to get data: every analysis is inconclusive.
      d.world.traffic.requestsPerSecond = 0.001;
      d.rollout.analysis = { alarms: ['checkout-errors'], inconclusive: { maxExtraSeconds: 300, then: 'hold', holdSeconds: 3600 } };
      d.events = [{ at: 900, kind: 'slack-command', user: 'alice', text: 'approve checkout' }];
    });
    const progress: SimulationEvent[] = [];
    const result = await simulate(parseScenario(document, 'hold'), { onEvent: (e) => progress.push(e) });

    expect(gateLines(progress)).toEqual([
      [600, 'waiting', 'hold'],
      [900, 'approved', 'alice (U0ALICE) in C0DEPLOYS'],
    ]);
    expect(result).toMatchObject({ outcome: 'promoted', finalWeight: 100 });
  });
});
