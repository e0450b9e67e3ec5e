/**
 * One simulated rollout: the real state machine file, executed by aws-local-stepfunctions with the real
 * Lambda handlers, against the in-memory AWS world a scenario describes, on a virtual clock, with
 * synthetic traffic routed by the weights the rollout writes (through the alias, or through the edge
 * function reading the KeyValueStore as the edge holds it). Deterministic for a scenario and a seed.
 *
 * Time: the clock starts `warmupSeconds` before the rollout (traffic gives the alarms data), then the
 * execution starts. Time moves only when no task handler is running, no outside handler (the alarm
 * rollback, a Slack command) is working, and the edge has answered for every store it was sent, by jumping
 * to the next timer: a Wait state's end, a Retry interval, a scenario event, an alarm event's delivery, an
 * outside handler's sleep, or the one-minute traffic tick. Traffic is generated up to the present before
 * every AWS call, so each stretch is served under one alias or edge state.
 *
 * The execution runs inside the in-memory Step Functions (sim/world/sfn.ts), as in AWS: the outside
 * handlers list it, read its history and stop it, and a stop aborts the local run.
 */
import { USD_PER_STATE_TRANSITION } from '../shared/config/limits';
import { explainFailure, type CaughtError } from '../shared/failure';
import type { JudgeResult, Verdict } from '../shared/judges/types';
import type { NextAction, Progress } from '../shared/rollout';
import type { AnalysisOutput } from '../shared/tasks';
import { buildWorld, trafficModelOf, type EdgeSummary } from './build-world';
import { VirtualClock, yieldToEventLoop } from './clock';
import { AlarmEventDelivery, type AlarmDelivery } from './alarm-events';
import { applyEvent, describeEvent } from './events';
import { loadLocalMachine, readDefinition, runLocally, type LocalMachine } from './local-execution';
import { OutsideWork } from './outside-work';
import { SlackWorkspace, type SlackExchange } from './slack';
import { tee } from './tee';
import { taskCatalogue, type TaskCatalogue } from './world/sfn';
import { createRandom } from '../shared/judges/statistics/random';
import { routerKindFor } from '../shared/routers/registry';
import type { RoutingCheck } from './routing-check';
import { deploymentName, type Scenario } from './scenario';
import type { AwsWorld } from './world';
import { SyntheticTraffic, type Served } from './traffic';

/** When every simulated rollout starts: a fixed Monday morning, so runs are reproducible. */
export const ROLLOUT_START_MS = Date.UTC(2030, 0, 7, 9, 0, 0);
export const DEFAULT_SEED = 1;
const TICK_MS = 60_000;

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
      /** For a cloudfront-kvs target: the store, the lock's holder and the canary's share when the rollout took it. */
      readonly store?: { readonly name: string; readonly lockHolder: string; readonly canaryWeight: number };
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
  | { readonly type: 'retried'; readonly at: number; readonly state: string; readonly error: string; readonly attempt: number }
  | { readonly type: 'alarm'; readonly at: number; readonly name: string; readonly from: string; readonly to: string; readonly reason: string }
  | { readonly type: 'scenario-event'; readonly at: number; readonly description: string }
  /** The alarm rollback, invoked by EventBridge with an alarm's state change, has returned (or failed). */
  | { readonly type: 'alarm-event'; readonly at: number; readonly invocation: AlarmInvocation }
  /** A person's Slack command and Slack's answer. */
  | { readonly type: 'slack'; readonly at: number; readonly command: SlackCommandRecord }
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
  | { readonly type: 'promoted'; readonly at: number; readonly version: string }
  | { readonly type: 'rolled-back'; readonly at: number; readonly version: string; readonly cause: string }
  | { readonly type: 'finished'; readonly at: number; readonly result: SimulationResult };

export interface StepResult {
  /** 0-based index into the plan's steps. */
  readonly index: number;
  readonly weight: number;
  /** The last analysis's verdict at this step; null if the step ended before one (a fault, a rollback). */
  readonly verdict: Verdict | null;
  readonly action: NextAction | null;
  /** Analyses at this step: 1 + extra bakes. */
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

/** A Slack command typed during the simulation and what Slack answered, timed in simulated seconds. */
export type SlackCommandRecord = Omit<SlackExchange, 'atMs'> & { readonly atSeconds: number };

export interface SimulationResult {
  readonly scenario: string;
  readonly seed: number;
  readonly outcome: Outcome;
  /** Canary share of traffic at the end, in percent. */
  readonly finalWeight: number;
  readonly reason: string;
  /** The execution's error name when it failed, e.g. "CanaryAnalysisFailed". */
  readonly error: string | null;
  readonly steps: StepResult[];
  readonly stateTransitions: number;
  readonly retries: number;
  readonly costUsd: number;
  readonly simulatedSeconds: number;
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
  readonly slackCommands: SlackCommandRecord[];
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
}

/** The execution's event log entries (aws-local-stepfunctions does not export their type). */
type EventLog = ReturnType<typeof runLocally>['eventLogs'] extends AsyncIterable<infer E> ? E : never;

let machine: { readonly local: LocalMachine; readonly tasks: TaskCatalogue } | undefined;
let running = false;

/** Loads the state machine once per process, and how its Task states show in an execution's history. */
function localMachine(): { readonly local: LocalMachine; readonly tasks: TaskCatalogue } {
  machine ??= { local: loadLocalMachine({ validate: false }), tasks: taskCatalogue(readDefinition()) };
  return machine;
}

/** Step Functions takes 1 to 80 letters, digits, "-" and "_" as an execution name. */
function executionNameOf(scenario: Scenario, seed: number): string {
  return `simulation-${scenario.name}-${seed}`.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 80);
}

/** Sets environment variables for the length of a simulation; returns the undo. */
function setEnvironment(values: Readonly<Record<string, string | undefined>>): () => void {
  const before = Object.fromEntries(Object.keys(values).map((name) => [name, process.env[name]]));
  const apply = (entries: Record<string, string | undefined>): void => {
    for (const [name, value] of Object.entries(entries)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
  apply({ ...values });
  return () => apply(before);
}

function alarmSummaries(checks: readonly JudgeResult[]): AlarmSummary[] {
  return checks.flatMap((check) => {
    const alarms = check.evidence.alarms;
    return Array.isArray(alarms) ? (alarms as Array<{ name: string; state: string }>).map(({ name, state }) => ({ name, state })) : [];
  });
}

export async function simulate(scenario: Scenario, options: SimulationOptions = {}): Promise<SimulationResult> {
  if (running) throw new Error('A simulation is already running in this process: the virtual clock and the AWS clients are global.');
  running = true;
  try {
    return await simulateOnce(scenario, options);
  } finally {
    running = false;
  }
}

async function simulateOnce(scenario: Scenario, options: SimulationOptions): Promise<SimulationResult> {
  const wallStart = performance.now();
  const seed = options.seed ?? scenario.seed ?? DEFAULT_SEED;
  const emit = options.onEvent ?? (() => undefined);
  const { local, tasks } = localMachine();
  const simulated = buildWorld(scenario, seed);
  const { world } = simulated;
  const startMs = ROLLOUT_START_MS;
  const seconds = (ms: number): number => (ms - startMs) / 1000;

  const undo: Array<() => void> = [];
  const clock = VirtualClock.install(startMs - scenario.world.warmupSeconds * 1000);
  undo.push(() => clock.uninstall());
  try {
    // Retry jitter in aws-local-stepfunctions draws from Math.random: seed it too, for reproducible runs.
    const jitter = createRandom((seed ^ 0x9e3779b9) >>> 0);
    const originalRandom = Math.random;
    Math.random = () => jitter.uniform();
    undo.push(() => (Math.random = originalRandom));

    const traffic = new SyntheticTraffic(world, trafficModelOf(scenario), simulated.routing, createRandom(seed), {
      startMs: clock.nowMs,
      rolloutStartMs: startMs,
    });
    undo.push(simulated.connect());
    await simulated.settled();
    undo.push(
      world.cloudwatch.onTransition((t) =>
        emit({ type: 'alarm', at: seconds(t.at.getTime()), name: t.name, from: t.from, to: t.to, reason: t.reason }),
      ),
    );
    clock.tick(startMs - clock.nowMs);
    traffic.advanceTo(startMs);

    undo.push(world.install());
    undo.push(world.onBeforeCall(() => traffic.advanceTo(Date.now())));
    // The outside handlers find the state machine by this; the grace of race rule (c) stays at its default, 0.
    undo.push(setEnvironment({ STATE_MACHINE_ARN: world.sfn.stateMachineArn, ALARM_ROLLBACK_GRACE_SECONDS: undefined }));
    const shareWrites: Array<{ atMs: number; share: number }> = [];
    undo.push(simulated.onCanaryShareWritten((share) => shareWrites.push({ atMs: Date.now(), share })));
    setInterval(() => traffic.advanceTo(Date.now()), TICK_MS);

    const outside = new OutsideWork();
    const slack = new SlackWorkspace(scenario.slack, outside.clock);
    const slackCommands: SlackCommandRecord[] = [];
    for (const event of scenario.events) {
      setTimeout(() => {
        traffic.advanceTo(Date.now());
        emit({ type: 'scenario-event', at: event.at, description: describeEvent(event) });
        void outside.run(async () => {
          await applyEvent(event, { world, traffic, nowMs: Date.now(), slack });
          for (const exchange of slack.exchanges.splice(0)) {
            const command = slackCommandRecord(exchange, seconds);
            slackCommands.push(command);
            emit({ type: 'slack', at: command.atSeconds, command });
          }
        });
      }, event.at * 1000);
    }

    let inFlight = 0;
    let finished = false;
    const alarmEventsEnabled = options.alarmEvents ?? scenario.alarmEvents.enabled;
    const invocations: AlarmInvocation[] = [];
    if (alarmEventsEnabled) {
      const delivery = new AlarmEventDelivery(outside, scenario.alarmEvents, () => !finished, (d) => {
        const invocation = alarmInvocationOf(d, seconds);
        invocations.push(invocation);
        emit({ type: 'alarm-event', at: invocation.atSeconds, invocation });
      });
      undo.push(world.cloudwatch.onTransition((t) => delivery.transitioned(t)));
    }
    emit({ type: 'started', at: 0, scenario, seed });

    const executionName = executionNameOf(scenario, seed);
    let run: ReturnType<typeof runLocally> | undefined;
    let eventLogs: AsyncIterable<EventLog> | undefined;
    world.sfn.useRunner((input, name) => {
      run = runLocally(local, input, {
        executionName: name,
        beforeTask: () => {
          inFlight += 1;
        },
        afterTask: () => {
          inFlight -= 1;
        },
      });
      // One copy for the history the outside handlers read, one for the progress.
      const [forHistory, forObserver] = tee(run.eventLogs, 2) as [AsyncIterable<EventLog>, AsyncIterable<EventLog>];
      eventLogs = forObserver;
      return { abort: () => run?.abort(), result: run.result, eventLogs: forHistory };
    }, tasks);
    const record = world.sfn.start(scenario.rollout, executionName);
    const observer = new ExecutionObserver(local, scenario, traffic, world, seconds, emit, () => ({
      error: record.error ?? null,
      cause: record.cause ?? null,
      canaryWeight: simulated.canaryShare(),
    }));
    const observing = eventLogs === undefined ? Promise.resolve() : observer.consume(eventLogs);
    void record.settled.then(() => {
      finished = true;
    });

    // Worst case plus room for retries; beyond it something is stuck, and the run must say so rather than spin.
    const deadlineMs = startMs + (scenario.plan.worstCaseSeconds * 1.1 + 6 * 3600) * 1000;
    // Done when the execution has ended and every alarm event sent while it ran has been handled.
    const done = (): boolean => finished && outside.idle;
    while (!done()) {
      do await yieldToEventLoop();
      while ((inFlight > 0 || outside.busy) && !done());
      if (done()) break;
      // The edge answers for a new store asynchronously; no request may need that answer before it exists.
      await simulated.settled();
      if (clock.nowMs > deadlineMs || !clock.advance()) {
        run?.abort();
        throw new Error(`The simulated execution did not finish by ${seconds(clock.nowMs)} s of simulated time; last state: ${observer.lastState}`);
      }
    }
    await observing;
    await simulated.settled();
    traffic.advanceTo(clock.nowMs);
    // The rollout ends with its execution, or with a later write of the canary's share (an alarm that fired while
    // it ran rolling back a promotion): a duplicate alarm event handled afterwards does not make it longer.
    const endMs = Math.max(record.stopDate?.getTime() ?? clock.nowMs, ...shareWrites.map((w) => w.atMs));

    const canary = traffic.served(scenario.canaryVersion, startMs, endMs);
    const baseline = traffic.served(scenario.baselineVersion, startMs, endMs);
    const edge = simulated.edgeSummary();
    const stateTransitions = observer.statesEntered + observer.retries;
    const finalWeight = simulated.canaryShare();
    const ending = endingOf(record, observer, finalWeight, invocations);
    const result: SimulationResult = {
      scenario: scenario.name,
      seed,
      ...ending,
      finalWeight,
      steps: observer.stepResults(endMs),
      stateTransitions,
      retries: observer.retries,
      costUsd: Math.round(stateTransitions * USD_PER_STATE_TRANSITION * 1e6) / 1e6,
      simulatedSeconds: seconds(endMs),
      wallMilliseconds: Math.round(performance.now() - wallStart),
      canaryRequests: canary.requests,
      canaryErrors: canary.errors,
      baselineRequests: baseline.requests,
      baselineErrors: baseline.errors,
      faultsInjected: world.calls.filter((c) => c.injected === true).length,
      alarmTransitions: world.cloudwatch.transitions.map((t) => ({
        name: t.name,
        from: t.from,
        to: t.to,
        atSeconds: seconds(t.at.getTime()),
        reason: t.reason,
      })),
      rollbackLatencySeconds: rollbackLatencyOf(scenario, world, startMs, shareWrites),
      alarmEvents: { enabled: alarmEventsEnabled, delaySeconds: scenario.alarmEvents.delaySeconds, invocations },
      slackCommands,
      routing: simulated.checkRouting(traffic),
      plan: {
        steps: scenario.plan.steps.length,
        nominalSeconds: scenario.plan.nominalSeconds,
        worstCaseSeconds: scenario.plan.worstCaseSeconds,
      },
      ...(edge === undefined ? {} : { edge }),
    };
    emit({ type: 'finished', at: result.simulatedSeconds, result });
    return result;
  } finally {
    for (const step of undo.reverse()) step();
  }
}

/** How the rollout ended, from the execution's status and, for a stopped one, what the stopper said and left. */
function endingOf(
  record: { readonly status?: string; readonly error?: string; readonly cause?: string },
  observer: ExecutionObserver,
  finalWeight: number,
  invocations: readonly AlarmInvocation[],
): Pick<SimulationResult, 'outcome' | 'reason' | 'error'> {
  switch (record.status) {
    case 'SUCCEEDED': {
      if (finalWeight !== 0) return { outcome: 'promoted', reason: observer.promotionReason(), error: null };
      // Race rule (c): an alarm that fired while the execution ran rolls back even a promotion.
      const rollback = invocations.find((i) => i.outcome === 'acted');
      return { outcome: 'rolled_back', reason: `Promoted, then rolled back by the alarm rollback: ${rollback?.detail ?? 'the canary is at 0 %'}`, error: null };
    }
    case 'ABORTED': {
      // Stopped from outside: the alarm rollback or a Slack command, whose cause says who, why and how fast.
      const outcome: Outcome = finalWeight === 0 ? 'rolled_back' : finalWeight === 100 ? 'promoted' : 'failed';
      return { outcome, reason: record.cause ?? `stopped from outside (${record.error ?? 'no error given'})`, error: record.error ?? null };
    }
    default: {
      const failure = observer.failure;
      return {
        outcome: observer.rolledBack ? 'rolled_back' : 'failed',
        reason: failure === null ? 'the execution failed' : explainFailure(failure),
        error: failure?.Error ?? null,
      };
    }
  }
}

/** From the first watched alarm's move to ALARM during the rollout to the next write that left the canary at 0 %. */
function rollbackLatencyOf(scenario: Scenario, world: AwsWorld, startMs: number, shareWrites: ReadonlyArray<{ atMs: number; share: number }>): number | null {
  const watched = new Set(scenario.request.analysis.alarms);
  const alarm = world.cloudwatch.transitions.find((t) => t.to === 'ALARM' && watched.has(t.name) && t.at.getTime() >= startMs);
  if (alarm === undefined) return null;
  const zero = shareWrites.find((w) => w.share === 0 && w.atMs >= alarm.at.getTime());
  return zero === undefined ? null : (zero.atMs - alarm.at.getTime()) / 1000;
}

function alarmInvocationOf(delivery: AlarmDelivery, seconds: (ms: number) => number): AlarmInvocation {
  const { changedAtMs, atMs, ...rest } = delivery;
  return { ...rest, changedAtSeconds: seconds(changedAtMs), atSeconds: seconds(atMs) };
}

function slackCommandRecord(exchange: SlackExchange, seconds: (ms: number) => number): SlackCommandRecord {
  const { atMs, ...rest } = exchange;
  return { atSeconds: seconds(atMs), ...rest };
}

interface StepRecord {
  readonly index: number;
  readonly weight: number;
  readonly shiftedAtMs: number;
  verdict: Verdict | null;
  action: NextAction | null;
  analyses: number;
  lastReason: string;
}

/** Reads the execution's event log as it is written: counts transitions and turns task results into progress. */
class ExecutionObserver {
  statesEntered = 0;
  retries = 0;
  rolledBack = false;
  failure: CaughtError | null = null;
  lastState = '(none)';
  private readonly steps: StepRecord[] = [];
  private readonly lastError = new Map<string, string>();

  constructor(
    private readonly local: LocalMachine,
    private readonly scenario: Scenario,
    private readonly traffic: SyntheticTraffic<unknown>,
    private readonly world: AwsWorld,
    private readonly seconds: (ms: number) => number,
    private readonly emit: (event: SimulationEvent) => void,
    /** What StopExecution left: its error and cause, and the canary's share then. */
    private readonly stopDetails: () => { error: string | null; cause: string | null; canaryWeight: number },
  ) {}

  async consume(events: AsyncIterable<EventLog>): Promise<void> {
    for await (const event of events) this.observe(event);
  }

  promotionReason(): string {
    const canary = deploymentName(this.scenario, this.scenario.canaryVersion);
    const n = this.scenario.plan.steps.length;
    if (n === 0) return `all at once: ${canary} takes all traffic without canary steps`;
    const last = this.steps[this.steps.length - 1];
    return `${last?.lastReason ?? 'every step passed'}; ${canary} takes all traffic`;
  }

  stepResults(endMs: number): StepResult[] {
    const { canaryVersion } = this.scenario;
    return this.steps.map((step, i) => {
      const until = this.steps[i + 1]?.shiftedAtMs ?? endMs;
      const served = this.traffic.served(canaryVersion, step.shiftedAtMs, until);
      return {
        index: step.index,
        weight: step.weight,
        verdict: step.verdict,
        action: step.action,
        analyses: step.analyses,
        shiftedAtSeconds: this.seconds(step.shiftedAtMs),
        endedAtSeconds: this.seconds(until),
        canaryRequests: served.requests,
        canaryErrors: served.errors,
      };
    });
  }

  private observe(event: EventLog): void {
    switch (event.type) {
      case 'StateEntered':
        this.statesEntered += 1;
        this.lastState = event.state.name;
        return;
      case 'StateFailed':
        this.lastError.set(event.state.name, event.Error);
        return;
      case 'StateRetried':
        this.retries += 1;
        this.emit({
          type: 'retried',
          at: this.seconds(event.timestamp),
          state: event.state.name,
          error: this.lastError.get(event.state.name) ?? 'an error',
          attempt: event.retry.attempt,
        });
        return;
      case 'StateExited':
        this.taskFinished(event.state.name, event.state.output, event.timestamp);
        return;
      case 'ExecutionFailed':
        this.failure = { Error: event.Error, Cause: typeof event.Cause === 'string' ? event.Cause : JSON.stringify(event.Cause) };
        return;
      case 'ExecutionAborted':
        this.emit({
          type: 'stopped',
          at: this.seconds(event.timestamp),
          ...this.stopDetails(),
          baselineVersion: this.scenario.baselineVersion,
          canaryVersion: this.scenario.canaryVersion,
        });
        return;
      default:
        return;
    }
  }

  /** Seconds within [fromMs, toMs) when the traffic's canary share was not `weight`. */
  private staleSeconds(fromMs: number, toMs: number, weight: number): number {
    let stale = 0;
    for (const segment of this.traffic.segments) {
      const from = Math.max(segment.fromMs, fromMs);
      const to = Math.min(segment.toMs, toMs);
      if (to > from && segment.canaryWeight !== weight) stale += to - from;
    }
    return stale / 1000;
  }

  /** Task results by the Lambda function behind the state, so renaming states does not break the simulator. */
  private taskFinished(stateName: string, output: unknown, timestamp: number): void {
    const state = output as Record<string, unknown> | undefined;
    const at = this.seconds(timestamp);
    const { canaryVersion, baselineVersion } = this.scenario;
    const stepCount = this.scenario.plan.steps.length;
    switch (this.local.taskFunctions[stateName]) {
      case 'preflight': {
        const rollout = state?.rollout as { baseline: { version?: unknown; lockHolder?: unknown; greenPercentage?: unknown } } | undefined;
        const { target } = this.scenario;
        const green = Number(rollout?.baseline.greenPercentage);
        this.emit({
          type: 'preflight',
          at,
          baselineVersion: String(rollout?.baseline.version ?? baselineVersion),
          alarms: this.scenario.request.analysis.alarms.map((name) => ({ name, state: this.world.cloudwatch.alarmState(name) ?? 'MISSING' })),
          ...(target.type === 'cloudfront-kvs'
            ? {
                store: {
                  name: routerKindFor(target).describe(target),
                  lockHolder: String(rollout?.baseline.lockHolder),
                  canaryWeight: target.stableAfterPromotion === 'green' ? green : 100 - green,
                },
              }
            : {}),
        });
        return;
      }
      case 'shiftTraffic': {
        const progress = state?.progress as Progress;
        this.steps.push({
          index: progress.stepIndex,
          weight: progress.weight,
          shiftedAtMs: timestamp,
          verdict: null,
          action: null,
          analyses: 0,
          lastReason: '',
        });
        this.emit({ type: 'shifted', at, step: progress.stepIndex + 1, steps: stepCount, weight: progress.weight, bakeSeconds: progress.bakeSeconds });
        return;
      }
      case 'analyzeCanary': {
        const analysis = state?.analysis as AnalysisOutput;
        const progress = state?.progress as Progress;
        const step = this.steps[this.steps.length - 1];
        if (step !== undefined) {
          step.verdict = analysis.verdict;
          step.action = analysis.action;
          step.analyses += 1;
          step.lastReason = analysis.reason;
        }
        const fromMs = Date.parse(progress.shiftedAt ?? '') || timestamp;
        const toMs = Date.parse(analysis.analyzedAt);
        this.emit({
          type: 'analyzed',
          at,
          step: analysis.step.index + 1,
          steps: stepCount,
          weight: analysis.step.weight,
          bakedSeconds: (toMs - fromMs) / 1000,
          extraBakes: analysis.step.extraBakes,
          verdict: analysis.verdict,
          action: analysis.action,
          reason: analysis.reason,
          alarms: alarmSummaries(analysis.checks),
          canary: this.traffic.served(canaryVersion, fromMs, toMs),
          baseline: this.traffic.served(baselineVersion, fromMs, toMs),
          staleSeconds: this.staleSeconds(fromMs + this.scenario.plan.settleSeconds * 1000, toMs, analysis.step.weight),
        });
        return;
      }
      case 'promote':
        this.emit({ type: 'promoted', at, version: canaryVersion });
        return;
      case 'rollBack': {
        this.rolledBack = true;
        const rollback = state?.rollback as { cause?: string } | undefined;
        this.emit({ type: 'rolled-back', at, version: baselineVersion, cause: rollback?.cause ?? '' });
        return;
      }
      default:
        return;
    }
  }
}
