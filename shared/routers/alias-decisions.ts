/**
 * The lambda-alias router's ownership rule, apart from I/O: whether an alias is in a state this rollout
 * made, so that the router may write to it (shared/routers/lambda-alias.ts reads the alias and calls this);
 * and the alias's name in messages, which the router registry gives without loading the router.
 */
import type { LambdaAliasTarget } from '../config/targets';
import { TrafficConflict } from '../errors';
import { parseRestoreRecord } from './restore-record';
import type { PromotedView } from './types';

/** What the rule reads of an alias (GetAlias's FunctionVersion and RoutingConfig.AdditionalVersionWeights). */
export interface AliasRouting {
  readonly FunctionVersion?: string;
  /** Where a restore in the rollback window leaves its record (restore-record.ts). */
  readonly Description?: string;
  readonly RoutingConfig?: { readonly AdditionalVersionWeights?: Record<string, number> };
}

/** One rollout on one alias: its name in messages, and the versions it moves between. */
export interface AliasRollout {
  readonly name: string;
  readonly baselineVersion: string;
  readonly version: string;
}

/** Weights are fractions in Lambda; compare them at the precision a request may give (two decimals of a percent). */
export const toFraction = (percent: number): number => Math.round(percent * 100) / 10_000;
export const toPercent = (fraction: number): number => Math.round(fraction * 10_000) / 100;

/** A short human name of the alias, e.g. "checkout:live". */
export function describeAlias(target: Pick<LambdaAliasTarget, 'functionName' | 'alias'>): string {
  return `${target.functionName}:${target.alias}`;
}

export function additionalWeights(alias: AliasRouting): Record<string, number> {
  return alias.RoutingConfig?.AdditionalVersionWeights ?? {};
}

/** "version 41 with 25 % on 40": an alias's routing in words. */
export function describeRouting(alias: AliasRouting): string {
  const weighted = Object.entries(additionalWeights(alias)).map(([v, w]) => `${toPercent(w)} % on ${v}`);
  return `version ${alias.FunctionVersion}${weighted.length > 0 ? ` with ${weighted.join(', ')}` : ''}`;
}

/**
 * The alias is this rollout's when it is on the baseline with at most our version weighted, or fully on our
 * version. Anything else is somebody else's change, which the rollout must not overwrite.
 */
export function ownsAlias(alias: AliasRouting, rollout: AliasRollout): boolean {
  const weighted = Object.keys(additionalWeights(alias));
  const onBaseline = alias.FunctionVersion === rollout.baselineVersion;
  const onOurs = alias.FunctionVersion === rollout.version;
  const onlyOurWeight = weighted.every((v) => v === rollout.version);
  return (onBaseline && onlyOurWeight) || (onOurs && weighted.length === 0);
}

/** ownsAlias, or a TrafficConflict that says what the alias points at and what this rollout moves. */
export function assertOwnsAlias(alias: AliasRouting, rollout: AliasRollout, action: string): void {
  if (ownsAlias(alias, rollout)) return;
  throw new TrafficConflict(
    `Cannot ${action} on ${rollout.name}: the alias was changed outside this rollout ` +
      `(it points at ${describeRouting(alias)}; this rollout moves ` +
      `${rollout.baselineVersion} → ${rollout.version}). Coalmine leaves it untouched; check who changed it.`,
  );
}

/**
 * What an alias shows after the rollout ended promoted: all traffic on its version (as the promotion left
 * it), all on the baseline (restored), or anything else (changed since, by someone else).
 */
export function promotedViewOf(alias: AliasRouting, rollout: AliasRollout): PromotedView {
  const unweighted = Object.keys(additionalWeights(alias)).length === 0;
  if (unweighted && alias.FunctionVersion === rollout.version) {
    return { kind: 'as-promoted', detail: `${rollout.name} sends all traffic to version ${rollout.version}, as the promotion left it` };
  }
  if (unweighted && alias.FunctionVersion === rollout.baselineVersion) {
    const record = parseRestoreRecord(alias.Description);
    return { kind: 'restored', detail: `${rollout.name} sends all traffic to version ${rollout.baselineVersion}`, ...(record !== undefined ? { record } : {}) };
  }
  return { kind: 'changed', detail: `${rollout.name} points at ${describeRouting(alias)}, not at version ${rollout.version} alone as the promotion left it` };
}
