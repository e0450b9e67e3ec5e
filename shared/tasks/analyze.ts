/**
 * The AnalyzeCanary task's body: one look of the request's judges over the step's window, and what comes
 * next. functions/analyze-canary.ts wraps it.
 */
import { combineJudgeResults } from '../judges/combine';
import { measureJudges } from '../judges/registry';
import type { JudgeResult } from '../judges/types';
import { secondsNeededOf } from '../judges/estimate';
import { bakedSecondsAt, decideNextAction, type Gate, type JudgeMemory, type LookClock, type NextAction, type RolloutState, type Verdict } from '../rollout';
import { analysisRecords } from '../telemetry/records';
import { publishMetrics } from '../telemetry/sink';

export interface AnalysisOutput {
  readonly verdict: Verdict;
  readonly action: NextAction;
  /** The wait for a person, when the action is `await-approval`. */
  readonly gate?: Gate;
  /** Where the step's bake stands, for the next look; waitSeconds is IsBakeOver's and WaitForNextLook's wait. */
  readonly look: LookClock;
  /** With `bake-again`: the extra bake time granted to the step so far (BakeAgain copies it into progress). */
  readonly extraSeconds?: number;
  /** Why: the judges' reasons and the decision's. */
  readonly reason: string;
  readonly checks: JudgeResult[];
  readonly step: { readonly index: number; readonly weight: number; readonly extraBakes: number };
  readonly analyzedAt: string;
  /** Each judge's memory for its next look. */
  readonly memory: JudgeMemory;
}

/** One look: runs every configured judge over the step's window and decides what comes next. */
export async function analyzeCanary(state: RolloutState): Promise<AnalysisOutput> {
  const { rollout, progress } = state;
  const end = new Date();
  const window = { start: new Date(progress.shiftedAt ?? rollout.startedAt), end };
  const bakedSeconds = bakedSecondsAt(progress, state.analysis.look);
  const { checks, memory } = await measureJudges(
    rollout.request.analysis,
    { request: rollout.request, baseline: rollout.baseline, plan: rollout.plan, startedAt: rollout.startedAt, progress, window, bakedSeconds },
    state.analysis.memory,
  );
  const combined = combineJudgeResults(checks);
  const secondsNeeded = secondsNeededOf(checks);
  const decision = decideNextAction(combined.verdict, progress, rollout, { bakedSeconds, ...(secondsNeeded === undefined ? {} : { secondsNeeded }) });
  const output: AnalysisOutput = {
    verdict: combined.verdict,
    action: decision.action,
    ...(decision.gate === undefined ? {} : { gate: decision.gate }),
    look: { stepIndex: progress.stepIndex, bakedSeconds, waitSeconds: decision.waitSeconds ?? 0 },
    ...(decision.extraSeconds === undefined ? {} : { extraSeconds: decision.extraSeconds }),
    reason: `step ${progress.stepIndex + 1} at ${progress.weight} %: ${decision.reason}: ${combined.reason}`,
    checks,
    step: { index: progress.stepIndex, weight: progress.weight, extraBakes: progress.extraBakes },
    analyzedAt: end.toISOString(),
    memory,
  };
  publishMetrics(analysisRecords(rollout, output));
  return output;
}
