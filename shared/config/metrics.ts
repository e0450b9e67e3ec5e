/**
 * `analysis.metrics`: the statistical comparison of canary against baseline. For a lambda-alias target, built-in
 * checks read Lambda's own metrics split by version (ExecutedVersion); for any target, a check may name a
 * CloudWatch query for the canary and one for the baseline (e.g. by an x-deployment dimension).
 * docs/statistics.md ("The request") explains each field and how to read the evidence.
 */
import * as z from 'zod';
import { latencyPercentileOf } from './analysis-facts';
import { BucketSeries, PromQL } from './prometheus';

/** Most checks per rollout: each is 2-4 GetMetricData queries, well under the 500 a call takes. */
export const MAX_METRIC_CHECKS = 20;

export const BUILT_IN_CHECKS = ['errors', 'throttles', 'latency-p50', 'latency-p90', 'latency-p95', 'latency-p99', 'latency-p99.9'] as const;

/** The options every check takes: how much worse the canary may be, and how sure the judge must be. */
const checkOptions = {
  allowedIncrease: z
    .number()
    .min(0, 'allowedIncrease is a relative increase, at least 0')
    .max(10, 'allowedIncrease is a relative increase: at most 10 (×11)')
    .default(0)
    .describe(
      'How much worse the canary may be without a rollback, relative to the baseline: 0.2 lets its error rate (or its latency ' +
        'percentile) be 20 % above the baseline\'s. Default 0: no worse than the baseline.',
    ),
  detectableIncrease: z
    .number()
    .gt(0, 'detectableIncrease must be above 0')
    .max(100)
    .optional()
    .describe(
      'The increase of the rate (errors, throttles; for latency checks: the share of requests slower than the threshold) that ' +
        'the judge must be able to catch, with `power`, before it may pass. Default: twice the allowed rate. Larger means passes ' +
        'come sooner on less data; smaller means more data before a pass.',
    ),
  confidence: z
    .number()
    .gt(0.5, 'confidence is 1 − the false-rollback rate, e.g. 0.99')
    .lt(1, 'confidence must be below 1 (1 would never roll back)')
    .default(0.99)
    .describe(
      '1 − the false-rollback rate of this check over the whole rollout, all looks together (0.99: a canary no worse than ' +
        'allowed is rolled back by this check at most 1 % of the time). With several checks, rates add up.',
    ),
  power: z
    .number()
    .gt(0)
    .lt(1)
    .default(0.8)
    .describe('Probability of catching the detectable increase that a pass requires. Default 0.8.'),
  critical: z
    .boolean()
    .default(true)
    .describe('A failing critical check rolls back whatever the others say; failing non-critical checks roll back only beyond maxNonCriticalFailures.'),
  dryRun: z
    .boolean()
    .default(false)
    .describe(
      'A shadow check: judged at every look and reported in the evidence, the events and Slack, but it never acts: it neither fails ' +
        'an analysis nor keeps one inconclusive. The way to trust a new check before it may roll back.',
    ),
};

const BuiltInCheckSchema = z
  .strictObject({
    metric: z
      .string()
      .refine(
        (m) => m === 'errors' || m === 'throttles' || latencyPercentileOf(m) !== undefined,
        `unknown metric; choose "errors", "throttles" or a latency percentile such as "latency-p99" (one of ${BUILT_IN_CHECKS.join(', ')}, or any latency-pNN)`,
      )
      .describe(
        '"errors": Errors / Invocations; "throttles": Throttles / (Invocations + Throttles); "latency-pNN" (e.g. latency-p99): the ' +
          'share of invocations slower than the baseline\'s pNN Duration before the rollout. Canary and baseline are read from ' +
          'the same alias and window, split by the ExecutedVersion dimension.',
      ),
    ...checkOptions,
  })
  .describe('A built-in check of a lambda-alias target, on the Lambda metrics of the alias split by version.');

const DimensionsSchema = z
  .record(z.string().min(1).max(255), z.string().min(1).max(1024))
  .refine((d) => Object.keys(d).length <= 30, 'at most 30 dimensions')
  .default({});

const MetricSchema = z.strictObject({
  namespace: z.string().min(1).max(255).describe('CloudWatch namespace, e.g. "Coalmine/Mesh" or "AWS/ApplicationELB".'),
  metricName: z.string().min(1).max(255),
  dimensions: DimensionsSchema.describe('Dimension name → value, e.g. {"Service": "checkout", "Deployment": "green"}.'),
});

const CountQuerySchema = z
  .union([
    MetricSchema.extend({
      stat: z.string().min(1).max(100).default('Sum').describe('Statistic per minute; default Sum (a count).'),
    }),
    z.strictObject({
      expression: z
        .string()
        .min(1)
        .max(2048)
        .describe(
          'A CloudWatch Metrics Insights query (SELECT SUM(...) FROM ... WHERE ...) or a metric-math expression that returns ' +
            'one series of one-minute counts, e.g. SUM(SEARCH(\'{Ns,Service,Deployment} Deployment="green"\', \'Sum\', 60)).',
        ),
    }),
  ])
  .describe('A count per minute: a metric with a statistic, or an expression.');

const ArmCountsSchema = z.strictObject({
  errors: CountQuerySchema.describe('Failed requests per minute.'),
  requests: CountQuerySchema.describe('All requests per minute (failed ones included).'),
});

const ErrorsPairSchema = z
  .strictObject({
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$/, 'a name of 1-64 letters, digits, spaces, ".", "_" and "-"').describe('Shown in verdicts.'),
    kind: z.literal('errors'),
    canary: ArmCountsSchema.describe("The canary's failed and total requests."),
    baseline: ArmCountsSchema.describe("The baseline's failed and total requests, from the same source as the canary's."),
    ...checkOptions,
  })
  .describe('A pair of count queries: failed and total requests of the canary and of the baseline.');

const LatencyPairSchema = z
  .strictObject({
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$/, 'a name of 1-64 letters, digits, spaces, ".", "_" and "-"').describe('Shown in verdicts.'),
    kind: z.literal('latency'),
    percentile: z.number().gt(0).lt(100).default(99).describe('Which percentile the check protects; default 99.'),
    canary: MetricSchema.describe("The canary's latency metric; it must support percentiles (published as values, not statistic sets)."),
    baseline: MetricSchema.describe("The baseline's latency metric, with the same unit."),
    ...checkOptions,
  })
  .describe(
    'A pair of latency metrics: compares the share of requests slower than the baseline\'s percentile before the rollout ' +
      '(CloudWatch trimmed counts TC(threshold:) over SampleCount).',
  );

const CheckName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$/, 'a name of 1-64 letters, digits, spaces, ".", "_" and "-"').describe('Shown in verdicts.');

const PromErrorsArm = z.strictObject({ errors: PromQL.describe('Failed requests in the window.'), requests: PromQL.describe('All requests in the window.') });
const PromLatencyArm = z.union([
  z.strictObject({
    slow: PromQL.describe('Requests slower than a fixed threshold in the window, e.g. the +Inf bucket minus the le="250" bucket.'),
    requests: PromQL.describe('All requests in the window.'),
  }),
  z.strictObject({ buckets: BucketSeries }),
]);

const PrometheusPairSchema = z
  .discriminatedUnion('kind', [
    z.strictObject({
      name: CheckName,
      source: z.literal('prometheus'),
      kind: z.literal('errors'),
      canary: PromErrorsArm.describe("The canary's failed and total requests."),
      baseline: PromErrorsArm.describe("The baseline's failed and total requests."),
      ...checkOptions,
    }),
    z.strictObject({
      name: CheckName,
      source: z.literal('prometheus'),
      kind: z.literal('latency'),
      percentile: z.number().gt(0).lt(100).default(99).describe('With buckets: which percentile the check protects; default 99.'),
      canary: PromLatencyArm.describe("The canary's slow and total requests, or its histogram buckets."),
      baseline: PromLatencyArm.describe("The baseline's, in the same form as the canary's."),
      ...checkOptions,
    }),
  ])
  .refine((pair) => pair.kind === 'errors' || 'buckets' in pair.canary === 'buckets' in pair.baseline, {
    message: 'canary and baseline give their latency the same way: both "buckets", or both "slow" and "requests"',
    path: ['baseline'],
  })
  .describe(
    'A query pair read from Prometheus (analysis.prometheus), counts per split window, judged like the CloudWatch pairs. Latency: ' +
      'fixed-threshold slow counts, or histogram buckets: the threshold is the baseline\'s percentile (histogram_quantile) over the hour ' +
      'before the rollout, × (1 + allowedIncrease) for the canary, and the slow counts are interpolated within the buckets as histogram_quantile does.',
  );

const CloudWatchPairSchema = z.discriminatedUnion('kind', [ErrorsPairSchema, LatencyPairSchema], {
  error: (issue) => (issue.code === 'invalid_union' ? 'a query pair has "kind": "errors" or "latency"' : undefined),
});

const CHECK_SHAPES = 'a check is {"metric": "errors" | "throttles" | "latency-p99" …} or a query pair {"name", "kind", "canary", "baseline"}';

/** The problems of the branch the input meant (by its "metric" or "kind" field), as `path: message`. */
function unionMessage(issue: z.core.$ZodRawIssue): string | undefined {
  if (issue.code !== 'invalid_union') return undefined;
  const input = issue.input;
  const branch = typeof input === 'object' && input !== null ? ('metric' in input ? 0 : 'source' in input ? 2 : 'kind' in input ? 1 : -1) : -1;
  const errors = (issue as { errors?: z.core.$ZodIssue[][] }).errors?.[branch];
  if (errors === undefined || errors.length === 0) return CHECK_SHAPES;
  return errors
    .map((e) => {
      const detail = e.code === 'unrecognized_keys' ? `unknown field${e.keys.length > 1 ? 's' : ''} ${e.keys.map((k) => `"${k}"`).join(', ')}` : e.message;
      return e.path.length > 0 ? `${e.path.join('.')}: ${detail}` : detail;
    })
    .join('; ');
}

export const MetricCheckSchema = z.union([BuiltInCheckSchema, CloudWatchPairSchema, PrometheusPairSchema], { error: unionMessage });

export const MetricChecksSchema = z
  .array(MetricCheckSchema)
  .max(MAX_METRIC_CHECKS, `at most ${MAX_METRIC_CHECKS} metric checks`)
  .superRefine((checks, ctx) => {
    const seen = new Set<string>();
    checks.forEach((check, i) => {
      const name = 'metric' in check ? check.metric : check.name;
      if (seen.has(name)) ctx.addIssue({ code: 'custom', path: [i], message: `"${name}" is checked twice` });
      seen.add(name);
    });
  })
  .default([])
  .describe(
    'Statistical checks of the canary against the baseline, judged at every analysis with the false-rollback rate held over ' +
      'the whole rollout. Not enough data is "inconclusive" with the requests still needed, never a pass.',
  );

export type MetricCheckConfig = z.output<typeof MetricCheckSchema>;

/** A check's name as verdicts show it: a built-in check's metric, or a query pair's name. */
export function checkNameOf(check: MetricCheckConfig): string {
  return 'metric' in check ? check.metric : check.name;
}
export type BuiltInCheckConfig = z.output<typeof BuiltInCheckSchema>;
export type QueryPairConfig = z.output<typeof CloudWatchPairSchema>;
export type PrometheusPairConfig = z.output<typeof PrometheusPairSchema>;
export type CountQueryConfig = z.output<typeof CountQuerySchema>;
export type MetricConfig = z.output<typeof MetricSchema>;

/** Problems of checks that the target cannot have: built-in checks read Lambda's metrics by version. */
export function metricCheckProblems(checks: readonly MetricCheckConfig[], targetType: string): Array<{ path: number; message: string }> {
  if (targetType === 'lambda-alias') return [];
  return checks.flatMap((check, i) =>
    'metric' in check
      ? [{ path: i, message: `"${check.metric}" is a built-in check of a lambda-alias target; for a ${targetType} target give a query pair {"name", "kind", "canary", "baseline"}` }]
      : [],
  );
}
