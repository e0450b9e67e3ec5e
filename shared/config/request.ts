/**
 * The rollout request: what a user pastes into the Step Functions console, sends from the CLI, or an
 * artifact rule fills in. Strict: an unknown field is an error, never ignored, because a typo such as
 * `bakeSecond` silently falling back to a default would change how long a canary is watched.
 */
import * as z from 'zod';
import { RolloutRequestInvalid } from '../errors';
import { LIMITS } from './limits';
import { MAX_METRIC_CHECKS, metricCheckProblems, MetricChecksSchema } from './metrics';
import { minimumSampleProblem } from './analysis-facts';
import { MinCanaryRequestsSchema } from './minimum-sample';
import { SloSchema, sloProblem } from './slo';
import { PrometheusEndpointSchema } from './prometheus';
import { PRESET_NAMES, PRESETS } from './presets';
import { addressShareOf, canaryPinsTooLarge } from '../net/pin-share';
import { TargetSchema } from './targets';

/** analysis.intervalSeconds: the judges look every minute, as often as CloudWatch publishes Lambda metrics. */
export const DEFAULT_INTERVAL_SECONDS = 60;
/**
 * analysis.inconclusive.maxExtraSeconds, from the benchmark (docs/benchmark.md): a healthy canary at 10 req/s
 * on canary10-5m needs about an hour at 1 canary request per second to show it would have caught a doubling
 * of errors; this bound lets at least 90 % of them promote.
 */
export const DEFAULT_MAX_EXTRA_SECONDS = 3600;
export const MAX_EXTRA_BAKES_REPLACED =
  'analysis.inconclusive.maxExtraBakes was replaced by maxExtraSeconds: an extra bake now lasts as long as the judges estimate they still need, ' +
  'within a bound in seconds. Remove maxExtraBakes; for the old bound of N extra bakes of S seconds, give "maxExtraSeconds": N × S.';

const Percent = z
  .number()
  .gt(0, 'a weight must be above 0 (the canary starts at 0 % before the first step)')
  .lte(100, 'a weight is a percentage of traffic: at most 100')
  // Compare with a tolerance: in binary floating point 0.29 * 100 is 28.999999999999996, not 29.
  .refine((w) => Math.abs(w * 100 - Math.round(w * 100)) < 1e-6, 'a weight may have at most two decimals, e.g. 0.5 or 12.25');

const BakeSeconds = z
  .int('bakeSeconds must be a whole number of seconds')
  .min(0, 'bakeSeconds cannot be negative: give 0 (no bake) or more seconds')
  .max(LIMITS.maxBakeSeconds, `a bake lasts at most ${LIMITS.maxBakeSeconds} seconds (7 days)`);

const ApprovalSchema = z
  .strictObject({
    timeoutSeconds: z
      .int({
        error: (issue) =>
          issue.input === undefined ? 'required: how many seconds to wait for a person (at most 7 days)' : 'timeoutSeconds must be a whole number of seconds',
      })
      .min(1, 'an approval waits at least 1 second')
      .max(LIMITS.maxApprovalSeconds, `an approval waits at most ${LIMITS.maxApprovalSeconds} seconds (7 days)`)
      .describe('How long the gate waits for a person before onTimeout applies. Required.'),
    onTimeout: z
      .enum(['rollback', 'proceed'], { error: () => 'onTimeout is "rollback" or "proceed"' })
      .default('rollback')
      .describe('What happens when nobody answers in time: roll back (the default) or move on.'),
  })
  .describe('Wait for a person (Slack buttons, /coalmine approve, coalmine approve) after this step passes its analysis.');

const StepSchema = z
  .strictObject({
    weight: Percent.describe('Canary share in percent during this step; the last step is { "weight": 100 }.'),
    bakeSeconds: BakeSeconds.optional().describe('Seconds to bake at this weight before the analysis; required below 100 %.'),
    approval: ApprovalSchema.optional(),
  })
  .describe('One step of the list form.');

interface Problem {
  readonly path: (string | number)[];
  readonly message: string;
}

function increasingProblems(weights: readonly number[]): Problem[] {
  return weights.flatMap((weight, i) => {
    const previous = weights[i - 1];
    return previous !== undefined && weight <= previous
      ? [{ path: [i], message: `weights must be strictly increasing: ${weight} follows ${previous}` }]
      : [];
  });
}

/** What is wrong with a list of steps beyond each step's own fields. */
function stepProblems(steps: readonly z.output<typeof StepSchema>[]): Problem[] {
  const problems = increasingProblems(steps.map((step) => step.weight)).map((p) => ({ path: [...p.path, 'weight'], message: p.message }));
  steps.forEach((step, i) => {
    if (step.weight < 100 && step.bakeSeconds === undefined) {
      problems.push({ path: [i, 'bakeSeconds'], message: `a step below 100 % needs "bakeSeconds" (how long to watch ${step.weight} %)` });
    }
  });
  const last = steps[steps.length - 1];
  if (last !== undefined && last.weight !== 100) {
    problems.push({ path: [steps.length - 1, 'weight'], message: 'the last step must be { "weight": 100 } (the canary takes all traffic at promotion)' });
  }
  if (last?.weight === 100 && (last.bakeSeconds !== undefined || last.approval !== undefined)) {
    problems.push({
      path: [steps.length - 1],
      message: 'the last step { "weight": 100 } is the promotion: it has no bake or approval; put the approval on the step before it',
    });
  }
  return problems;
}

const StrategySchema = z
  .strictObject({
    preset: z
      .enum(PRESET_NAMES, { error: () => `unknown preset; choose one of ${PRESET_NAMES.join(', ')}` })
      .optional()
      .describe('A named shape, as in CodeDeploy: canary10-5m, linear10-1m, all-at-once, ...'),
    weights: z
      .array(Percent)
      .min(1, 'give at least one weight; the last must be 100')
      .max(LIMITS.maxSteps, `at most ${LIMITS.maxSteps} steps`)
      .optional()
      .describe('Canary share in percent after each step, strictly increasing, ending at 100.'),
    bakeSeconds: BakeSeconds.optional().describe('Seconds to wait after each step below 100 % before analysing the canary.'),
    steps: z
      .array(StepSchema)
      .min(1, 'give at least one step; the last is { "weight": 100 }')
      .max(LIMITS.maxSteps, `at most ${LIMITS.maxSteps} steps`)
      .optional()
      .describe('The list form: each step with its own weight, bake and optional approval gate, ending with { "weight": 100 }.'),
  })
  .superRefine((strategy, ctx) => {
    const forms = [
      strategy.preset !== undefined && '"preset"',
      (strategy.weights !== undefined || strategy.bakeSeconds !== undefined) && '"weights" with "bakeSeconds"',
      strategy.steps !== undefined && '"steps"',
    ].filter((form) => form !== false);
    if (forms.length > 1) {
      ctx.addIssue({ code: 'custom', message: `give one of "preset", "weights" with "bakeSeconds", or "steps", not ${forms.join(' and ')}` });
      return;
    }
    if (forms.length === 0) {
      ctx.addIssue({ code: 'custom', message: 'give "preset" (e.g. "canary10-5m"), "weights" with "bakeSeconds", or "steps"' });
      return;
    }
    if (strategy.steps !== undefined) {
      stepProblems(strategy.steps).forEach((issue) => ctx.addIssue({ code: 'custom', ...issue, path: ['steps', ...issue.path] }));
      return;
    }
    if (strategy.preset !== undefined) return;
    const hasWeights = strategy.weights !== undefined;
    if (hasWeights && strategy.bakeSeconds === undefined) {
      ctx.addIssue({ code: 'custom', path: ['bakeSeconds'], message: 'explicit weights need "bakeSeconds" too' });
    }
    if (!hasWeights) {
      ctx.addIssue({ code: 'custom', path: ['weights'], message: '"bakeSeconds" goes with "weights" (e.g. [10, 100]); give them too' });
    }
    const weights = strategy.weights ?? [];
    increasingProblems(weights).forEach((issue) => ctx.addIssue({ code: 'custom', ...issue, path: ['weights', ...issue.path] }));
    if (hasWeights && weights.length > 0 && weights[weights.length - 1] !== 100) {
      ctx.addIssue({ code: 'custom', path: ['weights'], message: 'the last weight must be 100 (the canary takes all traffic before promotion)' });
    }
  })
  .describe('How traffic moves: a preset, explicit weights with a bake time, or a list of steps.');

const AlarmName = z
  .string()
  .min(1, 'an alarm name cannot be empty')
  .max(255, 'CloudWatch alarm names are at most 255 characters');

const AnalysisSchema = z
  .strictObject({
    alarms: z
      .array(AlarmName)
      .max(100, 'at most 100 alarms')
      .refine((names) => new Set(names).size === names.length, 'an alarm is listed twice')
      .default([])
      .describe('CloudWatch alarm names. Any alarm in ALARM rolls back; one already in ALARM refuses the start. A request may use alarms, metrics, or both.'),
    insufficientData: z
      .enum(['inconclusive', 'pass', 'fail'])
      .default('inconclusive')
      .describe('How an alarm in INSUFFICIENT_DATA counts (low traffic often leaves alarms without data).'),
    metrics: MetricChecksSchema,
    prometheus: PrometheusEndpointSchema.optional(),
    intervalSeconds: z
      .int('intervalSeconds must be a whole number of seconds')
      .min(LIMITS.minIntervalSeconds, `intervalSeconds is at least ${LIMITS.minIntervalSeconds} (CloudWatch publishes Lambda metrics per minute)`)
      .max(LIMITS.maxBakeSeconds, 'intervalSeconds is at most 7 days')
      .default(DEFAULT_INTERVAL_SECONDS)
      .describe('Seconds between two looks of the judges during a bake. The planner widens it for long rollouts so that the worst case fits the execution history.'),
    maxNonCriticalFailures: z
      .int()
      .min(0)
      .max(MAX_METRIC_CHECKS)
      .default(0)
      .describe('How many failing non-critical metric checks an analysis tolerates; a failing critical check always fails it.'),
    minCanaryRequests: MinCanaryRequestsSchema,
    slo: SloSchema.optional(),
    inconclusive: z
      .strictObject({
        maxExtraSeconds: z
          .int('maxExtraSeconds must be a whole number of seconds')
          .min(0, 'maxExtraSeconds cannot be negative: give 0 (no extra bake) or more seconds')
          .max(LIMITS.maxExtraSecondsPerStep, `at most ${LIMITS.maxExtraSecondsPerStep} extra seconds per step (7 days)`)
          .default(DEFAULT_MAX_EXTRA_SECONDS)
          .describe(
            'How much longer, in seconds, a step may bake when its analysis is inconclusive at the end of its bake. Each extra bake lasts as long as the judges estimate they still need, within what is left of this.',
          ),
        maxExtraBakes: z
          .unknown()
          .optional()
          .superRefine((value, ctx) => {
            if (value !== undefined) ctx.addIssue({ code: 'custom', message: MAX_EXTRA_BAKES_REPLACED });
          })
          .describe('Replaced by maxExtraSeconds; refused with an error that says how to convert.'),
        then: z
          .enum(['rollback', 'proceed', 'hold'], { error: () => 'then is "rollback", "proceed" or "hold"' })
          .default('rollback')
          .describe('What happens when a step is still inconclusive after its extra bake time: roll back, proceed, or hold for a person (at most holdSeconds).'),
        holdSeconds: z
          .int('holdSeconds must be a whole number of seconds')
          .min(1, 'a hold waits at least 1 second')
          .max(LIMITS.maxApprovalSeconds, `a hold waits at most ${LIMITS.maxApprovalSeconds} seconds (7 days)`)
          .optional()
          .describe('With then "hold": how long the rollout waits for a person to approve or roll back before it rolls back. Required with "hold".'),
      })
      .superRefine((policy, ctx) => {
        if (policy.then === 'hold' && policy.holdSeconds === undefined) {
          ctx.addIssue({ code: 'custom', path: ['holdSeconds'], message: 'required with then "hold": how many seconds to wait for a person (at most 7 days)' });
        }
        if (policy.then !== 'hold' && policy.holdSeconds !== undefined) {
          ctx.addIssue({ code: 'custom', path: ['holdSeconds'], message: `holdSeconds goes with then "hold"; then is "${policy.then}"` });
        }
      })
      .prefault({})
      .describe('Policy for an analysis that cannot decide.'),
  })
  .describe('How the canary is judged after each bake.');

/** How long between two looks of a post-promotion bake when the request does not say. */
export const DEFAULT_POST_PROMOTION_INTERVAL_SECONDS = 300;

const PostPromotionSchema = z
  .strictObject({
    bakeSeconds: z
      .int({ error: (issue) => (issue.input === undefined ? 'required: how many seconds to watch the new version at 100 % after the promotion' : 'bakeSeconds must be a whole number of seconds') })
      .min(LIMITS.minPostPromotionIntervalSeconds, `a post-promotion bake lasts at least ${LIMITS.minPostPromotionIntervalSeconds} seconds (one look)`)
      .max(LIMITS.maxPostPromotionBakeSeconds, `a post-promotion bake lasts at most ${LIMITS.maxPostPromotionBakeSeconds} seconds (7 days)`)
      .describe('Seconds the execution keeps watching the new version at 100 % after the promotion, with the previous version one write away. Required.'),
    intervalSeconds: z
      .int('intervalSeconds must be a whole number of seconds')
      .min(LIMITS.minPostPromotionIntervalSeconds, `looks are at least ${LIMITS.minPostPromotionIntervalSeconds} seconds apart (CloudWatch keeps Lambda's metrics per minute)`)
      .max(LIMITS.maxPostPromotionBakeSeconds, `looks are at most ${LIMITS.maxPostPromotionBakeSeconds} seconds apart`)
      .optional()
      .describe(`Seconds between two looks during the bake. Default ${DEFAULT_POST_PROMOTION_INTERVAL_SECONDS}, or bakeSeconds when shorter.`),
    // No SLO gate after the promotion: its test spends alpha over the canary steps' planned requests.
    analysis: AnalysisSchema.omit({ inconclusive: true, slo: true })
      .optional()
      .describe("What each look judges: alarms and metric checks, as in analysis (metric checks compare the new version with the previous version's own window of the same length before the rollout). Default: the rollout's own analysis.alarms."),
  })
  .superRefine((bake, ctx) => {
    if (bake.intervalSeconds !== undefined && bake.intervalSeconds > bake.bakeSeconds) {
      ctx.addIssue({ code: 'custom', path: ['intervalSeconds'], message: `intervalSeconds (${bake.intervalSeconds}) is longer than the bake (${bake.bakeSeconds} s): the bake would have no look` });
    }
    const looks = Math.ceil(bake.bakeSeconds / postPromotionIntervalOf(bake));
    if (looks > LIMITS.maxPostPromotionLooks) {
      ctx.addIssue({
        code: 'custom',
        path: ['intervalSeconds'],
        message: `a bake of ${bake.bakeSeconds} s every ${postPromotionIntervalOf(bake)} s makes ${looks} looks, over ${LIMITS.maxPostPromotionLooks}: give a longer intervalSeconds (at least ${Math.ceil(bake.bakeSeconds / LIMITS.maxPostPromotionLooks)})`,
      });
    }
    if (bake.analysis?.metrics.some((check) => 'source' in check) === true) {
      ctx.addIssue({ code: 'custom', path: ['analysis', 'metrics'], message: 'Prometheus query pairs are not judged after the promotion yet: use CloudWatch metric checks or alarms in postPromotion.analysis' });
    }
  })
  .describe('After the promotion, keep the execution running for a bake at 100 %: looks at fixed intervals, and any failure (or an alarm) rolls back to the previous version.');

/** The gap between two looks of a post-promotion bake. */
export function postPromotionIntervalOf(bake: { readonly bakeSeconds: number; readonly intervalSeconds?: number | undefined }): number {
  return bake.intervalSeconds ?? Math.min(DEFAULT_POST_PROMOTION_INTERVAL_SECONDS, bake.bakeSeconds);
}

const HookSchema = z
  .strictObject({
    function: z
      .string({ error: (issue) => (issue.input === undefined ? 'required: the Lambda function to invoke (a name or an ARN)' : 'function is a Lambda function name or ARN') })
      .regex(
        /^(arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:)?[A-Za-z0-9_-]{1,64}(:[A-Za-z0-9_$-]{1,128})?$/,
        'function is a Lambda function name ("smoke-test"), name:qualifier, or ARN ("arn:aws:lambda:eu-west-1:123456789012:function:smoke-test")',
      )
      .describe('The Lambda function to invoke, by name or ARN. The stack may invoke only functions matching its hookFunctionPattern parameter.'),
    timeoutSeconds: z
      .int('timeoutSeconds must be a whole number of seconds')
      .min(1, 'a hook gets at least 1 second')
      .max(LIMITS.maxHookTimeoutSeconds, `a hook gets at most ${LIMITS.maxHookTimeoutSeconds} seconds per attempt`)
      .default(30)
      .describe('Seconds one invocation may take before the hook counts as failed. Default 30.'),
    retries: z
      .int('retries must be a whole number')
      .min(0, 'retries cannot be negative')
      .max(LIMITS.maxHookRetries, `at most ${LIMITS.maxHookRetries} retries`)
      .default(2)
      .describe("How often a transient Lambda error (throttling, a service fault) is retried before the hook counts as failed. Default 2. The hook's own answers are never retried."),
  })
  .refine((hook) => hook.timeoutSeconds * (1 + hook.retries) <= LIMITS.maxHookSeconds, {
    message: `timeoutSeconds × (1 + retries) may be at most ${LIMITS.maxHookSeconds} seconds (the hook runner's Task allows 300 s in all); lower one of them`,
  });

const HooksSchema = z
  .strictObject({
    preTraffic: HookSchema.optional().describe('Invoked before any traffic moves; a failure refuses the rollout and nothing moves.'),
    onStep: HookSchema.optional().describe("Invoked after each step's passing analysis; a failure rolls back."),
    postTraffic: HookSchema.optional().describe('Invoked after the promotion; a failure rolls back to the previous version (before the post-promotion bake, if any).'),
  })
  .describe('Lambda functions coalmine invokes at fixed points of the rollout (docs/post-promotion.md, "Hooks"). Each answers {"status": "passed"} or {"status": "failed", "reason": "..."}.');

const OverrideSchema = z
  .strictObject({
    alarmsAlreadyFiring: z
      .literal(true, { error: () => 'alarmsAlreadyFiring is true (leave it out to refuse a start while an alarm fires)' })
      .optional()
      .describe('Start even though a listed alarm is in ALARM. Such an alarm is not evidence against the canary until it has been OK once.'),
    allowLargeGreenPins: z
      .literal(true, { error: () => 'allowLargeGreenPins is true (leave it out to refuse green pins above the bound)' })
      .optional()
      .describe('cloudfront-kvs: accept pins to the canary\'s colour (target.greenCidrs or the store\'s green_cidrs; blue ones for a blue canary) that cover more of the address space than the bound (docs/edge.md).'),
    reason: z
      .string({ error: (issue) => (issue.input === undefined ? 'required: say why the rollout needs the override' : 'reason is text') })
      .trim()
      .min(1, 'say why the rollout needs the override, e.g. "hotfix for the checkout errors"')
      .max(500, 'a reason is at most 500 characters')
      .describe('Why: recorded in the Rollout Started event and in Slack.'),
  })
  .refine((override) => override.alarmsAlreadyFiring === true || override.allowLargeGreenPins === true, {
    message: 'an override says what it allows: "alarmsAlreadyFiring": true, "allowLargeGreenPins": true, or both',
  })
  .describe('The emergency lane, with a reason: start while a listed alarm already fires (e.g. the fix), or with green pins above the bound.');

export const RolloutRequestSchema = z
  .strictObject({
    name: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]{0,39}$/, 'a name is 1-40 lower-case letters, digits and dashes, e.g. "checkout"')
      .optional()
      .describe('A short name for the rollout, used by ChatOps commands ("/coalmine rollback checkout").'),
    target: TargetSchema,
    strategy: StrategySchema,
    analysis: AnalysisSchema,
    settleSeconds: z
      .int()
      .min(0)
      .max(LIMITS.maxSettleSeconds)
      .default(30)
      .describe('For targets whose propagation cannot be observed (CloudFront KVS): seconds to wait after a shift before baking starts.'),
    rollbackWindowSeconds: z
      .int('rollbackWindowSeconds must be a whole number of seconds')
      .min(0, 'rollbackWindowSeconds cannot be negative: give 0 (no restore after promotion) or more seconds')
      .max(LIMITS.maxRollbackWindowSeconds, `the rollback window lasts at most ${LIMITS.maxRollbackWindowSeconds} seconds (7 days)`)
      .default(LIMITS.defaultRollbackWindowSeconds)
      .describe('How long after the rollout ends promoted `coalmine rollback` (and Slack\'s) may restore the previous version in one write (docs/rollback-window.md). 0 turns it off.'),
    // Null rather than absent, so that the Rollout Started event can always carry it.
    override: OverrideSchema.nullable().default(null),
    postPromotion: PostPromotionSchema.optional(),
    hooks: HooksSchema.optional(),
  })
  .superRefine((request, ctx) => {
    for (const problem of metricCheckProblems(request.analysis.metrics, request.target.type)) {
      ctx.addIssue({ code: 'custom', path: ['analysis', 'metrics', problem.path], message: problem.message });
    }
    const sample = minimumSampleProblem(request);
    if (sample !== undefined) ctx.addIssue({ code: 'custom', path: ['analysis', 'minCanaryRequests'], message: sample });
    const slo = request.analysis.slo === undefined ? undefined : sloProblem(request.analysis.slo, request.analysis.metrics);
    if (slo !== undefined) ctx.addIssue({ code: 'custom', path: ['analysis', 'slo'], message: slo });
    for (const problem of metricCheckProblems(request.postPromotion?.analysis?.metrics ?? [], request.target.type)) {
      ctx.addIssue({ code: 'custom', path: ['postPromotion', 'analysis', 'metrics', problem.path], message: problem.message });
    }
    if (request.analysis.prometheus === undefined && request.analysis.metrics.some((check) => 'source' in check)) {
      ctx.addIssue({ code: 'custom', path: ['analysis', 'prometheus'], message: 'Prometheus query pairs need analysis.prometheus: {"url": "http://prometheus:9090"} (and "auth" if it needs one)' });
    }
    if (request.target.type !== 'cloudfront-kvs') {
      if (request.override?.allowLargeGreenPins === true) {
        ctx.addIssue({ code: 'custom', path: ['override', 'allowLargeGreenPins'], message: 'only a cloudfront-kvs target has green pins' });
      }
      return;
    }
    // Pins to the canary's colour send their viewers to the new version whatever the step's weight.
    const canary = request.target.stableAfterPromotion;
    const field = canary === 'green' ? 'greenCidrs' : 'blueCidrs';
    const pins = request.target[field];
    const largePins = pins === undefined ? undefined : canaryPinsTooLarge(addressShareOf(pins), `the ${canary} pins (the canary's colour)`);
    if (largePins !== undefined && request.override?.allowLargeGreenPins !== true) {
      ctx.addIssue({ code: 'custom', path: ['target', field], message: largePins });
    }
    // The KVS key green_percentage is a whole number (the edge function reads nothing else).
    const { weights, steps } = request.strategy;
    const listed = weights?.map((weight, i) => ({ weight, path: ['weights', i] })) ?? steps?.map((step, i) => ({ weight: step.weight, path: ['steps', i, 'weight'] })) ?? [];
    listed.forEach(({ weight, path }) => {
      if (Number.isInteger(weight)) return;
      ctx.addIssue({
        code: 'custom',
        path: ['strategy', ...path],
        message: `a cloudfront-kvs target takes whole percentages (green_percentage is an integer): ${weight} is not one`,
      });
    });
  })
  .describe('A coalmine rollout request.');

export type RolloutRequestInput = z.input<typeof RolloutRequestSchema>;
export type RolloutRequest = z.output<typeof RolloutRequestSchema>;
export type AnalysisConfig = RolloutRequest['analysis'];

/** Renders zod issues as one line per problem: `path: what is wrong`. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const path = issue.path.length > 0 ? issue.path.join('.') : '(request)';
      if (issue.code === 'unrecognized_keys') {
        return `${path}: unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')} (check the spelling; see schema/rollout-request.schema.json)`;
      }
      if (issue.code === 'invalid_type' && / received undefined$/.test(issue.message)) {
        return `${path}: required (${issue.expected})`;
      }
      if (issue.code === 'invalid_union' && issue.message === 'Invalid input') return `${path}: required or of the wrong type`;
      return `${path}: ${issue.message}`;
    })
    .join('; ');
}

/** Validates a rollout request; throws RolloutRequestInvalid naming every problem. */
export function parseRolloutRequest(input: unknown): RolloutRequest {
  const result = RolloutRequestSchema.safeParse(input);
  if (!result.success) {
    throw new RolloutRequestInvalid(`The rollout request is invalid: ${describeIssues(result.error)}`);
  }
  return result.data;
}

export type Approval = z.output<typeof ApprovalSchema>;
export type PostPromotion = z.output<typeof PostPromotionSchema>;
export type Hook = z.output<typeof HookSchema>;
export type HookName = keyof z.output<typeof HooksSchema>;

/** One step of a strategy in the list form every strategy stands for; a step below 100 % bakes, the last one (100 %) promotes. */
export interface StrategyStep {
  readonly weight: number;
  readonly bakeSeconds: number;
  readonly approval?: Approval;
}

/** The steps a strategy stands for: a preset's, explicit weights with one bake, or the list as given. */
export function stepsOf(strategy: RolloutRequest['strategy']): StrategyStep[] {
  if (strategy.steps !== undefined) {
    return strategy.steps.map(({ weight, bakeSeconds, approval }) => ({ weight, bakeSeconds: bakeSeconds ?? 0, ...(approval === undefined ? {} : { approval }) }));
  }
  const { weights, bakeSeconds } = strategy.preset !== undefined ? PRESETS[strategy.preset] : { weights: strategy.weights ?? [], bakeSeconds: strategy.bakeSeconds ?? 0 };
  return weights.map((weight) => ({ weight, bakeSeconds }));
}
