import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { builtInScenario, builtInScenarioNames, parseScenario, SCENARIO_DIRECTORY } from '../../sim/scenario';
import { simulate, type SimulationResult } from '../../sim/simulate';
import { toReport } from '../../sim/report';

const REQUIRED = [
  'healthy',
  'bad-canary',
  'slow-canary',
  'late-failure',
  'throttled',
  'alarm-preexisting',
  'edge-canary',
  'edge-bad-canary',
  'slack-rollback',
  'cli-rollback',
  'hotfix',
  'approval',
  'post-promotion-regression',
];

const results = new Map<string, SimulationResult>();
/** As deployed: alarm events reach the alarm rollback. */
async function run(name: string): Promise<SimulationResult> {
  let result = results.get(name);
  if (result === undefined) {
    result = await simulate(builtInScenario(name));
    results.set(name, result);
  }
  return result;
}

const pollingResults = new Map<string, SimulationResult>();
/** With --no-alarm-events: only the state machine's analysis reads the alarms. */
async function runPolling(name: string): Promise<SimulationResult> {
  let result = pollingResults.get(name);
  if (result === undefined) {
    result = await simulate(builtInScenario(name), { alarmEvents: false });
    pollingResults.set(name, result);
  }
  return result;
}

describe('built-in scenarios', () => {
  it('include at least the ones the README promises', () => {
    expect(builtInScenarioNames()).toEqual(expect.arrayContaining(REQUIRED));
  });

  it.each([
    // name, outcome, final canary weight, error, weights written to the alias in order
    ['healthy', 'promoted', 100, null, [10, 100]],
    ['bad-canary', 'rolled_back', 0, 'AlarmRollback', [10, 0]],
    ['slow-canary', 'rolled_back', 0, 'AlarmRollback', [10, 0]],
    ['late-failure', 'rolled_back', 0, 'AlarmRollback', [10, 25, 50, 0]],
    ['throttled', 'promoted', 100, null, [10, 100]],
    ['alarm-preexisting', 'failed', 0, 'AlarmAlreadyFiring', []],
    ['linear10-10m', 'promoted', 100, null, [10, 20, 30, 40, 50, 60, 70, 80, 90, 100]],
    ['edge-canary', 'promoted', 100, null, [5, 25, 50, 100]],
    ['edge-bad-canary', 'rolled_back', 0, 'AlarmRollback', [5, 25, 0]],
    ['edge-bad-canary-prometheus', 'rolled_back', 0, 'CanaryAnalysisFailed', [5, 25, 0]],
    ['edge-countries', 'promoted', 100, null, [5, 25, 50, 100]],
    ['stats-canary', 'rolled_back', 0, 'CanaryAnalysisFailed', [10, 0]],
    ['slack-rollback', 'rolled_back', 0, 'ManualRollback', [10, 25, 0]],
    ['cli-rollback', 'rolled_back', 0, 'ManualRollback', [10, 25, 0]],
    ['cli-restore', 'rolled_back', 0, null, [10, 100, 0]],
    ['hotfix', 'promoted', 100, null, [10, 25, 50, 100]],
    ['approval', 'promoted', 100, null, [10, 100]],
    ['post-promotion-regression', 'rolled_back', 0, 'AlarmRollback', [10, 100, 0]],
  ] as const)('%s ends %s at %d %% (%s)', async (name, outcome, finalWeight, error, weightsSet) => {
    const result = await run(name);
    expect(result).toMatchObject({ outcome, finalWeight, error });
    expect(result.routing.weightsSet).toEqual(weightsSet);
  });

  it.each([
    // With --no-alarm-events the same scenarios roll back at an analysis, through the same weights.
    ['bad-canary', [10, 0]],
    ['slow-canary', [10, 0]],
    ['late-failure', [10, 25, 50, 0]],
    ['edge-bad-canary', [5, 25, 0]],
  ] as const)('%s without alarm events: rolled back by the analysis (CanaryAnalysisFailed)', async (name, weightsSet) => {
    const result = await runPolling(name);
    expect(result).toMatchObject({ outcome: 'rolled_back', finalWeight: 0, error: 'CanaryAnalysisFailed', alarmEvents: { enabled: false, invocations: [] } });
    expect(result.routing).toMatchObject({ weightsSet, problems: [] });
  });

  it.each(builtInScenarioNames())('%s routes no request by weights the rollout did not set', async (name) => {
    const result = await run(name);
    expect(result.routing.problems).toEqual([]);
    // Traffic saw the alias before the rollout (0 %) and then only weights the rollout wrote.
    for (const weight of result.routing.weightsServed) expect([0, ...result.routing.weightsSet]).toContain(weight);
  });

  it.each(builtInScenarioNames())('%s produces a report that matches its schema', async (name) => {
    expect(() => toReport(results.get(name) as SimulationResult)).not.toThrow();
  });

  it('healthy: one step at 10 % passes after a 5-minute bake, then promotes; the canary served about 10 % of requests', async () => {
    const result = await run('healthy');
    expect(result.simulatedSeconds).toBe(300);
    expect(result.steps).toEqual([
      // One look a minute (analysis.intervalSeconds defaults to 60); the last, at the bake's end, promotes.
      expect.objectContaining({ index: 0, weight: 10, verdict: 'pass', action: 'promote', analyses: 5, shiftedAtSeconds: 0, endedAtSeconds: 300 }),
    ]);
    const share = result.canaryRequests / (result.canaryRequests + result.baselineRequests);
    expect(share).toBeGreaterThan(0.09);
    expect(share).toBeLessThan(0.11);
    expect(result.canaryErrors / result.canaryRequests).toBeLessThan(0.01);
    expect(result.retries).toBe(0);
  });

  it("healthy: the state transitions counted match the planner's model of the state machine", async () => {
    const result = await run('healthy');
    expect(result.stateTransitions).toBe(builtInScenario('healthy').plan.stateTransitions.nominal);
  });

  it('bad-canary without alarm events: the canary error-rate alarm goes to ALARM during the bake, and the analysis rolls back', async () => {
    const result = await runPolling('bad-canary');
    const alarm = result.alarmTransitions.find((t) => t.name === 'checkout-errors' && t.to === 'ALARM');
    expect(alarm?.atSeconds).toBeGreaterThan(0);
    expect(alarm?.atSeconds).toBeLessThanOrEqual(300);
    expect(result.reason).toMatch(/analysis failed: alarm in ALARM: checkout-errors/);
    expect(result.reason).toMatch(/Rolled back: checkout:live sends all traffic to version 41 again/);
    expect(result.canaryErrors / result.canaryRequests).toBeGreaterThan(0.04);
  });

  it('slow-canary: the latency alarm, not the error alarm, rolls back', async () => {
    const result = await run('slow-canary');
    expect(result.alarmTransitions.filter((t) => t.to === 'ALARM').map((t) => t.name)).toEqual(['checkout-p99-latency']);
    expect(result.reason).toMatch(/checkout-p99-latency/);
  });

  it('post-promotion-regression: the alarm in the bake, 22 minutes after the promotion, gives version 41 all traffic again within a second', async () => {
    const result = await run('post-promotion-regression');
    const alarm = result.alarmTransitions.find((t) => t.to === 'ALARM');
    expect(alarm?.name).toBe('checkout-errors');
    // Promoted at 5 min; the canary degrades at 25 min (20 min after); the alarm needs 2 of 3 minutes.
    expect(alarm?.atSeconds).toBe(27 * 60);
    expect(result.rollbackLatencySeconds).toBe(1);
    expect(result.reason).toContain('(was 100 % on 42)');
  });

  it('post-promotion-regression without alarm events: the next look of the bake fails and rolls back', async () => {
    const result = await runPolling('post-promotion-regression');
    expect(result).toMatchObject({ outcome: 'rolled_back', finalWeight: 0, error: 'PostPromotionBakeFailed', simulatedSeconds: 30 * 60 });
    expect(result.routing.weightsSet).toEqual([10, 100, 0]);
    expect(result.reason).toMatch(/^look 5 of 6 after the promotion failed: alarm in ALARM: checkout-errors/);
    expect(result.stateTransitions).toBe(46);
  });

  it('late-failure without alarm events: 10 % and 25 % pass; 50 % fails', async () => {
    const result = await runPolling('late-failure');
    expect(result.steps.map((s) => [s.weight, s.verdict])).toEqual([
      [10, 'pass'],
      [25, 'pass'],
      [50, 'fail'],
    ]);
    const [low, , high] = result.steps;
    expect((low?.canaryErrors ?? 0) / (low?.canaryRequests ?? 1)).toBeLessThan(0.01);
    expect((high?.canaryErrors ?? 0) / (high?.canaryRequests ?? 1)).toBeGreaterThan(0.03);
    expect(result.simulatedSeconds).toBe(900);
  });

  it('stats-canary: the statistical judge rolls back twice the errors, which the error-rate alarm never sees', async () => {
    const result = await run('stats-canary');
    expect(result.alarmTransitions.filter((t) => t.to === 'ALARM')).toEqual([]);
    expect(result.steps).toEqual([expect.objectContaining({ weight: 10, verdict: 'fail', action: 'rollback', analyses: 1, endedAtSeconds: 600 })]);
    expect(result.reason).toMatch(/critical metric failed: errors: canary [\d.]+% \([\d,]+\/[\d,]+\) vs baseline [\d.]+% \([\d,]+\/[\d,]+\)/);
  });

  it('stats-canary with a healthy canary: the statistical judge passes both steps and the rollout promotes', async () => {
    const file = JSON.parse(readFileSync(join(SCENARIO_DIRECTORY, 'stats-canary.json'), 'utf8'));
    file.world.traffic.canary = {};
    const result = await simulate(parseScenario(file, 'stats-canary-healthy'));
    expect(result).toMatchObject({ outcome: 'promoted', finalWeight: 100 });
    expect(result.steps.map((s) => [s.weight, s.verdict, s.analyses])).toEqual([
      [10, 'pass', 1],
      [50, 'pass', 1],
    ]);
  });

  it('throttled: every injected fault is retried by the state machine, and the rollout still completes', async () => {
    const result = await run('throttled');
    expect(result.faultsInjected).toBe(9);
    expect(result.retries).toBe(9);
    expect(result.stateTransitions).toBe(builtInScenario('throttled').plan.stateTransitions.nominal + 9);
    // Backoff took simulated time: the rollout is later than the nominal 5 minutes.
    expect(result.simulatedSeconds).toBeGreaterThan(300);
  });

  it('alarm-preexisting: refused at preflight, before any traffic moved', async () => {
    const result = await run('alarm-preexisting');
    expect(result.steps).toEqual([]);
    expect(result.canaryRequests).toBe(0);
    expect(result.simulatedSeconds).toBe(0);
    expect(result.reason).toMatch(/already in ALARM before any traffic moved: checkout-service-errors/);
  });
});

describe('hotfix: an override start while the alarm fires', () => {
  it('starts although the service alarm fires, passes every step (the pre-firing alarm is not evidence), and no alarm event rolls it back', async () => {
    const result = await run('hotfix');
    expect(result.steps.map((s) => s.verdict)).toEqual(['pass', 'pass', 'pass']);
    expect(result.alarmEvents.invocations).toEqual([]);
  });
});

describe('simulate', () => {
  const healthy = () => builtInScenario('healthy');
  const withoutWallTime = ({ wallMilliseconds: _, ...rest }: SimulationResult) => rest;

  it('is deterministic for a seed, and the seed changes the traffic', async () => {
    const a = await simulate(healthy(), { seed: 42 });
    const b = await simulate(healthy(), { seed: 42 });
    const c = await simulate(healthy(), { seed: 43 });
    expect(withoutWallTime(a)).toEqual(withoutWallTime(b));
    expect(c.canaryRequests).not.toBe(a.canaryRequests);
  });

  it('leaves the real clock and timers in place afterwards, even when the run fails', async () => {
    const { setTimeout: before, setInterval: beforeInterval, Date: BeforeDate } = globalThis;
    await simulate(healthy());
    const broken = { ...healthy(), rollout: { not: 'a request' } };
    await simulate(broken); // the engine refuses it at preflight
    expect(globalThis.setTimeout).toBe(before);
    expect(globalThis.setInterval).toBe(beforeInterval);
    expect(globalThis.Date).toBe(BeforeDate);
    expect(Math.abs(Date.now() - performance.timeOrigin - performance.now())).toBeLessThan(5_000);
  });

  it('refuses a second simulation while one runs in the same process', async () => {
    const first = simulate(healthy());
    await expect(simulate(healthy())).rejects.toThrow(/already running/);
    await first;
  });

  it('compresses time: a 30-minute rollout simulates in about a second', async () => {
    const document = JSON.parse(JSON.stringify({ ...readHealthy(), description: '30 minutes' }));
    document.rollout.strategy = { preset: 'canary10-30m' };
    const scenario = parseScenario(document, 'healthy-30m');
    await simulate(scenario); // warm the JIT, as a long-running process would be
    const result = await simulate(scenario);
    expect(result.outcome).toBe('promoted');
    expect(result.simulatedSeconds).toBe(1800);
    // About a second on an idle machine; the bound leaves room for a loaded CI runner.
    expect(result.wallMilliseconds).toBeLessThan(4_000);
  });

  it('reports progress as it goes: preflight, shift, analysis with its numbers, promotion', async () => {
    const events: string[] = [];
    await simulate(healthy(), {
      onEvent: (event) => {
        if (event.type === 'analyzed') events.push(`analyzed ${event.weight} ${event.verdict} ${event.canary.requests > 0}`);
        else if (event.type !== 'alarm') events.push(`${event.type} ${event.at}`);
      },
    });
    expect(events).toEqual(['started 0', 'preflight 0', 'shifted 0', ...Array<string>(5).fill('analyzed 10 pass true'), 'promoted 300', 'finished 300']);
  });
});

function readHealthy(): Record<string, unknown> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('../../sim/scenarios/healthy.json') as Record<string, unknown>;
}
