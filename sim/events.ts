/**
 * What can happen to the world at a simulated time: a registry of event kinds, each with its strict schema,
 * a description for the progress output and how it acts on the world. A new kind is one more entry; the
 * scenario schema is built from this map. An action may be asynchronous (a Slack command runs the real
 * handler, which calls AWS): the simulation waits for it, and simulated time moves only while it sleeps.
 */
import * as z from 'zod';
import { formatDuration } from '../shared/duration';
import { commandLine, SIMULATED_COMMANDS, type SimulatedTerminal } from './cli';
import type { SlackWorkspace } from './slack';
import type { TaskFaults } from './task-faults';
import type { SyntheticTraffic } from './traffic';
import type { AwsWorld } from './world';

export interface EventContext {
  readonly world: AwsWorld;
  readonly traffic: SyntheticTraffic<unknown>;
  readonly nowMs: number;
  /** Slack as the deployed stack hears it: commands go to the real handler. */
  readonly slack: SlackWorkspace;
  /** A terminal: `coalmine` commands run against the simulated AWS. */
  readonly terminal: SimulatedTerminal;
  /** Faults of the Lambda tasks themselves (a crash, a hang). */
  readonly tasks: TaskFaults;
}

/** What an event may refer to, for checks across the scenario. */
export interface ScenarioFacts {
  readonly alarmNames: ReadonlySet<string>;
  /** API operations the simulated AWS implements. */
  readonly operations: readonly string[];
  /** The state machine's Lambda Task states. */
  readonly taskStates: readonly string[];
}

export interface EventIssue {
  /** Path inside the event, e.g. ["alarm"]. */
  readonly path: ReadonlyArray<string | number>;
  readonly message: string;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type EventSchema = z.ZodObject<{ kind: z.ZodLiteral<string>; at: z.ZodNumber } & Record<string, z.ZodType<any>>>;

export interface EventKind<S extends EventSchema = EventSchema> {
  readonly schema: S;
  /** Problems with references to the rest of the scenario (an alarm that is not in the world). */
  check?(event: z.output<S>, facts: ScenarioFacts): EventIssue[];
  /** One line for the progress output, e.g. "alarm checkout-errors forced to ALARM". */
  describe(event: z.output<S>): string;
  apply(event: z.output<S>, context: EventContext): void | Promise<void>;
}

const defineEventKind = <S extends EventSchema>(kind: EventKind<S>): EventKind<S> => kind;

const At = z
  .number({ error: 'must be a number of seconds after the rollout starts' })
  .min(0, 'must be >= 0 (seconds after the rollout starts)')
  .describe('Seconds after the rollout starts.');

export const FaultSchema = z.strictObject({
  operation: z.string({ error: 'required: the AWS API operation, e.g. "UpdateAlias"' }).min(1, 'cannot be empty'),
  error: z
    .string({ error: 'required: the AWS error name, e.g. "TooManyRequestsException"' })
    .regex(/^[A-Za-z][A-Za-z0-9.]*$/, 'an AWS error name such as "TooManyRequestsException" or "ServiceException"'),
  times: z.int('must be a whole number').min(1, 'must be at least 1').max(1000, 'at most 1000'),
  responseLost: z
    .boolean({ error: 'must be true or false' })
    .optional()
    .describe('The call is applied and its answer lost: the caller sees the error (say "TimeoutError") after the write took effect.'),
});

export function checkFaultOperation(operation: string, facts: ScenarioFacts): EventIssue[] {
  if (facts.operations.includes(operation)) return [];
  return [{ path: ['operation'], message: `the simulated AWS has no operation "${operation}"; choose one of ${facts.operations.join(', ')}` }];
}

const setAlarmState = defineEventKind({
  schema: z.strictObject({
    kind: z.literal('set-alarm-state'),
    at: At,
    alarm: z.string({ error: 'required: the name of an alarm in world.alarms' }),
    state: z.enum(['OK', 'ALARM', 'INSUFFICIENT_DATA'], { error: 'must be "OK", "ALARM" or "INSUFFICIENT_DATA"' }),
    reason: z.string().optional(),
    holdSeconds: z
      .int('must be a whole number of seconds')
      .min(1, 'must be at least 1')
      .optional()
      .describe('Keep this state for this long whatever the metrics say; without it, the next evaluation decides.'),
  }),
  check: (event, facts) =>
    facts.alarmNames.has(event.alarm)
      ? []
      : [{ path: ['alarm'], message: `no alarm named "${event.alarm}" in world.alarms` }],
  describe: (event) =>
    `alarm ${event.alarm} set to ${event.state}${event.holdSeconds === undefined ? '' : ` for ${formatDuration(event.holdSeconds)}`}`,
  apply: (event, { world, nowMs }) => {
    const reason = event.reason ?? `Set by the scenario at ${event.at} s`;
    if (event.holdSeconds === undefined) world.cloudwatch.setAlarmState(event.alarm, event.state, reason);
    else world.cloudwatch.holdAlarmState(event.alarm, event.state, reason, nowMs + event.holdSeconds * 1000);
  },
});

const injectFault = defineEventKind({
  schema: FaultSchema.extend({ kind: z.literal('inject-fault'), at: At }),
  check: (event, facts) => checkFaultOperation(event.operation, facts),
  describe: (event) =>
    event.responseLost === true
      ? `the next ${event.times} ${event.operation} call(s) take effect and their answers are lost (${event.error})`
      : `the next ${event.times} ${event.operation} call(s) fail with ${event.error}`,
  apply: (event, { world }) => {
    world.injectFault({ operation: event.operation, error: event.error, times: event.times, ...(event.responseLost === undefined ? {} : { responseLost: event.responseLost }) });
  },
});

const setTraffic = defineEventKind({
  schema: z.strictObject({
    kind: z.literal('set-traffic'),
    at: At,
    requestsPerSecond: z.number().gt(0, 'must be > 0').max(5000, 'at most 5,000 (the simulator draws every request)'),
  }),
  describe: (event) => `traffic changes to ${event.requestsPerSecond} requests per second`,
  apply: (event, { traffic }) => {
    traffic.setRequestsPerSecond(event.requestsPerSecond);
  },
});

/** A Slack name as people type it: letters, digits, dots, dashes, underscores. */
export const SlackName = z
  .string({ error: 'required: a name such as "alice"' })
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,19}$/, 'a Slack name such as "alice": letters, digits, ".", "_" or "-", at most 20');

const slackCommand = defineEventKind({
  schema: z.strictObject({
    kind: z.literal('slack-command'),
    at: At,
    user: SlackName.describe('Who types the command; on world.slack.allowedUsers unless that list is given without them.'),
    text: z
      .string({ error: 'required: what follows /coalmine, e.g. "rollback checkout canary looks slow"' })
      .min(1, 'cannot be empty: what follows /coalmine, e.g. "rollback checkout canary looks slow"')
      .max(3000, 'at most 3,000 characters'),
    channel: SlackName.optional().describe('Where it is typed; default world.slack.channel.'),
  }),
  describe: (event) => `${event.user} types /coalmine ${event.text}${event.channel === undefined ? '' : ` in #${event.channel}`}`,
  apply: async (event, { slack }) => {
    await slack.command(event.user, event.text, event.channel);
  },
});

const cliCommand = defineEventKind({
  schema: z.strictObject({
    kind: z.literal('cli'),
    at: At,
    args: z
      .array(z.string().min(1, 'an argument cannot be empty').max(1000, 'at most 1,000 characters'), {
        error: 'required: the words after coalmine, e.g. ["rollback", "checkout", "--reason", "p99 doubled"]',
      })
      .min(1, 'give a command, e.g. ["rollback", "checkout", "--reason", "p99 doubled"]')
      .max(20, 'at most 20 words')
      .refine((args) => SIMULATED_COMMANDS.includes(args[0]!), {
        error: `the command must act on AWS: one of ${SIMULATED_COMMANDS.join(', ')}`,
      })
      .describe('The words after `coalmine`, run as the simulated operator against the simulated AWS.'),
  }),
  describe: (event) => commandLine(event.args),
  apply: async (event, { terminal }) => {
    await terminal.run(event.args);
  },
});

const TASK_FAULT_WORDS = { crash: 'crash', timeout: 'hang until the Task times out', malformed: 'answer {} after doing their work' } as const;

const taskFault = defineEventKind({
  schema: z.strictObject({
    kind: z.literal('task-fault'),
    at: At,
    state: z.string({ error: 'required: a Task state of the state machine, e.g. "ShiftTraffic"' }),
    fault: z.enum(['crash', 'timeout', 'malformed'], {
      error: 'must be "crash" (Runtime.ExitError), "timeout" (the invocation hangs: States.Timeout) or "malformed" (it answers {} after its work)',
    }),
    times: z.int('must be a whole number').min(1, 'must be at least 1').max(100, 'at most 100').default(1),
    afterWork: z.boolean({ error: 'must be true or false' }).default(false).describe('Strike after the handler did its work (its writes stand).'),
  }),
  check: (event, facts) =>
    facts.taskStates.includes(event.state) ? [] : [{ path: ['state'], message: `no Lambda Task state "${event.state}"; choose one of ${facts.taskStates.join(', ')}` }],
  describe: (event) =>
    `the next ${event.times} ${event.state} invocation(s) ${TASK_FAULT_WORDS[event.fault]}${event.afterWork && event.fault !== 'malformed' ? ' after doing their work' : ''}`,
  apply: (event, { tasks }) => {
    tasks.inject({ state: event.state, fault: event.fault, times: event.times, afterWork: event.afterWork });
  },
});

const consoleStop = defineEventKind({
  schema: z.strictObject({
    kind: z.literal('console-stop'),
    at: At,
  }),
  describe: () => 'a person stops the execution in the Step Functions console (StopExecution, no rollback)',
  apply: async (_event, { world }) => {
    // A person's call, not coalmine's: it bypasses the scenario's faults, as the console's own session would.
    for (const execution of world.sfn.running()) await world.sfn.service.commands.StopExecution?.({ executionArn: execution.executionArn });
  },
});

export const EVENT_KINDS = {
  'set-alarm-state': setAlarmState,
  'inject-fault': injectFault,
  'set-traffic': setTraffic,
  'slack-command': slackCommand,
  cli: cliCommand,
  'console-stop': consoleStop,
  'task-fault': taskFault,
} as const satisfies Record<string, EventKind>;

export type EventKindName = keyof typeof EVENT_KINDS;

const kindNames = Object.keys(EVENT_KINDS).map((k) => `"${k}"`).join(', ');
const schemas = Object.values(EVENT_KINDS).map((k) => k.schema) as unknown as [EventSchema, ...EventSchema[]];

export type ScenarioEvent = { [K in EventKindName]: z.output<(typeof EVENT_KINDS)[K]['schema']> }[EventKindName];

/** Built from the registry, so its static type is restated: one of the kinds' outputs. */
export const ScenarioEventSchema = z.discriminatedUnion('kind', schemas, {
  error: (issue) => (issue.code === 'invalid_union' ? `unknown or missing "kind"; supported: ${kindNames}` : undefined),
}) as unknown as z.ZodType<ScenarioEvent>;

function kindOf(event: ScenarioEvent): EventKind {
  return EVENT_KINDS[event.kind] as unknown as EventKind;
}

export function checkEvent(event: ScenarioEvent, facts: ScenarioFacts): EventIssue[] {
  return kindOf(event).check?.(event as never, facts) ?? [];
}

export function describeEvent(event: ScenarioEvent): string {
  return kindOf(event).describe(event as never);
}

export async function applyEvent(event: ScenarioEvent, context: EventContext): Promise<void> {
  await kindOf(event).apply(event as never, context);
}
