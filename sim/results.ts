/**
 * What a simulated rollout reports: the events it emits as it runs, and its result (the `--json` report's
 * shape, sim/report.ts). Types only, shared by the run loop, the observer of the execution and the CLI.
 */
import type { Gate, NextAction, Verdict } from '../shared/rollout';
import type { AlarmDelivery } from './alarm-events';
import type { ReconcileDelivery } from './reconciler';
import type { TaskFaultKind } from './task-faults';
import type { EdgeSummary } from './build-world';
import type { RoutingCheck } from './routing-check';
import type { Scenario } from './scenario';
import type { SlackExchange } from './slack';
import type { Served } from './traffic';

export type Outcome = 'promoted' | 'rolled_back' | 'failed';

export interface AlarmSummary {
  readonly name: string;
  readonly state: string;
}

/** What happens during a simulation, as it happens; `at` is seconds since the rollout started. */
export type SimulationEvent =
  | { readonly type: 'started'; readonly at: number; readonly scenario: Scenario; readonly seed: number }
  | {
      readonly type: 'preflight';
      readonly at: number;
      readonly baselineVersion: string;
      readonly alarms: readonly AlarmSummary[];
      /**
       * For a cloudfront-kvs target: the store, the lock's holder and the canary's share when the rollout took it,
       * and what Preflight reported each colour's pins to cover (baseline.bluePins, baseline.greenPins).
       */
      readonly store?: {
        readonly name: string;
        readonly lockHolder: string;
        readonly canaryWeight: number;
        readonly pins: { readonly blue: string; readonly green: string };
      };
    }
  | { readonly type: 'shifted'; readonly at: number; readonly step: number; readonly steps: number; readonly weight: number; readonly bakeSeconds: number }
  | {
      readonly type: 'analyzed';
      readonly at: number;
      readonly step: number;
      readonly steps: number;
      readonly weight: number;
      readonly bakedSeconds: number;
      readonly extraBakes: number;
      readonly verdict: Verdict;
      readonly action: NextAction;
      readonly reason: string;
      readonly alarms: readonly AlarmSummary[];
      readonly canary: Served;
      readonly baseline: Served;
      /**
       * Seconds of the bake (from the shift plus settleSeconds to the analysis) during which traffic was still
       * routed by another weight than the step's: an edge that had not caught up. 0 for an alias.
       */
      readonly staleSeconds: number;
    }
  /** The rollout waits at a gate (an approval, or a hold on an inconclusive analysis) until a person answers or the timeout. */
  | { readonly type: 'gate-waiting'; readonly at: number; readonly step: number; readonly weight: number; readonly gate: Gate }
  /** The gate closed: a person approved it (`by`), a person rolled back (SendTaskFailure), or nobody answered in time. */
  | { readonly type: 'gate-closed'; readonly at: number; readonly decision: 'approved' | 'rejected' | 'timed-out'; readonly by: string | null; readonly detail: string }
  | { readonly type: 'retried'; readonly at: number; readonly state: string; readonly error: string; readonly attempt: number }
  | { readonly type: 'alarm'; readonly at: number; readonly name: string; readonly from: string; readonly to: string; readonly reason: string }
  | { readonly type: 'scenario-event'; readonly at: number; readonly description: string }
  /** The alarm rollback, invoked by EventBridge with an alarm's state change, has returned (or failed). */
  | { readonly type: 'alarm-event'; readonly at: number; readonly invocation: AlarmInvocation }
  /** The reconciler, invoked with the execution's status change or by its sweep's schedule, has returned (or failed). */
  | { readonly type: 'reconciled'; readonly at: number; readonly invocation: ReconcileInvocation }
  /** A person's Slack command and Slack's answer. */
  | { readonly type: 'slack'; readonly at: number; readonly command: SlackCommandRecord }
  /** A line a `coalmine` command at the simulated terminal printed, as it printed it. */
  | { readonly type: 'cli-output'; readonly at: number; readonly args: readonly string[]; readonly stream: 'out' | 'err'; readonly line: string }
  /** A `coalmine` command at the simulated terminal ended. */
  | { readonly type: 'cli'; readonly at: number; readonly command: CliCommandRecord }
  /** The execution was stopped from outside (StopExecution), with the error and cause its stopper gave. */
  | {
      readonly type: 'stopped';
      readonly at: number;
      readonly error: string | null;
      readonly cause: string | null;
      /** The canary's share when it stopped: 0 after an outside rollback. */
      readonly canaryWeight: number;
      readonly baselineVersion: string;
      readonly canaryVersion: string;
    }
  /** A task answered without its result (`missing`: the field the state machine reads): no progress is shown for it. */
  | { readonly type: 'task-malformed'; readonly at: number; readonly state: string; readonly missing: string }
  /** A task failed for good (after its retries) and its Catch took over: what it did not do. */
  | { readonly type: 'task-failed'; readonly at: number; readonly state: string; readonly error: string; readonly reason: string }
  | { readonly type: 'promoted'; readonly at: number; readonly version: string }
  /** A hook's answer (request.hooks). */
  | { readonly type: 'hook'; readonly at: number; readonly hook: string; readonly function: string; readonly status: string; readonly reason: string }
  /** A look of the post-promotion bake (request.postPromotion): at 100 % on the new version. */
  | { readonly type: 'bake-look'; readonly at: number; readonly look: number; readonly looks: number; readonly verdict: string; readonly action: string; readonly reason: string }
  | { readonly type: 'rolled-back'; readonly at: number; readonly version: string; readonly cause: string }
  | { readonly type: 'finished'; readonly at: number; readonly result: SimulationResult };

export interface StepResult {
  /** 0-based index into the plan's steps. */
  readonly index: number;
  readonly weight: number;
  /** The last analysis's verdict at this step; null if the step ended before one (a fault, a rollback). */
  readonly verdict: Verdict | null;
  readonly action: NextAction | null;
  /** Looks at this step: one per analysis.intervalSeconds of its bake and extra bakes. */
  readonly analyses: number;
  readonly shiftedAtSeconds: number;
  readonly endedAtSeconds: number;
  readonly canaryRequests: number;
  readonly canaryErrors: number;
}

/** One invocation of the alarm rollback by EventBridge; times in seconds since the rollout started. */
export interface AlarmInvocation {
  readonly alarm: string;
  /** When the alarm changed state: the event's detail.state.timestamp. */
  readonly changedAtSeconds: number;
  readonly atSeconds: number;
  readonly copy: number;
  readonly attempt: number;
  readonly outcome: AlarmDelivery['outcome'];
  readonly executions: AlarmDelivery['executions'];
  readonly detail: string;
  readonly retryInSeconds?: number;
}

/** One invocation of the reconciler; times in seconds since the rollout started. */
export type ReconcileInvocation = Omit<ReconcileDelivery, 'atMs'> & { readonly atSeconds: number };

/** A Slack command typed during the simulation and what Slack answered, timed in simulated seconds. */
export type SlackCommandRecord = Omit<SlackExchange, 'atMs'> & { readonly atSeconds: number };

/** A `coalmine` command a scenario ran at the simulated terminal: what it printed, when, and its exit status. */
export interface CliCommandRecord {
  readonly atSeconds: number;
  readonly args: string[];
  readonly exitCode: number;
  readonly output: Array<{ readonly atSeconds: number; readonly stream: 'out' | 'err'; readonly line: string }>;
}

export interface SimulationResult {
  readonly scenario: string;
  readonly seed: number;
  readonly outcome: Outcome;
  /** Canary share of traffic at the end, in percent. */
  readonly finalWeight: number;
  readonly reason: string;
  /** The execution's error name when it failed, e.g. "CanaryAnalysisFailed". */
  readonly error: string | null;
  /** When the execution ended. */
  readonly endedSeconds: number;
  /**
   * From the execution's end to the last write that left the target safe (at 0 % or 100 %, no lock held): 0 when
   * the execution left it safe; null when it was still unsafe when the simulation stopped.
   */
  readonly timeToSafeSeconds: number | null;
  readonly steps: StepResult[];
  readonly stateTransitions: number;
  readonly retries: number;
  /** The largest state input or output the execution passed, in bytes (Step Functions fails it beyond 256 KiB). */
  readonly maxStateBytes: number;
  readonly costUsd: number;
  readonly simulatedSeconds: number;
  /** When the simulation stopped: every outside handler settled after the execution, or the one-hour cap. */
  readonly settledSeconds: number;
  /** Outside work still scheduled at the cap (a scenario event, an alarm delivery), earliest first. */
  readonly notReached: ReadonlyArray<{ readonly atSeconds: number; readonly description: string }>;
  readonly wallMilliseconds: number;
  readonly canaryRequests: number;
  readonly canaryErrors: number;
  readonly baselineRequests: number;
  readonly baselineErrors: number;
  readonly faultsInjected: number;
  readonly alarmTransitions: Array<{ name: string; from: string; to: string; atSeconds: number; reason: string }>;
  /**
   * From the first move to ALARM of an alarm the rollout watches to the write that put the canary back at 0 %,
   * whoever wrote it (the alarm rollback, the state machine's RollBack, a person); null when no watched
   * alarm fired or the canary was not put back at 0 % after it.
   */
  readonly rollbackLatencySeconds: number | null;
  /** The alarm push path: whether it was on, its delivery delay, and every invocation of the alarm rollback. */
  readonly alarmEvents: { readonly enabled: boolean; readonly delaySeconds: number; readonly invocations: AlarmInvocation[] };
  /** The reconciler: whether it is deployed, and every invocation (status change or sweep). */
  readonly reconciler: { readonly enabled: boolean; readonly invocations: ReconcileInvocation[] };
  /** Task invocations a task-fault event struck. */
  readonly taskFaults: ReadonlyArray<{ readonly state: string; readonly fault: TaskFaultKind; readonly atSeconds: number }>;
  readonly slackCommands: SlackCommandRecord[];
  readonly cliCommands: CliCommandRecord[];
  readonly routing: RoutingCheck;
  readonly plan: { readonly steps: number; readonly nominalSeconds: number; readonly worstCaseSeconds: number };
  /** Only for a cloudfront-kvs target: viewers, colours, flips, the function's runs and the store at the end. */
  readonly edge?: EdgeSummary;
}

export interface SimulationOptions {
  /** Seeds traffic and retry jitter; default the scenario's seed, else 1. */
  readonly seed?: number;
  /** Overrides the scenario's world.alarmEvents.enabled: false leaves alarms to the analysis alone. */
  readonly alarmEvents?: boolean;
  readonly onEvent?: (event: SimulationEvent) => void;
  /**
   * Runs once the simulation has settled, while the AWS clients still reach the simulated world on its
   * clock: what reads the execution as an operator would (the report) runs here.
   */
  readonly afterRun?: (execution: { readonly executionArn: string; readonly executionName: string }) => Promise<void>;
}
