/** The metrics judge: canary against baseline from CloudWatch or Prometheus, judged by shared/judges/statistics. */
export { MetricsJudge, METRIC_SOURCES, checkData, completedSteps, metricsKind, REFERENCE_SECONDS, type MetricReader } from './judge';
export { judgeLook, parseMemory, METRICS_JUDGE } from './look';
export type { CheckData, CheckMemory, LookInput, LookOutput, MetricsMemory, PlanStepShape } from './look';
export { resolveChecks, lambdaDimensions, LAMBDA_NAMESPACE } from './checks';
export type { ResolvedCheck, RateCheck, LatencyCheck, CountSource } from './checks';
export { countsPerWindow, lookQueries, thresholdFrom, thresholdQueries, formatThreshold, MIN_REFERENCE_PERIODS, QUERIES_PER_CALL } from './queries';
export type { SeriesById, Thresholds, ThresholdReading, WindowCounts } from './queries';
export { readMetricData } from './reader';
export { periodFor, splitWindows, windowIndexOf } from './windows';
export type { SplitWindow, WeightChange } from './windows';
