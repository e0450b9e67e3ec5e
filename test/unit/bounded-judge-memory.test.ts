import { boundedWindows, EVIDENCE_WINDOWS, recentLooks, REMEMBERED_LOOKS } from '../../shared/judges/metrics/bounded';
import { crossingProbability, DEFAULT_SPENDING, lookBoundary, scheduleBoundaries, type SequentialLook } from '../../shared/judges/statistics';

const arm = (requests: number, failures: number) => ({ requests, failures });

describe('bounded judge memory', () => {
  it('keeps the most recent looks only', () => {
    let looks: number[] = [];
    for (let i = 1; i <= 30; i += 1) looks = recentLooks(looks, i);
    expect(looks).toEqual(Array.from({ length: REMEMBERED_LOOKS }, (_, i) => 30 - REMEMBERED_LOOKS + 1 + i));
    expect(recentLooks([], 1)).toEqual([1]);
  });

  it.each([0.01, 0.05])('forgetting older looks keeps the false-rejection rate over 60 looks at most alpha = %p, and costs little', (alpha) => {
    const fractions = Array.from({ length: 60 }, (_, i) => (i + 1) / 60);
    const exact = scheduleBoundaries({ alpha, informationFractions: fractions });
    const bounded: SequentialLook[] = [];
    let remembered: SequentialLook[] = [];
    for (const informationFraction of fractions) {
      const look = lookBoundary({ alpha, spending: DEFAULT_SPENDING, informationFraction, previousLooks: remembered });
      bounded.push(look);
      remembered = recentLooks(remembered, { informationFraction: look.informationFraction, boundaryZ: look.boundaryZ });
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
