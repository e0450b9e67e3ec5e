/**
 * The TrafficRouter port: how a rollout moves traffic on one kind of target. Writes use the store's
 * compare-and-swap; a lost race is TrafficWriteConflict, which the state machine retries after a re-read.
 */
import type { Target } from '../config/targets';
import type { Baseline } from '../rollout';
import type { RestoreRecord } from './restore-record';

/** `unobservable`: the store cannot tell whether the weight reached the traffic (edge propagation). */
export type VerifyResult = 'verified' | 'mismatch' | 'unobservable';

export interface RollbackOutcome {
  /** False when the target was already back on its baseline (rollback is safe to call twice). */
  readonly changed: boolean;
  readonly detail: string;
}

export interface TrafficRouter {
  /** Canary share in percent now. */
  getWeight(): Promise<number>;
  /**
   * Moves the canary share from `from` to `percent` (0 ≤ percent < 100); a no-op when it is already at
   * `percent`. Traffic only moves forward from where the rollout left it: any other current weight means
   * someone else (an alarm-pushed rollback, a person) changed it, and the router refuses with
   * TrafficConflict instead of undoing their change. With the store's compare-and-swap this makes a
   * concurrent rollback win over a concurrent shift.
   */
  setWeight(percent: number, from: number): Promise<void>;
  verifyWeight(percent: number): Promise<VerifyResult>;
  /** All traffic to the new version from the last step's `from` share, nothing left in between. Idempotent. */
  promote(from: number): Promise<void>;
  /** All traffic back to the baseline, nothing left in between. Idempotent. */
  rollback(): Promise<RollbackOutcome>;
  /** After the rollout ended promoted: what the target shows (a read only). */
  inspectPromoted(): Promise<PromotedView>;
  /**
   * After the rollout ended promoted: back to the baseline with `record`, in one compare-and-swap write, and
   * only from exactly what the promotion left (else nothing is written and the view says what is there).
   * Names what it restores in the record's `restored`. A lost race is TrafficWriteConflict.
   */
  restore(record: Omit<RestoreRecord, 'restored'>): Promise<RestoreWrite>;
}

/**
 * What the target of a rollout that ended promoted shows now, against what the promotion left: the rollback
 * window's forward-only rule (docs/rollback-window.md) restores only from `as-promoted`.
 */
export type PromotedView =
  /** Exactly what the promotion left: all traffic on the new version. */
  | { readonly kind: 'as-promoted'; readonly detail: string }
  /** Back on the previous version; `record` when a restore wrote one there (it may name another rollout). */
  | { readonly kind: 'restored'; readonly detail: string; readonly record?: RestoreRecord }
  /** Anything else: changed since the promotion, by someone else. */
  | { readonly kind: 'changed'; readonly detail: string };

/** What a restore did: wrote (and what), or found the target no longer as the promotion left it and wrote nothing. */
export type RestoreWrite = { readonly written: true; readonly detail: string } | { readonly written: false; readonly view: PromotedView };

/** What preflight knows about the execution that asks: stores with a rollout lock record it as the holder. */
export interface PreflightContext {
  readonly executionName: string;
  /** The request's override.allowLargeGreenPins (cloudfront-kvs: green pins above the bound are accepted). */
  readonly allowLargeGreenPins: boolean;
}

export interface RouterKind<T extends Target> {
  /** Whether verifyWeight can observe the traffic split (if not, the state machine waits settleSeconds). */
  readonly observable: boolean;
  /** A short human name of the target, e.g. "checkout:live". */
  describe(target: T): string;
  /**
   * Checks the target exists and is idle; returns what rollback needs to restore. Moves no traffic; a store
   * with a rollout lock takes it here for `context.executionName` (a retried preflight of the same execution
   * finds its own lock and goes on).
   */
  preflight(target: T, context: PreflightContext): Promise<Baseline>;
  create(target: T, baseline: Baseline): TrafficRouter;
}
