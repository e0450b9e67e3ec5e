/**
 * The Promote and RollBack tasks' bodies: all traffic to the new version, or all back to the baseline with
 * the execution's failure worded. functions/promote.ts and roll-back.ts wrap them.
 */
import { explainFailure, type CaughtError } from '../failure';
import { routerFor } from '../routers/registry';
import type { Rollout, RolloutState } from '../rollout';
import { labelOf, promotedRecords, rolledBackRecords } from '../telemetry/records';
import { publishMetrics } from '../telemetry/sink';
import { weightBefore } from './traffic';

/** Sends all traffic to the new version. */
export async function promote(state: Pick<RolloutState, 'rollout'>): Promise<{ promotedAt: string; weight: 100 }> {
  await routerFor(state.rollout).promote(weightBefore(state.rollout, state.rollout.plan.steps.length));
  publishMetrics(promotedRecords(state.rollout));
  return { promotedAt: new Date().toISOString(), weight: 100 };
}

export interface RollbackInput {
  readonly rollout: Rollout;
  readonly failure: CaughtError;
}

export interface RollbackOutput {
  /** The original error's name: the execution fails with it. */
  readonly error: string;
  readonly cause: string;
  readonly changed: boolean;
  readonly weight: 0;
  readonly rolledBackAt: string;
}

/** Sends all traffic back to the baseline and words the execution's failure. Safe to run twice. */
export async function rollBack(input: RollbackInput): Promise<RollbackOutput> {
  const outcome = await routerFor(input.rollout).rollback();
  publishMetrics(rolledBackRecords(labelOf(input.rollout), { error: input.failure.Error }));
  return {
    error: input.failure.Error,
    // Most error messages end in a full stop already; do not double it.
    cause: `${explainFailure(input.failure).replace(/\.\s*$/, '')}. Rolled back: ${outcome.detail}.`,
    changed: outcome.changed,
    weight: 0,
    rolledBackAt: new Date().toISOString(),
  };
}
