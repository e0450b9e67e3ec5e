/**
 * Cost of the x-deployment CloudFront Function per request, in node, against an empty function
 * (one that only returns the request) loaded by the same harness in the same process. What runs is the
 * artefact serverless.yml deploys (scripts/edge-artefact.cjs).
 *
 * Node's JIT is not the CloudFront runtime, so absolute nanoseconds say little about the edge;
 * the ratio to the empty function and how it grows with the store are what carry over.
 * Viewers (half IPv4, half IPv6, a quarter with the viewer cookie, all with a cloudfront-viewer-country)
 * match no pin, the worst case: every entry of every list is looked at, and the CIDRs of the viewer's IP
 * family are parsed. The largest store is what 1 KB values allow: both CIDR lists and both country lists
 * filled to 1,024 bytes of JSON. Each case runs REPETITIONS times, interleaved with the others; the median
 * is reported.
 *
 * Run: npx tsx bench/edge-function.ts [--against FILE]
 *   --against FILE  also runs FILE (another version of the function, e.g. `git show REF:edge/x-deployment.js`)
 *                   on the same stores and viewers, in the same process, so that the two compare directly.
 */
import { readFileSync } from 'node:fs';
import { KVS_LIMITS } from '../shared/config/target-facts';
import { createKvs, EDGE_FUNCTION_PATH, loadEdgeFunction, readEdgeArtefact, viewerRequest, type EdgeHandler, type ViewerRequestEvent } from '../sim/edge-runtime';

const EMPTY_FUNCTION = `import cf from 'cloudfront';
const kvs = cf.kvs();
async function handler(event) { return event.request; }
`;

// Shows how much of the cost is the store access alone: the reads x-deployment.js makes on a store
// with every key (three gets, then an exists and a get for each optional key; country lists as text).
const READS_ONLY_FUNCTION = `import cf from 'cloudfront';
const kvs = cf.kvs();
async function handler(event) {
  await kvs.get('blue_cidrs', { format: 'json' });
  await kvs.get('green_cidrs', { format: 'json' });
  for (const key of ['blue_countries', 'green_countries']) if (await kvs.exists(key)) await kvs.get(key, { format: 'string' });
  await kvs.get('green_percentage', { format: 'string' });
  if (await kvs.exists('viewer_cookie')) await kvs.get('viewer_cookie', { format: 'string' });
  return event.request;
}
`;

const REPETITIONS = 9;
const REQUESTS_PER_REPETITION = 20_000;
/** The viewers' country, which no country pin names. */
const VIEWER_COUNTRY = 'US';

/** Entries from `make(i)` while the list's JSON stays within one KVS value; `count` caps it. */
function filled(make: (i: number) => string, count = Infinity): string[] {
  const list: string[] = [];
  while (list.length < count && Buffer.byteLength(JSON.stringify([...list, make(list.length)])) <= KVS_LIMITS.valueBytes) list.push(make(list.length));
  return list;
}

/** Half IPv4, half IPv6, all outside the viewers' ranges so that nothing matches early. */
const cidr = (salt: number) => (i: number): string =>
  i % 2 === 0 ? `100.${64 + ((i + salt) % 64)}.${i}.0/24` : `2001:db8:${(i + salt).toString(16)}::/48`;

/** Two capital letters, never the viewers' country (the edge compares codes only; validity is the request's business). */
const country = (salt: number) => (i: number): string => {
  const n = (i * 7 + salt) % 676;
  const code = String.fromCharCode(65 + Math.floor(n / 26), 65 + (n % 26));
  return code === VIEWER_COUNTRY ? 'ZZ' : code;
};

interface StoreShape {
  readonly cidrs: number;
  readonly countries: number;
  readonly viewerCookie?: 'use' | 'ignore';
}

function storeValues(shape: StoreShape): Record<string, string> {
  return {
    green_percentage: '50',
    blue_cidrs: JSON.stringify(filled(cidr(0), shape.cidrs)),
    green_cidrs: JSON.stringify(filled(cidr(1), shape.cidrs)),
    ...(shape.countries === 0
      ? {}
      : { blue_countries: JSON.stringify(filled(country(0), shape.countries)), green_countries: JSON.stringify(filled(country(1), shape.countries)) }),
    ...(shape.viewerCookie === undefined ? {} : { viewer_cookie: shape.viewerCookie }),
  };
}

/** A mix of IPv4 and IPv6 viewers, some with the viewer cookie, built before timing starts. */
function viewerEvents(): ViewerRequestEvent[] {
  return Array.from({ length: 1024 }, (_, i) => {
    const ip = i % 2 === 0 ? `198.51.${(i >> 8) & 255}.${i & 255}` : `2a00:1450:${i.toString(16)}::${(i * 7).toString(16)}`;
    return viewerRequest({
      ip,
      cookies: i % 4 === 0 ? { 'coalmine-viewer': `viewer-${i}` } : {},
      headers: { 'cloudfront-viewer-country': VIEWER_COUNTRY },
    });
  });
}

/**
 * CPU time of this process per request, in nanoseconds. CPU time rather than wall-clock time:
 * on a shared machine the process is descheduled for whole milliseconds at a time, which wall
 * time would charge to whichever case happened to be running.
 */
async function timeRequests(handler: EdgeHandler, events: ViewerRequestEvent[], count: number): Promise<number> {
  const start = process.cpuUsage();
  for (let i = 0; i < count; i++) await handler(events[i % events.length]!);
  const used = process.cpuUsage(start);
  return ((used.user + used.system) * 1000) / count;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The stores each version of the function runs on: a small store, then the largest 1 KB values allow. */
const STORES: ReadonlyArray<{ readonly name: string; readonly shape: StoreShape }> = [
  { name: 'no pins', shape: { cidrs: 0, countries: 0 } },
  { name: '10 CIDRs per list', shape: { cidrs: 10, countries: 0 } },
  { name: '1 KB CIDR lists, no country pins', shape: { cidrs: Infinity, countries: 0 } },
  { name: 'largest store (1 KB lists), viewer_cookie use', shape: { cidrs: Infinity, countries: Infinity, viewerCookie: 'use' } },
  { name: 'largest store (1 KB lists), viewer_cookie ignore', shape: { cidrs: Infinity, countries: Infinity, viewerCookie: 'ignore' } },
];

export async function benchEdgeFunction(options: { against?: { name: string; source: string } } = {}): Promise<{
  rows: Array<{ case: string; nsPerRequest: number; ratioToEmpty: number }>;
  sizeBytes: number;
  sourceBytes: number;
  largestStore: { cidrsPerList: number; countriesPerList: number };
}> {
  const events = viewerEvents();
  const store = (shape: StoreShape) => createKvs(storeValues(shape), { recordReads: false });
  const largest = STORES[STORES.length - 1]!.shape;
  const functions = [{ name: 'x-deployment', source: readEdgeArtefact() }, ...(options.against === undefined ? [] : [options.against])];
  const cases: Array<{ name: string; handler: EdgeHandler }> = [
    { name: 'empty function (baseline)', handler: loadEdgeFunction({ kvs: store(largest), source: EMPTY_FUNCTION, filename: 'empty.js' }).handler },
    { name: 'the KVS reads alone, largest store', handler: loadEdgeFunction({ kvs: store(largest), source: READS_ONLY_FUNCTION, filename: 'reads.js' }).handler },
    ...functions.flatMap((f) =>
      STORES.map(({ name, shape }) => ({ name: `${f.name}, ${name}`, handler: loadEdgeFunction({ kvs: store(shape), source: f.source, filename: `${f.name}.js` }).handler })),
    ),
  ];
  // Warm every case up before measuring any, so that the JIT has settled for all of them.
  for (const c of cases) await timeRequests(c.handler, events, REQUESTS_PER_REPETITION);
  const samples = cases.map(() => [] as number[]);
  // Cases interleave within each repetition so that drift in machine load spreads over all of them.
  for (let r = 0; r < REPETITIONS; r++) {
    for (const [i, c] of cases.entries()) samples[i]!.push(await timeRequests(c.handler, events, REQUESTS_PER_REPETITION));
  }
  const medians = samples.map(median);
  const empty = medians[0]!;
  const values = storeValues(largest);
  return {
    rows: cases.map((c, i) => ({ case: c.name, nsPerRequest: Math.round(medians[i]!), ratioToEmpty: Number((medians[i]! / empty).toFixed(1)) })),
    sizeBytes: Buffer.byteLength(readEdgeArtefact(), 'utf8'),
    sourceBytes: Buffer.byteLength(readFileSync(EDGE_FUNCTION_PATH, 'utf8'), 'utf8'),
    largestStore: {
      cidrsPerList: (JSON.parse(values.blue_cidrs!) as string[]).length,
      countriesPerList: (JSON.parse(values.blue_countries!) as string[]).length,
    },
  };
}

// Print a table only when run as a script, not when imported.
if (/edge-function\.[cm]?[jt]s$/.test(process.argv[1] ?? '')) {
  const at = process.argv.indexOf('--against');
  const file = at >= 0 ? process.argv[at + 1] : undefined;
  benchEdgeFunction(file === undefined ? {} : { against: { name: file, source: readFileSync(file, 'utf8') } }).then(
    ({ rows, sizeBytes, sourceBytes, largestStore }) => {
      console.table(rows);
      console.log(`edge/x-deployment.js: ${sizeBytes} bytes deployed (limit 10240), ${sourceBytes} bytes of commented source`);
      console.log(`largest store: ${largestStore.cidrsPerList} CIDRs and ${largestStore.countriesPerList} country codes per list`);
    },
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
