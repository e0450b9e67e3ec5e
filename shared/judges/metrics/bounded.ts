/**
 * What keeps the metrics judge's memory and evidence bounded by the number of checks, not by looks × checks
 * or steps × checks: the execution state carries both, and Step Functions caps it at 256 KiB.
 *
 * Memory keeps a check's most recent looks only. Leaving older looks out of the alpha-spending integration
 * is conservative: without their truncation the continuation density is larger everywhere, so the next
 * boundary comes out at least as high as the exact one and the false-rejection rate stays at most alpha.
 * The first looks of a rollout have the highest boundaries and reject almost nothing, so little power is lost.
 * When memory is full it drops to the most recent half, not by one look a look: the looks it keeps are then
 * the same prefix for the next looks, whose integration (sequential.ts) starts from the density it cached.
 *
 * Evidence lists the most recent split windows one by one and sums the older ones into one `earlier` entry.
 */
export const REMEMBERED_LOOKS = 32;
export const LOOKS_KEPT_WHEN_FULL = 16;
export const EVIDENCE_WINDOWS = 3;

/**
 * The most one check adds to the execution state, its name aside: memory (planned information, the
 * remembered looks, a latency threshold) and evidence (the test's numbers, the bounded windows, its reason
 * in the judge's and the analysis' reasons). Measured at 2,000 req/s over 80 steps (test/unit/state-size.test.ts).
 */
export const METRIC_CHECK_STATE_BYTES = 5_000;
/** How often a check's name appears in the state: memory key, evidence, its reason, the combined reasons. */
export const METRIC_CHECK_NAME_COPIES = 6;

/** The looks to remember after this one, oldest first. */
export function recentLooks<T>(looks: readonly T[], latest: T): T[] {
  const all = [...looks, latest];
  return all.length > REMEMBERED_LOOKS ? all.slice(-LOOKS_KEPT_WHEN_FULL) : all;
}

export interface Arm {
  readonly requests: number;
  readonly failures: number;
}

export interface WindowEvidence {
  readonly weight: number | undefined;
  readonly canary: Arm;
  readonly baseline: Arm;
}

export interface EarlierWindows {
  readonly windows: number;
  readonly canary: Arm;
  readonly baseline: Arm;
}

const add = (a: Arm, b: Arm): Arm => ({ requests: a.requests + b.requests, failures: a.failures + b.failures });

/** The last EVIDENCE_WINDOWS windows, and the older ones summed (absent when there are none). */
export function boundedWindows(windows: readonly WindowEvidence[]): { windows: WindowEvidence[]; earlier?: EarlierWindows } {
  const cut = Math.max(0, windows.length - EVIDENCE_WINDOWS);
  if (cut === 0) return { windows: [...windows] };
  const zero = { requests: 0, failures: 0 };
  const older = windows.slice(0, cut);
  return {
    windows: windows.slice(cut),
    earlier: {
      windows: cut,
      canary: older.reduce((sum, w) => add(sum, w.canary), zero),
      baseline: older.reduce((sum, w) => add(sum, w.baseline), zero),
    },
  };
}
