/**
 * What an ended rollout's target shows now (race-rules.ts TargetState), read through the routers' own
 * reads, and the baseline a router needs to return it to 0 %. One reader per target type.
 *
 * The baseline comes from the target, not from the execution's history: the request is all the
 * execution's input holds, and coalmine only ever weights its version on top of the alias's baseline
 * version (a Lambda alias), or drives the store under the execution's own lock (a KeyValueStore).
 *
 * A reader imports its router's module (and with it the router's AWS client) when it first reads, as the
 * router registry does (shared/routers/registry.ts): a function that only names targets (targetKey) or
 * reads one kind loads no other kind's client.
 */
import type { CloudFrontKvsTarget, LambdaAliasTarget, Target, TargetType } from '../config/targets';
import { KVS_KEYS } from '../config/target-facts';
import { describeError } from '../errors';
import type { CallRetry } from '../outside-rollback';
import { toPercent } from '../routers/alias-decisions';
import { describeStore, parseLock, parsePercentage, shareOf } from '../routers/kvs-reading';
import type { Baseline } from '../rollout';
import type { TargetState } from './race-rules';

export interface TargetReading {
  readonly state: TargetState;
  /** What the router that rolls this target back is made with; undefined when nothing may be rolled back. */
  readonly baseline?: Baseline;
}

type Reader<T extends Target> = (target: T, executionName: string) => Promise<TargetReading>;

async function readLambdaAlias(target: LambdaAliasTarget): Promise<TargetReading> {
  const { getAlias } = await import('../routers/lambda-alias');
  const alias = await getAlias(target);
  const weights = alias.RoutingConfig?.AdditionalVersionWeights ?? {};
  const others = Object.keys(weights).filter((v) => v !== target.version);
  const ours = weights[target.version];
  const name = `${target.functionName}:${target.alias}`;
  if (others.length > 0) {
    return { state: { kind: 'not-ours', detail: `${name} weights version ${others.join(', ')}, which this rollout never did` } };
  }
  if (ours !== undefined) {
    const weight = toPercent(ours);
    return {
      state: { kind: 'split', weight, detail: `${name} sends ${weight} % to version ${target.version} besides version ${alias.FunctionVersion}` },
      baseline: { version: String(alias.FunctionVersion) },
    };
  }
  const promoted = alias.FunctionVersion === target.version;
  return { state: { kind: 'final', weight: promoted ? 100 : 0, detail: `${name} sends all traffic to version ${alias.FunctionVersion}` } };
}

async function readKeyValueStore(target: CloudFrontKvsTarget, executionName: string): Promise<TargetReading> {
  const { getKey } = await import('../routers/cloudfront-kvs');
  const raw = await getKey(target, KVS_KEYS.greenPercentage);
  const lock = parseLock(await getKey(target, KVS_KEYS.lock));
  const name = describeStore(target);
  const green = parsePercentage(raw);
  const baseline: Baseline = { lockHolder: executionName };
  if (lock !== undefined && (lock === 'unreadable' || lock.executionName !== executionName)) {
    const holder = lock === 'unreadable' ? 'an unreadable lock' : `execution ${lock.executionName}`;
    return { state: { kind: 'not-ours', detail: `${name} is locked by ${holder}` } };
  }
  if (green === undefined) {
    return { state: { kind: 'not-ours', detail: `${name}: ${KVS_KEYS.greenPercentage} is ${raw === undefined ? 'missing' : JSON.stringify(raw)}, a value coalmine never writes` } };
  }
  const share = shareOf(green, target.stableAfterPromotion);
  const detail = `${name} gives the ${target.stableAfterPromotion} canary ${share} % (${KVS_KEYS.greenPercentage} ${green})`;
  if (share > 0 && share < 100) return { state: { kind: 'split', weight: share, detail }, baseline };
  if (lock !== undefined && share === 0) {
    return { state: { kind: 'lock-held', weight: share, detail: `${detail}, still locked by this execution` }, baseline };
  }
  // At 100 % under this execution's lock: no coalmine write leaves that (promote puts 100 % and removes the
  // lock in one batch), so it is a person's; a person releases it.
  if (lock !== undefined) return { state: { kind: 'not-ours', detail: `${detail} under this execution's lock, which no coalmine write leaves` } };
  return { state: { kind: 'final', weight: share === 0 ? 0 : 100, detail } };
}

const READERS: { readonly [K in TargetType]: Reader<Extract<Target, { type: K }>> } = {
  'lambda-alias': readLambdaAlias,
  'cloudfront-kvs': readKeyValueStore,
};

const once: CallRetry = (call) => call();

/**
 * What `target` shows now for the execution `executionName`, the read retried by `retry` (by default it is not:
 * the reconciler retries); a read that still fails is `unreadable`, never thrown.
 */
export async function readTargetState(target: Target, executionName: string, retry: CallRetry = once): Promise<TargetReading> {
  const reader = READERS[target.type] as Reader<Target>;
  try {
    return await retry(() => reader(target, executionName));
  } catch (error) {
    return { state: { kind: 'unreadable', detail: describeError(error) } };
  }
}

/** One key per target, to tell two rollouts of the same target apart from two of different ones. */
export function targetKey(target: Target): string {
  return target.type === 'lambda-alias' ? `lambda:${target.functionName}:${target.alias}` : `kvs:${target.kvsArn}`;
}
