/** The canary-versus-baseline statistics and the SLO burn-rate test: pure functions, no AWS. See docs/statistics.md and docs/slo.md. */
export { combineVerdicts, judgeMetric, DEFAULT_BASELINE_RATE_FLOOR, DEFAULT_DETECTABLE_FACTOR, DEFAULT_POWER } from './verdict';
export type {
  CombinedJudgement,
  CombineOptions,
  ErrorsData,
  ErrorsEvidence,
  JudgeMetricInput,
  LatencyData,
  LatencyEvidence,
  LookContext,
  MetricCriteria,
  MetricData,
  MetricJudgement,
  MetricKind,
} from './verdict';
export { testRatioOfProportions } from './proportions';
export type { ArmCounts, ArmSummary, Direction, RatioTestInput, RatioTestResult, TwoArmCounts } from './proportions';
export { mannWhitney } from './ranks';
export type { RankTestInput, RankTestResult } from './ranks';
export { alphaSpentBy, crossingProbability, DEFAULT_SPENDING, lookBoundary, NEVER_REJECT_Z, scheduleBoundaries, stepwiseSpending } from './sequential';
export type { LookBoundary, LookBoundaryInput, ScheduleInput, SequentialLook, SpendingFunction, StepwiseSpending } from './sequential';
export {
  effectiveSampleSize,
  minimumCanaryRequests,
  minimumRankSamples,
  plannedInformation,
  pooledTwoProportionZ,
  stepInformation,
  probabilityWorse,
  zTestPower,
} from './sample-size';
export type { MinimumCanaryRequestsInput, MinimumRankSamplesInput, PlannedStep, ZTestPowerInput } from './sample-size';
export { DEFAULT_DETECTABLE_BURN_FACTOR, judgeBurnRate, minimumBurnRateRequests, plannedCanaryRequests, stepCanaryRequests } from './burn-rate';
export type { BurnRateCriteria, BurnRateEvidence, BurnRateInput, BurnRateJudgement, BurnRateLook } from './burn-rate';
