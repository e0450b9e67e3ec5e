/**
 * The post-promotion bake (request.postPromotion, docs/post-promotion.md): after the Promote state the
 * execution keeps running at 100 % on the new version, with the previous version (the rollout's baseline)
 * one write away, and looks every `intervalSeconds`. `decideAfterLook` is the pure rule each look ends with;
 * `analyzeAfterPromotion` is the AnalyzeAfterPromotion task that measures and applies it.
 */
import type { AnalysisConfig, RolloutRequest } from './config/request';
import { combineJudgeResults } from './judges/combine';
import { measureJudges } from './judges/registry';
import type { JudgeResult } from './judges/types';
import type { PostPromotionPlan } from './plan';
import type { JudgeMemory, Rollout, RolloutState, Verdict } from './rollout';
import { analysisRecords } from './telemetry/records';
import { publishMetrics } from './telemetry/sink';

/** What the DecideAfterLook choice branches on: look again, end promoted, or roll back to the previous version. */
export type BakeAction = 'watch' | 'complete' | 'rollback';

export interface BakeDecision {
  readonly action: BakeAction;
  readonly reason: string;
  /** Seconds until the next look, with `watch`: the interval, or what is left of the bake. */
  readonly nextWaitSeconds?: number;
}

/**
 * After look `look` (1-based) of the bake: a failing look rolls back; the last look ends the bake; otherwise
 * look again. An inconclusive look is no failure: the new version already has all the traffic, and the bake
 * is there to catch a regression, which the next look (or an alarm, at once) still can.
 */
export function decideAfterLook(verdict: Verdict, look: number, bake: PostPromotionPlan): BakeDecision {
  const of = `look ${look} of ${bake.looks} after the promotion`;
  if (verdict === 'fail') return { action: 'rollback', reason: `${of} failed` };
  if (look >= bake.looks) {
    return { action: 'complete', reason: `${of} ${verdict === 'pass' ? 'passed' : 'was inconclusive'}; the ${bake.bakeSeconds} s bake ended with no look failed` };
  }
  const nextWaitSeconds = Math.min(bake.intervalSeconds, bake.bakeSeconds - look * bake.intervalSeconds);
  return { action: 'watch', reason: `${of} ${verdict === 'pass' ? 'passed' : 'was inconclusive'}; next look in ${nextWaitSeconds} s`, nextWaitSeconds };
}

/** What the looks judge: postPromotion.analysis, or by default the rollout's own alarms. */
export function postPromotionAnalysisOf(request: RolloutRequest): AnalysisConfig {
  const own = request.postPromotion?.analysis;
  if (own !== undefined) return { ...own, inconclusive: request.analysis.inconclusive };
  return { ...request.analysis, metrics: [], prometheus: undefined, slo: undefined };
}

export interface BakeLookInput {
  readonly rollout: Rollout;
  readonly progress: RolloutState['progress'];
  readonly promotion: { readonly promotedAt: string };
  /** The bake so far: looks taken and the judges' memory (StartPostPromotionBake starts both afresh). */
  readonly bake: { readonly look: number; readonly memory: JudgeMemory };
}

export interface BakeLookOutput extends BakeDecision {
  readonly phase: 'post-promotion';
  readonly verdict: Verdict;
  readonly look: number;
  readonly looks: number;
  readonly checks: JudgeResult[];
  readonly analyzedAt: string;
  readonly memory: JudgeMemory;
}

/** One look of the post-promotion bake: the judges over the window since the promotion, and what comes next. */
export async function analyzeAfterPromotion(input: BakeLookInput): Promise<BakeLookOutput> {
  const { rollout, progress, promotion } = input;
  const bake = rollout.plan.postPromotion;
  if (bake === undefined) throw new RangeError('AnalyzeAfterPromotion runs only for a rollout with postPromotion in its plan');
  const end = new Date();
  const { checks, memory } = await measureJudges(
    postPromotionAnalysisOf(rollout.request),
    {
      request: rollout.request,
      baseline: rollout.baseline,
      plan: rollout.plan,
      startedAt: rollout.startedAt,
      progress,
      window: { start: new Date(promotion.promotedAt), end },
      bakedSeconds: (end.getTime() - Date.parse(promotion.promotedAt)) / 1000,
      promotedAt: promotion.promotedAt,
    },
    input.bake.memory,
  );
  const combined = combineJudgeResults(checks);
  const look = input.bake.look + 1;
  const decision = decideAfterLook(combined.verdict, look, bake);
  const output: BakeLookOutput = {
    phase: 'post-promotion',
    verdict: combined.verdict,
    ...decision,
    reason: `${decision.reason}: ${combined.reason}`,
    look,
    looks: bake.looks,
    checks,
    analyzedAt: end.toISOString(),
    memory,
  };
  publishMetrics(analysisRecords(rollout, { verdict: output.verdict, step: { weight: 100 }, checks }));
  return output;
}
