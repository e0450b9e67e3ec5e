/**
 * What a rollout's execution history says happened, as a report draws it: the weight over time, every
 * analysis with its checks' evidence, and how the execution ended. Pure: history events in (oldest first,
 * with execution data), a timeline out; times are epoch milliseconds.
 *
 * The state machine carries the whole rollout state in every state's output, so each AnalyzeCanary exit
 * holds that look's verdict and evidence, and the newest output holding `progress.shifts` holds every
 * weight the rollout set. What happened after the last state (a stop from outside) is read from the
 * closing event and the stop cause.
 */
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import type { JudgeResult } from '../judges/types';
import type { NextAction, Rollout, Shift, Verdict } from '../rollout';
import { closedStatusOf, lastEnteredState, rolloutStartOf, type ClosedStatus } from '../executions/history';
import { ANALYZE_STATE, GATE_STATE } from '../executions/states';
import { endingOf, settleEnding, type Outcome } from '../executions/story';
import { isRecord, parseJson } from '../json';

export interface WeightPoint {
  readonly atMs: number;
  readonly weight: number;
  /** Who set it: a shift of the plan, the promotion, or a rollback (the state machine's or from outside). */
  readonly by: 'shift' | 'promote' | 'rollback';
}

export interface AnalysisMark {
  readonly atMs: number;
  /** 1-based step and its weight at the look. */
  readonly step: number;
  readonly weight: number;
  readonly verdict: Verdict;
  readonly action: NextAction;
  readonly reason: string;
  readonly checks: ReadonlyArray<Omit<JudgeResult, 'memory'>>;
}

/** A wait at a gate (AwaitApproval): from its state's entry to its exit, or to now while it waits. */
export interface GateSpan {
  readonly fromMs: number;
  /** Null while the rollout still waits. */
  readonly toMs: number | null;
  /** 1-based step it followed. */
  readonly step: number;
  readonly kind: 'approval' | 'hold';
  /** Who approved, when a person did. */
  readonly by: string | null;
}

export interface TimelineEnd {
  readonly status: ClosedStatus | 'RUNNING';
  readonly atMs: number;
  /** How it ended, by the rule `coalmine status` and `watch` use (shared/executions/story.ts). */
  readonly outcome: Outcome | 'running';
  readonly error: string | null;
  /** The cause's sentence for people (a stop cause's fields are left out). */
  readonly cause: string | null;
}

export interface Timeline {
  readonly executionName: string;
  readonly rollout: Rollout | null;
  /** Why the rollout could not be read from the history, when it could not. */
  readonly unreadable: string | null;
  readonly startedAtMs: number;
  readonly weights: readonly WeightPoint[];
  readonly analyses: readonly AnalysisMark[];
  readonly gates: readonly GateSpan[];
  readonly end: TimelineEnd;
  /** States entered: what Step Functions bills as state transitions, near enough. */
  readonly stateTransitions: number;
}

function parsed(output: string | undefined): Record<string, unknown> | undefined {
  const value = parseJson(output);
  return isRecord(value) ? value : undefined;
}

const timeOf = (event: HistoryEvent): number => (event.timestamp === undefined ? 0 : new Date(event.timestamp).getTime());

function analysisOf(output: Record<string, unknown>, atMs: number): AnalysisMark | undefined {
  const analysis = output.analysis;
  if (!isRecord(analysis) || typeof analysis.verdict !== 'string' || !isRecord(analysis.step)) return undefined;
  const step = analysis.step as { index?: unknown; weight?: unknown };
  if (typeof step.index !== 'number' || typeof step.weight !== 'number') return undefined;
  const analyzedAt = typeof analysis.analyzedAt === 'string' ? Date.parse(analysis.analyzedAt) : Number.NaN;
  return {
    atMs: Number.isFinite(analyzedAt) ? analyzedAt : atMs,
    step: step.index + 1,
    weight: step.weight,
    verdict: analysis.verdict as Verdict,
    action: analysis.action as NextAction,
    reason: typeof analysis.reason === 'string' ? analysis.reason : '',
    checks: Array.isArray(analysis.checks) ? (analysis.checks as Array<Omit<JudgeResult, 'memory'>>) : [],
  };
}

/** The gate a state input opens: the analysis before it carries the step and the gate's kind. */
function gateOpened(input: Record<string, unknown> | undefined, atMs: number): Omit<GateSpan, 'toMs' | 'by'> {
  const analysis = isRecord(input?.analysis) ? input.analysis : undefined;
  const step = isRecord(analysis?.step) && typeof analysis.step.index === 'number' ? analysis.step.index + 1 : 0;
  const kind = isRecord(analysis?.gate) && analysis.gate.kind === 'hold' ? 'hold' : 'approval';
  return { fromMs: atMs, step, kind };
}

function shiftsOf(output: Record<string, unknown>): readonly Shift[] | undefined {
  const progress = output.progress;
  return isRecord(progress) && Array.isArray(progress.shifts) ? (progress.shifts as Shift[]) : undefined;
}

/** The closing event read as DescribeExecution would say it, then the one rule for how that ended. */
function endOf(events: readonly HistoryEvent[], canaryWeightNow: number | undefined): TimelineEnd {
  const closing = [...events].reverse().find((e) => closedStatusOf(e) !== undefined);
  const status = closedStatusOf(closing);
  if (closing === undefined || status === undefined) {
    return { status: 'RUNNING', atMs: events.length > 0 ? timeOf(events[events.length - 1]!) : 0, outcome: 'running', error: null, cause: null };
  }
  const details = closing.executionFailedEventDetails ?? closing.executionAbortedEventDetails ?? closing.executionTimedOutEventDetails;
  const ended = endingOf(
    { status, stopDate: new Date(timeOf(closing)), ...(details?.error !== undefined ? { error: details.error } : {}), ...(details?.cause !== undefined ? { cause: details.cause } : {}) },
    lastEnteredState(events),
  );
  const { outcome, error, cause } = settleEnding(ended!, canaryWeightNow);
  return { status, atMs: timeOf(closing), outcome, error: error ?? null, cause: cause ?? null };
}

/** What one pass over the state events collects: the analyses, the shifts, the gates, the promotion. */
interface EventsRead {
  readonly analyses: AnalysisMark[];
  readonly gates: GateSpan[];
  /** A gate entered and not exited: still waiting, or closed by the end of the execution. */
  readonly open: Omit<GateSpan, 'toMs' | 'by'> | undefined;
  readonly shifts: readonly Shift[];
  readonly lastOutput: Record<string, unknown> | undefined;
  readonly promotedAtMs: number | undefined;
  readonly stateTransitions: number;
}

/** Who approved a gate, from the gate state's output; null for a timed-out or held one. */
function approverOf(output: Record<string, unknown> | undefined): string | null {
  const approval = output?.approval;
  return isRecord(approval) && typeof approval.by === 'string' ? approval.by : null;
}

function promotedAtOf(output: Record<string, unknown>): number | undefined {
  return isRecord(output.promotion) && typeof output.promotion.promotedAt === 'string' ? Date.parse(output.promotion.promotedAt) : undefined;
}

function readEvents(events: readonly HistoryEvent[]): EventsRead {
  const analyses: AnalysisMark[] = [];
  let shifts: readonly Shift[] = [];
  let lastOutput: Record<string, unknown> | undefined;
  let promotedAtMs: number | undefined;
  let stateTransitions = 0;
  const gates: GateSpan[] = [];
  let open: Omit<GateSpan, 'toMs' | 'by'> | undefined;
  for (const event of events) {
    if (event.type?.endsWith('StateEntered')) {
      stateTransitions += 1;
      if (event.stateEnteredEventDetails?.name === GATE_STATE) open = gateOpened(parsed(event.stateEnteredEventDetails.input), timeOf(event));
    }
    if (!event.type?.endsWith('StateExited')) continue;
    const details = event.stateExitedEventDetails;
    const output = parsed(details?.output);
    if (details?.name === GATE_STATE && open !== undefined) {
      gates.push({ ...open, toMs: timeOf(event), by: approverOf(output) });
      open = undefined;
    }
    if (output === undefined) continue;
    lastOutput = output;
    shifts = shiftsOf(output) ?? shifts;
    if (details?.name === ANALYZE_STATE) {
      const mark = analysisOf(output, timeOf(event));
      if (mark !== undefined) analyses.push(mark);
    }
    promotedAtMs = promotedAtOf(output) ?? promotedAtMs;
  }
  return { analyses, gates, open, shifts, lastOutput, promotedAtMs, stateTransitions };
}

/** The weights the target held: each shift, then the promotion or the rollback that ended it. */
function weightsOf(read: EventsRead, end: TimelineEnd): WeightPoint[] {
  const weights: WeightPoint[] = read.shifts.map((s) => ({ atMs: Date.parse(s.at), weight: s.weight, by: 'shift' }));
  if (read.promotedAtMs !== undefined) weights.push({ atMs: read.promotedAtMs, weight: 100, by: 'promote' });
  else if (end.outcome === 'promoted' && end.status !== 'SUCCEEDED') weights.push({ atMs: end.atMs, weight: 100, by: 'promote' });
  else if (end.outcome === 'rolled-back') {
    const rollback = read.lastOutput?.rollback;
    const at = isRecord(rollback) && typeof rollback.rolledBackAt === 'string' ? Date.parse(rollback.rolledBackAt) : end.atMs;
    weights.push({ atMs: at, weight: 0, by: 'rollback' });
  }
  return weights;
}

/**
 * The timeline of one execution from its whole history, oldest first, read with includeExecutionData.
 * `canaryWeightNow`, the target's reading, settles a person's promote (it has promoted once the target reads 100 %).
 */
export function timelineOf(executionName: string, events: readonly HistoryEvent[], canaryWeightNow?: number): Timeline {
  const start = rolloutStartOf(events);
  const read = readEvents(events);
  const end = endOf(events, canaryWeightNow);
  // A gate left open: still waiting, or closed by the end of the execution (a rollback, a stop).
  const gates = read.open === undefined ? read.gates : [...read.gates, { ...read.open, toMs: end.status === 'RUNNING' ? null : end.atMs, by: null }];
  const started = events.find((e) => e.type === 'ExecutionStarted');
  return {
    executionName,
    rollout: start.stage === 'planned' ? start.rollout : null,
    unreadable: start.stage === 'planned' ? null : start.stage === 'unreadable' ? start.reason : `the rollout was not planned (${start.stage})`,
    startedAtMs: started === undefined ? 0 : timeOf(started),
    weights: weightsOf(read, end),
    analyses: read.analyses,
    gates,
    end,
    stateTransitions: read.stateTransitions,
  };
}
