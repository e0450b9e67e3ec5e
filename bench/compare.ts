/**
 * The judge comparison: seeded rollouts of each scenario, every judge on the same minutes of traffic.
 *
 * A rollout shifts through its steps; each step bakes while the judge looks: coalmine every interval, with
 * the state machine's decisions (decideNextAction), the others once at the step's end. Traffic is drawn per
 * step and minute from a stream seeded by (seed, scenario, repetition, step), so minute m of step s is the
 * same whichever judge runs and whenever it gets there (the statistical judge may bake a step longer).
 * Judges that watch alarms see every minute as it is served and may stop the rollout at any minute's end.
 */
import { createRandom, type RandomSource } from '../sim/random';
import { normalCdf, normalQuantile } from '../shared/judges/statistics/distributions';
import { zTestPower } from '../shared/judges/statistics/sample-size';
import { thresholdFrom } from '../shared/judges/metrics';
import { bakedSecondsAt, decideNextAction, firstLookSeconds, intervalOf, type LookClock, type Progress, type Shift } from '../shared/rollout';
import type { Behaviour, BehaviourChange } from '../sim/traffic';
import { MINUTE_MS, type BenchSlo, type JudgeFactory, type LoggedMinute, type RolloutView, type StepShape } from './judges';
import { canaryBehaviourAt, drawArm, latencyCdf, latencyOf, type MinuteTraffic } from './minute-traffic';

/** The simulator's rollout start: Monday 2030-01-07 09:00 UTC. */
export const START_MS = Date.UTC(2030, 0, 7, 9, 0, 0);
/** Minutes of traffic before the rollout, from which the latency threshold is read. */
const REFERENCE_MINUTES = 60;

export interface BenchScenario {
  readonly name: string;
  readonly description: string;
  readonly requestsPerSecond: number;
  readonly baseline: Behaviour;
  readonly canary: Behaviour;
  /** Weight-based changes only: time-based ones would differ between judges whose timelines differ. */
  readonly changes: readonly BehaviourChange[];
  readonly steps: readonly StepShape[];
  /** False for A/A scenarios: every rollback is a false one. */
  readonly regression: boolean;
  /**
   * Detection counts only up to this many seconds after the first shift, and the power limit takes the
   * counts of that time; without it, a rollback at any time counts and the limit takes the whole plan.
   */
  readonly deadlineSeconds?: number;
  /** Fewer repetitions than the others (expensive, or a rate that needs no precision). */
  readonly repetitionsFactor?: number;
  /**
   * The request's analysis.slo, for the judges that take one (coalmine's). A regression is then the canary's
   * burn rate above maxBurnRate, whatever the baseline does, and the limit is the one-sample z-test's.
   */
  readonly slo?: BenchSlo;
  /** A/A: the time within which healthy canaries should promote (the documented bound); figures say how many did. */
  readonly promoteWithinSeconds?: number;
}

export interface Policy {
  readonly maxExtraSeconds: number;
  readonly then: 'rollback' | 'proceed';
}

export interface RunOutcome {
  /** Rolled back by the judge (a fail verdict, or an alarm). */
  readonly failed: boolean;
  /** The policy ended it undecided: rolled back as inconclusive, or promoted with the last look inconclusive. */
  readonly endedInconclusive: boolean;
  readonly promoted: boolean;
  /** Seconds from the first shift to the rollback or the promotion. */
  readonly endedAtSeconds: number;
  readonly canaryErrors: number;
  readonly canaryRequests: number;
  /** The minutes served, oldest first: what another judge watching alarms would have seen. */
  readonly minutes: readonly LoggedMinute[];
}

/** splitmix-style hash: independent streams for nearby seeds. */
export function mix(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const part of parts) {
    h = Math.imul(h ^ (part >>> 0), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return h >>> 0;
}

/** The traffic of one repetition: the hour before the rollout, then each step's minutes, drawn on demand. */
export class RolloutTraffic {
  readonly reference = new Map<number, number>();
  readonly thresholds: { readonly baseline: number; readonly canary: number };
  private readonly streams: RandomSource[] = [];
  private readonly minutes: MinuteTraffic[][] = [];

  constructor(
    private readonly scenario: BenchScenario,
    private readonly seed: number,
    latencyAllowedIncrease: number,
  ) {
    const random = createRandom(mix(seed, 0x5eed));
    for (let m = REFERENCE_MINUTES; m >= 1; m -= 1) {
      const arm = drawArm(random, random.poisson(scenario.requestsPerSecond * 60), scenario.baseline, Infinity);
      if (arm.p99 !== undefined) this.reference.set(START_MS - m * MINUTE_MS, arm.p99);
    }
    // The judge's own rule for the threshold (shared/judges/metrics/queries.ts), on the same data.
    const reading = thresholdFrom(this.reference, START_MS, START_MS);
    const baseline = reading?.value ?? Infinity;
    this.thresholds = { baseline, canary: baseline * (1 + latencyAllowedIncrease) };
  }

  minute(stepIndex: number, index: number): MinuteTraffic {
    const step = this.scenario.steps[stepIndex] as StepShape;
    this.streams[stepIndex] ??= createRandom(mix(this.seed, stepIndex + 1));
    const drawn = (this.minutes[stepIndex] ??= []);
    while (drawn.length <= index) {
      const random = this.streams[stepIndex] as RandomSource;
      const share = step.weight / 100;
      const rate = this.scenario.requestsPerSecond * 60;
      const canaryBehaviour = canaryBehaviourAt(this.scenario.canary, this.scenario.changes, step.weight, 0);
      drawn.push({
        canary: drawArm(random, random.poisson(rate * share), canaryBehaviour, this.thresholds.canary),
        baseline: drawArm(random, random.poisson(rate * (1 - share)), this.scenario.baseline, this.thresholds.baseline),
      });
    }
    return drawn[index] as MinuteTraffic;
  }
}

/**
 * The outcome had `alarms` watched the same rollout too, as a request with both analysis.alarms and
 * analysis.metrics: until the first alarm the timeline is the judge's own, so replaying its minutes through
 * the alarm judge is the same as running both (and takes none of the statistical judge's time again).
 */
export function withAlarms(outcome: RunOutcome, alarms: JudgeFactory, view: RolloutView, steps: readonly StepShape[]): RunOutcome {
  const alarm = alarms.create(view, steps);
  let canaryErrors = 0;
  let canaryRequests = 0;
  for (const [i, minute] of outcome.minutes.entries()) {
    canaryErrors += minute.traffic.canary.errors;
    canaryRequests += minute.traffic.canary.requests;
    if (alarm.onMinute?.(minute) === 'rollback') {
      const endedAtSeconds = (minute.atMs + MINUTE_MS - START_MS) / 1000;
      // An alarm at the very minute the judge decided does not change the outcome.
      if (i === outcome.minutes.length - 1 && outcome.failed) return outcome;
      return { failed: true, endedInconclusive: false, promoted: false, endedAtSeconds, canaryErrors, canaryRequests, minutes: outcome.minutes.slice(0, i + 1) };
    }
  }
  return outcome;
}

/** One rollout of one judge over the repetition's traffic. */
export async function runRollout(scenario: BenchScenario, traffic: RolloutTraffic, factory: JudgeFactory): Promise<RunOutcome> {
  const minutes: LoggedMinute[] = [];
  const view: RolloutView = { startMs: START_MS, minutes, reference: traffic.reference, thresholds: traffic.thresholds };
  const judge = factory.create(view, scenario.steps, scenario.slo);
  const deployed = factory.deployed?.(scenario.steps, scenario.slo);
  const shifts: Shift[] = [];
  let nowMs = START_MS;
  let canaryErrors = 0;
  let canaryRequests = 0;
  let endedInconclusive = false;
  const end = (failed: boolean, promoted: boolean): RunOutcome => ({
    failed,
    endedInconclusive,
    promoted,
    endedAtSeconds: (nowMs - START_MS) / 1000,
    canaryErrors,
    canaryRequests,
    minutes,
  });

  for (const [stepIndex, step] of scenario.steps.entries()) {
    shifts.push({ weight: step.weight, at: new Date(nowMs).toISOString() });
    const stepMinutes: MinuteTraffic[] = [];
    /** Serves `seconds` of traffic minute by minute; true when an alarm-watching judge stopped the rollout. */
    const serve = (seconds: number): boolean => {
      if (seconds % 60 !== 0) throw new RangeError(`the benchmark serves whole minutes; a wait of ${seconds} s is not one`);
      for (let m = 0; m < seconds / 60; m += 1) {
        const minute = traffic.minute(stepIndex, stepMinutes.length);
        stepMinutes.push(minute);
        const logged = { atMs: nowMs, traffic: minute };
        minutes.push(logged);
        nowMs += MINUTE_MS;
        canaryErrors += minute.canary.errors;
        canaryRequests += minute.canary.requests;
        if (judge.onMinute?.(logged) === 'rollback') return true;
      }
      return false;
    };
    const interval = deployed === undefined ? step.bakeSeconds : intervalOf(deployed.plan, stepIndex);
    let progress: Progress = {
      stepIndex,
      extraBakes: 0,
      extraSeconds: 0,
      weight: step.weight,
      bakeSeconds: step.bakeSeconds,
      lookSeconds: firstLookSeconds(interval, step.bakeSeconds),
      shiftedAt: new Date(nowMs).toISOString(),
      shifts: [...shifts],
    };
    let clock: LookClock | null = null;
    for (;;) {
      if (serve(clock === null ? progress.lookSeconds : clock.waitSeconds)) return end(true, false);
      const bakedSeconds = bakedSecondsAt(progress, clock);
      const look = await judge.look({ progress, nowMs, stepMinutes, bakedSeconds });
      if (deployed === undefined) {
        if (look.verdict === 'fail') return end(true, false);
        break;
      }
      const decision = decideNextAction(look.verdict, progress, deployed, { bakedSeconds, ...(look.secondsNeeded === undefined ? {} : { secondsNeeded: look.secondsNeeded }) });
      clock = { stepIndex, bakedSeconds, waitSeconds: decision.waitSeconds ?? 0 };
      if (decision.action === 'look-again') continue;
      if (decision.action === 'bake-again') {
        progress = { ...progress, extraBakes: progress.extraBakes + 1, extraSeconds: decision.extraSeconds ?? progress.extraSeconds };
        continue;
      }
      if (decision.action === 'rollback') {
        // A fail is a detection; a rollback on an inconclusive step is the policy's, and ends the rollout undecided.
        if (look.verdict === 'fail') return end(true, false);
        endedInconclusive = true;
        return end(false, false);
      }
      if (decision.action === 'await-approval') throw new RangeError('the benchmark has no person to approve: its requests have no gates');
      // Proceeding past the last step with the last look inconclusive promotes it undecided.
      if (look.verdict === 'inconclusive' && decision.action === 'promote') endedInconclusive = true;
      break;
    }
  }
  return end(false, true);
}

export interface JudgeFigures {
  readonly rollouts: number;
  /** Share rolled back by the judge: false rollbacks on A/A, detections on regressions. */
  readonly rollbackRate: number;
  /** Regressions: share detected (at or before the scenario's deadline, if it has one). */
  readonly detectionRate: number | null;
  readonly medianSecondsToDetect: number | null;
  readonly meanCanaryErrorsServed: number;
  readonly inconclusiveRate: number;
  readonly promotedRate: number;
  /** Median seconds from the first shift to the promotion, of the promoted rollouts. */
  readonly medianSecondsToPromote: number | null;
  /** With the scenario's promoteWithinSeconds: the share of rollouts promoted within it. */
  readonly promotedInTimeRate: number | null;
}

export interface ScenarioFigures {
  readonly scenario: string;
  readonly description: string;
  readonly requestsPerSecond: number;
  readonly regression: boolean;
  /** Null: detection at any time, limit on the whole plan's counts. */
  readonly deadlineSeconds: number | null;
  /** The scenario's analysis.slo; null without one. */
  readonly slo: BenchSlo | null;
  /** Power of the fixed-sample one-sided two-proportion z-test at the same α on the same expected counts. */
  readonly powerLimit: number | null;
  readonly limitBasis: string | null;
  readonly judges: Readonly<Record<string, JudgeFigures>>;
}

function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

export function summarise(outcomes: readonly RunOutcome[], deadlineSeconds: number | null, regression: boolean, promoteWithinSeconds: number | null = null): JudgeFigures {
  const n = outcomes.length;
  const failed = outcomes.filter((o) => o.failed);
  const promoted = outcomes.filter((o) => o.promoted);
  return {
    rollouts: n,
    rollbackRate: failed.length / n,
    detectionRate: regression ? failed.filter((o) => deadlineSeconds === null || o.endedAtSeconds <= deadlineSeconds).length / n : null,
    medianSecondsToDetect: regression ? median(failed.map((o) => o.endedAtSeconds)) : null,
    meanCanaryErrorsServed: outcomes.reduce((s, o) => s + o.canaryErrors, 0) / n,
    inconclusiveRate: outcomes.filter((o) => o.endedInconclusive).length / n,
    promotedRate: promoted.length / n,
    medianSecondsToPromote: median(promoted.map((o) => o.endedAtSeconds)),
    promotedInTimeRate: promoteWithinSeconds === null ? null : promoted.filter((o) => o.endedAtSeconds <= promoteWithinSeconds).length / n,
  };
}

/**
 * The power limit: the z-test on the counts the rollout is expected to collect by the deadline, in the
 * windows where the canary is worse. Errors: error rates. Latency: the share of requests slower than the
 * baseline's true p99 (what the judge's slow-request counts estimate).
 */
export function powerLimit(scenario: BenchScenario, alpha: number): { power: number; basis: string } | null {
  if (!scenario.regression) return null;
  if (scenario.slo !== undefined) return sloPowerLimit(scenario, scenario.slo, alpha);
  const deadline = deadlineOf(scenario);
  let canaryRequests = 0;
  let baselineRequests = 0;
  let canaryFailures = 0;
  let baselineFailures = 0;
  let elapsed = 0;
  const trueP99 = Math.exp(latencyOf(scenario.baseline).mu + latencyOf(scenario.baseline).sigma * 2.3263478740408408);
  const latency = scenario.canary.latencyMs.p99 !== scenario.baseline.latencyMs.p99 || scenario.canary.latencyMs.p50 !== scenario.baseline.latencyMs.p50;
  for (const step of scenario.steps) {
    const seconds = Math.min(step.bakeSeconds, deadline - elapsed);
    elapsed += step.bakeSeconds;
    if (seconds <= 0) break;
    const canary = canaryBehaviourAt(scenario.canary, scenario.changes, step.weight, 0);
    const rateOf = (b: Behaviour) => (latency ? 1 - latencyCdf(latencyOf(b), trueP99) : b.errorPercent / 100);
    if (rateOf(canary) <= rateOf(scenario.baseline)) continue;
    const nc = scenario.requestsPerSecond * seconds * (step.weight / 100);
    const nb = scenario.requestsPerSecond * seconds * (1 - step.weight / 100);
    canaryRequests += nc;
    baselineRequests += nb;
    canaryFailures += nc * rateOf(canary);
    baselineFailures += nb * rateOf(scenario.baseline);
  }
  if (canaryRequests === 0) return null;
  const power = zTestPower({ canaryRequests, baselineRequests, canaryRate: canaryFailures / canaryRequests, baselineRate: baselineFailures / baselineRequests, alpha });
  const what = latency ? `share over the baseline's p99 (${trueP99.toFixed(0)} ms)` : 'error rates';
  return { power, basis: `${what}; ${Math.round(canaryRequests).toLocaleString('en-US')} canary, ${Math.round(baselineRequests).toLocaleString('en-US')} baseline requests` };
}

/**
 * The SLO gate's limit: the fixed-sample one-sided one-sample z-test of the canary's error rate p against
 * p₀ = maxBurnRate × (1 − objective) on the canary requests expected by the deadline:
 * Φ((p − p₀ − z_{1−α}·√(p₀(1 − p₀)/n)) / √(p(1 − p)/n)).
 */
function sloPowerLimit(scenario: BenchScenario, slo: BenchSlo, alpha: number): { power: number; basis: string } | null {
  const deadline = deadlineOf(scenario);
  let canaryRequests = 0;
  let canaryFailures = 0;
  let elapsed = 0;
  for (const step of scenario.steps) {
    const seconds = Math.min(step.bakeSeconds, deadline - elapsed);
    elapsed += step.bakeSeconds;
    if (seconds <= 0) break;
    const n = scenario.requestsPerSecond * seconds * (step.weight / 100);
    canaryRequests += n;
    canaryFailures += (n * canaryBehaviourAt(scenario.canary, scenario.changes, step.weight, 0).errorPercent) / 100;
  }
  if (canaryRequests === 0) return null;
  const p = canaryFailures / canaryRequests;
  const p0 = slo.maxBurnRate * (1 - slo.objective);
  const power = normalCdf((p - p0 - normalQuantile(1 - alpha) * Math.sqrt((p0 * (1 - p0)) / canaryRequests)) / Math.sqrt((p * (1 - p)) / canaryRequests));
  return { power, basis: `canary error rate against ${(100 * p0).toPrecision(3)} % (one sample); ${Math.round(canaryRequests).toLocaleString('en-US')} canary requests` };
}

function deadlineOf(scenario: BenchScenario): number {
  return scenario.deadlineSeconds ?? scenario.steps.reduce((s, step) => s + step.bakeSeconds, 0);
}
