/**
 * What the judges need to know of an analysis without validating one (request.ts, metrics.ts, slo.ts and
 * minimum-sample.ts have the schemas): a latency check's percentile, the SLO's default check, and the
 * minimum sample of an analysis that has only alarms. No zod here: analyzeCanary, whose request Preflight
 * validated, loads no schema at its cold start.
 */

/** `latency-p99`, `latency-p99.9`, `latency-p50`: a percentile of Lambda's Duration. */
const LATENCY_CHECK = /^latency-p(\d{1,2}(\.\d{1,2})?)$/;

/** The percentile of a `latency-pNN` check name, or undefined for other names. */
export function latencyPercentileOf(metric: string): number | undefined {
  const match = LATENCY_CHECK.exec(metric);
  if (match === null) return undefined;
  const value = Number(match[1]);
  return value > 0 && value < 100 ? value : undefined;
}

/** The check an SLO gate counts errors with when it names none. */
export const DEFAULT_SLO_CHECK = 'errors';

/**
 * `analysis.minCanaryRequests`: how many canary requests an analysis that has only alarms must have seen
 * before it may pass. An alarm that stayed OK over three requests says nothing about the canary; below the
 * minimum such an analysis is inconclusive, and the inconclusive policy decides.
 *
 * The default, 300: with no error among 300 canary requests, the canary's error rate is below 1 % with 95 %
 * confidence (Clopper-Pearson, 1 − 0.05^(1/300) = 0.995 %); a canary that fails 1 % of its requests shows
 * no error at all in 300 requests only 4.9 % of the time (0.99^300). 1 % is the threshold of the error-rate
 * alarms in the examples and the simulator's scenarios (the benchmark's CodeDeploy-style alarm is at 2 %,
 * reached at 150). Fewer requests cannot tell a canary that fails at the alarm's threshold from a healthy
 * one, whatever the alarm says. It is also what a 10 req/s function serves the canary in the first bake of
 * canary10-5m (10 % for 5 minutes), the smallest traffic the presets are made for.
 *
 * Only alarms decide when no metric check acts (shadow checks, `dryRun`, never do) and there is no SLO gate.
 * The count is the canary's own requests since the first shift, where the target has them: a lambda-alias
 * target's `Invocations` of the canary version (judges/canary-requests.ts). A cloudfront-kvs target has no
 * request count of its own; there the minimum needs a metric check (whose judge then has its own minimum).
 */
export const DEFAULT_MIN_CANARY_REQUESTS = 300;

/** Target types whose canary requests coalmine can count without a metric check. */
export const COUNTED_TARGET_TYPES: readonly string[] = ['lambda-alias'];

interface SampleRequest {
  readonly target: { readonly type: string };
  readonly analysis: {
    readonly alarms: readonly string[];
    readonly metrics: ReadonlyArray<{ readonly dryRun?: boolean }>;
    readonly slo?: unknown;
    readonly minCanaryRequests?: number | undefined;
  };
}

/** Whether only alarms decide: no metric check that acts (shadow checks never do) and no SLO gate. */
function alarmsOnly(analysis: SampleRequest['analysis']): boolean {
  return analysis.alarms.length > 0 && analysis.slo === undefined && analysis.metrics.every((check) => check.dryRun === true);
}

/** The minimum that applies to this request's analysis, or 0 when none does (metric checks, no alarms, no count). */
export function minimumCanaryRequestsFor(request: SampleRequest): number {
  if (!alarmsOnly(request.analysis) || !COUNTED_TARGET_TYPES.includes(request.target.type)) return 0;
  return request.analysis.minCanaryRequests ?? DEFAULT_MIN_CANARY_REQUESTS;
}

/** Why the request's minCanaryRequests cannot apply, if it cannot. */
export function minimumSampleProblem(request: SampleRequest): string | undefined {
  const { minCanaryRequests } = request.analysis;
  if (minCanaryRequests === undefined || minCanaryRequests === 0) return undefined;
  if (!alarmsOnly(request.analysis)) {
    return 'minCanaryRequests applies to an analysis with alarms and no acting metric check or SLO (those have their own minimum sample); leave it out';
  }
  if (!COUNTED_TARGET_TYPES.includes(request.target.type)) {
    return `a ${request.target.type} target has no request count of its own, so its alarms cannot be held to a minimum: add a metric check (a query pair) that counts its requests, or leave minCanaryRequests out`;
  }
  return undefined;
}
