/**
 * The rollout request: what a user pastes into the Step Functions console, sends from the CLI, or an
 * artifact rule fills in. Strict: an unknown field is an error, never ignored, because a typo such as
 * `bakeSecond` silently falling back to a default would change how long a canary is watched.
 */
import { z } from 'zod';
import { RolloutRequestInvalid } from '../errors';
import { LIMITS } from './limits';
import { MAX_METRIC_CHECKS, metricCheckProblems, MetricChecksSchema } from './metrics';
import { PrometheusEndpointSchema } from './prometheus';
import { PRESET_NAMES, PRESETS, type Shape } from './presets';
import { TargetSchema } from './targets';

const Percent = z
  .number()
  .gt(0, 'a weight must be above 0 (the canary starts at 0 % before the first step)')
  .lte(100, 'a weight is a percentage of traffic: at most 100')
  // Compare with a tolerance: in binary floating point 0.29 * 100 is 28.999999999999996, not 29.
  .refine((w) => Math.abs(w * 100 - Math.round(w * 100)) < 1e-6, 'a weight may have at most two decimals, e.g. 0.5 or 12.25');

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
    bakeSeconds: z
      .int('bakeSeconds must be a whole number of seconds')
      .min(0)
      .max(LIMITS.maxBakeSeconds, `a bake lasts at most ${LIMITS.maxBakeSeconds} seconds (7 days)`)
      .optional()
      .describe('Seconds to wait after each step below 100 % before analysing the canary.'),
  })
  .superRefine((strategy, ctx) => {
    const hasPreset = strategy.preset !== undefined;
    const hasWeights = strategy.weights !== undefined;
    if (hasPreset && (hasWeights || strategy.bakeSeconds !== undefined)) {
      ctx.addIssue({ code: 'custom', message: 'give either "preset" or "weights" with "bakeSeconds", not both' });
      return;
    }
    if (!hasPreset && !hasWeights) {
      ctx.addIssue({ code: 'custom', message: 'give "preset" (e.g. "canary10-5m") or "weights" with "bakeSeconds"' });
      return;
    }
    if (hasWeights && strategy.bakeSeconds === undefined) {
      ctx.addIssue({ code: 'custom', path: ['bakeSeconds'], message: 'explicit weights need "bakeSeconds" too' });
    }
    const weights = strategy.weights ?? [];
    weights.forEach((weight, i) => {
      const previous = weights[i - 1];
      if (previous !== undefined && weight <= previous) {
        ctx.addIssue({
          code: 'custom',
          path: ['weights', i],
          message: `weights must be strictly increasing: ${weight} follows ${previous}`,
        });
      }
    });
    if (hasWeights && weights.length > 0 && weights[weights.length - 1] !== 100) {
      ctx.addIssue({ code: 'custom', path: ['weights'], message: 'the last weight must be 100 (the canary takes all traffic before promotion)' });
    }
  })
  .describe('How traffic moves: a preset, or explicit weights with a bake time.');

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
    maxNonCriticalFailures: z
      .int()
      .min(0)
      .max(MAX_METRIC_CHECKS)
      .default(0)
      .describe('How many failing non-critical metric checks an analysis tolerates; a failing critical check always fails it.'),
    inconclusive: z
      .strictObject({
        maxExtraBakes: z
          .int()
          .min(0)
          .max(LIMITS.maxExtraBakesPerStep, `at most ${LIMITS.maxExtraBakesPerStep} extra bakes per step`)
          .default(2)
          .describe('How many more bakes a step gets when its analysis is inconclusive.'),
        then: z
          .enum(['rollback', 'proceed'])
          .default('rollback')
          .describe('What happens when a step is still inconclusive after its extra bakes.'),
      })
      .prefault({})
      .describe('Policy for an analysis that cannot decide.'),
  })
  .describe('How the canary is judged after each bake.');

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
  })
  .superRefine((request, ctx) => {
    for (const problem of metricCheckProblems(request.analysis.metrics, request.target.type)) {
      ctx.addIssue({ code: 'custom', path: ['analysis', 'metrics', problem.path], message: problem.message });
    }
    if (request.analysis.prometheus === undefined && request.analysis.metrics.some((check) => 'source' in check)) {
      ctx.addIssue({ code: 'custom', path: ['analysis', 'prometheus'], message: 'Prometheus query pairs need analysis.prometheus: {"url": "http://prometheus:9090"} (and "auth" if it needs one)' });
    }
    // The KVS key green_percentage is a whole number (the edge function reads nothing else).
    if (request.target.type !== 'cloudfront-kvs') return;
    (request.strategy.weights ?? []).forEach((weight, i) => {
      if (Number.isInteger(weight)) return;
      ctx.addIssue({
        code: 'custom',
        path: ['strategy', 'weights', i],
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

/** The traffic shape a strategy stands for. */
export function shapeOf(strategy: RolloutRequest['strategy']): Shape {
  if (strategy.preset !== undefined) return PRESETS[strategy.preset];
  return { weights: strategy.weights ?? [], bakeSeconds: strategy.bakeSeconds ?? 0 };
}
