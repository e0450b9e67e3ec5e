/**
 * The cloudfront-kvs router's decisions, apart from I/O: given what one read of the store found, what a
 * preflight, shift, promotion or rollback writes (a batch of puts and deletes, or nothing), or which named
 * error refuses it. shared/routers/cloudfront-kvs.ts reads the store, calls these, and writes the batch with
 * the ETag it read; docs/edge.md ("What a rollout writes, and when") states the rules.
 */
import { KVS_KEYS, VIEWER_COOKIE_MODES } from '../config/target-facts';
import type { CloudFrontKvsTarget } from '../config/targets';
import { PreflightFailed, RolloutInProgress, TrafficConflict } from '../errors';
import { readCountryList } from '../net/countries';
import { addressShareOf, canaryPinsTooLarge, describeAddressShare, readPinList } from '../net/pin-share';
import { describeStore, greenFor, parseLock, parsePercentage, shareOf, type Colour, type KvsLock } from './kvs-reading';
import { formatRestoreRecord, parseRestoreRecord, type RestoreRecord } from './restore-record';
import type { PromotedView, RollbackOutcome } from './types';

export type KeyName = (typeof KVS_KEYS)[keyof typeof KVS_KEYS];

/** What one read of the store found. */
export interface StoreView {
  readonly status: string | undefined;
  /** The keys read, by name; a missing key is absent. */
  readonly values: Partial<Record<KeyName, string>>;
}

/** One UpdateKeys batch; `null` where a decision returns one means nothing to write. */
export interface Change {
  readonly puts: Array<{ Key: KeyName; Value: string }>;
  readonly deletes: Array<{ Key: KeyName }>;
}

export const other = (colour: Colour): Colour => (colour === 'green' ? 'blue' : 'green');
export const pinKey = (colour: Colour): KeyName => (colour === 'green' ? KVS_KEYS.greenCidrs : KVS_KEYS.blueCidrs);
export const countryKey = (colour: Colour): KeyName => (colour === 'green' ? KVS_KEYS.greenCountries : KVS_KEYS.blueCountries);

/** The manual way out of a stale lock, for refusal messages. */
function releaseHint(target: CloudFrontKvsTarget): string {
  return (
    'If that execution is no longer running, put the traffic where it belongs and delete the lock by hand ' +
    `(aws cloudfront-keyvaluestore delete-key --kvs-arn ${target.kvsArn} --key ${KVS_KEYS.lock} --if-match <ETag from describe-key-value-store>).`
  );
}

function describeLock(lock: KvsLock | 'unreadable'): string {
  return lock === 'unreadable' ? 'an unreadable lock' : `execution ${lock.executionName} (since ${lock.since})`;
}

const heldBy = (lock: KvsLock | 'unreadable' | undefined, execution: string): boolean =>
  lock !== undefined && lock !== 'unreadable' && lock.executionName === execution;

/** A rollout's view of its store: the target and the execution that holds (or takes) the lock. */
export interface KvsRollout {
  readonly target: CloudFrontKvsTarget;
  readonly holder: string;
  /** The request's override.allowLargeGreenPins: pins to the canary's colour above the bound do not refuse the start. */
  readonly allowLargeGreenPins?: boolean;
}

function percentagePut(rollout: KvsRollout, share: number): { Key: KeyName; Value: string } {
  return { Key: KVS_KEYS.greenPercentage, Value: String(greenFor(share, rollout.target.stableAfterPromotion)) };
}

/** The canary's share in a green_percentage text; a missing or malformed key is somebody else's change. */
export function canaryShare(target: CloudFrontKvsTarget, text: string | undefined, action: string): number {
  const green = parsePercentage(text);
  if (green !== undefined) return shareOf(green, target.stableAfterPromotion);
  throw new TrafficConflict(
    `Cannot ${action} on ${describeStore(target)}: ${KVS_KEYS.greenPercentage} is ` +
      `${text === undefined ? 'missing' : `${JSON.stringify(text)}, not a whole percentage`} (the edge sends everyone to blue). ` +
      'It was changed outside this rollout; coalmine leaves it untouched.',
  );
}

function assertLockOurs(rollout: KvsRollout, view: StoreView, action: string): void {
  const lock = parseLock(view.values.coalmine_lock);
  if (heldBy(lock, rollout.holder)) return;
  throw new TrafficConflict(
    `Cannot ${action} on ${describeStore(rollout.target)}: this rollout (${rollout.holder}) no longer holds ${KVS_KEYS.lock}; ` +
      `${lock === undefined ? 'someone removed it' : `it is held by ${describeLock(lock)}`}. Coalmine does not move traffic it does not own.`,
  );
}

/** Traffic moves only forward from where this rollout left it; see TrafficRouter.setWeight. */
function assertAt(rollout: KvsRollout, current: number, expected: number, action: string): void {
  if (current === expected) return;
  throw new TrafficConflict(
    `Cannot ${action} on ${describeStore(rollout.target)}: the ${rollout.target.stableAfterPromotion} canary has ${current} %, ` +
      `not the ${expected} % this rollout left it at. Someone else moved it (a rollback from an alarm or a person); ` +
      'coalmine does not move it forward again.',
  );
}

/** The keys each decision reads. */
export const SHIFT_KEYS = [KVS_KEYS.greenPercentage, KVS_KEYS.lock] as const;
export const PREFLIGHT_KEYS = [
  KVS_KEYS.greenPercentage,
  KVS_KEYS.lock,
  KVS_KEYS.blueCidrs,
  KVS_KEYS.greenCidrs,
  KVS_KEYS.blueCountries,
  KVS_KEYS.greenCountries,
  KVS_KEYS.viewerCookie,
] as const;
export const promoteKeys = (target: CloudFrontKvsTarget): KeyName[] => [
  KVS_KEYS.greenPercentage,
  KVS_KEYS.lock,
  pinKey(other(target.stableAfterPromotion)),
  countryKey(other(target.stableAfterPromotion)),
];
export const rollbackKeys = (target: CloudFrontKvsTarget): KeyName[] => [
  KVS_KEYS.greenPercentage,
  KVS_KEYS.lock,
  pinKey(target.stableAfterPromotion),
  countryKey(target.stableAfterPromotion),
];

/** The pins the edge applies once Preflight's batch lands: what the request gives, else what the store keeps. */
interface PinsAfterPreflight {
  readonly blueCidrs: readonly unknown[];
  readonly greenCidrs: readonly unknown[];
  readonly blueCountries: readonly unknown[];
  readonly greenCountries: readonly unknown[];
}

/** What each colour's pins cover, for the execution state: "IPv4 0.0015 %, IPv6 0 % of the address space and countries NZ". */
export function describePins(cidrs: readonly unknown[], countries: readonly unknown[]): string {
  const codes = countries.map(String);
  const named = codes.length <= 5 ? codes.join(' ') : `${codes.slice(0, 5).join(' ')} and ${codes.length - 5} more`;
  return `${describeAddressShare(addressShareOf(cidrs))} of the address space and ${codes.length === 0 ? 'no countries' : `countries ${named}`}`;
}

/**
 * The pins after Preflight, refusing a store value the edge cannot read that the request leaves in place
 * (the edge would send everyone blue, and the rollout would judge a canary that gets no traffic).
 */
function pinsAfterPreflight(target: CloudFrontKvsTarget, view: StoreView): PinsAfterPreflight {
  const name = describeStore(target);
  const field = { blue_cidrs: 'blueCidrs', green_cidrs: 'greenCidrs', blue_countries: 'blueCountries', green_countries: 'greenCountries' } as const;
  const list = (key: keyof typeof field): readonly unknown[] => {
    const given = target[field[key]];
    const text = view.values[key];
    if (given !== undefined || text === undefined) return given ?? [];
    const cidrs = key.endsWith('cidrs');
    const stored = cidrs ? readPinList(text) : readCountryList(text);
    if (stored !== null) return stored;
    throw new PreflightFailed(
      `${name}: ${key} is ${JSON.stringify(text)}, which is not a JSON array${cidrs ? '' : ' of plain strings'}, so the edge sends every viewer blue. ` +
        `Put one there (${cidrs ? '["192.0.2.0/24"]' : '["NZ"]'}, or [] for none), or give target.${field[key]} for Preflight to write, then start again.`,
    );
  };
  const cookie = view.values.viewer_cookie;
  if (target.viewerCookie === undefined && cookie !== undefined && !(VIEWER_COOKIE_MODES as readonly string[]).includes(cookie.trim())) {
    throw new PreflightFailed(
      `${name}: ${KVS_KEYS.viewerCookie} is ${JSON.stringify(cookie)}, not "use" or "ignore", so the edge sends every viewer blue. ` +
        'Set it to one of them, delete it, or give target.viewerCookie for Preflight to write, then start again.',
    );
  }
  return { blueCidrs: list('blue_cidrs'), greenCidrs: list('green_cidrs'), blueCountries: list('blue_countries'), greenCountries: list('green_countries') };
}

export interface PreflightDecision {
  readonly change: Change | null;
  /** The green_percentage the rollout starts from. */
  readonly before: number;
  /** What each colour's pins cover once the batch lands (describePins). */
  readonly pins: { readonly blue: string; readonly green: string };
}

/**
 * The green_percentage a rollout starts from: the store's own, or 0 % of the canary written down when the
 * key is missing; refuses a malformed value, a store whose canary colour already serves everyone, and one
 * that someone else is moving.
 */
function startingPercentage(rollout: KvsRollout, raw: string | undefined, ours: boolean): { before: number; puts: Change['puts'] } {
  const name = describeStore(rollout.target);
  const canary = rollout.target.stableAfterPromotion;
  const idle = greenFor(0, canary);
  const green = parsePercentage(raw);
  // The edge sends everyone to blue while the key is missing: the same as 0 %, written down.
  if (raw === undefined && canary === 'green') return { before: idle, puts: [{ Key: KVS_KEYS.greenPercentage, Value: String(idle) }] };
  if (green === undefined) {
    throw new PreflightFailed(
      `${name}: ${KVS_KEYS.greenPercentage} is ${raw === undefined ? 'missing' : `${JSON.stringify(raw)}, not a whole percentage`}, ` +
        `so the edge sends everyone to blue; a rollout of a ${canary} canary starts from ${KVS_KEYS.greenPercentage} ${idle}. ` +
        'Set it to what the edge should serve now, then start again.',
    );
  }
  if (ours || green === idle) return { before: green, puts: [] };
  if (shareOf(green, canary) === 100) {
    throw new PreflightFailed(
      `${name}: ${canary} already serves everyone (${KVS_KEYS.greenPercentage} ${green}), so it cannot be the canary. ` +
        `Deploy the new version as ${other(canary)} and set "stableAfterPromotion": "${other(canary)}" in the target.`,
    );
  }
  throw new RolloutInProgress(
    `${name} is mid-rollout: ${KVS_KEYS.greenPercentage} is ${green} without a coalmine lock, so someone else is moving it. ` +
      `A rollout of a ${canary} canary starts from ${idle}; settle the store first, then start again.`,
  );
}

/** Refuses pins to the canary's colour above the bound, unless the request allows large pins. */
function checkCanaryPins(rollout: KvsRollout, pins: ReturnType<typeof pinsAfterPreflight>): void {
  const { target } = rollout;
  const name = describeStore(target);
  const canary = target.stableAfterPromotion;
  const field = canary === 'green' ? 'greenCidrs' : 'blueCidrs';
  const tooLarge = canaryPinsTooLarge(
    addressShareOf(pins[field]),
    target[field] === undefined
      ? `${name}: the ${canary} pins (the canary's colour) in ${pinKey(canary)} (the request gives no ${field}, so they stay)`
      : `${name}: the ${canary} pins (the canary's colour)`,
  );
  if (tooLarge !== undefined && rollout.allowLargeGreenPins !== true) throw new PreflightFailed(tooLarge);
}

/**
 * The edge keys the request gives that the store does not hold yet. The edge sends everyone to blue while
 * any of its required keys is missing: a missing CIDR list becomes []. The optional keys are written only
 * when the request gives them.
 */
function edgeKeyPuts(target: KvsRollout['target'], view: StoreView): Change['puts'] {
  const puts: Change['puts'] = [];
  for (const [key, value, required] of [
    [KVS_KEYS.blueCidrs, target.blueCidrs, true],
    [KVS_KEYS.greenCidrs, target.greenCidrs, true],
    [KVS_KEYS.blueCountries, target.blueCountries, false],
    [KVS_KEYS.greenCountries, target.greenCountries, false],
    [KVS_KEYS.viewerCookie, target.viewerCookie, false],
  ] as const) {
    const text = value === undefined ? (required && view.values[key] === undefined ? '[]' : undefined) : typeof value === 'string' ? value : JSON.stringify(value);
    if (text !== undefined && text !== view.values[key]) puts.push({ Key: key, Value: text });
  }
  return puts;
}

/**
 * Preflight: refuses a store that is not READY, locked by another execution, mid-rollout without a lock,
 * whose canary colour already serves everyone, that keeps a pin list or viewer_cookie the edge cannot read,
 * or whose pins to the canary's colour are above the bound without the override; otherwise takes the lock (`lockValue`) in
 * one batch with the request's pins and any edge key that is missing.
 */
export function decidePreflight(rollout: KvsRollout, view: StoreView, lockValue: string): PreflightDecision {
  const { target } = rollout;
  const name = describeStore(target);
  if (view.status !== undefined && view.status.toUpperCase() !== 'READY') {
    throw new PreflightFailed(`${name} is ${view.status}, not READY; wait until CloudFront has provisioned it, then start again.`);
  }
  const lock = parseLock(view.values.coalmine_lock);
  const ours = heldBy(lock, rollout.holder);
  if (lock !== undefined && !ours) {
    throw new RolloutInProgress(`${name} is locked by ${describeLock(lock)}: another rollout drives it. ${releaseHint(target)}`);
  }
  const start = startingPercentage(rollout, view.values.green_percentage, ours);
  const pins = pinsAfterPreflight(target, view);
  checkCanaryPins(rollout, pins);
  const puts: Change['puts'] = [...start.puts, ...(ours ? [] : [{ Key: KVS_KEYS.lock, Value: lockValue }]), ...edgeKeyPuts(target, view)];
  return {
    change: puts.length > 0 ? { puts, deletes: [] } : null,
    before: start.before,
    pins: { blue: describePins(pins.blueCidrs, pins.blueCountries), green: describePins(pins.greenCidrs, pins.greenCountries) },
  };
}

/** The puts that empty `keys` where they hold pins: a missing optional key stays missing. */
function emptied(view: StoreView, cidrKey: KeyName, countriesKey: KeyName): Change['puts'] {
  const puts: Change['puts'] = [];
  if (view.values[cidrKey] !== '[]') puts.push({ Key: cidrKey, Value: '[]' });
  const countries = view.values[countriesKey];
  if (countries !== undefined && countries !== '[]') puts.push({ Key: countriesKey, Value: '[]' });
  return puts;
}

/** ShiftTraffic: the canary's share from `from` to `percent`, only while this rollout holds the lock. */
export function decideShift(rollout: KvsRollout, view: StoreView, percent: number, from: number): Change | null {
  const action = `shift to ${percent} %`;
  assertLockOurs(rollout, view, action);
  const current = canaryShare(rollout.target, view.values.green_percentage, action);
  if (current === percent) return null;
  assertAt(rollout, current, from, action);
  return { puts: [percentagePut(rollout, percent)], deletes: [] };
}

/** Promote: 100 % to the canary, the old colour's pins emptied and the lock released, in one batch. Idempotent. */
export function decidePromote(rollout: KvsRollout, view: StoreView, from: number): Change | null {
  const canary = rollout.target.stableAfterPromotion;
  const lock = parseLock(view.values.coalmine_lock);
  const current = parsePercentage(view.values.green_percentage);
  // Promoted already (a retried Promote): the final batch put 100 % and removed the lock together.
  if (lock === undefined && current !== undefined && shareOf(current, canary) === 100) return null;
  assertLockOurs(rollout, view, 'promote');
  const share = canaryShare(rollout.target, view.values.green_percentage, 'promote');
  if (share !== 100) assertAt(rollout, share, from, 'promote');
  // A pin to the old colour would keep its viewers on the old version: promotion leaves nobody behind.
  const puts = [percentagePut(rollout, 100), ...emptied(view, pinKey(other(canary)), countryKey(other(canary)))];
  return { puts, deletes: [{ Key: KVS_KEYS.lock }] };
}

/**
 * RollBack: 0 % to the canary and its pins emptied, when this rollout holds the lock or nobody does and the
 * canary still has traffic; the lock released if ours. Another execution's store is left alone. Idempotent.
 */
export function decideRollback(rollout: KvsRollout, view: StoreView): { change: Change | null; outcome: RollbackOutcome } {
  const { target, holder } = rollout;
  const name = describeStore(target);
  const canary = target.stableAfterPromotion;
  const canaryPins = pinKey(canary);
  const lock = parseLock(view.values.coalmine_lock);
  const raw = view.values.green_percentage;
  const green = parsePercentage(raw);
  const share = green === undefined ? undefined : shareOf(green, canary);
  const ours = heldBy(lock, holder);
  if (lock !== undefined && !ours) {
    // Another rollout drives the store now: its canary is not ours to undo.
    return {
      change: null,
      outcome: { changed: false, detail: `${name} is locked by ${describeLock(lock)}, not by this rollout (${holder}); left as it is` },
    };
  }
  if (!ours && share === 0) {
    return {
      change: null,
      outcome: { changed: false, detail: `${name} already gives the ${canary} canary 0 % (${KVS_KEYS.greenPercentage} ${raw})` },
    };
  }
  // Ours, or nobody's with traffic still on the canary: rolling back is the way to safety.
  const pinPuts = emptied(view, canaryPins, countryKey(canary));
  const puts = [...(share === 0 ? [] : [percentagePut(rollout, 0)]), ...pinPuts];
  const cleared = pinPuts.filter((put) => view.values[put.Key] !== undefined).map((put) => put.Key);
  const changed = share !== 0 || cleared.length > 0;
  const was = share === undefined ? `an unreadable ${KVS_KEYS.greenPercentage} ${JSON.stringify(raw ?? null)}` : `${share} %`;
  const detail =
    `${name} gives the ${canary} canary 0 % again (${KVS_KEYS.greenPercentage} ${greenFor(0, canary)}, was ${was}` +
    `${cleared.length > 0 ? `; ${cleared.join(' and ')} cleared` : ''})` +
    `${ours ? '; lock released' : `; there was no ${KVS_KEYS.lock}`}`;
  return { change: { puts, deletes: ours ? [{ Key: KVS_KEYS.lock }] : [] }, outcome: { changed, detail } };
}

/** The keys the rollback window's restore reads: the weight, the lock, both colours' pins, the record. */
export const restoreKeys = (target: CloudFrontKvsTarget): KeyName[] => [
  ...rollbackKeys(target),
  pinKey(other(target.stableAfterPromotion)),
  countryKey(other(target.stableAfterPromotion)),
  KVS_KEYS.restore,
];

const isEmptyList = (text: string | undefined): boolean => text === undefined || text.trim() === '[]';

/**
 * What a store shows after the rollout ended promoted. As the promotion left it: the canary's colour serves
 * everyone, no lock, no pin to the old colour (the promotion emptied them). Restored: the canary's colour
 * serves nobody and no lock. Anything else is somebody else's change (another rollout's lock among them).
 */
export function promotedStoreView(target: CloudFrontKvsTarget, view: StoreView): PromotedView {
  const name = describeStore(target);
  const canary = target.stableAfterPromotion;
  const lock = parseLock(view.values.coalmine_lock);
  if (lock !== undefined) return { kind: 'changed', detail: `${name} is locked by ${describeLock(lock)}: another rollout drives it` };
  const raw = view.values.green_percentage;
  const green = parsePercentage(raw);
  if (green === undefined) return { kind: 'changed', detail: `${name}: ${KVS_KEYS.greenPercentage} is ${raw === undefined ? 'missing' : JSON.stringify(raw)}, not a whole percentage` };
  const share = shareOf(green, canary);
  if (share === 0) {
    const record = parseRestoreRecord(view.values.coalmine_restore);
    return { kind: 'restored', detail: `${name} gives the ${canary} canary 0 % (${KVS_KEYS.greenPercentage} ${green}): everyone is on ${other(canary)}`, ...(record !== undefined ? { record } : {}) };
  }
  if (share !== 100) return { kind: 'changed', detail: `${name} gives the ${canary} canary ${share} % (${KVS_KEYS.greenPercentage} ${green}), not the 100 % the promotion left` };
  const pinned = [pinKey(other(canary)), countryKey(other(canary))].filter((key) => !isEmptyList(view.values[key]));
  if (pinned.length > 0) return { kind: 'changed', detail: `${name}: ${pinned.join(' and ')} pin viewers to ${other(canary)} again since the promotion emptied them` };
  return { kind: 'as-promoted', detail: `${name} gives the ${canary} canary 100 % (${KVS_KEYS.greenPercentage} ${green}), as the promotion left it` };
}

/**
 * The restore's batch, from a store as the promotion left it: the colour the rollout started from serves
 * everyone again, the canary colour's pins emptied (as a rollback does), and the record; null (nothing to
 * write) from any other store, whose view `promotedStoreView` gives.
 */
export function decideRestore(target: CloudFrontKvsTarget, view: StoreView, record: Omit<RestoreRecord, 'restored'>): Change | null {
  if (promotedStoreView(target, view).kind !== 'as-promoted') return null;
  const canary = target.stableAfterPromotion;
  const text = formatRestoreRecord({ ...record, restored: other(canary) });
  const puts = [{ Key: KVS_KEYS.greenPercentage, Value: String(greenFor(0, canary)) }, ...emptied(view, pinKey(canary), countryKey(canary)), { Key: KVS_KEYS.restore, Value: text }];
  return { puts, deletes: [] };
}
