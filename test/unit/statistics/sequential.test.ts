import { createRandom } from '../../../sim/random';
import {
  alphaSpentBy,
  crossingProbability,
  lookBoundary,
  NEVER_REJECT_Z,
  scheduleBoundaries,
  type SequentialLook,
  type SpendingFunction,
} from '../../../shared/judges/statistics/sequential';

const equallySpaced = (looks: number) => Array.from({ length: looks }, (_, i) => (i + 1) / looks);

function lookByLook(alpha: number, spending: SpendingFunction, fractions: readonly number[]): SequentialLook[] {
  const looks: SequentialLook[] = [];
  for (const informationFraction of fractions) looks.push(lookBoundary({ alpha, spending, informationFraction, previousLooks: looks }));
  return looks;
}

describe('alpha spending functions', () => {
  it.each([
    [{ kind: 'pocock' } as const, 0.5, 0.025 * Math.log(1 + (Math.E - 1) * 0.5)],
    [{ kind: 'power', rho: 0.4 } as const, 0.5, 0.025 * Math.pow(0.5, 0.4)],
    [{ kind: 'obrien-fleming' } as const, 1, 0.025],
  ])('%j at t = %p', (spending, t, expected) => {
    expect(alphaSpentBy(spending, 0.025, t)).toBeCloseTo(expected, 12);
  });

  it('spend nothing at 0, everything at 1, and increase in between', () => {
    for (const spending of [{ kind: 'pocock' }, { kind: 'obrien-fleming' }, { kind: 'power', rho: 0.4 }] as const) {
      expect(alphaSpentBy(spending, 0.01, 0)).toBe(0);
      expect(alphaSpentBy(spending, 0.01, 1)).toBe(0.01);
      expect(alphaSpentBy(spending, 0.01, 0.3)).toBeLessThan(alphaSpentBy(spending, 0.01, 0.6));
    }
  });
});

describe('lookBoundary', () => {
  // Published Lan-DeMets boundaries, 5 equally spaced looks, one-sided α = 0.025 (gsDesign / ldbounds).
  it.each([
    ['obrien-fleming', [4.8769, 3.3569, 2.6803, 2.2898, 2.031]],
    ['pocock', [2.438, 2.4268, 2.4101, 2.3966, 2.3859]],
  ] as const)('reproduces the published %s boundaries', (kind, published) => {
    const looks = lookByLook(0.025, { kind }, equallySpaced(5));
    looks.forEach((look, i) => expect(Math.abs(look.boundaryZ - (published[i] as number))).toBeLessThan(2e-4));
  });

  it('spends exactly α over all looks, whatever their number and spacing', () => {
    for (const fractions of [equallySpaced(12), [0.01, 0.02, 0.05, 0.3, 0.31, 1], [0.004, 0.9, 1]]) {
      const looks = lookByLook(0.01, { kind: 'power', rho: 0.4 }, fractions);
      expect(crossingProbability(looks)).toBeCloseTo(0.01, 6);
    }
  });

  it('gives the same boundaries look by look as for a whole schedule', () => {
    const fractions = [0.05, 0.2, 0.5, 0.8, 1];
    const incremental = lookByLook(0.01, { kind: 'pocock' }, fractions);
    scheduleBoundaries({ alpha: 0.01, spending: { kind: 'pocock' }, informationFractions: fractions }).forEach((look, i) =>
      expect(look.boundaryZ).toBeCloseTo((incremental[i] as SequentialLook).boundaryZ, 9),
    );
  });

  it('reports what it spends, and nothing once the information is complete', () => {
    const first = lookBoundary({ alpha: 0.01, informationFraction: 0.5, previousLooks: [] });
    expect(first.alphaSpent).toBeCloseTo(alphaSpentBy({ kind: 'power', rho: 0.4 }, 0.01, 0.5), 12);
    expect(first.nominalAlpha).toBeCloseTo(first.alphaThisLook, 12);
    const last = lookBoundary({ alpha: 0.01, informationFraction: 1.4, previousLooks: [first] });
    expect(last.informationFraction).toBe(1);
    expect(last.final).toBe(true);
    expect(last.alphaSpent).toBe(0.01);
    const after = lookBoundary({ alpha: 0.01, informationFraction: 1.6, previousLooks: [first, last] });
    expect(after.boundaryZ).toBe(NEVER_REJECT_Z);
    expect(after.nominalAlpha).toBe(0);
  });

  it('spends nothing on a look without new information, and such looks do not disturb later boundaries', () => {
    const first = lookBoundary({ alpha: 0.01, informationFraction: 0.3, previousLooks: [] });
    const repeat = lookBoundary({ alpha: 0.01, informationFraction: 0.3, previousLooks: [first] });
    expect(repeat.boundaryZ).toBe(NEVER_REJECT_Z);
    const withRepeat = lookBoundary({ alpha: 0.01, informationFraction: 0.6, previousLooks: [first, repeat] });
    const without = lookBoundary({ alpha: 0.01, informationFraction: 0.6, previousLooks: [first] });
    expect(withRepeat.boundaryZ).toBeCloseTo(without.boundaryZ, 12);
  });

  it('refuses an invalid history', () => {
    expect(() => lookBoundary({ alpha: 0.01, informationFraction: 0.5, previousLooks: [{ informationFraction: 0.4, boundaryZ: 3 }, { informationFraction: 0.2, boundaryZ: 3 }] })).toThrow(RangeError);
    expect(() => lookBoundary({ alpha: 0.7, informationFraction: 0.5, previousLooks: [] })).toThrow(RangeError);
  });

  it('matches a seeded simulation of the cumulative z statistics (with and without drift)', () => {
    const fractions = [0.1, 0.25, 0.5, 0.75, 1];
    const looks = scheduleBoundaries({ alpha: 0.05, spending: { kind: 'pocock' }, informationFractions: fractions });
    const random = createRandom(11);
    const runs = 20_000;
    for (const drift of [0, 2.5]) {
      let crossed = 0;
      for (let run = 0; run < runs; run += 1) {
        let brownian = 0;
        let previous = 0;
        for (const look of looks) {
          const dt = look.informationFraction - previous;
          brownian += drift * dt + Math.sqrt(dt) * random.normal();
          previous = look.informationFraction;
          if (brownian / Math.sqrt(look.informationFraction) >= look.boundaryZ) {
            crossed += 1;
            break;
          }
        }
      }
      const expected = crossingProbability(looks, drift);
      if (drift === 0) expect(expected).toBeCloseTo(0.05, 6);
      // Within 4 binomial standard errors.
      expect(Math.abs(crossed / runs - expected)).toBeLessThan(4 * Math.sqrt((expected * (1 - expected)) / runs));
    }
  });
});
