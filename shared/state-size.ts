/**
 * The largest execution state a request can make, computed at plan time so that a request that could pass
 * Step Functions' 256 KiB limit (States.DataLimitExceeded, which no Catch handles) is refused before it starts.
 *
 * The state is {rollout, progress, verification, analysis, ...}: the rollout (request and plan) is measured
 * as JSON; progress grows by one shift per step; the analysis is bounded per check by the judges' own bounds
 * (metrics: bounded.ts; alarms: alarm-states.ts). test/unit/state-size.test.ts checks the estimate against
 * the state the real AnalyzeCanary task makes for the largest request.
 */
import { ALARM_STATE_BYTES } from './judges/alarm-states';
import { METRIC_CHECK_STATE_BYTES, METRIC_CHECK_NAME_COPIES } from './judges/metrics/bounded';
import type { RolloutRequest } from './config/request';

/** The refusal threshold: 64 KiB below the service's 256 KiB, for what the bounds above do not model exactly. */
export const STATE_BYTE_BUDGET = 192 * 1024;

/** {"weight":100,"at":"2030-01-07T09:00:00.000Z"}, and a comma. */
const SHIFT_BYTES = 47;
/** Everything but the rollout, the shifts and the checks: field names, ISO times, step numbers, a failure. */
const FIXED_BYTES = 4 * 1024;
/** Execution name (80 characters at most), start time, baseline description. */
const ROLLOUT_EXTRA_BYTES = 600;
/**
 * A gate's answer ($.approval: the approver, clipped to 300 characters) and a rejection's cause (clipped
 * reason and approver, in $.failure and again in $.rollback), with the gate's own fields (shared/actions/approve.ts).
 */
export const GATE_STATE_BYTES = 2 * 1024;

/**
 * Hook answers in the state ($.analysis.hook, $.promotion.hook): status, a reason clipped to 500 characters
 * (shared/hooks/hook-answer.ts), the function's ARN, duration and attempts; a failure copies the reason into
 * $.failure and $.rollback.
 */
export const HOOK_STATE_BYTES = 3 * 1024;

const utf8 = (value: unknown): number => Buffer.byteLength(JSON.stringify(value), 'utf8');

export function worstCaseStateBytes(request: RolloutRequest, plan: unknown, steps: number): number {
  const postPromotion = request.postPromotion?.analysis;
  // A post-promotion look's analysis replaces the last step's in $.analysis; counted on top, to be safe.
  const metrics = [...request.analysis.metrics, ...(postPromotion?.metrics ?? [])];
  const alarmNames = [...request.analysis.alarms, ...(postPromotion?.alarms ?? [])];
  const checks = metrics.reduce(
    (sum, check) => sum + METRIC_CHECK_STATE_BYTES + METRIC_CHECK_NAME_COPIES * utf8('name' in check ? check.name : check.metric),
    0,
  );
  const alarms = alarmNames.reduce((sum, name) => sum + ALARM_STATE_BYTES + utf8(name), 0);
  // The SLO gate keeps what a check keeps (memory of its looks, evidence, a reason); the minimum sample fits in FIXED_BYTES.
  const slo = request.analysis.slo === undefined ? 0 : METRIC_CHECK_STATE_BYTES;
  const gated = request.analysis.inconclusive.then === 'hold' || (request.strategy.steps ?? []).some((step) => step.approval !== undefined);
  return (
    utf8(request) + utf8(plan) + ROLLOUT_EXTRA_BYTES + steps * SHIFT_BYTES + checks + slo + alarms + FIXED_BYTES +
    (gated ? GATE_STATE_BYTES : 0) + (request.hooks === undefined ? 0 : HOOK_STATE_BYTES)
  );
}
