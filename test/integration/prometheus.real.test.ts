/**
 * The Prometheus client against the real PromQL engine: Istio-style counters backfilled into Debian's
 * Prometheus, read per split window with `increase(...[$window])` at the window's end, and the counts
 * judged by the same statistical judge as CloudWatch's.
 */
import { queryPrometheus, type PrometheusEndpoint } from '../../shared/judges/metrics/prometheus-client';
import { judgeMetric, type MetricJudgement } from '../../shared/judges/statistics';
import { describeWithPrometheus, startPrometheus, type PrometheusServer } from './prometheus-server';

const STEP_S = 15;
// Whole minutes, two hours back: older than the head block, inside the retention.
const START_S = Math.floor(Date.now() / 60_000) * 60 - 7200;
const WINDOW_S = 1800;
const END_S = START_S + WINDOW_S;

/** Per deployment label: requests and 5xx per second. */
const TRAFFIC: Record<string, { rps: number; errorRate: number }> = {
  blue: { rps: 20, errorRate: 0.01 },
  green: { rps: 20, errorRate: 0.01 },
  'green-bad': { rps: 20, errorRate: 0.03 },
  sparse: { rps: 0.02, errorRate: 0.01 },
};

/** Cumulative counters every 15 s: istio_requests_total by destination_version and response_code. */
function openMetrics(): string {
  const lines = ['# TYPE istio_requests counter'];
  for (const [version, { rps, errorRate }] of Object.entries(TRAFFIC)) {
    for (const code of ['200', '503']) {
      const perStep = STEP_S * rps * (code === '503' ? errorRate : 1 - errorRate);
      for (let t = START_S, n = 0; t <= END_S; t += STEP_S, n += 1) {
        lines.push(`istio_requests_total{destination_version="${version}",response_code="${code}"} ${Math.round(n * perStep * 1000) / 1000} ${t}`);
      }
    }
  }
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

  async function count(query: string): Promise<number> {
    const answer = await queryPrometheus(endpoint, query.replaceAll('$window', `${WINDOW_S}s`), END_S);
    if (!answer.ok) throw new Error(answer.problem);
    expect(answer.samples).toHaveLength(1);
    return Math.round(answer.samples[0]?.value as number);
  }

  async function judge(canary: string): Promise<MetricJudgement> {
    const arm = async (v: string) => {
      const failures = await count(errorsOf(v));
      return { failures, successes: (await count(requestsOf(v))) - failures };
    };
    const counts = [{ canary: await arm(canary), baseline: await arm('blue') }];
    const c = counts[0] as (typeof counts)[number];
    const information = ((c.canary.successes + c.canary.failures) * (c.baseline.successes + c.baseline.failures)) / (c.canary.successes + c.canary.failures + c.baseline.successes + c.baseline.failures);
    return judgeMetric({
      criteria: { name: 'istio-5xx', direction: 'increase-is-bad', allowedDegradation: 0, confidence: 0.99, power: 0.8, critical: true },
      data: { kind: 'errors', counts },
      look: { plannedInformation: Math.max(information, 1), previousLooks: [], canaryWeight: 0.5 },
    });
  }

  it('reads exact counts per window with increase() at the window end', async () => {
    expect(await count(requestsOf('blue'))).toBe(WINDOW_S * 20);
    expect(await count(errorsOf('blue'))).toBe(WINDOW_S * 20 * 0.01);
  });

  it('passes a healthy pair, fails a ×3 error pair, is inconclusive on a sparse pair', async () => {
    expect((await judge('green')).verdict).toBe('pass');
    expect((await judge('green-bad')).verdict).toBe('fail');
    const sparse = await judge('sparse');
    expect(sparse.verdict).toBe('inconclusive');
    expect(sparse.requestsNeeded).toBeGreaterThan(0);
  });

  it('names a wrong query, and a query without series, as problems', async () => {
    const wrong = await queryPrometheus(endpoint, 'sum(increase(istio_requests_total[30m]', END_S);
    expect(wrong).toMatchObject({ ok: false, problem: expect.stringContaining('sum(increase(istio_requests_total[30m]') });
    const none = await queryPrometheus(endpoint, 'sum(increase(no_such_metric_total[30m]))', END_S);
    expect(none).toEqual({ ok: true, samples: [] });
  });
});
