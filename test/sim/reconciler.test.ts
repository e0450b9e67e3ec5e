import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { builtInScenario, parseScenario, SCENARIO_DIRECTORY } from '../../sim/scenario';
import { simulate, type SimulationEvent } from '../../sim/simulate';

/** A built-in scenario with changes, as a user would write it to a file. */
function scenarioFrom(name: string, change: (document: Record<string, unknown>) => void) {
  const document = JSON.parse(readFileSync(join(SCENARIO_DIRECTORY, `${name}.json`), 'utf8')) as Record<string, unknown>;
  change(document);
  return parseScenario(document, `${name}-changed`);
}

const world = (d: Record<string, unknown>) => d.world as Record<string, unknown>;

describe('the reconciler in the simulation, as deployed', () => {
  it('console-stop: a plain StopExecution at 20 % reaches the reconciler as ABORTED, which returns the alias to 0 % a second later', async () => {
    const progress: SimulationEvent[] = [];
    const result = await simulate(builtInScenario('console-stop'), { onEvent: (e) => progress.push(e) });
    expect(result).toMatchObject({ outcome: 'rolled_back', finalWeight: 0, error: null, endedSeconds: 420, timeToSafeSeconds: 1, notReached: [] });
    expect(result.reason).toMatch(/^stopped from outside with no rollback \(a plain StopExecution, as the console does\)\. Then the reconciler \(its status-change event, 421 s after the start\)/);
    expect(result.routing).toEqual(expect.objectContaining({ weightsSet: [10, 20, 0], problems: [] }));
    expect(result.reconciler.invocations.map((i) => [i.trigger, i.atSeconds, i.outcome])).toEqual([
      ['status-change event', 421, 'rolled-back'],
      ['sweep', 600, 'unchanged'],
      ['sweep', 900, 'unchanged'],
    ]);
    expect(progress).toContainEqual(expect.objectContaining({ type: 'stopped', error: null, canaryWeight: 20 }));
  });

  it('names what its rollback restored', async () => {
    const result = await simulate(builtInScenario('console-stop'));
    expect(result.reconciler.invocations[0]?.restored).toBe('checkout:live sends all traffic to version 41 again (was 20 % on 42)');
  });

  it('a lost status change: the sweep at the next tick finds the stranded edge target, rolls it back and releases the lock', async () => {
    const scenario = scenarioFrom('edge-canary', (d) => {
      world(d).reconciler = { deliveries: 0 };
      d.events = [{ at: 420, kind: 'console-stop' }];
    });
    const result = await simulate(scenario);
    expect(result).toMatchObject({ outcome: 'rolled_back', finalWeight: 0, timeToSafeSeconds: 180 });
    expect(result.edge?.finalStore).not.toHaveProperty('coalmine_lock');
    expect(result.reconciler.invocations[0]).toMatchObject({ trigger: 'sweep', atSeconds: 600, outcome: 'rolled-back' });
  });

  it('a duplicate, late status change finds the target safe and changes nothing', async () => {
    const scenario = scenarioFrom('console-stop', (d) => (world(d).reconciler = { deliveries: 2, redeliverySeconds: 30 }));
    const result = await simulate(scenario);
    expect(result.reconciler.invocations.slice(0, 2)).toEqual([
      expect.objectContaining({ copy: 1, atSeconds: 421, outcome: 'rolled-back' }),
      expect.objectContaining({ copy: 2, atSeconds: 451, outcome: 'unchanged', detail: expect.stringMatching(/already safe/) }),
    ]);
    expect(result.routing.weightsSet).toEqual([10, 20, 0]);
  });

  it('without the reconciler a console stop leaves the canary split, and the result says failed', async () => {
    const result = await simulate(scenarioFrom('console-stop', (d) => (world(d).reconciler = { enabled: false })));
    expect(result).toMatchObject({ outcome: 'failed', finalWeight: 20, timeToSafeSeconds: null, reconciler: { enabled: false, invocations: [] } });
  });

  it('a rollback the reconciler cannot complete (UpdateAlias denied) is tried at every sweep until the hour is up, and listed as not reached', async () => {
    const scenario = scenarioFrom('console-stop', (d) => {
      d.events = [{ at: 419, kind: 'inject-fault', operation: 'UpdateAlias', error: 'AccessDeniedException', times: 1000 }, { at: 420, kind: 'console-stop' }];
    });
    const result = await simulate(scenario);
    expect(result).toMatchObject({ outcome: 'failed', finalWeight: 20, timeToSafeSeconds: null, settledSeconds: 420 + 3600 });
    expect(result.reconciler.invocations.filter((i) => i.outcome === 'failed').length).toBeGreaterThanOrEqual(3);
    expect(result.notReached).toEqual([expect.objectContaining({ description: expect.stringMatching(/^the reconciler's sweep at /) })]);
  });
});

describe('faults of the world and of the tasks', () => {
  it('a lost response: the shift is applied, its answer lost; the retry finds the weight already set and the rollout promotes', async () => {
    const scenario = scenarioFrom('healthy', (d) => (d.faults = [{ operation: 'UpdateAlias', error: 'TimeoutError', times: 1, responseLost: true }]));
    const result = await simulate(scenario);
    expect(result).toMatchObject({ outcome: 'promoted', finalWeight: 100, retries: 1, faultsInjected: 1 });
  });

  it('a ShiftTraffic that hangs after its write times out (States.Timeout) after 60 s; the retry finds the weight set and the rollout goes on', async () => {
    const scenario = scenarioFrom('healthy', (d) => {
      (d.rollout as Record<string, unknown>).strategy = { weights: [10, 50, 100], bakeSeconds: 300 };
      d.events = [{ at: 60, kind: 'task-fault', state: 'ShiftTraffic', fault: 'timeout', afterWork: true }];
    });
    const result = await simulate(scenario);
    expect(result.taskFaults).toEqual([{ state: 'ShiftTraffic', fault: 'timeout', atSeconds: 300 }]);
    expect(result).toMatchObject({ outcome: 'promoted', finalWeight: 100, retries: 1 });
    expect(result.routing.weightsSet).toEqual([10, 50, 100]);
  });

  it('a malformed answer of AnalyzeCanary fails the execution with States.Runtime, which no Catch sees; the reconciler returns the canary to 0 %', async () => {
    const progress: SimulationEvent[] = [];
    const scenario = scenarioFrom('healthy', (d) => (d.events = [{ at: 60, kind: 'task-fault', state: 'AnalyzeCanary', fault: 'malformed' }]));
    const result = await simulate(scenario, { onEvent: (e) => progress.push(e) });
    expect(result).toMatchObject({ outcome: 'rolled_back', finalWeight: 0, error: 'States.Runtime', timeToSafeSeconds: 1, steps: [expect.objectContaining({ weight: 10, verdict: null })] });
    expect(progress).toContainEqual(expect.objectContaining({ type: 'task-malformed', state: 'AnalyzeCanary', missing: 'analysis' }));
    expect(progress.map((e) => e.type)).not.toContain('analyzed');
    expect(result.reconciler.invocations[0]).toMatchObject({ trigger: 'status-change event', outcome: 'rolled-back' });
  });

  it('a crashed Promote (Runtime.ExitError) is caught and rolled back: the canary is back at 0 %', async () => {
    const scenario = scenarioFrom('healthy', (d) => (d.events = [{ at: 0, kind: 'task-fault', state: 'Promote', fault: 'crash', times: 5 }]));
    const result = await simulate(scenario);
    expect(result).toMatchObject({ outcome: 'rolled_back', finalWeight: 0, error: 'Runtime.ExitError' });
  });
});

describe('a person\'s promote that does not complete', () => {
  it('is reported as rolled back at 0 %, and the reason says the promotion did not complete', async () => {
    const scenario = scenarioFrom('console-stop', (d) => {
      d.events = [
        { at: 399, kind: 'inject-fault', operation: 'UpdateAlias', error: 'AccessDeniedException', times: 1 },
        { at: 400, kind: 'slack-command', user: 'alice', text: 'promote checkout' },
      ];
    });
    const result = await simulate(scenario);
    expect(result).toMatchObject({ outcome: 'rolled_back', finalWeight: 0, error: 'ManualPromote' });
    expect(result.reason).toMatch(/The promotion did not complete: the promote command left the canary at 0 % \(its Slack reply says why\)\.$/);
  });
});
