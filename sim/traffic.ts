/**
 * Synthetic traffic through a Lambda alias or through the edge. For each stretch of simulated time it draws
 * how many requests arrived (Poisson), routes every request as the routing in force routes it (the weights
 * stored in the world's alias; the edge function's answer for the request's viewer), and draws whether it
 * failed and how long it took from the behaviour of the version that served it. What it served is
 * published as metrics (Invocations, Errors, Duration; for an alias as Lambda publishes them, by
 * FunctionName, Resource and ExecutedVersion) into the CloudWatch world, whose alarms are evaluated at every
 * minute boundary.
 *
 * The generator only moves forward: `advanceTo(t)` fills the gap since the last call. The simulator calls
 * it before every AWS call and on a one-minute tick, and stretches also end where the routing changes by
 * itself (a store change reaching the edge), so routing never changes inside a stretch and every stretch
 * lies within one minute.
 */
import type { RandomSource } from './random';
import type { AwsWorld } from './world';
import { METRIC_RESOLUTION_MS, type Dimensions, type SampleSet } from './world/metrics';

export interface LatencyPercentiles {
  readonly p50: number;
  readonly p99: number;
}

export interface Behaviour {
  /** Share of requests that fail, in percent. */
  readonly errorPercent: number;
  /** Latency is log-normal with these percentiles, in milliseconds. */
  readonly latencyMs: LatencyPercentiles;
}

/** From a canary weight or a time on, the canary behaves differently. */
export interface BehaviourChange {
  /** Applies while the canary's share is at least this percentage. */
  readonly fromWeight?: number;
  /** Applies from this many seconds after the rollout started. */
  readonly fromSecond?: number;
  readonly errorPercent?: number;
  readonly latencyMs?: LatencyPercentiles;
}

export interface TrafficModel {
  readonly requestsPerSecond: number;
  readonly baseline: Behaviour;
  readonly canary: Behaviour;
  readonly canaryChanges: readonly BehaviourChange[];
}

export interface TrafficTarget {
  readonly functionName: string;
  readonly alias: string;
  readonly baselineVersion: string;
  readonly canaryVersion: string;
}

/** The alias's routing while a stretch of traffic was served. */
export interface RoutingSnapshot {
  readonly functionVersion: string;
  readonly weights: Readonly<Record<string, number>>;
}

/** The routing in force for a stretch of time. */
export interface RoutingStretch<S> {
  /** What routed it, as recorded in the segment (the alias's state, the edge's store). */
  readonly snapshot: S;
  /** Percent of requests the routing sends to the canary version. */
  readonly canaryWeight: number;
  /** The version one request runs on. */
  route(random: RandomSource): string;
}

/** How requests reach the versions, and the metric dimensions they are published under. */
export interface RequestRouting<S> {
  readonly namespace: string;
  readonly baselineVersion: string;
  readonly canaryVersion: string;
  /** The dimensions of the requests served by `version`, or of all requests (null): what alarms watch. */
  dimensions(version: string | null): Dimensions;
  /** Every dimension set a request served by `version` is published under. */
  publishedDimensions(version: string): Dimensions[];
  /** The routing in force at `ms`, until the next AWS call or `nextChangeAfter(ms)`. */
  at(ms: number): RoutingStretch<S>;
  /** When routing next changes by itself after `ms` (Infinity: only AWS calls change it). */
  nextChangeAfter(ms: number): number;
}

export interface Served {
  requests: number;
  errors: number;
}

export interface TrafficSegment<S = RoutingSnapshot> {
  readonly fromMs: number;
  readonly toMs: number;
  readonly routing: S;
  /** Percent of requests the routing sends to the canary version. */
  readonly canaryWeight: number;
  readonly served: Readonly<Record<string, Served>>;
}

/** Latency histogram buckets are 1 % wide: percentiles read back within 1 %. */
const BUCKETS_PER_E = 100;
/** z such that P(Z < z) = 0.99 for a standard normal. */
const Z_99 = 2.3263478740408408;

export const LAMBDA_NAMESPACE = 'AWS/Lambda';

interface VersionTally {
  readonly errorShare: number;
  readonly logMedian: number;
  readonly logSpread: number;
  requests: number;
  errors: number;
  /** Latency histogram by bucket index; bucket b stands for exp(b / BUCKETS_PER_E) ms. */
  readonly buckets: Map<number, number>;
}

// Bound once: under Jest's vm context each global Math lookup is slow, and these run per request.
const { exp, log, round } = Math;

const bucketValue = (bucket: number): number => round(exp(bucket / BUCKETS_PER_E) * 100) / 100;

export function canaryShareOf(routing: RoutingSnapshot, canaryVersion: string): number {
  if (routing.functionVersion === canaryVersion) return 100;
  return Math.round((routing.weights[canaryVersion] ?? 0) * 10_000) / 100;
}

/** Requests through a Lambda alias, routed by the weights stored in the world: what the rollout wrote. */
export function aliasRouting(world: AwsWorld, target: TrafficTarget): RequestRouting<RoutingSnapshot> {
  const { functionName, alias, baselineVersion, canaryVersion } = target;
  const dimensions = (version: string | null): Dimensions => ({
    FunctionName: functionName,
    Resource: `${functionName}:${alias}`,
    ...(version === null ? {} : { ExecutedVersion: version }),
  });
  return {
    namespace: LAMBDA_NAMESPACE,
    baselineVersion,
    canaryVersion,
    dimensions,
    publishedDimensions: (version) => [{ FunctionName: functionName }, dimensions(null), dimensions(version)],
    at: () => {
      const record = world.lambda.alias(functionName, alias);
      const snapshot: RoutingSnapshot = { functionVersion: record.functionVersion, weights: { ...record.weights } };
      return {
        snapshot,
        canaryWeight: canaryShareOf(snapshot, canaryVersion),
        route: (random) => world.lambda.route(functionName, alias, random.uniform()),
      };
    },
    nextChangeAfter: () => Infinity,
  };
}

export class SyntheticTraffic<S = RoutingSnapshot> {
  readonly segments: Array<TrafficSegment<S>> = [];
  private cursorMs: number;
  private requestsPerSecond: number;

  constructor(
    private readonly world: AwsWorld,
    private readonly model: TrafficModel,
    private readonly routing: RequestRouting<S>,
    private readonly random: RandomSource,
    /** Where the traffic starts, and when the rollout starts (canary changes count their seconds from it). */
    private readonly times: { readonly startMs: number; readonly rolloutStartMs: number },
  ) {
    this.cursorMs = times.startMs;
    this.requestsPerSecond = model.requestsPerSecond;
  }

  get generatedUntilMs(): number {
    return this.cursorMs;
  }

  /** From now on, this many requests per second arrive on average. */
  setRequestsPerSecond(requestsPerSecond: number): void {
    this.requestsPerSecond = requestsPerSecond;
  }

  /** Serves the traffic of [generatedUntil, toMs) and evaluates alarms at each minute boundary crossed. */
  advanceTo(toMs: number): void {
    while (this.cursorMs < toMs) {
      const minuteEnd = (Math.floor(this.cursorMs / METRIC_RESOLUTION_MS) + 1) * METRIC_RESOLUTION_MS;
      const end = Math.min(toMs, minuteEnd, this.nextChangeAfter(this.cursorMs), this.routing.nextChangeAfter(this.cursorMs));
      this.serve(this.cursorMs, end);
      this.cursorMs = end;
      if (end % METRIC_RESOLUTION_MS === 0) this.world.cloudwatch.evaluateAlarms(end);
    }
  }

  /** What one version served within [fromMs, toMs); stretches never straddle an AWS call, so windows between calls are exact. */
  served(version: string, fromMs: number, toMs: number): Served {
    const total = { requests: 0, errors: 0 };
    for (const segment of this.segments) {
      if (segment.fromMs < fromMs || segment.toMs > toMs) continue;
      const served = segment.served[version];
      if (served === undefined) continue;
      total.requests += served.requests;
      total.errors += served.errors;
    }
    return total;
  }

  /** The time-based canary changes start new stretches, so a stretch has one behaviour throughout. */
  private nextChangeAfter(ms: number): number {
    let next = Infinity;
    for (const change of this.model.canaryChanges) {
      if (change.fromSecond === undefined) continue;
      const at = this.times.rolloutStartMs + change.fromSecond * 1000;
      if (at > ms && at < next) next = at;
    }
    return next;
  }

  private canaryBehaviour(atMs: number, canaryWeight: number): Behaviour {
    let behaviour = this.model.canary;
    for (const change of this.model.canaryChanges) {
      const byWeight = change.fromWeight === undefined || canaryWeight >= change.fromWeight;
      const byTime = change.fromSecond === undefined || atMs >= this.times.rolloutStartMs + change.fromSecond * 1000;
      if (byWeight && byTime) {
        behaviour = {
          errorPercent: change.errorPercent ?? behaviour.errorPercent,
          latencyMs: change.latencyMs ?? behaviour.latencyMs,
        };
      }
    }
    return behaviour;
  }

  private serve(fromMs: number, toMs: number): void {
    const { canaryVersion } = this.routing;
    const stretch = this.routing.at(fromMs);
    const { canaryWeight } = stretch;
    const tallies = new Map<string, VersionTally>();
    const tallyFor = (version: string): VersionTally => {
      let tally = tallies.get(version);
      if (tally === undefined) {
        const behaviour = version === canaryVersion ? this.canaryBehaviour(fromMs, canaryWeight) : this.model.baseline;
        const logMedian = log(behaviour.latencyMs.p50);
        tally = {
          errorShare: behaviour.errorPercent / 100,
          logMedian,
          logSpread: (log(behaviour.latencyMs.p99) - logMedian) / Z_99,
          requests: 0,
          errors: 0,
          buckets: new Map(),
        };
        tallies.set(version, tally);
      }
      return tally;
    };

    // Requests arrive as a Poisson process: exponential gaps, in seconds, until the stretch is over.
    const meanGap = 1 / this.requestsPerSecond;
    const span = (toMs - fromMs) / 1000;
    for (let t = this.random.exponential() * meanGap; t < span; t += this.random.exponential() * meanGap) {
      const tally = tallyFor(stretch.route(this.random));
      tally.requests += 1;
      if (this.random.uniform() < tally.errorShare) tally.errors += 1;
      const bucket = round((tally.logMedian + tally.logSpread * this.random.normal()) * BUCKETS_PER_E);
      tally.buckets.set(bucket, (tally.buckets.get(bucket) ?? 0) + 1);
    }

    const served: Record<string, Served> = {};
    for (const [version, tally] of tallies) {
      served[version] = { requests: tally.requests, errors: tally.errors };
      this.publish(version, tally, fromMs);
    }
    this.segments.push({ fromMs, toMs, routing: stretch.snapshot, canaryWeight, served });
  }

  /** The metrics of the requests one version served, by each dimension set the routing publishes. */
  private publish(version: string, tally: VersionTally, atMs: number): void {
    const { namespace } = this.routing;
    const dimensionSets = this.routing.publishedDimensions(version);
    const n = tally.requests;
    const histogram = new Map<number, number>();
    let latencySum = 0;
    for (const [bucket, count] of tally.buckets) {
      const value = bucketValue(bucket);
      histogram.set(value, count);
      latencySum += value * count;
    }
    const values = [...histogram.keys()];
    const invocations: SampleSet = { count: n, sum: n, min: 1, max: 1 };
    const errors: SampleSet = { count: n, sum: tally.errors, min: tally.errors === n ? 1 : 0, max: tally.errors > 0 ? 1 : 0 };
    const duration: SampleSet = { count: n, sum: latencySum, min: Math.min(...values), max: Math.max(...values), histogram };
    const store = this.world.cloudwatch.metrics;
    for (const dimensions of dimensionSets) {
      store.record({ namespace, metricName: 'Invocations', dimensions }, atMs, invocations);
      store.record({ namespace, metricName: 'Errors', dimensions }, atMs, errors);
      store.record({ namespace, metricName: 'Duration', dimensions }, atMs, duration);
    }
  }
}
