/**
 * In-memory CloudWatch metrics: datapoints by namespace, metric name and dimensions, at one-minute
 * resolution (what Lambda publishes). Each datapoint keeps a statistic set and, for distributions such as
 * Duration, a histogram of values with counts (the shape PutMetricData's Values/Counts take), so that
 * percentiles can be read back. Alarms read from here; a GetMetricData implementation can too.
 */

export const METRIC_RESOLUTION_MS = 60_000;

export type Dimensions = Readonly<Record<string, string>>;

export interface MetricId {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Dimensions;
}

/** Samples to add to one datapoint. `histogram` maps a value to how many samples had it. */
export interface SampleSet {
  readonly count: number;
  readonly sum: number;
  readonly min: number;
  readonly max: number;
  readonly histogram?: ReadonlyMap<number, number>;
}

export interface Datapoint {
  /** Start of the minute, epoch milliseconds. */
  readonly timestamp: number;
  sampleCount: number;
  sum: number;
  min: number;
  max: number;
  histogram?: Map<number, number>;
}

/** CloudWatch statistics: SampleCount, Sum, Average, Minimum, Maximum, or an extended pNN(.N) percentile. */
export type Statistic = 'SampleCount' | 'Sum' | 'Average' | 'Minimum' | 'Maximum' | `p${number}`;

export function isStatistic(text: string): text is Statistic {
  return ['SampleCount', 'Sum', 'Average', 'Minimum', 'Maximum'].includes(text) || percentileOf(text) !== undefined;
}

function percentileOf(statistic: string): number | undefined {
  const match = /^p(\d{1,2}(\.\d{1,3})?|100)$/.exec(statistic);
  if (match === null) return undefined;
  const value = Number(match[1]);
  return value > 0 && value <= 100 ? value : undefined;
}

/** Canonical series key: the same metric with dimensions in any order is one series. */
export function seriesKey(id: MetricId): string {
  const dims = Object.keys(id.dimensions)
    .sort()
    .map((name) => `${name}=${id.dimensions[name]}`)
    .join(',');
  return `${id.namespace}|${id.metricName}|${dims}`;
}

interface Series {
  readonly id: MetricId;
  readonly points: Map<number, Datapoint>;
}

export class MetricStore {
  private readonly series = new Map<string, Series>();

  /** Adds samples to the datapoint of the minute that contains `atMs`. */
  record(id: MetricId, atMs: number, samples: SampleSet): void {
    if (samples.count <= 0) return;
    const key = seriesKey(id);
    let series = this.series.get(key);
    if (series === undefined) {
      series = { id: { ...id, dimensions: { ...id.dimensions } }, points: new Map() };
      this.series.set(key, series);
    }
    const timestamp = Math.floor(atMs / METRIC_RESOLUTION_MS) * METRIC_RESOLUTION_MS;
    let point = series.points.get(timestamp);
    if (point === undefined) {
      point = { timestamp, sampleCount: 0, sum: 0, min: Infinity, max: -Infinity };
      series.points.set(timestamp, point);
    }
    point.sampleCount += samples.count;
    point.sum += samples.sum;
    point.min = Math.min(point.min, samples.min);
    point.max = Math.max(point.max, samples.max);
    if (samples.histogram !== undefined) {
      point.histogram ??= new Map();
      for (const [value, count] of samples.histogram) point.histogram.set(value, (point.histogram.get(value) ?? 0) + count);
    }
  }

  /** Every series of a metric, e.g. to list Lambda's Duration by each dimension set (ListMetrics). */
  list(namespace?: string, metricName?: string): MetricId[] {
    return [...this.series.values()]
      .map((s) => s.id)
      .filter((id) => (namespace === undefined || id.namespace === namespace) && (metricName === undefined || id.metricName === metricName));
  }

  /** Datapoints with startMs <= timestamp < endMs, oldest first. */
  datapoints(id: MetricId, startMs: number, endMs: number): Datapoint[] {
    const series = this.series.get(seriesKey(id));
    if (series === undefined) return [];
    const first = Math.ceil(startMs / METRIC_RESOLUTION_MS) * METRIC_RESOLUTION_MS;
    if ((endMs - first) / METRIC_RESOLUTION_MS > series.points.size) {
      // A window longer than the series: scan the points rather than the minutes.
      return [...series.points.values()]
        .filter((p) => p.timestamp >= startMs && p.timestamp < endMs)
        .sort((a, b) => a.timestamp - b.timestamp);
    }
    // Alarms read a few periods at a time, minute by minute, however long the series has grown.
    const points: Datapoint[] = [];
    for (let t = first; t < endMs; t += METRIC_RESOLUTION_MS) {
      const point = series.points.get(t);
      if (point !== undefined) points.push(point);
    }
    return points;
  }

  /** One statistic over [startMs, endMs), as GetMetricData computes it for a period; undefined when there is no data. */
  statistic(id: MetricId, statistic: Statistic, startMs: number, endMs: number): number | undefined {
    const points = this.datapoints(id, startMs, endMs);
    const sampleCount = points.reduce((n, p) => n + p.sampleCount, 0);
    if (sampleCount === 0) return undefined;
    switch (statistic) {
      case 'SampleCount':
        return sampleCount;
      case 'Sum':
        return points.reduce((s, p) => s + p.sum, 0);
      case 'Average':
        return points.reduce((s, p) => s + p.sum, 0) / sampleCount;
      case 'Minimum':
        return Math.min(...points.map((p) => p.min));
      case 'Maximum':
        return Math.max(...points.map((p) => p.max));
      default: {
        const percentile = percentileOf(statistic);
        if (percentile === undefined) throw new RangeError(`unknown statistic ${statistic}`);
        return percentileFromHistograms(points, percentile);
      }
    }
  }
}

/** The smallest recorded value at or above the given share of samples (nearest rank). */
function percentileFromHistograms(points: readonly Datapoint[], percentile: number): number | undefined {
  const merged = new Map<number, number>();
  for (const point of points) {
    for (const [value, count] of point.histogram ?? []) merged.set(value, (merged.get(value) ?? 0) + count);
  }
  const total = [...merged.values()].reduce((a, b) => a + b, 0);
  if (total === 0) return undefined;
  const rank = Math.ceil((percentile / 100) * total);
  let seen = 0;
  for (const value of [...merged.keys()].sort((a, b) => a - b)) {
    seen += merged.get(value) ?? 0;
    if (seen >= rank) return value;
  }
  return undefined;
}
