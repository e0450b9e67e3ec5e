import { parseRolloutRequest } from '../../shared/config/request';
import { RolloutRequestInvalid } from '../../shared/errors';
import { planRollout } from '../../shared/plan';
import { STATE_BYTE_BUDGET } from '../../shared/state-size';
import { measureStateSizes } from '../fixtures/state/worst-case-state';

const TWENTY_CHECKS = ['errors', 'throttles', ...[50, 60, 70, 75, 80, 85, 90, 91, 92, 93, 94, 95, 96, 97, 98, 99, 99.9, 99.99].map((p) => `latency-p${p}`)];

function largestRequest(steps = 80, alarms: string[] = []) {
  return parseRolloutRequest({
    target: { type: 'lambda-alias', functionName: 'checkout', alias: 'live', version: '42' },
    strategy: { weights: [...Array.from({ length: steps }, (_, i) => i + 1), 100], bakeSeconds: 600 },
    analysis: { metrics: TWENTY_CHECKS.map((metric) => ({ metric })), alarms },
  });
}

beforeAll(() => jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] }));
afterAll(() => jest.useRealTimers());

describe('the execution state of the largest request (80 steps, 20 metric checks, 2,000 req/s, 10-minute bakes)', () => {
  it("stays below the planner's worst case at every step, which is not far above it", async () => {
    const request = largestRequest();
    const estimate = planRollout(request, { observable: true }).worstCaseStateBytes;
    const run = await measureStateSizes(request, 2000);
    expect(run.maxBytes).toBeLessThanOrEqual(estimate);
    expect(estimate).toBeLessThan(run.maxBytes * 1.5);
    expect(estimate).toBeLessThan(STATE_BYTE_BUDGET);
  }, 300_000);
});

describe('the planner refuses a request whose state could pass the budget', () => {
  it('100 steps, 20 metric checks and 100 alarms with long names: refused, naming the size and the budget', () => {
    const alarms = Array.from({ length: 100 }, (_, i) => `checkout-${String(i).padStart(3, '0')}-${'x'.repeat(240)}`);
    expect(() => planRollout(largestRequest(99, alarms), { observable: true })).toThrow(RolloutRequestInvalid);
    expect(() => planRollout(largestRequest(99, alarms), { observable: true })).toThrow(
      /execution state could reach [\d,]+ bytes, over the budget of 196,608 bytes .*262,144.*fewer analysis\.alarms/,
    );
  });

  it('the same request with 20 short alarm names fits', () => {
    const plan = planRollout(largestRequest(99, Array.from({ length: 20 }, (_, i) => `checkout-${i}`)), { observable: true });
    expect(plan.worstCaseStateBytes).toBeLessThan(STATE_BYTE_BUDGET);
  });
});
