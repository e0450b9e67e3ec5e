/**
 * The ShiftTraffic and VerifyTraffic tasks' bodies: move the canary to the current step's weight through
 * the target's router, and read it back. functions/shift-traffic.ts and verify-traffic.ts wrap them.
 */
import { TrafficNotYetVisible } from '../errors';
import { routerFor } from '../routers/registry';
import type { VerifyResult } from '../routers/types';
import { firstLookSeconds, type Progress, type Rollout, type RolloutState } from '../rollout';

/** The canary share the plan leaves before step `index` (0 before the first; the last step's before promotion). */
export function weightBefore(rollout: Rollout, index: number): number {
  return rollout.plan.steps[index - 1]?.weight ?? 0;
}

/** Moves the canary to the weight of step `progress.stepIndex`. */
export async function shiftTraffic(state: RolloutState): Promise<Progress> {
  const step = state.rollout.plan.steps[state.progress.stepIndex];
  if (step === undefined) throw new RangeError(`no step ${state.progress.stepIndex} in the plan`);
  await routerFor(state.rollout).setWeight(step.weight, weightBefore(state.rollout, step.index));
  const at = new Date().toISOString();
  // A retried shift (already at this weight) keeps the time of the write that moved the traffic.
  const previous = state.progress.shifts.at(-1);
  const shifts = previous?.weight === step.weight ? state.progress.shifts : [...state.progress.shifts, { weight: step.weight, at }];
  return {
    stepIndex: step.index,
    extraBakes: 0,
    extraSeconds: 0,
    weight: step.weight,
    bakeSeconds: step.bakeSeconds,
    lookSeconds: firstLookSeconds(step.intervalSeconds, step.bakeSeconds),
    shiftedAt: shifts.at(-1)?.at ?? at,
    shifts,
  };
}

/** Reads the weight back; a mismatch is retried by the state machine, as reads may lag writes. */
export async function verifyTraffic(state: RolloutState): Promise<{ status: Exclude<VerifyResult, 'mismatch'> }> {
  const status = await routerFor(state.rollout).verifyWeight(state.progress.weight);
  if (status === 'mismatch') {
    throw new TrafficNotYetVisible(`the target does not yet show ${state.progress.weight} % on the canary`);
  }
  return { status };
}
