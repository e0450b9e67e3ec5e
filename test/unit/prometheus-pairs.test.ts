import { parseRolloutRequest } from '../../shared/config/request';
import { RolloutRequestInvalid } from '../../shared/errors';
import { METRIC_SOURCES, resolveChecks } from '../../shared/judges/metrics';
import { bucketsOf, quantileQuery, slowAbove } from '../../shared/judges/metrics/prometheus-histogram';

const kvs = { type: 'cloudfront-kvs', kvsArn: 'arn:aws:cloudfront::123456789012:key-value-store/abc' } as const;
const errors = (v: string) => `sum(increase(istio_requests_total{destination_version="${v}",response_code=~"5.."}[$window])) or vector(0)`;
const requests = (v: string) => `sum(increase(istio_requests_total{destination_version="${v}"}[$window]))`;
const errorsPair = { name: 'istio-5xx', source: 'prometheus', kind: 'errors', canary: { errors: errors('green'), requests: requests('green') }, baseline: { errors: errors('blue'), requests: requests('blue') } };
const histogramPair = {
  name: 'istio-p99',
  source: 'prometheus',
  kind: 'latency',
  canary: { buckets: 'istio_request_duration_milliseconds_bucket{destination_version="green"}' },
  baseline: { buckets: 'istio_request_duration_milliseconds_bucket{destination_version="blue"}' },
};

function parse(analysis: unknown) {
  return parseRolloutRequest({ target: kvs, strategy: { preset: 'canary10-5m' }, analysis });
}

function problemsWith(analysis: unknown): string {
  try {
    parse(analysis);
  } catch (error) {
    expect(error).toBeInstanceOf(RolloutRequestInvalid);
    return (error as Error).message;
  }
  throw new Error('expected the request to be refused');
}

describe('Prometheus query pairs in the request', () => {
  it('resolves errors and histogram pairs to Prometheus checks with the CloudWatch defaults', () => {
    const request = parse({ prometheus: { url: 'http://prometheus:9090' }, metrics: [errorsPair, histogramPair] });
    expect(request.analysis.prometheus).toEqual({ url: 'http://prometheus:9090', auth: { kind: 'none' } });
    const checks = resolveChecks(request.analysis.metrics, { target: request.target });
    expect(checks).toMatchObject([
      { kind: 'prom-counts', counts: 'errors', name: 'istio-5xx', criteria: { confidence: 0.99, power: 0.8, critical: true, allowedDegradation: 0 } },
      { kind: 'prom-histogram', name: 'istio-p99', percentile: 99, allowedIncrease: 0, canary: histogramPair.canary.buckets },
    ]);
    expect(checks.map((c) => Object.entries(METRIC_SOURCES).find(([, s]) => s.owns(c))?.[0])).toEqual(['prometheus', 'prometheus']);
  });

  it.each([
    [{ metrics: [errorsPair] }, 'analysis.prometheus: Prometheus query pairs need analysis.prometheus'],
    [{ prometheus: { url: 'http://p:9090' }, metrics: [{ ...errorsPair, canary: { errors: 'sum(x_total)', requests: requests('green') } }] }, 'canary.errors: a count query needs "$window"'],
    [{ prometheus: { url: 'http://p:9090' }, metrics: [{ ...histogramPair, baseline: { slow: errors('blue'), requests: requests('blue') } }] }, 'both "buckets", or both "slow" and "requests"'],
    [{ prometheus: { url: 'http://p:9090' }, metrics: [{ ...histogramPair, canary: { buckets: 'istio_request_duration_milliseconds' } }] }, "a histogram's bucket series"],
    [{ prometheus: { url: 'http://p:9090', auth: { kind: 'bearer', parameter: 'token with spaces' } }, metrics: [errorsPair] }, 'an SSM parameter name'],
    [{ prometheus: { url: 'ftp://p' }, metrics: [errorsPair] }, 'analysis.prometheus.url: a Prometheus base URL'],
  ])('refuses a bad request (case %#)', (analysis, message) => {
    expect(problemsWith(analysis)).toContain(message);
  });
});

describe('slow requests from histogram buckets', () => {
  const buckets = bucketsOf(['50', '100', '250', '500', '+Inf'].map((le, i) => ({ labels: { le }, value: [50, 80, 95, 99, 100][i] as number })));

  it.each([
    [500, 1],
    [250, 5],
    [375, 3],
    [25, 75],
    [10_000, 1],
  ])('above %d ms: %d of 100', (threshold, slow) => {
    expect(slowAbove(buckets ?? [], threshold)).toEqual({ requests: 100, slow });
  });

  it('refuses an answer without +Inf or with a bound that is not a number', () => {
    expect(bucketsOf([{ labels: { le: '50' }, value: 1 }])).toBeUndefined();
    expect(bucketsOf([{ labels: { le: 'x' }, value: 1 }, { labels: { le: '+Inf' }, value: 1 }])).toBeUndefined();
    expect(quantileQuery('x_bucket{a="b"}', 99, 3600)).toBe('histogram_quantile(0.99, sum by (le) (increase(x_bucket{a="b"}[3600s])))');
  });
});
