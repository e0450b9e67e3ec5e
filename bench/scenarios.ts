/**
 * The benchmark's scenarios and judges. Traffic as in the simulator's scenarios: a Lambda alias, Poisson
 * arrivals, 0.5 % errors on the current version, latency p50 80 ms and p99 250 ms.
 */
import { DEFAULT_MAX_EXTRA_SECONDS } from '../shared/config/request';
import { PRESETS } from '../shared/config/presets';
import type { Behaviour } from '../sim/traffic';
import type { BenchScenario, Policy } from './compare';
import { alarmJudge, anyErrorJudge, coalmineJudge, mannWhitneyJudge, type JudgeFactory, type StepShape } from './judges';

const BASELINE: Behaviour = { errorPercent: 0.5, latencyMs: { p50: 80, p99: 250 } };

/** 5 %, 25 %, 50 %, five minutes each, then promotion. */
const STEPS_5_25_50: readonly StepShape[] = [
  { weight: 5, bakeSeconds: 300 },
  { weight: 25, bakeSeconds: 300 },
  { weight: 50, bakeSeconds: 300 },
];

/** 10 %, 25 %, 50 %, ten minutes each. */
const STEPS_10_25_50: readonly StepShape[] = [
  { weight: 10, bakeSeconds: 600 },
  { weight: 25, bakeSeconds: 600 },
  { weight: 50, bakeSeconds: 600 },
];

function errorsTimes(factor: number): Behaviour {
  return { ...BASELINE, errorPercent: BASELINE.errorPercent * factor };
}

function aa(requestsPerSecond: number): BenchScenario {
  return {
    name: `A/A ${requestsPerSecond} req/s`,
    description: `identical versions at ${requestsPerSecond} req/s; 5/25/50 %, 5 min each`,
    requestsPerSecond,
    baseline: BASELINE,
    canary: BASELINE,
    changes: [],
    steps: STEPS_5_25_50,
    regression: false,
    ...(requestsPerSecond >= 1000 ? { repetitionsFactor: 0.5 } : {}),
  };
}

function regression(name: string, description: string, canary: Behaviour, options: Partial<BenchScenario> = {}): BenchScenario {
  return { name, description, requestsPerSecond: 100, baseline: BASELINE, canary, changes: [], steps: STEPS_5_25_50, regression: true, ...options };
}

/** A 99.9 % objective with the gate: the canary may burn at most 2× the budget (0.2 % errors). */
const SLO = { objective: 0.999, maxBurnRate: 2 };

function burning(times: number): Behaviour {
  return { ...BASELINE, errorPercent: times * (1 - SLO.objective) * 100 };
}

/**
 * Canary and baseline alike, so that comparing them finds nothing: only the SLO gate can tell. At 1,000 req/s,
 * because a 99.9 % gate needs about 7,600 canary requests before it may pass (docs/slo.md): 15,000 in the
 * first 5 % step here.
 */
const SLO_SCENARIOS: readonly BenchScenario[] = [
  {
    name: 'SLO: both burn 3×',
    description: 'canary and baseline both 0.3 % errors (3× the 99.9 % budget; the gate allows 2×), 1,000 req/s; 5/25/50 %, whole rollout',
    requestsPerSecond: 1000,
    baseline: burning(3),
    canary: burning(3),
    changes: [],
    steps: STEPS_5_25_50,
    regression: true,
    slo: SLO,
    repetitionsFactor: 0.5,
  },
  {
    name: 'SLO: healthy, burns 0.5×',
    description: 'canary and baseline both 0.05 % errors (half the 99.9 % budget), 1,000 req/s; 5/25/50 %: must promote',
    requestsPerSecond: 1000,
    baseline: burning(0.5),
    canary: burning(0.5),
    changes: [],
    steps: STEPS_5_25_50,
    regression: false,
    slo: SLO,
    repetitionsFactor: 0.5,
  },
];

export const SCENARIOS: readonly BenchScenario[] = [
  aa(1),
  aa(10),
  aa(100),
  aa(1000),
  regression('errors ×1.5', 'errors 0.75 % vs 0.5 %, 100 req/s; 5/25/50 %, whole rollout', errorsTimes(1.5)),
  regression('errors ×2', 'errors 1 % vs 0.5 %, 100 req/s; 5/25/50 %, whole rollout', errorsTimes(2)),
  regression('errors ×5', 'errors 2.5 % vs 0.5 %, 100 req/s; 5/25/50 %, whole rollout', errorsTimes(5)),
  regression('errors ×2 at 10 %, 10 min', 'errors 1 % vs 0.5 %, 100 req/s; 10/25/50 %, 10 min each; detected within the first step', errorsTimes(2), {
    steps: STEPS_10_25_50,
    deadlineSeconds: 600,
  }),
  regression('errors ×3 at 5 %, 5 min', 'errors 1.5 % vs 0.5 %, 100 req/s; detected within the first step (5 % for 5 min)', errorsTimes(3), { deadlineSeconds: 300 }),
  regression('errors ×5 at 5 %, 5 min', 'errors 2.5 % vs 0.5 %, 100 req/s; detected within the first step (5 % for 5 min)', errorsTimes(5), { deadlineSeconds: 300 }),
  regression('p99 latency +20 %', 'the canary 20 % slower throughout (p50 96, p99 300 ms), 100 req/s; whole rollout', {
    ...BASELINE,
    latencyMs: { p50: 96, p99: 300 },
  }),
  regression('degrades above 25 %', 'healthy up to 25 %; errors 2.5 % from 50 % on (a pool sized for the canary), 100 req/s', BASELINE, {
    changes: [{ fromWeight: 50, errorPercent: 2.5 }],
  }),
  regression('1 req/s, errors ×2', 'errors 1 % vs 0.5 % at 1 req/s: too little traffic to decide', errorsTimes(2), { requestsPerSecond: 1 }),
  regression('errors ×10 at 5 %, 1 min', 'errors 5 % vs 0.5 %, 100 req/s; detected within the first minute (5 %)', errorsTimes(10), { deadlineSeconds: 60 }),
  {
    ...aa(10),
    name: 'healthy 10 req/s, canary10-5m',
    description: 'identical versions at 10 req/s on canary10-5m (10 % for 5 min, then 100 %), with adaptive extra bakes',
    steps: [{ weight: PRESETS['canary10-5m'].weights[0], bakeSeconds: PRESETS['canary10-5m'].bakeSeconds }],
    promoteWithinSeconds: PRESETS['canary10-5m'].bakeSeconds + DEFAULT_MAX_EXTRA_SECONDS,
  },
  ...SLO_SCENARIOS,
];

/** The request's default inconclusive policy: extra bakes within DEFAULT_MAX_EXTRA_SECONDS, then roll back. */
export const POLICY: Policy = { maxExtraSeconds: DEFAULT_MAX_EXTRA_SECONDS, then: 'rollback' };

/**
 * Two checks, errors and p99 latency, sharing a 1 % false-rollback budget (α adds up over checks): 0.7 %
 * for errors, 0.3 % for latency, whose slow-request counts show a 20 % slower p99 on little α, while a
 * doubling of rare errors needs all the α it can get.
 */
export const COALMINE_METRICS = [
  { metric: 'errors', confidence: 0.993 },
  { metric: 'latency-p99', confidence: 0.997 },
];

/** The false-rollback rate of the whole coalmine configuration: what the power limit is computed at. */
export const ALPHA = COALMINE_METRICS.reduce((sum, m) => sum + (1 - m.confidence), 0);

export const COALMINE_NAME = 'coalmine';
export const ALARM_NAME = 'alarm threshold';

const COALMINE = coalmineJudge(COALMINE_NAME, { metrics: COALMINE_METRICS, ...POLICY });
// An alarm as a CodeDeploy user sets it: on the new version, at 4× the usual error rate and 2× the usual p99.
const ALARM = alarmJudge(ALARM_NAME, { errorRatePercent: 2, p99Ms: 500, evaluationPeriods: 3, datapointsToAlarm: 2 });

const NO_EXTRA_BAKES = coalmineJudge('coalmine, no extra bakes', { metrics: COALMINE_METRICS, maxExtraSeconds: 0, then: 'proceed' });

export const JUDGES: readonly JudgeFactory[] = [
  COALMINE,
  // The same judge with `inconclusive: {maxExtraSeconds: 0, then: "proceed"}`: the plan's bakes only, the others' timeline.
  NO_EXTRA_BAKES,
  ALARM,
  anyErrorJudge('any error'),
  mannWhitneyJudge('Mann-Whitney per minute', 0.98),
];

/**
 * Requests with analysis.metrics and analysis.alarms: the alarm's push rolls back gross failures at once.
 * Derived from the statistical judge's own rollouts (bench/compare.ts: withAlarms), which is exact.
 */
export const COMBINED: ReadonlyArray<{ readonly name: string; readonly metrics: string; readonly alarms: JudgeFactory }> = [
  { name: 'coalmine + alarm', metrics: COALMINE.name, alarms: ALARM },
  { name: 'coalmine, no extra bakes + alarm', metrics: NO_EXTRA_BAKES.name, alarms: ALARM },
];
