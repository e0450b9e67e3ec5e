/**
 * How much of the internet a pin list sends to one colour: the share of the IPv4 and of the IPv6 address
 * space its CIDRs cover, as the edge function reads them (overlapping entries counted once, entries the edge
 * skips not at all). A step called "5 %" means 5 % only while the pins are a sliver of the viewers; the plan,
 * Preflight and the simulator show these shares, and pins to the canary's colour (green, unless
 * stableAfterPromotion is blue) above PIN_SHARE_LIMITS need an override
 * (docs/edge.md, "How much may be pinned"). Pure: no I/O.
 */
import { ADDRESS_BITS, readEdgeCidr, type Cidr, type IpVersion } from './cidr';

/** Share of each address family covered, from 0 to 1. */
export interface AddressShare {
  readonly ipv4: number;
  readonly ipv6: number;
}

/**
 * The most of each family that the canary's pins may cover without an override: an IPv4 /16 (65,536 addresses,
 * 1/65,536 of IPv4) and an IPv6 /32 (the smallest block a registry gives an ISP; a site gets a /48). Pins
 * are for people and offices. Even a range a hundred times denser in viewers than the average IPv4 address
 * sends at most 0.15 % of viewers to the canary at a /16, below the smallest step a rollout can take (1 %).
 */
export const PIN_SHARE_LIMITS: AddressShare = { ipv4: 2 ** -16, ipv6: 2 ** -32 };

/** Addresses covered by CIDRs of one family: CIDRs nest or are disjoint, so the widest of each nest counts. */
function covered(cidrs: readonly Cidr[], bits: number): bigint {
  const sorted = [...cidrs].sort((a, b) => (a.network < b.network ? -1 : a.network > b.network ? 1 : a.prefix - b.prefix));
  let total = 0n;
  let end = -1n;
  for (const cidr of sorted) {
    const size = 1n << BigInt(bits - cidr.prefix);
    if (cidr.network + size - 1n <= end) continue;
    total += size;
    end = cidr.network + size - 1n;
  }
  return total;
}

/** A pin list value as the edge reads it: a JSON array, or null when it is not one (the edge then sends everyone blue). */
export function readPinList(text: string): readonly unknown[] | null {
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) ? value : null;
  } catch {
    return null;
  }
}

/** The share of each family's addresses that `list` (a pin list as stored: any JSON values) covers. */
export function addressShareOf(list: readonly unknown[]): AddressShare {
  const cidrs = list.map(readEdgeCidr).filter((cidr): cidr is Cidr => cidr !== null);
  const shareOf = (version: IpVersion): number => {
    const bits = ADDRESS_BITS[version];
    return Number(covered(cidrs.filter((cidr) => cidr.version === version), bits)) / 2 ** bits;
  };
  return { ipv4: shareOf(4), ipv6: shareOf(6) };
}

/** Whether `share` is above PIN_SHARE_LIMITS in either family. */
export function overPinShareLimits(share: AddressShare): boolean {
  return share.ipv4 > PIN_SHARE_LIMITS.ipv4 || share.ipv6 > PIN_SHARE_LIMITS.ipv6;
}

/** A share in percent for people: "0 %", "100 %", "0.39 %", "0.0015 %", "2.3e-8 %": below 1 %, two significant digits. */
export function formatSharePercent(share: number): string {
  const percent = share * 100;
  if (percent === 0 || percent >= 1) return `${Number(percent.toPrecision(3))} %`;
  const rounded = Number(percent.toPrecision(2));
  return `${percent >= 1e-4 ? rounded : rounded.toExponential()} %`;
}

/** "IPv4 0.0015 %, IPv6 0 %": what a list covers, in the words the plan, Preflight and the simulator use. */
export function describeAddressShare(share: AddressShare): string {
  return `IPv4 ${formatSharePercent(share.ipv4)}, IPv6 ${formatSharePercent(share.ipv6)}`;
}

/** The limits, in the same words: "IPv4 0.0015 % (a /16), IPv6 2.3e-8 % (a /32)". */
export function describeLimits(): string {
  const prefix = (limit: number): number => Math.round(-Math.log2(limit));
  return (
    `IPv4 ${formatSharePercent(PIN_SHARE_LIMITS.ipv4)} (a /${prefix(PIN_SHARE_LIMITS.ipv4)}), ` +
    `IPv6 ${formatSharePercent(PIN_SHARE_LIMITS.ipv6)} (a /${prefix(PIN_SHARE_LIMITS.ipv6)})`
  );
}

/**
 * Why pins to the canary's colour that cover `share` need an override; `pins` names them ("the green pins",
 * or the store key they come from). Undefined when they are within PIN_SHARE_LIMITS.
 */
export function canaryPinsTooLarge(share: AddressShare, pins: string): string | undefined {
  if (!overPinShareLimits(share)) return undefined;
  return (
    `${pins} cover ${describeAddressShare(share)} of the address space, over the bound for pins to the canary of ${describeLimits()}: ` +
    'every viewer there would see the canary from Preflight on, whatever the step\'s weight. Pin people and offices, not networks; ' +
    'if that many viewers are meant to get the canary, add "override": {"allowLargeGreenPins": true, "reason": "..."} to the request'
  );
}
