import { parseRolloutRequest } from '../../shared/config/request';
import { RolloutRequestInvalid } from '../../shared/errors';
import { periodFor, splitWindows } from '../../shared/judges/metrics';

const lambda = { type: 'lambda-alias', functionName: 'checkout', alias: 'live', version: '42' } as const;
const kvs = { type: 'cloudfront-kvs', kvsArn: 'arn:aws:cloudfront::123456789012:key-value-store/abc' } as const;

function analysisOf(analysis: unknown, target: object = lambda) {
  return parseRolloutRequest({ target, strategy: { preset: 'canary10-5m' }, analysis }).analysis;
}

function problemsWith(analysis: unknown, target: object = lambda): string {
  try {
    analysisOf(analysis, target);
  } catch (error) {
    expect(error).toBeInstanceOf(RolloutRequestInvalid);
    return (error as Error).message;
  }
  throw new Error('expected the request to be refused');
}

describe('analysis.metrics in the request', () => {
  it('fills the defaults of built-in checks: no allowed increase, 99 % confidence, power 0.8, critical', () => {
    expect(analysisOf({ metrics: [{ metric: 'errors' }, { metric: 'latency-p99', allowedIncrease: 0.2 }, { metric: 'throttles', critical: false }] })).toMatchObject({
      alarms: [],
      maxNonCriticalFailures: 0,
      metrics: [
        { metric: 'errors', allowedIncrease: 0, confidence: 0.99, power: 0.8, critical: true },
        { metric: 'latency-p99', allowedIncrease: 0.2, confidence: 0.99, power: 0.8, critical: true },
        { metric: 'throttles', allowedIncrease: 0, confidence: 0.99, power: 0.8, critical: false },
      ],
    });
  });

  it('keeps a request without metrics as it was: alarms only', () => {
    expect(analysisOf({ alarms: ['checkout-errors'] })).toMatchObject({ alarms: ['checkout-errors'], metrics: [] });
  });

  it.each([
    [{ metrics: [{ metric: 'errorz' }] }, 'analysis.metrics.0.metric: unknown metric; choose "errors", "throttles" or a latency percentile'],
    [{ metrics: [{ metric: 'errors', confidense: 0.99 }] }, 'analysis.metrics.0: unknown field "confidense"'],
    [{ metrics: [{ metric: 'errors', confidence: 1 }] }, 'confidence must be below 1'],
    [{ metrics: [{ metric: 'errors', allowedIncrease: -0.1 }] }, 'allowedIncrease is a relative increase, at least 0'],
    [{ metrics: [{ metric: 'errors' }, { metric: 'errors' }] }, '"errors" is checked twice'],
    [{ metrics: [{ name: 'mesh', kind: 'latency', canary: { namespace: 'N', metricName: 'L' } }] }, 'baseline'],
  ])('refuses %j', (analysis, message) => {
    expect(problemsWith(analysis)).toContain(message);
  });

  it('refuses built-in checks for a target that is not a Lambda alias, and takes query pairs there', () => {
    expect(problemsWith({ metrics: [{ metric: 'errors' }] }, kvs)).toContain('"errors" is a built-in check of a lambda-alias target');
    const pair = {
      name: 'mesh latency',
      kind: 'latency',
      canary: { namespace: 'Coalmine/Mesh', metricName: 'Latency', dimensions: { Deployment: 'green' } },
      baseline: { namespace: 'Coalmine/Mesh', metricName: 'Latency', dimensions: { Deployment: 'blue' } },
    };
    expect(analysisOf({ metrics: [pair] }, kvs).metrics).toEqual([{ ...pair, percentile: 99, allowedIncrease: 0, confidence: 0.99, power: 0.8, critical: true, dryRun: false }]);
  });
});

describe('split windows', () => {
  const MINUTE = 60_000;
  const T0 = Date.parse('2030-01-07T09:00:00Z');
  const at = (ms: number) => new Date(ms).toISOString();

  it.each([
    [
      'one split, shift a few seconds after the minute',
      [{ weight: 10, at: at(T0 + 4_000) }],
      T0 + 5 * MINUTE + 7_000,
      [{ weight: 10, startMs: T0, endMs: T0 + 5 * MINUTE, seconds: 303 }],
    ],
    [
      'two splits; the minute holding the shift goes to the split that held it longer',
      [
        { weight: 10, at: at(T0) },
        { weight: 50, at: at(T0 + 5 * MINUTE + 40_000) },
      ],
      T0 + 10 * MINUTE,
      [
        { weight: 10, startMs: T0, endMs: T0 + 6 * MINUTE, seconds: 340 },
        { weight: 50, startMs: T0 + 6 * MINUTE, endMs: T0 + 10 * MINUTE, seconds: 260 },
      ],
    ],
    [
      'weights 0 and 100 have nothing to compare; a split shorter than half a minute rounds away',
      [
        { weight: 10, at: at(T0) },
        { weight: 25, at: at(T0 + 5 * MINUTE) },
        { weight: 100, at: at(T0 + 5 * MINUTE + 10_000) },
      ],
      T0 + 6 * MINUTE,
      [{ weight: 10, startMs: T0, endMs: T0 + 5 * MINUTE, seconds: 300 }],
    ],
  ])('%s', (_name, shifts, nowMs, windows) => {
    expect(splitWindows(shifts, nowMs)).toEqual(windows);
  });

  it("uses the finest period CloudWatch still keeps for the rollout's oldest data", () => {
    const day = 86_400_000;
    expect(periodFor(T0, T0 + 13 * day)).toBe(60);
    expect(periodFor(T0, T0 + 20 * day)).toBe(300);
    expect(periodFor(T0, T0 + 100 * day)).toBe(3600);
    expect(splitWindows([{ weight: 10, at: at(T0 + 100_000) }], T0 + 20 * MINUTE, 300)).toEqual([{ weight: 10, startMs: T0, endMs: T0 + 20 * MINUTE, seconds: 1100 }]);
  });
});

describe('analysis.minCanaryRequests and dryRun in the request', () => {
  it.each([
    [{ alarms: ['a'], minCanaryRequests: -1 }, lambda, 'analysis.minCanaryRequests: minCanaryRequests cannot be negative; 0 lets alarms pass a step on any number of requests'],
    [{ alarms: ['a'], minCanaryRequests: 2.5 }, lambda, 'analysis.minCanaryRequests: minCanaryRequests is a whole number of requests'],
    [
      { alarms: ['a'], metrics: [{ metric: 'errors' }], minCanaryRequests: 100 },
      lambda,
      'analysis.minCanaryRequests: minCanaryRequests applies to an analysis with alarms and no acting metric check or SLO (those have their own minimum sample); leave it out',
    ],
    [
      { alarms: ['a'], minCanaryRequests: 100 },
      kvs,
      'analysis.minCanaryRequests: a cloudfront-kvs target has no request count of its own, so its alarms cannot be held to a minimum: add a metric check (a query pair) that counts its requests, or leave minCanaryRequests out',
    ],
    [{ metrics: [{ metric: 'errors', dryRun: 'yes' }] }, lambda, 'dryRun'],
  ])('refuses %j on %j, saying why', (analysis, target, message) => {
    expect(problemsWith(analysis, target)).toContain(message);
  });

  it('takes a minimum with alarms and shadow checks only: they never act, so the alarms alone decide', () => {
    expect(analysisOf({ alarms: ['a'], metrics: [{ metric: 'errors', dryRun: true }], minCanaryRequests: 50 })).toMatchObject({
      minCanaryRequests: 50,
      metrics: [{ metric: 'errors', dryRun: true }],
    });
  });
});
