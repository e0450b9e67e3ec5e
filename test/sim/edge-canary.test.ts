/* eslint-disable @typescript-eslint/no-explicit-any -- the cases edit parsed scenario documents freely */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRandom } from '../../sim/random';
import { createKvs, loadEdgeFunction, stampedColour, viewerRequest } from '../../sim/edge-runtime';
import { COLOUR_CODE, createViewers, EdgeNetwork, VIEWER_COOKIE, type EdgeSpec } from '../../sim/edge';
import { builtInScenario, parseScenario, SCENARIO_DIRECTORY } from '../../sim/scenario';
import { simulate, type SimulationEvent, type SimulationResult } from '../../sim/simulate';
import { scenarioProblems } from './support';

const STORE = 'arn:aws:cloudfront::123456789012:key-value-store/327284aa-bcd5-499f-a3ff-26b9a9d31b58';
const OFFICE = '203.0.113.0/28';
const PARTNER = '198.51.100.0/24';

const edgeCanary = (): Record<string, any> => JSON.parse(readFileSync(join(SCENARIO_DIRECTORY, 'edge-canary.json'), 'utf8'));

async function run(document: Record<string, any>, name: string, seed?: number): Promise<{ result: SimulationResult; events: SimulationEvent[] }> {
  const events: SimulationEvent[] = [];
  const result = await simulate(parseScenario(document, name), { ...(seed === undefined ? {} : { seed }), onEvent: (e) => void events.push(e) });
  return { result, events };
}

const analyses = (events: SimulationEvent[]) => events.filter((e): e is Extract<SimulationEvent, { type: 'analyzed' }> => e.type === 'analyzed');

describe('edge-canary: a cloudfront-kvs rollout through the edge function', () => {
  let promoted: { result: SimulationResult; events: SimulationEvent[] };
  beforeAll(async () => {
    promoted = await run(edgeCanary(), 'edge-canary');
  });

  it('promotes through 5, 25 and 50 %, each step waiting for the edge, in the transitions the plan predicts', () => {
    const { result } = promoted;
    const scenario = builtInScenario('edge-canary');
    expect(result).toMatchObject({ outcome: 'promoted', finalWeight: 100, error: null, retries: 0 });
    expect(result.steps.map((s) => [s.weight, s.verdict, s.shiftedAtSeconds, s.endedAtSeconds])).toEqual([
      [5, 'pass', 0, 660],
      [25, 'pass', 660, 1320],
      [50, 'pass', 1320, 1980],
    ]);
    expect(result.simulatedSeconds).toBe(scenario.plan.nominalSeconds);
    expect(result.stateTransitions).toBe(scenario.plan.stateTransitions.nominal);
    expect(result.routing).toEqual({ weightsSet: [5, 25, 50, 100], weightsServed: [0, 5, 25, 50], problems: [] });
  });

  it('releases the lock, empties the blue pins and keeps the green ones at promotion', () => {
    expect(promoted.result.edge?.finalStore).toEqual({ green_percentage: '100', blue_cidrs: '[]', green_cidrs: JSON.stringify([OFFICE]) });
    expect(promoted.result.edge?.finalStore).not.toHaveProperty('coalmine_lock');
    // Once every edge has the promotion, every viewer is green, the partner's too.
    expect(promoted.result.edge?.finalColours).toEqual({ green: 2030, blue: 0 });
  });

  it('keeps cohorts sticky and monotonic: no viewer goes back from green to blue while the rollout promotes', async () => {
    expect(promoted.result.edge?.flips.greenToBlue).toBe(0);
    expect(promoted.result.edge?.flips.blueToGreen).toBeGreaterThan(900);
    for (const seed of [2, 3]) {
      const { result } = await run(edgeCanary(), 'edge-canary', seed);
      expect(result.outcome).toBe('promoted');
      expect(result.edge?.flips.greenToBlue).toBe(0);
    }
  });

  it('gives the canary about its weight of the requests in each step, plus the pinned office', () => {
    const edge = promoted.result.edge;
    expect(edge?.pinnedViewers).toEqual({ green: 10, blue: 20 });
    for (const analysis of analyses(promoted.events)) {
      const share = (100 * analysis.canary.requests) / (analysis.canary.requests + analysis.baseline.requests);
      // The office's 10 of 2,030 viewers are green at every step: about half a point on top of the weight.
      expect(share).toBeGreaterThan(analysis.weight - 2);
      expect(share).toBeLessThan(analysis.weight + 3);
    }
  });

  it('runs the function once per viewer per store state, not once per request', () => {
    const { result } = promoted;
    const edge = result.edge;
    // Before the rollout, preflight (lock, pins), three shifts, promotion.
    expect(edge?.storeStates).toBe(6);
    expect(edge?.functionRuns).toBe(6 * 2030);
    expect(result.canaryRequests + result.baselineRequests).toBeGreaterThan(10 * (edge?.functionRuns ?? 0));
  });

  it('bakes only on settled routing: with settleSeconds above the propagation delay no bake sees another weight', () => {
    const stale = analyses(promoted.events).map((a) => a.staleSeconds);
    expect(stale.length).toBeGreaterThan(3);
    expect(new Set(stale)).toEqual(new Set([0]));
  });

  it('without the settle wait, the first propagationSeconds of every bake are still routed by the previous weight', async () => {
    const document = edgeCanary();
    document.rollout.settleSeconds = 0;
    document.world.edge.propagationSeconds = 20;
    const { result, events } = await run(document, 'edge-no-settle');
    // Every look of a bake sees them: its window starts at the shift.
    const stale = analyses(events).map((a) => a.staleSeconds);
    expect(stale.length).toBeGreaterThan(3);
    expect(new Set(stale)).toEqual(new Set([20]));
    // Stale, but still only weights the rollout set: the invariant holds, the analysis is what suffers.
    expect(result.routing.problems).toEqual([]);
  });

  it('is deterministic for a seed', async () => {
    const again = await run(edgeCanary(), 'edge-canary');
    const { wallMilliseconds: _a, ...first } = promoted.result;
    const { wallMilliseconds: _b, ...second } = again.result;
    expect(second).toEqual(first);
  });
});

describe('edge-bad-canary', () => {
  it('without alarm events: the analysis rolls back at 25 % on the canary alarm (metrics by colour), clears the green pins and releases the lock', async () => {
    const result = await simulate(builtInScenario('edge-bad-canary'), { alarmEvents: false });
    expect(result).toMatchObject({ outcome: 'rolled_back', finalWeight: 0, error: 'CanaryAnalysisFailed' });
    expect(result.steps.map((s) => [s.weight, s.verdict])).toEqual([
      [5, 'pass'],
      [25, 'fail'],
    ]);
    expect(result.alarmTransitions.filter((t) => t.to === 'ALARM').map((t) => t.name)).toEqual(['storefront-5xx']);
    expect(result.routing).toMatchObject({ weightsSet: [5, 25, 0], problems: [] });
    expect(result.edge?.finalStore).toEqual({ green_percentage: '0', blue_cidrs: JSON.stringify([PARTNER]), green_cidrs: '[]' });
    expect(result.edge?.finalColours).toEqual({ green: 0, blue: 2030 });
    expect(result.reason).toMatch(/green_cidrs cleared\); lock released/);
  });

  it('as deployed: the alarm event rolls back a second after the alarm, and leaves the store, the pins and the lock as the analysis does', async () => {
    const polling = await simulate(builtInScenario('edge-bad-canary'), { alarmEvents: false });
    const pushed = await simulate(builtInScenario('edge-bad-canary'));
    expect(pushed).toMatchObject({ outcome: 'rolled_back', finalWeight: 0, error: 'AlarmRollback', rollbackLatencySeconds: 1 });
    expect(pushed.steps.map((s) => [s.weight, s.verdict])).toEqual([
      [5, 'pass'],
      [25, null],
    ]);
    expect(pushed.reason).toMatch(/^Alarm storefront-5xx went to ALARM at .* green_cidrs cleared\); lock released\. Rollback latency: 1000 ms/);
    expect(pushed.edge?.finalStore).toEqual(polling.edge?.finalStore);
    expect(pushed.edge?.finalColours).toEqual({ green: 0, blue: 2030 });
    expect(pushed.routing).toMatchObject({ weightsSet: [5, 25, 0], problems: [] });
    expect(pushed.canaryErrors).toBeLessThan(polling.canaryErrors);
  });
});

describe('other cloudfront-kvs worlds', () => {
  it('a blue canary moves green_percentage down from 100, and no viewer goes back from blue to green', async () => {
    const document = edgeCanary();
    document.rollout.target.stableAfterPromotion = 'blue';
    document.rollout.target.blueCidrs = [OFFICE];
    document.rollout.target.greenCidrs = [PARTNER];
    const { result } = await run(document, 'edge-blue-canary');
    expect(result).toMatchObject({ outcome: 'promoted', finalWeight: 100 });
    expect(result.routing).toEqual({ weightsSet: [5, 25, 50, 100], weightsServed: [0, 5, 25, 50], problems: [] });
    expect(result.edge?.finalStore).toEqual({ green_percentage: '0', blue_cidrs: JSON.stringify([OFFICE]), green_cidrs: '[]' });
    expect(result.edge?.flips.blueToGreen).toBe(0);
  });

  it('a lock left by another execution refuses the rollout before anything moves', async () => {
    const document = edgeCanary();
    const lock = JSON.stringify({ executionName: 'storefront-yesterday', since: '2030-01-06T17:00:00Z' });
    document.world.edge.store = { green_percentage: '0', blue_cidrs: '[]', green_cidrs: '[]', coalmine_lock: lock };
    const { result } = await run(document, 'edge-locked');
    expect(result).toMatchObject({ outcome: 'failed', error: 'RolloutInProgress', finalWeight: 0, steps: [], canaryRequests: 0 });
    expect(result.reason).toMatch(/locked by execution storefront-yesterday/);
    expect(result.edge?.finalStore.coalmine_lock).toBe(lock);
    expect(result.routing).toEqual({ weightsSet: [], weightsServed: [0], problems: [] });
  });

  it('a store without green_percentage: preflight writes 0 with the lock (a write the invariant accepts), then the rollout runs', async () => {
    const document = edgeCanary();
    document.world.edge.store = { blue_cidrs: '[]', green_cidrs: JSON.stringify([OFFICE]) };
    const { result } = await run(document, 'edge-incomplete-store');
    expect(result.outcome).toBe('promoted');
    expect(result.routing).toEqual({ weightsSet: [0, 5, 25, 50, 100], weightsServed: [0, 5, 25, 50], problems: [] });
  });
});

describe('the scenario file for a cloudfront-kvs target', () => {
  const problemsOf = (mutate: (scenario: Record<string, any>) => void): string[] => scenarioProblems(edgeCanary(), mutate);

  it.each([
    ['world.lambda on an edge target', (s: any) => (s.world.lambda = { currentVersion: '41' }), 'world.lambda: only for a lambda-alias target'],
    ['a network that is not a CIDR', (s: any) => (s.world.edge.networks[0].cidr = '203.0.113.300/28'), 'world.edge.networks[0].cidr: "203.0.113.300/28" is not a valid CIDR'],
    ['a negative propagation delay', (s: any) => (s.world.edge.propagationSeconds = -1), 'world.edge.propagationSeconds: must be >= 0'],
    ['no viewers', (s: any) => (s.world.edge.viewers = 0), 'world.edge.viewers: must be at least 1'],
    ['a misspelt edge field', (s: any) => (s.world.edge.propagation = 5), 'world.edge: unknown field "propagation"'],
  ])('rejects %s', (_case, mutate, message) => {
    expect(problemsOf(mutate)).toEqual(expect.arrayContaining([expect.stringContaining(message)]));
  });

  it('rejects world.edge on a lambda-alias target', () => {
    const healthy = JSON.parse(readFileSync(join(SCENARIO_DIRECTORY, 'healthy.json'), 'utf8'));
    healthy.world.edge = { propagationSeconds: 5 };
    expect(() => parseScenario(healthy, 'test')).toThrow(/world\.edge: only for a cloudfront-kvs target/);
  });

  it("docs/simulator.md's commented world.edge is valid", () => {
    const doc = readFileSync(join(__dirname, '..', '..', 'docs', 'simulator.md'), 'utf8');
    const blocks = [...doc.matchAll(/```jsonc\n([\s\S]*?)```/g)].map((m) => (m[1] ?? '').replace(/(^|\s)\/\/.*$/gm, '$1'));
    const edgeBlock = blocks.find((b) => b.includes('"propagationSeconds"')) ?? '{}';
    const document = edgeCanary();
    document.world.edge = JSON.parse(edgeBlock).edge;
    expect(parseScenario(document, 'docs-edge').world.edge).toMatchObject({ propagationSeconds: 5, viewers: 2000, networks: [{ name: 'office' }, { name: 'partner' }] });
  });

  it('takes the colours as what serves: blue before, green the canary (swapped for a blue canary)', () => {
    expect(parseScenario(edgeCanary(), 'test')).toMatchObject({ baselineVersion: 'blue', canaryVersion: 'green' });
    const blue = edgeCanary();
    blue.rollout.target.stableAfterPromotion = 'blue';
    expect(parseScenario(blue, 'test')).toMatchObject({ baselineVersion: 'green', canaryVersion: 'blue' });
  });
});

describe('edge-countries: country pins, and blue pins winning over green ones', () => {
  let result: SimulationResult;
  beforeAll(async () => {
    ({ result } = await run(JSON.parse(readFileSync(join(SCENARIO_DIRECTORY, 'edge-countries.json'), 'utf8')), 'edge-countries'));
  });

  it('promotes with every pinned viewer on its pinned colour in every store state the edge served', () => {
    expect(result).toMatchObject({ outcome: 'promoted', finalWeight: 100 });
    expect(result.routing).toMatchObject({ weightsSet: [5, 25, 50, 100], problems: [] });
  });

  it('counts the viewers pinned by country with those pinned by CIDR, and says what the CIDRs cover', () => {
    // About 5 % of 2,000 viewers in NZ are green; about 20 % in DE, the office (DE) and the partner network are blue.
    expect(result.edge?.pinnedViewers.green).toBeGreaterThan(70);
    expect(result.edge?.pinnedViewers.green).toBeLessThan(130);
    expect(result.edge?.pinnedViewers.blue).toBeGreaterThan(340);
    expect(result.edge?.pinnedViewers.blue).toBeLessThan(470);
    expect(result.edge?.pinShare).toEqual({ blue: { ipv4: 2 ** -24, ipv6: 0 }, green: { ipv4: 2 ** -28, ipv6: 0 } });
  });

  it('clears the blue country pins at promotion and keeps the green ones', () => {
    expect(result.edge?.finalStore).toMatchObject({ blue_countries: '[]', green_countries: '["NZ"]', blue_cidrs: '[]' });
  });
});

describe('green pins for everyone (the override)', () => {
  it('are refused without the override, before the simulation starts', () => {
    const problems = scenarioProblems(edgeCanary(), (document) => {
      document.rollout.target.greenCidrs = ['0.0.0.0/0', '::/0'];
    });
    expect(problems).toEqual([expect.stringContaining('target.greenCidrs: the green pins (the canary\'s colour) cover IPv4 100 %, IPv6 100 % of the address space')]);
  });

  it('with it, send every viewer to green from Preflight on, and the summary says so', async () => {
    const document = edgeCanary();
    document.rollout.target.greenCidrs = ['0.0.0.0/0', '::/0'];
    document.rollout.target.blueCidrs = [];
    document.rollout.override = { allowLargeGreenPins: true, reason: 'open beta' };
    const { result } = await run(document, 'everyone-green');
    expect(result.edge?.pinShare.green).toEqual({ ipv4: 1, ipv6: 1 });
    expect(result.edge?.pinnedViewers).toEqual({ green: 2030, blue: 0 });
  });
});

describe('EdgeNetwork', () => {
  const spec: EdgeSpec = {
    propagationSeconds: 5,
    viewers: 300,
    cookiePercent: 50,
    ipv6Percent: 30,
    networks: [{ name: 'office', cidr: OFFICE, viewers: 5 }],
    countries: {},
  };
  const items = (green: number) => ({ green_percentage: String(green), blue_cidrs: JSON.stringify([PARTNER]), green_cidrs: JSON.stringify([OFFICE]) });
  const viewers = createViewers(spec, createRandom(11));
  const network = () => new EdgeNetwork({ kvsArn: STORE, canary: 'green', service: 'storefront', propagationSeconds: 5, viewers }, items(0));

  it('draws a population with IPv6 viewers, cookies and the named networks', () => {
    expect(viewers).toHaveLength(305);
    expect(viewers.filter((v) => v.version === 6).length).toBeGreaterThan(60);
    expect(viewers.filter((v) => v.cookie !== undefined).length).toBeGreaterThan(120);
    expect(viewers.filter((v) => v.network === 'office').map((v) => v.ip.startsWith('203.0.113.'))).toEqual([true, true, true, true, true]);
  });

  it("gives each viewer exactly the colour the function stamps on that viewer's request", async () => {
    const edge = network();
    edge.storeChanged(STORE, items(30), 0);
    await edge.settled();
    const state = edge.stateAt(5000);
    const { handler } = loadEdgeFunction({ kvs: createKvs(items(30)) });
    for (const [i, viewer] of viewers.entries()) {
      const cookies: Record<string, string> = viewer.cookie === undefined ? {} : { [VIEWER_COOKIE]: viewer.cookie };
      const colour = await stampedColour(handler, viewerRequest({ ip: viewer.ip, cookies }));
      expect([i, state.colours[i] === COLOUR_CODE.green ? 'green' : 'blue']).toEqual([i, colour]);
    }
  });

  it('serves a store change only propagationSeconds after it is made', async () => {
    const edge = network();
    edge.storeChanged(STORE, items(50), 60_000);
    await edge.settled();
    expect(edge.nextChangeAfter(0)).toBe(65_000);
    expect(edge.stateAt(64_999).canaryWeight).toBe(0);
    expect(edge.stateAt(65_000).canaryWeight).toBe(50);
    expect(edge.nextChangeAfter(65_000)).toBe(Infinity);
  });

  it('fails safe as the function does: a store it cannot read sends everyone to blue, pinned viewers included', async () => {
    const edge = new EdgeNetwork(
      { kvsArn: STORE, canary: 'green', service: 'storefront', propagationSeconds: 5, viewers },
      { green_percentage: '50.5', blue_cidrs: '[]', green_cidrs: JSON.stringify([OFFICE]) },
    );
    await edge.settled();
    const state = edge.stateAt(0);
    expect(state.canaryWeight).toBe(0);
    expect(edge.colourCounts(state)).toEqual({ green: 0, blue: 305 });
    expect(edge.pinProblems(state)).toEqual([]);
  });

  it('ignores changes to other stores', () => {
    const edge = network();
    edge.storeChanged(`${STORE}x`, items(50), 0);
    expect(edge.states).toHaveLength(1);
  });

  it('gives viewers with countries the colour the function stamps: a blue pin (CIDR or country) beats a green one', async () => {
    const withCountries = createViewers(
      { ...spec, countries: { NZ: 30, DE: 30 }, networks: [{ name: 'office', cidr: OFFICE, viewers: 5, country: 'DE' }, { name: 'partner', cidr: PARTNER, viewers: 5, country: 'NZ' }] },
      createRandom(12),
    );
    const store = { ...items(0), blue_countries: '["DE"]', green_countries: '["NZ"]' };
    const edge = new EdgeNetwork({ kvsArn: STORE, canary: 'green', service: 'storefront', propagationSeconds: 5, viewers: withCountries }, store);
    await edge.settled();
    const state = edge.stateAt(0);
    expect(edge.pinProblems(state)).toEqual([]);
    const colourOf = (i: number) => (state.colours[i] === COLOUR_CODE.green ? 'green' : 'blue');
    const byKind = (pick: (v: (typeof withCountries)[number]) => boolean) => [...new Set(withCountries.flatMap((v, i) => (pick(v) ? [colourOf(i)] : [])))];
    expect(byKind((v) => v.network === undefined && v.country === 'NZ')).toEqual(['green']);
    expect(byKind((v) => v.network === undefined && v.country === 'DE')).toEqual(['blue']);
    expect(byKind((v) => v.network === undefined && v.country === undefined)).toEqual(['blue']);
    // The office is in green_cidrs but in DE; the partner is in NZ but in blue_cidrs: blue either way.
    expect(byKind((v) => v.network === 'office')).toEqual(['blue']);
    expect(byKind((v) => v.network === 'partner')).toEqual(['blue']);
    expect(edge.pinned(edge.pinsOf(state))).toEqual({
      green: withCountries.filter((v) => v.network === undefined && v.country === 'NZ').length,
      blue: withCountries.filter((v) => v.network !== undefined || v.country === 'DE').length,
    });
  });

  it('reports a pinned viewer served the other colour', async () => {
    const edge = network();
    await edge.settled();
    const state = edge.stateAt(0);
    expect(edge.pinProblems(state)).toEqual([]);
    const office = viewers.findIndex((v) => v.network === 'office');
    state.colours[office] = COLOUR_CODE.blue; // what a broken function would do
    expect(edge.pinProblems(state)).toEqual([
      expect.stringMatching(new RegExp(`^the edge sent viewer ${viewers[office]?.ip.replace(/\./g, '\\.')} \\(office\\) to blue under green_percentage "0", but the viewer is pinned by green_cidrs or green_countries$`)),
    ]);
  });
});
