/**
 * The simulator's safety invariant: no request was routed by weights the rollout did not set. Every
 * alias state the traffic was served under must be the alias as it was before the rollout or one of the
 * writes recorded by the world, and every write must be one the plan asks for: 0 %, a step's weight, or
 * all traffic on the new version (promotion). For a cloudfront-kvs target the same holds of the
 * green_percentage each edge served by, and pinned viewers must get their pinned colour.
 */
import { greenPercentageOf } from './edge';
import type { AliasChange } from './world/lambda';
import { canaryShareOf, type RoutingSnapshot } from './traffic';

export interface RoutingCheck {
  /** Canary share of each alias write, in order. */
  readonly weightsSet: number[];
  /** Canary shares the traffic was routed by, in order of first use. */
  readonly weightsServed: number[];
  /** Empty when the invariant holds. */
  readonly problems: string[];
}

export interface RoutingCheckInput {
  readonly initial: RoutingSnapshot;
  readonly writes: readonly AliasChange[];
  readonly served: readonly RoutingSnapshot[];
  readonly planWeights: readonly number[];
  readonly baselineVersion: string;
  readonly canaryVersion: string;
}

function sameRouting(a: RoutingSnapshot, b: RoutingSnapshot): boolean {
  const aKeys = Object.keys(a.weights);
  return (
    a.functionVersion === b.functionVersion &&
    aKeys.length === Object.keys(b.weights).length &&
    aKeys.every((k) => Math.abs((a.weights[k] ?? NaN) - (b.weights[k] ?? NaN)) < 1e-9)
  );
}

function describe(routing: RoutingSnapshot): string {
  const weighted = Object.entries(routing.weights).map(([v, w]) => `${v}=${w}`);
  return `version ${routing.functionVersion}${weighted.length > 0 ? ` + {${weighted.join(', ')}}` : ''}`;
}

export function checkRouting(input: RoutingCheckInput): RoutingCheck {
  const { baselineVersion, canaryVersion } = input;
  const allowed: RoutingSnapshot[] = [
    { functionVersion: baselineVersion, weights: {} },
    ...input.planWeights.map((w) => ({ functionVersion: baselineVersion, weights: { [canaryVersion]: w / 100 } })),
    { functionVersion: canaryVersion, weights: {} },
  ];
  const problems: string[] = [];
  input.writes.forEach((write, i) => {
    if (!allowed.some((a) => sameRouting(a, write))) {
      problems.push(`alias write ${i + 1} set ${describe(write)}, which the plan does not ask for`);
    }
  });
  const known = [input.initial, ...input.writes];
  const weightsServed: number[] = [];
  const reported = new Set<string>();
  for (const routing of input.served) {
    const share = canaryShareOf(routing, canaryVersion);
    if (!weightsServed.includes(share)) weightsServed.push(share);
    if (!known.some((k) => sameRouting(k, routing)) && !reported.has(describe(routing))) {
      reported.add(describe(routing));
      problems.push(`traffic was routed by ${describe(routing)}, which is neither the initial alias nor a write`);
    }
  }
  return { weightsSet: input.writes.map((w) => canaryShareOf(w, canaryVersion)), weightsServed, problems };
}

/** The store's green_percentage, as an edge served it. */
export interface EdgeRoutingState {
  /** The key's text; undefined when the key was missing. */
  readonly greenPercentage: string | undefined;
  /** The canary's share the edge applied (0 or 100 when the function failed safe). */
  readonly canaryWeight: number;
}

export interface EdgeRoutingCheckInput {
  /** green_percentage in the store before the rollout; undefined when missing. */
  readonly initial: string | undefined;
  /** Each value the rollout's writes gave green_percentage, in order. */
  readonly writes: readonly string[];
  /** The store states the edge served traffic under, in order. */
  readonly served: readonly EdgeRoutingState[];
  readonly planWeights: readonly number[];
  /** The colour deployed as the canary: green_percentage is its share, or 100 minus it for a blue canary. */
  readonly canary: 'green' | 'blue';
  /** Pinned viewers the edge sent to the other colour. */
  readonly pinProblems: readonly string[];
}

/**
 * The invariant for a cloudfront-kvs target: every green_percentage an edge served by is the store's value
 * before the rollout or one the rollout wrote, every write is one the plan asks for (0 %, a step's weight,
 * or 100 %, as the canary's share), and pinned viewers get their pinned colour.
 */
export function checkEdgeRouting(input: EdgeRoutingCheckInput): RoutingCheck {
  const shareOf = (text: string): number | null => {
    const green = greenPercentageOf(text);
    return green === null ? null : input.canary === 'green' ? green : 100 - green;
  };
  const allowed = new Set([0, ...input.planWeights, 100]);
  const problems: string[] = [];
  const weightsSet: number[] = [];
  input.writes.forEach((value, i) => {
    const share = shareOf(value);
    if (share === null) {
      problems.push(`store write ${i + 1} set green_percentage ${JSON.stringify(value)}, which is not a whole percentage`);
      return;
    }
    weightsSet.push(share);
    if (!allowed.has(share)) {
      problems.push(`store write ${i + 1} set green_percentage ${value} (the ${input.canary} canary at ${share} %), which the plan does not ask for`);
    }
  });
  const known = new Set<string | undefined>([input.initial, ...input.writes]);
  const weightsServed: number[] = [];
  const reported = new Set<string | undefined>();
  for (const state of input.served) {
    if (!weightsServed.includes(state.canaryWeight)) weightsServed.push(state.canaryWeight);
    if (!known.has(state.greenPercentage) && !reported.has(state.greenPercentage)) {
      reported.add(state.greenPercentage);
      problems.push(
        `the edge routed by green_percentage ${JSON.stringify(state.greenPercentage ?? null)}, which is neither the store's value before the rollout nor a write of the rollout`,
      );
    }
  }
  return { weightsSet, weightsServed, problems: [...problems, ...input.pinProblems] };
}
