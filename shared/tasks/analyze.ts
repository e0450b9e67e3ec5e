/**
 * The AnalyzeCanary task's body: run the request's judges over the step's window and decide what comes
 * next. functions/analyze-canary.ts wraps it.
 */
import { combineJudgeResults } from '../judges/combine';
import { judgesFor } from '../judges/registry';
import type { JudgeResult } from '../judges/types';
import { decideNextAction, type Gate, type JudgeMemory, type NextAction, type RolloutState, type Verdict } from '../rollout';
import { analysisRecords } from '../telemetry/records';
import { publishMetrics } from '../telemetry/sink';

export interface AnalysisOutput {
  readonly verdict: Verdict;
  readonly action: NextAction;
  /** The wait for a person, when the action is `await-approval`. */
  readonly gate?: Gate;
  /** Why: the judges' reasons and the decision's. */
  readonly reason: string;
  readonly checks: JudgeResult[];
  readonly step: { readonly index: number; readonly weight: number; readonly extraBakes: number };
  readonly analyzedAt: string;
  /** Each judge's memory for its next look. */
  readonly memory: JudgeMemory;
}

/** Runs every configured judge over the step's window and decides what comes next. */
export async function analyzeCanary(state: RolloutState): Promise<AnalysisOutput> {
  const { rollout, progress } = state;
  const end = new Date();
  const window = { start: new Date(progress.shiftedAt ?? rollout.startedAt), end };
  const checks: JudgeResult[] = [];
  const memory: Record<string, unknown> = {};
  for (const judge of judgesFor(rollout.request.analysis)) {
    const result = await judge.measure({
      request: rollout.request,
      baseline: rollout.baseline,
      plan: rollout.plan,
      startedAt: rollout.startedAt,
      progress,
      window,
      memory: state.analysis.memory[judge.name],
    });
    const { memory: remembered, ...check } = result;
    checks.push(check);
    if (remembered !== undefined) memory[judge.name] = remembered;
  }
  const combined = combineJudgeResults(checks);
  const decision = decideNextAction(combined.verdict, progress, rollout);
  const output: AnalysisOutput = {
    verdict: combined.verdict,
    action: decision.action,
    ...(decision.gate === undefined ? {} : { gate: decision.gate }),
    reason: `step ${progress.stepIndex + 1} at ${progress.weight} %: ${decision.reason}: ${combined.reason}`,
    checks,
    step: { index: progress.stepIndex, weight: progress.weight, extraBakes: progress.extraBakes },
    analyzedAt: end.toISOString(),
    memory,
  };
  publishMetrics(analysisRecords(rollout, output));
  return output;
}
