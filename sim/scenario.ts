/**
 * The scenario file: a rollout request (as the console takes it), the world it runs against (traffic,
 * alarms), AWS faults and timed events. Validated strictly; every problem is reported as
 * `path: what is wrong`, and the rollout's problems come from the engine's own schema and planner, worded
 * as the console would word them.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import * as z from 'zod';
import { RolloutRequestInvalid, messageOf } from '../shared/errors';
import { describeIssues, RolloutRequestSchema, type RolloutRequest } from '../shared/config/request';
import type { LambdaAliasTarget, Target } from '../shared/config/targets';
import { parseCidr } from '../shared/net/cidr';
import { countryCodeProblem } from '../shared/net/countries';
import { planRollout, type Plan } from '../shared/plan';
import { routerKindFor } from '../shared/routers/registry';
import { checkEvent, checkFaultOperation, FaultSchema, ScenarioEventSchema, SlackName, type ScenarioEvent } from './events';
import type { AlarmEventSettings } from './alarm-events';
import type { SlackSettings } from './slack';
import { AwsWorld } from './world';
import { readDefinition } from './definition';
import { isStatistic, type Statistic } from './world/metrics';

export const SCENARIO_DIRECTORY = join(__dirname, 'scenarios');

/**
 * The state machine's Task states that invoke a Lambda function: what a task-fault event may strike. Read
 * when a scenario is first checked, not when the module loads (`coalmine help` loads it too).
 */
let lambdaTaskStates: string[] | undefined;
const LAMBDA_TASK_STATES = (): string[] =>
  (lambdaTaskStates ??= Object.entries(readDefinition().States)
    .filter(([, state]) => state.Type === 'Task' && typeof state.Resource !== 'string')
    .map(([name]) => name));

/** Per-request simulation: more than this many requests per second would make long rollouts slow to simulate. */
const MAX_REQUESTS_PER_SECOND = 5000;

const Latency = z
  .strictObject({
    p50: z.number({ error: 'required: median latency in milliseconds' }).gt(0, 'must be > 0'),
    p99: z.number({ error: 'required: 99th-percentile latency in milliseconds' }).gt(0, 'must be > 0'),
  })
  .superRefine((latency, ctx) => {
    if (latency.p99 < latency.p50) {
      ctx.addIssue({ code: 'custom', path: ['p99'], message: `must be at least p50 (${latency.p50})` });
    }
  });

const ErrorPercent = z
  .number({ error: 'must be a percentage of requests, e.g. 0.5' })
  .min(0, 'must be >= 0')
  .max(100, 'is a percentage: at most 100');

const BehaviourSchema = z.strictObject({
  errorPercent: ErrorPercent.describe('Share of requests that fail, in percent.'),
  latencyMs: Latency.describe('Latency percentiles in milliseconds (log-normal between them).'),
});

const ChangeSchema = z
  .strictObject({
    fromWeight: z.number().gt(0, 'must be > 0').max(100, 'is a percentage: at most 100').optional(),
    fromSecond: z.number().min(0, 'must be >= 0').optional(),
    errorPercent: ErrorPercent.optional(),
    latencyMs: Latency.optional(),
  })
  .superRefine((change, ctx) => {
    if (change.fromWeight === undefined && change.fromSecond === undefined) {
      ctx.addIssue({ code: 'custom', message: 'give "fromWeight" (canary share in percent) or "fromSecond" (seconds after the start)' });
    }
    if (change.errorPercent === undefined && change.latencyMs === undefined) {
      ctx.addIssue({ code: 'custom', message: 'give "errorPercent" or "latencyMs": what changes' });
    }
  });

const TrafficSchema = z.strictObject({
  requestsPerSecond: z
    .number({ error: 'required: average requests per second through the alias (or the edge)' })
    .gt(0, 'must be > 0')
    .max(MAX_REQUESTS_PER_SECOND, `at most ${MAX_REQUESTS_PER_SECOND.toLocaleString('en-US')} (the simulator draws every request)`),
  baseline: BehaviourSchema.describe('How the current version behaves.'),
  canary: z
    .strictObject({
      errorPercent: ErrorPercent.optional(),
      latencyMs: Latency.optional(),
      changes: z.array(ChangeSchema).max(20, 'at most 20 changes').default([]),
    })
    .prefault({})
    .describe('How the new version behaves; what is not given is as the baseline.'),
});

export const ALARM_METRICS = ['ErrorRate', 'Errors', 'Invocations', 'Duration'] as const;

const AlarmSchema = z
  .strictObject({
    name: z.string({ error: 'required: the alarm name the rollout lists in analysis.alarms' }).min(1).max(255),
    metric: z.enum(ALARM_METRICS, {
      error: `must be one of ${ALARM_METRICS.map((m) => `"${m}"`).join(', ')} (ErrorRate is 100 * Errors / Invocations)`,
    }),
    statistic: z
      .string()
      .refine(isStatistic, 'a CloudWatch statistic: "Average", "Maximum", "Minimum" or a percentile such as "p99"')
      .optional()
      .describe('For Duration only; default p99.'),
    watches: z.enum(['canary', 'baseline', 'all'], {
      error: 'must be "canary", "baseline" or "all": whose traffic (ExecutedVersion) the alarm watches',
    }),
    threshold: z.number({ error: 'required: a number in the metric unit (percent for ErrorRate, ms for Duration)' }),
    comparison: z
      .enum(['GreaterThanThreshold', 'GreaterThanOrEqualToThreshold', 'LessThanThreshold', 'LessThanOrEqualToThreshold'])
      .default('GreaterThanThreshold'),
    periodSeconds: z
      .int('must be a whole number of seconds')
      .min(60, 'must be at least 60 (Lambda publishes one-minute metrics)')
      .max(86_400, 'at most 86,400 (one day)')
      .refine((p) => p % 60 === 0, 'must be a multiple of 60')
      .default(60),
    evaluationPeriods: z.int('must be a whole number').min(1, 'must be at least 1').max(100, 'at most 100').default(1),
    datapointsToAlarm: z.int('must be a whole number').min(1, 'must be at least 1').optional(),
    treatMissingData: z.enum(['missing', 'notBreaching', 'breaching', 'ignore']).default('missing'),
    initialState: z.enum(['OK', 'ALARM', 'INSUFFICIENT_DATA']).default('OK'),
  })
  .superRefine((alarm, ctx) => {
    if (alarm.statistic !== undefined && alarm.metric !== 'Duration') {
      ctx.addIssue({ code: 'custom', path: ['statistic'], message: `only Duration takes a statistic; ${alarm.metric} is a Sum` });
    }
    if (alarm.datapointsToAlarm !== undefined && alarm.datapointsToAlarm > alarm.evaluationPeriods) {
      ctx.addIssue({ code: 'custom', path: ['datapointsToAlarm'], message: `must be at most evaluationPeriods (${alarm.evaluationPeriods})` });
    }
  });

const CountryCode = z.string({ error: 'an ISO 3166-1 alpha-2 country code, e.g. "NZ"' }).superRefine((code, ctx) => {
  const problem = countryCodeProblem(code);
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
});

const NetworkSchema = z.strictObject({
  name: z.string({ error: 'required: a name for the network, e.g. "office"' }).min(1, 'cannot be empty').max(64, 'at most 64 characters'),
  cidr: z.string({ error: 'required: the network, e.g. "203.0.113.0/28"' }).superRefine((cidr, ctx) => {
    const parsed = parseCidr(cidr);
    if (!parsed.ok) ctx.addIssue({ code: 'custom', message: `"${cidr}" is not a valid CIDR: ${parsed.reason}` });
  }),
  viewers: z.int('must be a whole number').min(1, 'must be at least 1').max(10_000, 'at most 10,000'),
  country: CountryCode.optional().describe("The cloudfront-viewer-country of the network's viewers; none when absent."),
});

const EdgeSchema = z.strictObject({
  propagationSeconds: z
    .number({ error: 'must be a number of seconds' })
    .min(0, 'must be >= 0')
    .max(3600, 'at most 3,600')
    .default(5)
    .describe('Seconds from a write to the store until the edge locations serve it.'),
  viewers: z
    .int('must be a whole number')
    .min(1, 'must be at least 1')
    .max(50_000, 'at most 50,000 (the edge function runs once per viewer per store change)')
    .default(2000)
    .describe('Viewers anywhere on the internet; every request comes from one of them, chosen at random.'),
  cookiePercent: ErrorPercent.default(50).describe('Share of viewers whose requests carry the coalmine-viewer cookie, in percent.'),
  ipv6Percent: ErrorPercent.default(20).describe('Share of the viewers anywhere that come over IPv6, in percent.'),
  networks: z
    .array(NetworkSchema)
    .max(20, 'at most 20 networks')
    .default([])
    .describe('Viewers inside named networks (an office, a partner), in addition to the viewers anywhere.'),
  countries: z
    .record(CountryCode, ErrorPercent)
    .refine((shares) => Object.values(shares).reduce((sum, p) => sum + p, 0) <= 100, 'the shares add up to more than 100 %')
    .default({})
    .describe(
      'Share of the viewers anywhere in each country (cloudfront-viewer-country), in percent, e.g. {"NZ": 5, "DE": 20}; the rest carry no country header.',
    ),
  store: z
    .record(z.string(), z.string({ error: 'a KeyValueStore value is text' }))
    .optional()
    .describe('The store before the rollout; default green_percentage "0" ("100" for a blue canary), blue_cidrs and green_cidrs "[]".'),
});

const AlarmEventsSchema = z.strictObject({
  enabled: z
    .boolean({ error: 'must be true or false' })
    .default(true)
    .describe('Deliver every move to ALARM to the alarm rollback through EventBridge, as deployed; false: only the analysis reads alarms.'),
  delaySeconds: z
    .number({ error: 'must be a number of seconds' })
    .min(0, 'must be >= 0')
    .max(3600, 'at most 3,600')
    .default(1)
    .describe("From the alarm's state change to the handler's invocation: EventBridge's delivery and Lambda's start."),
  deliveries: z
    .int('must be a whole number')
    .min(1, 'must be at least 1: EventBridge delivers at least once')
    .max(5, 'at most 5')
    .default(1)
    .describe('How many times EventBridge delivers each event; 2 or more shows a duplicate.'),
  redeliverySeconds: z
    .number({ error: 'must be a number of seconds' })
    .min(0, 'must be >= 0')
    .max(3600, 'at most 3,600')
    .default(0)
    .describe('Between one delivery of an event and the next; 0: the copies arrive together.'),
});

const ReconcilerSchema = z.strictObject({
  enabled: z
    .boolean({ error: 'must be true or false' })
    .default(true)
    .describe('Deploy the reconciler, as serverless.yml does; false: nothing returns a target an execution left split.'),
  delaySeconds: z
    .number({ error: 'must be a number of seconds' })
    .min(0, 'must be >= 0')
    .max(3600, 'at most 3,600')
    .default(1)
    .describe("From the execution's end to the reconciler's invocation with its status change: EventBridge's delivery and Lambda's start."),
  deliveries: z
    .int('must be a whole number')
    .min(0, 'must be at least 0 (0: the event is lost, as best-effort delivery allows)')
    .max(5, 'at most 5')
    .default(1)
    .describe('How many times EventBridge delivers the status change: 0 loses it (the sweep finds the execution), 2 or more shows a duplicate.'),
  redeliverySeconds: z
    .number({ error: 'must be a number of seconds' })
    .min(0, 'must be >= 0')
    .max(3600, 'at most 3,600')
    .default(0)
    .describe('Between one delivery of the status change and the next; 0: the copies arrive together.'),
  sweepMinutes: z
    .int('must be a whole number of minutes')
    .min(5, 'must be at least 5 (the longest Task timeout: docs/reconciler.md)')
    .max(1440, 'at most 1,440 (one day)')
    .default(5)
    .describe("The sweep's schedule (reconcileSweepMinutes)."),
});

const SlackSchema = z.strictObject({
  channel: SlackName.default('deploys').describe('Where commands are typed unless an event names another channel.'),
  allowedUsers: z
    .array(SlackName)
    .max(100, 'at most 100')
    .optional()
    .describe('Who may roll back and promote (SLACK_ALLOWED_USERS); default: everyone the slack-command events name.'),
  allowedChannels: z
    .array(SlackName)
    .max(100, 'at most 100')
    .optional()
    .describe('Where they may (SLACK_ALLOWED_CHANNELS); default: the channel.'),
});

const HookFunctionSchema = z
  .strictObject({
    function: z.string({ error: 'required: the function name the rollout\'s hooks name' }).regex(/^[A-Za-z0-9_-]{1,64}$/, 'a Lambda function name'),
    status: z.enum(['passed', 'failed'], { error: () => 'status is "passed" or "failed"' }).default('passed'),
    reason: z.string().max(500, 'at most 500 characters').optional(),
    error: z.string().min(1).max(500).optional().describe('Raise this error instead of answering: Lambda reports FunctionError "Unhandled".'),
  })
  .describe('A hook function deployed in the world: every invocation answers {status, reason}, or raises `error`.');

const WorldSchema = z.strictObject({
  lambda: z
    .strictObject({
      currentVersion: z
        .union([z.string(), z.number()])
        .transform(String)
        .pipe(z.string().regex(/^[1-9][0-9]*$/, 'a published version number such as "41"'))
        .optional()
        .describe('The version the alias points at before the rollout; default: the target version minus one.'),
    })
    .prefault({}),
  edge: EdgeSchema.prefault({}).describe('CloudFront in front of a cloudfront-kvs target: viewers and propagation.'),
  warmupSeconds: z
    .int('must be a whole number of seconds')
    .min(0, 'must be >= 0')
    .max(86_400, 'at most 86,400 (one day)')
    .refine((s) => s % 60 === 0, 'must be a multiple of 60')
    .default(600)
    .describe('Traffic served before the rollout starts, so alarms have data.'),
  traffic: TrafficSchema,
  alarms: z
    .array(AlarmSchema)
    .max(100, 'at most 100 alarms')
    .default([])
    .superRefine((alarms, ctx) => {
      const seen = new Set<string>();
      alarms.forEach((alarm, i) => {
        if (seen.has(alarm.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `alarm "${alarm.name}" is defined twice` });
        seen.add(alarm.name);
      });
    }),
  alarmEvents: AlarmEventsSchema.prefault({}).describe('The alarm push path: EventBridge delivering alarm state changes to the alarm rollback.'),
  reconciler: ReconcilerSchema.prefault({}).describe("The reconciler: the execution's status change delivered to it through EventBridge, and its sweep."),
  slack: SlackSchema.prefault({}).describe('The Slack workspace the slack-command events come from, and its allowlists.'),
  hooks: z.array(HookFunctionSchema).max(20, 'at most 20 hook functions').default([]).describe("Functions the rollout's hooks (preTraffic, onStep, postTraffic) invoke."),
});

const ScenarioFileSchema = z.strictObject({
  $schema: z.string().optional(),
  description: z.string().optional(),
  seed: z.int('must be a whole number').min(0, 'must be >= 0').max(2 ** 32 - 1).optional(),
  rollout: z.unknown(),
  world: WorldSchema,
  faults: z.array(FaultSchema).max(100).default([]),
  events: z.array(ScenarioEventSchema).max(1000).default([]),
});

type ScenarioFile = z.output<typeof ScenarioFileSchema>;
export type AlarmSpec = ScenarioFile['world']['alarms'][number];
export type TrafficSpec = ScenarioFile['world']['traffic'];
export type FaultSpec = ScenarioFile['faults'][number];
export type EdgeWorldSpec = ScenarioFile['world']['edge'];

export interface Scenario {
  readonly name: string;
  readonly description: string;
  readonly seed: number | undefined;
  /** The request exactly as written: what the execution receives as input. */
  readonly rollout: unknown;
  /** The same request after the engine's validation and defaults. */
  readonly request: RolloutRequest;
  /** Its target: a Lambda alias, or a CloudFront KeyValueStore read at the edge. */
  readonly target: Target;
  readonly plan: Plan;
  /** What serves the traffic the rollout does not move: a Lambda version, or a colour ("blue"). */
  readonly baselineVersion: string;
  /** What the rollout moves traffic to: the target's version, or the colour deployed as the canary ("green"). */
  readonly canaryVersion: string;
  readonly world: ScenarioFile['world'];
  readonly faults: readonly FaultSpec[];
  readonly events: readonly ScenarioEvent[];
  /** The alarm push path; `enabled: false` leaves the alarms to the analysis. */
  readonly alarmEvents: AlarmEventSettings & { readonly enabled: boolean };
  /** The workspace, with its allowlists resolved (by default, everyone the slack-command events name). */
  readonly slack: SlackSettings;
}

/** A scenario file or name that cannot be used; `problems` lists each one as `path: what is wrong`. */
export class ScenarioInvalid extends Error {
  constructor(
    readonly source: string,
    readonly problems: readonly string[],
  ) {
    super(`The scenario ${source} is invalid:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}
Object.defineProperty(ScenarioInvalid.prototype, 'name', { value: 'ScenarioInvalid' });

function pathText(path: ReadonlyArray<PropertyKey>): string {
  return path.length === 0 ? '(scenario)' : path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p))).join('.').replace(/\.\[/g, '[');
}

function describeScenarioIssue(issue: z.core.$ZodIssue): string {
  const path = pathText(issue.path);
  if (issue.code === 'unrecognized_keys') {
    return `${path}: unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')} (check the spelling; see docs/simulator.md)`;
  }
  if (issue.code === 'invalid_type' && / received undefined$/.test(issue.message)) return `${path}: required (${issue.expected})`;
  return `${path}: ${issue.message}`;
}

/** The rollout's problems in the console's words, with `rollout.` in front of each path. */
function rolloutProblems(raw: unknown): { request?: RolloutRequest; plan?: Plan; problems: string[] } {
  const parsed = RolloutRequestSchema.safeParse(raw);
  if (!parsed.success) {
    // One issue at a time: the engine joins several with "; ", which its messages may contain too.
    const problems = parsed.error.issues.map((issue) => describeIssues(new z.ZodError([{ ...issue, path: ['rollout', ...issue.path] }])));
    return { problems };
  }
  try {
    const plan = planRollout(parsed.data, { observable: routerKindFor(parsed.data.target).observable });
    return { request: parsed.data, plan, problems: [] };
  } catch (error) {
    if (error instanceof RolloutRequestInvalid) return { problems: [`rollout: ${error.message}`] };
    throw error;
  }
}

/** The alias's current version (given, or the one before the target's) and the target's version. */
function lambdaVersions(target: LambdaAliasTarget, world: ScenarioFile['world']): { baseline: string | undefined; canary: string } {
  const previous = Number(target.version) - 1;
  return { baseline: world.lambda.currentVersion ?? (previous >= 1 ? String(previous) : undefined), canary: target.version };
}

/** The colour deployed as the canary is the one stable after promotion; the other serves until then. */
function edgeColours(target: Extract<Target, { type: 'cloudfront-kvs' }>): { baseline: string; canary: string } {
  const canary = target.stableAfterPromotion;
  return { baseline: canary === 'green' ? 'blue' : 'green', canary };
}

/** Validates a parsed scenario document; throws ScenarioInvalid naming every problem. */
export function parseScenario(input: unknown, name: string, source = name): Scenario {
  const file = ScenarioFileSchema.safeParse(input);
  const rollout =
    typeof input === 'object' && input !== null && 'rollout' in input
      ? rolloutProblems((input as { rollout: unknown }).rollout)
      : { problems: ['rollout: required (a rollout request, as the console takes it)'] };
  const problems = [...(file.success ? [] : file.error.issues.map(describeScenarioIssue)), ...rollout.problems];
  if (!file.success || rollout.request === undefined || rollout.plan === undefined) throw new ScenarioInvalid(source, problems);

  const scenario = file.data;
  const target = rollout.request.target;
  const given = (input as { world: Record<string, unknown> }).world;
  const versions = target.type === 'lambda-alias' ? lambdaVersions(target, scenario.world) : edgeColours(target);
  if (target.type === 'lambda-alias' && given.edge !== undefined) {
    problems.push('world.edge: only for a cloudfront-kvs target; a lambda-alias target is invoked without CloudFront in front');
  }
  if (target.type === 'lambda-alias' && rollout.request.analysis.prometheus !== undefined) {
    problems.push('rollout.analysis.prometheus: the simulator serves Istio series from the mesh of a cloudfront-kvs target only; judge a lambda-alias target by alarms or CloudWatch metrics');
  }
  if (target.type === 'cloudfront-kvs' && given.lambda !== undefined) {
    problems.push('world.lambda: only for a lambda-alias target; a cloudfront-kvs target serves colours (blue, green), not versions');
  }
  if (versions.baseline === undefined && target.type === 'lambda-alias') {
    problems.push(`world.lambda.currentVersion: required when rollout.target.version is ${target.version}`);
  }
  const baselineVersion = versions.baseline;
  const facts = {
    alarmNames: new Set(scenario.world.alarms.map((a) => a.name)),
    operations: Object.values(new AwsWorld().operations()).flat(),
    taskStates: LAMBDA_TASK_STATES(),
  };
  scenario.faults.forEach((fault, i) => {
    for (const issue of checkFaultOperation(fault.operation, facts)) problems.push(`${pathText(['faults', i, ...issue.path])}: ${issue.message}`);
  });
  scenario.events.forEach((event, i) => {
    for (const issue of checkEvent(event, facts)) problems.push(`${pathText(['events', i, ...issue.path])}: ${issue.message}`);
  });
  if (problems.length > 0 || baselineVersion === undefined) throw new ScenarioInvalid(source, problems);

  return {
    name,
    description: scenario.description ?? '',
    seed: scenario.seed,
    rollout: (input as { rollout: unknown }).rollout,
    request: rollout.request,
    target,
    plan: rollout.plan,
    baselineVersion,
    canaryVersion: versions.canary,
    world: scenario.world,
    faults: scenario.faults,
    events: [...scenario.events].sort((a, b) => a.at - b.at),
    alarmEvents: scenario.world.alarmEvents,
    slack: slackSettings(scenario),
  };
}

function slackSettings(scenario: ScenarioFile): SlackSettings {
  const { channel, allowedUsers, allowedChannels } = scenario.world.slack;
  const users = scenario.events.flatMap((e) => (e.kind === 'slack-command' ? [e.user] : []));
  return { channel, allowedUsers: allowedUsers ?? [...new Set(users)], allowedChannels: allowedChannels ?? [channel] };
}

/** Reads and validates a scenario file; a JSON syntax error is reported with the file's name. */
export function loadScenarioFile(path: string): Scenario {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : messageOf(error);
    throw new ScenarioInvalid(path, [`cannot read the file: ${reason}`]);
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new ScenarioInvalid(path, [`not valid JSON: ${messageOf(error)}`]);
  }
  return parseScenario(document, basename(path).replace(/\.json$/, ''), path);
}

/** Names of the scenarios that ship in sim/scenarios. */
export function builtInScenarioNames(): string[] {
  return readdirSync(SCENARIO_DIRECTORY)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.replace(/\.json$/, ''))
    .sort();
}

export function builtInScenario(name: string): Scenario {
  const names = builtInScenarioNames();
  if (!names.includes(name)) {
    throw new ScenarioInvalid(`"${name}"`, [`no built-in scenario named "${name}"; choose one of ${names.join(', ')}, or pass --scenario-file`]);
  }
  return loadScenarioFile(join(SCENARIO_DIRECTORY, `${name}.json`));
}

/** How people are told what serves traffic: "version 42" behind an alias, the colour ("green") behind the edge. */
export function deploymentName(scenario: Scenario, version: string): string {
  return scenario.target.type === 'lambda-alias' ? `version ${version}` : version;
}

/** Duration alarms read p99 unless told otherwise; the rest are sums. */
export function statisticOf(alarm: AlarmSpec): Statistic {
  if (alarm.metric === 'Duration') return (alarm.statistic ?? 'p99') as Statistic;
  return 'Sum';
}
