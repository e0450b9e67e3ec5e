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
import { describeRecord } from '../shared/actions/restore-decision';
import type { RestoreRecord } from '../shared/routers/restore-record';
import { USD_PER_STATE_TRANSITION } from '../shared/config/limits';
import { explainFailure } from '../shared/failure';
import { createRandom } from './random';
import { buildWorld, trafficModelOf } from './build-world';
import { SimulatedPrometheus } from './world/prometheus';
import { VirtualClock, yieldToEventLoop } from './clock';
import { AlarmEventDelivery, type AlarmDelivery } from './alarm-events';
import { applyEvent, describeEvent } from './events';
import { ExecutionObserver, type EventLog } from './execution-observer';
import { LOCAL_EVENT_BUS_NAME, loadLocalMachine, readDefinition, runLocally, type LocalMachine } from './local-execution';
import { OutsideWork, type ScheduledWork } from './outside-work';
import type { AlarmInvocation, CliCommandRecord, Outcome, ReconcileInvocation, SimulationEvent, SimulationOptions, SimulationResult, SlackCommandRecord } from './results';
import { SimulatedTerminal, type CliExchange } from './cli';
import { STATE_MACHINE_ENV } from '../cli/aws/state-machine';
import { ReconcilerDelivery, type ReconcileDelivery } from './reconciler';
import { SlackWorkspace, type SlackExchange } from './slack';
import { tee } from './tee';
import { taskCatalogue, type ExecutionRecord, type TaskCatalogue } from './world/sfn';
import type { Scenario } from './scenario';
import type { AwsWorld } from './world';
import { SyntheticTraffic } from './traffic';
import { TaskFaults } from './task-faults';
import { readStopCause } from '../shared/stop-cause';
import { MANUAL_PROMOTE_ERROR } from '../shared/stop-errors';

export type * from './results';

/** When every simulated rollout starts: a fixed Monday morning, so runs are reproducible. */
export const ROLLOUT_START_MS = Date.UTC(2030, 0, 7, 9, 0, 0);
export const DEFAULT_SEED = 1;
const TICK_MS = 60_000;
/** After the execution ends, outside handlers have one simulated hour to settle. */
const RUN_ON_MS = 3600_000;

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

export async function simulate(scenario: Scenario, options: SimulationOptions = {}): Promise<SimulationResult> {
  if (running) throw new Error('A simulation is already running in this process: the virtual clock and the AWS clients are global.');
  running = true;
  try {
    return await simulateOnce(scenario, options);
  } finally {
    running = false;
  }
}

/** The moving parts of one simulation, shared by its steps. */
interface Simulation {
  readonly scenario: Scenario;
  readonly seed: number;
  readonly emit: (event: SimulationEvent) => void;
  readonly simulated: ReturnType<typeof buildWorld>;
  readonly world: AwsWorld;
  readonly clock: VirtualClock;
  readonly traffic: SyntheticTraffic<unknown>;
  /** Every handler outside the state machine registers its work here; the run goes on until it is idle. */
  readonly outside: OutsideWork;
  readonly startMs: number;
  readonly seconds: (ms: number) => number;
  /** Each write of the canary's share, by anyone. */
  readonly shareWrites: Array<{ atMs: number; share: number }>;
  /** Each write to the target (the canary's share, the store's lock), by anyone. */
  readonly targetWrites: number[];
  /** Faults of the Lambda tasks themselves, from task-fault events. */
  readonly taskFaults: TaskFaults;
  /** Undone in reverse order when the simulation ends. */
  readonly undo: Array<() => void>;
}

/** The execution as it runs: its record in the in-memory Step Functions and what is observed of it. */
interface Execution {
  readonly record: ExecutionRecord;
  readonly observer: ExecutionObserver;
  readonly observing: Promise<void>;
  readonly finished: () => boolean;
  /** A task handler is running: time waits for it. */
  readonly busy: () => boolean;
  readonly abort: () => void;
}

async function simulateOnce(scenario: Scenario, options: SimulationOptions): Promise<SimulationResult> {
  const wallStart = performance.now();
  const seed = options.seed ?? scenario.seed ?? DEFAULT_SEED;
  const undo: Array<() => void> = [];
  try {
    const simulation = await prepareWorld(scenario, seed, options.onEvent ?? (() => undefined), undo);
    const { slackCommands, cliCommands } = scheduleScenarioEvents(simulation);
    // The alarm path is connected before the execution starts, and asks it whether it still runs.
    const started: { execution?: Execution } = {};
    const alarmEventsEnabled = options.alarmEvents ?? scenario.alarmEvents.enabled;
    const invocations = alarmEventsEnabled ? deliverAlarmEvents(simulation, () => started.execution?.finished() !== true) : [];
    const reconciles = deliverToReconciler(simulation);
    simulation.emit({ type: 'started', at: 0, scenario, seed });
    const execution = startExecution(simulation);
    started.execution = execution;
    const notReached = await runUntilSettled(simulation, execution);
    const result = resultOf(simulation, execution, { alarmEventsEnabled, invocations, reconciles, slackCommands, cliCommands, notReached, wallStart });
    await options.afterRun?.({ executionArn: execution.record.executionArn, executionName: execution.record.name });
    simulation.emit({ type: 'finished', at: result.simulatedSeconds, result });
    return result;
  } finally {
    for (const step of undo.reverse()) step();
  }
}

/** The world built and connected, the clock and the traffic through the warm-up, up to the rollout's start. */
async function prepareWorld(scenario: Scenario, seed: number, emit: (event: SimulationEvent) => void, undo: Array<() => void>): Promise<Simulation> {
  const simulated = buildWorld(scenario, seed);
  const { world } = simulated;
  const startMs = ROLLOUT_START_MS;
  const seconds = (ms: number): number => (ms - startMs) / 1000;
  const clock = VirtualClock.install(startMs - scenario.world.warmupSeconds * 1000);
  undo.push(() => clock.uninstall());
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
  const { prometheus } = scenario.request.analysis;
  if (prometheus !== undefined) {
    // Only a mesh reports Istio series; parseScenario refuses analysis.prometheus for other targets.
    const { routing } = simulated;
    const mesh = new SimulatedPrometheus({
      metrics: world.cloudwatch.metrics,
      namespace: routing.namespace,
      service: String(routing.dimensions(null).Service),
      versions: [routing.baselineVersion, routing.canaryVersion],
      beforeQuery: () => traffic.advanceTo(Date.now()),
    });
    undo.push(mesh.install(prometheus.url));
  }
  // The outside handlers and the CLI (a scenario's cli events) find the state machine and the bus by these
  // (announceGate and the reconciler put their events on the local bus); the grace of race rule (c) stays at
  // its default, 0.
  undo.push(
    setEnvironment({
      STATE_MACHINE_ARN: world.sfn.stateMachineArn,
      [STATE_MACHINE_ENV]: world.sfn.stateMachineArn,
      EVENT_BUS_NAME: LOCAL_EVENT_BUS_NAME,
      RECONCILE_SWEEP_INTERVAL_SECONDS: String(scenario.world.reconciler.sweepMinutes * 60),
      ALARM_ROLLBACK_GRACE_SECONDS: undefined,
    }),
  );
  const shareWrites: Array<{ atMs: number; share: number }> = [];
  undo.push(simulated.onCanaryShareWritten((share) => shareWrites.push({ atMs: Date.now(), share })));
  const targetWrites: number[] = [];
  undo.push(simulated.onTargetWritten(() => targetWrites.push(Date.now())));
  setInterval(() => traffic.advanceTo(Date.now()), TICK_MS);
  return {
    scenario,
    seed,
    emit,
    simulated,
    world,
    clock,
    traffic,
    outside: new OutsideWork(),
    startMs,
    seconds,
    shareWrites,
    targetWrites,
    taskFaults: new TaskFaults(),
    undo,
  };
}

/** Each scenario event as outside work at its time, whether the execution still runs then or not. */
function scheduleScenarioEvents({ scenario, world, traffic, outside, emit, seconds, taskFaults }: Simulation): { slackCommands: SlackCommandRecord[]; cliCommands: CliCommandRecord[] } {
  const slack = new SlackWorkspace(scenario.slack, outside.clock);
  const terminal = new SimulatedTerminal(outside.clock, (args, printed) =>
    emit({ type: 'cli-output', at: seconds(printed.atMs), args, stream: printed.stream, line: printed.line }),
  );
  const slackCommands: SlackCommandRecord[] = [];
  const cliCommands: CliCommandRecord[] = [];
  for (const event of scenario.events) {
    const description = describeEvent(event);
    outside.schedule(event.at * 1000, `scenario event at ${event.at} s: ${description}`, async () => {
      traffic.advanceTo(Date.now());
      emit({ type: 'scenario-event', at: event.at, description });
      await applyEvent(event, { world, traffic, nowMs: Date.now(), slack, terminal, tasks: taskFaults });
      for (const exchange of slack.exchanges.splice(0)) {
        const command = slackCommandRecord(exchange, seconds);
        slackCommands.push(command);
        emit({ type: 'slack', at: command.atSeconds, command });
      }
      for (const exchange of terminal.exchanges.splice(0)) {
        const command = cliCommandRecord(exchange, seconds);
        cliCommands.push(command);
        emit({ type: 'cli', at: seconds(Date.now()), command });
      }
    });
  }
  return { slackCommands, cliCommands };
}

/** The alarm push path: moves to ALARM while the execution runs reach the alarm rollback through EventBridge. */
function deliverAlarmEvents({ scenario, world, outside, emit, seconds, undo }: Simulation, isRunning: () => boolean): AlarmInvocation[] {
  const invocations: AlarmInvocation[] = [];
  const delivery = new AlarmEventDelivery(outside, scenario.alarmEvents, isRunning, (d) => {
    const invocation = alarmInvocationOf(d, seconds);
    invocations.push(invocation);
    emit({ type: 'alarm-event', at: invocation.atSeconds, invocation });
  });
  undo.push(world.cloudwatch.onTransition((t) => delivery.transitioned(t)));
  return invocations;
}

/** The reconciler as deployed: the execution's status change through EventBridge, and the sweep's schedule. */
function deliverToReconciler({ scenario, world, simulated, outside, emit, seconds, startMs, undo }: Simulation): ReconcileInvocation[] {
  const invocations: ReconcileInvocation[] = [];
  const delivery = new ReconcilerDelivery(outside, scenario.world.reconciler, world.sfn.stateMachineArn, startMs, () => simulated.targetSafe(), (d) => {
    const invocation = reconcileInvocationOf(d, seconds);
    invocations.push(invocation);
    emit({ type: 'reconciled', at: invocation.atSeconds, invocation });
  });
  undo.push(world.sfn.onClose((execution) => delivery.executionEnded(execution)));
  return invocations;
}

/** Starts the rollout's execution in the in-memory Step Functions, run locally, observed as it goes. */
function startExecution(simulation: Simulation): Execution {
  const { scenario, seed, world, simulated, traffic, seconds, emit, taskFaults } = simulation;
  const { local, tasks } = localMachine();
  // A hung invocation is not working: time moves while it waits.
  const idle = async (ms: number): Promise<void> => {
    inFlight -= 1;
    await new Promise((resolve) => setTimeout(resolve, ms));
    inFlight += 1;
  };
  let inFlight = 0;
  let finished = false;
  let run: ReturnType<typeof runLocally> | undefined;
  let eventLogs: AsyncIterable<EventLog> | undefined;
  world.sfn.useRunner((input, name) => {
    run = runLocally(local, input, {
      executionName: name,
      taskTokens: world.sfn.tokens,
      beforeTask: async () => {
        inFlight += 1;
        // The observer measures each state as it is entered: a state past the payload limit ends the execution
        // before its task runs, as in Step Functions.
        await yieldToEventLoop();
        if (record.status === 'RUNNING') return;
        inFlight -= 1;
        throw new Error(`The execution has ended (${record.status}); the task does not run`);
      },
      afterTask: () => {
        inFlight -= 1;
      },
      runTask: (stateName, invoke) => taskFaults.run(stateName, invoke, idle),
    });
    // One copy for the history the outside handlers read, one for the progress.
    const [forHistory, forObserver] = tee(run.eventLogs, 2) as [AsyncIterable<EventLog>, AsyncIterable<EventLog>];
    eventLogs = forObserver;
    return { abort: () => run?.abort(), result: run.result, eventLogs: forHistory };
  }, tasks);
  const name = executionNameOf(scenario, seed);
  const record = world.sfn.start(scenario.rollout, name);
  const observer = new ExecutionObserver(
    local,
    scenario,
    traffic,
    world,
    seconds,
    emit,
    () => ({ error: record.error ?? null, cause: record.cause ?? null, canaryWeight: simulated.canaryShare() }),
    (failure) => world.sfn.fail(name, failure.Error, failure.Cause ?? ''),
  );
  const observing = eventLogs === undefined ? Promise.resolve() : observer.consume(eventLogs);
  void record.settled.then(() => {
    finished = true;
  });
  return { record, observer, observing, finished: () => finished, busy: () => inFlight > 0, abort: () => run?.abort() };
}

/**
 * Moves time until the execution has ended and every outside handler has settled (scenario events still to
 * come, alarm deliveries and their retries, whatever else registered work), at most RUN_ON_MS after the end.
 * Returns the outside work not reached by then.
 */
async function runUntilSettled(simulation: Simulation, execution: Execution): Promise<ScheduledWork[]> {
  const { scenario, simulated, clock, outside, startMs, seconds, traffic } = simulation;
  // Worst case plus room for retries; beyond it something is stuck, and the run must say so rather than spin.
  const deadlineMs = startMs + (scenario.plan.worstCaseSeconds * 1.1 + 6 * 3600) * 1000;
  const runOnUntilMs = (): number => (execution.record.stopDate?.getTime() ?? Infinity) + RUN_ON_MS;
  const done = (): boolean => execution.finished() && (outside.idle || clock.nowMs >= runOnUntilMs());
  while (!done()) {
    do await yieldToEventLoop();
    while ((execution.busy() || outside.busy) && !done());
    if (done()) break;
    // The edge answers for a new store asynchronously; no request may need that answer before it exists.
    await simulated.settled();
    if ((!execution.finished() && clock.nowMs > deadlineMs) || !clock.advance()) {
      execution.abort();
      throw new Error(`The simulated execution did not finish by ${seconds(clock.nowMs)} s of simulated time; last state: ${execution.observer.lastState}`);
    }
  }
  await execution.observing;
  await simulated.settled();
  traffic.advanceTo(clock.nowMs);
  return outside.notStarted;
}

interface Collected {
  readonly alarmEventsEnabled: boolean;
  readonly invocations: AlarmInvocation[];
  readonly reconciles: ReconcileInvocation[];
  readonly slackCommands: SlackCommandRecord[];
  readonly cliCommands: CliCommandRecord[];
  readonly notReached: readonly ScheduledWork[];
  readonly wallStart: number;
}

function resultOf(simulation: Simulation, execution: Execution, collected: Collected): SimulationResult {
  const { scenario, seed, simulated, world, traffic, startMs, seconds, shareWrites, targetWrites, clock } = simulation;
  const { record, observer } = execution;
  // The rollout ends with its execution, or with a later write of the canary's share (an alarm that fired while
  // it ran rolling back a promotion): a duplicate alarm event handled afterwards does not make it longer.
  const endMs = Math.max(record.stopDate?.getTime() ?? clock.nowMs, ...shareWrites.map((w) => w.atMs));
  const canary = traffic.served(scenario.canaryVersion, startMs, endMs);
  const baseline = traffic.served(scenario.baselineVersion, startMs, endMs);
  const edge = simulated.edgeSummary();
  const stateTransitions = observer.statesEntered + observer.retries;
  const finalWeight = simulated.canaryShare();
  const stopMs = record.stopDate?.getTime() ?? clock.nowMs;
  const lastWriteMs = Math.max(stopMs, ...targetWrites);
  const ending = {
    finalWeight,
    moved: shareWrites.some((w) => w.share > 0),
    invocations: collected.invocations,
    reconciled: collected.reconciles.find((r) => r.outcome === 'rolled-back'),
    restored: simulated.restoreRecord(),
  };
  return {
    scenario: scenario.name,
    seed,
    ...endingOf(record, observer, ending),
    finalWeight,
    endedSeconds: seconds(stopMs),
    timeToSafeSeconds: simulated.targetSafe() ? (lastWriteMs - stopMs) / 1000 : null,
    steps: observer.stepResults(endMs),
    stateTransitions,
    retries: observer.retries,
    maxStateBytes: observer.maxStateBytes,
    costUsd: Math.round(stateTransitions * USD_PER_STATE_TRANSITION * 1e6) / 1e6,
    simulatedSeconds: seconds(endMs),
    settledSeconds: seconds(clock.nowMs),
    notReached: collected.notReached.map((w) => ({ atSeconds: seconds(w.atMs), description: w.description })),
    wallMilliseconds: Math.round(performance.now() - collected.wallStart),
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
    alarmEvents: { enabled: collected.alarmEventsEnabled, delaySeconds: scenario.alarmEvents.delaySeconds, invocations: collected.invocations },
    reconciler: { enabled: scenario.world.reconciler.enabled, invocations: collected.reconciles },
    taskFaults: simulation.taskFaults.struck.map((s) => ({ state: s.state, fault: s.fault, atSeconds: seconds(s.atMs) })),
    slackCommands: collected.slackCommands,
    cliCommands: collected.cliCommands,
    routing: simulated.checkRouting(traffic),
    plan: {
      steps: scenario.plan.steps.length,
      nominalSeconds: scenario.plan.nominalSeconds,
      worstCaseSeconds: scenario.plan.worstCaseSeconds,
    },
    ...(edge === undefined ? {} : { edge }),
  };
}

/** What the end of the run shows, for the outcome: the target as left, and who acted after the execution. */
interface EndingFacts {
  readonly finalWeight: number;
  /** The canary ever had a share above 0 %: a refusal before that moved nothing. */
  readonly moved: boolean;
  readonly invocations: readonly AlarmInvocation[];
  /** The reconciler's invocation that returned the target to 0 %, if any. */
  readonly reconciled: ReconcileInvocation | undefined;
  /** A person's restore after the promotion, as the target records it. */
  readonly restored: RestoreRecord | undefined;
}

/** The outcome the target shows: 0 % rolled back (or refused, if nothing moved), 100 % promoted, between: failed. */
function outcomeOfWeight(finalWeight: number, moved: boolean): Outcome {
  if (finalWeight === 100) return 'promoted';
  if (finalWeight === 0) return moved ? 'rolled_back' : 'failed';
  return 'failed';
}

/** How the rollout ended: the execution's status and what its ender said, then what the reconciler did after it. */
function endingOf(
  record: { readonly status?: string; readonly error?: string; readonly cause?: string },
  observer: ExecutionObserver,
  facts: EndingFacts,
): Pick<SimulationResult, 'outcome' | 'reason' | 'error'> {
  const { finalWeight, moved, invocations, reconciled, restored } = facts;
  const andThen = (reason: string): string =>
    reconciled === undefined
      ? reason
      : `${reason.replace(/\.?$/, '.')} Then the reconciler (its ${reconciled.trigger}, ${reconciled.atSeconds} s after the start) returned the target to 0 %: ${reconciled.restored ?? reconciled.detail}.`;
  switch (record.status) {
    case 'SUCCEEDED': {
      if (finalWeight !== 0) return { outcome: 'promoted', reason: observer.promotionReason(), error: null };
      if (restored !== undefined) {
        return { outcome: 'rolled_back', reason: `Promoted, then restored to ${restored.restored} in the rollback window ${describeRecord(restored)}`, error: null };
      }
      // Race rule (c): an alarm that fired while the execution ran rolls back even a promotion.
      const rollback = invocations.find((i) => i.outcome === 'acted');
      return { outcome: 'rolled_back', reason: `Promoted, then rolled back by the alarm rollback: ${rollback?.detail ?? 'the canary is at 0 %'}`, error: null };
    }
    case 'ABORTED': {
      // Stopped from outside: the alarm rollback or a Slack command, whose cause says who, why and how fast; or a
      // plain StopExecution (the console), with neither.
      const stopped =
        record.cause !== undefined
          ? readStopCause(record.cause).sentence
          : record.error !== undefined
            ? `stopped from outside (${record.error})`
            : 'stopped from outside with no rollback (a plain StopExecution, as the console does)';
      // A person's promote stops the execution first: the cause says what was asked, the target what came of it.
      const promoteFailed = record.error === MANUAL_PROMOTE_ERROR && finalWeight !== 100;
      const left = reconciled === undefined ? `: the promote command left the canary at ${finalWeight} % (its Slack reply says why)` : '';
      const reason = promoteFailed ? `${stopped.replace(/\.?$/, '.')} The promotion did not complete${left}.` : stopped;
      return { outcome: outcomeOfWeight(finalWeight, true), reason: andThen(reason), error: record.error ?? null };
    }
    default: {
      const failure = observer.failure;
      return {
        outcome: outcomeOfWeight(finalWeight, moved || observer.rolledBack),
        reason: andThen(failure === null ? 'the execution failed' : explainFailure(failure)),
        error: failure?.Error ?? record.error ?? null,
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

function cliCommandRecord(exchange: CliExchange, seconds: (ms: number) => number): CliCommandRecord {
  return {
    atSeconds: seconds(exchange.atMs),
    args: [...exchange.args],
    exitCode: exchange.exitCode,
    output: exchange.output.map((o) => ({ atSeconds: seconds(o.atMs), stream: o.stream, line: o.line })),
  };
}

function reconcileInvocationOf(delivery: ReconcileDelivery, seconds: (ms: number) => number): ReconcileInvocation {
  const { atMs, ...rest } = delivery;
  return { ...rest, atSeconds: seconds(atMs) };
}

function slackCommandRecord(exchange: SlackExchange, seconds: (ms: number) => number): SlackCommandRecord {
  const { atMs, ...rest } = exchange;
  return { atSeconds: seconds(atMs), ...rest };
}
