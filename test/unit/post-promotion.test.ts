/**
 * The post-promotion bake and the hooks, as pure decisions: the request's rules, the plan's looks and
 * transitions, the rule after each look, the window metric checks compare, and what a hook's answer means.
 */
import type { MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import { parseRolloutRequest } from '../../shared/config/request';
import { judgeHookOutcome, newVersionOf, type HookOutcome } from '../../shared/hooks/hook-answer';
import { isTransientInvokeError } from '../../shared/hooks/run-hook';
import { MetricsJudge } from '../../shared/judges/metrics';
import { beforeRolloutWindow } from '../../shared/judges/metrics/windows';
import { planRollout, STATES_PER_PATH } from '../../shared/plan';
import { decideAfterLook, postPromotionAnalysisOf } from '../../shared/post-promotion';

const target = { type: 'lambda-alias', functionName: 'checkout', alias: 'live', version: '42' } as const;
const request = (extra: object, analysis: object = { alarms: ['checkout-errors'] }) =>
  parseRolloutRequest({ target, strategy: { preset: 'canary10-5m' }, analysis, ...extra });
const problems = (extra: object): string => {
  try {
    request(extra);
    return '';
  } catch (error) {
    return (error as Error).message;
  }
};

describe('postPromotion in the request', () => {
  it.each([
    [{ postPromotion: {} }, 'postPromotion.bakeSeconds: required: how many seconds to watch the new version at 100 % after the promotion'],
    [{ postPromotion: { bakeSeconds: 30 } }, 'postPromotion.bakeSeconds: a post-promotion bake lasts at least 60 seconds (one look)'],
    [{ postPromotion: { bakeSeconds: 8 * 24 * 3600 } }, 'postPromotion.bakeSeconds: a post-promotion bake lasts at most 604800 seconds (7 days)'],
    [{ postPromotion: { bakeSeconds: 600, intervalSeconds: 900 } }, 'postPromotion.intervalSeconds: intervalSeconds (900) is longer than the bake (600 s): the bake would have no look'],
    [{ postPromotion: { bakeSeconds: 600, intervalSeconds: 30 } }, "postPromotion.intervalSeconds: looks are at least 60 seconds apart (CloudWatch keeps Lambda's metrics per minute)"],
    [{ postPromotion: { bakeSeconds: 604800, intervalSeconds: 60 } }, 'a bake of 604800 s every 60 s makes 10080 looks, over 500: give a longer intervalSeconds (at least 1210)'],
    [{ postPromotion: { bakeSeconds: 600, analysis: { inconclusive: { maxExtraBakes: 1 } } } }, 'postPromotion.analysis: unknown field "inconclusive"'],
    [{ postPromotion: { bakeSeconds: 600, bake: 1 } }, 'postPromotion: unknown field "bake"'],
  ])('%j is refused: %s', (extra, message) => {
    expect(problems(extra)).toContain(message);
  });

  it('takes a bake with the default interval, and one with its own analysis', () => {
    expect(request({ postPromotion: { bakeSeconds: 1800 } }).postPromotion).toEqual({ bakeSeconds: 1800 });
    const own = request({ postPromotion: { bakeSeconds: 1800, intervalSeconds: 60, analysis: { alarms: ['checkout-memory'], metrics: [{ metric: 'errors' }] } } });
    expect(postPromotionAnalysisOf(own)).toMatchObject({ alarms: ['checkout-memory'], metrics: [{ metric: 'errors' }], inconclusive: { maxExtraSeconds: 3600 } });
  });

  it("judges with the rollout's own alarms, and no metric check, when postPromotion.analysis is absent", () => {
    const withMetrics = request({ postPromotion: { bakeSeconds: 600 } }, { alarms: ['checkout-errors'], metrics: [{ metric: 'errors' }] });
    expect(postPromotionAnalysisOf(withMetrics)).toMatchObject({ alarms: ['checkout-errors'], metrics: [] });
  });
});

describe('hooks in the request', () => {
  it.each([
    [{ hooks: { preTraffic: {} } }, 'hooks.preTraffic.function: required: the Lambda function to invoke (a name or an ARN)'],
    [{ hooks: { preTraffic: { function: 'arn:aws:s3:::bucket' } } }, 'hooks.preTraffic.function: function is a Lambda function name'],
    [{ hooks: { onStep: { function: 'smoke', timeoutSeconds: 121 } } }, 'hooks.onStep.timeoutSeconds: a hook gets at most 120 seconds per attempt'],
    [{ hooks: { onStep: { function: 'smoke', retries: 6 } } }, 'hooks.onStep.retries: at most 5 retries'],
    [{ hooks: { postTraffic: { function: 'smoke', timeoutSeconds: 100, retries: 2 } } }, 'timeoutSeconds × (1 + retries) may be at most 240 seconds'],
    [{ hooks: { afterTraffic: { function: 'smoke' } } }, 'hooks: unknown field "afterTraffic"'],
  ])('%j is refused: %s', (extra, message) => {
    expect(problems(extra)).toContain(message);
  });

  it('defaults to 30 s and 2 retries, and takes a name, name:qualifier or ARN', () => {
    expect(request({ hooks: { preTraffic: { function: 'smoke' } } }).hooks).toEqual({ preTraffic: { function: 'smoke', timeoutSeconds: 30, retries: 2 } });
    for (const fn of ['smoke:live', 'arn:aws:lambda:eu-west-1:123456789012:function:smoke', 'arn:aws:lambda:eu-west-1:123456789012:function:smoke:3']) {
      expect(problems({ hooks: { preTraffic: { function: fn } } })).toBe('');
    }
  });
});

describe('the plan of a post-promotion bake', () => {
  it('canary10-5m with a 30-minute bake: 6 looks, 35 minutes, and the transitions of every look', () => {
    const plain = planRollout(request({}), { observable: true });
    const plan = planRollout(request({ postPromotion: { bakeSeconds: 1800 } }), { observable: true });

    expect(plan.postPromotion).toEqual({ bakeSeconds: 1800, intervalSeconds: 300, looks: 6 });
    expect(plan.nominalSeconds).toBe(300 + 1800);
    expect(plan.stateTransitions.nominal).toBe(plain.stateTransitions.nominal + STATES_PER_PATH.bakeStart + 6 * STATES_PER_PATH.bakeLook);
    expect(plan.stateTransitions).toEqual({ nominal: 46, worstCase: 409 });
    expect(plan.nominalCostUsd).toBeCloseTo(46 * 0.000025, 12);
  });

  it('counts ceil(bake / interval) looks', () => {
    expect(planRollout(request({ postPromotion: { bakeSeconds: 700, intervalSeconds: 300 } }), { observable: true }).postPromotion?.looks).toBe(3);
    expect(planRollout(request({ postPromotion: { bakeSeconds: 120 } }), { observable: true }).postPromotion).toEqual({ bakeSeconds: 120, intervalSeconds: 120, looks: 1 });
  });

  it('counts each hook run: preTraffic and postTraffic once, onStep once per step', () => {
    const hooked = planRollout(
      parseRolloutRequest({ target, strategy: { weights: [10, 50, 100], bakeSeconds: 60 }, analysis: {}, hooks: { preTraffic: { function: 'a' }, onStep: { function: 'b' }, postTraffic: { function: 'c' } } }),
      { observable: true },
    );
    const plain = planRollout(parseRolloutRequest({ target, strategy: { weights: [10, 50, 100], bakeSeconds: 60 }, analysis: {} }), { observable: true });
    expect(hooked.stateTransitions.nominal - plain.stateTransitions.nominal).toBe(4 * STATES_PER_PATH.hook);
    // Each hook may take timeoutSeconds × (1 + retries): 90 s at the defaults, four runs.
    expect(hooked.worstCaseSeconds - plain.worstCaseSeconds).toBe(4 * 90);
  });
});

describe('after each look of the bake', () => {
  const bake = { bakeSeconds: 700, intervalSeconds: 300, looks: 3 };
  it.each([
    ['fail', 1, { action: 'rollback', reason: 'look 1 of 3 after the promotion failed' }],
    ['fail', 3, { action: 'rollback', reason: 'look 3 of 3 after the promotion failed' }],
    ['pass', 1, { action: 'watch', nextWaitSeconds: 300, reason: 'look 1 of 3 after the promotion passed; next look in 300 s' }],
    ['inconclusive', 1, { action: 'watch', nextWaitSeconds: 300, reason: 'look 1 of 3 after the promotion was inconclusive; next look in 300 s' }],
    ['pass', 2, { action: 'watch', nextWaitSeconds: 100, reason: 'look 2 of 3 after the promotion passed; next look in 100 s' }],
    ['pass', 3, { action: 'complete', reason: 'look 3 of 3 after the promotion passed; the 700 s bake ended with no look failed' }],
    ['inconclusive', 3, { action: 'complete', reason: 'look 3 of 3 after the promotion was inconclusive; the 700 s bake ended with no look failed' }],
  ] as const)('%s at look %i: %j', (verdict, look, decision) => {
    expect(decideAfterLook(verdict, look, bake)).toEqual(decision);
  });
});

describe('the window metric checks compare after the promotion', () => {
  const MINUTE = 60_000;
  const START = Date.parse('2030-01-07T09:00:00Z');

  it("is the new version since the promotion against the previous version's window of the same length before the rollout", () => {
    expect(beforeRolloutWindow(START + 5 * MINUTE, START, START + 25 * MINUTE)).toEqual([
      { weight: 50, startMs: START + 5 * MINUTE, endMs: START + 25 * MINUTE, seconds: 1200, baselineShiftMs: 25 * MINUTE },
    ]);
    expect(beforeRolloutWindow(START + 5 * MINUTE, START, START + 5 * MINUTE + 20_000)).toEqual([]);
  });

  it('reads the alias as a whole, and judges a new version that fails more than the old one did before the rollout', async () => {
    const reads: Array<{ queries: readonly MetricDataQuery[]; startMs: number; endMs: number }> = [];
    const promotedAt = START + 5 * MINUTE;
    const now = START + 25 * MINUTE;
    // Per minute: 1,000 invocations all along; 5 errors a minute before the rollout, 40 after the promotion.
    const series = (id: string): Map<number, number> => {
      const values = new Map<number, number>();
      for (let t = START - 60 * MINUTE; t < now; t += MINUTE) values.set(t, id === 'invocations' ? 1000 : t < START ? 5 : 40);
      return values;
    };
    const judge = new MetricsJudge(request({}, { metrics: [{ metric: 'errors' }] }).analysis, async (queries, startMs, endMs) => {
      reads.push({ queries, startMs, endMs });
      return new Map(queries.map((q) => [q.Id as string, series(q.MetricStat?.Metric?.MetricName === 'Errors' ? 'errors' : 'invocations')]));
    });
    const rollout = request({ postPromotion: { bakeSeconds: 1800, analysis: { metrics: [{ metric: 'errors' }] } } });
    const plan = planRollout(rollout, { observable: true });

    const result = await judge.measure({
      request: rollout,
      baseline: { version: '41' },
      plan,
      startedAt: new Date(START).toISOString(),
      progress: { stepIndex: 0, extraBakes: 0, extraSeconds: 0, weight: 10, bakeSeconds: 300, lookSeconds: 60, shiftedAt: new Date(START).toISOString(), shifts: [{ weight: 10, at: new Date(START).toISOString() }] },
      window: { start: new Date(promotedAt), end: new Date(now) },
      bakedSeconds: (now - promotedAt) / 1000,
      memory: undefined,
      promotedAt: new Date(promotedAt).toISOString(),
    });

    expect(reads).toHaveLength(1);
    expect(reads[0]).toMatchObject({ startMs: START - 20 * MINUTE, endMs: now });
    for (const query of reads[0]?.queries ?? []) {
      expect(query.MetricStat?.Metric?.Dimensions).toEqual([
        { Name: 'FunctionName', Value: 'checkout' },
        { Name: 'Resource', Value: 'checkout:live' },
      ]);
    }
    expect(result.verdict).toBe('fail');
    expect(JSON.stringify(result.evidence)).toContain('"canary":{"requests":20000,"failures":800}');
    expect(JSON.stringify(result.evidence)).toContain('"baseline":{"requests":20000,"failures":100}');
  });
});

describe("a hook's answer", () => {
  it.each<[string, HookOutcome, { status: string; reason: string }]>([
    ['passed', { kind: 'answered', payload: '{"status":"passed"}' }, { status: 'passed', reason: 'it answered passed' }],
    ['passed with a reason', { kind: 'answered', payload: '{"status":"passed","reason":"ok"}' }, { status: 'passed', reason: 'ok' }],
    ['failed', { kind: 'answered', payload: '{"status":"failed","reason":"503"}' }, { status: 'failed', reason: '503' }],
    ['failed without a reason', { kind: 'answered', payload: '{"status":"failed"}' }, { status: 'failed', reason: 'it answered failed, without a reason' }],
    ['a function error', { kind: 'answered', functionError: 'Unhandled', payload: '{"errorType":"Error","errorMessage":"boom"}' }, { status: 'failed', reason: 'it raised an error (Unhandled): Error: boom' }],
    ['a function error that is not JSON', { kind: 'answered', functionError: 'Unhandled', payload: 'Task timed out' }, { status: 'failed', reason: 'it raised an error (Unhandled): Task timed out' }],
    ['null', { kind: 'answered', payload: 'null' }, { status: 'failed', reason: 'it answered null; a hook answers {"status": "passed"} or {"status": "failed", "reason": "..."}' }],
    ['"passed" as a string', { kind: 'answered', payload: '"passed"' }, { status: 'failed', reason: 'it answered "passed"; a hook answers {"status": "passed"} or {"status": "failed", "reason": "..."}' }],
    ['a timeout', { kind: 'timed-out', timeoutSeconds: 30 }, { status: 'failed', reason: 'it did not answer within 30 s (timeoutSeconds)' }],
    ['a permanent error', { kind: 'not-invoked', error: 'AccessDeniedException', message: 'not authorized', transient: false }, { status: 'failed', reason: 'Lambda did not run it: AccessDeniedException (not authorized)' }],
    ['throttled past the retries', { kind: 'not-invoked', error: 'TooManyRequestsException', message: 'Rate exceeded', transient: true }, { status: 'failed', reason: 'Lambda did not run it: TooManyRequestsException (Rate exceeded), still after 2 retries' }],
  ])('%s', (_name, outcome, expected) => {
    expect(judgeHookOutcome(outcome, 2)).toEqual(expected);
  });

  it.each([
    ['TooManyRequestsException', true],
    ['ServiceException', true],
    ['EC2ThrottledException', true],
    ['ResourceConflictException', true],
    ['ResourceNotFoundException', false],
    ['AccessDeniedException', false],
    ['InvalidRequestContentException', false],
  ])('%s is transient: %s', (name, transient) => {
    expect(isTransientInvokeError(Object.assign(new Error('x'), { name }))).toBe(transient);
  });

  it("names the new version by its qualified ARN, in the execution's account and region for a bare name", () => {
    const execution = 'arn:aws:states:eu-west-1:123456789012:execution:coalmine-prod-canary:checkout-42';
    expect(newVersionOf(target, execution)).toEqual({ qualifiedArn: 'arn:aws:lambda:eu-west-1:123456789012:function:checkout:42' });
    expect(newVersionOf({ ...target, functionName: 'arn:aws:lambda:us-west-2:210987654321:function:checkout' }, execution)).toEqual({
      qualifiedArn: 'arn:aws:lambda:us-west-2:210987654321:function:checkout:42',
    });
  });
});
