/**
 * CloudFront KeyValueStore router: moves the `green_percentage` key that the edge function
 * (edge/x-deployment.js) turns into `x-deployment: blue|green`, and manages the pin lists `blue_cidrs` and
 * `green_cidrs`. docs/edge.md ("CloudFront KVS target") states the rules this file implements.
 *
 * Every write is one UpdateKeys batch carrying the store's ETag as IfMatch, after reading the keys it
 * decides on: a write lands only on the exact store it was decided on. A lost race (ConflictException)
 * re-reads and decides again, up to CAS_ATTEMPTS times, then surfaces as TrafficWriteConflict.
 *
 * Colours: the new version is deployed as the colour that is stable after promotion (`stableAfterPromotion`,
 * green by default), so that colour is the canary. The router's weights are the canary's share; with a blue
 * canary the key holds 100 minus that share. The edge needs nothing for either: a viewer is green while its
 * bucket is below the key, so moving the key either way only moves viewers towards the canary.
 *
 * The lock key `coalmine_lock` names the execution that drives the store. Preflight takes it, promote and
 * rollback release it in their final batch, and nothing else removes it: a lock held by another execution
 * refuses the rollout, however old it is (coalmine cannot tell a stopped execution from a long bake).
 */
import {
  DescribeKeyValueStoreCommand,
  GetKeyCommand,
  UpdateKeysCommand,
  type DeleteKeyRequestListItem,
  type PutKeyRequestListItem,
} from '@aws-sdk/client-cloudfront-keyvaluestore';
import { aws } from '../aws/clients';
import { KVS_KEYS, type CloudFrontKvsTarget } from '../config/targets';
import { PreflightFailed, RolloutInProgress, TrafficConflict, TrafficWriteConflict, awsCall } from '../errors';
import type { Baseline } from '../rollout';
import type { PreflightContext, RollbackOutcome, RouterKind, TrafficRouter, VerifyResult } from './types';

/** How often one router call tries its compare-and-swap write before giving up with TrafficWriteConflict. */
export const CAS_ATTEMPTS = 3;

/** The error a KVS write raises when its IfMatch ETag is no longer the store's. */
const LOST_RACE = 'ConflictException';

type Colour = 'green' | 'blue';
type KeyName = (typeof KVS_KEYS)[keyof typeof KVS_KEYS];

export interface KvsLock {
  readonly executionName: string;
  /** When the execution took the lock (ISO 8601). */
  readonly since: string;
}

interface Snapshot {
  readonly etag: string;
  readonly status: string | undefined;
  /** The keys read, by name; a missing key is absent. */
  readonly values: Partial<Record<KeyName, string>>;
}

interface Change {
  readonly puts: PutKeyRequestListItem[];
  readonly deletes: DeleteKeyRequestListItem[];
}

const other = (colour: Colour): Colour => (colour === 'green' ? 'blue' : 'green');
const pinKey = (colour: Colour): KeyName => (colour === 'green' ? KVS_KEYS.greenCidrs : KVS_KEYS.blueCidrs);
/** The green_percentage that gives the canary `share` percent. */
const greenFor = (share: number, canary: Colour): number => (canary === 'green' ? share : 100 - share);
/** The canary's share that a green_percentage gives. */
const shareOf = (green: number, canary: Colour): number => (canary === 'green' ? green : 100 - green);

/** The edge reads green_percentage as a decimal 0..100 without sign or leading zeros; anything else sends everyone to blue. */
export function parsePercentage(text: string | undefined): number | undefined {
  const trimmed = text?.trim();
  return trimmed !== undefined && /^(0|[1-9][0-9]?|100)$/.test(trimmed) ? Number(trimmed) : undefined;
}

export function parseLock(text: string | undefined): KvsLock | 'unreadable' | undefined {
  if (text === undefined) return undefined;
  try {
    const value = JSON.parse(text) as Partial<KvsLock>;
    if (typeof value.executionName === 'string' && value.executionName !== '') {
      return { executionName: value.executionName, since: String(value.since ?? 'an unknown time') };
    }
  } catch {
    // An unreadable lock still locks: only a person can tell whose it was.
  }
  return 'unreadable';
}

function storeId(target: CloudFrontKvsTarget): string {
  return target.kvsArn.slice(target.kvsArn.lastIndexOf('/') + 1);
}

function describe(target: CloudFrontKvsTarget): string {
  return `kvs/${storeId(target)}`;
}

function isNamed(error: unknown, name: string): boolean {
  return error instanceof Error && error.name === name;
}

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

/** Reads the store's ETag first, then the keys: any write after the ETag read makes a write with it fail. */
async function readStore(target: CloudFrontKvsTarget, keys: readonly KeyName[]): Promise<Snapshot> {
  const store = await awsCall('DescribeKeyValueStore', () =>
    aws.kvs.send(new DescribeKeyValueStoreCommand({ KvsARN: target.kvsArn })),
  );
  if (store.ETag === undefined) throw new Error(`DescribeKeyValueStore of ${target.kvsArn} returned no ETag`);
  const values: Partial<Record<KeyName, string>> = {};
  for (const key of keys) {
    const value = await getKey(target, key);
    if (value !== undefined) values[key] = value;
  }
  return { etag: store.ETag, status: store.Status, values };
}

export async function getKey(target: CloudFrontKvsTarget, key: KeyName): Promise<string | undefined> {
  try {
    const item = await awsCall('GetKey', () => aws.kvs.send(new GetKeyCommand({ KvsARN: target.kvsArn, Key: key })));
    return item.Value;
  } catch (error) {
    if (isNamed(error, 'ResourceNotFoundException')) return undefined;
    throw error;
  }
}

/**
 * Reads `keys`, lets `decide` turn what it read into a change (null: nothing to write), and writes that change
 * with the ETag it was decided on. A lost race reads and decides again; CAS_ATTEMPTS lost races in a row
 * are a TrafficWriteConflict, which the state machine retries after a back-off.
 */
async function compareAndSwap(
  target: CloudFrontKvsTarget,
  action: string,
  keys: readonly KeyName[],
  decide: (snapshot: Snapshot) => Change | null,
): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    const snapshot = await readStore(target, keys);
    const change = decide(snapshot);
    if (change === null) return;
    try {
      await awsCall('UpdateKeys', () =>
        aws.kvs.send(
          new UpdateKeysCommand({
            KvsARN: target.kvsArn,
            IfMatch: snapshot.etag,
            ...(change.puts.length > 0 ? { Puts: change.puts } : {}),
            ...(change.deletes.length > 0 ? { Deletes: change.deletes } : {}),
          }),
        ),
      );
      return;
    } catch (error) {
      if (!isNamed(error, LOST_RACE)) throw error;
      if (attempt >= CAS_ATTEMPTS) {
        throw new TrafficWriteConflict(
          `Cannot ${action} on ${describe(target)}: the store changed between read and write ${attempt} times in a row ` +
            `(last ETag ${snapshot.etag}); something else is writing to it`,
          { cause: error },
        );
      }
    }
  }
}

export class CloudFrontKvsRouter implements TrafficRouter {
  private readonly canary: Colour;
  private readonly holder: string;

  constructor(
    private readonly target: CloudFrontKvsTarget,
    baseline: Baseline,
  ) {
    this.canary = target.stableAfterPromotion;
    this.holder = String(baseline.lockHolder);
  }

  async getWeight(): Promise<number> {
    return this.shareIn(await getKey(this.target, KVS_KEYS.greenPercentage), 'read the weight');
  }

  async setWeight(percent: number, from: number): Promise<void> {
    if (!(Number.isInteger(percent) && percent >= 0 && percent < 100)) {
      throw new RangeError(`setWeight takes a whole 0 <= percent < 100 on a KVS target, got ${percent}; use promote() for 100`);
    }
    const action = `shift to ${percent} %`;
    await compareAndSwap(this.target, action, [KVS_KEYS.greenPercentage, KVS_KEYS.lock], (snapshot) => {
      this.assertLockOurs(snapshot, action);
      const current = this.shareIn(snapshot.values.green_percentage, action);
      if (current === percent) return null;
      this.assertAt(current, from, action);
      return { puts: [this.percentagePut(percent)], deletes: [] };
    });
  }

  /** The store holds what the router reads back at once; whether the edges have it cannot be seen. */
  async verifyWeight(percent: number): Promise<VerifyResult> {
    return (await this.getWeight()) === percent ? 'unobservable' : 'mismatch';
  }

  async promote(from: number): Promise<void> {
    const oldPins = pinKey(other(this.canary));
    await compareAndSwap(this.target, 'promote', [KVS_KEYS.greenPercentage, KVS_KEYS.lock, oldPins], (snapshot) => {
      const lock = parseLock(snapshot.values.coalmine_lock);
      const current = parsePercentage(snapshot.values.green_percentage);
      // Promoted already (a retried Promote): the final batch put 100 % and removed the lock together.
      if (lock === undefined && current !== undefined && shareOf(current, this.canary) === 100) return null;
      this.assertLockOurs(snapshot, 'promote');
      const share = this.shareIn(snapshot.values.green_percentage, 'promote');
      if (share !== 100) this.assertAt(share, from, 'promote');
      // A pin to the old colour would keep its viewers on the old version: promotion leaves nobody behind.
      const puts = [this.percentagePut(100)];
      if (snapshot.values[oldPins] !== '[]') puts.push({ Key: oldPins, Value: '[]' });
      return { puts, deletes: [{ Key: KVS_KEYS.lock }] };
    });
  }

  async rollback(): Promise<RollbackOutcome> {
    const name = describe(this.target);
    const canaryPins = pinKey(this.canary);
    let outcome: RollbackOutcome = { changed: false, detail: '' };
    await compareAndSwap(this.target, 'roll back', [KVS_KEYS.greenPercentage, KVS_KEYS.lock, canaryPins], (snapshot) => {
      const lock = parseLock(snapshot.values.coalmine_lock);
      const raw = snapshot.values.green_percentage;
      const green = parsePercentage(raw);
      const share = green === undefined ? undefined : shareOf(green, this.canary);
      const ours = lock !== undefined && lock !== 'unreadable' && lock.executionName === this.holder;
      if (lock !== undefined && !ours) {
        // Another rollout drives the store now: its canary is not ours to undo.
        outcome = {
          changed: false,
          detail: `${name} is locked by ${describeLock(lock)}, not by this rollout (${this.holder}); left as it is`,
        };
        return null;
      }
      if (!ours && share === 0) {
        outcome = { changed: false, detail: `${name} already gives the ${this.canary} canary 0 % (${KVS_KEYS.greenPercentage} ${raw})` };
        return null;
      }
      // Ours, or nobody's with traffic still on the canary: rolling back is the way to safety.
      const puts = share === 0 ? [] : [this.percentagePut(0)];
      const pinned = snapshot.values[canaryPins];
      if (pinned !== '[]') puts.push({ Key: canaryPins, Value: '[]' });
      const changed = share !== 0 || (pinned !== undefined && pinned !== '[]');
      const was = share === undefined ? `an unreadable ${KVS_KEYS.greenPercentage} ${JSON.stringify(raw ?? null)}` : `${share} %`;
      outcome = {
        changed,
        detail:
          `${name} gives the ${this.canary} canary 0 % again (${KVS_KEYS.greenPercentage} ${greenFor(0, this.canary)}, was ${was}` +
          `${pinned !== undefined && pinned !== '[]' ? `; ${canaryPins} cleared` : ''})` +
          `${ours ? '; lock released' : `; there was no ${KVS_KEYS.lock}`}`,
      };
      return { puts, deletes: ours ? [{ Key: KVS_KEYS.lock }] : [] };
    });
    return outcome;
  }

  private percentagePut(share: number): PutKeyRequestListItem {
    return { Key: KVS_KEYS.greenPercentage, Value: String(greenFor(share, this.canary)) };
  }

  /** The canary's share in a green_percentage text; a missing or malformed key is somebody else's change. */
  private shareIn(text: string | undefined, action: string): number {
    const green = parsePercentage(text);
    if (green !== undefined) return shareOf(green, this.canary);
    throw new TrafficConflict(
      `Cannot ${action} on ${describe(this.target)}: ${KVS_KEYS.greenPercentage} is ` +
        `${text === undefined ? 'missing' : `${JSON.stringify(text)}, not a whole percentage`} (the edge sends everyone to blue). ` +
        'It was changed outside this rollout; coalmine leaves it untouched.',
    );
  }

  private assertLockOurs(snapshot: Snapshot, action: string): void {
    const lock = parseLock(snapshot.values.coalmine_lock);
    if (lock !== undefined && lock !== 'unreadable' && lock.executionName === this.holder) return;
    throw new TrafficConflict(
      `Cannot ${action} on ${describe(this.target)}: this rollout (${this.holder}) no longer holds ${KVS_KEYS.lock}; ` +
        `${lock === undefined ? 'someone removed it' : `it is held by ${describeLock(lock)}`}. Coalmine does not move traffic it does not own.`,
    );
  }

  /** Traffic moves only forward from where this rollout left it; see TrafficRouter.setWeight. */
  private assertAt(current: number, expected: number, action: string): void {
    if (current === expected) return;
    throw new TrafficConflict(
      `Cannot ${action} on ${describe(this.target)}: the ${this.canary} canary has ${current} %, not the ${expected} % this rollout ` +
        'left it at. Someone else moved it (a rollback from an alarm or a person); coalmine does not move it forward again.',
    );
  }
}

async function preflight(target: CloudFrontKvsTarget, context: PreflightContext): Promise<Baseline> {
  const name = describe(target);
  const canary = target.stableAfterPromotion;
  const idle = greenFor(0, canary);
  const lockValue = JSON.stringify({ executionName: context.executionName, since: new Date().toISOString() } satisfies KvsLock);
  const keys = [KVS_KEYS.greenPercentage, KVS_KEYS.lock, KVS_KEYS.blueCidrs, KVS_KEYS.greenCidrs] as const;
  let before = idle;
  await compareAndSwap(target, 'start a rollout', keys, (snapshot) => {
    if (snapshot.status !== undefined && snapshot.status.toUpperCase() !== 'READY') {
      throw new PreflightFailed(`${name} is ${snapshot.status}, not READY; wait until CloudFront has provisioned it, then start again.`);
    }
    const lock = parseLock(snapshot.values.coalmine_lock);
    const ours = lock !== undefined && lock !== 'unreadable' && lock.executionName === context.executionName;
    if (lock !== undefined && !ours) {
      throw new RolloutInProgress(`${name} is locked by ${describeLock(lock)}: another rollout drives it. ${releaseHint(target)}`);
    }
    const raw = snapshot.values.green_percentage;
    const green = parsePercentage(raw);
    const puts: PutKeyRequestListItem[] = [];
    if (raw === undefined && canary === 'green') {
      // The edge sends everyone to blue while the key is missing: the same as 0 %, written down.
      puts.push({ Key: KVS_KEYS.greenPercentage, Value: String(idle) });
    } else if (green === undefined) {
      throw new PreflightFailed(
        `${name}: ${KVS_KEYS.greenPercentage} is ${raw === undefined ? 'missing' : `${JSON.stringify(raw)}, not a whole percentage`}, ` +
          `so the edge sends everyone to blue; a rollout of a ${canary} canary starts from ${KVS_KEYS.greenPercentage} ${idle}. ` +
          'Set it to what the edge should serve now, then start again.',
      );
    } else if (!ours && green !== idle) {
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
    } else {
      before = green;
    }
    if (!ours) puts.push({ Key: KVS_KEYS.lock, Value: lockValue });
    // The edge sends everyone to blue while any of its keys is missing: a missing pin list becomes [].
    for (const [key, list] of [
      [KVS_KEYS.blueCidrs, target.blueCidrs],
      [KVS_KEYS.greenCidrs, target.greenCidrs],
    ] as const) {
      const value = list === undefined ? (snapshot.values[key] === undefined ? '[]' : undefined) : JSON.stringify(list);
      if (value !== undefined && value !== snapshot.values[key]) puts.push({ Key: key, Value: value });
    }
    return puts.length > 0 ? { puts, deletes: [] } : null;
  }).catch((error: unknown) => {
    if (!isNamed(error, 'ResourceNotFoundException')) throw error;
    throw new PreflightFailed(
      `The KeyValueStore ${target.kvsArn} does not exist (or is in another account). ` +
        'Create it and associate it with the edge function first, then use the ARN that describe-key-value-store prints.',
      { cause: error },
    );
  });
  return { greenPercentage: before, lockHolder: context.executionName };
}

export const cloudFrontKvsKind: RouterKind<CloudFrontKvsTarget> = {
  observable: false,
  describe,
  preflight,
  create: (target, baseline) => new CloudFrontKvsRouter(target, baseline),
};
