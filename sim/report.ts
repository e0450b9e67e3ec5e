/**
 * The machine-readable result of `coalmine simulate --json`: one schema, defined once with zod, from
 * which the JSON Schema that tools validate against is generated.
 */
import * as z from 'zod';
import type { SimulationResult } from './simulate';

const Count = z.int().min(0);
const Seconds = z.number().describe('Seconds since the rollout started.');
const Verdict = z.enum(['pass', 'fail', 'inconclusive']);
const Action = z.enum(['look-again', 'advance', 'bake-again', 'promote', 'rollback', 'await-approval']);
const AlarmState = z.enum(['OK', 'ALARM', 'INSUFFICIENT_DATA']);

const AddressShareSchema = z.strictObject({
  ipv4: z.number().min(0).max(1).describe('Share of the IPv4 address space, 0 to 1.'),
  ipv6: z.number().min(0).max(1).describe('Share of the IPv6 address space, 0 to 1.'),
});

export const SimulationReportSchema = z
  .strictObject({
    scenario: z.string().describe('Built-in scenario name, or the scenario file name without .json.'),
    seed: z.int().min(0).describe('Seed of the traffic and the retry jitter: the same seed gives the same run.'),
    outcome: z.enum(['promoted', 'rolled_back', 'failed']).describe('failed: refused at preflight, or the rollback itself failed.'),
    finalWeight: z.number().min(0).max(100).describe('Canary share of traffic at the end, in percent.'),
    reason: z.string().describe('Why the rollout ended as it did, in the words of the execution.'),
    error: z
      .string()
      .nullable()
      .describe('The execution error name when it did not succeed, e.g. CanaryAnalysisFailed, or AlarmRollback and ManualRollback for a stop from outside.'),
    endedSeconds: Seconds.describe('When the execution ended.'),
    timeToSafeSeconds: z
      .number()
      .min(0)
      .nullable()
      .describe(
        "From the execution's end to the last write that left the target at 0 % or 100 % with no lock held: 0 when the execution left it safe; null when it was still unsafe when the simulation stopped.",
      ),
    steps: z
      .array(
        z.strictObject({
          index: Count.describe('0-based step in the plan.'),
          weight: z.number().min(0).max(100),
          verdict: Verdict.nullable().describe("The step's last analysis verdict; null if it ended before an analysis."),
          action: Action.nullable(),
          analyses: Count.describe('Analyses at this step: 1 + extra bakes.'),
          shiftedAtSeconds: Seconds,
          endedAtSeconds: Seconds,
          canaryRequests: Count,
          canaryErrors: Count,
        }),
      )
      .describe('Each step the rollout reached, in order.'),
    stateTransitions: Count.describe('States entered plus retries: what Step Functions bills.'),
    retries: Count,
    maxStateBytes: Count.describe(
      "The largest state input or output of the execution, in UTF-8 bytes of its JSON. Beyond 262,144 (256 KiB) Step Functions fails the execution with States.DataLimitExceeded, which no Catch handles.",
    ),
    costUsd: z.number().min(0).describe('Step Functions Standard cost of the transitions ($0.025 per 1,000).'),
    simulatedSeconds: z.number().min(0).describe('Simulated time from the start of the execution to its end.'),
    settledSeconds: z
      .number()
      .describe('When the simulation stopped: once every outside handler had settled after the execution ended, at most one simulated hour after it.'),
    notReached: z
      .array(z.strictObject({ atSeconds: Seconds, description: z.string() }))
      .describe('Outside work (a scenario event, an alarm delivery) still scheduled when the hour after the end ran out; empty when everything ran.'),
    wallMilliseconds: z.number().min(0).describe('Real time the simulation took.'),
    canaryRequests: Count.describe('Requests served by the new version during the rollout.'),
    canaryErrors: Count.describe('Of those, requests that failed.'),
    baselineRequests: Count,
    baselineErrors: Count,
    faultsInjected: Count.describe('AWS calls failed on purpose by the scenario.'),
    alarmTransitions: z.array(
      z.strictObject({ name: z.string(), from: AlarmState, to: AlarmState, atSeconds: Seconds, reason: z.string() }),
    ),
    rollbackLatencySeconds: z
      .number()
      .min(0)
      .nullable()
      .describe(
        'From the first move to ALARM of an alarm the rollout watches to the write that put the canary back at 0 %, whoever wrote it; null when no watched alarm fired or the canary was not put back at 0 % after it.',
      ),
    alarmEvents: z
      .strictObject({
        enabled: z.boolean().describe('Whether alarm state changes reached the alarm rollback through EventBridge (the deployed push path).'),
        delaySeconds: z.number().min(0).describe("From an alarm's state change to the handler's invocation."),
        invocations: z
          .array(
            z.strictObject({
              alarm: z.string(),
              changedAtSeconds: Seconds.describe("When the alarm changed state (the event's detail.state.timestamp)."),
              atSeconds: Seconds.describe('When the handler was invoked.'),
              copy: z.int().min(1).describe('Which delivery of the event: EventBridge delivers at least once.'),
              attempt: z.int().min(1).describe("1, then 2 and 3 for Lambda's retries of a failed invocation."),
              outcome: z.enum(['acted', 'nothing-to-do', 'ignored', 'failed']),
              executions: z
                .array(z.strictObject({ name: z.string(), action: z.string(), rollbackLatencyMs: z.number().min(0).optional() }))
                .describe('Each execution the handler acted on or looked at, what it did, and its latency to a verified 0 %.'),
              detail: z.string().describe("The handler's own words: the cause it stopped the execution with, or why it did nothing."),
              retryInSeconds: z.number().min(0).optional().describe('For a failed invocation: when Lambda tries again.'),
            }),
          )
          .describe('Every invocation of the alarm rollback, in order.'),
      })
      .describe('The alarm push path.'),
    reconciler: z
      .strictObject({
        enabled: z.boolean().describe('Whether the reconciler is deployed (world.reconciler.enabled).'),
        invocations: z
          .array(
            z.strictObject({
              trigger: z.enum(['status-change event', 'sweep']),
              atSeconds: Seconds,
              copy: z.int().min(1).describe('Which delivery of the status change (1 for a sweep).'),
              attempt: z.int().min(1).describe("1, then 2 and 3 for Lambda's retries of a failed invocation."),
              outcome: z.enum(['rolled-back', 'unchanged', 'failed', 'ignored', 'error']),
              executions: Count.describe('Ended executions it looked at.'),
              detail: z.string().describe("Per execution: the race rule's reason and what the rollback did; or why the invocation failed."),
              restored: z.string().optional().describe('When it rolled back: what the rollback restored, in the router\'s words.'),
              retryInSeconds: z.number().min(0).optional().describe('For an invocation that threw: when Lambda tries again.'),
            }),
          )
          .describe('Every invocation of the reconciler, in order.'),
      })
      .describe("The reconciler: the execution's status change through EventBridge, and its sweep."),
    taskFaults: z
      .array(z.strictObject({ state: z.string(), fault: z.enum(['crash', 'timeout', 'malformed']), atSeconds: Seconds }))
      .describe('Task invocations a task-fault event struck: a crash (Runtime.ExitError), a hang until the Task timed out (States.Timeout), or a malformed answer ({}).'),
    slackCommands: z
      .array(
        z.strictObject({
          atSeconds: Seconds,
          user: z.string(),
          channel: z.string(),
          text: z.string().describe('What followed /coalmine.'),
          statusCode: z.int().describe("The handler's HTTP status: 200, or 401 for a request that fails verification."),
          responseType: z.string().nullable().describe('in_channel (everyone sees it) or ephemeral (only the person who asked).'),
          reply: z.string().describe("The answer's text, as Slack shows it (mrkdwn)."),
        }),
      )
      .describe("Slack commands from the scenario's events and what Slack answered."),
    cliCommands: z
      .array(
        z.strictObject({
          atSeconds: Seconds,
          args: z.array(z.string()).describe('The words after coalmine.'),
          exitCode: z.int().describe("The command's exit status (watch: 0 promoted, 3 rolled back, 4 refused, 5 failed)."),
          output: z
            .array(z.strictObject({ atSeconds: Seconds, stream: z.enum(['out', 'err']), line: z.string() }))
            .describe('Every line it printed, when it printed it.'),
        }),
      )
      .describe("coalmine commands from the scenario's cli events, run against the simulated AWS."),
    routing: z
      .strictObject({
        weightsSet: z.array(z.number().min(0).max(100)).describe('Canary share of each alias (or green_percentage) write, in order.'),
        weightsServed: z.array(z.number().min(0).max(100)).describe('Canary shares traffic was routed by (at the edge: as the edge held the store).'),
        problems: z.array(z.string()).describe('Empty when no request was routed by weights the rollout did not set.'),
      })
      .describe('The invariant check on routing.'),
    plan: z.strictObject({
      steps: Count,
      nominalSeconds: z.number().min(0),
      worstCaseSeconds: z.number().min(0),
    }),
    edge: z
      .strictObject({
        propagationSeconds: z.number().min(0).describe('Seconds from a store write until the edge serves it.'),
        viewers: Count.describe('The viewer population every request comes from.'),
        pinnedViewers: z
          .strictObject({ blue: Count, green: Count })
          .describe('Viewers that the pins after Preflight send to a colour, by CIDR or by country (a viewer pinned to both is blue).'),
        pinShare: z
          .strictObject({ blue: AddressShareSchema, green: AddressShareSchema })
          .describe("The share of the IPv4 and IPv6 address space each colour's CIDR pins cover after Preflight."),
        viewersServed: z.strictObject({ blue: Count, green: Count }).describe('Viewers served each colour at least once.'),
        flips: z
          .strictObject({ greenToBlue: Count, blueToGreen: Count })
          .describe('Viewers served one colour and later the other; green to blue means a rollback or a cohort that was not sticky.'),
        finalColours: z
          .strictObject({ blue: Count, green: Count })
          .describe('Viewers by colour once the edge serves the store as the execution left it.'),
        storeStates: Count.describe('Store states the edge held, the one before the rollout included.'),
        functionRuns: Count.describe('Runs of edge/x-deployment.js: one per viewer per store state.'),
        finalStore: z.record(z.string(), z.string()).describe("The KeyValueStore's keys when the execution ended (coalmine_lock absent: released)."),
      })
      .optional()
      .describe('Only for a cloudfront-kvs target: what the edge did.'),
  })
  .describe('The result of one simulated rollout (coalmine simulate --json).');

export type SimulationReport = z.output<typeof SimulationReportSchema>;

/** The JSON Schema (draft 2020-12) of the --json output. */
export function simulationReportJsonSchema(): Record<string, unknown> {
  return { title: 'coalmine simulation report', ...z.toJSONSchema(SimulationReportSchema) };
}

/** The report of a result, checked against its own schema so that the output never drifts from it. */
export function toReport(result: SimulationResult): SimulationReport {
  return SimulationReportSchema.parse(result);
}
