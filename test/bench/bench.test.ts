/**
 * The benchmark at CI speed: every scenario and judge with a few rollouts. Checks the shape of what
 * `npm run bench` writes, and the properties that hold even on few rollouts; no timing assertions.
 */
import { formatResult, runBenchmark, type BenchResult } from '../../bench/run';

jest.setTimeout(300_000);

let result: BenchResult;
beforeAll(async () => {
  result = await runBenchmark({ repetitions: 3, seed: 11, edge: false, workers: 1 });
});

const errorsServed = (judge: string) =>
  result.scenarios.filter((s) => s.regression).reduce((sum, s) => sum + (s.judges[judge]?.meanCanaryErrorsServed ?? Infinity), 0);

describe('npm run bench, few repetitions', () => {
  it('reports every judge on every scenario, with rates in [0, 1] and a power limit beside every detection figure', () => {
    expect(result.judges).toEqual([
      'coalmine',
      'coalmine, no extra bakes',
      'alarm threshold',
      'any error',
      'Mann-Whitney per minute',
      'coalmine + alarm',
      'coalmine, no extra bakes + alarm',
    ]);
    expect(result.scenarios.length).toBeGreaterThanOrEqual(13);
    // A/A at 1 to 1,000 req/s, and the healthy canary at 10 req/s on canary10-5m.
    expect(result.scenarios.filter((s) => !s.regression && s.slo === null).map((s) => s.requestsPerSecond)).toEqual([1, 10, 100, 1000, 10]);
    expect(result.scenarios.filter((s) => s.slo !== null).map((s) => [s.scenario, s.regression])).toEqual([
      ['SLO: both burn 3×', true],
      ['SLO: healthy, burns 0.5×', false],
    ]);
    for (const scenario of result.scenarios) {
      expect(Object.keys(scenario.judges)).toEqual(result.judges);
      if (scenario.regression) expect(scenario.powerLimit).toEqual(expect.any(Number));
      for (const figures of Object.values(scenario.judges)) {
        for (const rate of [figures.rollbackRate, figures.inconclusiveRate, figures.promotedRate, figures.detectionRate ?? 0]) {
          expect(rate).toBeGreaterThanOrEqual(0);
          expect(rate).toBeLessThanOrEqual(1);
        }
        expect(figures.meanCanaryErrorsServed).toBeGreaterThanOrEqual(0);
        expect(figures.detectionRate === null).toBe(!scenario.regression);
      }
    }
    // What is written to bench/results/latest.json, and printed.
    expect(JSON.parse(JSON.stringify(result))).toEqual(result);
    const text = formatResult(result);
    expect(text).toContain('False rollbacks on A/A');
    expect(text).toContain('power limit');
    expect(text).toContain('Canary errors served');
    expect(text).toContain('SLO gate (analysis.slo)');
    expect(text).toContain('roll back: ≥ 0.9 × limit');
    expect(text).toContain('Targets (issue 14)');
  });

  it('prints each target of issue 14 beside its measurement, the state transitions of canary10-5m among them', () => {
    expect(result.targets.length).toBeGreaterThan(20);
    for (const row of result.targets) expect(row).toEqual({ target: expect.any(String), measured: expect.any(String), met: expect.any(Boolean) });
    expect(result.targets.find((t) => t.target.startsWith('canary10-5m: state transitions'))).toEqual({ target: 'canary10-5m: state transitions ≤ 30 (coalmine plan)', measured: '27 nominal', met: true });
    const healthy = result.scenarios.find((s) => s.scenario === 'healthy 10 req/s, canary10-5m');
    expect(healthy?.judges.coalmine?.promotedInTimeRate).toEqual(expect.any(Number));
    expect(result.scenarios.find((s) => s.scenario === 'errors ×10 at 5 %, 1 min')?.deadlineSeconds).toBe(60);
  });

  it('drives coalmine as the state machine does: a look a minute, so a gross regression is caught within minutes', () => {
    const x10 = result.scenarios.find((s) => s.scenario === 'errors ×10 at 5 %, 1 min');
    expect(x10?.judges.coalmine?.medianSecondsToDetect).toBeLessThanOrEqual(120);
    // Judges that look once per step cannot detect before the first step's five minutes are over.
    expect(x10?.judges['Mann-Whitney per minute']?.medianSecondsToDetect).toBe(300);
  });

  it('the SLO gate rolls back canaries that burn the budget as fast as their baseline, which the judges comparing the two do not see', () => {
    const burning = result.scenarios.find((s) => s.scenario === 'SLO: both burn 3×');
    expect(burning?.judges.coalmine?.rollbackRate).toBe(1);
    expect(burning?.judges['alarm threshold']?.rollbackRate).toBe(0);
  });

  it('the statistical judge serves no more canary errors than the judges that roll back healthy canaries no more often', () => {
    const aa100 = result.scenarios.find((s) => !s.regression && s.requestsPerSecond === 100);
    const ours = aa100?.judges.coalmine?.rollbackRate ?? 1;
    const others = result.judges.filter((j) => !j.startsWith('coalmine') && (aa100?.judges[j]?.rollbackRate ?? 0) <= ours);
    expect(others).toContain('alarm threshold');
    for (const judge of others) expect(errorsServed('coalmine')).toBeLessThanOrEqual(errorsServed(judge));
  });

  it('with alarms added on the same timeline, the statistical judge serves no more canary errors than the alarms alone', () => {
    for (const scenario of result.scenarios) {
      const both = scenario.judges['coalmine, no extra bakes + alarm']?.meanCanaryErrorsServed ?? Infinity;
      expect(both).toBeLessThanOrEqual(scenario.judges['alarm threshold']?.meanCanaryErrorsServed ?? 0);
    }
  });

  it('at 1 req/s the statistical judge never passes: it stays inconclusive and the policy decides', () => {
    for (const scenario of result.scenarios.filter((s) => s.requestsPerSecond === 1)) {
      expect(scenario.judges.coalmine).toMatchObject({ promotedRate: 0, inconclusiveRate: 1 });
    }
  });
});
