/**
 * Reads a simulated execution's event log as it is written: counts transitions and retries, and turns each
 * task's result into the progress the simulation reports (preflight, shifts, analyses, promotion, rollback).
 */
import { explainFailure, type CaughtError } from '../shared/failure';
import type { JudgeResult } from '../shared/judges/types';
import type { NextAction, Progress, Verdict } from '../shared/rollout';
import type { AnalysisOutput } from '../shared/tasks/analyze';
import type { BakeLookOutput } from '../shared/post-promotion';
import type { HookAnswer } from '../shared/hooks/hook-answer';
import { STATE_PAYLOAD_LIMIT_BYTES } from '../shared/config/limits';
import { routerKindFor } from '../shared/routers/registry';
import type { LocalMachine, runLocally } from './local-execution';
import type { AlarmSummary, SimulationEvent, StepResult } from './results';
import { deploymentName, type Scenario } from './scenario';
import type { SyntheticTraffic } from './traffic';
import type { AwsWorld } from './world';

/** The execution's event log entries (aws-local-stepfunctions does not export their type). */
export type EventLog = ReturnType<typeof runLocally>['eventLogs'] extends AsyncIterable<infer E> ? E : never;

function alarmSummaries(checks: readonly JudgeResult[]): AlarmSummary[] {
  return checks.flatMap((check) => {
    const alarms = check.evidence.alarms;
    return Array.isArray(alarms) ? (alarms as Array<{ name: string; state: string }>).map(({ name, state }) => ({ name, state })) : [];
  });
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
export class ExecutionObserver {
  statesEntered = 0;
  retries = 0;
  rolledBack = false;
  failure: CaughtError | null = null;
  lastState = '(none)';
  /** The largest state input or output seen, in UTF-8 bytes of its JSON. */
  maxStateBytes = 0;
  /** Set when a state passed the payload limit: the execution fails with States.DataLimitExceeded. */
  dataLimitExceeded = false;
  private readonly steps: StepRecord[] = [];
  /** Each state's last error, for its retry line and, once caught, its failure line. */
  private readonly lastError = new Map<string, CaughtError>();
  /** States whose error a Catch took: their StateExited carries the catcher's output, not a result. */
  private readonly caught = new Set<string>();

  constructor(
    private readonly local: LocalMachine,
    private readonly scenario: Scenario,
    private readonly traffic: SyntheticTraffic<unknown>,
    private readonly world: AwsWorld,
    private readonly seconds: (ms: number) => number,
    private readonly emit: (event: SimulationEvent) => void,
    /** What StopExecution left: its error and cause, and the canary's share then. */
    private readonly stopDetails: () => { error: string | null; cause: string | null; canaryWeight: number },
    /** Fails the execution as Step Functions does, with no Catch: called once, when a state passes the limit. */
    private readonly failExecution: (failure: CaughtError) => void,
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
    if (this.dataLimitExceeded) return;
    if (event.type === 'StateEntered') this.measure(event.state.name, 'input', event.state.input);
    if (event.type === 'StateExited') this.measure(event.state.name, 'output', event.state.output);
    if (this.dataLimitExceeded) return;
    switch (event.type) {
      case 'StateEntered':
        this.statesEntered += 1;
        this.lastState = event.state.name;
        if (this.local.gateFunctions[event.state.name] !== undefined) this.gateEntered(event.state.input, event.timestamp);
        return;
      case 'StateFailed':
        this.lastError.set(event.state.name, { Error: event.Error, Cause: causeText(event.Cause) });
        return;
      case 'StateRetried':
        this.retries += 1;
        this.emit({
          type: 'retried',
          at: this.seconds(event.timestamp),
          state: event.state.name,
          error: this.lastError.get(event.state.name)?.Error ?? 'an error',
          attempt: event.retry.attempt,
        });
        return;
      case 'StateCaught':
        this.caught.add(event.state.name);
        return;
      case 'StateExited':
        if (this.caught.delete(event.state.name)) this.taskFailed(event.state.name, event.timestamp);
        else if (this.local.gateFunctions[event.state.name] !== undefined) this.gatePassed(event.state.output, event.timestamp);
        else this.taskFinished(event.state.name, event.state.output, event.timestamp);
        return;
      case 'ExecutionFailed':
        this.failure = { Error: event.Error, Cause: causeText(event.Cause) };
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

  private measure(stateName: string, what: 'input' | 'output', value: unknown): void {
    const bytes = Buffer.byteLength(JSON.stringify(value ?? null), 'utf8');
    this.maxStateBytes = Math.max(this.maxStateBytes, bytes);
    if (bytes <= STATE_PAYLOAD_LIMIT_BYTES) return;
    this.dataLimitExceeded = true;
    this.failure = {
      Error: 'States.DataLimitExceeded',
      Cause: `The ${what} of state ${stateName} is ${bytes} bytes, beyond Step Functions' limit of ${STATE_PAYLOAD_LIMIT_BYTES} bytes (256 KiB); no Catch handles this error`,
    };
    this.failExecution(this.failure);
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

  /** A task whose Catch took its error: it did nothing it reports (no shift, no verdict, no promotion). */
  private taskFailed(stateName: string, timestamp: number): void {
    const failure = this.lastError.get(stateName) ?? { Error: 'States.TaskFailed', Cause: '' };
    if (this.local.gateFunctions[stateName] !== undefined) {
      const timedOut = failure.Error === 'States.Timeout';
      const detail = timedOut ? 'nobody answered in time; the gate’s onTimeout decides' : explainFailure(failure);
      this.emit({ type: 'gate-closed', at: this.seconds(timestamp), decision: timedOut ? 'timed-out' : 'rejected', by: null, detail });
      return;
    }
    // A failed announcement never stops the rollout, and is not one of the tasks the progress reports.
    if (this.local.taskFunctions[stateName] === undefined) return;
    this.emit({ type: 'task-failed', at: this.seconds(timestamp), state: stateName, error: failure.Error, reason: explainFailure(failure) });
  }

  private gateEntered(input: unknown, timestamp: number): void {
    const { analysis } = input as { analysis: AnalysisOutput };
    if (analysis.gate === undefined) return;
    this.emit({ type: 'gate-waiting', at: this.seconds(timestamp), step: analysis.step.index + 1, weight: analysis.step.weight, gate: analysis.gate });
  }

  private gatePassed(output: unknown, timestamp: number): void {
    const { approval } = output as { approval?: { by?: string } };
    this.emit({ type: 'gate-closed', at: this.seconds(timestamp), decision: 'approved', by: approval?.by ?? null, detail: 'the rollout moves on' });
  }

  /** A task that answered without the result the state machine reads: nothing it would report is shown. */
  private malformed(stateName: string, missing: string, at: number): void {
    this.emit({ type: 'task-malformed', at, state: stateName, missing });
  }

  /** Task results by the Lambda function behind the state, so renaming states does not break the simulator. */
  private taskFinished(stateName: string, output: unknown, timestamp: number): void {
    const state = output as Record<string, unknown> | undefined;
    const at = this.seconds(timestamp);
    const { canaryVersion, baselineVersion } = this.scenario;
    const stepCount = this.scenario.plan.steps.length;
    switch (this.local.taskFunctions[stateName]) {
      case 'preflight': {
        const rollout = state?.rollout as
          | { baseline: { version?: unknown; lockHolder?: unknown; greenPercentage?: unknown; bluePins?: unknown; greenPins?: unknown } }
          | undefined;
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
                  pins: { blue: String(rollout?.baseline.bluePins), green: String(rollout?.baseline.greenPins) },
                },
              }
            : {}),
        });
        return;
      }
      case 'shiftTraffic': {
        const progress = state?.progress as Progress | undefined;
        if (typeof progress?.weight !== 'number' || typeof progress.stepIndex !== 'number') return this.malformed(stateName, 'progress', at);
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
        const analysis = state?.analysis as AnalysisOutput | BakeLookOutput | undefined;
        const progress = state?.progress as Progress;
        if (analysis !== undefined && 'phase' in analysis && typeof analysis.verdict === 'string') {
          const { look, looks, verdict, action, reason } = analysis;
          return this.emit({ type: 'bake-look', at, look, looks, verdict, action, reason });
        }
        if (typeof analysis?.verdict !== 'string' || !('step' in analysis)) return this.malformed(stateName, 'analysis', at);
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
      case 'runHook': {
        // Its answer lands in $.analysis.hook, or $.promotion.hook for postTraffic.
        const holder = (state?.promotion as { hook?: HookAnswer } | undefined)?.hook ?? (state?.analysis as { hook?: HookAnswer } | undefined)?.hook;
        if (holder === undefined) return this.malformed(stateName, 'hook', at);
        this.emit({ type: 'hook', at, hook: holder.hook, function: holder.function, status: holder.status, reason: holder.reason });
        return;
      }
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

function causeText(cause: unknown): string {
  return typeof cause === 'string' ? cause : JSON.stringify(cause);
}
