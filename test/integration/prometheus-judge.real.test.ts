/**
 * The metrics judge end to end from a rollout request whose checks are Prometheus query pairs, against the
 * real PromQL engine of Debian's Prometheus: Istio-style request counters and a request-duration histogram
 * backfilled for an hour before the rollout and the rollout's two split windows.
 */
import { parseRolloutRequest } from '../../shared/config/request';
import { MetricsJudge } from '../../shared/judges/metrics';
import type { AnalysisContext, JudgeResult } from '../../shared/judges/types';
import { planRollout } from '../../shared/plan';
import { cumulativeSamples, describeWithPrometheus, istioRequestCounters, startPrometheus, type PrometheusServer } from './prometheus-server';

const STEP_S = 15;
const NOW_S = Math.floor(Date.now() / 60_000) * 60 - 3600;
const ROLLOUT_S = NOW_S - 1800;
const START_S = ROLLOUT_S - 3600;
const iso = (s: number) => new Date(s * 1000).toISOString();

/** Per version: requests per second, 5xx share, and the cumulative share at or below each le bound. */
const BOUNDS = ['50', '100', '250', '500', '1000', '+Inf'];
const NORMAL = [0.5, 0.8, 0.95, 0.99, 1, 1];
const TRAFFIC: Record<string, { rps: number; errorRate: number; latency: number[] }> = {
  blue: { rps: 20, errorRate: 0.01, latency: NORMAL },
  green: { rps: 20, errorRate: 0.01, latency: NORMAL },
  'green-bad': { rps: 20, errorRate: 0.03, latency: NORMAL },
  'green-slow': { rps: 20, errorRate: 0.01, latency: [0.4, 0.7, 0.9, 0.95, 0.99, 1] },
  sparse: { rps: 0.02, errorRate: 0.01, latency: NORMAL },
};

function openMetrics(): string {
  const lines = istioRequestCounters(TRAFFIC, START_S, NOW_S, STEP_S);
  lines.push('# TYPE istio_request_duration_milliseconds_bucket unknown');
  for (const [version, { rps, latency }] of Object.entries(TRAFFIC)) {
    BOUNDS.forEach((le, i) => {
      const perStep = STEP_S * rps * (latency[i] as number);
      lines.push(...cumulativeSamples(`istio_request_duration_milliseconds_bucket{destination_version="${version}",le="${le}"}`, perStep, START_S, NOW_S, STEP_S));
    });
  }
  return `${lines.join('\n')}\n# EOF\n`;
}

const errorsOf = (v: string) => `sum(increase(istio_requests_total{destination_version="${v}",response_code=~"5.."}[$window])) or vector(0)`;
const requestsOf = (v: string) => `sum(increase(istio_requests_total{destination_version="${v}"}[$window]))`;
const bucketsOf = (v: string) => `istio_request_duration_milliseconds_bucket{destination_version="${v}"}`;

describeWithPrometheus('The metrics judge on Prometheus query pairs, against a real Prometheus 2.42', () => {
  let server: PrometheusServer;
  beforeAll(async () => {
    server = await startPrometheus(openMetrics());
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
  });

  function requestFor(canary: { errors?: string; latency?: string }) {
    return parseRolloutRequest({
      target: { type: 'cloudfront-kvs', kvsArn: 'arn:aws:cloudfront::123456789012:key-value-store/327284aa-bcd5-499f-a3ff-26b9a9d31b58' },
      strategy: { weights: [25, 50, 100], bakeSeconds: 600 },
      analysis: {
        prometheus: { url: server.baseUrl },
        metrics: [
          {
            name: 'istio-5xx',
            source: 'prometheus',
            kind: 'errors',
            canary: { errors: canary.errors ?? errorsOf('green'), requests: requestsOf(canary.errors === undefined ? 'green' : 'green-bad') },
            baseline: { errors: errorsOf('blue'), requests: requestsOf('blue') },
          },
          { name: 'istio-p99', source: 'prometheus', kind: 'latency', percentile: 99, canary: { buckets: bucketsOf(canary.latency ?? 'green') }, baseline: { buckets: bucketsOf('blue') } },
        ],
      },
    });
  }

  async function measure(request: ReturnType<typeof parseRolloutRequest>): Promise<JudgeResult> {
    const context: AnalysisContext = {
      request,
      baseline: {},
      plan: planRollout(request, { observable: false }),
      startedAt: iso(ROLLOUT_S),
      progress: {
        stepIndex: 1,
        extraBakes: 0,
        extraSeconds: 0,
        weight: 50,
        bakeSeconds: 600,
        lookSeconds: 60,
        shiftedAt: iso(ROLLOUT_S + 600),
        shifts: [
          { weight: 25, at: iso(ROLLOUT_S) },
          { weight: 50, at: iso(ROLLOUT_S + 600) },
        ],
      },
      window: { start: new Date((ROLLOUT_S + 600) * 1000), end: new Date(NOW_S * 1000) },
      bakedSeconds: NOW_S - ROLLOUT_S - 600,
      memory: undefined,
    };
    return new MetricsJudge(request.analysis).measure(context);
  }

  const metric = (result: JudgeResult, name: string) => (result.evidence as { metrics: Array<Record<string, unknown>> }).metrics.find((m) => m.metric === name) as Record<string, unknown>;

  it('passes a healthy canary on errors and on histogram latency, with the counts of each split window', async () => {
    const result = await measure(requestFor({}));
    expect(result).toMatchObject({ judge: 'metrics', verdict: 'pass' });
    expect(metric(result, 'istio-5xx').windows).toEqual([
      { weight: 25, canary: { requests: 12_000, failures: 120 }, baseline: { requests: 12_000, failures: 120 } },
      { weight: 50, canary: { requests: 24_000, failures: 240 }, baseline: { requests: 24_000, failures: 240 } },
    ]);
    const latency = metric(result, 'istio-p99');
    expect(latency.thresholds).toMatchObject({ percentile: 99, source: 'before-rollout' });
    expect((latency.thresholds as { baseline: number }).baseline).toBeCloseTo(500, 6);
    expect(latency.evidence).toMatchObject({ kind: 'slow-requests' });
    expect(latency.windows).toEqual([
      { weight: 25, canary: { requests: 12_000, failures: 120 }, baseline: { requests: 12_000, failures: 120 } },
      { weight: 50, canary: { requests: 24_000, failures: 240 }, baseline: { requests: 24_000, failures: 240 } },
    ]);
  });

  it('fails ×3 errors on the errors pair and a slower histogram on the latency pair', async () => {
    const errors = await measure(requestFor({ errors: errorsOf('green-bad') }));
    expect(errors.verdict).toBe('fail');
    expect(metric(errors, 'istio-5xx').verdict).toBe('fail');
    const slow = await measure(requestFor({ latency: 'green-slow' }));
    expect(slow.verdict).toBe('fail');
    expect(metric(slow, 'istio-p99')).toMatchObject({ verdict: 'fail', windows: [{ canary: { requests: 12_000, failures: 600 } }, { canary: { requests: 24_000, failures: 1200 } }] });
  });

  it('is inconclusive with the requests needed on sparse traffic, and names a wrong query', async () => {
    const sparse = await measure(requestFor({ latency: 'sparse' }));
    expect(sparse.verdict).toBe('inconclusive');
    expect(metric(sparse, 'istio-p99')).toMatchObject({ verdict: 'inconclusive', requestsNeeded: expect.any(Number) });
    const wrong = await measure(requestFor({ errors: 'sum(increase(istio_requests_total[$window]' }));
    expect(wrong.verdict).toBe('inconclusive');
    expect(metric(wrong, 'istio-5xx').reason).toContain('istio-5xx: cannot judge: ');
    expect(metric(wrong, 'istio-5xx').reason).toContain('"sum(increase(istio_requests_total[600s]"');
  });
});
