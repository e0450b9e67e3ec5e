/**
 * Hooks in the simulator: hook functions deployed in the world's Lambda (world.hooks), invoked by the real
 * runHook handler from the real state machine, their answers on the timeline.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseScenario, SCENARIO_DIRECTORY } from '../../sim/scenario';
import { simulate } from '../../sim/simulate';

type Document = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** post-promotion-regression without the regression, with `hooks` in the request and `world.hooks` in the world. */
function withHooks(hooks: object, functions: object[]) {
  const document = JSON.parse(readFileSync(join(SCENARIO_DIRECTORY, 'post-promotion-regression.json'), 'utf8')) as Document;
  document.world.traffic.canary = { changes: [] };
  document.rollout.hooks = hooks;
  document.world.hooks = functions;
  return parseScenario(document, 'hooks');
}

describe('hooks in the simulator', () => {
  it('a passing preTraffic hook lets the rollout through the bake to the promotion, and is on the timeline', async () => {
    const events: Array<{ type: string }> = [];
    const result = await simulate(withHooks({ preTraffic: { function: 'smoke' } }, [{ function: 'smoke', status: 'passed', reason: '12 probes answered 200' }]), {
      onEvent: (event) => events.push(event),
    });

    expect(result).toMatchObject({ outcome: 'promoted', finalWeight: 100 });
    expect(events.filter((e) => e.type === 'hook')).toEqual([
      { type: 'hook', at: 0, hook: 'preTraffic', function: 'smoke', status: 'passed', reason: '12 probes answered 200' },
    ]);
    expect(events.filter((e) => e.type === 'bake-look')).toHaveLength(6);
  });

  it('a failing postTraffic hook rolls the promotion back before the bake', async () => {
    const result = await simulate(withHooks({ postTraffic: { function: 'after' } }, [{ function: 'after', status: 'failed', reason: 'p99 3 s on the synthetic checkout' }]));

    expect(result).toMatchObject({ outcome: 'rolled_back', finalWeight: 0, error: 'HookFailed', simulatedSeconds: 300 });
    expect(result.routing.weightsSet).toEqual([10, 100, 0]);
    expect(result.reason).toMatch(/^The postTraffic hook after failed: p99 3 s on the synthetic checkout\. Rolled back/);
  });

  it('a preTraffic hook that raises refuses the rollout with nothing moved', async () => {
    const result = await simulate(withHooks({ preTraffic: { function: 'smoke' } }, [{ function: 'smoke', error: 'connect ECONNREFUSED 10.0.0.7:443' }]));

    expect(result).toMatchObject({ finalWeight: 0, error: 'HookFailed' });
    expect(result.routing.weightsSet).toEqual([]);
    expect(result.reason).toContain('it raised an error (Unhandled): Error: connect ECONNREFUSED 10.0.0.7:443');
  });
});
