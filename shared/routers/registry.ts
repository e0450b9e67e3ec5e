/**
 * Every router kind, keyed by target type. An unknown type cannot get here: the request schema only
 * admits the types listed, and the type below makes a missing entry a compile error.
 */
import type { Target, TargetType } from '../config/targets';
import { cloudFrontKvsKind } from './cloudfront-kvs';
import { lambdaAliasKind } from './lambda-alias';
import type { Rollout } from '../rollout';
import type { RouterKind, TrafficRouter } from './types';

type Registry = { readonly [K in TargetType]: RouterKind<Extract<Target, { type: K }>> };

export const ROUTER_KINDS: Registry = {
  'lambda-alias': lambdaAliasKind,
  'cloudfront-kvs': cloudFrontKvsKind,
};

export function routerKindFor<T extends Target>(target: T): RouterKind<T> {
  return ROUTER_KINDS[target.type] as unknown as RouterKind<T>;
}

/** The router for a planned rollout: its target, released or moved from the baseline Preflight read. */
export function routerFor(rollout: Pick<Rollout, 'request' | 'baseline'>): TrafficRouter {
  return routerKindFor(rollout.request.target).create(rollout.request.target, rollout.baseline);
}
