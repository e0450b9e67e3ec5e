/**
 * A seeded rollout for property tests: steady traffic split by weight, binomial errors, a judge look every
 * `lookSeconds`, counts kept per step (one stratum per traffic split) and cumulative over the rollout.
 */
import { createRandom } from '../../../sim/random';
import { plannedInformation, type PlannedStep } from '../../../shared/judges/statistics/sample-size';
import type { SequentialLook } from '../../../shared/judges/statistics/sequential';
import { judgeMetric, type MetricCriteria, type MetricJudgement } from '../../../shared/judges/statistics/verdict';
import type { TwoArmCounts } from '../../../shared/judges/statistics/proportions';

export interface RolloutScenario {
  readonly seed: number;
  readonly requestsPerSecond: number;
  readonly baselineRate: number;
  /** Canary error rate / baseline error rate. */
  readonly ratio: number;
  readonly steps: readonly PlannedStep[];
  readonly lookSeconds: number;
  readonly criteria: MetricCriteria;
  /** Stop after this many seconds (default: the whole plan). */
  readonly horizonSeconds?: number;
}

export interface RolloutOutcome {
  /** Seconds from the start when the judge failed the canary; undefined if it never did. */
  readonly failedAtSeconds?: number;
  readonly judgements: readonly MetricJudgement[];
}

export function simulateRollout(scenario: RolloutScenario): RolloutOutcome {
  const random = createRandom(scenario.seed);
  const planned = plannedInformation(scenario.steps, scenario.requestsPerSecond);
  const horizon = scenario.horizonSeconds ?? Infinity;
  const windows: TwoArmCounts[] = [];
  const looks: SequentialLook[] = [];
  const judgements: MetricJudgement[] = [];
  let elapsed = 0;
  for (const step of scenario.steps) {
    const window = { canary: { successes: 0, failures: 0 }, baseline: { successes: 0, failures: 0 } };
    windows.push(window);
    for (let t = 0; t < step.durationSeconds && elapsed < horizon; ) {
      const seconds = Math.min(scenario.lookSeconds, step.durationSeconds - t);
      const requests = Math.round(scenario.requestsPerSecond * seconds);
      const canary = Math.round(requests * step.canaryWeight);
      const canaryFailures = random.binomial(canary, Math.min(1, scenario.baselineRate * scenario.ratio));
      const baselineFailures = random.binomial(requests - canary, scenario.baselineRate);
      window.canary.failures += canaryFailures;
      window.canary.successes += canary - canaryFailures;
      window.baseline.failures += baselineFailures;
      window.baseline.successes += requests - canary - baselineFailures;
      t += seconds;
      elapsed += seconds;
      const judgement = judgeMetric({
        criteria: scenario.criteria,
        data: { kind: 'errors', counts: windows.map((w) => ({ canary: { ...w.canary }, baseline: { ...w.baseline } })) },
        look: {
          plannedInformation: planned,
          previousLooks: looks,
          canaryRatePerSecond: scenario.requestsPerSecond * step.canaryWeight,
          canaryWeight: step.canaryWeight,
        },
      });
      judgements.push(judgement);
      looks.push(judgement.look);
      if (judgement.verdict === 'fail') return { failedAtSeconds: elapsed, judgements };
    }
  }
  return { judgements };
}
