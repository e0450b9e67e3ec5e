/**
 * The judges' own estimate of the time an inconclusive analysis still needs: the longest `secondsNeeded` in
 * their evidence (the statistical judge's "N more needed … about T at R/s"). Absent when no inconclusive
 * judge can say: too little data to estimate, or a judge (alarms) that has no notion of it.
 */
import type { JudgeResult } from './types';

export function secondsNeededOf(results: readonly Pick<JudgeResult, 'verdict' | 'evidence'>[]): number | undefined {
  const estimates = results
    .filter((r) => r.verdict === 'inconclusive')
    .map((r) => r.evidence.secondsNeeded)
    .filter((s): s is number => typeof s === 'number' && Number.isFinite(s) && s >= 0);
  return estimates.length === 0 ? undefined : Math.max(...estimates);
}
