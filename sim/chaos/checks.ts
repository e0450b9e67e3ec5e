/**
 * The chaos campaign's checks and its summary: pure functions of what each simulated case reported.
 * A case is safe when every check passes; the summary counts cases per fault class and the time from the
 * execution's stop or failure to a safe target.
 */
import { MANUAL_PROMOTE_ERROR } from '../../shared/stop-errors';
import type { SimulationResult } from '../results';
import { FAULT_CLASSES, type ChaosCase, type FaultClass } from './generate';

/** The result of one case: what the simulation reported, or how it crashed. */
export type CaseRun = { readonly result: SimulationResult } | { readonly crash: string };

export interface Violation {
  readonly check: string;
  readonly detail: string;
}

type Check = (result: SimulationResult) => string | null;

/** Each check: null when it holds, else what is wrong. */
export const CHECKS: Readonly<Record<string, Check>> = {
  'target at 0 % or 100 %': (r) => (r.finalWeight === 0 || r.finalWeight === 100 ? null : `the canary is at ${r.finalWeight} % when the simulation stopped`),
  'lock released': (r) => {
    const lock = r.edge?.finalStore.coalmine_lock;
    return lock === undefined ? null : `the store still holds coalmine_lock (${lock})`;
  },
  'safe within the hour': (r) => (r.timeToSafeSeconds !== null && r.timeToSafeSeconds <= 3600 ? null : `timeToSafeSeconds is ${String(r.timeToSafeSeconds)}`),
  'outcome agrees with the weight': (r) => {
    const moved = r.routing.weightsSet.some((w) => w > 0);
    const agrees = r.outcome === 'promoted' ? r.finalWeight === 100 : r.outcome === 'rolled_back' ? r.finalWeight === 0 : r.finalWeight !== 100 && !(r.finalWeight === 0 && moved);
    return agrees ? null : `outcome ${r.outcome} with the canary at ${r.finalWeight} %${moved ? ' after traffic moved' : ''}`;
  },
  'a reason is recorded': (r) => {
    if (r.reason.trim() === '' || r.reason === 'the execution failed') return `the reason is ${JSON.stringify(r.reason)}`;
    const reconciled = r.reconciler.invocations.some((i) => i.outcome === 'rolled-back');
    if (reconciled && !r.reason.includes('the reconciler')) return 'the reconciler rolled back and the reason does not say so';
    // A promote's stop cause says what was asked; at any other weight than 100 % the reason must say it failed.
    if (r.error === MANUAL_PROMOTE_ERROR && r.finalWeight !== 100 && !r.reason.includes('did not complete')) return 'a promote that did not complete, and the reason does not say so';
    return null;
  },
  'no phantom steps': (r) => {
    const phantom = r.steps.filter((s) => !r.routing.weightsSet.includes(s.weight));
    return phantom.length === 0 ? null : `steps at ${phantom.map((s) => `${s.weight} %`).join(', ')} that no write set`;
  },
  'routing by weights the rollout set': (r) => (r.routing.problems.length === 0 ? null : r.routing.problems.join('; ')),
};

export function violationsOf(run: CaseRun): Violation[] {
  if ('crash' in run) return [{ check: 'the simulator did not crash', detail: run.crash }];
  return Object.entries(CHECKS).flatMap(([check, holds]) => {
    const detail = holds(run.result);
    return detail === null ? [] : [{ check, detail }];
  });
}

/** The execution was stopped or failed: the cases whose time to safety counts. */
function stoppedOrFailed(result: SimulationResult): boolean {
  return result.error !== null || result.outcome !== 'promoted' || result.reconciler.invocations.length > 0;
}

export interface ClassFigures {
  readonly cases: number;
  readonly safe: number;
  /** Cases of the class whose execution was stopped or failed, with a time to safety. */
  readonly stoppedOrFailed: number;
  readonly medianSecondsToSafe: number | null;
  readonly maxSecondsToSafe: number | null;
  /** Of those, the cases the execution's end left unsafe (something after the end made them safe). */
  readonly leftUnsafe: number;
  readonly medianSecondsToSafeWhenLeftUnsafe: number | null;
}

export interface CampaignSummary {
  readonly cases: number;
  readonly safe: number;
  readonly byTarget: Readonly<Record<string, { cases: number; safe: number }>>;
  readonly byClass: Readonly<Record<FaultClass, ClassFigures>>;
  readonly all: ClassFigures;
}

export interface CaseRecord {
  readonly chaos: ChaosCase;
  readonly run: CaseRun;
  readonly violations: readonly Violation[];
}

function median(sorted: readonly number[]): number | null {
  if (sorted.length === 0) return null;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

function figures(records: readonly CaseRecord[]): ClassFigures {
  const times = records
    .flatMap((r) => ('result' in r.run && stoppedOrFailed(r.run.result) && r.run.result.timeToSafeSeconds !== null ? [r.run.result.timeToSafeSeconds] : []))
    .sort((a, b) => a - b);
  const later = times.filter((t) => t > 0);
  return {
    cases: records.length,
    safe: records.filter((r) => r.violations.length === 0).length,
    stoppedOrFailed: times.length,
    medianSecondsToSafe: median(times),
    maxSecondsToSafe: times.length === 0 ? null : (times[times.length - 1] as number),
    leftUnsafe: later.length,
    medianSecondsToSafeWhenLeftUnsafe: median(later),
  };
}

export function summarise(records: readonly CaseRecord[]): CampaignSummary {
  const byClass = Object.fromEntries(FAULT_CLASSES.map((c) => [c, figures(records.filter((r) => r.chaos.faultClasses.includes(c)))])) as Record<FaultClass, ClassFigures>;
  const targets = [...new Set(records.map((r) => r.chaos.target))].sort();
  const byTarget = Object.fromEntries(
    targets.map((t) => {
      const of = records.filter((r) => r.chaos.target === t);
      return [t, { cases: of.length, safe: of.filter((r) => r.violations.length === 0).length }];
    }),
  );
  const all = figures(records);
  return { cases: all.cases, safe: all.safe, byTarget, byClass, all };
}
