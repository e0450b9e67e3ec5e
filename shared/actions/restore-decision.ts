/**
 * The rollback window's decision (docs/rollback-window.md), apart from I/O: given how a rollout's execution
 * ended, what its target shows now and when the person asked, whether `rollback` restores the previous
 * version, finds it restored already, or refuses, and in what words. shared/actions/restore.ts reads the
 * facts and acts on the answer. Pure.
 */
import { formatDuration } from '../duration';
import type { Ending, Outcome } from '../executions/story';
import type { RestoreRecord } from '../routers/restore-record';
import type { PromotedView } from '../routers/types';
import type { Rollout } from '../rollout';

/** What the target shows, or why it could not be read. */
export type TargetView = PromotedView | { readonly kind: 'unreadable'; readonly detail: string };

export interface RestoreFacts {
  /** The rollout as its Preflight planned it: the request, the target's name, the baseline. */
  readonly rollout: Pick<Rollout, 'name' | 'request' | 'baseline'>;
  readonly executionName: string;
  /** How the execution ended, settled by what the target reads (story.ts settleEnding). */
  readonly ending: Ending;
  readonly view: TargetView;
  readonly now: Date;
  /** A running rollout on the same target, if any. */
  readonly runningOnTarget?: { readonly name: string; readonly executionName: string };
  /** The state machine a rollout of the old version is started on (for the command a refusal gives). */
  readonly stateMachineArn: string;
}

export type RestoreRefusal = 'not-promoted' | 'window-closed' | 'rollout-running' | 'target-changed' | 'target-unreadable';

export type RestoreDecision =
  /** The window is open and the target shows exactly what the promotion left: restore, once. */
  | { readonly kind: 'restore'; readonly closesAt: Date }
  /** The target is on the previous version already: nothing to write. `record` when it names this rollout's restore. */
  | { readonly kind: 'already-restored'; readonly detail: string; readonly record?: RestoreRecord }
  | { readonly kind: 'refused'; readonly why: RestoreRefusal; readonly detail: string; readonly startCommand?: string };

/** How an ending that is not a promotion reads in a refusal. */
const NOT_PROMOTED: Readonly<Record<Exclude<Outcome, 'promoted'>, string>> = {
  'rolled-back': 'was rolled back: all traffic is on the previous version already',
  refused: 'was refused by Preflight: no traffic moved',
  failed: 'failed (the reconciler returns a target it left split to 0 %)',
  stopped: 'was stopped from outside (the reconciler returns a target it left split to 0 %)',
  'promotion-requested': "was stopped for a person's promotion that the target does not show",
};

/** When the window of a rollout that ended promoted at `endedAt` closes. */
export function windowClosesAt(endedAt: Date, rollout: Pick<Rollout, 'request'>): Date {
  return new Date(endedAt.getTime() + rollout.request.rollbackWindowSeconds * 1000);
}

/** A name for the execution that rolls the old version out again: unique to the rollout it undoes, within Step Functions' 80 characters. */
export function revertExecutionName(executionName: string): string {
  return `${executionName.slice(0, 80 - '-revert'.length)}-revert`;
}

/** The request that rolls the previous version out as a new rollout: the same request aimed at the baseline. */
export function revertRequestOf(rollout: Pick<Rollout, 'request' | 'baseline'>): Rollout['request'] {
  const { request, baseline } = rollout;
  const { target } = request;
  if (target.type === 'lambda-alias') return { ...request, target: { ...target, version: String(baseline.version) } };
  // The colour the rollout started from still serves the old version: it becomes the canary.
  return { ...request, target: { ...target, stableAfterPromotion: target.stableAfterPromotion === 'green' ? 'blue' : 'green' } };
}

/** The exact command that starts that rollout, for a shell: the request on standard input. */
export function revertCommand(rollout: Pick<Rollout, 'request' | 'baseline'>, executionName: string, stateMachineArn: string): string {
  const json = JSON.stringify(revertRequestOf(rollout)).replace(/'/g, "'\\''");
  return `echo '${json}' | coalmine start --request - --name ${revertExecutionName(executionName)} --state-machine ${stateMachineArn}`;
}

/** "by alice (U0ALICE123) at 2026-…Z: p99 doubled". */
export function describeRecord(record: Pick<RestoreRecord, 'by' | 'at' | 'reason'>): string {
  return `by ${record.by} at ${record.at}${record.reason !== undefined ? `: ${record.reason}` : ' (no reason given)'}`;
}

/**
 * The decision, in this order: a restore this rollout already has; an ending that is not a promotion; a
 * target back on the previous version; the window; a rollout running on the target; the forward-only rule
 * (the target must show exactly what the promotion left); a target that cannot be read.
 */
export function decideRestore(facts: RestoreFacts): RestoreDecision {
  const { rollout, executionName, ending, view, now } = facts;
  const subject = `${rollout.name} (execution ${executionName})`;
  const ours = view.kind === 'restored' && view.record?.executionName === executionName ? view.record : undefined;
  if (view.kind === 'restored' && ours !== undefined) {
    return { kind: 'already-restored', detail: `${subject} is restored already ${describeRecord(ours)}: ${view.detail}`, record: ours };
  }
  if (ending.outcome !== 'promoted') {
    const seen = ending.outcome === 'promotion-requested' && view.kind !== 'unreadable' ? ` (${view.detail})` : '';
    return { kind: 'refused', why: 'not-promoted', detail: `${subject} ${NOT_PROMOTED[ending.outcome]}${seen}; there is no promotion to undo` };
  }
  if (view.kind === 'restored') {
    return { kind: 'already-restored', detail: `${subject} is on the previous version already: ${view.detail}` };
  }
  const closesAt = ending.at === undefined ? undefined : windowClosesAt(ending.at, rollout);
  if (closesAt === undefined || now.getTime() >= closesAt.getTime()) {
    const window = formatDuration(rollout.request.rollbackWindowSeconds);
    const when = closesAt === undefined ? 'coalmine cannot tell when it ended' : `its rollback window (${window}) closed at ${closesAt.toISOString()}`;
    return {
      kind: 'refused',
      why: 'window-closed',
      detail: `${subject} ended promoted${ending.at !== undefined ? ` at ${ending.at.toISOString()}` : ''}, and ${when}, so coalmine no longer restores the previous version over it. Start a rollout of the old version instead`,
      startCommand: revertCommand(rollout, executionName, facts.stateMachineArn),
    };
  }
  if (facts.runningOnTarget !== undefined) {
    const { name, executionName: running } = facts.runningOnTarget;
    return {
      kind: 'refused',
      why: 'rollout-running',
      detail: `${name} (execution ${running}) is rolling out on the same target now; coalmine does not restore under a running rollout. Roll that one back (coalmine rollback ${running}) or let it finish, then ask again`,
    };
  }
  if (view.kind === 'changed') {
    return {
      kind: 'refused',
      why: 'target-changed',
      detail: `${view.detail}. It changed after ${subject} ended promoted, so coalmine will not overwrite it (the forward-only rule)`,
    };
  }
  if (view.kind === 'unreadable') {
    return { kind: 'refused', why: 'target-unreadable', detail: `coalmine cannot read the target of ${subject} (${view.detail}), so it restored nothing` };
  }
  return { kind: 'restore', closesAt };
}
