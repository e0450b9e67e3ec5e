// coalmine: stamps `x-deployment: blue|green` on every viewer request so that the mesh behind
// CloudFront can route on it. Runtime cloudfront-js-2.0, viewer-request event. See docs/edge.md.
//
// First match wins:
//   1. viewer IP in KVS `blue_cidrs`   -> blue   (e.g. keep the on-call team on stable)
//   2. viewer IP in KVS `green_cidrs`  -> green  (e.g. testers see the canary at 0 %)
//   3. bucket(viewer) < KVS `green_percentage` -> green, otherwise blue
// The viewer is the `coalmine-viewer` cookie when present, else the IP (its /64 for IPv6).
// A bucket never changes, so raising the percentage only adds viewers to green.
// Anything unexpected (missing key, malformed value, thrown error) gives blue: when the
// rollout state is unknown, the stable version is the only safe answer.
import cf from 'cloudfront';

const kvs = cf.kvs();

const HEADER = 'x-deployment';
const VIEWER_COOKIE = 'coalmine-viewer';
const BLUE = 'blue';
const GREEN = 'green';

// eslint-disable-next-line @typescript-eslint/no-unused-vars -- the runtime calls handler by name
async function handler(event) {
  let colour = BLUE;
  try {
    colour = await chooseColour(event);
    // eslint-disable-next-line @typescript-eslint/no-unused-vars -- runtime 2.0 documents only `catch (e)`
  } catch (e) {
    colour = BLUE;
  }
  const request = event.request;
  if (!request.headers) request.headers = {};
  // A fresh object also drops any multiValue list: a client never chooses its colour.
  delete request.headers[HEADER];
  request.headers[HEADER] = { value: colour };
  return request;
}

async function chooseColour(event) {
  // Every key is read before deciding, so a broken store sends everyone to blue, pinned
  // viewers included, instead of failing differently for different viewers.
  // Sequential awaits: Promise combinators cost function memory and gain nothing here.
  const blue = await readCidrs('blue_cidrs');
  const green = await readCidrs('green_cidrs');
  const percentage = await readPercentage();
  const ip = event.viewer.ip;
  const addr = parseViewerIp(ip);
  if (addr && matchesAny(blue, addr)) return BLUE;
  if (addr && matchesAny(green, addr)) return GREEN;
  return bucket(viewerKey(event.request, ip, addr)) < percentage ? GREEN : BLUE;
}

// kvs.get throws on a missing key; malformed values throw too. The handler turns both into blue.
async function readCidrs(key) {
  const list = await kvs.get(key, { format: 'json' });
  if (!Array.isArray(list)) throw new Error(key + ' is not a JSON array');
  return list;
}

async function readPercentage() {
  const text = String(await kvs.get('green_percentage', { format: 'string' })).trim();
  // Canonical integers 0..100 only: "50.5", "-5", "1e2" or "101" are not guesses to round.
  if (!/^(100|[1-9]?[0-9])$/.test(text)) throw new Error('green_percentage is malformed');
  return +text;
}

function viewerKey(request, ip, addr) {
  const cookie = request.cookies && request.cookies[VIEWER_COOKIE];
  if (cookie && typeof cookie.value === 'string' && cookie.value !== '') return 'c:' + cookie.value;
  // IPv6 privacy addresses rotate inside a /64, so the /64 is what stays with a household.
  if (addr && addr.length === 8) return 'n:' + addr.slice(0, 4).join(':');
  return 'i:' + ip;
}

// FNV-1a 32-bit, then the murmur3 finaliser: plain FNV leaves the low bits that `% 100`
// keeps poorly mixed for short, similar keys such as neighbouring IPs.
function bucket(key) {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = mul32(h ^ key.charCodeAt(i), 0x01000193);
  h = mul32(h ^ (h >>> 16), 0x85ebca6b);
  h = mul32(h ^ (h >>> 13), 0xc2b2ae35);
  return ((h ^ (h >>> 16)) >>> 0) % 100;
}

// a * b mod 2^32 with every intermediate exact in a double; the runtime documentation does not
// promise Math.imul, so this stays within ES 5.1.
function mul32(a, b) {
  return (((((a >>> 16) * b) & 0xffff) * 65536) + (a & 0xffff) * b) >>> 0;
}

function matchesAny(list, addr) {
  for (let i = 0; i < list.length; i++) {
    const cidr = parseCidr(list[i]);
    // A malformed entry is skipped: one typo must not disable every other pin.
    if (cidr && contains(cidr, addr)) return true;
  }
  return false;
}

// Addresses are arrays of 16-bit groups: 2 for IPv4, 8 for IPv6. Comparing groups keeps
// IPv6 out of BigInt and floating point entirely.
function contains(cidr, addr) {
  const net = cidr.net;
  if (net.length !== addr.length) return false;
  for (let i = 0, bits = cidr.bits; bits > 0; i++, bits -= 16) {
    const mask = bits >= 16 ? 0xffff : (0xffff << (16 - bits)) & 0xffff;
    if ((net[i] ^ addr[i]) & mask) return false;
  }
  return true;
}

// "10.0.0.0/8", "2001:db8::/32", or a bare address meaning a single host. Host bits set
// below the prefix are ignored, as most tools do.
function parseCidr(entry) {
  if (typeof entry !== 'string') return null;
  const text = entry.trim();
  const slash = text.indexOf('/');
  let net = parseAddress(slash < 0 ? text : text.slice(0, slash));
  if (!net) return null;
  const max = net.length * 16;
  let bits = max;
  if (slash >= 0) {
    const b = text.slice(slash + 1);
    if (!/^(0|[1-9][0-9]{0,2})$/.test(b) || +b > max) return null;
    bits = +b;
  }
  // ::ffff:a.b.c.d/n with n >= 96 names IPv4 viewers; a shorter IPv6 prefix such as ::/0
  // means "all IPv6" and does not reach into IPv4.
  if (bits >= 96 && isV4Mapped(net)) {
    net = [net[6], net[7]];
    bits -= 96;
  }
  return { net: net, bits: bits };
}

function parseViewerIp(ip) {
  if (typeof ip !== 'string') return null;
  const addr = parseAddress(ip);
  return addr && isV4Mapped(addr) ? [addr[6], addr[7]] : addr;
}

function isV4Mapped(g) {
  return g.length === 8 && g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 &&
    g[5] === 0xffff;
}

function parseAddress(text) {
  return text.indexOf(':') < 0 ? parseV4(text) : parseV6(text);
}

function parseV4(text) {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  const b = [];
  for (let i = 0; i < 4; i++) {
    // No leading zeros: "010" is octal 8 to some tools and decimal 10 to others.
    if (!/^(0|[1-9][0-9]{0,2})$/.test(parts[i]) || +parts[i] > 255) return null;
    b.push(+parts[i]);
  }
  return [b[0] * 256 + b[1], b[2] * 256 + b[3]];
}

function parseV6(text) {
  const gap = text.indexOf('::');
  if (gap < 0) {
    const all = v6Groups(text, true);
    return all && all.length === 8 ? all : null;
  }
  if (text.indexOf('::', gap + 1) >= 0) return null;
  const head = v6Groups(text.slice(0, gap), false);
  const tail = v6Groups(text.slice(gap + 2), true);
  // "::" stands for at least one group of zeros.
  if (!head || !tail || head.length + tail.length > 7) return null;
  while (head.length + tail.length < 8) head.push(0);
  return head.concat(tail);
}

// Colon-separated hex groups; the last group of an address may be dotted IPv4 (::ffff:1.2.3.4).
function v6Groups(text, isLast) {
  if (text === '') return [];
  const parts = text.split(':');
  const out = [];
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i];
    if (isLast && i === parts.length - 1 && p.indexOf('.') >= 0) {
      const v4 = parseV4(p);
      if (!v4) return null;
      out.push(v4[0], v4[1]);
    } else if (/^[0-9a-fA-F]{1,4}$/.test(p)) {
      out.push(parseInt(p, 16));
    } else {
      return null;
    }
  }
  return out;
}
