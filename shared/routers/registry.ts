/**
 * Every router kind, keyed by target type. An unknown type cannot get here: the request schema only
 * admits the types listed, and the type below makes a missing entry a compile error.
 *
 * A kind's router module (and with it its AWS client: Lambda, or the KeyValueStore client and its SigV4a
 * signer) is imported on first use, not when a handler loads: a function bundles both routers but
 * evaluates only the one its rollout's target needs, so a cold start pays for one client. What a kind
 * says without I/O (observable, describe) is here, from the routers' pure modules.
 */
import type { Target, TargetType } from '../config/targets';
import type { Rollout } from '../rollout';
import { describeAlias } from './alias-decisions';
import { describeStore } from './kvs-reading';
import type { RouterKind, TrafficRouter } from './types';

interface LazyKind<T extends Target> extends Pick<RouterKind<T>, 'observable' | 'describe'> {
  load(): Promise<RouterKind<T>>;
}

type Registry = { readonly [K in TargetType]: LazyKind<Extract<Target, { type: K }>> };

const LAZY_KINDS: Registry = {
  'lambda-alias': { observable: true, describe: describeAlias, load: async () => (await import('./lambda-alias')).lambdaAliasKind },
  'cloudfront-kvs': { observable: false, describe: describeStore, load: async () => (await import('./cloudfront-kvs')).cloudFrontKvsKind },
};

/** A router whose kind's module is imported at its first call. */
function lazyRouter(make: () => Promise<TrafficRouter>): TrafficRouter {
  let router: Promise<TrafficRouter> | undefined;
  const ready = (): Promise<TrafficRouter> => (router ??= make());
  return {
    getWeight: async () => (await ready()).getWeight(),
    setWeight: async (percent, from) => (await ready()).setWeight(percent, from),
    verifyWeight: async (percent) => (await ready()).verifyWeight(percent),
    promote: async (from) => (await ready()).promote(from),
    rollback: async () => (await ready()).rollback(),
    inspectPromoted: async () => (await ready()).inspectPromoted(),
    restore: async (record) => (await ready()).restore(record),
  };
}

function kindOf<T extends Target>(lazy: LazyKind<T>): RouterKind<T> {
  return {
    observable: lazy.observable,
    describe: lazy.describe,
    preflight: async (target, context) => (await lazy.load()).preflight(target, context),
    create: (target, baseline) => lazyRouter(async () => (await lazy.load()).create(target, baseline)),
  };
}

export function routerKindFor<T extends Target>(target: T): RouterKind<T> {
  return kindOf(LAZY_KINDS[target.type] as unknown as LazyKind<T>);
}

/** The router for a planned rollout: its target, released or moved from the baseline Preflight read. */
export function routerFor(rollout: Pick<Rollout, 'request' | 'baseline'>): TrafficRouter {
  return routerKindFor(rollout.request.target).create(rollout.request.target, rollout.baseline);
}
