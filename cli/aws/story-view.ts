/**
 * A rollout's story (shared/executions/story.ts) as `coalmine status` and `coalmine watch` show it: the
 * status text and its JSON (schema/cli-status.schema.json), the watch's terminal frame and its one line per
 * change on a pipe, and the exit status of each way a rollout ends. Pure: `now` and the width are given.
 */
import { describeRecord, windowClosesAt, type TargetView } from '../../shared/actions/restore-decision';
import type { StoryAnswer, WeightReading } from '../../shared/actions/status';
import { formatDuration } from '../../shared/duration';
import { AFTER_PROMOTION_STATES, GATE_STATE } from '../../shared/executions/states';
import type { Look, Next, Outcome, RolloutStory } from '../../shared/executions/story';
import { routerKindFor } from '../../shared/routers/registry';
import type { PlanStep } from '../../shared/plan';

export const OUTCOME_WORDS: Readonly<Record<Outcome, string>> = {
  promoted: 'promoted: all traffic on the new version',
  'rolled-back': 'rolled back: all traffic on the baseline',
  refused: 'refused by Preflight: no traffic moved',
  failed: 'failed: the target may be left between 0 and 100 %; check it',
  stopped: 'stopped from outside (the reconciler returns a split target to 0 %)',
  'promotion-requested': 'stopped for a promotion that has not reached 100 %',
};

export interface StatusJson {
  readonly name: string;
  readonly target: string | null;
  readonly executionName: string;
  readonly executionArn: string;
  readonly status: string;
  readonly startedAt: string | null;
  readonly plan: { readonly steps: readonly { weight: number; bakeSeconds: number }[]; readonly nominalSeconds: number } | null;
  readonly looks: readonly {
    step: number;
    weight: number;
    extraBakes: number;
    verdict: string;
    action: string;
    reason: string;
    analyzedAt: string | null;
    checks: readonly { judge: string; verdict: string; reason: string; requestsNeeded: number | null; secondsNeeded: number | null }[];
  }[];
  readonly now: {
    readonly state: string | null;
    readonly enteredAt: string | null;
    readonly step: number | null;
    readonly weight: number | null;
    readonly targetWeight: number | null;
    readonly targetUnreadable: string | null;
  };
  readonly next:
    | { readonly kind: 'analysis'; readonly step: number; readonly weight: number; readonly at: string; readonly inSeconds: number }
    | { readonly kind: 'shift'; readonly step: number; readonly weight: number }
    | { readonly kind: 'working'; readonly state: string }
    | null;
  readonly ended: { readonly status: string; readonly outcome: Outcome; readonly at: string | null; readonly error: string | null; readonly cause: string | null } | null;
  /** Why the history (or the rollout in it) could not be read; null when it was. */
  readonly unreadable: string | null;
  /** `coalmine status` of a rollout that ended promoted: its rollback window, and the restore the target records. */
  readonly rollbackWindow?: RollbackWindowJson;
}

export interface RollbackWindowJson {
  readonly closesAt: string | null;
  readonly open: boolean;
  readonly restored: { readonly restored: string; readonly by: string; readonly reason: string | null; readonly at: string } | null;
}

/**
 * The rollback window of a rollout that ended promoted (or whose restore the target records), from what
 * the target shows (shared/actions/status.ts readPromotedView); undefined for any other ending.
 */
export function rollbackWindowJson(story: RolloutStory, executionName: string, view: TargetView | undefined, now: Date): RollbackWindowJson | undefined {
  if (story.start.stage !== 'planned' || story.ended === undefined) return undefined;
  const record = view?.kind === 'restored' && view.record?.executionName === executionName ? view.record : undefined;
  if (story.ended.outcome !== 'promoted' && record === undefined) return undefined;
  const closesAt = story.ended.at !== undefined ? windowClosesAt(story.ended.at, story.start.rollout) : undefined;
  return {
    closesAt: closesAt?.toISOString() ?? null,
    open: record === undefined && closesAt !== undefined && now.getTime() < closesAt.getTime(),
    restored: record === undefined ? null : { restored: record.restored, by: record.by, reason: record.reason ?? null, at: record.at },
  };
}

function windowText(w: RollbackWindowJson, executionName: string): string {
  const { restored } = w;
  if (restored !== null) return `restored: ${restored.restored} ${describeRecord({ by: restored.by, at: restored.at, ...(restored.reason !== null ? { reason: restored.reason } : {}) })}`;
  if (w.open) return `rollback window: open until ${w.closesAt} (coalmine rollback ${executionName} restores the previous version)`;
  return `rollback window: closed${w.closesAt !== null ? ` at ${w.closesAt}` : ''}`;
}

/** The rollout's name and target once Preflight planned it. */
function labels(story: RolloutStory): { name?: string; target?: string } {
  if (story.start.stage !== 'planned') return {};
  const { target } = story.start.rollout.request;
  return { name: story.start.rollout.name, target: routerKindFor(target).describe(target) };
}

function unreadableOf(answer: StoryAnswer): string | null {
  if (answer.unreadable !== undefined) return answer.unreadable;
  return answer.story.start.stage === 'unreadable' ? answer.story.start.reason : null;
}

const stepsOf = (story: RolloutStory): readonly PlanStep[] | undefined => (story.start.stage === 'planned' ? story.start.rollout.plan.steps : undefined);

export function statusJson(
  answer: StoryAnswer,
  identity: { executionArn: string; executionName: string },
  reading: WeightReading | undefined,
  now: Date,
  rollbackWindow?: RollbackWindowJson,
): StatusJson {
  const { story, execution } = answer;
  const named = labels(story);
  const plan = story.start.stage === 'planned' ? story.start.rollout.plan : undefined;
  const next = story.next;
  return {
    name: named.name ?? identity.executionName,
    target: named.target ?? null,
    executionName: identity.executionName,
    executionArn: identity.executionArn,
    status: execution.status,
    startedAt: execution.startDate?.toISOString() ?? null,
    plan: plan !== undefined ? { steps: plan.steps.map((s) => ({ weight: s.weight, bakeSeconds: s.bakeSeconds })), nominalSeconds: plan.nominalSeconds } : null,
    looks: story.looks.map((look) => ({
      step: look.stepIndex + 1,
      weight: look.weight,
      extraBakes: look.extraBakes,
      verdict: look.verdict,
      action: look.action,
      reason: look.reason,
      analyzedAt: look.analyzedAt ?? null,
      checks: look.checks.map((c) => ({ judge: c.judge, verdict: c.verdict, reason: c.reason, requestsNeeded: c.requestsNeeded ?? null, secondsNeeded: c.secondsNeeded ?? null })),
    })),
    now: {
      state: story.state?.name ?? null,
      enteredAt: story.state?.enteredAt.toISOString() ?? null,
      step: story.progress !== undefined ? story.progress.stepIndex + 1 : null,
      weight: story.progress?.weight ?? null,
      targetWeight: reading !== undefined && 'weight' in reading ? reading.weight : null,
      targetUnreadable: reading !== undefined && 'unreadable' in reading ? reading.unreadable : null,
    },
    next:
      next === undefined
        ? null
        : next.kind === 'analysis'
          ? { kind: 'analysis', step: next.stepIndex + 1, weight: next.weight, at: next.at.toISOString(), inSeconds: secondsUntil(next.at, now) }
          : next.kind === 'shift'
            ? { kind: 'shift', step: next.stepIndex + 1, weight: next.weight }
            : { kind: 'working', state: next.state },
    ended:
      story.ended === undefined
        ? null
        : { status: story.ended.status, outcome: story.ended.outcome, at: story.ended.at?.toISOString() ?? null, error: story.ended.error ?? null, cause: story.ended.cause ?? null },
    unreadable: unreadableOf(answer),
    ...(rollbackWindow !== undefined ? { rollbackWindow } : {}),
  };
}

const secondsUntil = (at: Date, now: Date): number => Math.max(0, Math.ceil((at.getTime() - now.getTime()) / 1000));
/** "in 4 min 12 s", or "due now" once the wait is over (the analysis is about to run). */
const countdown = (seconds: number): string => (seconds > 0 ? `in ${formatDuration(seconds)}` : 'due now');
const hms = (iso: string | Date): string => (typeof iso === 'string' ? iso : iso.toISOString()).slice(11, 19) + 'Z';

function planLine(steps: readonly { weight: number; bakeSeconds: number }[]): string {
  return [...steps.map((s) => `${s.weight} % for ${formatDuration(s.bakeSeconds)}`), '100 %'].join(' → ');
}

function checkLine(check: StatusJson['looks'][number]['checks'][number]): string {
  const needed =
    check.requestsNeeded !== null
      ? `; ${check.requestsNeeded.toLocaleString('en-US')} more canary requests needed${check.secondsNeeded !== null ? ` (about ${formatDuration(check.secondsNeeded)} at the current rate)` : ''}`
      : '';
  return `      ${check.judge}: ${check.verdict}: ${check.reason}${needed}`;
}

function nextText(next: NonNullable<StatusJson['next']>): string {
  switch (next.kind) {
    case 'analysis':
      return `analysis of step ${next.step} at ${next.weight} % ${countdown(next.inSeconds)} (${hms(next.at)})`;
    case 'shift':
      return `shift to step ${next.step} at ${next.weight} %, now`;
    case 'working':
      return `${next.state} is running`;
  }
}

function endedText(ended: NonNullable<StatusJson['ended']>): string {
  const detail = [ended.error, ended.cause].filter((part): part is string => part !== null).join(': ');
  return `${OUTCOME_WORDS[ended.outcome]} (${ended.status}${ended.at !== null ? ` at ${ended.at}` : ''})${detail !== '' ? `. ${detail}` : ''}`;
}

/** `coalmine status ROLLOUT`: the plan, every analysis with its checks, now, next, and the end. */
export function statusLines(s: StatusJson): string[] {
  const lines = [`${s.name} (${s.target ?? 'target not yet planned'}), execution ${s.executionName}, started ${s.startedAt ?? '?'}, ${s.status}`];
  if (s.unreadable !== null) lines.push(`  history: unreadable (${s.unreadable})`);
  if (s.plan !== null) lines.push(`  plan: ${planLine(s.plan.steps)} (nominal ${formatDuration(s.plan.nominalSeconds)})`);
  for (const look of s.looks) {
    const extra = look.extraBakes > 0 ? `, extra bake ${look.extraBakes}` : '';
    // The checks' own lines say why; the look's reason says it again for a history without them.
    const why = look.checks.length > 0 ? '' : `: ${look.reason}`;
    lines.push(`  step ${look.step} at ${look.weight} %${extra}: ${look.verdict} → ${look.action}${look.analyzedAt !== null ? ` (${look.analyzedAt})` : ''}${why}`);
    lines.push(...look.checks.map(checkLine));
  }
  if (s.plan !== null && s.looks.length === 0) lines.push('  analyses: none yet');
  const target =
    s.now.targetWeight !== null ? `; the target reads ${s.now.targetWeight} % now` : s.now.targetUnreadable !== null ? `; the target could not be read (${s.now.targetUnreadable})` : '';
  const where = s.now.step !== null ? `, step ${s.now.step} of ${s.plan?.steps.length ?? '?'} at ${s.now.weight ?? '?'} % canary` : '';
  lines.push(`  now: ${s.now.state ?? '?'}${s.now.enteredAt !== null ? ` since ${s.now.enteredAt}` : ''}${where}${target}`);
  if (s.ended === null && s.now.state === GATE_STATE) lines.push(`  ${gateText(s.executionName)}`);
  else if (s.next !== null) lines.push(`  next: ${nextText(s.next)}`);
  if (s.ended !== null) lines.push(`  ended: ${endedText(s.ended)}`);
  if (s.rollbackWindow !== undefined) lines.push(`  ${windowText(s.rollbackWindow, s.executionName)}`);
  return lines;
}

// ---- watch -----------------------------------------------------------------------------------------

const BAR_WIDTH = 40;

/** How far along the plan's timeline (the steps' bakes, end to end) the rollout is at `now`, 0 – 1. */
export function timelineFraction(story: RolloutStory, now: Date): number {
  const steps = stepsOf(story);
  if (story.ended?.outcome === 'promoted') return 1;
  if (steps === undefined || steps.length === 0 || story.progress === undefined) return 0;
  const total = steps.reduce((sum, s) => sum + s.bakeSeconds, 0);
  const index = story.progress.stepIndex;
  const before = steps.slice(0, index).reduce((sum, s) => sum + s.bakeSeconds, 0);
  const bake = steps[index]?.bakeSeconds ?? 0;
  const next = story.next;
  const analysed = story.looks.some((l) => l.stepIndex === index);
  const within = next?.kind === 'analysis' ? Math.max(0, bake - secondsUntil(next.at, now)) : analysed ? bake : 0;
  if (total === 0) return (index + (analysed ? 1 : 0)) / steps.length;
  return Math.min(1, (before + Math.min(within, bake)) / total);
}

/** "[████████░░░░│░░░░░░░░]": filled to the fraction, with a mark where each step's bake ends. */
export function progressBar(story: RolloutStory, now: Date, width = BAR_WIDTH): string {
  const filled = Math.round(timelineFraction(story, now) * width);
  const steps = stepsOf(story) ?? [];
  const total = steps.reduce((sum, s) => sum + s.bakeSeconds, 0);
  const marks = new Set<number>();
  let at = 0;
  for (const step of steps.slice(0, -1)) {
    at += total === 0 ? 1 / steps.length : step.bakeSeconds / total;
    marks.add(Math.round(at * width));
  }
  const cells = Array.from({ length: width }, (_, i) => (i < filled ? '█' : marks.has(i) ? '│' : '░'));
  return `[${cells.join('')}]`;
}

/** What a rollout at its gate waits for, and the commands that answer it (status and watch say it alike). */
const gateText = (executionName: string): string =>
  `waiting for a person: coalmine approve ${executionName}, or coalmine approve ${executionName} --roll-back`;

const atGate = (story: RolloutStory): boolean => story.ended === undefined && story.state?.name === GATE_STATE;

const verdictText = (look: Look | undefined): string => (look === undefined ? 'none yet' : `${look.verdict} → ${look.action}: ${look.reason}`);

function nextWatchText(next: Next | undefined, now: Date): string {
  if (next === undefined) return '';
  if (next.kind === 'analysis') return `next analysis ${countdown(secondsUntil(next.at, now))} (${hms(next.at)})`;
  if (next.kind === 'shift') return `next: shift to ${next.weight} %`;
  return `now: ${next.state}`;
}

/** The first line of both views: whose rollout. */
function heading(story: RolloutStory, executionName: string): string {
  const named = labels(story);
  return `${named.name ?? executionName} (${named.target ?? 'target not yet planned'}), execution ${executionName}`;
}

function whereText(story: RolloutStory): string {
  const steps = stepsOf(story);
  if (story.progress === undefined) return `${story.state?.name ?? 'starting'}`;
  if (story.state !== undefined && AFTER_PROMOTION_STATES.includes(story.state.name)) return `promoted (100 %), post-promotion bake, ${story.state.name}`;
  return `step ${story.progress.stepIndex + 1} of ${steps?.length ?? '?'} at ${story.progress.weight} % canary, ${story.state?.name ?? '?'}`;
}

/** The watch's frame on a terminal, redrawn in place; each line cut to `columns` so that none wraps. */
export function watchFrame(story: RolloutStory, executionName: string, now: Date, columns: number): string[] {
  const percent = Math.round(timelineFraction(story, now) * 100);
  const steps = stepsOf(story);
  const total = steps?.reduce((sum, s) => sum + s.bakeSeconds, 0);
  const lines = [
    heading(story, executionName),
    `${progressBar(story, now, Math.max(10, Math.min(BAR_WIDTH, columns - 30)))} ${percent} %${total !== undefined ? ` of ${formatDuration(total)} of bakes` : ''}`,
    whereText(story),
    `last verdict: ${verdictText(story.looks.at(-1))}`,
    story.ended !== undefined ? `ended: ${OUTCOME_WORDS[story.ended.outcome]}` : atGate(story) ? gateText(executionName) : nextWatchText(story.next, now),
  ];
  return lines.map((line) => (line.length > columns ? `${line.slice(0, Math.max(1, columns - 1))}…` : line));
}

/**
 * The watch's line on a pipe: what changed, no countdown, so that a line is printed only when something
 * happened. The caller prefixes the time it saw it.
 */
export function watchLine(story: RolloutStory, executionName: string): string {
  const next = atGate(story)
    ? `; ${gateText(executionName)}`
    : story.next?.kind === 'analysis'
      ? `; next analysis at ${hms(story.next.at)}`
      : story.next?.kind === 'shift'
        ? `; next: shift to ${story.next.weight} %`
        : '';
  const ended = story.ended !== undefined ? `; ended: ${OUTCOME_WORDS[story.ended.outcome]}${story.ended.error !== undefined ? ` (${story.ended.error})` : ''}` : '';
  return `${labels(story).name ?? executionName}: ${whereText(story)}; last verdict: ${verdictText(story.looks.at(-1))}${next}${ended}`;
}
