/**
 * How a KeyValueStore's keys read, deciding nothing: the store's name in messages, green_percentage, the
 * lock, and the canary's share. The router registry and the reconciler's target reader need these at load;
 * the decisions that need more (shared/routers/kvs-decisions.ts, with the pin checks of shared/net/) are
 * imported with the cloudfront-kvs router, on a rollout of a store.
 */
import type { CloudFrontKvsTarget } from '../config/targets';

export type Colour = 'green' | 'blue';

export interface KvsLock {
  readonly executionName: string;
  /** When the execution took the lock (ISO 8601). */
  readonly since: string;
}

/** The green_percentage that gives the canary `share` percent. */
export const greenFor = (share: number, canary: Colour): number => (canary === 'green' ? share : 100 - share);
/** The canary's share that a green_percentage gives. */
export const shareOf = (green: number, canary: Colour): number => (canary === 'green' ? green : 100 - green);

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

/** The store's short name in messages: "kvs/<id>". */
export function describeStore(target: CloudFrontKvsTarget): string {
  return `kvs/${storeId(target)}`;
}
