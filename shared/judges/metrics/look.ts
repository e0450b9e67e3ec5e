/**
 * One look of the metrics judge, after the reading: each check's counts per split window go to
 * `judgeMetric` with the check's earlier looks (alpha spending), the verdicts fold with `combineVerdicts`,
 * and the judge's memory for the next look comes back. Pure, so that the benchmark measures this very
 * code on synthetic counts.
 *
 * Planned information: the effective sample size the plan will collect, Σ R·T·w·(1 − w) over its steps,
 * at the request rate R seen until the check's first look with traffic. Fixed from then on (in memory):
 * the boundaries of later looks depend on it.
 */
import { combineVerdicts, judgeMetric, plannedInformation, type ErrorsEvidence, type MetricJudgement, type SequentialLook } from '../statistics';
import type { Verdict } from '../../rollout';
import type { JudgeResult } from '../types';
import { countsSlowRequests, type ResolvedCheck } from './checks';
import type { ThresholdReading, WindowCounts } from './queries';
import type { SplitWindow } from './windows';
import { boundedWindows, EVIDENCE_WINDOWS, recentLooks } from './bounded';

export const METRICS_JUDGE = 'metrics';

/** What one check keeps between looks. Looks are [information fraction, boundary z], the most recent only (bounded.ts). */
export interface CheckMemory {
  readonly planned?: number;
  readonly looks: ReadonlyArray<readonly [number, number]>;
  readonly threshold?: ThresholdReading;
}

export interface MetricsMemory {
  readonly checks: Readonly<Record<string, CheckMemory>>;
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
  readonly maxNonCriticalFailures: number;
}

export interface LookOutput {
  readonly result: JudgeResult & { readonly memory: MetricsMemory };
  readonly judgements: readonly MetricJudgement[];
}

/** Reads the memory this judge left; anything else than its own shape is a bug, not "no memory". */
export function parseMemory(memory: unknown): MetricsMemory {
  if (memory === undefined || memory === null) return { checks: {} };
  if (typeof memory === 'object' && typeof (memory as { checks?: unknown }).checks === 'object') return memory as MetricsMemory;
  throw new RangeError(`${METRICS_JUDGE}: unexpected memory ${JSON.stringify(memory).slice(0, 200)}`);
}

function totals(counts: readonly WindowCounts[]): { canary: number; baseline: number } {
  return counts.reduce(
    (sum, w) => ({ canary: sum.canary + w.canary.successes + w.canary.failures, baseline: sum.baseline + w.baseline.successes + w.baseline.failures }),
    { canary: 0, baseline: 0 },
  );
}

export function judgeLook(input: LookInput): LookOutput {
  const memory = parseMemory(input.memory);
  const nextMemory: Record<string, CheckMemory> = {};
  const judgements: MetricJudgement[] = [];
  const details: Array<Record<string, unknown>> = [];
  const lastWindow = input.windows.at(-1);

  for (const check of input.checks) {
    const remembered: CheckMemory = memory.checks[check.name] ?? { looks: [] };
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
      const steps = input.steps.map((s) => ({ canaryWeight: s.weight / 100, durationSeconds: s.bakeSeconds }));
      // A plan without bakes collects nothing: this look is then the whole plan.
      planned = Math.max(plannedInformation(steps, rate), information);
    }
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
        previousLooks: remembered.looks.map(([informationFraction, boundaryZ]): SequentialLook => ({ informationFraction, boundaryZ })),
        ...(canaryRatePerSecond > 0 ? { canaryRatePerSecond } : {}),
        canaryWeight: input.weightNow / 100,
      },
    });
    const unavailable = 'unavailable' in data ? data.unavailable : undefined;
    const final: MetricJudgement =
      unavailable === undefined
        ? judgement
        : { ...judgement, verdict: 'inconclusive', reason: `${check.name}: cannot judge: ${unavailable}`, requestsNeeded: undefined, secondsNeeded: undefined };
    judgements.push(final);
    nextMemory[check.name] = {
      ...(planned === undefined ? {} : { planned }),
      looks: planned === undefined ? remembered.looks : recentLooks(remembered.looks, [judgement.look.informationFraction, judgement.look.boundaryZ] as const),
      ...(thresholds !== undefined ? { threshold: thresholds.reading } : remembered.threshold !== undefined ? { threshold: remembered.threshold } : {}),
    };
    details.push(checkEvidence(check, final, counts, input.windows, thresholds));
  }

  const combined = combineVerdicts(judgements, { maxNonCriticalFailures: input.maxNonCriticalFailures });
  const verdict: Verdict = combined.verdict;
  return {
    judgements,
    result: {
      judge: METRICS_JUDGE,
      verdict,
      reason: combined.reason,
      evidence: {
        ...splitEvidence(input.windows),
        metrics: details,
        ...(combined.requestsNeeded === undefined ? {} : { requestsNeeded: combined.requestsNeeded }),
        ...(combined.secondsNeeded === undefined ? {} : { secondsNeeded: combined.secondsNeeded }),
      },
      memory: { checks: nextMemory },
    },
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
