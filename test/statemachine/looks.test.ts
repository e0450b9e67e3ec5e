/**
 * Continuous looks and adaptive bakes on the real statemachines/canary.asl.yaml: the judges look every
 * analysis.intervalSeconds (60 s by default) during a bake; a fail rolls back at the look that sees it, a
 * pass needs the whole bake, and an inconclusive bake end bakes again for as long as the judges say they need.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LookClock } from '../../shared/rollout';
import type { SimulationEvent } from '../../sim/results';
import { parseScenario, SCENARIO_DIRECTORY } from '../../sim/scenario';
import { simulate } from '../../sim/simulate';
import type { AwsWorld } from '../../sim/world';
import { execute, lambdaWorld, request } from './helpers';

/** A parsed scenario file, edited freely by the case. */
type ScenarioDocument = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let world: AwsWorld;
let uninstall: () => void;

beforeEach(() => {
  world = lambdaWorld();
  uninstall = world.install();
});
afterEach(() => uninstall());

/** Every look's clock as AnalyzeCanary got it ($.analysis.look: null at the first look of the rollout). */
function looksSeen(): { record: (state: string, input: unknown) => void; clocks: Array<LookClock | null> } {
  const clocks: Array<LookClock | null> = [];
  return {
    clocks,
    record: (state, input) => {
      if (state === 'AnalyzeCanary') clocks.push((input as { analysis: { look: LookClock | null } }).analysis.look);
    },
  };
}

describe('continuous looks', () => {
  it('fails mid-bake at the look that sees the alarm, without waiting for the bake to end', async () => {
    const seen = looksSeen();
    const outcome = await execute(request({ preset: 'canary10-10m' }), {
      beforeTask: (state, input) => {
        seen.record(state, input);
        // The third look of a ten-look bake finds the alarm in ALARM.
        if (state === 'AnalyzeCanary' && seen.clocks.length === 3) world.cloudwatch.setAlarmState('checkout-errors', 'ALARM', 'Threshold Crossed: 2 datapoints > 1.0');
      },
    });

    expect(outcome.status).toBe('FAILED');
    expect(outcome.error).toBe('CanaryAnalysisFailed');
    expect(outcome.cause).toContain('checkout-errors');
    expect(outcome.statesEntered.filter((s) => s === 'AnalyzeCanary')).toHaveLength(3);
    expect(seen.clocks).toEqual([null, { stepIndex: 0, bakedSeconds: 60, waitSeconds: 60 }, { stepIndex: 0, bakedSeconds: 120, waitSeconds: 60 }]);
    expect(outcome.statesEntered.slice(-8)).toEqual(['AnalyzeCanary', 'IsBakeOver', 'AnnounceStepAnalyzed', 'DecideNextStep', 'RecordAnalysisFailure', 'RollBack', 'AnnounceRolledBack', 'RolledBack']);
    expect(world.lambda.alias('checkout', 'live')).toMatchObject({ functionVersion: '41', weights: {} });
  });

  it('passes only at the end of the bake: every look before it passes and looks again', async () => {
    const seen = looksSeen();
    const outcome = await execute(request({ preset: 'canary10-5m' }), { beforeTask: seen.record });

    expect(outcome.status).toBe('SUCCEEDED');
    expect(seen.clocks.map((c) => c?.bakedSeconds ?? 0)).toEqual([0, 60, 120, 180, 240]);
    expect(outcome.statesEntered.slice(6, 21)).toEqual([
      'Bake',
      'AnalyzeCanary',
      'IsBakeOver',
      'WaitForNextLook',
      'AnalyzeCanary',
      'IsBakeOver',
      'WaitForNextLook',
      'AnalyzeCanary',
      'IsBakeOver',
      'WaitForNextLook',
      'AnalyzeCanary',
      'IsBakeOver',
      'WaitForNextLook',
      'AnalyzeCanary',
      'IsBakeOver',
    ]);
    // One announcement per bake, not per look.
    expect(outcome.statesEntered.filter((s) => s === 'AnnounceStepAnalyzed')).toHaveLength(1);
    expect(outcome.output?.analysis).toMatchObject({ verdict: 'pass', action: 'promote', look: { stepIndex: 0, bakedSeconds: 300, waitSeconds: 0 } });
    expect(outcome.transitions).toBe(27);
  });

  it('counts the bake afresh at every step', async () => {
    const seen = looksSeen();
    const outcome = await execute(request({ weights: [10, 50, 100], bakeSeconds: 120 }), { beforeTask: seen.record });

    expect(outcome.status).toBe('SUCCEEDED');
    expect(seen.clocks.map((c) => (c === null ? null : [c.stepIndex, c.bakedSeconds]))).toEqual([null, [0, 60], [0, 120], [1, 60]]);
  });
});

describe('adaptive bakes', () => {
  it('without an estimate (alarms lacking data), bakes once more for all of maxExtraSeconds, looking every minute, then applies the policy', async () => {
    world.cloudwatch.setAlarmState('checkout-p99-latency', 'INSUFFICIENT_DATA', 'Insufficient Data: 0 datapoints');
    const input = request({ preset: 'canary10-5m' });
    const seen = looksSeen();

    const outcome = await execute({ ...input, analysis: { ...input.analysis, inconclusive: { maxExtraSeconds: 150, then: 'rollback' } } }, { beforeTask: seen.record });

    expect(outcome.status).toBe('FAILED');
    expect(outcome.cause).toContain('still inconclusive after 150 s of extra bake time; the policy says roll back');
    expect(outcome.statesEntered.filter((s) => s === 'BakeAgain')).toHaveLength(1);
    // 5 looks in the bake, then 60 + 60 + 30 s of extra bake.
    expect(seen.clocks.map((c) => c?.bakedSeconds ?? 0)).toEqual([0, 60, 120, 180, 240, 300, 360, 420]);
    expect(seen.clocks.at(-1)?.waitSeconds).toBe(30);
  });

  it('bakes again for as long as the statistical judge estimates, in whole minutes (the real ASL in the simulator)', async () => {
    // A healthy canary at 10 req/s: 1 canary request a second is too few after 5 minutes to show a doubling of errors.
    const document = JSON.parse(readFileSync(join(SCENARIO_DIRECTORY, 'healthy.json'), 'utf8')) as ScenarioDocument;
    document.world.traffic.requestsPerSecond = 10;
    document.world.traffic.baseline.errorPercent = 0.5;
    document.rollout.analysis = { metrics: [{ metric: 'errors', confidence: 0.99 }], inconclusive: { maxExtraSeconds: 7200, then: 'rollback' } };
    const events: SimulationEvent[] = [];

    const result = await simulate(parseScenario(document, 'adaptive-bake'), { onEvent: (e) => void events.push(e) });

    const looks = events.filter((e): e is Extract<SimulationEvent, { type: 'analyzed' }> => e.type === 'analyzed');
    const first = looks.find((l) => l.action === 'bake-again');
    expect(first?.at).toBe(300);
    const [, needed, granted] = /the judges need about (\d+) s more: baking (\d+) s more/.exec(first?.reason ?? '') ?? [];
    expect(Number(granted)).toBe(Math.ceil(Number(needed) / 60) * 60);
    // Within the extra bake the judge looks every minute; the bake ends at its length, or earlier on a pass.
    const end = looks.find((l) => l.at > 300 && l.action !== 'look-again');
    expect(end).toBeDefined();
    expect(end?.at).toBeLessThanOrEqual(300 + Number(granted));
    if (end?.verdict === 'inconclusive') expect(end.at).toBe(300 + Number(granted));
    for (const look of looks.filter((l) => l.at > 300 && l.at < (end?.at ?? 0))) expect(look.action).toBe('look-again');
    expect(result.outcome).toBe('promoted');
  });
});
