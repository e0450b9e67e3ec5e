/**
 * The Prometheus client against the real PromQL engine: Istio-style counters backfilled into Debian's
 * Prometheus, read per split window by prometheus-reader with `increase(...[$window])` at the window's end, and the counts
 * judged by the same statistical judge as CloudWatch's.
 */
import type { PrometheusEndpoint } from '../../shared/judges/metrics/prometheus-client';
import { readPairCounts } from '../../shared/judges/metrics/prometheus-reader';
import { judgeMetric, type MetricJudgement } from '../../shared/judges/statistics';
import { describeWithPrometheus, istioRequestCounters, startPrometheus, type IstioTraffic, type PrometheusServer } from './prometheus-server';

const STEP_S = 15;
// Whole minutes, two hours back: older than the head block, inside the retention.
const START_S = Math.floor(Date.now() / 60_000) * 60 - 7200;
const WINDOW_S = 1800;
const END_S = START_S + WINDOW_S;

const TRAFFIC: IstioTraffic = {
  blue: { rps: 20, errorRate: 0.01 },
  green: { rps: 20, errorRate: 0.01 },
  'green-bad': { rps: 20, errorRate: 0.03 },
  sparse: { rps: 0.02, errorRate: 0.01 },
};

/** Cumulative counters every 15 s: istio_requests_total by destination_version and response_code. */
function openMetrics(): string {
  const lines = istioRequestCounters(TRAFFIC, START_S, END_S, STEP_S);
  return `${lines.join('\n')}\n# EOF\n`;
}

const errorsOf = (v: string) => `sum(increase(istio_requests_total{destination_version="${v}",response_code=~"5.."}[$window])) or vector(0)`;
const requestsOf = (v: string) => `sum(increase(istio_requests_total{destination_version="${v}"}[$window]))`;

describeWithPrometheus('Prometheus client against a real Prometheus 2.42', () => {
  let server: PrometheusServer;
  let endpoint: PrometheusEndpoint;
  beforeAll(async () => {
    server = await startPrometheus(openMetrics());
    endpoint = { baseUrl: server.baseUrl, auth: { kind: 'none' } };
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
  });

  const windows = [
    { weight: 25, startMs: START_S * 1000, endMs: (START_S + 600) * 1000, seconds: 600 },
    { weight: 50, startMs: (START_S + 600) * 1000, endMs: END_S * 1000, seconds: WINDOW_S - 600 },
  ];
  const pair = (canary: string) => ({ canary: { failures: errorsOf(canary), requests: requestsOf(canary) }, baseline: { failures: errorsOf('blue'), requests: requestsOf('blue') } });

  async function judge(canary: string): Promise<MetricJudgement> {
    const data = await readPairCounts(endpoint, pair(canary), windows);
    if (!('counts' in data)) throw new Error(data.unavailable);
    const information = data.counts.reduce((s, w) => {
      const nc = w.canary.successes + w.canary.failures;
      const nb = w.baseline.successes + w.baseline.failures;
      return s + (nc * nb) / (nc + nb);
    }, 0);
    return judgeMetric({
      criteria: { name: 'istio-5xx', direction: 'increase-is-bad', allowedDegradation: 0, confidence: 0.99, power: 0.8, critical: true },
      data: { kind: 'errors', counts: data.counts.map((w) => ({ canary: w.canary, baseline: w.baseline })) },
      look: { plannedInformation: Math.max(information, 1), previousLooks: [], canaryWeight: 0.5 },
    });
  }

  it('reads exact counts per split window with increase() at each window end', async () => {
    const data = await readPairCounts(endpoint, pair('green'), windows);
    expect(data).toEqual({
      counts: [
        { canary: { successes: 600 * 20 * 0.99, failures: 600 * 20 * 0.01 }, baseline: { successes: 600 * 20 * 0.99, failures: 600 * 20 * 0.01 }, periods: 10 },
        { canary: { successes: 1200 * 20 * 0.99, failures: 1200 * 20 * 0.01 }, baseline: { successes: 1200 * 20 * 0.99, failures: 1200 * 20 * 0.01 }, periods: 20 },
      ],
    });
  });

  it('passes a healthy pair, fails a ×3 error pair, is inconclusive on a sparse pair', async () => {
    expect((await judge('green')).verdict).toBe('pass');
    expect((await judge('green-bad')).verdict).toBe('fail');
    const sparse = await judge('sparse');
    expect(sparse.verdict).toBe('inconclusive');
    expect(sparse.requestsNeeded).toBeGreaterThan(0);
  });

  it('makes a wrong query, and a query without series, unavailable with the query named', async () => {
    const wrong = await readPairCounts(endpoint, { ...pair('green'), canary: { failures: 'sum(increase(istio_requests_total[$window]', requests: requestsOf('green') } }, windows);
    expect(wrong).toEqual({ unavailable: expect.stringContaining('"sum(increase(istio_requests_total[600s]"') });
    const none = await readPairCounts(endpoint, { ...pair('green'), baseline: { failures: errorsOf('blue'), requests: requestsOf('purple') } }, windows);
    expect(none).toEqual({ unavailable: expect.stringMatching(/destination_version="purple"}\[600s\]\)\)" returned no series/) });
  });
});
