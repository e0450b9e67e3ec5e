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
import { explainFailure } from '../shared/failure';
import { createRandom } from '../shared/judges/statistics/random';
import { buildWorld, trafficModelOf } from './build-world';
import { VirtualClock, yieldToEventLoop } from './clock';
import { AlarmEventDelivery, type AlarmDelivery } from './alarm-events';
import { applyEvent, describeEvent } from './events';
import { ExecutionObserver, type EventLog } from './execution-observer';
import { loadLocalMachine, readDefinition, runLocally, type LocalMachine } from './local-execution';
import { OutsideWork } from './outside-work';
import type { AlarmInvocation, Outcome, SimulationOptions, SimulationResult, SlackCommandRecord } from './results';
import { SlackWorkspace, type SlackExchange } from './slack';
import { tee } from './tee';
import { taskCatalogue, type TaskCatalogue } from './world/sfn';
import type { Scenario } from './scenario';
import type { AwsWorld } from './world';
import { SyntheticTraffic } from './traffic';

export type * from './results';

/** When every simulated rollout starts: a fixed Monday morning, so runs are reproducible. */
export const ROLLOUT_START_MS = Date.UTC(2030, 0, 7, 9, 0, 0);
export const DEFAULT_SEED = 1;
const TICK_MS = 60_000;

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
