/**
 * The windows a look judges: one per traffic split since the rollout's first shift, cumulative, so that
 * every look sees everything the earlier looks saw (the alpha-spending boundaries assume it) and no window
 * mixes two splits (pooling them would let a drifting baseline pose as a regression). Pure.
 *
 * CloudWatch keeps Lambda's metrics per minute, so each boundary (a shift, or now) is rounded to the nearest
 * period boundary: a minute that straddles a shift goes to the split that held it longer. The same
 * rounding for "now" and for the next shift, seconds later, puts the minute in the same window at both looks.
 */

export interface WeightChange {
  /** Canary share in percent from `at` on. */
  readonly weight: number;
  /** ISO time. */
  readonly at: string;
}

export interface SplitWindow {
  /** Canary share in percent during the window. */
  readonly weight: number;
  /** Period-aligned bounds of the data read for this window: [startMs, endMs). */
  readonly startMs: number;
  readonly endMs: number;
  /** Seconds the split actually held, up to now: the denominator of request rates. */
  readonly seconds: number;
  /** The baseline arm's data is read this much earlier than the canary's (beforeRolloutWindow); 0 when absent. */
  readonly baselineShiftMs?: number;
}

/** CloudWatch keeps one-minute data for 15 days, five-minute data for 63 days, hourly data for 455 days. */
const DAY_MS = 86_400_000;

/** The finest period CloudWatch still holds for data as old as `oldestMs`, with a day of margin. */
export function periodFor(oldestMs: number, nowMs: number): number {
  const age = nowMs - oldestMs;
  if (age < 14 * DAY_MS) return 60;
  if (age < 62 * DAY_MS) return 300;
  return 3600;
}

function roundTo(ms: number, periodMs: number): number {
  return Math.round(ms / periodMs) * periodMs;
}

/**
 * One window per split with a canary and a baseline to compare (weights strictly between 0 and 100), from
 * the first shift to `nowMs`. Windows that round to nothing (a split held less than half a period) are left
 * out: their few seconds of traffic go to the neighbouring window.
 */
export function splitWindows(shifts: readonly WeightChange[], nowMs: number, periodSeconds = 60): SplitWindow[] {
  const periodMs = periodSeconds * 1000;
  const windows: SplitWindow[] = [];
  shifts.forEach((shift, i) => {
    if (!(shift.weight > 0 && shift.weight < 100)) return;
    const fromMs = Date.parse(shift.at);
    const next = shifts[i + 1];
    const toMs = Math.min(next === undefined ? nowMs : Date.parse(next.at), nowMs);
    const startMs = roundTo(fromMs, periodMs);
    const endMs = roundTo(toMs, periodMs);
    if (endMs <= startMs) return;
    windows.push({ weight: shift.weight, startMs, endMs, seconds: Math.max(0, (toMs - fromMs) / 1000) });
  });
  return windows;
}

/**
 * After the promotion there is no concurrent baseline: the new version's window since the promotion, against
 * the previous version's window of the same length that ended when the rollout started. One window, of
 * weight 50: each arm had all the traffic for the same time, as a 50/50 split of twice the rate would.
 * Empty before a whole period has passed.
 */
export function beforeRolloutWindow(promotedAtMs: number, rolloutStartMs: number, nowMs: number, periodSeconds = 60): SplitWindow[] {
  const periodMs = periodSeconds * 1000;
  const startMs = roundTo(promotedAtMs, periodMs);
  const endMs = roundTo(nowMs, periodMs);
  if (endMs <= startMs) return [];
  const baselineEndMs = roundTo(rolloutStartMs, periodMs);
  return [{ weight: 50, startMs, endMs, seconds: Math.max(0, (nowMs - promotedAtMs) / 1000), baselineShiftMs: endMs - baselineEndMs }];
}

/** The earliest period start any arm of `windows` reads. */
export function earliestReadMs(windows: readonly SplitWindow[]): number | undefined {
  return windows.reduce<number | undefined>((min, w) => Math.min(min ?? Infinity, w.startMs - (w.baselineShiftMs ?? 0)), undefined);
}

/** The window whose data range holds `timestampMs` (a datapoint's period start), or -1; for the baseline arm, in its shifted range. */
export function windowIndexOf(windows: readonly SplitWindow[], timestampMs: number, arm: 'canary' | 'baseline' = 'canary'): number {
  for (let i = 0; i < windows.length; i += 1) {
    const w = windows[i] as SplitWindow;
    const t = arm === 'baseline' ? timestampMs + (w.baselineShiftMs ?? 0) : timestampMs;
    if (t >= w.startMs && t < w.endMs) return i;
  }
  return -1;
}
