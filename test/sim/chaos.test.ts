/**
 * The chaos campaign (sim/chaos/): its generator, its checks, and a small seeded sample run through the real
 * simulator. The full campaign is `npm run chaos` (bench/chaos.ts), a benchmark, not a test.
 */
import { runCampaign } from '../../sim/chaos/campaign';
import { summarise, violationsOf } from '../../sim/chaos/checks';
import { caseSeed, chaosCase, FAULT_CLASSES } from '../../sim/chaos/generate';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseScenario, SCENARIO_DIRECTORY } from '../../sim/scenario';
import { simulate, type SimulationResult } from '../../sim/simulate';

describe('the chaos generator', () => {
  const cases = Array.from({ length: 200 }, (_, i) => chaosCase(caseSeed(1, i)));

  it('is deterministic: a seed gives the same case', () => {
    expect(chaosCase(caseSeed(1, 7))).toEqual(chaosCase(caseSeed(1, 7)));
    expect(new Set(cases.map((c) => c.seed)).size).toBe(cases.length);
  });

  it('covers both target kinds and every fault class, and every case is a valid scenario', () => {
    expect(new Set(cases.map((c) => c.target))).toEqual(new Set(['lambda-alias', 'cloudfront-kvs']));
    expect(new Set(cases.flatMap((c) => c.faultClasses))).toEqual(new Set(FAULT_CLASSES));
    for (const c of cases) expect(() => parseScenario(c.scenario, `chaos-${c.seed}`)).not.toThrow();
  });
});

describe('the chaos checks', () => {
  let stranded: SimulationResult;
  beforeAll(async () => {
    const document = JSON.parse(readFileSync(join(SCENARIO_DIRECTORY, 'console-stop.json'), 'utf8')) as { world: Record<string, unknown> };
    document.world.reconciler = { enabled: false };
    stranded = await simulate(parseScenario(document, 'stranded'));
  });

  it('a console stop without the reconciler violates the safety checks, naming the weight', () => {
    expect(violationsOf({ result: stranded }).map((v) => v.check)).toEqual(['target at 0 % or 100 %', 'safe within the hour']);
    expect(violationsOf({ result: stranded })[0]?.detail).toBe('the canary is at 20 % when the simulation stopped');
  });

  it('a crash is a violation of its own', () => {
    expect(violationsOf({ crash: 'TypeError: boom' })).toEqual([{ check: 'the simulator did not crash', detail: 'TypeError: boom' }]);
  });

  it('an outcome that disagrees with the weight, a phantom step and a missing reason are each named', () => {
    const wrong = { ...stranded, outcome: 'promoted', finalWeight: 0, timeToSafeSeconds: 0, reason: '', steps: [{ ...stranded.steps[0], weight: 30 }] } as SimulationResult;
    expect(violationsOf({ result: wrong }).map((v) => v.check)).toEqual(['outcome agrees with the weight', 'a reason is recorded', 'no phantom steps']);
  });
});

describe('a seeded sample of the campaign', () => {
  it('seed 1, 30 cases: every case ends safe, with a reason, and the summary counts every fault class', async () => {
    const records = await runCampaign({ seed: 1, cases: 30 });
    expect(records.flatMap((r) => r.violations.map((v) => `seed ${r.chaos.seed}: ${v.check}: ${v.detail}`))).toEqual([]);
    const summary = summarise(records);
    expect(summary).toMatchObject({ cases: 30, safe: 30 });
    expect(Object.keys(summary.byClass)).toEqual([...FAULT_CLASSES]);
    expect(summary.all.maxSecondsToSafe).not.toBeNull();
  });
});
