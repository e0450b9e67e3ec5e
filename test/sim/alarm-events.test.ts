/**
 * The alarm push path in the simulator: each move to ALARM reaches the real alarm rollback as the event
 * EventBridge delivers, on the virtual clock, against the execution running in the in-memory Step Functions.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { alarmStateChangeEvent } from '../../sim/alarm-events';
import { builtInScenario, parseScenario, SCENARIO_DIRECTORY } from '../../sim/scenario';
import { simulate, type SimulationResult } from '../../sim/simulate';
import type { AlarmTransition } from '../../sim/world/cloudwatch';

const FIXTURE = join(__dirname, '..', 'fixtures', 'eventbridge', 'aws.cloudwatch', 'alarm-state-change-to-alarm.json');

type Document = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function scenarioFile(name: string): Document {
  return JSON.parse(readFileSync(join(SCENARIO_DIRECTORY, `${name}.json`), 'utf8')) as Document;
}

function badCanaryWith(change: (document: Document) => void, name = 'bad-canary-variant') {
  const document = scenarioFile('bad-canary');
  change(document);
  return parseScenario(document, name);
}

const withoutWallTime = ({ wallMilliseconds: _, ...rest }: SimulationResult) => rest;

describe('the alarm state change event', () => {
  const transition: AlarmTransition = {
    name: 'checkout-errors',
    from: 'OK',
    to: 'ALARM',
    reason: 'Threshold Crossed: 2 of the last 3 datapoints [missing, 3.659, 5.467] were greater than the threshold (1).',
    at: new Date(Date.UTC(2030, 0, 7, 9, 2, 0, 250)),
  };

  it('has the shape CloudWatch sends through EventBridge (the documented example in the fixtures)', () => {
    // Prepare
    const fixture = JSON.parse(readFileSync(FIXTURE, 'utf8')) as Document;
    // Act
    const event = alarmStateChangeEvent(transition) as Document;
    // Assess
    expect(Object.keys(event).sort()).toEqual(Object.keys(fixture).sort());
    expect(event).toMatchObject({ source: 'aws.cloudwatch', 'detail-type': 'CloudWatch Alarm State Change', region: 'us-east-1' });
    expect(event.resources).toEqual(['arn:aws:cloudwatch:us-east-1:000000000000:alarm:checkout-errors']);
    expect(event.detail.alarmName).toBe('checkout-errors');
    for (const key of Object.keys(event.detail.state)) expect(fixture.detail.state).toHaveProperty(key);
    expect(event.detail.state).toEqual({ value: 'ALARM', reason: transition.reason, timestamp: '2030-01-07T09:02:00.250+0000' });
    expect(event.detail.previousState).toEqual({ value: 'OK' });
    // The envelope's time has whole seconds, as in AWS.
    expect(event.time).toBe('2030-01-07T09:02:00Z');
  });

  it("carries the previous state's reason and time when the alarm changed state before", () => {
    const previous: AlarmTransition = { name: 'checkout-errors', from: 'INSUFFICIENT_DATA', to: 'OK', reason: 'Threshold Crossed: fine', at: new Date(Date.UTC(2030, 0, 7, 9, 1)) };
    const event = alarmStateChangeEvent(transition, previous) as Document;
    expect(event.detail.previousState).toEqual({ value: 'OK', reason: 'Threshold Crossed: fine', timestamp: '2030-01-07T09:01:00.000+0000' });
  });
});

describe('bad-canary: the alarm push path against polling only', () => {
  it('with alarm events the canary is rolled back a second after the alarm, with fewer errors than by the analysis at the end of the bake', async () => {
    // Act
    const pushed = await simulate(builtInScenario('bad-canary'));
    const polled = await simulate(builtInScenario('bad-canary'), { alarmEvents: false });

    // Assess: the same alarm at the same moment in both worlds.
    const fired = (r: SimulationResult) => r.alarmTransitions.find((t) => t.to === 'ALARM');
    expect(fired(pushed)).toEqual(fired(polled));
    const alarmAt = fired(pushed)?.atSeconds ?? Number.NaN;

    expect(pushed).toMatchObject({ outcome: 'rolled_back', finalWeight: 0, error: 'AlarmRollback', rollbackLatencySeconds: 1, simulatedSeconds: alarmAt + 1 });
    expect(pushed.reason).toMatch(/^Alarm checkout-errors went to ALARM at 2030-01-07T09:02:00\.000Z: Threshold Crossed: .* Rollback latency: 1000 ms from the alarm's state change to a verified 0 %/);
    expect(pushed.steps).toEqual([expect.objectContaining({ weight: 10, verdict: null, analyses: 0 })]);
    expect(polled).toMatchObject({ outcome: 'rolled_back', error: 'CanaryAnalysisFailed', simulatedSeconds: 300 });

    expect(pushed.simulatedSeconds).toBeLessThan(polled.simulatedSeconds);
    expect(pushed.rollbackLatencySeconds ?? Infinity).toBeLessThan(polled.rollbackLatencySeconds ?? 0);
    expect(pushed.canaryErrors).toBeLessThan(polled.canaryErrors);
    expect(pushed.routing).toMatchObject({ weightsSet: [10, 0], problems: [] });
  });

  it('for every seed from 1 to 5: earlier, and fewer canary errors', async () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const pushed = await simulate(builtInScenario('bad-canary'), { seed });
      const polled = await simulate(builtInScenario('bad-canary'), { seed, alarmEvents: false });
      expect({ seed, outcome: pushed.outcome, error: pushed.error }).toEqual({ seed, outcome: 'rolled_back', error: 'AlarmRollback' });
      expect(pushed.simulatedSeconds).toBeLessThan(polled.simulatedSeconds);
      expect(pushed.canaryErrors).toBeLessThan(polled.canaryErrors);
    }
  });

  it('the scenario switch (world.alarmEvents.enabled false) is the same run as --no-alarm-events', async () => {
    const switched = await simulate(badCanaryWith((d) => (d.world.alarmEvents = { enabled: false }), 'bad-canary'));
    const flagged = await simulate(builtInScenario('bad-canary'), { alarmEvents: false });
    expect(withoutWallTime(switched)).toEqual(withoutWallTime(flagged));
  });

  it('the delivery delay is a knob: 30 s of EventBridge delay, 30 s of latency', async () => {
    const result = await simulate(badCanaryWith((d) => (d.world.alarmEvents = { delaySeconds: 30 })));
    expect(result).toMatchObject({ outcome: 'rolled_back', error: 'AlarmRollback', rollbackLatencySeconds: 30, simulatedSeconds: 150 });
    expect(result.alarmEvents.invocations).toEqual([expect.objectContaining({ changedAtSeconds: 120, atSeconds: 150, outcome: 'acted' })]);
    expect(result.reason).toMatch(/Rollback latency: 30000 ms/);
  });
});

describe('alarm events that change nothing', () => {
  it.each([
    // Both invocations see the execution running; the second finds the alias on the baseline already and writes nothing.
    ['concurrently', 0, 'acted', /Rolled back: checkout:live already sends all traffic to version 41\./],
    // The second finds the execution stopped (ABORTED is neither running nor succeeded).
    ['30 s later', 30, 'nothing-to-do', /^no running rollout watches checkout-errors \(0 running executions\)$/],
  ] as const)('a duplicate delivered %s changes nothing: no second write, the same rollout', async (_, redeliverySeconds, secondOutcome, secondDetail) => {
    // Prepare
    const once = await simulate(builtInScenario('bad-canary'));
    // Act
    const twice = await simulate(badCanaryWith((d) => (d.world.alarmEvents = { deliveries: 2, redeliverySeconds })));
    // Assess
    expect(twice.alarmEvents.invocations.map((i) => [i.copy, i.atSeconds, i.outcome])).toEqual([
      [1, 121, 'acted'],
      [2, 121 + redeliverySeconds, secondOutcome],
    ]);
    expect(twice.alarmEvents.invocations[1]?.detail).toMatch(secondDetail);
    expect(twice.routing.weightsSet).toEqual([10, 0]);
    const rollout = (r: SimulationResult) => [r.outcome, r.error, r.reason, r.simulatedSeconds, r.canaryRequests, r.canaryErrors, r.rollbackLatencySeconds];
    expect(rollout(twice)).toEqual(rollout(once));
  });

  it("an alarm the rollout does not watch goes to ALARM: the handler leaves the rollout alone, and it promotes", async () => {
    // Prepare: a healthy rollout, and another team's alarm in the same account.
    const document = scenarioFile('healthy');
    document.world.alarms.push({ name: 'billing-errors', metric: 'ErrorRate', watches: 'baseline', threshold: 50 });
    document.events = [{ at: 120, kind: 'set-alarm-state', alarm: 'billing-errors', state: 'ALARM', reason: 'billing is down', holdSeconds: 600 }];
    // Act
    const result = await simulate(parseScenario(document, 'healthy-and-billing'));
    // Assess
    expect(result.alarmEvents.invocations).toEqual([
      expect.objectContaining({ alarm: 'billing-errors', atSeconds: 121, outcome: 'nothing-to-do', executions: [], detail: 'no running rollout watches billing-errors (1 running execution)' }),
    ]);
    expect(result).toMatchObject({ outcome: 'promoted', finalWeight: 100, error: null, rollbackLatencySeconds: null });
    expect(result.routing.weightsSet).toEqual([10, 100]);
  });

  it('an alarm already in ALARM when the rollout starts sends nothing (CloudWatch sends changes only); preflight refuses', async () => {
    const result = await simulate(builtInScenario('alarm-preexisting'));
    expect(result).toMatchObject({ outcome: 'failed', error: 'AlarmAlreadyFiring', alarmEvents: { enabled: true, invocations: [] } });
  });
});

describe('a failed invocation of the alarm rollback', () => {
  it('is retried by Lambda a minute later, and the retry rolls back', async () => {
    // Prepare: the handler's first alias write is refused (not retryable), so it cannot verify 0 % and fails.
    const scenario = badCanaryWith((d) => {
      d.events = [{ at: 120, kind: 'inject-fault', operation: 'UpdateAlias', error: 'AccessDeniedException', times: 1 }];
    });
    // Act
    const result = await simulate(scenario);
    // Assess
    expect(result.alarmEvents.invocations.map((i) => [i.attempt, i.atSeconds, i.outcome, i.retryInSeconds])).toEqual([
      [1, 121, 'failed', 60],
      [2, 181, 'acted', undefined],
    ]);
    expect(result.alarmEvents.invocations[0]?.detail).toMatch(/^RollbackFailed: .*AccessDenied/);
    expect(result).toMatchObject({ outcome: 'rolled_back', error: 'AlarmRollback', rollbackLatencySeconds: 61, simulatedSeconds: 181 });
    expect(result.routing).toMatchObject({ weightsSet: [10, 0], problems: [] });
  });
});
