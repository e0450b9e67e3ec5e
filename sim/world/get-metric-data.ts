/**
 * GetMetricData over the simulated metric store, as CloudWatch answers it for metric queries: periods
 * counted from StartTime (rounded down to the minute) to EndTime (exclusive), one value per period that has
 * data, the standard statistics, percentiles, and the trimmed count TC(a:b) and percentile rank PR(a:b)
 * with absolute bounds (values in (a, b]), read from the latency histograms. Pages of at most MaxDatapoints
 * values, continued by NextToken. Expressions are refused: the simulator has no metric math.
 */
import { METRIC_RESOLUTION_MS, isStatistic, type Datapoint, type MetricId, type MetricStore } from './metrics';

/** CloudWatch's limits for one call. */
const MAX_QUERIES = 500;
const MAX_DATAPOINTS = 100_800;

interface Query {
  readonly Id?: string;
  readonly Label?: string;
  readonly Expression?: string;
  readonly ReturnData?: boolean;
  readonly MetricStat?: {
    readonly Metric?: { readonly Namespace?: string; readonly MetricName?: string; readonly Dimensions?: ReadonlyArray<{ Name?: string; Value?: string }> };
    readonly Period?: number;
    readonly Stat?: string;
  };
}

function validationError(message: string): Error {
  return Object.assign(new Error(message), { name: 'ValidationError', $fault: 'client' });
}

/** TC(a:b) and PR(a:b) with absolute bounds; either bound may be left out. */
const RANGE_STAT = /^(TC|PR)\((-?[0-9.]*):(-?[0-9.]*)\)$/;

function rangeStatistic(points: readonly Datapoint[], kind: string, low: number, high: number): number | undefined {
  if (points.length === 0 || points.some((p) => p.histogram === undefined)) return undefined;
  let inRange = 0;
  let total = 0;
  for (const point of points) {
    for (const [value, count] of point.histogram ?? []) {
      total += count;
      if (value > low && value <= high) inRange += count;
    }
  }
  if (total === 0) return undefined;
  return kind === 'TC' ? inRange : (100 * inRange) / total;
}

function statisticOf(store: MetricStore, id: MetricId, stat: string, startMs: number, endMs: number): number | undefined {
  const range = RANGE_STAT.exec(stat);
  if (range !== null) {
    const low = range[2] === '' ? -Infinity : Number(range[2]);
    const high = range[3] === '' ? Infinity : Number(range[3]);
    return rangeStatistic(store.datapoints(id, startMs, endMs), range[1] as string, low, high);
  }
  if (!isStatistic(stat)) throw validationError(`The simulated CloudWatch does not know the statistic ${stat}`);
  return store.statistic(id, stat, startMs, endMs);
}

interface Value {
  readonly id: string;
  readonly label: string;
  readonly timestamp: number;
  readonly value: number;
}

export function getMetricData(store: MetricStore, input: Record<string, unknown>): Record<string, unknown> {
  const queries = (input.MetricDataQueries as Query[] | undefined) ?? [];
  if (queries.length === 0 || queries.length > MAX_QUERIES) throw validationError(`MetricDataQueries must have 1 to ${MAX_QUERIES} queries, got ${queries.length}`);
  const ids = new Set<string>();
  for (const query of queries) {
    if (query.Id === undefined || !/^[a-z][a-zA-Z0-9_]*$/.test(query.Id)) throw validationError(`Invalid query Id ${String(query.Id)}`);
    if (ids.has(query.Id)) throw validationError(`Duplicate query Id ${query.Id}`);
    ids.add(query.Id);
    if (query.Expression !== undefined) throw validationError('The simulated CloudWatch does not evaluate expressions; use MetricStat queries');
  }
  const startMs = Math.floor(new Date(input.StartTime as Date).getTime() / METRIC_RESOLUTION_MS) * METRIC_RESOLUTION_MS;
  const endMs = new Date(input.EndTime as Date).getTime();
  if (!(endMs > startMs)) throw validationError('The parameter EndTime must be greater than StartTime');
  const descending = (input.ScanBy ?? 'TimestampDescending') === 'TimestampDescending';

  const values: Value[] = [];
  for (const query of queries) {
    if (query.ReturnData === false) continue;
    const stat = query.MetricStat;
    const period = stat?.Period ?? 0;
    if (stat?.Metric?.Namespace === undefined || stat.Metric.MetricName === undefined || stat.Stat === undefined) {
      throw validationError(`Query ${query.Id}: MetricStat needs Metric (Namespace, MetricName), Period and Stat`);
    }
    if (!(period > 0 && period % 60 === 0)) throw validationError(`Query ${query.Id}: Period must be a multiple of 60 (one-minute metrics), got ${period}`);
    const id: MetricId = {
      namespace: stat.Metric.Namespace,
      metricName: stat.Metric.MetricName,
      dimensions: Object.fromEntries((stat.Metric.Dimensions ?? []).map((d) => [String(d.Name), String(d.Value)])),
    };
    const series: Value[] = [];
    for (let t = startMs; t < endMs; t += period * 1000) {
      const value = statisticOf(store, id, stat.Stat, t, Math.min(t + period * 1000, endMs));
      if (value !== undefined) series.push({ id: query.Id as string, label: query.Label ?? (query.Id as string), timestamp: t, value });
    }
    values.push(...(descending ? series.reverse() : series));
  }

  const offset = input.NextToken === undefined ? 0 : Number(input.NextToken);
  if (!Number.isInteger(offset) || offset < 0 || offset > values.length) throw validationError('Invalid NextToken');
  const limit = Math.min(Number(input.MaxDatapoints ?? MAX_DATAPOINTS), MAX_DATAPOINTS);
  const page = values.slice(offset, offset + limit);
  const more = offset + page.length < values.length;
  const remaining = new Set(values.slice(offset + page.length).map((v) => v.id));
  const results = queries
    .filter((q) => q.ReturnData !== false)
    .map((query) => {
      const mine = page.filter((v) => v.id === query.Id);
      return {
        Id: query.Id,
        Label: query.Label ?? query.Id,
        Timestamps: mine.map((v) => new Date(v.timestamp)),
        Values: mine.map((v) => v.value),
        StatusCode: remaining.has(query.Id as string) ? 'PartialData' : 'Complete',
      };
    });
  return { MetricDataResults: results, Messages: [], ...(more ? { NextToken: String(offset + page.length) } : {}) };
}
