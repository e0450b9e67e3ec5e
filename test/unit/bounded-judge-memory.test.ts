import { boundedWindows, EVIDENCE_WINDOWS, LOOKS_KEPT_WHEN_FULL, recentLooks, REMEMBERED_LOOKS } from '../../shared/judges/metrics/bounded';
import { crossingProbability, DEFAULT_SPENDING, lookBoundary, scheduleBoundaries, stepwiseSpending, type SequentialLook, type SpendingFunction } from '../../shared/judges/statistics';
import { lookRecord } from '../../shared/judges/statistics/sequential';

const upTo = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

const arm = (requests: number, failures: number) => ({ requests, failures });

describe('bounded judge memory', () => {
  it('keeps every look until it is full, then the most recent half, and grows again from there', () => {
    const after = (n: number) => upTo(1, n).reduce<number[]>((looks, i) => recentLooks(looks, i), []);
    expect(after(REMEMBERED_LOOKS)).toEqual(upTo(1, REMEMBERED_LOOKS));
    expect(after(REMEMBERED_LOOKS + 1)).toEqual(upTo(REMEMBERED_LOOKS + 2 - LOOKS_KEPT_WHEN_FULL, REMEMBERED_LOOKS + 1));
    expect(after(REMEMBERED_LOOKS + 8)).toEqual(upTo(REMEMBERED_LOOKS + 2 - LOOKS_KEPT_WHEN_FULL, REMEMBERED_LOOKS + 8));
    expect(after(100).length).toBeLessThanOrEqual(REMEMBERED_LOOKS);
    expect(recentLooks([], 1)).toEqual([1]);
  });

  const sixtySteps: SpendingFunction = stepwiseSpending(upTo(1, 60).map(() => 1));
  it.each([
    [0.01, DEFAULT_SPENDING],
    [0.05, DEFAULT_SPENDING],
    [0.01, sixtySteps],
  ])('forgetting older looks keeps the false-rejection rate over 60 looks at most alpha = %p, and costs little (%j)', (alpha, spending) => {
    const fractions = Array.from({ length: 60 }, (_, i) => (i + 1) / 60);
    // One step a look for the stepwise spending: each look ends a step.
    const completed = fractions.map((_, i) => i + 1);
    const exact = scheduleBoundaries({ alpha, spending, informationFractions: fractions, completedSteps: completed });
    const bounded: SequentialLook[] = [];
    let remembered: SequentialLook[] = [];
    for (const [i, informationFraction] of fractions.entries()) {
      const look = lookBoundary({ alpha, spending, informationFraction, completedSteps: completed[i], previousLooks: remembered });
      bounded.push(look);
      remembered = recentLooks(remembered, lookRecord(look));
    }
    bounded.forEach((look, i) => expect(look.boundaryZ).toBeGreaterThanOrEqual((exact[i]?.boundaryZ ?? 0) - 1e-6));
    const falseRejections = crossingProbability(bounded);
    expect(falseRejections).toBeLessThanOrEqual(alpha * (1 + 1e-6));
    expect(falseRejections).toBeGreaterThan(alpha * 0.85);
  });
});

describe('bounded judge evidence', () => {
  it('lists the last windows and sums the older ones', () => {
    const windows = Array.from({ length: 5 }, (_, i) => ({ weight: (i + 1) * 10, canary: arm(100 * (i + 1), i), baseline: arm(1000, 2 * i) }));
    expect(EVIDENCE_WINDOWS).toBe(3);
    expect(boundedWindows(windows)).toEqual({
      windows: windows.slice(2),
      earlier: { windows: 2, canary: arm(300, 1), baseline: arm(2000, 2) },
    });
  });

  it('has no earlier entry while every window fits', () => {
    const windows = [{ weight: 10, canary: arm(1, 0), baseline: arm(9, 0) }];
    expect(boundedWindows(windows)).toEqual({ windows });
  });
});
