/**
 * The simulator's Prometheus (sim/world/prometheus.ts): the mesh's metrics as istio_requests_total, the one
 * query form it evaluates, the refusal of every other, and the real reader and judge reading it through the
 * fetch it installs (edge-bad-canary-prometheus).
 */
import { queryPrometheus } from '../../shared/judges/metrics/prometheus-client';
import { readPairCounts } from '../../shared/judges/metrics/prometheus-reader';
import { MetricStore } from '../../sim/world/metrics';
import { SimulatedPrometheus } from '../../sim/world/prometheus';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { builtInScenario, SCENARIO_DIRECTORY } from '../../sim/scenario';
import { scenarioProblems } from './support';
import { simulate } from '../../sim/simulate';

const MINUTE = 60_000;
const NAMESPACE = 'Coalmine/Mesh';
const URL = 'http://prometheus.istio-system:9090';

function mesh(): { prometheus: SimulatedPrometheus; queries: () => number } {
  const metrics = new MetricStore();
  const record = (colour: string, atMs: number, requests: number, errors: number) => {
    const dimensions = { Service: 'storefront', Deployment: colour };
    metrics.record({ namespace: NAMESPACE, metricName: 'Invocations', dimensions }, atMs, { count: requests, sum: requests, min: 1, max: 1 });
    metrics.record({ namespace: NAMESPACE, metricName: 'Errors', dimensions }, atMs, { count: requests, sum: errors, min: 0, max: 1 });
  };
  // Blue: 600 requests a minute, 6 of them failing; green: 60 in the second minute only, 30 failing.
  record('blue', 0, 600, 6);
  record('blue', MINUTE, 600, 6);
  record('green', MINUTE, 60, 30);
  let queries = 0;
  const prometheus = new SimulatedPrometheus({ metrics, namespace: NAMESPACE, service: 'storefront', versions: ['blue', 'green'], beforeQuery: () => (queries += 1) });
  return { prometheus, queries: () => queries };
}

const count = (colour: string, extra = '', window = '120s') =>
  `sum(increase(istio_requests_total{reporter="destination",destination_app="storefront",destination_version="${colour}"${extra}}[${window}]))`;
const valueOf = (answer: { body: unknown }) =>
  ((answer.body as { data: { result: Array<{ value: [number, string] }> } }).data.result.map((r) => Number(r.value[1])));

describe('SimulatedPrometheus', () => {
  it.each<[string, string, number[]]>([
    ['all of blue over two minutes', count('blue'), [1200]],
    ['blue 5xx', count('blue', ',response_code=~"5.."'), [12]],
    ['green 2xx', count('green', ',response_code!~"5.."'), [30]],
    ['every colour but blue', count('blue').replace('destination_version="blue"', 'destination_version!="blue"'), [60]],
    ['the last half minute, in proportion', count('blue', '', '30s'), [300]],
    ['a label the mesh does not have', count('blue', ',destination_app="checkout"'), []],
    ['the same with or vector(0)', `${count('blue', ',destination_app="checkout"')} or vector(0)`, [0]],
  ])('%s', (_, query, values) => {
    const { prometheus, queries } = mesh();
    const answer = prometheus.query(query, (2 * MINUTE) / 1000);
    expect(answer.status).toBe(200);
    expect(valueOf(answer)).toEqual(values);
    expect(queries()).toBe(1);
  });

  it('has no green series before green served a request (a counter not yet scraped)', () => {
    expect(valueOf(mesh().prometheus.query(count('green', '', '60s'), MINUTE / 1000))).toEqual([]);
  });

  it.each([
    'sum by (le) (increase(istio_request_duration_milliseconds_bucket{destination_version="green"}[600s]))',
    'rate(istio_requests_total[5m])',
    'sum(increase(istio_requests_total{destination_version="green"}[$window]))',
  ])('refuses %s as Prometheus refuses a query it cannot run (HTTP 400, bad_data)', (query) => {
    const answer = mesh().prometheus.query(query, 120);
    expect(answer).toEqual({ status: 400, body: expect.objectContaining({ status: 'error', errorType: 'bad_data' }) });
  });

  it('answers the real reader through the fetch it installs, and restores fetch afterwards', async () => {
    const { prometheus } = mesh();
    const original = globalThis.fetch;
    const uninstall = prometheus.install(URL);
    try {
      const window = { weight: 5, startMs: 0, endMs: 2 * MINUTE, seconds: 120 };
      const pair = {
        canary: { failures: `${count('green', ',response_code=~"5.."', '$window')} or vector(0)`, requests: count('green', '', '$window') },
        baseline: { failures: `${count('blue', ',response_code=~"5.."', '$window')} or vector(0)`, requests: count('blue', '', '$window') },
      };
      expect(await readPairCounts({ baseUrl: URL, auth: { kind: 'none' } }, pair, [window])).toEqual({
        counts: [{ canary: { successes: 30, failures: 30 }, baseline: { successes: 1188, failures: 12 }, periods: 2 }],
      });
      const refused = await queryPrometheus({ baseUrl: URL, auth: { kind: 'none' } }, 'up', 120);
      expect(refused).toEqual({ ok: false, problem: expect.stringContaining('Prometheus refused "up": the simulated Prometheus evaluates') });
    } finally {
      uninstall();
    }
    expect(globalThis.fetch).toBe(original);
  });
});

describe('edge-bad-canary-prometheus: the edge scenario judged from PromQL', () => {
  it('passes 5 % and rolls back at 25 % on the Istio 5xx pair, with no alarm involved', async () => {
    const result = await simulate(builtInScenario('edge-bad-canary-prometheus'));
    expect(result).toMatchObject({ outcome: 'rolled_back', finalWeight: 0, error: 'CanaryAnalysisFailed', alarmTransitions: [] });
    expect(result.routing).toMatchObject({ weightsSet: [5, 25, 0], problems: [] });
    expect(result.reason).toMatch(/step 2 at 25 %: the analysis failed: critical metric failed: istio-5xx: canary [\d.]+% \([\d,]+\/[\d,]+\) vs baseline/);
    expect(result.edge?.finalStore).toMatchObject({ green_percentage: '0', green_cidrs: '[]' });
  });
});

it('refuses analysis.prometheus in a lambda-alias scenario: only a mesh reports Istio series', () => {
  const healthy = JSON.parse(readFileSync(join(SCENARIO_DIRECTORY, 'healthy.json'), 'utf8')) as { rollout: { analysis: Record<string, unknown> } };
  const problems = scenarioProblems(healthy, (document) => {
    document.rollout.analysis.prometheus = { url: URL };
  });
  expect(problems).toEqual(['rollout.analysis.prometheus: the simulator serves Istio series from the mesh of a cloudfront-kvs target only; judge a lambda-alias target by alarms or CloudWatch metrics']);
});
