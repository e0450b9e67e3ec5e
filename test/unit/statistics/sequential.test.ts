import { createRandom } from '../../../sim/random';
import {
  alphaSpentBy,
  crossingProbability,
  DEFAULT_SPENDING,
  lookBoundary,
  lookRecord,
  NEVER_REJECT_Z,
  scheduleBoundaries,
  STEP_RHO,
  stepwiseSpending,
  WITHIN_STEP_SHARE,
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

describe('stepwise spending', () => {
  // canary10-5m's shape, 5 %, 25 %, 50 % for five minutes each: information per step is w·(1 − w)·T.
  const shares = [0.05 * 0.95, 0.25 * 0.75, 0.5 * 0.5].map((x) => x * 300);
  const spending = stepwiseSpending(shares);
  const alpha = 0.01;

  it('ends each step at α·T_k^ρ, spends part of the next step within it in proportion to its information, and all α after the last', () => {
    const [t1, t2] = spending.stepEnds as [number, number, number];
    expect(spending.stepEnds).toEqual([expect.closeTo(0.0979, 4), expect.closeTo(0.4845, 4), 1]);
    expect(alphaSpentBy(spending, alpha, t1, 1)).toBeCloseTo(alpha * t1 ** STEP_RHO, 12);
    expect(alphaSpentBy(spending, alpha, t2, 2)).toBeCloseTo(alpha * t2 ** STEP_RHO, 12);
    const halfway = (t1 + t2) / 2;
    expect(alphaSpentBy(spending, alpha, halfway, 1)).toBeCloseTo(alpha * (t1 ** STEP_RHO + WITHIN_STEP_SHARE * 0.5 * (t2 ** STEP_RHO - t1 ** STEP_RHO)), 12);
    // More traffic than planned spends no more than the step's share before the step's bake is over.
    expect(alphaSpentBy(spending, alpha, 0.9, 1)).toBeCloseTo(alpha * (t1 ** STEP_RHO + WITHIN_STEP_SHARE * (t2 ** STEP_RHO - t1 ** STEP_RHO)), 12);
    expect(alphaSpentBy(spending, alpha, 0.9, 3)).toBe(alpha);
    // The step's looks before its bake is over spend only their share: the rest is its last look's.
    expect(alphaSpentBy(spending, alpha, t1, 0)).toBeCloseTo(WITHIN_STEP_SHARE * alphaSpentBy(spending, alpha, t1, 1), 12);
  });

  it('spends exactly α over a rollout of a look a minute, look by look as for the whole schedule', () => {
    // Fifteen looks, each step's information arriving evenly over its five minutes.
    const fractions: number[] = [];
    const completed: number[] = [];
    spending.stepEnds.forEach((end, k) => {
      const from = k === 0 ? 0 : (spending.stepEnds[k - 1] as number);
      for (let minute = 1; minute <= 5; minute += 1) {
        fractions.push(from + ((end - from) * minute) / 5);
        completed.push(minute === 5 ? k + 1 : k);
      }
    });
    const looks: SequentialLook[] = [];
    fractions.forEach((informationFraction, i) => looks.push(lookRecord(lookBoundary({ alpha, spending, informationFraction, completedSteps: completed[i], previousLooks: looks }))));
    expect(crossingProbability(looks)).toBeCloseTo(alpha, 6);
    expect(looks.map((l) => l.alphaSpent)).toEqual([...(looks.map((l) => l.alphaSpent) as number[])].sort((a, b) => a - b));
    scheduleBoundaries({ alpha, spending, informationFractions: fractions, completedSteps: completed }).forEach((look, i) =>
      expect(look.boundaryZ).toBeCloseTo((looks[i] as SequentialLook).boundaryZ, 9),
    );
    // The step-end looks take the larger part: the first step's last look has the lowest boundary of its step.
    const firstStep = looks.slice(0, 5).map((l) => l.boundaryZ);
    expect(Math.min(...firstStep)).toBe(firstStep[4]);
  });

  it("reads what earlier looks spent from their records, and for looks recorded without one, DEFAULT_SPENDING's α(t)", () => {
    const early = lookBoundary({ alpha, informationFraction: 0.2, previousLooks: [] });
    const withRecord = lookBoundary({ alpha, spending, informationFraction: 0.3, completedSteps: 1, previousLooks: [lookRecord(early)] });
    const withoutRecord = lookBoundary({ alpha, spending, informationFraction: 0.3, completedSteps: 1, previousLooks: [{ informationFraction: 0.2, boundaryZ: early.boundaryZ }] });
    expect(withoutRecord.boundaryZ).toBeCloseTo(withRecord.boundaryZ, 12);
    expect(withRecord.alphaThisLook).toBeCloseTo(withRecord.alphaSpent - alphaSpentBy(DEFAULT_SPENDING, alpha, 0.2), 12);
  });

  it('spends nothing on a look that would spend less than the looks before it, and says when α is all spent', () => {
    const end = lookBoundary({ alpha, spending, informationFraction: 0.1, completedSteps: 1, previousLooks: [] });
    const next = lookBoundary({ alpha, spending, informationFraction: 0.11, completedSteps: 1, previousLooks: [lookRecord(end)] });
    expect(next.alphaSpent).toBeGreaterThan(end.alphaSpent);
    const lower = lookBoundary({ alpha, spending, informationFraction: 0.12, completedSteps: 0, previousLooks: [lookRecord(end)] });
    expect(lower).toMatchObject({ boundaryZ: NEVER_REJECT_Z, alphaThisLook: 0, alphaSpent: end.alphaSpent, final: false });
    const last = lookBoundary({ alpha, spending, informationFraction: 0.95, completedSteps: 3, previousLooks: [lookRecord(end)] });
    expect(last).toMatchObject({ alphaSpent: alpha, final: true });
  });

  it('goes on past the planned information: a long extra bake of the first step leaves α for the later steps', () => {
    // An hour's extra bake at 5 % collects more than the whole plan: t = 1.4 before the second step starts.
    const extra = lookBoundary({ alpha, spending, informationFraction: 1.4, completedSteps: 1, previousLooks: [] });
    expect(extra).toMatchObject({ informationFraction: 1.4, final: false });
    const secondStepEnd = lookBoundary({ alpha, spending, informationFraction: 1.6, completedSteps: 2, previousLooks: [lookRecord(extra)] });
    expect(secondStepEnd.alphaThisLook).toBeGreaterThan(0);
    expect(secondStepEnd.boundaryZ).toBeLessThan(NEVER_REJECT_Z);
    const lastStepEnd = lookBoundary({ alpha, spending, informationFraction: 1.9, completedSteps: 3, previousLooks: [lookRecord(extra), lookRecord(secondStepEnd)] });
    expect(lastStepEnd).toMatchObject({ alphaSpent: alpha, final: true });
    expect(crossingProbability([extra, secondStepEnd, lastStepEnd])).toBeCloseTo(alpha, 6);
    // A function of t alone has spent everything at t = 1.
    expect(lookBoundary({ alpha, informationFraction: 1.4, previousLooks: [] })).toMatchObject({ informationFraction: 1, alphaSpent: alpha, final: true });
  });
});
