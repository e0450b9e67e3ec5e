/**
 * Which metric records coalmine publishes as a rollout runs, collected from simulated rollouts (the real
 * state machine and handlers) with a collecting sink. The EMF they become: test/handlers/metrics-emf.test.ts.
 * No client is mocked in this file: the simulator's clients are real SDK clients connected to its world.
 */
import { METRICS, type MetricRecord } from '../../shared/telemetry/records';
import { useMetricsSink } from '../../shared/telemetry/sink';
import { builtInScenario } from '../../sim/scenario';
import { simulate } from '../../sim/simulate';

async function recordsOf(scenario: string): Promise<MetricRecord[]> {
  const records: MetricRecord[] = [];
  const undo = useMetricsSink({ publish: (published) => void records.push(...published) });
  try {
    await simulate(builtInScenario(scenario));
  } finally {
    undo();
  }
  return records;
}

const named = (records: readonly MetricRecord[], metric: keyof typeof METRICS) => records.filter((r) => r.values.some((v) => v.metric === metric));

describe('metric records of simulated rollouts (the real handlers)', () => {
  it('stats-canary: each look publishes the weight and its verdict; each check its two rates as the evidence counted them; the rollback its error', async () => {
    const records = await recordsOf('stats-canary');
    const rollout = { Rollout: 'checkout', TargetType: 'lambda-alias' };
    expect(named(records, 'canaryWeight')).toEqual([{ dimensionSets: [rollout], values: [{ metric: 'canaryWeight', value: 10 }] }]);
    expect(named(records, 'verdictFail')).toEqual([{ dimensionSets: [rollout, {}], values: [{ metric: 'verdictFail', value: 1 }] }]);
    // 53 of 6,034 canary and 281 of 54,142 baseline requests failed (the look's evidence).
    const errors = named(records, 'canaryFailureRate').find((r) => r.dimensionSets[0]?.Check === 'errors');
    expect(errors?.values.map((v) => [v.metric, Number(v.value.toFixed(4))])).toEqual([
      ['canaryFailureRate', Number(((100 * 53) / 6034).toFixed(4))],
      ['baselineFailureRate', Number(((100 * 281) / 54142).toFixed(4))],
    ]);
    expect(named(records, 'rolledBack')).toEqual([{ dimensionSets: [rollout, {}, { Error: 'CanaryAnalysisFailed' }], values: [{ metric: 'rolledBack', value: 1 }] }]);
    expect(named(records, 'promoted')).toEqual([]);
  });

  it('bad-canary: the alarm rollback publishes its rollback by AlarmRollback with its latency', async () => {
    const records = await recordsOf('bad-canary');
    expect(named(records, 'rolledBack')).toEqual([
      { dimensionSets: [{ Rollout: 'checkout', TargetType: 'lambda-alias' }, {}, { Error: 'AlarmRollback' }], values: [{ metric: 'rolledBack', value: 1 }] },
    ]);
    expect(named(records, 'rollbackLatency')).toEqual([{ dimensionSets: [{}], values: [{ metric: 'rollbackLatency', value: 1000 }] }]);
  });

  it('healthy: passing looks and one promotion', async () => {
    const records = await recordsOf('healthy');
    expect(named(records, 'verdictPass').length).toBeGreaterThan(0);
    expect(named(records, 'verdictFail')).toEqual([]);
    expect(named(records, 'promoted')).toEqual([{ dimensionSets: [{ Rollout: 'checkout', TargetType: 'lambda-alias' }, {}], values: [{ metric: 'promoted', value: 1 }] }]);
    expect(named(records, 'rolledBack')).toEqual([]);
  });
});

