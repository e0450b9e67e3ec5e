import { lambdaHandler } from '../shared/handler';
import { analyzeAfterPromotion, type BakeLookInput, type BakeLookOutput } from '../shared/post-promotion';
import type { RolloutState } from '../shared/rollout';
import { analyzeCanary, type AnalysisOutput } from '../shared/tasks/analyze';

// One function judges both: a step's analysis (AnalyzeCanary), and a look of the post-promotion bake
// (AnalyzeAfterPromotion, whose Parameters carry `bake`), with the same role and the same reads.
export const handler = lambdaHandler(async (input: RolloutState | BakeLookInput): Promise<AnalysisOutput | BakeLookOutput> => ('bake' in input ? analyzeAfterPromotion(input) : analyzeCanary(input)));
