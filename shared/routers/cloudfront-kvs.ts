/**
 * CloudFront KeyValueStore router: moves the `green_percentage` key that the edge function
 * (edge/x-deployment.js) turns into `x-deployment: blue|green`, and manages the pin lists `blue_cidrs` and
 * `green_cidrs`. docs/edge.md ("CloudFront KVS target") states the rules this file implements.
 *
 * Every write is one UpdateKeys batch carrying the store's ETag as IfMatch, after reading the keys it
 * decides on: a write lands only on the exact store it was decided on. A lost race (ConflictException)
 * re-reads and decides again, up to CAS_ATTEMPTS times, then surfaces as TrafficWriteConflict. What each
 * task writes, given what it read, is decided by the pure functions of ./kvs-decisions.ts; this file does the I/O.
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
} from '@aws-sdk/client-cloudfront-keyvaluestore';
import { kvsClient } from '../aws/kvs';
import { KVS_KEYS } from '../config/target-facts';
import type { CloudFrontKvsTarget } from '../config/targets';
import { PreflightFailed, TrafficWriteConflict, awsCall } from '../errors';
import type { Baseline } from '../rollout';
import {
  canaryShare,
  decidePreflight,
  decidePromote,
  decideRestore,
  decideRollback,
  decideShift,
  PREFLIGHT_KEYS,
  promotedStoreView,
  promoteKeys,
  restoreKeys,
  rollbackKeys,
  SHIFT_KEYS,
  type Change,
  other,
  type KeyName,
  type KvsRollout,
  type PreflightDecision,
  type StoreView,
} from './kvs-decisions';
import { describeStore as describe, type KvsLock } from './kvs-reading';
import type { RestoreRecord } from './restore-record';
import type { PreflightContext, PromotedView, RestoreWrite, RollbackOutcome, RouterKind, TrafficRouter, VerifyResult } from './types';

/** How often one router call tries its compare-and-swap write before giving up with TrafficWriteConflict. */
export const CAS_ATTEMPTS = 3;

/** The error a KVS write raises when its IfMatch ETag is no longer the store's. */
const LOST_RACE = 'ConflictException';

interface Snapshot extends StoreView {
  readonly etag: string;
}

function isNamed(error: unknown, name: string): boolean {
  return error instanceof Error && error.name === name;
}

/** Reads the store's ETag first, then the keys: any write after the ETag read makes a write with it fail. */
async function readStore(target: CloudFrontKvsTarget, keys: readonly KeyName[]): Promise<Snapshot> {
  const store = await awsCall('DescribeKeyValueStore', () =>
    kvsClient().send(new DescribeKeyValueStoreCommand({ KvsARN: target.kvsArn })),
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
    const item = await awsCall('GetKey', () => kvsClient().send(new GetKeyCommand({ KvsARN: target.kvsArn, Key: key })));
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
        kvsClient().send(
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
  private readonly rollout: KvsRollout;

  constructor(
    private readonly target: CloudFrontKvsTarget,
    baseline: Baseline,
  ) {
    this.rollout = { target, holder: String(baseline.lockHolder) };
  }

  async getWeight(): Promise<number> {
    return canaryShare(this.target, await getKey(this.target, KVS_KEYS.greenPercentage), 'read the weight');
  }

  async setWeight(percent: number, from: number): Promise<void> {
    if (!(Number.isInteger(percent) && percent >= 0 && percent < 100)) {
      throw new RangeError(`setWeight takes a whole 0 <= percent < 100 on a KVS target, got ${percent}; use promote() for 100`);
    }
    await compareAndSwap(this.target, `shift to ${percent} %`, SHIFT_KEYS, (snapshot) => decideShift(this.rollout, snapshot, percent, from));
  }

  /** The store holds what the router reads back at once; whether the edges have it cannot be seen. */
  async verifyWeight(percent: number): Promise<VerifyResult> {
    return (await this.getWeight()) === percent ? 'unobservable' : 'mismatch';
  }

  async promote(from: number): Promise<void> {
    await compareAndSwap(this.target, 'promote', promoteKeys(this.target), (snapshot) => decidePromote(this.rollout, snapshot, from));
  }

  async rollback(): Promise<RollbackOutcome> {
    let outcome: RollbackOutcome = { changed: false, detail: '' };
    await compareAndSwap(this.target, 'roll back', rollbackKeys(this.target), (snapshot) => {
      const decision = decideRollback(this.rollout, snapshot);
      outcome = decision.outcome;
      return decision.change;
    });
    return outcome;
  }

  async inspectPromoted(): Promise<PromotedView> {
    return promotedStoreView(this.target, await readStore(this.target, restoreKeys(this.target)));
  }

  /** One UpdateKeys with the ETag of the read it decided on; a lost race reads and decides again (compareAndSwap). */
  async restore(record: Omit<RestoreRecord, 'restored'>): Promise<RestoreWrite> {
    let view: PromotedView | undefined;
    await compareAndSwap(this.target, 'restore the previous colour', restoreKeys(this.target), (snapshot) => {
      view = promotedStoreView(this.target, snapshot);
      return decideRestore(this.target, snapshot, record);
    });
    if (view === undefined) throw new Error('compareAndSwap returned without a decision');
    if (view.kind !== 'as-promoted') return { written: false, view };
    const old = other(this.target.stableAfterPromotion);
    return { written: true, detail: `${describe(this.target)} sends everyone to ${old} again (was all on ${this.target.stableAfterPromotion})` };
  }
}

async function preflight(target: CloudFrontKvsTarget, context: PreflightContext): Promise<Baseline> {
  const rollout: KvsRollout = { target, holder: context.executionName, allowLargeGreenPins: context.allowLargeGreenPins };
  const lockValue = JSON.stringify({ executionName: context.executionName, since: new Date().toISOString() } satisfies KvsLock);
  let decided: PreflightDecision | undefined;
  await compareAndSwap(target, 'start a rollout', PREFLIGHT_KEYS, (snapshot) => {
    decided = decidePreflight(rollout, snapshot, lockValue);
    return decided.change;
  }).catch((error: unknown) => {
    if (!isNamed(error, 'ResourceNotFoundException')) throw error;
    throw new PreflightFailed(
      `The KeyValueStore ${target.kvsArn} does not exist (or is in another account). ` +
        'Create it and associate it with the edge function first, then use the ARN that describe-key-value-store prints.',
      { cause: error },
    );
  });
  if (decided === undefined) throw new Error('compareAndSwap returned without a decision');
  // The pins' share of the address space travels with the rollout: the execution's state shows it.
  return { greenPercentage: decided.before, lockHolder: context.executionName, bluePins: decided.pins.blue, greenPins: decided.pins.green };
}

export const cloudFrontKvsKind: RouterKind<CloudFrontKvsTarget> = {
  observable: false,
  describe,
  preflight,
  create: (target, baseline) => new CloudFrontKvsRouter(target, baseline),
};
