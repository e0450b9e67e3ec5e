/**
 * The judges the benchmark compares, each seeing the same minutes of the same rollout:
 *
 * - `coalmine`: the real metrics judge (shared/judges/metrics: windows per split, queries, counts, alpha
 *   spending through its memory, judgeMetric, combineVerdicts) with a reader that answers its
 *   GetMetricData queries from the synthetic minutes instead of CloudWatch. It looks every
 *   analysis.intervalSeconds during each bake and the rollout goes where decideNextAction says (the
 *   state machine's own table): a fail at any look, a pass once the bake is over, extra bakes as long as
 *   the judge estimates it needs within maxExtraSeconds, then the request's policy.
 * - `alarm threshold`: what CodeDeploy does: CloudWatch alarms on the new version (error rate, p99), evaluated
 *   every minute by the simulator's own alarm code (sim/world/cloudwatch.ts); ALARM at any time rolls back.
 * - `any error`: aws-samples/aws-lambda-deploy's health check: any error of the new version in the step's
 *   window rolls back at the step's end.
 * - `Mann-Whitney per minute`: Kayenta's approach: per metric (error rate, p99), the step's per-minute points of
 *   canary against baseline, one-sided Mann-Whitney at 98 % confidence (shared/judges/statistics/ranks.ts);
 *   a failing metric fails the step; no points is no evidence, which passes.
 */
import type { MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import { parseRolloutRequest, type RolloutRequest } from '../shared/config/request';
import { MetricsJudge, formatThreshold, type SeriesById } from '../shared/judges/metrics';
import { secondsNeededOf } from '../shared/judges/estimate';
import { mannWhitney } from '../shared/judges/statistics/ranks';
import { planRollout } from '../shared/plan';
import type { Progress, Rollout, Verdict } from '../shared/rollout';
import { CloudWatchWorld } from '../sim/world/cloudwatch';
import type { ArmMinute, MinuteTraffic } from './minute-traffic';

export const FUNCTION_NAME = 'checkout';
export const ALIAS = 'live';
export const BASELINE_VERSION = '41';
export const CANARY_VERSION = '42';
export const MINUTE_MS = 60_000;

/** A served minute of the rollout, at its start time. */
export interface LoggedMinute {
  readonly atMs: number;
  readonly traffic: MinuteTraffic;
}

/** What a judge sees when it looks: at a step's end, or (a deployed coalmine) every interval. */
export interface LookAt {
  readonly progress: Progress;
  readonly nowMs: number;
  /** The minutes of this step so far (extra bakes included). */
  readonly stepMinutes: readonly MinuteTraffic[];
  /** The look clock's seconds baked, as the state machine counts them. */
  readonly bakedSeconds: number;
}

/** A look's finding, and the judge's estimate of the time it still needs when inconclusive. */
export interface BenchLook {
  readonly verdict: Verdict;
  readonly secondsNeeded?: number;
}

export interface RolloutView {
  readonly startMs: number;
  /** Minutes served so far, oldest first. */
  readonly minutes: readonly LoggedMinute[];
  /** Per-minute p99 of all traffic in the hour before the rollout: what the latency threshold is read from. */
  readonly reference: ReadonlyMap<number, number>;
  /** Latency thresholds the slow counts were drawn against. */
  readonly thresholds: { readonly baseline: number; readonly canary: number };
}

export interface BenchJudge {
  readonly name: string;
  /** Called every minute after it is served; "rollback" stops the rollout at that minute's end. */
  onMinute?(minute: LoggedMinute): 'rollback' | undefined;
  look(at: LookAt): Promise<BenchLook>;
}

export interface JudgeFactory {
  readonly name: string;
  /**
   * The request and plan a deployed coalmine would run: the rollout then looks every interval and decides
   * as the state machine does. Without it, the judge looks once at each step's end; a pass or an
   * inconclusive look moves on, a fail rolls back. `slo`: the scenario's analysis.slo, for judges that take one.
   */
  deployed?(steps: readonly StepShape[], slo?: BenchSlo): Pick<Rollout, 'request' | 'plan'>;
  create(view: RolloutView, steps: readonly StepShape[], slo?: BenchSlo): BenchJudge;
}

/** analysis.slo of a scenario's request. */
export interface BenchSlo {
  readonly objective: number;
  readonly maxBurnRate: number;
}

export interface StepShape {
  readonly weight: number;
  readonly bakeSeconds: number;
}

// ---- coalmine: the real metrics judge over a synthetic CloudWatch ----

export interface CoalmineOptions {
  /** analysis.metrics of the request. */
  readonly metrics: ReadonlyArray<Record<string, unknown>>;
  /** analysis.inconclusive of the request. */
  readonly maxExtraSeconds: number;
  readonly then: 'rollback' | 'proceed';
}

/** The request a rollout of these steps would send; its plan is the planner's. */
export function benchRequest(steps: readonly StepShape[], options: CoalmineOptions, slo?: BenchSlo): RolloutRequest {
  const bakes = new Set(steps.map((s) => s.bakeSeconds));
  if (bakes.size !== 1) throw new RangeError('a rollout request has one bakeSeconds for every step');
  return parseRolloutRequest({
    target: { type: 'lambda-alias', functionName: FUNCTION_NAME, alias: ALIAS, version: CANARY_VERSION },
    strategy: { weights: [...steps.map((s) => s.weight), 100], bakeSeconds: steps[0]?.bakeSeconds },
    analysis: { metrics: options.metrics, inconclusive: { maxExtraSeconds: options.maxExtraSeconds, then: options.then }, ...(slo === undefined ? {} : { slo }) },
  });
}

/** The value a MetricStat query reads from one version's minute, or undefined where CloudWatch has no datapoint. */
function armValue(arm: ArmMinute, metricName: string, stat: string, threshold: number): number | undefined {
  if (arm.requests === 0) return undefined;
  if (metricName === 'Invocations' && stat === 'Sum') return arm.requests;
  if (metricName === 'Errors' && stat === 'Sum') return arm.errors;
  if (metricName === 'Throttles') return undefined;
  if (metricName === 'Duration' && stat === 'SampleCount') return arm.requests;
  if (metricName === 'Duration' && stat.startsWith('TC(')) {
    if (stat !== `TC(${formatThreshold(threshold)}:)`) throw new Error(`the judge asked for ${stat}; the traffic counted requests over ${threshold}`);
    return arm.slow;
  }
  if (metricName === 'Duration' && stat === 'p99') return arm.p99;
  throw new Error(`the benchmark's CloudWatch cannot answer ${metricName} ${stat}`);
}

/** GetMetricData over the synthetic minutes: Lambda's metrics by version, and the alias's p99 before the rollout. */
export function syntheticReader(view: RolloutView) {
  return async (queries: readonly MetricDataQuery[], startMs: number, endMs: number): Promise<SeriesById> => {
    const series = new Map<string, Map<number, number>>();
    for (const query of queries) {
      const values = new Map<number, number>();
      series.set(query.Id as string, values);
      const stat = query.MetricStat;
      const dimensions = Object.fromEntries((stat?.Metric?.Dimensions ?? []).map((d) => [d.Name, d.Value]));
      const metricName = stat?.Metric?.MetricName ?? '';
      const statistic = stat?.Stat ?? '';
      const version = dimensions.ExecutedVersion;
      if (version === undefined) {
        // The alias's own series: only its p99 before the rollout is modelled (the latency threshold's source).
        for (const [at, p99] of view.reference) if (at >= startMs && at < endMs) values.set(at, p99);
        continue;
      }
      const arm = version === CANARY_VERSION ? 'canary' : 'baseline';
      for (const minute of view.minutes) {
        if (minute.atMs < startMs || minute.atMs >= endMs) continue;
        const value = armValue(minute.traffic[arm], metricName, statistic, view.thresholds[arm]);
        if (value !== undefined) values.set(minute.atMs, value);
      }
    }
    return series;
  };
}

export function coalmineJudge(name: string, options: CoalmineOptions): JudgeFactory {
  const deployed = (steps: readonly StepShape[], slo?: BenchSlo) => {
    const request = benchRequest(steps, options, slo);
    return { request, plan: planRollout(request, { observable: true }) };
  };
  return {
    name,
    deployed,
    create(view, steps, slo) {
      const { request, plan } = deployed(steps, slo);
      const judge = new MetricsJudge(request.analysis, syntheticReader(view));
      let memory: unknown;
      return {
        name,
        async look({ progress, nowMs, bakedSeconds }) {
          const shiftedAt = progress.shiftedAt ?? new Date(view.startMs).toISOString();
          const result = await judge.measure({
            request,
            baseline: { version: BASELINE_VERSION },
            plan,
            startedAt: new Date(view.startMs).toISOString(),
            progress,
            window: { start: new Date(shiftedAt), end: new Date(nowMs) },
            bakedSeconds,
            memory,
          });
          // Through JSON, as the execution state carries it.
          memory = JSON.parse(JSON.stringify(result.memory ?? null)) as unknown;
          const secondsNeeded = secondsNeededOf([result]);
          return { verdict: result.verdict, ...(secondsNeeded === undefined ? {} : { secondsNeeded }) };
        },
      };
    },
  };
}

// ---- CodeDeploy: alarms on the new version, evaluated every minute ----

export interface AlarmOptions {
  /** Error rate in percent above which a minute breaches. */
  readonly errorRatePercent: number;
  /** p99 in ms above which a minute breaches. */
  readonly p99Ms: number;
  readonly evaluationPeriods: number;
  readonly datapointsToAlarm: number;
}

export function alarmJudge(name: string, options: AlarmOptions): JudgeFactory {
  return {
    name,
    create() {
      let nowMs = 0;
      const cloudwatch = new CloudWatchWorld(() => new Date(nowMs));
      const dimensions = { FunctionName: FUNCTION_NAME, Resource: `${FUNCTION_NAME}:${ALIAS}`, ExecutedVersion: CANARY_VERSION };
      const metric = (metricName: string) => ({ namespace: 'AWS/Lambda', metricName, dimensions });
      const common = { periodSeconds: 60, evaluationPeriods: options.evaluationPeriods, datapointsToAlarm: options.datapointsToAlarm, comparison: 'GreaterThanThreshold' as const, treatMissingData: 'missing' as const };
      cloudwatch.defineMetricAlarm({
        name: 'canary-error-rate',
        query: { kind: 'percent', numerator: { metric: metric('Errors'), statistic: 'Sum' }, denominator: { metric: metric('Invocations'), statistic: 'Sum' } },
        threshold: options.errorRatePercent,
        ...common,
      });
      cloudwatch.defineMetricAlarm({ name: 'canary-p99', query: { kind: 'metric', stat: { metric: metric('Duration'), statistic: 'p99' } }, threshold: options.p99Ms, ...common });
      return {
        name,
        onMinute({ atMs, traffic }) {
          const arm = traffic.canary;
          if (arm.requests > 0) {
            const n = arm.requests;
            cloudwatch.metrics.record(metric('Invocations'), atMs, { count: n, sum: n, min: 1, max: 1 });
            cloudwatch.metrics.record(metric('Errors'), atMs, { count: n, sum: arm.errors, min: 0, max: arm.errors > 0 ? 1 : 0 });
            // The minute's p99 is what the alarm reads: one histogram bucket holding it.
            const p99 = arm.p99 as number;
            cloudwatch.metrics.record(metric('Duration'), atMs, { count: n, sum: n * p99, min: p99, max: p99, histogram: new Map([[p99, n]]) });
          }
          nowMs = atMs + MINUTE_MS;
          cloudwatch.evaluateAlarms(nowMs);
          return cloudwatch.alarmState('canary-error-rate') === 'ALARM' || cloudwatch.alarmState('canary-p99') === 'ALARM' ? 'rollback' : undefined;
        },
        // CodeDeploy moves on when no alarm fired during the interval.
        look: async () => ({ verdict: 'pass' }),
      };
    },
  };
}

// ---- aws-lambda-deploy: Errors > 0 on the new version ----

export function anyErrorJudge(name: string): JudgeFactory {
  return {
    name,
    create() {
      return {
        name,
        look: async ({ stepMinutes }) => ({ verdict: stepMinutes.some((m) => m.canary.errors > 0) ? 'fail' : 'pass' }),
      };
    },
  };
}

// ---- Kayenta: Mann-Whitney on per-minute points ----

export function mannWhitneyJudge(name: string, confidence: number): JudgeFactory {
  return {
    name,
    create() {
      return {
        name,
        async look({ stepMinutes }) {
          const points = (read: (m: MinuteTraffic, arm: 'canary' | 'baseline') => number | undefined) => ({
            canary: stepMinutes.map((m) => read(m, 'canary')).filter((v): v is number => v !== undefined),
            baseline: stepMinutes.map((m) => read(m, 'baseline')).filter((v): v is number => v !== undefined),
          });
          const errorRate = points((m, arm) => (m[arm].requests > 0 ? m[arm].errors / m[arm].requests : undefined));
          const p99 = points((m, arm) => m[arm].p99);
          for (const metric of [errorRate, p99]) {
            if (metric.canary.length === 0 || metric.baseline.length === 0) continue;
            const test = mannWhitney({ canary: metric.canary, baseline: metric.baseline, direction: 'increase-is-bad' });
            if (test.pValue <= 1 - confidence) return { verdict: 'fail' };
          }
          return { verdict: 'pass' };
        },
      };
    },
  };
}
