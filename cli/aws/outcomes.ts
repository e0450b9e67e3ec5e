/**
 * What a person-driven action's outcome means on the terminal: one line and an exit status per outcome
 * kind (0: done; 1: not done, see the line). Pure.
 */
import type { GateOutcome } from '../../shared/actions/approve';
import type { ManualPromoteOutcome } from '../../shared/actions/promote';
import type { AlreadyEnded } from '../../shared/actions/resolve';
import type { ManualRollbackOutcome } from '../../shared/actions/rollback';
import { describeRecord } from '../../shared/actions/restore-decision';
import { EXIT } from '../io';
import { unmatched } from './rollout-view';

export interface Told {
  readonly line: string;
  readonly code: number;
}

type Teller<O extends { kind: string }> = { [K in O['kind']]: (outcome: Extract<O, { kind: K }>, target: string) => Told };

const ended = (o: AlreadyEnded): Told => ({
  line: `${o.rollout} (execution ${o.executionName}) had already ended (${o.endedAs}${o.error !== undefined ? `, ${o.error}` : ''}); nothing was changed.${o.cause !== undefined ? ` ${o.cause}` : ''}`,
  code: EXIT.failure,
});

const ROLLBACK: Teller<ManualRollbackOutcome> = {
  'rolled-back': (o) => ({
    line: `Rolled back ${o.rollout} (execution ${o.executionName}): traffic verified at 0 % on the new version, execution stopped.${o.lateWriteUndone ? ' A late traffic write was undone.' : ''} ${o.cause}`,
    code: EXIT.ok,
  }),
  'stopped-before-traffic': (o) => ({ line: `Stopped ${o.rollout} (execution ${o.executionName}) before any traffic moved. ${o.cause}`, code: EXIT.ok }),
  'already-ended': ended,
  failed: (o) => ({
    line: `Rollback of ${o.rollout} (execution ${o.executionName}) failed: ${o.detail}. ${o.trafficAtZero ? 'Traffic is at 0 % on the new version.' : 'Traffic may still be split: check the target.'}`,
    code: EXIT.failure,
  }),
  'no-match': (o, target) => ({ line: unmatched(target, o.match), code: EXIT.failure }),
  restored: (o) => ({
    line: `Restored ${o.rollout} (execution ${o.executionName}), which had ended promoted: ${o.detail}, verified in one write. Recorded ${describeRecord(o.record)}.`,
    code: EXIT.ok,
  }),
  'already-restored': (o) => ({ line: `${o.detail}. Nothing was written.`, code: EXIT.ok }),
  'restore-refused': (o) => ({ line: `${o.detail}. Nothing was changed.${o.startCommand !== undefined ? `\n  ${o.startCommand}` : ''}`, code: EXIT.failure }),
  'restore-failed': (o) => ({ line: `The restore of ${o.rollout} (execution ${o.executionName}) failed: ${o.detail}. Check the target.`, code: EXIT.failure }),
};

const PROMOTE: Teller<ManualPromoteOutcome> = {
  promoted: (o) => ({
    line: `Promoted ${o.rollout} (execution ${o.executionName}) from ${o.fromWeight} % to 100 %, verified; execution stopped. ${o.cause}`,
    code: EXIT.ok,
  }),
  'not-yet-planned': (o) => ({ line: `${o.rollout} (execution ${o.executionName}) has not finished Preflight: no traffic to promote yet. Nothing was changed.`, code: EXIT.failure }),
  'rolling-back': (o) => ({ line: `${o.rollout} (execution ${o.executionName}) is already rolling back (${o.state}); left to finish. Nothing was changed.`, code: EXIT.failure }),
  'already-ended': ended,
  failed: (o) => ({
    line: `Promotion of ${o.rollout} (execution ${o.executionName}) failed: ${o.detail}.${o.stopped ? ' The execution is stopped: a person must bring the target to 0 % or 100 %.' : ''}`,
    code: EXIT.failure,
  }),
  'no-match': (o, target) => ({ line: unmatched(target, o.match), code: EXIT.failure }),
};

const at = (o: { step?: { index: number; weight: number } }): string => (o.step === undefined ? '' : ` at step ${o.step.index + 1} (${o.step.weight} %)`);

const APPROVE: Teller<GateOutcome> = {
  approved: (o) => ({ line: `Approved ${o.rollout} (execution ${o.executionName})${at(o)} as ${o.by}: the rollout moves on.`, code: EXIT.ok }),
  rejected: (o) => ({ line: `Rolled ${o.rollout} (execution ${o.executionName}) back${at(o)} as ${o.by}: the state machine sends all traffic back to the stable version.`, code: EXIT.ok }),
  'not-waiting': (o) => ({
    line: `Nothing to approve: ${o.rollout} (execution ${o.executionName}) is not waiting at a gate${o.state !== undefined ? ` (it is in ${o.state})` : ''}. Nothing was changed.`,
    code: EXIT.failure,
  }),
  'gate-closed': (o) => ({ line: `Nothing to approve: the gate of ${o.rollout} (execution ${o.executionName}) closed before the answer reached it (${o.detail}). Nothing was changed.`, code: EXIT.failure }),
  'already-ended': ended,
  failed: (o) => ({ line: `The answer to the gate of ${o.rollout} (execution ${o.executionName}) did not go through: ${o.detail}. Nothing was changed.`, code: EXIT.failure }),
  'no-match': (o, target) => ({ line: unmatched(target, o.match), code: EXIT.failure }),
};

function tell<O extends { kind: string }>(teller: Teller<O>, outcome: O, target: string): Told {
  return (teller[outcome.kind as O['kind']] as (o: O, t: string) => Told)(outcome, target);
}

export const tellRollback = (outcome: ManualRollbackOutcome, target: string): Told => tell(ROLLBACK, outcome, target);
export const tellPromote = (outcome: ManualPromoteOutcome, target: string): Told => tell(PROMOTE, outcome, target);
export const tellApprove = (outcome: GateOutcome, target: string): Told => tell(APPROVE, outcome, target);
