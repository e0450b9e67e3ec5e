/**
 * The AWS world a scenario describes, and how traffic reaches it. A lambda-alias target: the function with
 * its current and new versions, the alias on the current one, requests routed by the alias's weights. A
 * cloudfront-kvs target: the KeyValueStore, and CloudFront in front of the mesh (sim/edge.ts) routing each
 * viewer by what the edge function answers from the store as the edge holds it. Either way, metric alarms on
 * the metrics of the traffic each one watches.
 */
import { parseRestoreRecord, type RestoreRecord } from '../shared/routers/restore-record';
import type { CloudFrontKvsTarget, LambdaAliasTarget, TargetType } from '../shared/config/targets';
import { functionNameOf, KVS_KEYS } from '../shared/config/target-facts';
import { createRandom } from './random';
import { routerKindFor } from '../shared/routers/registry';
import type { AlarmQuery, MetricStat } from './world/cloudwatch';
import { AwsWorld } from './world';
import { addressShareOf, type AddressShare } from '../shared/net/pin-share';
import type { AliasChange } from './world/lambda';
import { createViewers, EdgeNetwork, type ColourFlips, type EdgeState } from './edge';
import { checkEdgeRouting, checkRouting, type RoutingCheck } from './routing-check';
import { aliasRouting, canaryShareOf, type RequestRouting, type RoutingSnapshot, type SyntheticTraffic, type TrafficModel, type TrafficTarget } from './traffic';
import { statisticOf, type AlarmSpec, type Scenario } from './scenario';

export function trafficModelOf(scenario: Scenario): TrafficModel {
  const { traffic } = scenario.world;
  return {
    requestsPerSecond: traffic.requestsPerSecond,
    baseline: traffic.baseline,
    canary: {
      errorPercent: traffic.canary.errorPercent ?? traffic.baseline.errorPercent,
      latencyMs: traffic.canary.latencyMs ?? traffic.baseline.latencyMs,
    },
    canaryChanges: traffic.canary.changes,
  };
}

/** What the edge did during a simulation of a cloudfront-kvs target. */
export interface EdgeSummary {
  readonly propagationSeconds: number;
  /** The viewer population. */
  readonly viewers: number;
  /** Viewers that the pins after Preflight send to a colour, by CIDR or country (a viewer pinned to both is blue). */
  readonly pinnedViewers: { readonly blue: number; readonly green: number };
  /** The share of the IPv4 and IPv6 address space each colour's CIDR pins cover after Preflight (0 to 1). */
  readonly pinShare: { readonly blue: AddressShare; readonly green: AddressShare };
  /** Viewers served each colour at least once, warm-up included. */
  readonly viewersServed: { readonly blue: number; readonly green: number };
  /** Viewers whose requests were served one colour and later the other, until the simulation stopped (the run-on after the end included). */
  readonly flips: ColourFlips;
  /** Viewers by colour once the edge serves the store as the execution left it (propagation after the end). */
  readonly finalColours: { readonly blue: number; readonly green: number };
  /** Store states the edge held, the one before the rollout included. */
  readonly storeStates: number;
  /** Runs of edge/x-deployment.js: one per viewer per store state. */
  readonly functionRuns: number;
  /** The store's keys when the execution ended. */
  readonly finalStore: Readonly<Record<string, string>>;
}

/** A world with traffic routed the way the target routes it in production. */
export interface SimulatedTarget<S> {
  readonly world: AwsWorld;
  readonly routing: RequestRouting<S>;
  /** Connects the routing to the world's changes; returns the undo. */
  connect(): () => void;
  /** Work that must finish before simulated time moves on (the edge answering for a new store). */
  settled(): Promise<void>;
  /** The canary's share of traffic as the store or the alias holds it now, in percent. */
  canaryShare(): number;
  /** The record a person's restore in the rollback window left on the target (docs/rollback-window.md), if any. */
  restoreRecord(): RestoreRecord | undefined;
  /** Runs `listener` with the canary's new share after every write to the alias or the store; returns the undo. */
  onCanaryShareWritten(listener: (share: number) => void): () => void;
  /** Runs `listener` after every write to the target (the alias; the store's share or lock); returns the undo. */
  onTargetWritten(listener: () => void): () => void;
  /** The target is at 0 % or 100 % and holds no rollout lock: nothing is left for anyone to finish. */
  targetSafe(): boolean;
  checkRouting(traffic: SyntheticTraffic<S>): RoutingCheck;
  /** Only for cloudfront-kvs targets. */
  edgeSummary(): EdgeSummary | undefined;
}

const isFinalShare = (share: number): boolean => share === 0 || share === 100;

function alarmQuery(alarm: AlarmSpec, routing: RequestRouting<unknown>): AlarmQuery {
  const version = alarm.watches === 'all' ? null : alarm.watches === 'canary' ? routing.canaryVersion : routing.baselineVersion;
  const dimensions = routing.dimensions(version);
  const stat = (metricName: string, statistic = statisticOf(alarm)): MetricStat => ({
    metric: { namespace: routing.namespace, metricName, dimensions },
    statistic,
  });
  if (alarm.metric === 'ErrorRate') {
    return { kind: 'percent', numerator: stat('Errors', 'Sum'), denominator: stat('Invocations', 'Sum') };
  }
  return { kind: 'metric', stat: stat(alarm.metric) };
}

function defineAlarms(scenario: Scenario, world: AwsWorld, routing: RequestRouting<unknown>): void {
  for (const alarm of scenario.world.alarms) {
    world.cloudwatch.defineMetricAlarm(
      {
        name: alarm.name,
        query: alarmQuery(alarm, routing),
        periodSeconds: alarm.periodSeconds,
        evaluationPeriods: alarm.evaluationPeriods,
        ...(alarm.datapointsToAlarm === undefined ? {} : { datapointsToAlarm: alarm.datapointsToAlarm }),
        threshold: alarm.threshold,
        comparison: alarm.comparison,
        treatMissingData: alarm.treatMissingData,
      },
      alarm.initialState,
    );
  }
  for (const fault of scenario.faults) world.injectFault(fault);
  for (const hook of scenario.world.hooks) {
    world.lambda.addHookFunction(hook.function, () => {
      if (hook.error !== undefined) throw new Error(hook.error);
      return { status: hook.status, ...(hook.reason === undefined ? {} : { reason: hook.reason }) };
    });
  }
}

function lambdaTarget(scenario: Scenario, target: LambdaAliasTarget): SimulatedTarget<RoutingSnapshot> {
  const world = new AwsWorld();
  const traffic: TrafficTarget = {
    functionName: functionNameOf(target.functionName),
    alias: target.alias,
    baselineVersion: scenario.baselineVersion,
    canaryVersion: scenario.canaryVersion,
  };
  const versions = [...new Set([traffic.baselineVersion, traffic.canaryVersion])];
  world.lambda.addFunction(traffic.functionName, versions).addAlias(traffic.functionName, traffic.alias, traffic.baselineVersion);
  const routing = aliasRouting(world, traffic);
  defineAlarms(scenario, world, routing);
  const initial = routing.at(0).snapshot;
  const canaryShare = (): number => canaryShareOf(world.lambda.alias(traffic.functionName, traffic.alias), traffic.canaryVersion);
  const onTargetChange = (listener: (change: AliasChange) => void): (() => void) =>
    world.lambda.onAliasChange((change) => {
      if (change.functionName === traffic.functionName && change.alias === traffic.alias) listener(change);
    });
  return {
    world,
    routing,
    connect: () => () => undefined,
    settled: async () => undefined,
    canaryShare,
    restoreRecord: () => parseRestoreRecord(world.lambda.alias(traffic.functionName, traffic.alias).description),
    onCanaryShareWritten: (listener) => onTargetChange((change) => listener(canaryShareOf(change, traffic.canaryVersion))),
    onTargetWritten: (listener) => onTargetChange(() => listener()),
    targetSafe: () => isFinalShare(canaryShare()),
    checkRouting: (served) =>
      checkRouting({
        initial,
        writes: world.lambda.aliasChanges.filter((c) => c.functionName === traffic.functionName && c.alias === traffic.alias),
        served: served.segments.map((s) => s.routing),
        planWeights: scenario.plan.steps.map((s) => s.weight),
        baselineVersion: traffic.baselineVersion,
        canaryVersion: traffic.canaryVersion,
      }),
    edgeSummary: () => undefined,
  };
}

/** The store before the rollout: as the scenario gives it, else idle for the canary's colour with no pins. */
function initialStore(scenario: Scenario, target: CloudFrontKvsTarget): Record<string, string> {
  const given = scenario.world.edge.store;
  if (given !== undefined) return { ...given };
  return {
    [KVS_KEYS.greenPercentage]: target.stableAfterPromotion === 'green' ? '0' : '100',
    [KVS_KEYS.blueCidrs]: '[]',
    [KVS_KEYS.greenCidrs]: '[]',
  };
}

function edgeTarget(scenario: Scenario, target: CloudFrontKvsTarget, seed: number): SimulatedTarget<EdgeState> {
  const world = new AwsWorld();
  const spec = scenario.world.edge;
  const store = initialStore(scenario, target);
  world.kvs.addStore(target.kvsArn, store);
  const edge = new EdgeNetwork(
    {
      kvsArn: target.kvsArn,
      canary: target.stableAfterPromotion,
      service: scenario.request.name ?? routerKindFor(target).describe(target),
      propagationSeconds: spec.propagationSeconds,
      // A stream of its own: the same viewers whatever else the seed draws.
      viewers: createViewers(spec, createRandom((seed ^ 0x5bd1e995) >>> 0)),
    },
    store,
  );
  defineAlarms(scenario, world, edge);
  const greenPercentage = (items: Readonly<Record<string, string>>): string | undefined => items[KVS_KEYS.greenPercentage];
  const onStoreChange = (listener: (items: Readonly<Record<string, string>>) => void): (() => void) =>
    world.kvs.onChange((kvsArn, items) => {
      if (kvsArn === target.kvsArn) listener(items);
    });
  return {
    world,
    routing: edge,
    connect: () => world.kvs.onChange((kvsArn, items) => edge.storeChanged(kvsArn, items, Date.now())),
    settled: () => edge.settled(),
    canaryShare: () => edge.canaryShareOf(world.kvs.items(target.kvsArn)),
    restoreRecord: () => parseRestoreRecord(world.kvs.items(target.kvsArn)[KVS_KEYS.restore]),
    onCanaryShareWritten: (listener) => onStoreChange((items) => listener(edge.canaryShareOf(items))),
    onTargetWritten: (listener) => onStoreChange(() => listener()),
    targetSafe: () => {
      const items = world.kvs.items(target.kvsArn);
      return isFinalShare(edge.canaryShareOf(items)) && items[KVS_KEYS.lock] === undefined;
    },
    checkRouting: (traffic) => {
      const served = [...new Set(traffic.segments.map((s) => s.routing))];
      return checkEdgeRouting({
        initial: greenPercentage(store),
        writes: world.kvs.writes.filter((w) => w.kvsArn === target.kvsArn).flatMap((w) => {
          const value = greenPercentage(w.puts);
          return value === undefined ? [] : [value];
        }),
        served: served.map((state) => ({ greenPercentage: greenPercentage(state.items), canaryWeight: state.canaryWeight })),
        planWeights: scenario.plan.steps.map((s) => s.weight),
        canary: target.stableAfterPromotion,
        pinProblems: served.flatMap((state) => edge.pinProblems(state)),
      });
    },
    edgeSummary: () => {
      // The store as Preflight's batch left it (the state before the rollout when Preflight wrote nothing).
      const pins = edge.pinsOf((edge.states[1] ?? edge.states[0]) as EdgeState);
      return {
      propagationSeconds: spec.propagationSeconds,
      viewers: edge.viewers.length,
      pinnedViewers: edge.pinned(pins),
      pinShare: { blue: addressShareOf(pins.blueCidrs), green: addressShareOf(pins.greenCidrs) },
      viewersServed: { blue: edge.viewersServed('blue'), green: edge.viewersServed('green') },
      flips: edge.flips(),
      finalColours: edge.colourCounts(edge.states[edge.states.length - 1] as EdgeState),
      storeStates: edge.states.length,
      functionRuns: edge.functionRuns,
      finalStore: world.kvs.items(target.kvsArn),
      };
    },
  };
}

type TargetBuilders = {
  readonly [K in TargetType]: (scenario: Scenario, target: Extract<Scenario['target'], { type: K }>, seed: number) => SimulatedTarget<unknown>;
};

const SIMULATED_TARGETS: TargetBuilders = {
  'lambda-alias': lambdaTarget,
  'cloudfront-kvs': edgeTarget,
};

/** The world of a scenario, with traffic routed as its target routes it; `seed` also draws the edge's viewers. */
export function buildWorld(scenario: Scenario, seed: number): SimulatedTarget<unknown> {
  const build = SIMULATED_TARGETS[scenario.target.type] as (scenario: Scenario, target: Scenario['target'], seed: number) => SimulatedTarget<unknown>;
  return build(scenario, scenario.target, seed);
}
