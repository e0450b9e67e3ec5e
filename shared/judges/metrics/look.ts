/**
 * One look of the metrics judge, after the reading: each check's counts per split window go to
 * `judgeMetric` with the check's earlier looks (alpha spending), the SLO gate (analysis.slo) judges its errors
 * check's canary counts with `judgeBurnRate`, the verdicts fold with `combineVerdicts` (shadow checks,
 * `dryRun`, are judged and reported but not folded in), and the judge's memory for the next look comes back. Pure, so that the benchmark measures this very
 * code on synthetic counts.
 *
 * Planned information: the effective sample size the plan will collect, Σ R·T·w·(1 − w) over its steps,
 * at the request rate R seen until the check's first look with traffic. Fixed from then on (in memory):
 * the boundaries of later looks depend on it.
 */
import {
  combineVerdicts,
  judgeBurnRate,
  judgeMetric,
  plannedCanaryRequests,
  plannedInformation,
  stepCanaryRequests,
  stepInformation,
  stepwiseSpending,
  type BurnRateCriteria,
  type BurnRateJudgement,
  type CombinedJudgement,
  type ErrorsEvidence,
  type MetricJudgement,
  type PlannedStep,
  type SequentialLook,
  type SpendingFunction,
} from '../statistics';
import type { Verdict } from '../../rollout';
import type { JudgeResult } from '../types';
import { countsSlowRequests, type ResolvedCheck } from './checks';
import type { ThresholdReading, WindowCounts } from './queries';
import type { SplitWindow } from './windows';
import { boundedWindows, EVIDENCE_WINDOWS, recentLooks } from './bounded';

export const METRICS_JUDGE = 'metrics';

/**
 * A look as memory keeps it: [information fraction, boundary z, α spent through it]. Looks remembered
 * before the α spent was kept have two entries (sequential.ts recomputes what they spent).
 */
export type RememberedLook = readonly [number, number, number?];

/** What one check keeps between looks: the most recent looks only (bounded.ts). */
export interface CheckMemory {
  readonly planned?: number;
  readonly looks: readonly RememberedLook[];
  readonly threshold?: ThresholdReading;
}

export interface MetricsMemory {
  readonly checks: Readonly<Record<string, CheckMemory>>;
  /** The SLO gate's: `planned` is in canary requests. */
  readonly slo?: CheckMemory;
}

/** A check's canary counts at this look, which the SLO gate reads. */
interface CanaryCounts {
  readonly requests: number;
  readonly failures: number;
  /** Canary requests per second now. */
  readonly ratePerSecond: number;
  /** Canary and baseline requests per second so far: the plan's request rate. */
  readonly allRequestsPerSecond: number;
  readonly unavailable?: string;
}

/** analysis.slo, resolved: the test's criteria and the check whose canary counts it reads. */
export interface SloGate {
  readonly criteria: BurnRateCriteria;
  readonly check: string;
}

/** A check's data at this look: counts per window, or why there are none. */
export type CheckData =
  | { readonly counts: readonly WindowCounts[]; readonly thresholds?: { readonly baseline: number; readonly canary: number; readonly reading: ThresholdReading } }
  | { readonly unavailable: string };

export interface PlanStepShape {
  /** Canary share in percent. */
  readonly weight: number;
  readonly bakeSeconds: number;
}

export interface LookInput {
  readonly checks: readonly ResolvedCheck[];
  readonly windows: readonly SplitWindow[];
  readonly data: ReadonlyMap<string, CheckData>;
  readonly memory: unknown;
  readonly steps: readonly PlanStepShape[];
  /** Canary share in percent now. */
  readonly weightNow: number;
  /** Steps whose planned bake is over at this look: alpha is spent step by step (stepwiseSpending). */
  readonly completedSteps: number;
  readonly maxNonCriticalFailures: number;
  readonly slo?: SloGate;
}

export interface LookOutput {
  readonly result: JudgeResult & { readonly memory: MetricsMemory };
  /** Every check's, shadow checks included (`dryRun` in the evidence says which). */
  readonly judgements: readonly MetricJudgement[];
  readonly slo?: BurnRateJudgement;
}

/** Reads the memory this judge left; anything else than its own shape is a bug, not "no memory". */
export function parseMemory(memory: unknown): MetricsMemory {
  if (memory === undefined || memory === null) return { checks: {} };
  if (typeof memory === 'object' && typeof (memory as { checks?: unknown }).checks === 'object') return memory as MetricsMemory;
  throw new RangeError(`${METRICS_JUDGE}: unexpected memory ${JSON.stringify(memory).slice(0, 200)}`);
}

const plannedSteps = (steps: readonly PlanStepShape[]): PlannedStep[] => steps.map((s) => ({ canaryWeight: s.weight / 100, durationSeconds: s.bakeSeconds }));

const toLook = ([informationFraction, boundaryZ, alphaSpent]: RememberedLook): SequentialLook =>
  alphaSpent === undefined ? { informationFraction, boundaryZ } : { informationFraction, boundaryZ, alphaSpent };

const toRemembered = (look: SequentialLook): RememberedLook =>
  look.alphaSpent === undefined ? [look.informationFraction, look.boundaryZ] : [look.informationFraction, look.boundaryZ, look.alphaSpent];

function totals(counts: readonly WindowCounts[]): { canary: number; baseline: number } {
  return counts.reduce(
    (sum, w) => ({ canary: sum.canary + w.canary.successes + w.canary.failures, baseline: sum.baseline + w.baseline.successes + w.baseline.failures }),
    { canary: 0, baseline: 0 },
  );
}

/** What one check's look gives the judge's: its verdict, its counts for the SLO gate, its memory and evidence. */
interface CheckLook {
  readonly judgement: MetricJudgement;
  readonly canaryCounts: CanaryCounts;
  readonly memory: CheckMemory;
  readonly detail: Record<string, unknown>;
}

/** The look's facts every check shares. */
interface LookShared {
  readonly input: LookInput;
  readonly steps: readonly PlannedStep[];
  readonly spending: SpendingFunction;
}

function lookAtCheck(check: ResolvedCheck, remembered: CheckMemory, { input, steps, spending }: LookShared): CheckLook {
  const data = input.data.get(check.name) ?? { unavailable: 'no data was read for this check' };
  const counts = 'counts' in data ? data.counts : [];
  const seconds = input.windows.reduce((s, w) => s + w.seconds, 0);
  const { canary, baseline } = totals(counts);
  const rate = seconds > 0 ? (canary + baseline) / seconds : 0;
  const information = counts.reduce((s, w) => {
    const nc = w.canary.successes + w.canary.failures;
    const nb = w.baseline.successes + w.baseline.failures;
    return s + (nc > 0 && nb > 0 ? (nc * nb) / (nc + nb) : 0);
  }, 0);
  let planned = remembered.planned;
  if (planned === undefined && rate > 0 && information > 0) {
    // A plan without bakes collects nothing: this look is then the whole plan.
    planned = Math.max(plannedInformation(steps, rate), information);
  }
  const lastWindow = input.windows.at(-1);
  const lastCounts = counts.at(-1);
  const lastCanary = lastCounts === undefined ? 0 : lastCounts.canary.successes + lastCounts.canary.failures;
  const canaryRatePerSecond = lastWindow !== undefined && lastWindow.seconds > 0 && lastCanary > 0 ? lastCanary / lastWindow.seconds : rate * (input.weightNow / 100);
  const thresholds = 'counts' in data ? data.thresholds : undefined;
  const judgement = judgeMetric({
    criteria: thresholds === undefined ? check.criteria : { ...check.criteria, name: `${check.name} (${slowText(thresholds)})` },
    data: { kind: 'errors', counts: counts.map((w) => ({ canary: w.canary, baseline: w.baseline })) },
    look: {
      // Before any traffic there is nothing to plan with; such a look has no information and spends nothing.
      plannedInformation: planned ?? 1,
      previousLooks: remembered.looks.map(toLook),
      spending,
      completedSteps: input.completedSteps,
      ...(canaryRatePerSecond > 0 ? { canaryRatePerSecond } : {}),
      canaryWeight: input.weightNow / 100,
    },
  });
  const unavailable = 'unavailable' in data ? data.unavailable : undefined;
  const final: MetricJudgement =
    unavailable === undefined
      ? judgement
      : { ...judgement, verdict: 'inconclusive', reason: `${check.name}: cannot judge: ${unavailable}`, requestsNeeded: undefined, secondsNeeded: undefined };
  return {
    judgement: final,
    canaryCounts: {
      requests: canary,
      failures: counts.reduce((sum, w) => sum + w.canary.failures, 0),
      ratePerSecond: canaryRatePerSecond,
      allRequestsPerSecond: rate,
      ...(unavailable === undefined ? {} : { unavailable }),
    },
    memory: nextCheckMemory(remembered, planned, judgement, thresholds?.reading),
    detail: { ...checkEvidence(check, final, counts, input.windows, thresholds), ...(check.dryRun === true ? { dryRun: true } : {}) },
  };
}

/** A check's memory after this look: the plan, once fixed, and this look; the latency threshold, once read. */
function nextCheckMemory(remembered: CheckMemory, planned: number | undefined, judgement: MetricJudgement, threshold: ThresholdReading | undefined): CheckMemory {
  const kept = threshold ?? remembered.threshold;
  return {
    ...(planned === undefined ? {} : { planned }),
    looks: planned === undefined ? remembered.looks : recentLooks(remembered.looks, toRemembered(judgement.look)),
    ...(kept === undefined ? {} : { threshold: kept }),
  };
}

export function judgeLook(input: LookInput): LookOutput {
  const memory = parseMemory(input.memory);
  const nextMemory: Record<string, CheckMemory> = {};
  const judgements: MetricJudgement[] = [];
  const acting: MetricJudgement[] = [];
  const shadow: MetricJudgement[] = [];
  const details: Array<Record<string, unknown>> = [];
  const canaryCounts = new Map<string, CanaryCounts>();
  const steps = plannedSteps(input.steps);
  // The steps' shares of the planned information, at any request rate.
  const shared: LookShared = { input, steps, spending: stepwiseSpending(steps.map((s) => stepInformation(s, 1))) };

  for (const check of input.checks) {
    const look = lookAtCheck(check, memory.checks[check.name] ?? { looks: [] }, shared);
    judgements.push(look.judgement);
    (check.dryRun === true ? shadow : acting).push(look.judgement);
    canaryCounts.set(check.name, look.canaryCounts);
    nextMemory[check.name] = look.memory;
    details.push(look.detail);
  }

  const gate = input.slo === undefined ? undefined : judgeSlo(input.slo, canaryCounts.get(input.slo.check), memory.slo, steps, input.completedSteps);
  const deciding = gate === undefined ? acting : [...acting, gate.judgement];
  // Only shadow checks: nothing here may decide, which is the same as no metric check at all.
  const combined: CombinedJudgement =
    deciding.length === 0
      ? { verdict: 'pass', reason: 'no acting metric check (every one is dryRun): the metrics judge does not decide', failed: [], inconclusive: [] }
      : combineVerdicts(deciding, { maxNonCriticalFailures: input.maxNonCriticalFailures });
  const verdict: Verdict = combined.verdict;
  const shadowNote = shadow.length === 0 ? '' : `; shadow check(s), dryRun, not acting: ${shadow.map((j) => `${j.metric} would ${VERDICT_WORD[j.verdict]}: ${j.reason}`).join('; ')}`;
  return {
    judgements,
    ...(gate === undefined ? {} : { slo: gate.judgement }),
    result: {
      judge: METRICS_JUDGE,
      verdict,
      reason: combined.reason + shadowNote,
      evidence: {
        ...splitEvidence(input.windows),
        canaryRequests: Math.max(0, ...[...canaryCounts.values()].map((c) => c.requests)),
        metrics: details,
        ...(gate === undefined ? {} : { slo: gate.evidence }),
        ...(shadow.length === 0 ? {} : { shadow: shadow.map((j) => ({ metric: j.metric, verdict: j.verdict })) }),
        ...(combined.requestsNeeded === undefined ? {} : { requestsNeeded: combined.requestsNeeded }),
        ...(combined.secondsNeeded === undefined ? {} : { secondsNeeded: combined.secondsNeeded }),
      },
      memory: { checks: nextMemory, ...(gate?.memory === undefined ? {} : { slo: gate.memory }) },
    },
  };
}

const VERDICT_WORD: Readonly<Record<Verdict, string>> = { pass: 'pass', fail: 'fail', inconclusive: 'be inconclusive' };

/**
 * The SLO gate on the canary counts of its check. Planned canary requests, Σ R·T·w over the plan's steps
 * at the rate R its check saw, are fixed at the first look with traffic, as a check's planned information.
 */
function judgeSlo(
  slo: SloGate,
  counts: CanaryCounts | undefined,
  remembered: CheckMemory | undefined,
  steps: readonly PlannedStep[],
  completedSteps: number,
): { judgement: BurnRateJudgement; evidence: Record<string, unknown>; memory: CheckMemory | undefined } {
  const looks = remembered?.looks ?? [];
  let planned = remembered?.planned;
  if (planned === undefined && counts !== undefined && counts.requests > 0 && counts.allRequestsPerSecond > 0) {
    planned = Math.max(plannedCanaryRequests(steps, counts.allRequestsPerSecond), counts.requests);
  }
  const judgement = judgeBurnRate({
    criteria: slo.criteria,
    canary: { requests: counts?.requests ?? 0, failures: counts?.failures ?? 0 },
    look: {
      plannedRequests: planned ?? 1,
      previousLooks: looks.map(toLook),
      // The gate's information is the canary's requests: the steps' shares of them.
      spending: stepwiseSpending(steps.map((s) => stepCanaryRequests(s, 1))),
      completedSteps,
      ...(counts !== undefined && counts.ratePerSecond > 0 ? { canaryRatePerSecond: counts.ratePerSecond } : {}),
    },
  });
  const unavailable = counts === undefined ? `no counts from "${slo.check}"` : counts.unavailable;
  const final: BurnRateJudgement =
    unavailable === undefined
      ? judgement
      : { ...judgement, verdict: 'inconclusive', reason: `${slo.criteria.name}: cannot judge: ${unavailable}`, requestsNeeded: undefined, secondsNeeded: undefined };
  const memory: CheckMemory | undefined =
    planned === undefined ? remembered : { planned, looks: recentLooks(looks, toRemembered(judgement.look)) };
  return {
    judgement: final,
    evidence: {
      metric: final.metric,
      check: slo.check,
      verdict: final.verdict,
      reason: final.reason,
      ...(final.requestsNeeded === undefined ? {} : { requestsNeeded: final.requestsNeeded }),
      ...(final.secondsNeeded === undefined ? {} : { secondsNeeded: final.secondsNeeded }),
      evidence: final.evidence,
    },
    memory,
  };
}

/** The most recent split windows with their times; older ones as a count and the time they started. */
function splitEvidence(windows: readonly SplitWindow[]): Record<string, unknown> {
  const recent = windows.slice(-EVIDENCE_WINDOWS);
  const first = windows[0];
  return {
    windows: recent.map((w) => ({ weight: w.weight, from: new Date(w.startMs).toISOString(), to: new Date(w.endMs).toISOString() })),
    ...(first !== undefined && windows.length > recent.length
      ? { earlierWindows: { windows: windows.length - recent.length, from: new Date(first.startMs).toISOString() } }
      : {}),
  };
}

function slowText(thresholds: { readonly baseline: number; readonly canary: number }): string {
  const at = (v: number) => Number(v.toPrecision(4)).toLocaleString('en-US');
  return thresholds.canary === thresholds.baseline
    ? `share of requests over ${at(thresholds.baseline)}`
    : `share over ${at(thresholds.baseline)}, canary over ${at(thresholds.canary)}`;
}

/** What a person needs to see why: the counts per window, the test's numbers and, for latency, the thresholds. */
function checkEvidence(
  check: ResolvedCheck,
  judgement: MetricJudgement,
  counts: readonly WindowCounts[],
  windows: readonly SplitWindow[],
  thresholds: { readonly baseline: number; readonly canary: number; readonly reading: ThresholdReading } | undefined,
): Record<string, unknown> {
  const arm = (a: { successes: number; failures: number }) => ({ requests: a.successes + a.failures, failures: a.failures });
  const inner = judgement.evidence as ErrorsEvidence;
  return {
    metric: check.name,
    verdict: judgement.verdict,
    critical: judgement.critical,
    reason: judgement.reason,
    ...(judgement.requestsNeeded === undefined ? {} : { requestsNeeded: judgement.requestsNeeded }),
    ...(judgement.secondsNeeded === undefined ? {} : { secondsNeeded: judgement.secondsNeeded }),
    ...('percentile' in check && thresholds !== undefined
      ? {
          thresholds: {
            percentile: check.percentile,
            baseline: thresholds.baseline,
            canary: thresholds.canary,
            source: thresholds.reading.source,
            periods: thresholds.reading.periods,
          },
        }
      : {}),
    ...boundedWindows(counts.map((w, i) => ({ weight: windows[i]?.weight, canary: arm(w.canary), baseline: arm(w.baseline) }))),
    // Latency checks count slow requests: say so, so that readers (Slack) do not call them errors.
    evidence: countsSlowRequests(check) ? { ...inner, kind: 'slow-requests' } : inner,
  };
}
