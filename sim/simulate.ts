/**
 * One simulated rollout: the real state machine file, executed by aws-local-stepfunctions with the real
 * Lambda handlers, against the in-memory AWS world a scenario describes, on a virtual clock, with
 * synthetic traffic routed by the weights the rollout writes. Deterministic for a scenario and a seed.
 *
 * Time: the clock starts `warmupSeconds` before the rollout (traffic gives the alarms data), then the
 * execution starts. Time moves only when no task handler is running, by jumping to the next timer: a Wait
 * state's end, a Retry interval, a scenario event, or the one-minute traffic tick. Traffic is generated up
 * to the present before every AWS call, so each stretch is served under one alias state.
 */
import { USD_PER_STATE_TRANSITION } from '../shared/config/limits';
import { explainFailure, type CaughtError } from '../shared/failure';
import type { JudgeResult, Verdict } from '../shared/judges/types';
import type { NextAction, Progress } from '../shared/rollout';
import type { AnalysisOutput } from '../shared/tasks';
import { buildWorld, trafficModelOf, trafficTargetOf } from './build-world';
import { VirtualClock, yieldToEventLoop } from './clock';
import { applyEvent, describeEvent } from './events';
import { loadLocalMachine, runLocally, type LocalMachine } from './local-execution';
import { createRandom } from '../shared/judges/statistics/random';
import { checkRouting, type RoutingCheck } from './routing-check';
import type { Scenario } from './scenario';
import type { AwsWorld } from './world';
import { canaryShareOf, SyntheticTraffic, type Served } from './traffic';

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
  | { readonly type: 'preflight'; readonly at: number; readonly baselineVersion: string; readonly alarms: readonly AlarmSummary[] }
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
    }
  | { readonly type: 'retried'; readonly at: number; readonly state: string; readonly error: string; readonly attempt: number }
  | { readonly type: 'alarm'; readonly at: number; readonly name: string; readonly from: string; readonly to: string; readonly reason: string }
  | { readonly type: 'scenario-event'; readonly at: number; readonly description: string }
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
  readonly routing: RoutingCheck;
  readonly plan: { readonly steps: number; readonly nominalSeconds: number; readonly worstCaseSeconds: number };
}

export interface SimulationOptions {
  /** Seeds traffic and retry jitter; default the scenario's seed, else 1. */
  readonly seed?: number;
  readonly onEvent?: (event: SimulationEvent) => void;
}

/** The execution's event log entries (aws-local-stepfunctions does not export their type). */
type EventLog = ReturnType<typeof runLocally>['eventLogs'] extends AsyncIterable<infer E> ? E : never;

let machine: LocalMachine | undefined;
let running = false;

/** Loads the state machine once per process. */
function localMachine(): LocalMachine {
  machine ??= loadLocalMachine({ validate: false });
  return machine;
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
  const local = localMachine();
  const world = buildWorld(scenario);
  const target = trafficTargetOf(scenario);
  const startMs = ROLLOUT_START_MS;
  const seconds = (ms: number): number => (ms - startMs) / 1000;
  const initial = world.lambda.alias(target.functionName, target.alias);
  const initialRouting = { functionVersion: initial.functionVersion, weights: { ...initial.weights } };

  const undo: Array<() => void> = [];
  const clock = VirtualClock.install(startMs - scenario.world.warmupSeconds * 1000);
  undo.push(() => clock.uninstall());
  try {
    // Retry jitter in aws-local-stepfunctions draws from Math.random: seed it too, for reproducible runs.
    const jitter = createRandom((seed ^ 0x9e3779b9) >>> 0);
    const originalRandom = Math.random;
    Math.random = () => jitter.uniform();
    undo.push(() => (Math.random = originalRandom));

    const traffic = new SyntheticTraffic(world, trafficModelOf(scenario), target, createRandom(seed), {
      startMs: clock.nowMs,
      rolloutStartMs: startMs,
    });
    undo.push(
      world.cloudwatch.onTransition((t) =>
        emit({ type: 'alarm', at: seconds(t.at.getTime()), name: t.name, from: t.from, to: t.to, reason: t.reason }),
      ),
    );
    clock.tick(startMs - clock.nowMs);
    traffic.advanceTo(startMs);

    undo.push(world.install());
    undo.push(world.onBeforeCall(() => traffic.advanceTo(Date.now())));
    setInterval(() => traffic.advanceTo(Date.now()), TICK_MS);
    for (const event of scenario.events) {
      setTimeout(() => {
        traffic.advanceTo(Date.now());
        applyEvent(event, { world, traffic, nowMs: Date.now() });
        emit({ type: 'scenario-event', at: event.at, description: describeEvent(event) });
      }, event.at * 1000);
    }
    emit({ type: 'started', at: 0, scenario, seed });

    let inFlight = 0;
    let finished = false;
    const execution = runLocally(local, scenario.rollout, {
      executionName: `simulation-${scenario.name}-${seed}`,
      beforeTask: () => {
        inFlight += 1;
      },
      afterTask: () => {
        inFlight -= 1;
      },
    });
    const observer = new ExecutionObserver(local, scenario, traffic, world, seconds, emit);
    const observing = observer.consume(execution.eventLogs);
    const settled = execution.result.then(
      () => 'SUCCEEDED' as const,
      () => 'FAILED' as const,
    );
    void settled.then(() => {
      finished = true;
    });

    // Worst case plus room for retries; beyond it something is stuck, and the run must say so rather than spin.
    const deadlineMs = startMs + (scenario.plan.worstCaseSeconds * 1.1 + 6 * 3600) * 1000;
    while (!finished) {
      do await yieldToEventLoop();
      while (inFlight > 0 && !finished);
      if (finished) break;
      if (clock.nowMs > deadlineMs || !clock.advance()) {
        execution.abort();
        throw new Error(`The simulated execution did not finish by ${seconds(clock.nowMs)} s of simulated time; last state: ${observer.lastState}`);
      }
    }
    const status = await settled;
    await observing;
    const endMs = clock.nowMs;
    traffic.advanceTo(endMs);

    const alias = world.lambda.alias(target.functionName, target.alias);
    const canary = traffic.served(target.canaryVersion, startMs, endMs);
    const baseline = traffic.served(target.baselineVersion, startMs, endMs);
    const stateTransitions = observer.statesEntered + observer.retries;
    const outcome: Outcome = status === 'SUCCEEDED' ? 'promoted' : observer.rolledBack ? 'rolled_back' : 'failed';
    const failure = observer.failure;
    const result: SimulationResult = {
      scenario: scenario.name,
      seed,
      outcome,
      finalWeight: canaryShareOf(alias, target.canaryVersion),
      reason: outcome === 'promoted' ? observer.promotionReason() : failure === null ? 'the execution failed' : explainFailure(failure),
      error: outcome === 'promoted' ? null : (failure?.Error ?? null),
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
      routing: checkRouting({
        initial: initialRouting,
        writes: world.lambda.aliasChanges.filter((c) => c.functionName === target.functionName && c.alias === target.alias),
        served: traffic.segments.map((s) => s.routing),
        planWeights: scenario.plan.steps.map((s) => s.weight),
        baselineVersion: target.baselineVersion,
        canaryVersion: target.canaryVersion,
      }),
      plan: {
        steps: scenario.plan.steps.length,
        nominalSeconds: scenario.plan.nominalSeconds,
        worstCaseSeconds: scenario.plan.worstCaseSeconds,
      },
    };
    emit({ type: 'finished', at: result.simulatedSeconds, result });
    return result;
  } finally {
    for (const step of undo.reverse()) step();
  }
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
    private readonly traffic: SyntheticTraffic,
    private readonly world: AwsWorld,
    private readonly seconds: (ms: number) => number,
    private readonly emit: (event: SimulationEvent) => void,
  ) {}

  async consume(events: AsyncIterable<EventLog>): Promise<void> {
    for await (const event of events) this.observe(event);
  }

  promotionReason(): string {
    const version = this.scenario.target.version;
    const n = this.scenario.plan.steps.length;
    if (n === 0) return `all at once: version ${version} takes all traffic without canary steps`;
    const last = this.steps[this.steps.length - 1];
    return `${last?.lastReason ?? 'every step passed'}; version ${version} takes all traffic`;
  }

  stepResults(endMs: number): StepResult[] {
    const canaryVersion = this.scenario.target.version;
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
      default:
        return;
    }
  }

  /** Task results by the Lambda function behind the state, so renaming states does not break the simulator. */
  private taskFinished(stateName: string, output: unknown, timestamp: number): void {
    const state = output as Record<string, unknown> | undefined;
    const at = this.seconds(timestamp);
    const { target } = this.scenario;
    const stepCount = this.scenario.plan.steps.length;
    switch (this.local.taskFunctions[stateName]) {
      case 'preflight': {
        const rollout = state?.rollout as { baseline: { version?: unknown } } | undefined;
        this.emit({
          type: 'preflight',
          at,
          baselineVersion: String(rollout?.baseline.version ?? this.scenario.baselineVersion),
          alarms: this.scenario.request.analysis.alarms.map((name) => ({ name, state: this.world.cloudwatch.alarmState(name) ?? 'MISSING' })),
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
          canary: this.traffic.served(target.version, fromMs, toMs),
          baseline: this.traffic.served(this.scenario.baselineVersion, fromMs, toMs),
        });
        return;
      }
      case 'promote':
        this.emit({ type: 'promoted', at, version: target.version });
        return;
      case 'rollBack': {
        this.rolledBack = true;
        const rollback = state?.rollback as { cause?: string } | undefined;
        this.emit({ type: 'rolled-back', at, version: this.scenario.baselineVersion, cause: rollback?.cause ?? '' });
        return;
      }
      default:
        return;
    }
  }
}
