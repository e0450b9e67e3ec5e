/**
 * CIDR parsing for the viewer pins of the edge function (KVS keys `blue_cidrs`, `green_cidrs`). It accepts
 * the forms edge/x-deployment.js reads, and no others: the edge skips an entry it cannot parse without a
 * word, so a pin that slipped through here would silently pin nobody. Pure: no I/O, no dependencies.
 *
 * Accepted: an IPv4 network `a.b.c.d/n` (n 0–32, octets without leading zeros), an IPv6 network `x:x::x/n`
 * (n 0–128, at most one `::`, an optional dotted-quad tail as in `::ffff:192.0.2.0/120`), or a bare
 * address meaning one host. Refused besides malformed text: host bits set below the prefix
 * (`10.0.0.1/8` is a typo for `10.0.0.0/8` or `10.0.0.1/32`), zone ids, brackets, white space.
 */

export type IpVersion = 4 | 6;

export interface Cidr {
  readonly version: IpVersion;
  /** The network address as an unsigned integer of 32 (IPv4) or 128 (IPv6) bits. */
  readonly network: bigint;
  readonly prefix: number;
}

export type CidrResult = { readonly ok: true; readonly cidr: Cidr } | { readonly ok: false; readonly reason: string };

const WIDTH: Record<IpVersion, number> = { 4: 32, 6: 128 };

class CidrSyntaxError extends Error {}

function fail(reason: string): never {
  throw new CidrSyntaxError(reason);
}

/** A decimal 0..max written without sign or leading zeros, as the edge reads prefixes and octets. */
function decimal(text: string, max: number, what: string): number {
  if (!/^(0|[1-9][0-9]*)$/.test(text)) {
    fail(text === '' ? `${what} is empty` : /^0[0-9]/.test(text) ? `${what} "${text}" has a leading zero` : `${what} "${text}" is not a decimal number`);
  }
  const value = Number(text);
  if (value > max) fail(`${what} ${text} is above ${max}`);
  return value;
}

function parseV4(text: string): bigint {
  const octets = text.split('.');
  if (octets.length !== 4) fail(`an IPv4 address has 4 dot-separated octets, "${text}" has ${octets.length}`);
  return octets.reduce((value, octet) => (value << 8n) | BigInt(decimal(octet, 255, 'octet')), 0n);
}

/** 16-bit groups of one side of "::"; a dotted IPv4 part may only end the whole address. */
function groupsOf(part: string, endsAddress: boolean): number[] {
  if (part === '') return [];
  const texts = part.split(':');
  return texts.flatMap((group, i) => {
    if (group.includes('.')) {
      if (!endsAddress || i !== texts.length - 1) fail('a dotted IPv4 part may only end an IPv6 address');
      const v4 = parseV4(group);
      return [Number(v4 >> 16n), Number(v4 & 0xffffn)];
    }
    if (group === '') fail('an empty group (a lone ":" at either end, or ":::")');
    if (!/^[0-9a-fA-F]{1,4}$/.test(group)) fail(`"${group}" is not a group of 1-4 hex digits`);
    return [parseInt(group, 16)];
  });
}

function parseV6(text: string): bigint {
  const halves = text.split('::');
  if (halves.length > 2) fail('"::" may appear only once');
  const gap = halves.length === 2;
  const head = groupsOf(halves[0] ?? '', !gap);
  const tail = gap ? groupsOf(halves[1] ?? '', true) : [];
  const count = head.length + tail.length;
  if (!gap && count !== 8) fail(`an IPv6 address without "::" has 8 groups, this one has ${count}`);
  if (gap && count > 7) fail('"::" must stand for at least one zero group, but 8 groups are given');
  const full = [...head, ...new Array<number>(8 - count).fill(0), ...tail];
  return full.reduce((value, group) => (value << 16n) | BigInt(group), 0n);
}

/** Formats an address the way people read it: dotted quad, or RFC 5952 IPv6 (lower case, longest zero run as "::"). */
export function formatAddress(version: IpVersion, value: bigint): string {
  if (version === 4) return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 0xffn)).join('.');
  const groups = [112n, 96n, 80n, 64n, 48n, 32n, 16n, 0n].map((shift) => Number((value >> shift) & 0xffffn));
  let best = { start: -1, length: 0 };
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i += 1;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j += 1;
    if (j - i > best.length) best = { start: i, length: j - i };
    i = j;
  }
  const hex = (gs: number[]): string => gs.map((g) => g.toString(16)).join(':');
  if (best.length < 2) return hex(groups);
  return `${hex(groups.slice(0, best.start))}::${hex(groups.slice(best.start + best.length))}`;
}

export function formatCidr(cidr: Cidr): string {
  return `${formatAddress(cidr.version, cidr.network)}/${cidr.prefix}`;
}

/** Parses one CIDR (or a bare address, meaning one host); the reason says what is wrong in words. */
export function parseCidr(text: string): CidrResult {
  try {
    if (text === '') fail('it is empty');
    if (/\s/.test(text)) fail('it contains white space');
    if (text.includes('%')) fail('zone ids ("%eth0") are not allowed');
    if (/[[\]]/.test(text)) fail('brackets are not allowed');
    const parts = text.split('/');
    if (parts.length > 2) fail('it has more than one "/"');
    const [addressText = '', prefixText] = parts;
    const version: IpVersion = addressText.includes(':') ? 6 : 4;
    const address = version === 4 ? parseV4(addressText) : parseV6(addressText);
    const width = WIDTH[version];
    const prefix = prefixText === undefined ? width : decimal(prefixText, width, `the IPv${version} prefix length`);
    const hostMask = (1n << BigInt(width - prefix)) - 1n;
    if ((address & hostMask) !== 0n) {
      const network = address & ~hostMask;
      fail(
        `host bits are set below /${prefix}: the network is ${formatAddress(version, network)}/${prefix}, ` +
          `one host is ${formatAddress(version, address)}/${width}`,
      );
    }
    return { ok: true, cidr: { version, network: address, prefix } };
  } catch (error) {
    if (error instanceof CidrSyntaxError) return { ok: false, reason: error.message };
    throw error;
  }
}

export function isCidr(text: string): boolean {
  return parseCidr(text).ok;
}

/**
 * A pin-list entry as edge/x-deployment.js reads it, which is more lenient than parseCidr: trimmed, host
 * bits below the prefix ignored, and IPv4-mapped IPv6 prefixes of /96 or longer naming IPv4 viewers (the
 * mapped bits become an IPv4 network). Null for an entry the edge skips. What a store holds is read with
 * this (Preflight's pin share, the simulator); what a request gives is checked with parseCidr.
 */
export function readEdgeCidr(entry: unknown): Cidr | null {
  if (typeof entry !== 'string') return null;
  const [addressText = '', prefixText, extra] = entry.trim().split('/');
  const host = extra === undefined ? parseCidr(addressText) : undefined;
  if (host === undefined || !host.ok) return null;
  let { version } = host.cidr;
  let width = WIDTH[version];
  let prefix = prefixText === undefined ? width : /^(0|[1-9][0-9]*)$/.test(prefixText) ? Number(prefixText) : -1;
  if (prefix < 0 || prefix > width) return null;
  let address = host.cidr.network;
  if (version === 6 && prefix >= 96 && address >> 32n === 0xffffn) {
    version = 4;
    width = 32;
    prefix -= 96;
    address &= 0xffffffffn;
  }
  const hostBits = BigInt(width - prefix);
  return { version, network: (address >> hostBits) << hostBits, prefix };
}

/** Whether `address` (of `version`) is inside `cidr`. */
export function cidrContains(cidr: Cidr, version: IpVersion, address: bigint): boolean {
  const hostBits = BigInt(WIDTH[version] - cidr.prefix);
  return cidr.version === version && address >> hostBits === cidr.network >> hostBits;
}

/** Bits in an address of each version. */
export const ADDRESS_BITS: Readonly<Record<IpVersion, number>> = WIDTH;
