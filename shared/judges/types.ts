/**
 * The Judge port. A judge measures the canary and returns a verdict with its evidence; it never throws
 * for missing data (no data is `inconclusive`), only for faults such as throttling, which the state
 * machine retries.
 */
import type { AnalysisConfig, RolloutRequest } from '../config/request';
import type { Target } from '../config/targets';
import type { Baseline, Progress, Rollout, Verdict } from '../rollout';

export type Evidence = { readonly [key: string]: unknown };

export interface JudgeResult {
  /** Which judge spoke, e.g. "cloudwatch-alarms". */
  readonly judge: string;
  readonly verdict: Verdict;
  /** One sentence a person reads in the console or Slack. */
  readonly reason: string;
  readonly evidence: Evidence;
  /**
   * What this judge wants back at its next look of this rollout (JSON, kept small: it travels in the
   * execution state, which Step Functions caps at 256 KB). Absent: nothing to remember.
   */
  readonly memory?: unknown;
}

export interface AnalysisContext {
  readonly request: RolloutRequest;
  readonly baseline: Baseline;
  readonly plan: Rollout['plan'];
  readonly startedAt: string;
  /** Where the rollout is; `progress.shifts` has every weight set so far with its time. */
  readonly progress: Progress;
  /** The current step's window: from its shift to now. Judges that compare split by split use `progress.shifts`. */
  readonly window: { readonly start: Date; readonly end: Date };
  /** Seconds the current bake has baked at this look: the look clock (rollout.ts bakedSecondsAt), or since the promotion. */
  readonly bakedSeconds: number;
  /** What this judge returned as `memory` at its previous look of this rollout, if anything. */
  readonly memory: unknown;
  /**
   * Set during the post-promotion bake (ISO): the new version has all the traffic since then, and metric
   * checks compare it with the previous version's own window before the rollout (windows.ts).
   */
  readonly promotedAt?: string;
}

export interface JudgePreflightOptions {
  /** request.override.alarmsAlreadyFiring: an alarm in ALARM does not refuse the start. */
  readonly alarmsAlreadyFiring: boolean;
}

export interface Judge {
  readonly name: string;
  measure(context: AnalysisContext): Promise<JudgeResult>;
}

/** A judge with something to check before traffic moves (judges/preflight.ts). */
export interface PreflightJudge extends Judge {
  /** Refuses a rollout that must not start (a missing alarm, an alarm already firing unless overridden). */
  preflight(options?: JudgePreflightOptions): Promise<void>;
}

/** A judge kind: which part of `analysis` configures it, and how to make one. */
export interface JudgeKind<J extends Judge = Judge> {
  /** Whether this request asks for this judge; the target says what it can count (judges/canary-requests.ts). */
  appliesTo(analysis: AnalysisConfig, target: Target): boolean;
  create(analysis: AnalysisConfig, target: Target): J;
}
