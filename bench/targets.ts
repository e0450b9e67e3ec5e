/**
 * The targets of issue 14, each beside its measurement: computed from the scenarios' figures (and, for the
 * state transitions, from the planner), printed after the tables and kept in latest.json under `targets`.
 */
import { parseRolloutRequest } from '../shared/config/request';
import { formatDuration } from '../shared/duration';
import { planRollout } from '../shared/plan';
import type { ScenarioFigures } from './compare';
import { ALARM_NAME, COALMINE_METRICS, COALMINE_NAME } from './scenarios';

export interface TargetRow {
  readonly target: string;
  readonly measured: string;
  readonly met: boolean;
}

const MAX_FALSE_ROLLBACKS = 0.01;
const MIN_SHARE_OF_LIMIT = 0.9;
const MAX_MEDIAN_DETECT_X5_SECONDS = 120;
const MAX_MEDIAN_DETECT_X5_ALARM_SECONDS = 180;
const MIN_PROMOTED_IN_TIME = 0.9;
const MAX_TRANSITIONS_CANARY10_5M = 30;

const percent = (x: number): string => `${(100 * x).toFixed(2)} %`;

/** The nominal state transitions of canary10-5m with the default interval, judged as the benchmark judges. */
export function canary10Transitions(): number {
  const request = parseRolloutRequest({
    target: { type: 'lambda-alias', functionName: 'checkout', alias: 'live', version: '42' },
    strategy: { preset: 'canary10-5m' },
    analysis: { metrics: COALMINE_METRICS },
  });
  return planRollout(request, { observable: true }).stateTransitions.nominal;
}

export function targetRows(scenarios: readonly ScenarioFigures[]): TargetRow[] {
  const rows: TargetRow[] = [];
  const aa = scenarios.filter((s) => !s.regression);
  const coalmineOf = (s: ScenarioFigures) => s.judges[COALMINE_NAME];
  for (const s of aa) {
    const f = coalmineOf(s);
    if (f === undefined) continue;
    rows.push({ target: `${s.scenario}: false rollbacks ≤ ${percent(MAX_FALSE_ROLLBACKS)}`, measured: percent(f.rollbackRate), met: f.rollbackRate <= MAX_FALSE_ROLLBACKS });
  }
  const regressions = scenarios.filter((s) => s.regression);
  for (const s of regressions) {
    const f = coalmineOf(s);
    if (f === undefined || f.detectionRate === null || s.powerLimit === null || s.powerLimit === 0) continue;
    const share = f.detectionRate / s.powerLimit;
    rows.push({ target: `${s.scenario}: detection ≥ ${MIN_SHARE_OF_LIMIT} of the limit`, measured: `${f.detectionRate.toFixed(3)} of ${s.powerLimit.toFixed(3)} (${share.toFixed(3)})`, met: share >= MIN_SHARE_OF_LIMIT });
  }
  for (const s of regressions) {
    const f = coalmineOf(s);
    const same = aa.find((a) => a.requestsPerSecond === s.requestsPerSecond && a.scenario.startsWith('A/A'));
    const own = same === undefined ? undefined : coalmineOf(same);
    if (f === undefined || own === undefined || same === undefined) continue;
    // Other judges (not coalmine's own configurations) no more trigger-happy than coalmine on A/A at this traffic.
    const comparable = Object.entries(s.judges).filter(([name]) => !name.startsWith(COALMINE_NAME) && (same.judges[name]?.rollbackRate ?? Infinity) <= own.rollbackRate);
    const best = comparable.reduce<[string, number] | undefined>((b, [name, j]) => (b === undefined || j.meanCanaryErrorsServed < b[1] ? [name, j.meanCanaryErrorsServed] : b), undefined);
    rows.push({
      target: `${s.scenario}: canary errors served ≤ every judge with no more A/A false rollbacks`,
      measured: `${f.meanCanaryErrorsServed.toFixed(1)}${best === undefined ? ' (no comparable judge)' : `; fewest of the others: ${best[1].toFixed(1)} (${best[0]})`}`,
      met: best === undefined || f.meanCanaryErrorsServed <= best[1],
    });
  }
  const x5 = scenarios.find((s) => s.scenario === 'errors ×5');
  const x5Coalmine = x5 === undefined ? undefined : coalmineOf(x5)?.medianSecondsToDetect;
  const x5Alarm = x5?.judges[ALARM_NAME]?.medianSecondsToDetect;
  if (x5Coalmine !== undefined) {
    rows.push({
      target: `errors ×5: median time to detect ≤ ${formatDuration(MAX_MEDIAN_DETECT_X5_SECONDS)} (the alarm ≤ ${formatDuration(MAX_MEDIAN_DETECT_X5_ALARM_SECONDS)})`,
      measured: `${x5Coalmine === null ? '–' : formatDuration(x5Coalmine)} (the alarm ${x5Alarm === undefined || x5Alarm === null ? '–' : formatDuration(x5Alarm)})`,
      met: x5Coalmine !== null && x5Coalmine <= MAX_MEDIAN_DETECT_X5_SECONDS,
    });
  }
  for (const s of aa) {
    const f = coalmineOf(s);
    if (f === undefined || f.promotedInTimeRate === null) continue;
    rows.push({
      target: `${s.scenario}: promoted within the documented bound ≥ ${percent(MIN_PROMOTED_IN_TIME)}`,
      measured: `${percent(f.promotedInTimeRate)}${f.medianSecondsToPromote === null ? '' : `; median ${formatDuration(f.medianSecondsToPromote)}`}`,
      met: f.promotedInTimeRate >= MIN_PROMOTED_IN_TIME,
    });
  }
  const transitions = canary10Transitions();
  rows.push({ target: `canary10-5m: state transitions ≤ ${MAX_TRANSITIONS_CANARY10_5M} (coalmine plan)`, measured: `${transitions} nominal`, met: transitions <= MAX_TRANSITIONS_CANARY10_5M });
  return rows;
}
