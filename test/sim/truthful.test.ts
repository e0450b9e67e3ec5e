import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseScenario, SCENARIO_DIRECTORY } from '../../sim/scenario';
import { simulate, type SimulationEvent } from '../../sim/simulate';

/** A built-in scenario with changes, as a user would write it to a file. */
function scenarioFrom(name: string, change: (document: Record<string, unknown>) => void) {
  const document = JSON.parse(readFileSync(join(SCENARIO_DIRECTORY, `${name}.json`), 'utf8')) as Record<string, unknown>;
  change(document);
  return parseScenario(document, `${name}-changed`);
}

const denied = (at: number, operation: string, times = 1) => ({ at, kind: 'inject-fault', operation, error: 'AccessDeniedException', times });

async function run(name: string, change: (document: Record<string, unknown>) => void) {
  const progress: SimulationEvent[] = [];
  const result = await simulate(scenarioFrom(name, change), { onEvent: (e) => progress.push(e) });
  return { result, progress, types: progress.map((e) => e.type) };
}

describe('the simulator tells the truth about failed tasks', () => {
  it('AnalyzeCanary failing for good (AccessDenied on DescribeAlarms) is reported as a failed analysis, then the rollback', async () => {
    const { result, progress, types } = await run('healthy', (d) => (d.events = [denied(60, 'DescribeAlarms')]));
    expect(result).toMatchObject({ outcome: 'rolled_back', finalWeight: 0, error: 'AccessDeniedException' });
    expect(types).not.toContain('analyzed');
    expect(progress).toContainEqual(expect.objectContaining({ type: 'task-failed', state: 'AnalyzeCanary', error: 'AccessDeniedException' }));
    expect(result.steps).toEqual([expect.objectContaining({ weight: 10, verdict: null, analyses: 0 })]);
  });

  it('a failed Promote is not "promoted": the rollback puts the canary back at 0 %', async () => {
    const { result, progress, types } = await run('healthy', (d) => (d.events = [denied(60, 'UpdateAlias')]));
    expect(result).toMatchObject({ outcome: 'rolled_back', finalWeight: 0, error: 'AccessDeniedException' });
    expect(types).not.toContain('promoted');
    expect(progress).toContainEqual(expect.objectContaining({ type: 'task-failed', state: 'Promote' }));
    expect(types).toContain('rolled-back');
  });

  it('RollbackFailed without the reconciler is a failure with the canary where it was left, not "ROLLED BACK"', async () => {
    const { result, progress, types } = await run('healthy', (d) => {
      d.events = [denied(60, 'UpdateAlias', 2)];
      (d.world as Record<string, unknown>).reconciler = { enabled: false };
    });
    expect(result).toMatchObject({ outcome: 'failed', finalWeight: 10, error: 'RollbackFailed', timeToSafeSeconds: null, reconciler: { enabled: false, invocations: [] } });
    expect(types).not.toContain('rolled-back');
    expect(types).not.toContain('promoted');
    expect(progress).toContainEqual(expect.objectContaining({ type: 'task-failed', state: 'RollBack' }));
  });

  it('after RollbackFailed the reconciler, invoked with the FAILED status change, returns the canary to 0 % and the reason says so', async () => {
    const { result, types } = await run('healthy', (d) => (d.events = [denied(60, 'UpdateAlias', 2)]));
    expect(result).toMatchObject({ outcome: 'rolled_back', finalWeight: 0, error: 'RollbackFailed', timeToSafeSeconds: 1 });
    expect(types).not.toContain('rolled-back');
    expect(result.reason).toMatch(/Then the reconciler \(its status-change event, 301 s after the start\) returned the target to 0 %: checkout:live sends all traffic to version 41 again \(was 10 % on 42\)\.$/);
    expect(result.reconciler.invocations[0]).toMatchObject({ trigger: 'status-change event', atSeconds: 301, outcome: 'rolled-back' });
  });

  it('a failed shift adds no step: steps[] holds only the weights the target reached', async () => {
    const { result, types } = await run('healthy', (d) => {
      (d.rollout as Record<string, unknown>).strategy = { weights: [10, 20, 30, 100], bakeSeconds: 300 };
      d.events = [denied(60, 'UpdateAlias')];
    });
    expect(result).toMatchObject({ outcome: 'rolled_back', finalWeight: 0 });
    expect(result.steps.map((s) => s.weight)).toEqual([10]);
    expect(types.filter((t) => t === 'shifted')).toHaveLength(1);
  });

  it('a refused Preflight prints no "preflight passed" (built-in alarm-preexisting)', async () => {
    const { result, progress, types } = await run('alarm-preexisting', () => undefined);
    expect(result.outcome).toBe('failed');
    expect(types).not.toContain('preflight');
    expect(progress).toContainEqual(expect.objectContaining({ type: 'task-failed', state: 'Preflight', error: result.error }));
  });
});

describe('the simulation runs on after the execution ends', () => {
  it('runs a scenario event after the end, and lists one beyond the hour as not reached', async () => {
    const { result, types } = await run('healthy', (d) => {
      d.events = [
        { at: 900, kind: 'slack-command', user: 'alice', text: 'status checkout' },
        { at: 9000, kind: 'inject-fault', operation: 'GetAlias', error: 'ThrottlingException', times: 1 },
      ];
    });
    expect(result.outcome).toBe('promoted');
    expect(result.simulatedSeconds).toBe(300);
    expect(result.slackCommands).toEqual([expect.objectContaining({ atSeconds: 900, text: 'status checkout' })]);
    expect(types).toContain('slack');
    expect(result.settledSeconds).toBe(300 + 3600);
    expect(result.notReached).toEqual([{ atSeconds: 9000, description: expect.stringMatching(/^scenario event at 9000 s: /) }]);
  });

  it('settles as soon as nothing outside is left', async () => {
    const { result } = await run('healthy', () => undefined);
    expect(result).toMatchObject({ settledSeconds: 300, notReached: [] });
  });
});
