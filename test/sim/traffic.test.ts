import { createRandom } from '../../sim/random';
import { aliasRouting, SyntheticTraffic, type TrafficModel } from '../../sim/traffic';
import { AwsWorld } from '../../sim/world';

const HOUR = 3_600_000;
const target = { functionName: 'checkout', alias: 'live', baselineVersion: '41', canaryVersion: '42' };
const model: TrafficModel = {
  requestsPerSecond: 50,
  baseline: { errorPercent: 0.5, latencyMs: { p50: 80, p99: 250 } },
  canary: { errorPercent: 4, latencyMs: { p50: 120, p99: 600 } },
  canaryChanges: [],
};

function setup(weights: Record<string, number>, traffic: TrafficModel = model) {
  const world = new AwsWorld();
  world.lambda.addFunction('checkout', ['41', '42']).addAlias('checkout', 'live', '41', weights);
  return { world, traffic: new SyntheticTraffic(world, traffic, aliasRouting(world, target), createRandom(7), { startMs: 0, rolloutStartMs: 0 }) };
}

const dims = (version?: string) => ({
  FunctionName: 'checkout',
  Resource: 'checkout:live',
  ...(version === undefined ? {} : { ExecutedVersion: version }),
});

describe('SyntheticTraffic', () => {
  it('routes requests by the weights stored in the alias', () => {
    const { traffic } = setup({ '42': 0.3 });
    traffic.advanceTo(HOUR);
    const canary = traffic.served('42', 0, HOUR).requests;
    const baseline = traffic.served('41', 0, HOUR).requests;
    expect(canary + baseline).toBeGreaterThan(50 * 3600 * 0.98);
    expect(canary + baseline).toBeLessThan(50 * 3600 * 1.02);
    expect(canary / (canary + baseline)).toBeCloseTo(0.3, 2);
  });

  it('sends nothing to a version the alias does not route to', () => {
    const { traffic } = setup({});
    traffic.advanceTo(HOUR);
    expect(traffic.served('42', 0, HOUR).requests).toBe(0);
    expect(traffic.segments.every((s) => s.canaryWeight === 0)).toBe(true);
  });

  it("draws each version's errors and latency from its own behaviour and publishes Lambda's metrics", () => {
    const { world, traffic } = setup({ '42': 0.5 });
    traffic.advanceTo(HOUR);
    const store = world.cloudwatch.metrics;
    const metric = (metricName: string, version?: string) => ({ namespace: 'AWS/Lambda', metricName, dimensions: dims(version) });
    const rate = (version: string) =>
      (100 * (store.statistic(metric('Errors', version), 'Sum', 0, HOUR) ?? 0)) / (store.statistic(metric('Invocations', version), 'Sum', 0, HOUR) ?? 1);
    expect(rate('41')).toBeCloseTo(0.5, 0);
    expect(rate('42')).toBeCloseTo(4, 0);
    const p99 = (version: string) => store.statistic(metric('Duration', version), 'p99', 0, HOUR) ?? 0;
    expect(p99('41')).toBeGreaterThan(240);
    expect(p99('41')).toBeLessThan(260);
    expect(p99('42')).toBeGreaterThan(570);
    expect(p99('42')).toBeLessThan(630);
    expect(store.statistic(metric('Duration', '42'), 'p50', 0, HOUR)).toBeCloseTo(120, -1);
    // The alias-wide series counts both versions.
    expect(store.statistic(metric('Invocations'), 'Sum', 0, HOUR)).toBe(traffic.served('41', 0, HOUR).requests + traffic.served('42', 0, HOUR).requests);
  });

  it('changes the canary from a weight on, and from a time on', () => {
    const changes: TrafficModel = {
      ...model,
      canary: model.baseline,
      canaryChanges: [{ fromWeight: 50, errorPercent: 10 }, { fromSecond: 1800, errorPercent: 20 }],
    };
    const low = setup({ '42': 0.2 }, changes);
    low.traffic.advanceTo(HOUR);
    const early = low.traffic.served('42', 0, HOUR / 2);
    const late = low.traffic.served('42', HOUR / 2, HOUR);
    expect(early.errors / early.requests).toBeLessThan(0.02);
    expect(late.errors / late.requests).toBeCloseTo(0.2, 1);

    const high = setup({ '42': 0.6 }, changes);
    high.traffic.advanceTo(HOUR / 2);
    const served = high.traffic.served('42', 0, HOUR / 2);
    expect(served.errors / served.requests).toBeCloseTo(0.1, 1);
  });

  it('splits time into stretches within one minute, and evaluates alarms at each minute boundary', () => {
    const { world, traffic } = setup({});
    const evaluated: number[] = [];
    world.cloudwatch.evaluateAlarms = (at: number) => void evaluated.push(at);
    traffic.advanceTo(90_000);
    traffic.advanceTo(150_000);
    expect(traffic.segments.map((s) => [s.fromMs, s.toMs])).toEqual([
      [0, 60_000],
      [60_000, 90_000],
      [90_000, 120_000],
      [120_000, 150_000],
    ]);
    expect(evaluated).toEqual([60_000, 120_000]);
  });

  it('is deterministic for a seed', () => {
    const a = setup({ '42': 0.1 });
    const b = setup({ '42': 0.1 });
    a.traffic.advanceTo(HOUR);
    b.traffic.advanceTo(HOUR);
    expect(a.traffic.segments).toEqual(b.traffic.segments);
  });
});
