/**
 * CloudFront in front of a cloudfront-kvs target, as the simulator models it: a stable population of
 * viewers, edge locations that learn of each change to the KeyValueStore `propagationSeconds` after it is
 * made, and edge/x-deployment.js, run as written (sim/edge-runtime.ts), deciding each viewer's colour from
 * the store as the edge holds it.
 *
 * The function's answer depends only on the viewer's request and the store, so it runs once per viewer for
 * every store state the edge comes to hold, and each request takes the answer for its viewer under the
 * state in force at its instant. That is every answer the function would give request by request, at the
 * cost of one run per viewer per store change instead of one per request. The runs are asynchronous (the
 * function awaits its store), so they start when the store changes and the simulator waits for them
 * before it moves time on (`settled`); no request can be served by a state before it is visible, and a
 * state becomes visible only after the propagation delay.
 */
import type { RandomSource } from './random';
import { ADDRESS_BITS, cidrContains, formatAddress, parseCidr, readEdgeCidr, type IpVersion } from '../shared/net/cidr';
import { readCountryList } from '../shared/net/countries';
import { readPinList } from '../shared/net/pin-share';
import { createKvs, loadEdgeFunction, stampedColour, viewerRequest } from './edge-runtime';
import type { RequestRouting, RoutingStretch } from './traffic';
import type { Dimensions } from './world/metrics';

export const GREEN = 'green';
export const BLUE = 'blue';
export type Colour = typeof GREEN | typeof BLUE;

/** The cookie the function prefers to the IP as who the viewer is (docs/edge.md). */
export const VIEWER_COOKIE = 'coalmine-viewer';
/** The header CloudFront adds with the viewer's country, which the function matches country pins against. */
export const VIEWER_COUNTRY_HEADER = 'cloudfront-viewer-country';

/** Where the simulated mesh publishes its request metrics: by service, and by the colour that served. */
export const EDGE_NAMESPACE = 'Coalmine/Mesh';

export interface ViewerNetwork {
  /** Shown in problems and summaries, e.g. "office". */
  readonly name: string;
  readonly cidr: string;
  readonly viewers: number;
  /** The country CloudFront reports for its viewers (ISO 3166-1 alpha-2); none when absent. */
  readonly country?: string | undefined;
}

export interface EdgeSpec {
  /** Seconds from a store write until the edge locations serve it. */
  readonly propagationSeconds: number;
  /** Viewers anywhere on the internet. */
  readonly viewers: number;
  /** Share of viewers whose requests carry the coalmine-viewer cookie, in percent. */
  readonly cookiePercent: number;
  /** Share of the viewers anywhere that come over IPv6, in percent. */
  readonly ipv6Percent: number;
  /** Viewers inside named networks (an office, a partner), in addition to those anywhere. */
  readonly networks: readonly ViewerNetwork[];
  /** Share of the viewers anywhere in each country, in percent; the rest carry no country header. */
  readonly countries: Readonly<Record<string, number>>;
}

export interface Viewer {
  readonly ip: string;
  readonly version: IpVersion;
  readonly address: bigint;
  readonly cookie: string | undefined;
  /** The network of the scenario the viewer sits in, if any. */
  readonly network: string | undefined;
  /** The cloudfront-viewer-country of its requests; undefined: CloudFront sends none. */
  readonly country: string | undefined;
}

/** The store as the edge holds it from `visibleFromMs` on, and the colour the function gave each viewer. */
export interface EdgeState {
  readonly id: number;
  readonly visibleFromMs: number;
  readonly items: Readonly<Record<string, string>>;
  /** The canary's share of unpinned viewers the function applies: from green_percentage, 0 or 100 when it fails safe. */
  readonly canaryWeight: number;
  /** By viewer index: COLOUR_CODE of the function's answer; empty until evaluated. */
  colours: Uint8Array;
}

/** A viewer's colour as a number, and bits of the colours it was served. */
export const COLOUR_CODE = { none: 0, [BLUE]: 1, [GREEN]: 2 } as const;
const FLIP = { greenToBlue: 1, blueToGreen: 2 } as const;

// Bound once: under Jest's vm context each global Math lookup is slow, and this runs per request.
const { floor } = Math;

/** 32 random bits as an integer. */
const bits32 = (random: RandomSource): number => Math.floor(random.uniform() * 2 ** 32);

function randomBits(random: RandomSource, bits: number): bigint {
  let value = 0n;
  for (let left = bits; left > 0; left -= 32) {
    const take = Math.min(32, left);
    value = (value << BigInt(take)) | BigInt(bits32(random) >>> (32 - take));
  }
  return value;
}

function contains(list: readonly unknown[], viewer: Viewer): boolean {
  return list.some((entry) => {
    const cidr = readEdgeCidr(entry);
    return cidr !== null && cidrContains(cidr, viewer.version, viewer.address);
  });
}

/** Whether a viewer is pinned by a colour's CIDRs or countries. */
function pinnedBy(cidrs: readonly unknown[], countries: readonly unknown[], viewer: Viewer): boolean {
  return contains(cidrs, viewer) || (viewer.country !== undefined && countries.includes(viewer.country));
}

/** A pin list key as the function reads it: a JSON array, or null when the function would fail safe. */
function pinList(text: string | undefined): readonly unknown[] | null {
  return text === undefined ? null : readPinList(text);
}

/** green_percentage as the function reads it (a canonical 0–100 after trimming), or null when it fails safe. */
export function greenPercentageOf(text: string | undefined): number | null {
  const trimmed = text?.trim() ?? '';
  return /^(?:100|[1-9]?[0-9])$/.test(trimmed) ? Number(trimmed) : null;
}

/** The colour a viewer's pins give it: a blue pin wins, then a green one; null when no pin applies. */
function pinnedColour(pins: EdgePins, viewer: Viewer): Colour | null {
  if (pinnedBy(pins.blueCidrs, pins.blueCountries, viewer)) return BLUE;
  return pinnedBy(pins.greenCidrs, pins.greenCountries, viewer) ? GREEN : null;
}

/** The pins of both colours, as the function reads them. */
export interface EdgePins {
  readonly blueCidrs: readonly unknown[];
  readonly greenCidrs: readonly unknown[];
  readonly blueCountries: readonly unknown[];
  readonly greenCountries: readonly unknown[];
}

/**
 * What the store tells the edge: green_percentage and the pins, or null when the function fails safe (a
 * required key missing, any key malformed: everyone blue). The country keys and viewer_cookie may be absent.
 */
function edgeKeysOf(items: Readonly<Record<string, string>>): ({ green: number } & EdgePins) | null {
  const green = greenPercentageOf(items.green_percentage);
  const blueCidrs = pinList(items.blue_cidrs);
  const greenCidrs = pinList(items.green_cidrs);
  const blueCountries = items.blue_countries === undefined ? [] : readCountryList(items.blue_countries);
  const greenCountries = items.green_countries === undefined ? [] : readCountryList(items.green_countries);
  const cookie = items.viewer_cookie?.trim();
  if (cookie !== undefined && cookie !== 'use' && cookie !== 'ignore') return null;
  if (green === null || blueCidrs === null || greenCidrs === null || blueCountries === null || greenCountries === null) return null;
  return { green, blueCidrs, greenCidrs, blueCountries, greenCountries };
}

/** The population: viewers anywhere (public unicast IPv4, or IPv6 in 2000::/3), then each network's. */
export function createViewers(spec: EdgeSpec, random: RandomSource): Viewer[] {
  const cookie = (): string | undefined =>
    random.uniform() * 100 < spec.cookiePercent
      ? Array.from({ length: 4 }, () => bits32(random).toString(16).padStart(8, '0')).join('')
      : undefined;
  const viewer = (version: IpVersion, address: bigint, network?: ViewerNetwork): Viewer => ({
    ip: formatAddress(version, address),
    version,
    address,
    cookie: cookie(),
    network: network?.name,
    country: network?.country,
  });
  const viewers: Viewer[] = [];
  for (let i = 0; i < spec.viewers; i += 1) {
    if (random.uniform() * 100 < spec.ipv6Percent) viewers.push(viewer(6, (0b001n << 125n) | randomBits(random, 125)));
    // 1.0.0.0 up to 223.255.255.255: unicast, not multicast or reserved.
    else viewers.push(viewer(4, BigInt(0x01000000 + Math.floor(random.uniform() * (0xe0000000 - 0x01000000)))));
  }
  for (const network of spec.networks) {
    const parsed = parseCidr(network.cidr);
    if (!parsed.ok) throw new Error(`world.edge.networks: ${network.cidr}: ${parsed.reason}`);
    const { version, network: base, prefix } = parsed.cidr;
    const hostBits = ADDRESS_BITS[version] - prefix;
    for (let i = 0; i < network.viewers; i += 1) viewers.push(viewer(version, base | randomBits(random, hostBits), network));
  }
  // Drawn last, and only when asked for, so that a scenario without countries keeps the viewers it had.
  const countries = Object.entries(spec.countries);
  if (countries.length === 0) return viewers;
  return viewers.map((v, i) => {
    if (i >= spec.viewers) return v;
    let draw = random.uniform() * 100;
    const found = countries.find(([, percent]) => (draw -= percent) < 0);
    return found === undefined ? v : { ...v, country: found[0] };
  });
}

export interface EdgeOptions {
  readonly kvsArn: string;
  /** The colour the new version is deployed as (the target's stableAfterPromotion). */
  readonly canary: Colour;
  /** Dimension `Service` of the published metrics: the rollout's name. */
  readonly service: string;
  readonly propagationSeconds: number;
  readonly viewers: readonly Viewer[];
}

/** Viewers whose successive requests were served different colours, by direction. */
export interface ColourFlips {
  readonly greenToBlue: number;
  readonly blueToGreen: number;
}

/** The edge in front of the mesh: routes each request by its viewer's colour under the store the edge holds then. */
export class EdgeNetwork implements RequestRouting<EdgeState> {
  readonly baselineVersion: Colour;
  readonly canaryVersion: Colour;
  readonly namespace = EDGE_NAMESPACE;
  readonly states: EdgeState[] = [];
  /** Runs of the edge function so far. */
  functionRuns = 0;
  /** One function for the whole run, as at an edge location; its store is set to each state in turn. */
  private readonly store = createKvs({}, { recordReads: false });
  private readonly handler = loadEdgeFunction({ kvs: this.store }).handler;
  private storeItems: Readonly<Record<string, string>> = {};
  private pending: Promise<void> = Promise.resolve();
  private failure: unknown = null;
  private current = 0;
  /** By viewer: the colour of its last request (COLOUR_CODE), the colours it was served (COLOUR_CODE bits), its flips (FLIP bits). */
  private readonly lastColour: Uint8Array;
  private readonly seen: Uint8Array;
  private readonly flipped: Uint8Array;

  constructor(
    private readonly options: EdgeOptions,
    initialItems: Readonly<Record<string, string>>,
  ) {
    this.canaryVersion = options.canary;
    this.baselineVersion = options.canary === GREEN ? BLUE : GREEN;
    const n = options.viewers.length;
    this.lastColour = new Uint8Array(n);
    this.seen = new Uint8Array(n);
    this.flipped = new Uint8Array(n);
    this.learn(initialItems, -Infinity);
  }

  get viewers(): readonly Viewer[] {
    return this.options.viewers;
  }

  /** A change to the store, made at `atMs`: the edge serves it from `atMs + propagationSeconds` on. */
  storeChanged(kvsArn: string, items: Readonly<Record<string, string>>, atMs: number): void {
    if (kvsArn !== this.options.kvsArn) return;
    this.learn(items, atMs + this.options.propagationSeconds * 1000);
  }

  /** Resolves when the function has answered for every viewer under every state learnt so far. */
  async settled(): Promise<void> {
    await this.pending;
    if (this.failure !== null) throw this.failure;
  }

  dimensions(version: string | null): Dimensions {
    return version === null ? { Service: this.options.service } : { Service: this.options.service, Deployment: version };
  }

  publishedDimensions(version: string): Dimensions[] {
    return [this.dimensions(null), this.dimensions(version)];
  }

  nextChangeAfter(ms: number): number {
    for (let i = this.current; i < this.states.length; i += 1) {
      const state = this.states[i] as EdgeState;
      if (state.visibleFromMs > ms) return state.visibleFromMs;
    }
    return Infinity;
  }

  /** The store state the edge serves at `ms`: the last one visible by then. */
  stateAt(ms: number): EdgeState {
    // Time only moves forward, and states are learnt in time order, so the search starts where it left off.
    while (this.current + 1 < this.states.length && (this.states[this.current + 1] as EdgeState).visibleFromMs <= ms) this.current += 1;
    const state = this.states[this.current] as EdgeState;
    if (state.colours.length === 0) throw new Error(`The edge serves store state ${state.id} before the function has answered for it (await settled() first)`);
    return state;
  }

  at(ms: number): RoutingStretch<EdgeState> {
    const state = this.stateAt(ms);
    const { colours } = state;
    const n = colours.length;
    const { lastColour, seen, flipped } = this;
    return {
      snapshot: state,
      canaryWeight: state.canaryWeight,
      route: (random) => {
        const viewer = floor(random.uniform() * n);
        const colour = colours[viewer] as number;
        const last = lastColour[viewer] as number;
        if (last !== colour) {
          if (last !== COLOUR_CODE.none) flipped[viewer] = (flipped[viewer] as number) | (last === COLOUR_CODE.green ? FLIP.greenToBlue : FLIP.blueToGreen);
          lastColour[viewer] = colour;
          seen[viewer] = (seen[viewer] as number) | colour;
        }
        return colour === COLOUR_CODE.green ? GREEN : BLUE;
      },
    };
  }

  /** Viewers that were served one colour and then the other, by direction, so far. */
  flips(): ColourFlips {
    return { greenToBlue: this.countWith(this.flipped, FLIP.greenToBlue), blueToGreen: this.countWith(this.flipped, FLIP.blueToGreen) };
  }

  /** Viewers by the colour the function gives them under `state`. */
  colourCounts(state: EdgeState): { blue: number; green: number } {
    const green = this.countWith(state.colours, COLOUR_CODE.green);
    return { blue: state.colours.length - green, green };
  }

  /** Viewers served `colour` at least once, so far. */
  viewersServed(colour: Colour): number {
    return this.countWith(this.seen, COLOUR_CODE[colour]);
  }

  private countWith(flags: Uint8Array, bit: number): number {
    let count = 0;
    for (const value of flags) if ((value & bit) !== 0) count += 1;
    return count;
  }

  /**
   * Viewers the state pins whose colour is not their pin's: a blue pin wins, then a green one, and a store the
   * function cannot read sends everyone to blue. At most `limit` problems per state.
   */
  pinProblems(state: EdgeState, limit = 3): string[] {
    const keys = edgeKeysOf(state.items);
    const problems: string[] = [];
    const percentage = `green_percentage ${JSON.stringify(state.items.green_percentage ?? null)}`;
    this.options.viewers.forEach((viewer, i) => {
      if (problems.length >= limit) return;
      const expected = keys === null ? BLUE : pinnedColour(keys, viewer);
      if (expected === null) return;
      const got = state.colours[i] === COLOUR_CODE.green ? GREEN : BLUE;
      if (got === expected) return;
      const why = keys === null ? 'the store is incomplete or malformed, so everyone is blue' : `the viewer is pinned by ${expected}_cidrs or ${expected}_countries`;
      const where = [viewer.network, viewer.country].filter((w) => w !== undefined).join(', ');
      problems.push(`the edge sent viewer ${viewer.ip}${where === '' ? '' : ` (${where})`} to ${got} under ${percentage}, but ${why}`);
    });
    return problems;
  }

  /** The pins the function applies under `state`: none when it cannot read the store (everyone blue). */
  pinsOf(state: EdgeState): EdgePins {
    return edgeKeysOf(state.items) ?? { blueCidrs: [], greenCidrs: [], blueCountries: [], greenCountries: [] };
  }

  /** Viewers that pins send to a colour (blue wins), as the function would read them. */
  pinned(pins: EdgePins): { blue: number; green: number } {
    let blue = 0;
    let green = 0;
    for (const viewer of this.options.viewers) {
      const colour = pinnedColour(pins, viewer);
      if (colour === BLUE) blue += 1;
      else if (colour === GREEN) green += 1;
    }
    return { blue, green };
  }

  /** The canary's share of unpinned viewers under a store: everyone is blue while the function cannot read it. */
  canaryShareOf(items: Readonly<Record<string, string>>): number {
    const green = edgeKeysOf(items)?.green ?? 0;
    return this.canaryVersion === GREEN ? green : 100 - green;
  }

  private learn(items: Readonly<Record<string, string>>, visibleFromMs: number): void {
    const state: EdgeState = {
      id: this.states.length,
      visibleFromMs,
      items: { ...items },
      canaryWeight: this.canaryShareOf(items),
      colours: new Uint8Array(0),
    };
    this.states.push(state);
    this.pending = this.pending.then(() => this.evaluate(state)).catch((error: unknown) => {
      this.failure ??= error;
    });
  }

  /** Runs the function once per viewer with its store holding `state.items`. One state at a time: they share the store. */
  private async evaluate(state: EdgeState): Promise<void> {
    for (const key of Object.keys(this.storeItems)) if (!(key in state.items)) this.store.set(key, undefined);
    for (const [key, value] of Object.entries(state.items)) this.store.set(key, value);
    this.storeItems = state.items;
    const { handler } = this;
    const colours = new Uint8Array(this.options.viewers.length);
    for (const [i, viewer] of this.options.viewers.entries()) {
      const event = viewerRequest({
        ip: viewer.ip,
        ...(viewer.cookie === undefined ? {} : { cookies: { [VIEWER_COOKIE]: viewer.cookie } }),
        ...(viewer.country === undefined ? {} : { headers: { [VIEWER_COUNTRY_HEADER]: viewer.country } }),
      });
      colours[i] = (await stampedColour(handler, event)) === GREEN ? COLOUR_CODE.green : COLOUR_CODE.blue;
    }
    this.functionRuns += colours.length;
    state.colours = colours;
  }
}
