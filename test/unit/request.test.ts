import { RolloutRequestInvalid } from '../../shared/errors';
import { parseRolloutRequest, stepsOf, type RolloutRequestInput } from '../../shared/config/request';

const target = { type: 'lambda-alias', functionName: 'checkout', alias: 'live', version: '42' } as const;

function request(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { target, strategy: { preset: 'canary10-5m' }, analysis: {}, ...overrides };
}

/** The message of the RolloutRequestInvalid that parsing throws; fails the test if parsing succeeds or throws anything else. */
function problemsWith(input: unknown): string {
  try {
    parseRolloutRequest(input);
  } catch (error) {
    expect(error).toBeInstanceOf(RolloutRequestInvalid);
    expect((error as Error).name).toBe('RolloutRequestInvalid');
    return (error as Error).message;
  }
  throw new Error(`expected ${JSON.stringify(input)} to be refused`);
}

describe('presets are shaped like CodeDeploy', () => {
  const LINEAR = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100];
  it.each([
    ['canary10-5m', [10, 100], 300],
    ['canary10-10m', [10, 100], 600],
    ['canary10-15m', [10, 100], 900],
    ['canary10-30m', [10, 100], 1800],
    ['linear10-1m', LINEAR, 60],
    ['linear10-2m', LINEAR, 120],
    ['linear10-3m', LINEAR, 180],
    ['linear10-10m', LINEAR, 600],
    ['all-at-once', [100], 0],
  ])('%s moves through %j with %i s bakes', (preset, weights, bakeSeconds) => {
    const parsed = parseRolloutRequest(request({ strategy: { preset } }));

    expect(parsed.strategy).toEqual({ preset });
    expect(stepsOf(parsed.strategy)).toEqual(weights.map((weight) => ({ weight, bakeSeconds })));
  });

  it('names the presets when one is unknown', () => {
    const message = problemsWith(request({ strategy: { preset: 'canary10-60m' } }));

    expect(message).toContain('strategy.preset: unknown preset; choose one of canary10-5m, canary10-10m');
    expect(message).toContain('all-at-once');
  });
});

describe('explicit weights', () => {
  const strategy = (weights: unknown, bakeSeconds: unknown = 600) => request({ strategy: { weights, bakeSeconds } });

  it.each([
    [[100]],
    [[1, 100]],
    [[0.5, 5, 50, 100]],
    [[0.01, 99.99, 100]],
    // Two decimals that binary floating point cannot hold exactly (0.29 * 100 is 28.999999999999996).
    [[0.29, 12.35, 100]],
    [[1.1, 2.3, 4.35, 100]],
    [Array.from({ length: 100 }, (_, i) => i + 1)],
  ])('accepts %j', (weights) => {
    expect(stepsOf(parseRolloutRequest(strategy(weights)).strategy)).toEqual(weights.map((weight) => ({ weight, bakeSeconds: 600 })));
  });

  it.each([
    ['not strictly increasing', [10, 10, 100], 'strategy.weights.1: weights must be strictly increasing: 10 follows 10'],
    ['decreasing', [50, 20, 100], 'strategy.weights.1: weights must be strictly increasing: 20 follows 50'],
    ['not ending at 100', [10, 50], 'strategy.weights: the last weight must be 100'],
    ['more than two decimals', [10.125, 100], 'strategy.weights.0: a weight may have at most two decimals'],
    ['zero', [0, 100], 'strategy.weights.0: a weight must be above 0'],
    ['above 100', [50, 100.5], 'strategy.weights.1: a weight is a percentage of traffic: at most 100'],
    ['empty', [], 'strategy.weights: give at least one weight'],
    ['101 steps', Array.from({ length: 101 }, (_, i) => (i < 100 ? (i + 1) * 0.5 : 100)), 'strategy.weights: at most 100 steps'],
  ])('refuses weights %s', (_case, weights, expected) => {
    expect(problemsWith(strategy(weights))).toContain(expected);
  });

  it('names every problem of the weights at once', () => {
    const message = problemsWith(request({ strategy: { weights: [10.125, 5, 50] } }));

    expect(message).toContain('strategy.weights.0: a weight may have at most two decimals');
    expect(message).toContain('strategy.weights.1: weights must be strictly increasing: 5 follows 10.125');
    expect(message).toContain('strategy.weights: the last weight must be 100');
    expect(message).toContain('strategy.bakeSeconds: explicit weights need "bakeSeconds" too');
  });

  it.each([
    [-5, 'strategy.bakeSeconds: bakeSeconds cannot be negative: give 0 (no bake) or more seconds'],
    [1.5, 'strategy.bakeSeconds: bakeSeconds must be a whole number of seconds'],
  ])('says what is wrong with bakeSeconds %p', (bakeSeconds, problem) => {
    expect(problemsWith(request({ strategy: { weights: [10, 100], bakeSeconds } }))).toContain(problem);
  });

  it('needs bakeSeconds with weights', () => {
    expect(problemsWith(request({ strategy: { weights: [10, 100] } }))).toContain(
      'strategy.bakeSeconds: explicit weights need "bakeSeconds" too',
    );
  });

  it('refuses a preset together with weights', () => {
    expect(problemsWith(request({ strategy: { preset: 'canary10-5m', weights: [100], bakeSeconds: 60 } }))).toContain(
      'strategy: give one of "preset", "weights" with "bakeSeconds", or "steps", not "preset" and "weights" with "bakeSeconds"',
    );
  });

  it('refuses a strategy with neither preset nor weights', () => {
    expect(problemsWith(request({ strategy: {} }))).toContain('strategy: give "preset" (e.g. "canary10-5m"), "weights" with "bakeSeconds", or "steps"');
  });

  it('refuses bakeSeconds without weights', () => {
    expect(problemsWith(request({ strategy: { bakeSeconds: 60 } }))).toContain('strategy.weights: "bakeSeconds" goes with "weights"');
  });

  it.each([
    [31 * 60, '31 minutes, beyond CodeDeploy'],
    [24 * 3600, 'a day'],
    [7 * 24 * 3600, 'seven days'],
  ])('accepts a bake of %i s (%s)', (bakeSeconds) => {
    expect(stepsOf(parseRolloutRequest(strategy([10, 100], bakeSeconds)).strategy)[0]?.bakeSeconds).toBe(bakeSeconds);
  });

  it.each([
    [7 * 24 * 3600 + 1, 'strategy.bakeSeconds: a bake lasts at most 604800 seconds (7 days)'],
    [-1, 'strategy.bakeSeconds'],
    [1.5, 'strategy.bakeSeconds: bakeSeconds must be a whole number of seconds'],
  ])('refuses a bake of %s s', (bakeSeconds, expected) => {
    expect(problemsWith(strategy([10, 100], bakeSeconds))).toContain(expected);
  });
});

describe('the list form: strategy.steps', () => {
  const gate = { timeoutSeconds: 3600, onTimeout: 'rollback' } as const;
  const steps = (list: unknown) => request({ strategy: { steps: list } });

  it('gives each step its own bake and an optional approval, onTimeout defaulting to rollback', () => {
    const parsed = parseRolloutRequest(steps([{ weight: 5, bakeSeconds: 300 }, { weight: 25, bakeSeconds: 600, approval: { timeoutSeconds: 3600 } }, { weight: 100 }]));

    expect(stepsOf(parsed.strategy)).toEqual([
      { weight: 5, bakeSeconds: 300 },
      { weight: 25, bakeSeconds: 600, approval: gate },
      { weight: 100, bakeSeconds: 0 },
    ]);
  });

  it('keeps onTimeout proceed', () => {
    const parsed = parseRolloutRequest(steps([{ weight: 10, bakeSeconds: 60, approval: { timeoutSeconds: 60, onTimeout: 'proceed' } }, { weight: 100 }]));

    expect(stepsOf(parsed.strategy)[0]?.approval).toEqual({ timeoutSeconds: 60, onTimeout: 'proceed' });
  });

  it.each([
    ['no timeoutSeconds', [{ weight: 10, bakeSeconds: 60, approval: {} }, { weight: 100 }], 'strategy.steps.0.approval.timeoutSeconds: required: how many seconds to wait for a person'],
    ['a timeout over 7 days', [{ weight: 10, bakeSeconds: 60, approval: { timeoutSeconds: 604801 } }, { weight: 100 }], 'strategy.steps.0.approval.timeoutSeconds: an approval waits at most 604800 seconds (7 days)'],
    ['a zero timeout', [{ weight: 10, bakeSeconds: 60, approval: { timeoutSeconds: 0 } }, { weight: 100 }], 'strategy.steps.0.approval.timeoutSeconds: an approval waits at least 1 second'],
    ['an unknown onTimeout', [{ weight: 10, bakeSeconds: 60, approval: { ...gate, onTimeout: 'wait' } }, { weight: 100 }], 'strategy.steps.0.approval.onTimeout: onTimeout is "rollback" or "proceed"'],
    ['an unknown approval field', [{ weight: 10, bakeSeconds: 60, approval: { ...gate, approvers: ['ann'] } }, { weight: 100 }], 'strategy.steps.0.approval: unknown field "approvers"'],
    ['a step without its bake', [{ weight: 10 }, { weight: 100 }], 'strategy.steps.0.bakeSeconds: a step below 100 % needs "bakeSeconds"'],
    ['not ending at 100', [{ weight: 10, bakeSeconds: 60 }], 'strategy.steps.0.weight: the last step must be { "weight": 100 }'],
    ['decreasing', [{ weight: 50, bakeSeconds: 60 }, { weight: 20, bakeSeconds: 60 }, { weight: 100 }], 'strategy.steps.1.weight: weights must be strictly increasing: 20 follows 50'],
    ['an approval on the last step', [{ weight: 10, bakeSeconds: 60 }, { weight: 100, approval: gate }], 'strategy.steps.1: the last step { "weight": 100 } is the promotion'],
    ['a bake on the last step', [{ weight: 10, bakeSeconds: 60 }, { weight: 100, bakeSeconds: 60 }], 'strategy.steps.1: the last step { "weight": 100 } is the promotion'],
    ['no steps', [], 'strategy.steps: give at least one step'],
  ])('refuses %s', (_case, list, expected) => {
    expect(problemsWith(steps(list))).toContain(expected);
  });

  it('refuses steps together with a preset', () => {
    expect(problemsWith(request({ strategy: { preset: 'canary10-5m', steps: [{ weight: 100 }] } }))).toContain(
      'strategy: give one of "preset", "weights" with "bakeSeconds", or "steps", not "preset" and "steps"',
    );
  });

  it('takes whole percentages only on a cloudfront-kvs target', () => {
    const kvs = { type: 'cloudfront-kvs', kvsArn: 'arn:aws:cloudfront::123456789012:key-value-store/0123abcd-0123-4567-89ab-0123456789ab' };
    expect(problemsWith(request({ target: kvs, strategy: { steps: [{ weight: 2.5, bakeSeconds: 60 }, { weight: 100 }] } }))).toContain(
      'strategy.steps.0.weight: a cloudfront-kvs target takes whole percentages',
    );
  });
});

describe('override: the emergency lane', () => {
  it('keeps the override with its reason, trimmed', () => {
    expect(parseRolloutRequest(request({ override: { alarmsAlreadyFiring: true, reason: '  hotfix for the checkout errors ' } })).override).toEqual({
      alarmsAlreadyFiring: true,
      reason: 'hotfix for the checkout errors',
    });
  });

  it.each([
    ['no reason', { alarmsAlreadyFiring: true }, 'override.reason: required: say why the rollout needs the override'],
    ['a blank reason', { alarmsAlreadyFiring: true, reason: '   ' }, 'override.reason: say why the rollout needs the override'],
    ['alarmsAlreadyFiring false', { alarmsAlreadyFiring: false, reason: 'x' }, 'override.alarmsAlreadyFiring: alarmsAlreadyFiring is true'],
    ['an unknown field', { alarmsAlreadyFiring: true, reason: 'x', metrics: true }, 'override: unknown field "metrics"'],
  ])('refuses %s', (_case, override, expected) => {
    expect(problemsWith(request({ override }))).toContain(expected);
  });
});

describe('unknown fields are refused at every level, by name', () => {
  it.each([
    ['the request', { ...request(), dryrun: true }, '(request): unknown field "dryrun"'],
    ['target', request({ target: { ...target, versoin: '43' } }), 'target: unknown field "versoin"'],
    ['strategy', request({ strategy: { preset: 'canary10-5m', bakeSecond: 60 } }), 'strategy: unknown field "bakeSecond"'],
    ['analysis', request({ analysis: { alarm: ['checkout-errors'] } }), 'analysis: unknown field "alarm"'],
    [
      'analysis.inconclusive',
      request({ analysis: { inconclusive: { maxExtraBake: 3 } } }),
      'analysis.inconclusive: unknown field "maxExtraBake"',
    ],
  ])('in %s', (_level, input, expected) => {
    const message = problemsWith(input);

    expect(message).toContain(expected);
    expect(message).toContain('check the spelling');
  });

  it('names every unknown field of one object', () => {
    expect(problemsWith({ ...request(), foo: 1, bar: 2 })).toContain('unknown fields "foo", "bar"');
  });
});

describe('missing fields are named', () => {
  it('names each missing top-level field', () => {
    const message = problemsWith({});

    expect(message).toContain('target: required');
    expect(message).toContain('strategy: required');
    expect(message).toContain('analysis: required');
  });

  it('names the missing fields of the target', () => {
    const message = problemsWith(request({ target: { type: 'lambda-alias' } }));

    expect(message).toContain('target.functionName: required');
    expect(message).toContain('target.alias: required');
    expect(message).toContain('target.version: required');
  });

  it('reports every problem at once, separated', () => {
    const message = problemsWith(request({ target: { ...target, alias: '' }, strategy: { preset: 'nope' }, settleSeconds: -1 }));

    expect(message).toMatch(/target\.alias: .*; strategy\.preset: .*; settleSeconds: /);
  });

  it('refuses something that is not an object', () => {
    expect(problemsWith(null)).toContain('(request): ');
    expect(problemsWith('canary10-5m')).toContain('(request): ');
  });
});

describe('target', () => {
  it('refuses $LATEST and says why', () => {
    expect(problemsWith(request({ target: { ...target, version: '$LATEST' } }))).toContain(
      'target.version: a published version number such as "42" ($LATEST cannot take weighted alias traffic)',
    );
  });

  it('takes a numeric version as its string', () => {
    expect(parseRolloutRequest(request({ target: { ...target, version: 42 } })).target).toMatchObject({ version: '42' });
  });

  it.each([['0'], ['-1'], ['4.2'], [''], [0]])('refuses version %j', (version) => {
    expect(problemsWith(request({ target: { ...target, version } }))).toContain('target.version: a published version number');
  });

  it('accepts a function ARN without a qualifier', () => {
    const functionName = 'arn:aws:lambda:eu-west-1:123456789012:function:checkout';
    expect(parseRolloutRequest(request({ target: { ...target, functionName } })).target).toMatchObject({ functionName });
  });

  it('refuses a function ARN with a qualifier', () => {
    const functionName = 'arn:aws:lambda:eu-west-1:123456789012:function:checkout:live';
    expect(problemsWith(request({ target: { ...target, functionName } }))).toContain('target.functionName: a Lambda function name');
  });

  it('refuses an alias made only of digits (Lambda would read it as a version)', () => {
    expect(problemsWith(request({ target: { ...target, alias: '42' } }))).toContain('target.alias: an alias name');
  });

  it('refuses an unknown target type and lists the supported ones', () => {
    expect(problemsWith(request({ target: { ...target, type: 'ecs-service' } }))).toContain(
      'target.type: unknown target type; supported: "lambda-alias"',
    );
  });
});

describe('analysis and defaults', () => {
  it('fills every default of a minimal request', () => {
    const minimal: RolloutRequestInput = { target, strategy: { preset: 'canary10-5m' }, analysis: {} };

    expect(parseRolloutRequest(minimal)).toEqual({
      target,
      strategy: { preset: 'canary10-5m' },
      analysis: {
        alarms: [],
        insufficientData: 'inconclusive',
        metrics: [],
        maxNonCriticalFailures: 0,
        intervalSeconds: 60,
        inconclusive: { maxExtraSeconds: 3600, then: 'rollback' },
      },
      settleSeconds: 30,
      rollbackWindowSeconds: 86_400,
      override: null,
    });
  });

  it('fills the defaults of a partial inconclusive policy', () => {
    const parsed = parseRolloutRequest(request({ analysis: { inconclusive: { then: 'proceed' } } }));

    expect(parsed.analysis.inconclusive).toEqual({ maxExtraSeconds: 3600, then: 'proceed' });
  });

  it('keeps what the user gave', () => {
    const parsed = parseRolloutRequest(
      request({
        name: 'checkout',
        analysis: { alarms: ['checkout-errors'], insufficientData: 'pass', intervalSeconds: 120, inconclusive: { maxExtraSeconds: 0, then: 'proceed' } },
        settleSeconds: 120,
      }),
    );

    expect(parsed.name).toBe('checkout');
    expect(parsed.analysis).toEqual({
      alarms: ['checkout-errors'],
      insufficientData: 'pass',
      metrics: [],
      maxNonCriticalFailures: 0,
      intervalSeconds: 120,
      inconclusive: { maxExtraSeconds: 0, then: 'proceed' },
    });
    expect(parsed.settleSeconds).toBe(120);
  });

  it.each([
    [{ alarms: ['a', 'a'] }, 'analysis.alarms: an alarm is listed twice'],
    [{ alarms: [''] }, 'analysis.alarms.0: an alarm name cannot be empty'],
    [{ alarms: ['x'.repeat(256)] }, 'analysis.alarms.0: CloudWatch alarm names are at most 255 characters'],
    [{ alarms: Array.from({ length: 101 }, (_, i) => `alarm-${i}`) }, 'analysis.alarms: at most 100 alarms'],
    [{ insufficientData: 'ignore' }, 'analysis.insufficientData'],
    // The old count of fixed-length bakes is refused with how to convert it.
    [{ inconclusive: { maxExtraBakes: 2 } }, 'analysis.inconclusive.maxExtraBakes: analysis.inconclusive.maxExtraBakes was replaced by maxExtraSeconds'],
    [{ inconclusive: { maxExtraBakes: 2 } }, 'for the old bound of N extra bakes of S seconds, give "maxExtraSeconds": N × S'],
    [{ inconclusive: { maxExtraSeconds: 7 * 24 * 3600 + 1 } }, 'analysis.inconclusive.maxExtraSeconds: at most 604800 extra seconds per step (7 days)'],
    [{ inconclusive: { maxExtraSeconds: -1 } }, 'analysis.inconclusive.maxExtraSeconds: maxExtraSeconds cannot be negative'],
    [{ intervalSeconds: 30 }, 'analysis.intervalSeconds: intervalSeconds is at least 60 (CloudWatch publishes Lambda metrics per minute)'],
    [{ inconclusive: { then: 'wait' } }, 'analysis.inconclusive.then'],
  ])('refuses analysis %j', (analysis, expected) => {
    expect(problemsWith(request({ analysis }))).toContain(expected);
  });

  it.each([
    [{ name: 'Checkout' }, 'name: a name is 1-40 lower-case letters, digits and dashes'],
    [{ settleSeconds: 3601 }, 'settleSeconds'],
    [{ rollbackWindowSeconds: 604_801 }, 'rollbackWindowSeconds: the rollback window lasts at most 604800 seconds (7 days)'],
    [{ rollbackWindowSeconds: -1 }, 'rollbackWindowSeconds: rollbackWindowSeconds cannot be negative: give 0 (no restore after promotion) or more seconds'],
    [{ rollbackWindowSeconds: 1.5 }, 'rollbackWindowSeconds: rollbackWindowSeconds must be a whole number of seconds'],
    [{ rollbackWindowSeconds: '1d' }, 'rollbackWindowSeconds: rollbackWindowSeconds must be a whole number of seconds'],
  ])('refuses %j', (overrides, expected) => {
    expect(problemsWith(request(overrides))).toContain(expected);
  });

  it.each([0, 3600, 604_800])('keeps a rollback window of %i s', (rollbackWindowSeconds) => {
    expect(parseRolloutRequest(request({ rollbackWindowSeconds })).rollbackWindowSeconds).toBe(rollbackWindowSeconds);
  });

  it('starts its message so that a person knows what failed', () => {
    expect(problemsWith(request({ strategy: { preset: 'nope' } }))).toMatch(/^The rollout request is invalid: /);
  });
});
