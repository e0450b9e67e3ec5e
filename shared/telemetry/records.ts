/**
 * The metrics coalmine publishes to CloudWatch (namespace `Coalmine`), as records: which metrics, with
 * which dimensions. One home for every metric name and unit (METRICS): the emitters use it, and the
 * dashboard's test checks that every metric the dashboard names is one of these. Pure.
 *
 * Dimension sets:
 * - `Rollout` and `TargetType` on what one rollout does (its weight, its checks' rates), for the
 *   per-rollout widgets;
 * - none beyond the service on counts across rollouts (verdicts, ends, latency), for the fleet widgets;
 * - `Error` on rollbacks, to count them by cause; `Check` on a check's rates.
 */
import type { JudgeResult } from '../judges/types';
import type { Rollout } from '../rollout';

export const NAMESPACE = 'Coalmine';

export const METRICS = {
  canaryWeight: { name: 'CanaryWeight', unit: 'Percent' },
  canaryFailureRate: { name: 'CanaryFailureRate', unit: 'Percent' },
  baselineFailureRate: { name: 'BaselineFailureRate', unit: 'Percent' },
  requestsStillNeeded: { name: 'RequestsStillNeeded', unit: 'Count' },
  verdictPass: { name: 'VerdictPass', unit: 'Count' },
  verdictFail: { name: 'VerdictFail', unit: 'Count' },
  verdictInconclusive: { name: 'VerdictInconclusive', unit: 'Count' },
  promoted: { name: 'RolloutPromoted', unit: 'Count' },
  rolledBack: { name: 'RolloutRolledBack', unit: 'Count' },
  rollbackLatency: { name: 'RollbackLatency', unit: 'Milliseconds' },
  reconcilerRollback: { name: 'ReconcilerRollback', unit: 'Count' },
  hookPassed: { name: 'HookPassed', unit: 'Count' },
  hookFailed: { name: 'HookFailed', unit: 'Count' },
  hookDuration: { name: 'HookDuration', unit: 'Milliseconds' },
} as const;

export type MetricKey = keyof typeof METRICS;

/** One EMF document: these metrics, under each of these dimension sets (an empty set: the service only). */
export interface MetricRecord {
  readonly dimensionSets: ReadonlyArray<Readonly<Record<string, string>>>;
  readonly values: ReadonlyArray<{ readonly metric: MetricKey; readonly value: number }>;
}

const VERDICT_METRIC = { pass: 'verdictPass', fail: 'verdictFail', inconclusive: 'verdictInconclusive' } as const satisfies Record<string, MetricKey>;

/** How metrics name a rollout: its name (the target's, by default) and its target's type. */
export interface RolloutLabel {
  readonly name: string;
  readonly targetType: string;
}

export const labelOf = (rollout: Rollout): RolloutLabel => ({ name: rollout.name, targetType: rollout.request.target.type });

function rolloutDimensions(label: RolloutLabel): Record<string, string> {
  return { Rollout: label.name, TargetType: label.targetType };
}

interface CheckEvidence {
  readonly metric?: unknown;
  readonly requestsNeeded?: unknown;
  readonly evidence?: { readonly canary?: { readonly requests?: unknown; readonly failures?: unknown }; readonly baseline?: { readonly requests?: unknown; readonly failures?: unknown } };
}

const rateOf = (arm: { requests?: unknown; failures?: unknown } | undefined): number | undefined =>
  typeof arm?.requests === 'number' && typeof arm.failures === 'number' && arm.requests > 0 ? (100 * arm.failures) / arm.requests : undefined;

/** The per-check rates a metrics judge's evidence holds, by check name. */
function checkRates(checks: readonly Omit<JudgeResult, 'memory'>[]): Array<{ check: string; canary: number; baseline: number }> {
  const rates: Array<{ check: string; canary: number; baseline: number }> = [];
  for (const check of checks) {
    const metrics = (check.evidence as { metrics?: unknown }).metrics;
    if (!Array.isArray(metrics)) continue;
    for (const entry of metrics as CheckEvidence[]) {
      const canary = rateOf(entry.evidence?.canary);
      const baseline = rateOf(entry.evidence?.baseline);
      if (typeof entry.metric === 'string' && canary !== undefined && baseline !== undefined) rates.push({ check: entry.metric, canary, baseline });
    }
  }
  return rates;
}

function requestsStillNeeded(checks: readonly Omit<JudgeResult, 'memory'>[]): number | undefined {
  const needed = checks.map((c) => (c.evidence as { requestsNeeded?: unknown }).requestsNeeded).filter((n): n is number => typeof n === 'number');
  return needed.length === 0 ? undefined : Math.max(...needed);
}

/** What one analysis publishes: the weight, the verdict, the requests still needed, each check's two rates. */
export function analysisRecords(rollout: Rollout, analysis: { readonly verdict: keyof typeof VERDICT_METRIC; readonly step: { readonly weight: number }; readonly checks: readonly Omit<JudgeResult, 'memory'>[] }): MetricRecord[] {
  const dimensions = rolloutDimensions(labelOf(rollout));
  const needed = requestsStillNeeded(analysis.checks);
  const records: MetricRecord[] = [
    {
      dimensionSets: [dimensions],
      values: [{ metric: 'canaryWeight', value: analysis.step.weight }, ...(needed === undefined ? [] : [{ metric: 'requestsStillNeeded' as const, value: needed }])],
    },
    { dimensionSets: [dimensions, {}], values: [{ metric: VERDICT_METRIC[analysis.verdict], value: 1 }] },
  ];
  for (const rate of checkRates(analysis.checks)) {
    records.push({
      dimensionSets: [{ ...dimensions, Check: rate.check }],
      values: [
        { metric: 'canaryFailureRate', value: rate.canary },
        { metric: 'baselineFailureRate', value: rate.baseline },
      ],
    });
  }
  return records;
}

/** A hook's answer (shared/hooks): passed or failed, and how long it took, per rollout and hook. */
export function hookRecords(label: RolloutLabel, answer: { readonly hook: string; readonly status: 'passed' | 'failed'; readonly durationMs: number }): MetricRecord[] {
  return [
    {
      dimensionSets: [{ ...rolloutDimensions(label), Hook: answer.hook }],
      values: [
        { metric: answer.status === 'passed' ? 'hookPassed' : 'hookFailed', value: 1 },
        { metric: 'hookDuration', value: answer.durationMs },
      ],
    },
  ];
}

/** A promotion: counted per rollout and across them. */
export function promotedRecords(rollout: Rollout): MetricRecord[] {
  return [{ dimensionSets: [rolloutDimensions(labelOf(rollout)), {}], values: [{ metric: 'promoted', value: 1 }] }];
}

export interface RollbackFacts {
  /** The error the rollout ended with: CanaryAnalysisFailed, AlarmRollback, ManualRollback, States.Timeout, … */
  readonly error: string;
  /** From the alarm's change or the person's command to a verified 0 %, when known. */
  readonly latencyMs?: number;
  /** The reconciler did it, after the execution had ended. */
  readonly byReconciler?: boolean;
}

/** A rollback: counted per rollout, across them and by its error; its latency; the reconciler's own count. */
export function rolledBackRecords(label: RolloutLabel, facts: RollbackFacts): MetricRecord[] {
  const records: MetricRecord[] = [{ dimensionSets: [rolloutDimensions(label), {}, { Error: facts.error }], values: [{ metric: 'rolledBack', value: 1 }] }];
  const fleet: MetricRecord['values'] = [
    ...(facts.latencyMs === undefined ? [] : [{ metric: 'rollbackLatency' as const, value: facts.latencyMs }]),
    ...(facts.byReconciler === true ? [{ metric: 'reconcilerRollback' as const, value: 1 }] : []),
  ];
  if (fleet.length > 0) records.push({ dimensionSets: [{}], values: fleet });
  return records;
}
