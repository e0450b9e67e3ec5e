import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EVENT_KINDS } from '../../sim/events';
import { parseScenario, SCENARIO_DIRECTORY } from '../../sim/scenario';
import { simulate, type SimulationEvent } from '../../sim/simulate';

function healthyWith(events: unknown[]) {
  const document = JSON.parse(readFileSync(join(SCENARIO_DIRECTORY, 'healthy.json'), 'utf8'));
  return parseScenario({ ...document, events }, 'healthy-with-events');
}

describe('scenario events', () => {
  it('has a schema, a description and an action for every kind', () => {
    for (const [kind, definition] of Object.entries(EVENT_KINDS)) {
      expect(definition.schema.shape.kind.value).toBe(kind);
      expect(typeof definition.describe).toBe('function');
      expect(typeof definition.apply).toBe('function');
    }
  });

  // These two are about the analysis reading a forced state: the alarm events, which would act first, are off.
  it('set-alarm-state with a hold: an alarm forced to ALARM mid-bake rolls the canary back at the analysis', async () => {
    const progress: SimulationEvent[] = [];
    const result = await simulate(
      healthyWith([{ at: 120, kind: 'set-alarm-state', alarm: 'checkout-errors', state: 'ALARM', reason: 'forced by the test', holdSeconds: 600 }]),
      { alarmEvents: false, onEvent: (e) => progress.push(e) },
    );
    expect(result).toMatchObject({ outcome: 'rolled_back', finalWeight: 0, error: 'CanaryAnalysisFailed' });
    expect(result.reason).toMatch(/checkout-errors \(ALARM: forced by the test\)/);
    expect(result.alarmTransitions).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'checkout-errors', to: 'ALARM', atSeconds: 120, reason: 'forced by the test' })]),
    );
    expect(progress).toEqual(
      expect.arrayContaining([{ type: 'scenario-event', at: 120, description: 'alarm checkout-errors set to ALARM for 10 min' }]),
    );
  });

  it('set-alarm-state without a hold lasts until the next evaluation, as after CloudWatch SetAlarmState; the look of that minute sees it', async () => {
    const result = await simulate(healthyWith([{ at: 120, kind: 'set-alarm-state', alarm: 'checkout-errors', state: 'ALARM' }]), { alarmEvents: false });
    // Without alarm events, the analysis reads the alarms at every look (a minute apart): a flapping alarm is not missed.
    expect(result).toMatchObject({ outcome: 'rolled_back', error: 'CanaryAnalysisFailed', simulatedSeconds: 120 });
    const forced = result.alarmTransitions.filter((t) => t.name === 'checkout-errors').map((t) => [t.atSeconds, t.to]);
    expect(forced).toEqual(expect.arrayContaining([[120, 'ALARM'], [180, 'OK']]));
  });

  it('set-alarm-state to ALARM is announced like any state change: with alarm events on, the alarm rollback acts a second later', async () => {
    // Between two looks (a minute apart), so that the push path, not the next look, acts.
    const result = await simulate(healthyWith([{ at: 150, kind: 'set-alarm-state', alarm: 'checkout-errors', state: 'ALARM', reason: 'forced by the test' }]));
    expect(result).toMatchObject({ outcome: 'rolled_back', error: 'AlarmRollback', simulatedSeconds: 151, rollbackLatencySeconds: 1 });
    expect(result.reason).toMatch(/^Alarm checkout-errors went to ALARM at 2030-01-07T09:02:30\.000Z: forced by the test\./);
  });

  it('set-traffic changes the request rate from its time on: at 1 req/s the alarms alone pass only once the canary served the minimum', async () => {
    const quiet = await simulate(healthyWith([{ at: 0, kind: 'set-traffic', requestsPerSecond: 1 }]));
    // A tenth of 1 request/s on the canary: the step bakes on (adaptive extra bakes) until the alarm-only minimum of 300.
    expect(quiet.canaryRequests).toBeGreaterThanOrEqual(300);
    expect(quiet.simulatedSeconds).toBeGreaterThan(3000 - 60);
    expect(quiet).toMatchObject({ outcome: 'promoted', finalWeight: 100 });
    expect(quiet.reason).toMatch(/^step 1 at 10 %: the analysis passed: 2 alarm\(s\) OK; \d+ canary requests since the first shift \(alarms alone may pass from 300 on\)/);
  });

  it('inject-fault makes later calls fail; the state machine retries them', async () => {
    const result = await simulate(healthyWith([{ at: 60, kind: 'inject-fault', operation: 'UpdateAlias', error: 'ServiceException', times: 2 }]));
    expect(result).toMatchObject({ outcome: 'promoted', faultsInjected: 2, retries: 2 });
  });
});
