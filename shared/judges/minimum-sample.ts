/**
 * The minimum sample of an analysis that has only alarms (analysis.minCanaryRequests, config/minimum-sample.ts):
 * fewer canary requests than the minimum since the first shift is inconclusive, whatever the alarms say, with
 * the requests still needed and the time they take at the canary's current rate. Pure; the count is read
 * by canary-requests.ts.
 */
import { formatDuration } from '../duration';
import type { JudgeResult } from './types';

export const MINIMUM_SAMPLE_JUDGE = 'minimum-sample';

export interface CanarySample {
  /** Canary requests since the first shift. */
  readonly canaryRequests: number;
  /** Canary requests per second in the current split, if it has served any. */
  readonly canaryRatePerSecond?: number;
  /** The counted span, ISO times. */
  readonly from: string;
  readonly to: string;
}

const count = (n: number): string => Math.round(n).toLocaleString('en-US');

export function assessCanarySample(sample: CanarySample, minimum: number): JudgeResult {
  const { canaryRequests, canaryRatePerSecond, from, to } = sample;
  const evidence = { canaryRequests, minCanaryRequests: minimum, counted: { from, to } };
  if (canaryRequests >= minimum) {
    return {
      judge: MINIMUM_SAMPLE_JUDGE,
      verdict: 'pass',
      reason: `${count(canaryRequests)} canary requests since the first shift (alarms alone may pass from ${count(minimum)} on)`,
      evidence,
    };
  }
  const requestsNeeded = minimum - canaryRequests;
  const secondsNeeded = canaryRatePerSecond !== undefined && canaryRatePerSecond > 0 ? Math.ceil(requestsNeeded / canaryRatePerSecond) : undefined;
  const eta = secondsNeeded === undefined ? '' : ` (about ${formatDuration(secondsNeeded)} at ${Number(canaryRatePerSecond?.toPrecision(3))}/s)`;
  return {
    judge: MINIMUM_SAMPLE_JUDGE,
    verdict: 'inconclusive',
    reason:
      `only ${count(canaryRequests)} canary request(s) since the first shift: too few for alarms alone to pass a step ` +
      `(analysis.minCanaryRequests ${count(minimum)}); ${count(requestsNeeded)} more needed${eta}`,
    evidence: { ...evidence, requestsNeeded, ...(secondsNeeded === undefined ? {} : { secondsNeeded }) },
  };
}
