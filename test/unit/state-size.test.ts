import { parseRolloutRequest } from '../../shared/config/request';
import { measureStateSizes } from '../fixtures/state/worst-case-state';

const TWENTY_CHECKS = ['errors', 'throttles', ...[50, 60, 70, 75, 80, 85, 90, 91, 92, 93, 94, 95, 96, 97, 98, 99, 99.9, 99.99].map((p) => `latency-p${p}`)];

function largestRequest() {
  return parseRolloutRequest({
    target: { type: 'lambda-alias', functionName: 'checkout', alias: 'live', version: '42' },
    strategy: { weights: [...Array.from({ length: 80 }, (_, i) => i + 1), 100], bakeSeconds: 600 },
    analysis: { metrics: TWENTY_CHECKS.map((metric) => ({ metric })) },
  });
}

beforeAll(() => jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] }));
afterAll(() => jest.useRealTimers());

describe('the execution state of the largest request (80 steps, 20 metric checks, 2,000 req/s, 10-minute bakes)', () => {
  it('stays far below 256 KiB at every step', async () => {
    const run = await measureStateSizes(largestRequest(), 2000);
    process.stdout.write(`largest state: ${run.maxBytes} B at step ${run.atStep}\n`);
    expect(run.maxBytes).toBeLessThan(256 * 1024);
  }, 120_000);
});
