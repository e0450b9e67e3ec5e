/**
 * Cost of the x-deployment CloudFront Function per request, in node, against an empty function
 * (one that only returns the request) loaded by the same harness in the same process.
 *
 * Node's JIT is not the CloudFront runtime, so absolute nanoseconds say little about the edge;
 * the ratio to the empty function and how it grows with the pin lists are what carry over.
 * Viewers (half IPv4, half IPv6, a quarter with the viewer cookie) match no pin, the worst case:
 * every entry of both lists is looked at, and those of the viewer's IP family are parsed.
 * Each case runs REPETITIONS times, interleaved with the others; the median is reported.
 *
 * Run: npx tsx bench/edge-function.ts
 */
import { readFileSync } from 'node:fs';
import { EDGE_FUNCTION_PATH, EdgeHandler, loadEdgeFunction, rolloutStore, viewerRequest, ViewerRequestEvent } from '../test/edge/harness';

const EMPTY_FUNCTION = `import cf from 'cloudfront';
const kvs = cf.kvs();
async function handler(event) { return event.request; }
`;

// Shows how much of the cost is the store access alone (three awaited reads through the harness).
const READS_ONLY_FUNCTION = `import cf from 'cloudfront';
const kvs = cf.kvs();
async function handler(event) {
  await kvs.get('blue_cidrs', { format: 'json' });
  await kvs.get('green_cidrs', { format: 'json' });
  await kvs.get('green_percentage', { format: 'string' });
  return event.request;
}
`;

const REPETITIONS = 9;
const REQUESTS_PER_REPETITION = 20_000;
const CIDR_COUNTS = [0, 10, 100];

/** Half IPv4, half IPv6, all outside the viewers' ranges so that nothing matches early. */
function pinList(count: number, salt: number): string[] {
  return Array.from({ length: count }, (_, i) =>
    i % 2 === 0 ? `100.${64 + ((i + salt) % 64)}.${i}.0/24` : `2001:db8:${(i + salt).toString(16)}::/48`,
  );
}

/** A mix of IPv4 and IPv6 viewers, some with the viewer cookie, built before timing starts. */
function viewerEvents(): ViewerRequestEvent[] {
  return Array.from({ length: 1024 }, (_, i) => {
    const ip = i % 2 === 0 ? `198.51.${(i >> 8) & 255}.${i & 255}` : `2a00:1450:${i.toString(16)}::${(i * 7).toString(16)}`;
    return viewerRequest({ ip, cookies: i % 4 === 0 ? { 'coalmine-viewer': `viewer-${i}` } : {} });
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

export async function benchEdgeFunction(): Promise<{
  rows: Array<{ case: string; nsPerRequest: number; ratioToEmpty: number }>;
  sizeBytes: number;
}> {
  const events = viewerEvents();
  const store = (count: number) =>
    rolloutStore({ greenPercentage: 50, blueCidrs: pinList(count, 0), greenCidrs: pinList(count, 1) }, { recordReads: false });
  const cases: Array<{ name: string; handler: EdgeHandler }> = [
    { name: 'empty function (baseline)', handler: loadEdgeFunction({ kvs: store(0), source: EMPTY_FUNCTION, filename: 'empty.js' }).handler },
    { name: 'three KVS reads, no logic', handler: loadEdgeFunction({ kvs: store(0), source: READS_ONLY_FUNCTION, filename: 'reads.js' }).handler },
    ...CIDR_COUNTS.map((count) => ({
      name: `x-deployment, ${count} CIDRs per pin list`,
      handler: loadEdgeFunction({ kvs: store(count) }).handler,
    })),
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
  return {
    rows: cases.map((c, i) => ({ case: c.name, nsPerRequest: Math.round(medians[i]!), ratioToEmpty: Number((medians[i]! / empty).toFixed(1)) })),
    sizeBytes: Buffer.byteLength(readFileSync(EDGE_FUNCTION_PATH, 'utf8'), 'utf8'),
  };
}

// Print a table only when run as a script, not when imported.
if (/edge-function\.[cm]?[jt]s$/.test(process.argv[1] ?? '')) {
  benchEdgeFunction().then(
    ({ rows, sizeBytes }) => {
      console.table(rows);
      console.log(`edge/x-deployment.js: ${sizeBytes} bytes (limit 10240)`);
    },
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
