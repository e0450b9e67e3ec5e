/**
 * The simulator's safety invariant: no request was routed by weights the rollout did not set. Every
 * alias state the traffic was served under must be the alias as it was before the rollout or one of the
 * writes recorded by the world, and every write must be one the plan asks for: 0 %, a step's weight, or
 * all traffic on the new version (promotion).
 */
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
