/**
 * The per-minute canary and baseline series a report charts, and how GetMetricData's answer becomes them.
 * Pure: the queries are built here and folded here; read.ts makes the call.
 *
 * One chart per CloudWatch check of the request: a rate check as failures / requests in percent, a latency
 * check as the checked percentile of each arm. A Lambda alias target also gets Lambda's own errors and p99
 * Duration split by ExecutedVersion when the request does not check them, so every alias rollout has its
 * canary against its baseline on the page. Prometheus checks are judged from Prometheus, which a report
 * does not query; their looks still show with their evidence.
 */
import type { MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import type { LambdaAliasTarget } from '../config/targets';
import { LAMBDA_NAMESPACE, lambdaDimensions, resolveChecks, type CountSource, type ResolvedCheck } from '../judges/metrics/checks';
import { QueryCollector, type SeriesById } from '../judges/metrics/queries';
import type { Rollout } from '../rollout';

export type Arm = 'canary' | 'baseline';

/** An arm's value per minute: a ratio of summed counts in percent, or one statistic as it is. */
type ArmQuery = { readonly kind: 'ratio'; readonly failures: readonly string[]; readonly requests: readonly string[] } | { readonly kind: 'stat'; readonly id: string };

export interface ChartSpec {
  readonly title: string;
  readonly unit: '%' | 'ms' | '';
  readonly arms: Readonly<Record<Arm, ArmQuery>>;
}

export interface ChartQueries {
  readonly charts: readonly ChartSpec[];
  readonly queries: readonly MetricDataQuery[];
  /** Checks a report cannot chart (Prometheus), by name. */
  readonly notCharted: readonly string[];
}

export interface SeriesPoint {
  readonly atMs: number;
  readonly value: number;
}

export interface ArmTotals {
  readonly failures: number;
  readonly requests: number;
}

export interface Chart {
  readonly title: string;
  readonly unit: ChartSpec['unit'];
  readonly canary: readonly SeriesPoint[];
  readonly baseline: readonly SeriesPoint[];
  /** For a rate: failures and requests of each arm summed over the rollout (not the lead before it). */
  readonly totals?: Readonly<Record<Arm, ArmTotals>>;
}

const PERIOD_SECONDS = 60;

function checksOf(rollout: Rollout): ResolvedCheck[] {
  const baselineVersion = rollout.baseline.version === undefined ? undefined : String(rollout.baseline.version);
  try {
    return resolveChecks(rollout.request.analysis.metrics, { target: rollout.request.target, baselineVersion });
  } catch {
    // A request Preflight planned resolves; one that no longer does is charted without its checks.
    return [];
  }
}

/** The charts of a rollout and the GetMetricData queries (one-minute periods) that feed them. */
export function chartQueries(rollout: Rollout): ChartQueries {
  const collector = new QueryCollector(PERIOD_SECONDS);
  const charts: ChartSpec[] = [];
  const notCharted: string[] = [];
  const add = (source: CountSource, label: string) => collector.add(source, label);
  const checks = checksOf(rollout);
  for (const check of checks) {
    if (check.kind === 'rate') {
      const arm = (who: Arm): ArmQuery => ({
        kind: 'ratio',
        failures: check[who].failures.map((s) => add(s, `${check.name} ${who} failures`)),
        requests: check[who].requests.map((s) => add(s, `${check.name} ${who} requests`)),
      });
      charts.push({ title: `${check.name}: failures per request`, unit: '%', arms: { canary: arm('canary'), baseline: arm('baseline') } });
    } else if (check.kind === 'latency') {
      const stat = `p${check.percentile}`;
      const arm = (who: Arm): ArmQuery => ({ kind: 'stat', id: add({ kind: 'metric', metric: check[who], stat }, `${check.name} ${who} ${stat}`) });
      charts.push({ title: `${check.name}: ${stat} latency`, unit: 'ms', arms: { canary: arm('canary'), baseline: arm('baseline') } });
    } else {
      notCharted.push(check.name);
    }
  }
  const target = rollout.request.target;
  if (target.type === 'lambda-alias' && rollout.baseline.version !== undefined) {
    const alias = target as LambdaAliasTarget;
    const metric = (metricName: string, who: Arm) => ({
      namespace: LAMBDA_NAMESPACE,
      metricName,
      dimensions: lambdaDimensions(alias, who === 'canary' ? alias.version : String(rollout.baseline.version)),
    });
    if (!checks.some((c) => c.name === 'errors')) {
      const arm = (who: Arm): ArmQuery => ({
        kind: 'ratio',
        failures: [add({ kind: 'metric', metric: metric('Errors', who), stat: 'Sum' }, `errors ${who} failures`)],
        requests: [add({ kind: 'metric', metric: metric('Invocations', who), stat: 'Sum' }, `errors ${who} requests`)],
      });
      charts.push({ title: 'Lambda errors per invocation', unit: '%', arms: { canary: arm('canary'), baseline: arm('baseline') } });
    }
    if (!checks.some((c) => c.kind === 'latency')) {
      const arm = (who: Arm): ArmQuery => ({ kind: 'stat', id: add({ kind: 'metric', metric: metric('Duration', who), stat: 'p99' }, `Duration ${who} p99`) });
      charts.push({ title: 'Lambda p99 duration', unit: 'ms', arms: { canary: arm('canary'), baseline: arm('baseline') } });
    }
  }
  return { charts, queries: collector.queries, notCharted };
}

function sumAt(series: SeriesById, ids: readonly string[], atMs: number): number | undefined {
  let total: number | undefined;
  for (const id of ids) {
    const value = series.get(id)?.get(atMs);
    if (value !== undefined) total = (total ?? 0) + value;
  }
  return total;
}

function armPoints(query: ArmQuery, series: SeriesById): SeriesPoint[] {
  const ids = query.kind === 'ratio' ? [...query.failures, ...query.requests] : [query.id];
  const minutes = [...new Set(ids.flatMap((id) => [...(series.get(id)?.keys() ?? [])]))].sort((a, b) => a - b);
  const points: SeriesPoint[] = [];
  for (const atMs of minutes) {
    if (query.kind === 'stat') {
      const value = series.get(query.id)?.get(atMs);
      if (value !== undefined) points.push({ atMs, value });
      continue;
    }
    const requests = sumAt(series, query.requests, atMs);
    // A minute without requests has no rate: a gap, not a 0 %.
    if (requests === undefined || requests <= 0) continue;
    points.push({ atMs, value: (100 * (sumAt(series, query.failures, atMs) ?? 0)) / requests });
  }
  return points;
}

function totalsOf(query: ArmQuery, series: SeriesById, rollout: { fromMs: number; toMs: number }): ArmTotals | undefined {
  if (query.kind !== 'ratio') return undefined;
  const total = (ids: readonly string[]) =>
    ids.reduce((sum, id) => sum + [...(series.get(id) ?? new Map<number, number>())].reduce((s, [atMs, v]) => (atMs >= rollout.fromMs && atMs < rollout.toMs ? s + v : s), 0), 0);
  return { failures: total(query.failures), requests: total(query.requests) };
}

/** The charts with their points, from GetMetricData's values per query id and minute; totals over `rollout`. */
export function chartsFrom(specs: readonly ChartSpec[], series: SeriesById, rollout: { fromMs: number; toMs: number }): Chart[] {
  return specs.map((spec) => {
    const canary = totalsOf(spec.arms.canary, series, rollout);
    const baseline = totalsOf(spec.arms.baseline, series, rollout);
    return {
      title: spec.title,
      unit: spec.unit,
      canary: armPoints(spec.arms.canary, series),
      baseline: armPoints(spec.arms.baseline, series),
      ...(canary !== undefined && baseline !== undefined ? { totals: { canary, baseline } } : {}),
    };
  });
}
