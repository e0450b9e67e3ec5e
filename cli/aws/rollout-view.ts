/**
 * A rollout as the operator commands show it: one JSON shape (schema/cli-rollout.schema.json) for `list`
 * and `status`, and its text line. Pure.
 */
import type { EndedRollout } from '../../shared/actions/ended';
import type { RolloutStatus } from '../../shared/actions/status';
import type { Outcome } from '../../shared/executions/story';
import { describeEnd } from '../../shared/reconcile/race-rules';
import type { StrandedTarget } from '../../shared/reconcile/stranded';
import type { NoMatch } from '../../shared/actions/resolve';
import { displayNameOf, labelsOf } from '../../shared/actions/rollouts';
import { OUTCOME_WORDS } from './story-view';
import { formatDuration } from '../../shared/duration';

export interface RolloutJson {
  readonly name: string;
  readonly target: string | null;
  readonly executionName: string;
  readonly executionArn: string;
  readonly startedAt: string | null;
  readonly ageSeconds: number | null;
  readonly state: string | null;
  readonly step: number | null;
  readonly stepCount: number | null;
  readonly weight: number | null;
  readonly verdict: string | null;
  readonly nextAction: string | null;
  readonly reason: string | null;
  /** Why the progress could not be read; null when it was. */
  readonly unreadable: string | null;
}

export function rolloutJson({ rollout, view, unreadable }: RolloutStatus, now: Date): RolloutJson {
  return {
    name: displayNameOf(rollout),
    target: labelsOf(rollout.start).target ?? null,
    executionName: rollout.executionName,
    executionArn: rollout.executionArn,
    startedAt: rollout.startedAt?.toISOString() ?? null,
    ageSeconds: rollout.startedAt !== undefined ? Math.max(0, Math.round((now.getTime() - rollout.startedAt.getTime()) / 1000)) : null,
    state: view.state?.name ?? null,
    step: view.progress !== undefined ? view.progress.stepIndex + 1 : null,
    stepCount: view.stepCount ?? null,
    weight: view.progress?.weight ?? null,
    verdict: view.analysis?.verdict ?? null,
    nextAction: view.analysis?.action ?? null,
    reason: view.analysis?.reason ?? null,
    unreadable: unreadable ?? null,
  };
}

const age = (seconds: number | null): string => (seconds === null ? '?' : formatDuration(seconds));

/** "checkout  checkout:live  step 2/4  10 %  pass → shift  Bake  12 min 4 s  (execution checkout-live-v42)". */
export function rolloutLine(r: RolloutJson): string {
  const step = r.step !== null ? `step ${r.step}/${r.stepCount ?? '?'}` : 'step ?';
  const weight = r.weight !== null ? `${r.weight} %` : '? %';
  const verdict = r.verdict !== null ? `${r.verdict} → ${r.nextAction ?? '?'}` : 'no verdict yet';
  const progress = r.unreadable !== null ? `history unreadable (${r.unreadable})` : `${step}  ${weight}  ${verdict}  ${r.state ?? '?'}`;
  return `${r.name}  ${r.target ?? '?'}  ${progress}  ${age(r.ageSeconds)}  (execution ${r.executionName})`;
}

/** Why a ROLLOUT did not pick out one running rollout, for the error line. */
export function unmatched(target: string, match: NoMatch): string {
  switch (match.kind) {
    case 'nothing-running':
      return `no rollout is running, so none is "${target}".`;
    case 'unknown':
      return `no running rollout is "${target}". Running: ${match.running.map(displayNameOf).join(', ')}.`;
    case 'ambiguous':
      return `"${target}" names ${match.matches.length} running rollouts; give one's execution name: ${match.matches
        .map((r) => `${r.executionName} (${labelsOf(r.start).target ?? displayNameOf(r)})`)
        .join(', ')}.`;
    case 'started-after-request':
      return `"${target}" (${match.rollout.executionName}) started after this request was made; nothing was changed.`;
  }
}

/** An ended rollout as `list --all` and `history` show it (schema/cli-ended.schema.json). */
export interface EndedJson {
  readonly name: string;
  readonly target: string | null;
  readonly executionName: string;
  readonly executionArn: string;
  readonly startedAt: string | null;
  readonly endedAt: string | null;
  readonly status: string;
  readonly outcome: Outcome;
  readonly error: string | null;
  /** Why, in the words the execution's end recorded (a stop's sentence, a failure's cause). */
  readonly cause: string | null;
}

export function endedJson(r: EndedRollout): EndedJson {
  const labels = labelsOf(r.start);
  return {
    name: labels.name ?? labels.target ?? r.executionName,
    target: labels.target ?? null,
    executionName: r.executionName,
    executionArn: r.executionArn,
    startedAt: r.startedAt?.toISOString() ?? null,
    endedAt: r.ending.at?.toISOString() ?? null,
    status: r.ending.status,
    outcome: r.ending.outcome,
    error: r.ending.error ?? null,
    cause: r.ending.cause ?? null,
  };
}

/** "checkout  checkout:live  rolled back: … (ManualRollback: Rollback requested …)  ended 2026-…Z  (execution …)". */
export function endedLine(r: EndedJson): string {
  const why = [r.error, r.cause].filter((part): part is string => part !== null).join(': ');
  return `${r.name}  ${r.target ?? '?'}  ${OUTCOME_WORDS[r.outcome]}${why !== '' ? ` (${why})` : ''}  ended ${r.endedAt ?? '?'}  (execution ${r.executionName})`;
}

/** A target an ended rollout left split, as `list` shows it. */
export interface StrandedJson {
  readonly target: string;
  readonly state: 'split' | 'lock-held';
  readonly weight: number | null;
  readonly executionName: string;
  readonly status: string;
  readonly end: string;
}

export function strandedJson(s: StrandedTarget): StrandedJson {
  const { state } = s.reading;
  return {
    target: s.targetName,
    state: state.kind,
    weight: state.kind === 'split' ? state.weight : null,
    executionName: s.execution.name,
    status: s.execution.status,
    end: describeEnd({ status: s.execution.status, ...(s.execution.error !== undefined ? { error: s.execution.error } : {}) }),
  };
}

export function strandedLine(s: StrandedJson): string {
  const left = s.state === 'split' ? `at ${s.weight} % on the new version` : 'holding the rollout lock';
  return `${s.target} is left ${left} by execution ${s.executionName}, which ended ${s.status}: ${s.end}. No rollout drives it; the reconciler returns it to 0 %.`;
}
