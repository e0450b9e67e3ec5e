// coalmine: stamps `x-deployment: blue|green` on every viewer request for the mesh to route on.
// Runtime cloudfront-js-2.0, viewer-request. See docs/edge.md. First match wins:
//   1. viewer IP in KVS `blue_cidrs`, or country in `blue_countries`   -> blue
//   2. viewer IP in KVS `green_cidrs`, or country in `green_countries` -> green
//   3. bucket(viewer) < KVS `green_percentage` -> green, else blue
// The viewer is the `coalmine-viewer` cookie if present (unless `viewer_cookie` is "ignore"), else
// the normalised IP (the /64 for IPv6). A bucket never changes, so raising the percentage only
// adds viewers to green. Anything unexpected gives blue: when the rollout state is unknown,
// stable is the only safe answer.
import cf from 'cloudfront';

const HEADER = 'x-deployment';
const VIEWER_COOKIE = 'coalmine-viewer';
const COUNTRY = 'cloudfront-viewer-country';
const BLUE = 'blue';
const GREEN = 'green';
// A country list as text: a JSON array of strings without escapes (JSON's white space only). Checked
// by one regular expression and searched with indexOf, both native: JSON.parse of 200 two-letter
// strings costs more than the whole rest of the function. shared/net/countries.ts has the same one.
// eslint-disable-next-line no-control-regex -- a JSON string holds no raw control characters
const COUNTRY_LIST = /^[ \t\r\n]*\[[ \t\r\n]*(?:"[^"\\\x00-\x1f]*"[ \t\r\n]*(?:,[ \t\r\n]*"[^"\\\x00-\x1f]*"[ \t\r\n]*)*)?\][ \t\r\n]*$/;
const COUNTRY_CODE = /^[A-Z]{2}$/;

let kvs = null;

// eslint-disable-next-line @typescript-eslint/no-unused-vars -- called by the runtime
async function handler(event) {
  let request = event && event.request;
  if (!request || typeof request !== 'object') request = {};
  let colour = BLUE;
  try {
    // Inside the try: without an associated store, cf.kvs() throws, and every viewer gets blue.
    if (!kvs) kvs = cf.kvs();
    // All keys are read before deciding, so a broken store sends everyone to blue, pinned
    // viewers too. Sequential awaits: Promise combinators cost function memory for no gain.
    // kvs.get throws on a missing key; the checks below throw on a malformed value. The
    // country keys and viewer_cookie came later: a store without them has no country pins.
    const pins = {
      blue: list(await kvs.get('blue_cidrs', { format: 'json' })),
      green: list(await kvs.get('green_cidrs', { format: 'json' })),
      blueCountries: await countryList('blue_countries'),
      greenCountries: await countryList('green_countries'),
    };
    const percentage = percentageOf(await kvs.get('green_percentage', { format: 'string' }));
    const useCookie = cookieMode(await kvs.exists('viewer_cookie') ? await kvs.get('viewer_cookie', { format: 'string' }) : 'use');
    colour = chooseColour(event.viewer.ip, request, pins, percentage, useCookie);
    // eslint-disable-next-line @typescript-eslint/no-unused-vars -- the runtime documents `catch (e)`
  } catch (e) {
    colour = BLUE;
  }
  if (!request.headers || typeof request.headers !== 'object') request.headers = {};
  // A fresh object also drops any multiValue list: a client never chooses its colour.
  delete request.headers[HEADER];
  request.headers[HEADER] = { value: colour };
  return request;
}

function chooseColour(ip, request, pins, percentage, useCookie) {
  const addr = parseViewerIp(ip);
  const country = request.headers && request.headers[COUNTRY];
  const code = country && COUNTRY_CODE.test(country.value) ? country.value : null;
  if ((addr && matchesAny(pins.blue, addr)) || (code && listed(pins.blueCountries, code))) return BLUE;
  if ((addr && matchesAny(pins.green, addr)) || (code && listed(pins.greenCountries, code))) return GREEN;
  return bucket(viewerKey(request, ip, addr, useCookie)) < percentage ? GREEN : BLUE;
}

// Whether a checked country list holds the two-letter `code` as an entry: with a quote on either
// side it cannot be anything else. Searching for the code alone is many times faster than for it
// in quotes, a pattern whose first character occurs every few characters.
function listed(text, code) {
  for (let i = text.indexOf(code); i >= 0; i = text.indexOf(code, i + 1)) {
    if (text.charCodeAt(i - 1) === 34 && text.charCodeAt(i + 2) === 34) return true;
  }
  return false;
}

// The list's text; '' for a missing key (no country pins).
async function countryList(key) {
  if (!(await kvs.exists(key))) return '';
  const text = await kvs.get(key, { format: 'string' });
  if (!COUNTRY_LIST.test(text)) throw new Error(key + ' is malformed');
  return text;
}

function cookieMode(value) {
  const mode = String(value).trim();
  if (mode !== 'use' && mode !== 'ignore') throw new Error('viewer_cookie is malformed');
  return mode === 'use';
}

function list(value) {
  if (!Array.isArray(value)) throw new Error('a pin list must be a JSON array');
  return value;
}

function percentageOf(value) {
  // Canonical integers 0..100 only: "50.5", "-5", "1e2" or "101" are not guesses to round.
  const percentage = decimal(String(value).trim(), 0, 100);
  if (percentage < 0) throw new Error('green_percentage is malformed');
  return percentage;
}

function viewerKey(request, ip, addr, useCookie) {
  const cookie = useCookie && request.cookies && request.cookies[VIEWER_COOKIE];
  if (cookie && typeof cookie.value === 'string' && cookie.value !== '') return 'c:' + cookie.value;
  // IPv6 privacy addresses rotate inside a /64: the /64 is what stays with a household.
  if (addr && addr.length === 8) return 'n:' + addr[0] + ':' + addr[1] + ':' + addr[2] + ':' + addr[3];
  // The dotted quad rebuilt from the parsed address: 192.0.2.1, ::ffff:192.0.2.1 and
  // ::ffff:c000:201 are one viewer with one bucket.
  if (addr) return 'i:' + (addr[0] >> 8) + '.' + (addr[0] & 255) + '.' + (addr[1] >> 8) + '.' + (addr[1] & 255);
  return 'i:' + ip;
}

// FNV-1a 32-bit, then the murmur3 finaliser: plain FNV leaves the low bits that `% 100` keeps
// poorly mixed for short, similar keys such as neighbouring IPs.
function bucket(key) {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = mul32(h ^ key.charCodeAt(i), 0x01000193);
  h = mul32(h ^ (h >>> 16), 0x85ebca6b);
  h = mul32(h ^ (h >>> 13), 0xc2b2ae35);
  return ((h ^ (h >>> 16)) >>> 0) % 100;
}

// a * b mod 2^32, every intermediate exact in a double: the runtime docs do not promise Math.imul.
function mul32(a, b) {
  return (((((a >>> 16) * b) & 0xffff) * 65536) + (a & 0xffff) * b) >>> 0;
}

function matchesAny(list, addr) {
  const viewerIsV6 = addr.length === 8;
  for (let i = 0; i < list.length; i++) {
    // A malformed entry is skipped: one typo must not disable every other pin.
    if (typeof list[i] !== 'string') continue;
    const text = list[i].trim();
    // Skip without parsing what cannot match: an IPv4 CIDR never matches an IPv6 viewer, an
    // IPv6 CIDR matches an IPv4 viewer only in IPv4-mapped form, which starts "::" or "0".
    const first = text.charCodeAt(0);
    if (text.indexOf(':') < 0 ? viewerIsV6 : !viewerIsV6 && first !== 58 && first !== 48) continue;
    const cidr = parseCidr(text);
    if (cidr && contains(cidr, addr)) return true;
  }
  return false;
}

// Addresses are arrays of 16-bit groups, 2 for IPv4 and 8 for IPv6: no BigInt needed.
function contains(cidr, addr) {
  const net = cidr.net;
  if (net.length !== addr.length) return false;
  for (let i = 0, bits = cidr.bits; bits > 0; i++, bits -= 16) {
    const mask = bits >= 16 ? 0xffff : (0xffff << (16 - bits)) & 0xffff;
    if ((net[i] ^ addr[i]) & mask) return false;
  }
  return true;
}

// "10.0.0.0/8", "2001:db8::/32", or a bare address for one host. Host bits set below the
// prefix are ignored, as most tools do.
function parseCidr(text) {
  const slash = text.indexOf('/');
  let net = parseAddress(text, slash < 0 ? text.length : slash);
  if (!net) return null;
  let bits = slash < 0 ? net.length * 16 : decimal(text, slash + 1, net.length * 16);
  if (bits < 0) return null;
  // ::ffff:a.b.c.d/n with n >= 96 names IPv4 viewers; a shorter prefix such as ::/0 means
  // IPv6 only.
  if (bits >= 96 && isV4Mapped(net)) {
    net = [net[6], net[7]];
    bits -= 96;
  }
  return { net: net, bits: bits };
}

function parseViewerIp(ip) {
  if (typeof ip !== 'string') return null;
  const addr = parseAddress(ip, ip.length);
  return addr && isV4Mapped(addr) ? [addr[6], addr[7]] : addr;
}

function isV4Mapped(g) {
  return g.length === 8 && g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 &&
    g[5] === 0xffff;
}

// The parsers scan character codes in place (no split, slice or regular expressions): they
// run for every pin on every request. `end` excludes a "/prefix".
function parseAddress(text, end) {
  const colon = text.indexOf(':');
  return colon < 0 || colon >= end ? parseV4(text, 0, end) : parseV6(text, end);
}

// Dotted quad to two groups. No leading zeros: "010" is 8 to some tools and 10 to others.
function parseV4(text, start, end) {
  const out = [0, 0];
  let octets = 0, value = 0, digits = 0;
  for (let i = start; i <= end; i++) {
    const c = i < end ? text.charCodeAt(i) : 46; // the end closes the last octet
    if (c === 46) {
      if (digits === 0 || octets === 4) return null;
      out[octets >> 1] = out[octets >> 1] * 256 + value;
      octets++;
      value = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57 && !(digits > 0 && value === 0)) {
      value = value * 10 + c - 48;
      digits++;
      if (value > 255) return null;
    } else {
      return null;
    }
  }
  return octets === 4 ? out : null;
}

// Eight hex groups, or fewer with one "::" standing for at least one zero group; the last
// 32 bits may be a dotted quad (::ffff:192.0.2.1). No zone ids, no brackets.
function parseV6(text, end) {
  const groups = [];
  let gap = -1; // index in groups where "::" stands
  let i = 0;
  if (end > 1 && text.charCodeAt(0) === 58 && text.charCodeAt(1) === 58) {
    gap = 0;
    i = 2;
  }
  while (i < end) {
    let value = 0, digits = 0, j = i;
    for (; j < end && digits <= 4; j++) {
      const d = hexDigit(text.charCodeAt(j));
      if (d < 0) break;
      value = value * 16 + d;
      digits++;
    }
    if (j < end && text.charCodeAt(j) === 46) {
      const v4 = parseV4(text, i, end);
      if (!v4) return null;
      groups.push(v4[0], v4[1]);
      break;
    }
    if (digits === 0 || digits > 4) return null;
    groups.push(value);
    if (j === end) break;
    if (text.charCodeAt(j) !== 58) return null;
    if (j + 1 < end && text.charCodeAt(j + 1) === 58) {
      if (gap >= 0) return null;
      gap = groups.length;
      i = j + 2;
    } else {
      i = j + 1;
      if (i === end) return null; // a trailing single colon
    }
  }
  const found = groups.length;
  if (gap < 0) return found === 8 ? groups : null;
  if (found > 7) return null;
  while (groups.length < 8) groups.push(0);
  // Move the groups after "::" to the end; the zeros they leave behind are the gap.
  for (let k = found - 1; k >= gap; k--) {
    groups[k + 8 - found] = groups[k];
    groups[k] = 0;
  }
  return groups;
}

function hexDigit(c) {
  if (c >= 48 && c <= 57) return c - 48;
  const lower = c | 32; // folds A-F onto a-f
  return lower >= 97 && lower <= 102 ? lower - 87 : -1;
}

// text[start..] as a decimal 0..max without sign or leading zeros; -1 otherwise.
function decimal(text, start, max) {
  if (start >= text.length || (text.charCodeAt(start) === 48 && text.length - start > 1)) return -1;
  let value = 0;
  for (let i = start; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return -1;
    value = value * 10 + c - 48;
    if (value > max) return -1;
  }
  return value;
}
