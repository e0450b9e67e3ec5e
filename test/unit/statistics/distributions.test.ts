import {
  binomialLowerTail,
  binomialUpperTail,
  logGamma,
  normalCdf,
  normalPdf,
  normalQuantile,
  normalSf,
  normalTailGivenPdf,
  normalUpperQuantile,
} from '../../../shared/judges/statistics/distributions';

// Reference values from scipy 1.17 (stats.norm, special.gammaln, stats.binom).
const relativeError = (actual: number, expected: number) => Math.abs(actual - expected) / Math.abs(expected);

describe('normal distribution', () => {
  it.each([
    [1.96, 0.024997895148220435],
    [2.326347874040841, 0.009999999999999992],
    [5, 2.866515718791933e-7],
    [10, 7.61985302416047e-24],
    [20, 2.7536241186061556e-89],
  ])('upper tail P(Z > %p) keeps full relative precision', (x, expected) => {
    expect(relativeError(normalSf(x), expected)).toBeLessThan(1e-13);
  });

  // mpmath 1.3 at 40 digits: between the table's nodes (at every 1/16), on them, and either side of its end at 8.
  it.each([
    [0.03125, 0.4875350825656229],
    [0.4, 0.3445782583896758],
    [1.15625, 0.12378945675169441],
    [2.0, 0.02275013194817921],
    [2.03125, 0.021114820317715284],
    [2.99, 0.0013948872354922505],
    [3.0, 0.0013498980316300946],
    [5.53125, 1.5897839054349577e-08],
    [7.96875, 8.014367044740579e-16],
    [7.99, 6.746937686753571e-16],
    [8.0, 6.220960574271784e-16],
    [8.01, 5.73542218025805e-16],
    [12.5, 3.732564298877713e-36],
    [30, 4.906713927148187e-198],
  ])('upper tail P(Z > %p) through the Mills-ratio table to 1e-14 (φ itself rounds to about x²/2 ulps)', (x, expected) => {
    expect(relativeError(normalSf(x), expected)).toBeLessThan(1e-14);
    expect(relativeError(normalTailGivenPdf(x, normalPdf(x)), expected)).toBeLessThan(1e-14);
  });

  it('is symmetric: Φ(x) + Φ(−x) = 1 and Φ(0) = 1/2', () => {
    for (const x of [-4, -1.3, 0, 0.7, 2.9999, 3, 3.0001, 6]) expect(normalCdf(x) + normalCdf(-x)).toBeCloseTo(1, 15);
    expect(normalCdf(0)).toBe(0.5);
  });

  it.each([
    [1e-12, -7.034483825301131],
    [0.001, -3.090232306167813],
    [0.01, -2.3263478740408408],
    [0.025, -1.9599639845400545],
    [0.5, 0],
    [0.8, 0.8416212335729143],
    [0.975, 1.959963984540054],
    [0.99, 2.3263478740408408],
  ])('quantile Φ⁻¹(%p) to 1e-9', (p, expected) => {
    expect(Math.abs(normalQuantile(p) - expected)).toBeLessThan(1e-9);
  });

  it('upper quantiles are exact inverses of the tail down to 1e-300', () => {
    for (const q of [0.3, 1e-3, 1e-8, 1e-20, 1e-300]) expect(relativeError(normalSf(normalUpperQuantile(q)), q)).toBeLessThan(1e-12);
  });

  it('handles the ends', () => {
    expect(normalQuantile(0)).toBe(-Infinity);
    expect(normalQuantile(1)).toBe(Infinity);
    expect(normalQuantile(1.5)).toBeNaN();
    expect(normalSf(Infinity)).toBe(0);
    expect(normalSf(-Infinity)).toBe(1);
  });
});

describe('logGamma', () => {
  it.each([
    [0.5, 0.5723649429247],
    [3, 0.6931471805599453],
    [10.5, 13.940625219403763],
    [171.3, 708.1149470389971],
    [1e5, 1051287.7089736569],
  ])('log Γ(%p)', (x, expected) => {
    expect(relativeError(logGamma(x), expected)).toBeLessThan(1e-13);
  });

  it('refuses non-positive arguments', () => {
    expect(() => logGamma(0)).toThrow(RangeError);
  });
});

describe('binomial tails', () => {
  it.each([
    ['P(X >= 60), n 330, p 0.1', binomialUpperTail(60, 330, 0.1), 4.357774995454616e-6],
    ['P(X <= 20), n 330, p 0.1', binomialLowerTail(20, 330, 0.1), 0.007709358121595904],
    ['P(X >= 3), n 3, p 0.1', binomialUpperTail(3, 3, 0.1), 0.001],
    ['P(X >= 120), n 1000, p 0.1', binomialUpperTail(120, 1000, 0.1), 0.021996144965794422],
    ['P(X <= 0), n 1000, p 0.001', binomialLowerTail(0, 1000, 0.001), 0.36769542477096406],
  ])('%s', (_name, actual, expected) => {
    expect(relativeError(actual, expected)).toBeLessThan(1e-11);
  });

  it('has the right edges', () => {
    expect(binomialUpperTail(0, 10, 0.3)).toBe(1);
    expect(binomialUpperTail(11, 10, 0.3)).toBe(0);
    expect(binomialUpperTail(1, 10, 0)).toBe(0);
    expect(binomialLowerTail(10, 10, 0.3)).toBe(1);
    expect(binomialLowerTail(-1, 10, 0.3)).toBe(0);
  });
});
