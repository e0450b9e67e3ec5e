import { binomialLogPmf } from '../../../shared/judges/statistics/distributions';
import { createRandom } from '../../../sim/random';

function moments(draw: () => number, count: number): { mean: number; variance: number } {
  let sum = 0;
  let squares = 0;
  for (let i = 0; i < count; i += 1) {
    const x = draw();
    sum += x;
    squares += x * x;
  }
  const mean = sum / count;
  return { mean, variance: squares / count - mean * mean };
}

describe('createRandom', () => {
  it('is reproducible from its seed and differs between seeds', () => {
    const a = createRandom(7);
    const b = createRandom(7);
    const c = createRandom(8);
    const first = Array.from({ length: 5 }, () => a.uniform());
    expect(Array.from({ length: 5 }, () => b.uniform())).toEqual(first);
    expect(Array.from({ length: 5 }, () => c.uniform())).not.toEqual(first);
    for (const u of first) expect(u > 0 && u < 1).toBe(true);
  });

  // Means within 5 standard errors, variances within 5 % (20,000 draws each): a wrong sampler misses by far more.
  it.each([
    ['binomial(1e6, 0.005) via the order-statistic split', (r: ReturnType<typeof createRandom>) => r.binomial(1_000_000, 0.005), 5000, 4975],
    ['binomial(5400, 0.005) near the inversion limit', (r: ReturnType<typeof createRandom>) => r.binomial(5400, 0.005), 27, 26.865],
    ['binomial(100, 0.7) with p above one half', (r: ReturnType<typeof createRandom>) => r.binomial(100, 0.7), 70, 21],
    ['poisson(3.5) by multiplication', (r: ReturnType<typeof createRandom>) => r.poisson(3.5), 3.5, 3.5],
    ['poisson(1e4) via the gamma split', (r: ReturnType<typeof createRandom>) => r.poisson(10_000), 10_000, 10_000],
    ['gamma(2.5)', (r: ReturnType<typeof createRandom>) => r.gamma(2.5), 2.5, 2.5],
    ['normal', (r: ReturnType<typeof createRandom>) => r.normal(), 0, 1],
  ])('%s has the right mean and variance', (_name, draw, mean, variance) => {
    const random = createRandom(2024);
    const count = 20_000;
    const observed = moments(() => draw(random), count);
    expect(Math.abs(observed.mean - mean)).toBeLessThan(5 * Math.sqrt(variance / count));
    expect(Math.abs(observed.variance - variance) / variance).toBeLessThan(0.05);
  });

  it('draws binomial(200, 0.3) with the exact pmf (chi-square, 99.9 % critical value)', () => {
    const random = createRandom(99);
    const n = 200;
    const p = 0.3;
    const draws = 100_000;
    const counts = new Array<number>(n + 1).fill(0);
    for (let i = 0; i < draws; i += 1) {
      const k = random.binomial(n, p);
      counts[k] = (counts[k] ?? 0) + 1;
    }
    let chiSquare = 0;
    let cells = 0;
    for (let k = 0; k <= n; k += 1) {
      const expected = draws * Math.exp(binomialLogPmf(k, n, p));
      if (expected < 5) continue;
      chiSquare += ((counts[k] ?? 0) - expected) ** 2 / expected;
      cells += 1;
    }
    // About 50 cells: the 99.9th percentile of chi-square with 49 degrees of freedom is 85.4.
    expect(cells).toBeGreaterThan(40);
    expect(chiSquare).toBeLessThan(85.4);
  });

  it('handles degenerate parameters and refuses invalid ones', () => {
    const random = createRandom(1);
    expect(random.binomial(0, 0.5)).toBe(0);
    expect(random.binomial(10, 0)).toBe(0);
    expect(random.binomial(10, 1)).toBe(10);
    expect(random.poisson(0)).toBe(0);
    expect(() => random.binomial(2.5, 0.5)).toThrow(RangeError);
    expect(() => random.binomial(10, 1.5)).toThrow(RangeError);
    expect(() => random.poisson(-1)).toThrow(RangeError);
  });
});
