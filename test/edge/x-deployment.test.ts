import {
  createKvs,
  EdgeHandler,
  FakeKvs,
  loadEdgeFunction,
  readEdgeArtefact,
  readEdgeSource,
  rolloutStore,
  stampedColour,
  viewerRequest,
  ViewerRequestEvent,
} from './harness';
import { COUNTRY_LIST, readCountryList } from '../../shared/net/countries';

type Colour = 'blue' | 'green';

function handlerFor(kvs: FakeKvs): EdgeHandler {
  return loadEdgeFunction({ kvs }).handler;
}

/** One loaded function whose store the tests move from step to step, as the rollout does. */
const rollout = rolloutStore({ greenPercentage: 0, blueCidrs: [], greenCidrs: [] });
const rolloutHandler = handlerFor(rollout);

async function colourAt(percentage: number, event: () => ViewerRequestEvent): Promise<string | undefined> {
  rollout.set('green_percentage', String(percentage));
  return stampedColour(rolloutHandler, event());
}

/** The viewer's bucket, found through the handler alone: the smallest percentage that makes it green, minus one. */
async function bucketOf(event: () => ViewerRequestEvent): Promise<number> {
  let low = 1;
  let high = 100; // green at 100 always
  while (low < high) {
    const mid = (low + high) >> 1;
    if ((await colourAt(mid, event)) === 'green') high = mid;
    else low = mid + 1;
  }
  return low - 1;
}

/** A small deterministic generator, so populations (and therefore results) are the same on every run. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function hex16(random: () => number): string {
  return Math.floor(random() * 0x10000).toString(16);
}

type Population = { name: string; viewers: Array<() => ViewerRequestEvent> };

function populations(size: number): Population[] {
  const random = seededRandom(42);
  const ipv4: Array<() => ViewerRequestEvent> = [];
  const ipv6: Array<() => ViewerRequestEvent> = [];
  const cookies: Array<() => ViewerRequestEvent> = [];
  for (let i = 0; i < size; i++) {
    // Neighbouring addresses are the hard case for a weak hash.
    const ip = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
    ipv4.push(() => viewerRequest({ ip }));
    const ip6 = `2001:db8:${hex16(random)}:${hex16(random)}::${hex16(random)}`;
    ipv6.push(() => viewerRequest({ ip: ip6 }));
    const id = Array.from({ length: 4 }, () => Math.floor(random() * 2 ** 32).toString(16).padStart(8, '0')).join('-');
    cookies.push(() => viewerRequest({ ip: '203.0.113.10', cookies: { 'coalmine-viewer': id } }));
  }
  return [
    { name: 'sequential IPv4 addresses', viewers: ipv4 },
    { name: 'random IPv6 /64s', viewers: ipv6 },
    { name: 'random viewer cookies behind one IP', viewers: cookies },
  ];
}

describe('CIDR matching (viewer in green_cidrs at 0 %: green means the CIDR matched)', () => {
  async function matches(cidrs: unknown[], ip: string): Promise<boolean> {
    const handler = handlerFor(rolloutStore({ greenPercentage: 0, blueCidrs: [], greenCidrs: cidrs }));
    return (await stampedColour(handler, viewerRequest({ ip }))) === 'green';
  }

  it.each([
    // IPv4
    ['10.0.0.0/8', '10.255.255.255', true],
    ['10.0.0.0/8', '11.0.0.0', false],
    ['192.168.1.0/24', '192.168.1.77', true],
    ['192.168.1.0/24', '192.168.2.1', false],
    ['192.168.1.128/25', '192.168.1.128', true],
    ['192.168.1.128/25', '192.168.1.127', false],
    ['172.16.0.0/12', '172.31.255.255', true],
    ['172.16.0.0/12', '172.32.0.0', false],
    ['0.0.0.0/0', '203.0.113.9', true],
    ['0.0.0.0/0', '2001:db8::1', false],
    ['203.0.113.9/32', '203.0.113.9', true],
    ['203.0.113.9/32', '203.0.113.8', false],
    ['203.0.113.9', '203.0.113.9', true],
    ['203.0.113.9', '203.0.113.10', false],
    ['10.1.2.3/8', '10.9.9.9', true],
    [' 198.51.100.0/24 ', '198.51.100.1', true],
    // IPv6
    ['2001:db8::/32', '2001:db8:ffff::1', true],
    ['2001:db8::/32', '2001:db9::1', false],
    ['2001:DB8::/32', '2001:db8::1', true],
    ['2001:db8::/33', '2001:db8:7fff::1', true],
    ['2001:db8::/33', '2001:db8:8000::1', false],
    ['fe80::/10', 'febf::1', true],
    ['fe80::/10', 'fec0::1', false],
    ['2001:db8:abcd:12::/64', '2001:db8:abcd:12:ffff:ffff:ffff:ffff', true],
    ['2001:db8:abcd:12::/64', '2001:db8:abcd:13::', false],
    ['2001:db8::1/128', '2001:0db8:0000:0000:0000:0000:0000:0001', true],
    ['2001:db8:0:0:0:0:0:1/128', '2001:db8::1', true],
    ['2001:db8::1/128', '2001:db8::2', false],
    ['2001:db8::1', '2001:db8::1', true],
    ['::1/128', '::1', true],
    ['::/128', '::', true],
    ['1::/16', '1:2:3:4:5:6:7:8', true],
    ['::/0', '2001:db8::1', true],
    ['::/0', '203.0.113.9', false],
    // IPv4-mapped IPv6: /96 and longer name IPv4 viewers; the viewer's mapped form counts as IPv4.
    ['::ffff:192.0.2.0/120', '192.0.2.200', true],
    ['::ffff:192.0.2.0/120', '192.0.3.1', false],
    ['::ffff:0:0/96', '8.8.8.8', true],
    ['::ffff:c000:200/120', '192.0.2.9', true],
    ['192.0.2.0/24', '::ffff:192.0.2.1', true],
    ['192.0.2.0/24', '::ffff:c000:201', true],
    ['192.0.2.0/24', '0:0:0:0:0:ffff:192.0.2.1', true],
    ['::/0', '::ffff:192.0.2.1', false],
    ['::/64', '192.0.2.1', false],
  ])('%s contains %s: %s', async (cidr, ip, expected) => {
    expect(await matches([cidr], ip)).toBe(expected);
  });

  // Each entry would match the viewer if it were read leniently; it must be ignored instead.
  it.each([
    ['prefix above 32', '10.0.0.0/33', '10.0.0.1'],
    ['prefix above 128', '2001:db8::/129', '2001:db8::1'],
    ['negative prefix', '10.0.0.0/-1', '10.0.0.1'],
    ['empty prefix', '10.0.0.0/', '10.0.0.1'],
    ['prefix with leading zero', '10.0.0.0/08', '10.0.0.1'],
    ['two prefixes', '10.0.0.0/8/8', '10.0.0.1'],
    ['three octets', '10.0.0/8', '10.0.0.1'],
    ['five octets', '10.0.0.0.0/8', '10.0.0.1'],
    ['octet above 255', '256.0.0.0/0', '10.0.0.1'],
    ['octet with leading zero', '010.0.0.0/8', '10.0.0.1'],
    ['empty octet', '10..0.0/8', '10.0.0.1'],
    ['triple colon', '2001:db8:::/32', '2001:db8::1'],
    ['two gaps', '2001::db8::/32', '2001:0:db8::1'],
    ['group of five digits', '12345::/16', '1234::1'],
    ['non-hex group', 'gggg::/0', '2001:db8::1'],
    ['leading single colon', ':2001:db8::/32', '2001:db8::1'],
    ['trailing single colon', '2001:db8:0:0:0:0:0:1:/128', '2001:db8::1'],
    ['nine groups', '1:2:3:4:5:6:7:8:9/128', '1:2:3:4:5:6:7:8'],
    ['seven groups, no gap', '1:2:3:4:5:6:7/112', '1:2:3:4:5:6:7::'],
    ['gap with eight groups', '1:2:3:4::5:6:7:8/128', '1:2:3:4:5:6:7:8'],
    ['dotted quad not last', '::1.2.3.4:0/128', '::102:304:0'],
    ['zone id', 'fe80::1%eth0/64', 'fe80::1'],
    ['brackets', '[2001:db8::]/32', '2001:db8::1'],
    ['words', 'office', '10.0.0.1'],
    ['empty string', '', '10.0.0.1'],
    ['number', 167772160, '10.0.0.0'],
    ['null', null, '10.0.0.1'],
    ['object', { cidr: '10.0.0.0/8' }, '10.0.0.1'],
    ['nested list', ['10.0.0.0/8'], '10.0.0.1'],
  ])('ignores a malformed entry (%s: %p)', async (_label, entry, ip) => {
    expect(await matches([entry], ip)).toBe(false);
    // ...without disabling the entries after it.
    expect(await matches([entry, '0.0.0.0/0', '::/0'], ip)).toBe(true);
  });

  it.each([
    ['not an address', 'not-an-ip'],
    ['empty', ''],
    ['three octets', '10.0.0'],
    ['octet above 255', '10.0.0.256'],
    ['non-hex IPv6 group', '2001:db8::g'],
    ['bad mapped IPv4', '::ffff:999.1.1.1'],
    ['trailing space', '10.0.0.1 '],
    ['with port', '10.0.0.1:443'],
  ])('a malformed viewer IP (%s) matches no pin but still gets a colour', async (_label, ip) => {
    const pinnedEverywhere = { blueCidrs: [], greenCidrs: ['0.0.0.0/0', '::/0'] };
    expect(await stampedColour(handlerFor(rolloutStore({ greenPercentage: 0, ...pinnedEverywhere })), viewerRequest({ ip }))).toBe('blue');
    expect(await stampedColour(handlerFor(rolloutStore({ greenPercentage: 100, ...pinnedEverywhere })), viewerRequest({ ip }))).toBe('green');
  });
});

describe('precedence: blue pin, then green pin, then percentage', () => {
  const office = '198.51.100.0/24';
  const inOffice = '198.51.100.20';
  const elsewhere = '203.0.113.20';

  it.each<[string, string[], string[], number, string, Record<string, string>, Colour]>([
    ['in both pin lists at 100 %', [office], [office], 100, inOffice, {}, 'blue'],
    ['blue pin at 100 %', [office], [], 100, inOffice, {}, 'blue'],
    ['blue pin beats a viewer cookie at 100 %', [office], [], 100, inOffice, { 'coalmine-viewer': 'abc' }, 'blue'],
    ['green pin at 0 %', [], [office], 0, inOffice, {}, 'green'],
    ['green pin beats a viewer cookie at 0 %', [], [office], 0, inOffice, { 'coalmine-viewer': 'abc' }, 'green'],
    ['no pin at 0 %', [office], [office], 0, elsewhere, {}, 'blue'],
    ['no pin at 100 %', [office], [office], 100, elsewhere, {}, 'green'],
  ])('%s', async (_label, blueCidrs, greenCidrs, greenPercentage, ip, cookies, expected) => {
    const handler = handlerFor(rolloutStore({ greenPercentage, blueCidrs, greenCidrs }));
    expect(await stampedColour(handler, viewerRequest({ ip, cookies }))).toBe(expected);
  });
});

describe('country pins (cloudfront-viewer-country)', () => {
  const office = '198.51.100.0/24';
  const inOffice = '198.51.100.20';
  const elsewhere = '203.0.113.20';

  it.each<[string, { blueCidrs?: string[]; greenCidrs?: string[]; blueCountries?: string[]; greenCountries?: string[] }, number, string, string | undefined, Colour]>([
    ['blue country at 100 %', { blueCountries: ['DE'] }, 100, elsewhere, 'DE', 'blue'],
    ['green country at 0 %', { greenCountries: ['NZ'] }, 0, elsewhere, 'NZ', 'green'],
    ['other country at 0 %', { greenCountries: ['NZ'] }, 0, elsewhere, 'AU', 'blue'],
    ['no country header at 0 %', { greenCountries: ['NZ'] }, 0, elsewhere, undefined, 'blue'],
    ['codes match exactly (lower case is another value)', { greenCountries: ['NZ'] }, 0, elsewhere, 'nz', 'blue'],
    ['in both country lists', { blueCountries: ['DE'], greenCountries: ['DE'] }, 100, elsewhere, 'DE', 'blue'],
    ['blue country beats a green CIDR', { blueCountries: ['DE'], greenCidrs: [office] }, 100, inOffice, 'DE', 'blue'],
    ['blue CIDR beats a green country', { blueCidrs: [office], greenCountries: ['DE'] }, 100, inOffice, 'DE', 'blue'],
    ['green country beats the percentage and a viewer cookie', { greenCountries: ['DE'] }, 0, elsewhere, 'DE', 'green'],
    ['an unknown code is skipped, the others apply', { greenCountries: ['XX', 'DE'] }, 0, elsewhere, 'DE', 'green'],
    ['a header that is not a code matches nothing', { greenCountries: ['NZ', 'DE'] }, 0, elsewhere, 'NZ","DE', 'blue'],
  ])('%s', async (_label, pins, greenPercentage, ip, country, expected) => {
    const values: Record<string, string> = {
      green_percentage: String(greenPercentage),
      blue_cidrs: JSON.stringify(pins.blueCidrs ?? []),
      green_cidrs: JSON.stringify(pins.greenCidrs ?? []),
    };
    if (pins.blueCountries) values.blue_countries = JSON.stringify(pins.blueCountries);
    if (pins.greenCountries) values.green_countries = JSON.stringify(pins.greenCountries);
    const headers: Record<string, string> = country === undefined ? {} : { 'CloudFront-Viewer-Country': country };
    const event = viewerRequest({ ip, headers, cookies: { 'coalmine-viewer': 'abc' } });
    expect(await stampedColour(handlerFor(createKvs(values)), event)).toBe(expected);
  });
});

describe('country lists are read as text, as shared/net/countries.ts reads them', () => {
  const good = { green_percentage: '0', blue_cidrs: '[]', green_cidrs: '[]' };

  it('checks them with the same expression as Preflight and the simulator', () => {
    const inArtefact = /COUNTRY_LIST=(\/.*?\/);/.exec(readEdgeArtefact())?.[1];
    expect(inArtefact).toBe(String(COUNTRY_LIST));
  });

  it.each([
    '[]',
    ' [ ] ',
    '["NZ"]',
    '["AU", "NZ"]',
    '[\n  "AU",\n  "NZ"\n]\n',
    '["XX","NZ"]',
    '["NZA", "ANZ", "NZ"]',
    '["NZA", "ANZ"]',
    '["N Z"]',
    '',
    'NZ',
    '"NZ"',
    '["NZ",]',
    '["NZ" "AU"]',
    '["NZ", 42]',
    '[["NZ"]]',
    '["N\\u005a"]',
    '{"NZ": true}',
    '["NZ"] x',
    '\u00a0["NZ"]',
  ])('%j: the edge fails safe exactly when readCountryList refuses it, and pins NZ exactly when the list holds it', async (text) => {
    const handler = handlerFor(createKvs({ ...good, green_countries: text }));
    const colour = await stampedColour(handler, viewerRequest({ ip: '203.0.113.20', headers: { 'cloudfront-viewer-country': 'NZ' } }));
    const list = readCountryList(text);
    expect(colour).toBe(list !== null && list.includes('NZ') ? 'green' : 'blue');
    if (list === null) {
      // Malformed: everyone is blue, a viewer the percentage would send green too.
      const all = handlerFor(createKvs({ ...good, green_percentage: '100', green_countries: text }));
      expect(await stampedColour(all, viewerRequest({ ip: '203.0.113.20' }))).toBe('blue');
    }
  });
});

describe('the client never chooses its colour', () => {
  it.each([
    ['a working store at 0 %', rolloutStore({ greenPercentage: 0, blueCidrs: [], greenCidrs: [] })],
    ['an empty store', createKvs({})],
  ])('replaces a spoofed x-deployment: green with blue (%s)', async (_label, kvs) => {
    const event = viewerRequest({ headers: { 'X-Deployment': 'green' } });
    event.request.headers['x-deployment'] = { value: 'green', multiValue: [{ value: 'green' }, { value: 'green' }] };
    const request = await handlerFor(kvs)(event);
    expect(request.headers['x-deployment']).toEqual({ value: 'blue' });
    expect(request.headers.host).toEqual({ value: 'www.example.com' });
  });

  it('replaces a spoofed x-deployment: blue with green for a green viewer', async () => {
    const handler = handlerFor(rolloutStore({ greenPercentage: 100, blueCidrs: [], greenCidrs: [] }));
    expect(await stampedColour(handler, viewerRequest({ headers: { 'x-deployment': 'blue' } }))).toBe('green');
  });

  it('stamps a request that came with no headers object', async () => {
    const event = viewerRequest();
    delete (event.request as Partial<typeof event.request>).headers;
    const request = await handlerFor(rolloutStore({ greenPercentage: 100, blueCidrs: [], greenCidrs: [] }))(event);
    expect(request.headers['x-deployment']).toEqual({ value: 'green' });
  });
});

describe('fail safe: a missing or malformed KVS value sends everyone to blue', () => {
  // The viewer is pinned green and the percentage is 100: only a broken store can make it blue.
  const good = { green_percentage: '100', blue_cidrs: '[]', green_cidrs: '["198.51.100.0/24"]' };

  it('is green with the healthy store (control)', async () => {
    expect(await stampedColour(handlerFor(createKvs(good)), viewerRequest({ ip: '198.51.100.1' }))).toBe('green');
  });

  it.each<[string, Partial<Record<keyof typeof good | 'blue_countries' | 'green_countries' | 'viewer_cookie', string | undefined>>]>([
    ['green_percentage missing', { green_percentage: undefined }],
    ['blue_cidrs missing', { blue_cidrs: undefined }],
    ['green_cidrs missing', { green_cidrs: undefined }],
    ['every key missing', { green_percentage: undefined, blue_cidrs: undefined, green_cidrs: undefined }],
    ['blue_cidrs not JSON', { blue_cidrs: '10.0.0.0/8' }],
    ['blue_cidrs a JSON object', { blue_cidrs: '{"cidrs":[]}' }],
    ['blue_cidrs a JSON string', { blue_cidrs: '"10.0.0.0/8"' }],
    ['blue_cidrs null', { blue_cidrs: 'null' }],
    ['green_cidrs not JSON', { green_cidrs: '[198.51.100.0/24]' }],
    ['green_cidrs a number', { green_cidrs: '42' }],
    ['green_cidrs empty text', { green_cidrs: '' }],
    ['green_percentage not a number', { green_percentage: 'abc' }],
    ['green_percentage empty', { green_percentage: '' }],
    ['green_percentage JSON null', { green_percentage: 'null' }],
    ['blue_countries not JSON', { blue_countries: 'DE' }],
    ['green_countries a JSON object', { green_countries: '{"DE":true}' }],
    ['viewer_cookie neither "use" nor "ignore"', { viewer_cookie: 'off' }],
  ])('%s', async (_label, change) => {
    const values: Record<string, string> = {};
    for (const [key, value] of Object.entries({ ...good, ...change })) if (value !== undefined) values[key] = value;
    const kvs = createKvs(values);
    expect(await stampedColour(handlerFor(kvs), viewerRequest({ ip: '198.51.100.1' }))).toBe('blue');
  });

  it('is blue when the store fails in an unexpected way', async () => {
    const failing: FakeKvs = {
      ...createKvs(good),
      lookup() {
        throw new TypeError('edge cache unavailable');
      },
    };
    expect(await stampedColour(handlerFor(failing), viewerRequest({ ip: '198.51.100.1' }))).toBe('blue');
  });

  it('is blue, without throwing, on a distribution with no store associated (cf.kvs() throws)', async () => {
    const { handler, kvsIds } = loadEdgeFunction({ kvs: null });
    expect(await stampedColour(handler, viewerRequest({ ip: '198.51.100.1' }))).toBe('blue');
    expect(await stampedColour(handler, viewerRequest({ ip: '198.51.100.1' }))).toBe('blue');
    expect(kvsIds).toEqual([undefined, undefined]);
  });

  // Without a viewer there is nobody to route: blue. With one, its pin still applies (green here).
  it.each<[string, unknown, Colour]>([
    ['{}', {}, 'blue'],
    ['null', null, 'blue'],
    ['undefined', undefined, 'blue'],
    ['a request that is a string', { viewer: { ip: '198.51.100.1' }, request: 'GET /' }, 'green'],
    ['headers that are a string', { viewer: { ip: '198.51.100.1' }, request: { headers: 'x' } }, 'green'],
  ])('never throws, and stamps a header, for the event %s', async (_label, event, colour) => {
    const handler = handlerFor(createKvs(good)) as (event: unknown) => Promise<{ headers: Record<string, unknown> }>;
    const request = await handler(event);
    expect(request.headers['x-deployment']).toEqual({ value: colour });
  });

  it('is blue, without throwing, for an event with no viewer', async () => {
    const event = viewerRequest();
    delete (event as Partial<ViewerRequestEvent>).viewer;
    expect(await stampedColour(handlerFor(createKvs(good)), event)).toBe('blue');
  });

  it('reads the three keys, one after another, and the optional ones only where they exist', async () => {
    const kvs = createKvs(good);
    await handlerFor(kvs)(viewerRequest());
    expect(kvs.reads).toEqual(['blue_cidrs', 'green_cidrs', 'green_percentage']);
    const full = createKvs({ ...good, blue_countries: '[]', green_countries: '[]', viewer_cookie: 'use' });
    await handlerFor(full)(viewerRequest());
    expect(full.reads).toEqual(['blue_cidrs', 'green_cidrs', 'blue_countries', 'green_countries', 'green_percentage', 'viewer_cookie']);
  });

  it('a store without the country keys or viewer_cookie (written before they existed) still routes', async () => {
    expect(await stampedColour(handlerFor(createKvs(good)), viewerRequest({ ip: '198.51.100.1', headers: { 'cloudfront-viewer-country': 'DE' } }))).toBe('green');
  });
});

describe('green_percentage values', () => {
  const viewers = populations(300).flatMap((p) => p.viewers);

  async function greenShare(value: string): Promise<number> {
    const handler = handlerFor(rolloutStore({ greenPercentage: value, blueCidrs: [], greenCidrs: [] }));
    let green = 0;
    for (const viewer of viewers) if ((await stampedColour(handler, viewer())) === 'green') green += 1;
    return green / viewers.length;
  }

  it.each([
    ['0', 0],
    ['100', 1],
    [' 50\n', 0.5], // whitespace around a canonical integer is tolerated
    ['-5', 0],
    ['abc', 0],
    ['101', 0],
    ['50.5', 0],
    ['1e2', 0],
    ['0x32', 0],
    ['050', 0],
    ['+50', 0],
  ])('"%s" gives a green share of %p', async (value, expected) => {
    const share = await greenShare(value);
    if (expected === 0 || expected === 1) expect(share).toBe(expected);
    else expect(Math.abs(share - expected)).toBeLessThan(0.08);
  });
});

describe('sticky, monotonic, uniform cohorts', () => {
  const steps = [0, 1, 2, 5, 10, 25, 33, 50, 75, 90, 99, 100];

  it('a viewer green at one step stays green at every later step (2,400 viewers, 12 steps)', async () => {
    const viewers = populations(800).flatMap((p) => p.viewers);
    const greenCounts: number[] = [];
    for (const viewer of viewers) {
      let wasGreen = false;
      for (const [i, step] of steps.entries()) {
        const green = (await colourAt(step, viewer)) === 'green';
        if (wasGreen) expect(green).toBe(true);
        wasGreen = green;
        greenCounts[i] = (greenCounts[i] ?? 0) + (green ? 1 : 0);
      }
    }
    expect(greenCounts[0]).toBe(0);
    expect(greenCounts[steps.length - 1]).toBe(viewers.length);
  });

  it('the same viewer gets the same colour on every request', async () => {
    for (const viewer of populations(50).flatMap((p) => p.viewers)) {
      const first = await colourAt(50, viewer);
      for (let i = 0; i < 5; i++) expect(await colourAt(50, viewer)).toBe(first);
    }
  });

  // Buckets are found through the handler itself. The inputs are fixed, so the statistic is
  // too; the tolerances say how far from uniform we accept: chi-square over 100 buckets below
  // 148.2 (the 0.1 % critical value at 99 degrees of freedom), and each decile within
  // 1,000 ± 120 viewers (4 standard deviations of a binomial(10,000, 0.1)).
  it.each(populations(10_000).map((p) => [p.name, p] as const))(
    'buckets are uniform over 10,000 viewers: %s',
    async (_name, population) => {
      const counts = new Array<number>(100).fill(0);
      for (const viewer of population.viewers) {
        const b = await bucketOf(viewer);
        counts[b] = counts[b]! + 1;
      }
      const expected = population.viewers.length / 100;
      const chiSquare = counts.reduce((sum, n) => sum + (n - expected) ** 2 / expected, 0);
      expect(chiSquare).toBeLessThan(148.2);
      for (let d = 0; d < 10; d++) {
        const decile = counts.slice(d * 10, d * 10 + 10).reduce((a, b) => a + b, 0);
        expect(Math.abs(decile - 1000)).toBeLessThanOrEqual(120);
      }
    },
  );
});

describe('who the viewer is', () => {
  const addresses = Array.from({ length: 200 }, (_, i) => `203.0.${i >> 8}.${i & 255}`);

  it('a coalmine-viewer cookie keeps one colour across changing IPs; the IP alone does not', async () => {
    for (const percentage of [10, 50, 90]) {
      const withCookie = new Set<string | undefined>();
      const withoutCookie = new Set<string | undefined>();
      for (const ip of addresses) {
        withCookie.add(await colourAt(percentage, () => viewerRequest({ ip, cookies: { 'coalmine-viewer': 'u-7f3a' } })));
        withoutCookie.add(await colourAt(percentage, () => viewerRequest({ ip })));
      }
      expect(withCookie.size).toBe(1);
      expect(withoutCookie.size).toBe(2);
    }
  });

  it('other cookies and an empty coalmine-viewer cookie fall back to the IP', async () => {
    for (const ip of addresses.slice(0, 50)) {
      const byIp = await bucketOf(() => viewerRequest({ ip }));
      expect(await bucketOf(() => viewerRequest({ ip, cookies: { session: 'xyz', 'Coalmine-Viewer': 'abc' } }))).toBe(byIp);
      expect(await bucketOf(() => viewerRequest({ ip, cookies: { 'coalmine-viewer': '' } }))).toBe(byIp);
    }
  });

  it('an IPv4 viewer has one bucket however CloudFront writes its address (dotted, IPv4-mapped, mapped in hex)', async () => {
    for (const [a, b, c, d] of [[192, 0, 2, 1], [198, 51, 100, 7], [10, 0, 0, 255], [0, 0, 0, 0]] as const) {
      const hex = (x: number, y: number) => ((x << 8) | y).toString(16);
      const forms = [`${a}.${b}.${c}.${d}`, `::ffff:${a}.${b}.${c}.${d}`, `::ffff:${hex(a, b)}:${hex(c, d)}`, `0:0:0:0:0:FFFF:${hex(a, b)}:${hex(c, d)}`];
      const buckets = new Set<number>();
      for (const ip of forms) buckets.add(await bucketOf(() => viewerRequest({ ip })));
      expect(buckets.size).toBe(1);
    }
  });

  it('with viewer_cookie "ignore" the cookie is not read: a forged one cannot pick a colour', async () => {
    const values = { green_percentage: '50', blue_cidrs: '[]', green_cidrs: '[]' };
    const trusting = handlerFor(createKvs(values));
    const ignoring = handlerFor(createKvs({ ...values, viewer_cookie: 'ignore' }));
    const ip = '203.0.113.77';
    const byIp = await stampedColour(ignoring, viewerRequest({ ip }));
    const forged = new Set<string | undefined>();
    const honoured = new Set<string | undefined>();
    for (let i = 0; i < 64; i++) {
      const event = () => viewerRequest({ ip, cookies: { 'coalmine-viewer': `try-${i}` } });
      forged.add(await stampedColour(ignoring, event()));
      honoured.add(await stampedColour(trusting, event()));
    }
    expect(forged).toEqual(new Set([byIp]));
    expect(honoured).toEqual(new Set(['blue', 'green']));
    expect(await stampedColour(handlerFor(createKvs({ ...values, viewer_cookie: ' use ' })), viewerRequest({ ip }))).toBe(byIp);
  });

  it('IPv6 viewers keep their colour while their address changes inside one /64', async () => {
    const random = seededRandom(7);
    for (let i = 0; i < 50; i++) {
      const prefix = `2001:db8:${hex16(random)}:${hex16(random)}`;
      const first = await bucketOf(() => viewerRequest({ ip: `${prefix}::1` }));
      const rotated = `${prefix}:${hex16(random)}:${hex16(random)}:${hex16(random)}:${hex16(random)}`;
      expect(await bucketOf(() => viewerRequest({ ip: rotated }))).toBe(first);
    }
  });
});

describe('the source as deployed (cloudfront-js-2.0)', () => {
  const source = readEdgeSource();
  // Comments may mention anything; the checks below are about code.
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|\s)\/\/.*$/gm, '$1');

  it('deploys an artefact within the 10 KB function size limit: the source without comments and whitespace', () => {
    const artefact = readEdgeArtefact();
    expect(Buffer.byteLength(artefact, 'utf8')).toBeLessThanOrEqual(10 * 1024);
    expect(artefact).not.toMatch(/\/\/|\/\*/);
    // Names are kept: the runtime calls `handler`, and the reviewed code is the deployed one.
    expect(artefact).toMatch(/^import cf from"cloudfront";/);
    expect(artefact).toContain('async function handler(event){');
  });

  it('imports only cloudfront, takes the associated store with cf.kvs() inside its try, and defines a top-level async handler', () => {
    expect(code.match(/^[ \t]*import\b.*$/gm)).toEqual(["import cf from 'cloudfront';"]);
    expect(code).toMatch(/^let kvs = null;$/m);
    expect(code).toMatch(/^async function handler\(event\) \{$/m);
    const handlerBody = code.slice(code.indexOf('async function handler'), code.indexOf('\n}\n', code.indexOf('async function handler')));
    expect(handlerBody.indexOf('try {')).toBeLessThan(handlerBody.indexOf('cf.kvs()'));
  });

  it.each([
    ['Promise combinators', /Promise\.(all|any|race|allSettled)\b/],
    ['promise chains', /\.then\(|\.catch\(|\.finally\(/],
    ['network access', /\bfetch\b|XMLHttpRequest|WebSocket|\bconnect\s*\(/],
    ['require', /\brequire\s*\(/],
    ['dynamic import', /\bimport\s*\(/],
    ['export', /\bexport\b/],
    ['eval', /\beval\s*\(|new Function\b/],
    ['BigInt', /\bBigInt\b|\d+n\b/],
    ['syntax outside the documented runtime (classes, spread, ?., ??)', /\bclass\s|\.\.\.|\?\.|\?\?/],
    ['timers', /\bset(Timeout|Interval|Immediate)\b/],
  ])('uses no %s', (_label, pattern) => {
    expect(code).not.toMatch(pattern);
  });

  it('asks for the associated store (no KVS id in the code) once, on the first request', async () => {
    const { handler, kvsIds } = loadEdgeFunction({ kvs: createKvs({}) });
    expect(kvsIds).toEqual([]);
    await handler(viewerRequest());
    await handler(viewerRequest());
    expect(kvsIds).toEqual([undefined]);
  });
});
