/**
 * What each configured metric check reads and how it is judged: the request's `analysis.metrics` resolved
 * against the target (a Lambda alias's metrics split by ExecutedVersion, or the request's own query pairs).
 * Pure: no AWS calls.
 *
 * Every check is a comparison of two rates, judged by the conditional exact test on counts:
 * - errors:      Errors / Invocations;
 * - throttles:   Throttles / (Invocations + Throttles) (Invocations does not count throttled requests);
 * - latency-pNN: the share of requests slower than a threshold: the baseline's pNN before the rollout for the
 *                baseline, that threshold × (1 + allowedIncrease) for the canary. "The canary's pNN is at most
 *                (1 + δ)× the baseline's" is then "the canary's share above (1 + δ)·T is at most the
 *                baseline's share above T": exact when the canary is the baseline scaled, whatever T is.
 *                CloudWatch counts them per minute with the trimmed count TC(T:) (values above T) over
 *                SampleCount, which sums across minutes where a percentile does not.
 */
import { functionNameOf } from '../../config/target-facts';
import type { LambdaAliasTarget } from '../../config/targets';
import type { CountQueryConfig, MetricCheckConfig, MetricConfig, PrometheusPairConfig } from '../../config/metrics';
import { DEFAULT_SLO_CHECK, latencyPercentileOf } from '../../config/analysis-facts';
import type { SloConfig } from '../../config/slo';
import type { BurnRateCriteria, MetricCriteria } from '../statistics';

export const LAMBDA_NAMESPACE = 'AWS/Lambda';

export type CountSource =
  | { readonly kind: 'metric'; readonly metric: MetricConfig; readonly stat: string }
  | { readonly kind: 'expression'; readonly expression: string };

/** Where an arm's failures and requests come from; several sources are summed (throttles: Invocations + Throttles). */
export interface ArmSources {
  readonly failures: readonly CountSource[];
  readonly requests: readonly CountSource[];
}

interface CheckBase {
  /** The check's name as the request gives it: "errors", "latency-p99", or a query pair's name. */
  readonly name: string;
  readonly criteria: MetricCriteria;
  /** A shadow check (`dryRun`): judged and reported, never acting on the verdict. */
  readonly dryRun?: boolean;
}

export interface RateCheck extends CheckBase {
  readonly kind: 'rate';
  readonly canary: ArmSources;
  readonly baseline: ArmSources;
}

export interface LatencyCheck extends CheckBase {
  readonly kind: 'latency';
  readonly percentile: number;
  /** The canary's threshold is the baseline's × (1 + allowedIncrease). */
  readonly allowedIncrease: number;
  readonly canary: MetricConfig;
  readonly baseline: MetricConfig;
  /** Where the threshold is read: all traffic before the rollout (the alias; a pair's baseline metric). */
  readonly reference: MetricConfig;
}

/** A Prometheus pair of count queries: failed (or, for latency, slow) and all requests per arm, in PromQL. */
export interface PromCountCheck extends CheckBase {
  readonly kind: 'prom-counts';
  readonly counts: 'errors' | 'slow';
  readonly canary: { readonly failures: string; readonly requests: string };
  readonly baseline: { readonly failures: string; readonly requests: string };
}

/** A Prometheus latency pair of histograms: the threshold from the baseline's buckets, the slow share per arm. */
export interface PromHistogramCheck extends CheckBase {
  readonly kind: 'prom-histogram';
  readonly percentile: number;
  readonly allowedIncrease: number;
  /** `_bucket` series with label matchers. */
  readonly canary: string;
  readonly baseline: string;
}

export type CloudWatchCheck = RateCheck | LatencyCheck;
export type PrometheusCheck = PromCountCheck | PromHistogramCheck;
export type ResolvedCheck = CloudWatchCheck | PrometheusCheck;

/** Whether a check's failures are requests over a latency threshold (its evidence says slow-requests). */
export function countsSlowRequests(check: ResolvedCheck): boolean {
  return check.kind === 'latency' || check.kind === 'prom-histogram' || (check.kind === 'prom-counts' && check.counts === 'slow');
}

function prometheusCheck(check: PrometheusPairConfig): PrometheusCheck {
  if (check.kind === 'errors') {
    const arm = (a: { errors: string; requests: string }) => ({ failures: a.errors, requests: a.requests });
    return { kind: 'prom-counts', counts: 'errors', name: check.name, criteria: criteriaOf(check.name, check, check.allowedIncrease), canary: arm(check.canary), baseline: arm(check.baseline) };
  }
  const { canary, baseline } = check;
  if ('buckets' in canary && 'buckets' in baseline) {
    return {
      kind: 'prom-histogram',
      name: check.name,
      percentile: check.percentile,
      allowedIncrease: check.allowedIncrease,
      // As for CloudWatch latency pairs: the allowed increase is in the thresholds.
      criteria: criteriaOf(check.name, check, 0),
      canary: canary.buckets,
      baseline: baseline.buckets,
    };
  }
  if ('buckets' in canary || 'buckets' in baseline) throw new RangeError(`${check.name}: canary and baseline give their latency the same way`);
  return {
    kind: 'prom-counts',
    counts: 'slow',
    name: check.name,
    criteria: criteriaOf(check.name, check, check.allowedIncrease),
    canary: { failures: canary.slow, requests: canary.requests },
    baseline: { failures: baseline.slow, requests: baseline.requests },
  };
}

export interface CheckTarget {
  readonly target: { readonly type: string } | LambdaAliasTarget;
  /** The version the baseline serves (a Lambda alias's current version). */
  readonly baselineVersion?: string;
  /**
   * After the promotion (shared/post-promotion.ts): every invocation through the alias is the new version's,
   * and before the rollout every one was the previous version's, so both arms read the alias as a whole,
   * each in its own window (windows.ts, beforeRolloutWindow).
   */
  readonly wholeAlias?: boolean;
}

/** Lambda's dimensions for invocations through the alias: all of them, or those one version ran. */
export function lambdaDimensions(target: LambdaAliasTarget, version: string | null): Record<string, string> {
  const name = functionNameOf(target.functionName);
  return { FunctionName: name, Resource: `${name}:${target.alias}`, ...(version === null ? {} : { ExecutedVersion: version }) };
}

function lambdaMetric(target: LambdaAliasTarget, metricName: string, version: string | null): MetricConfig {
  return { namespace: LAMBDA_NAMESPACE, metricName, dimensions: lambdaDimensions(target, version) };
}

const sum = (metric: MetricConfig): CountSource => ({ kind: 'metric', metric, stat: 'Sum' });

function countSource(query: CountQueryConfig): CountSource {
  return 'expression' in query
    ? { kind: 'expression', expression: query.expression }
    : { kind: 'metric', metric: { namespace: query.namespace, metricName: query.metricName, dimensions: query.dimensions }, stat: query.stat };
}

function criteriaOf(name: string, check: MetricCheckConfig, allowedDegradation: number): MetricCriteria {
  return {
    name,
    direction: 'increase-is-bad',
    allowedDegradation,
    ...(check.detectableIncrease === undefined ? {} : { detectableDegradation: check.detectableIncrease }),
    confidence: check.confidence,
    power: check.power,
    critical: check.critical,
  };
}

/** Resolves the request's checks (shadow checks marked `dryRun`); throws RangeError for a built-in check on a target that is not a Lambda alias. */
export function resolveChecks(checks: readonly MetricCheckConfig[], where: CheckTarget): ResolvedCheck[] {
  return checks.map((check): ResolvedCheck => {
    if ('metric' in check) {
      const target = where.target;
      if (target.type !== 'lambda-alias' || where.baselineVersion === undefined) {
        throw new RangeError(`the built-in check "${check.metric}" needs a lambda-alias target and its baseline version`);
      }
      const alias = target as LambdaAliasTarget;
      const whole = where.wholeAlias === true;
      const canary = (metricName: string) => lambdaMetric(alias, metricName, whole ? null : alias.version);
      const baseline = (metricName: string) => lambdaMetric(alias, metricName, whole ? null : (where.baselineVersion as string));
      if (check.metric === 'errors') {
        return {
          kind: 'rate',
          name: 'errors',
          criteria: criteriaOf('errors', check, check.allowedIncrease),
          canary: { failures: [sum(canary('Errors'))], requests: [sum(canary('Invocations'))] },
          baseline: { failures: [sum(baseline('Errors'))], requests: [sum(baseline('Invocations'))] },
        };
      }
      if (check.metric === 'throttles') {
        return {
          kind: 'rate',
          name: 'throttles',
          criteria: criteriaOf('throttles', check, check.allowedIncrease),
          canary: { failures: [sum(canary('Throttles'))], requests: [sum(canary('Invocations')), sum(canary('Throttles'))] },
          baseline: { failures: [sum(baseline('Throttles'))], requests: [sum(baseline('Invocations')), sum(baseline('Throttles'))] },
        };
      }
      const percentile = latencyPercentileOf(check.metric);
      if (percentile === undefined) throw new RangeError(`unknown built-in check "${check.metric}"`);
      return {
        kind: 'latency',
        name: check.metric,
        percentile,
        allowedIncrease: check.allowedIncrease,
        // The allowed increase is in the thresholds; the test compares the two shares as equals.
        criteria: criteriaOf(check.metric, check, 0),
        canary: canary('Duration'),
        baseline: baseline('Duration'),
        reference: lambdaMetric(alias, 'Duration', null),
      };
    }
    if ('source' in check) return prometheusCheck(check);
    if (check.kind === 'errors') {
      return {
        kind: 'rate',
        name: check.name,
        criteria: criteriaOf(check.name, check, check.allowedIncrease),
        canary: { failures: [countSource(check.canary.errors)], requests: [countSource(check.canary.requests)] },
        baseline: { failures: [countSource(check.baseline.errors)], requests: [countSource(check.baseline.requests)] },
      };
    }
    return {
      kind: 'latency',
      name: check.name,
      percentile: check.percentile,
      allowedIncrease: check.allowedIncrease,
      criteria: criteriaOf(check.name, check, 0),
      canary: check.canary,
      baseline: check.baseline,
      reference: check.baseline,
    };
  }).map((resolved, i) => (checks[i]?.dryRun === true ? { ...resolved, dryRun: true } : resolved));
}

/** analysis.slo as the SLO gate judges it: its criteria, and the errors check whose canary counts it reads. */
export function resolveSlo(slo: SloConfig): { readonly criteria: BurnRateCriteria; readonly check: string } {
  return {
    criteria: {
      name: `SLO ${Number((100 * slo.objective).toPrecision(6))} %`,
      objective: slo.objective,
      maxBurnRate: slo.maxBurnRate,
      ...(slo.detectableBurnRate === undefined ? {} : { detectableBurnRate: slo.detectableBurnRate }),
      confidence: slo.confidence,
      power: slo.power,
    },
    check: slo.check ?? DEFAULT_SLO_CHECK,
  };
}
