/**
 * The mesh's telemetry as Istio reports it to Prometheus, for scenarios whose rollout is judged by PromQL
 * query pairs (`analysis.prometheus`). Each request the simulated mesh serves is a sample of
 * `istio_requests_total{reporter="destination", destination_app=<rollout name>, destination_version=<colour>,
 * response_code="200"|"503"}`, read from the same per-minute metrics the alarms read (namespace
 * Coalmine/Mesh: Invocations and Errors by Service and Deployment).
 *
 * The world answers `POST <analysis.prometheus.url>/api/v1/query`, the one call the reader makes, through a
 * `fetch` the simulator installs for the length of a run (as the SDK bridge answers the AWS clients); any
 * other URL goes to the real `fetch`. It evaluates one form, the count the reader sends for an error pair:
 * `sum(increase(istio_requests_total{matchers}[Ns]))`, optionally `or vector(0)`, with matchers `=`, `!=`,
 * `=~` and `!~` on those labels. Any other query (a histogram's buckets among them) is answered as
 * Prometheus answers a query it cannot run, HTTP 400, which the judge reports as inconclusive, naming the
 * query. `increase()` over a range is the requests of each minute the range covers, a minute it covers in
 * part counted in proportion, as Prometheus extrapolates a range's ends.
 */
import type { MetricStore } from './metrics';
import { METRIC_RESOLUTION_MS } from './metrics';

export interface MeshSeriesSource {
  readonly metrics: MetricStore;
  readonly namespace: string;
  /** destination_app: the Service dimension. */
  readonly service: string;
  /** destination_version: the Deployment dimension, one per colour. */
  readonly versions: readonly string[];
  /** Brings the traffic up to the present before a query reads it. */
  readonly beforeQuery: () => void;
}

const COUNT_QUERY = /^sum\(increase\(istio_requests_total\{([^{}]*)\}\[([1-9][0-9]*)s\]\)\)(\s+or\s+vector\(0\))?$/;
const MATCHER = /^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*$/;

type Matcher = (labels: Readonly<Record<string, string>>) => boolean;

function matcherOf(text: string): Matcher | null {
  const match = MATCHER.exec(text);
  if (match === null) return null;
  const [, label = '', op, raw = ''] = match;
  const value = JSON.parse(`"${raw}"`) as string;
  // PromQL regular expressions are anchored at both ends.
  const pattern = op === '=~' || op === '!~' ? new RegExp(`^(?:${value})$`) : null;
  return (labels) => {
    const actual = labels[label] ?? '';
    if (pattern !== null) return pattern.test(actual) === (op === '=~');
    return (actual === value) === (op === '=');
  };
}

function matchersOf(text: string): Matcher[] | null {
  const parts = text.trim() === '' ? [] : text.split(/,(?=(?:[^"]*"[^"]*")*[^"]*$)/);
  const matchers = parts.map(matcherOf);
  return matchers.every((m): m is Matcher => m !== null) ? matchers : null;
}

type Answer = { readonly status: number; readonly body: unknown };

const refused = (query: string): Answer => ({
  status: 400,
  body: {
    status: 'error',
    errorType: 'bad_data',
    error: `the simulated Prometheus evaluates sum(increase(istio_requests_total{...}[Ns])) (or vector(0)) only, not ${query}`,
  },
});

export class SimulatedPrometheus {
  constructor(private readonly source: MeshSeriesSource) {}

  /** Requests of the series over (endMs - seconds, endMs], minutes covered in part counted in proportion. */
  private increase(version: string, metricName: 'Invocations' | 'Errors', endMs: number, seconds: number): number {
    const startMs = endMs - seconds * 1000;
    const id = { namespace: this.source.namespace, metricName, dimensions: { Service: this.source.service, Deployment: version } };
    const first = Math.floor(startMs / METRIC_RESOLUTION_MS) * METRIC_RESOLUTION_MS;
    let total = 0;
    for (const point of this.source.metrics.datapoints(id, first, endMs)) {
      const overlap = Math.min(endMs, point.timestamp + METRIC_RESOLUTION_MS) - Math.max(startMs, point.timestamp);
      if (overlap > 0) total += (point.sum * overlap) / METRIC_RESOLUTION_MS;
    }
    return total;
  }

  /** An instant query at `timeSeconds`, answered as Prometheus's HTTP API answers it. */
  query(query: string, timeSeconds: number): Answer {
    const match = COUNT_QUERY.exec(query.trim());
    const matchers = match === null ? null : matchersOf(match[1] ?? '');
    if (match === null || matchers === null) return refused(query);
    this.source.beforeQuery();
    const endMs = timeSeconds * 1000;
    const seconds = Number(match[2]);
    let value = 0;
    let series = 0;
    for (const version of this.source.versions) {
      for (const code of ['200', '503']) {
        const labels = { reporter: 'destination', destination_app: this.source.service, destination_version: version, response_code: code };
        if (!matchers.every((m) => m(labels))) continue;
        // A counter exists once it has been scraped: a series with no request before the query's time has none.
        const before = this.source.metrics.datapoints({ namespace: this.source.namespace, metricName: 'Invocations', dimensions: { Service: this.source.service, Deployment: version } }, 0, endMs);
        if (before.length === 0) continue;
        series += 1;
        const requests = this.increase(version, 'Invocations', endMs, seconds);
        const errors = this.increase(version, 'Errors', endMs, seconds);
        value += code === '503' ? errors : requests - errors;
      }
    }
    const vector = series > 0 || match[3] !== undefined ? [{ metric: {}, value: [timeSeconds, String(value)] }] : [];
    return { status: 200, body: { status: 'success', data: { resultType: 'vector', result: vector } } };
  }

  /**
   * Answers the reader's POSTs to `baseUrl` from this Prometheus, for as long as it is installed; returns the
   * undo. Every other request goes to the fetch that was there before.
   */
  install(baseUrl: string): () => void {
    const original = globalThis.fetch;
    const endpoint = `${baseUrl.replace(/\/+$/, '')}/api/v1/query`;
    globalThis.fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
      const url = input instanceof Request ? input.url : String(input);
      if (url !== endpoint) return original(input, init);
      const form = new URLSearchParams(typeof init?.body === 'string' ? init.body : '');
      const answer = this.query(form.get('query') ?? '', Number(form.get('time')));
      return new Response(JSON.stringify(answer.body), { status: answer.status, headers: { 'content-type': 'application/json' } });
    };
    return () => {
      globalThis.fetch = original;
    };
  }
}
