/**
 * Folds the verdicts of several judges into one: any fail fails, else any inconclusive is inconclusive,
 * else pass. Zero judges pass, but say so: the step passed on time alone.
 */
import type { Verdict } from '../rollout';
import type { JudgeResult } from './types';

export interface CombinedVerdict {
  readonly verdict: Verdict;
  readonly reason: string;
}

export function combineJudgeResults(results: readonly JudgeResult[]): CombinedVerdict {
  if (results.length === 0) {
    return { verdict: 'pass', reason: 'no checks are configured (analysis.alarms and analysis.metrics are empty): the step passed on time alone' };
  }
  for (const verdict of ['fail', 'inconclusive'] as const) {
    const matching = results.filter((r) => r.verdict === verdict);
    if (matching.length > 0) return { verdict, reason: matching.map((r) => r.reason).join('; ') };
  }
  return { verdict: 'pass', reason: results.map((r) => r.reason).join('; ') };
}
