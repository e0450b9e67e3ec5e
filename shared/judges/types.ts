/**
 * The Judge port. A judge measures the canary and returns a verdict with its evidence; it never throws
 * for missing data (no data is `inconclusive`), only for faults such as throttling, which the state
 * machine retries.
 */
import type { AnalysisConfig, RolloutRequest } from '../config/request';
import type { Baseline, Progress } from '../rollout';

export type Verdict = 'pass' | 'fail' | 'inconclusive';

export type Evidence = { readonly [key: string]: unknown };

export interface JudgeResult {
  /** Which judge spoke, e.g. "cloudwatch-alarms". */
  readonly judge: string;
  readonly verdict: Verdict;
  /** One sentence a person reads in the console or Slack. */
  readonly reason: string;
  readonly evidence: Evidence;
}

export interface AnalysisContext {
  readonly request: RolloutRequest;
  readonly baseline: Baseline;
  readonly progress: Progress;
  /** The look's window: from the start of the step's bake to now. */
  readonly window: { readonly start: Date; readonly end: Date };
}

export interface Judge {
  readonly name: string;
  /** Refuses a rollout that must not start (a missing alarm, an alarm already firing). */
  preflight(): Promise<void>;
  measure(context: AnalysisContext): Promise<JudgeResult>;
}

/** A judge kind: which part of `analysis` configures it, and how to make one. */
export interface JudgeKind {
  /** Whether this request asks for this judge. */
  appliesTo(analysis: AnalysisConfig): boolean;
  create(analysis: AnalysisConfig): Judge;
}
