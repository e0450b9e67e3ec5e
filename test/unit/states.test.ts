/**
 * The state names the code refers to (shared/executions/states.ts) against statemachines/canary.asl.yaml:
 * one list, exactly the definition's states, and each group true to what the definition does.
 */
import {
  AFTER_PROMOTION_STATES,
  CANARY_STATES,
  PREFLIGHT_STATE,
  ROLLING_BACK_STATES,
  TARGET_CHANGING_STATES,
  TRAFFIC_MOVING_STATES,
  WAIT_STATES,
} from '../../shared/executions/states';
import { readDefinition } from '../../sim/local-execution';

type State = { Type: string; Next?: string; Default?: string; Choices?: Array<{ Next: string }>; Catch?: Array<{ Next: string }> };
const definition = readDefinition() as unknown as { StartAt: string; States: Record<string, State> };

function successors(state: State): string[] {
  return [...(state.Next ? [state.Next] : []), ...(state.Default ? [state.Default] : []), ...(state.Choices ?? []).map((c) => c.Next), ...(state.Catch ?? []).map((c) => c.Next)];
}

function reachableFrom(name: string): Set<string> {
  const seen = new Set<string>();
  const queue = [name];
  while (queue.length > 0) {
    const next = queue.shift()!;
    for (const s of successors(definition.States[next]!)) {
      if (!seen.has(s)) {
        seen.add(s);
        queue.push(s);
      }
    }
  }
  return seen;
}

describe('ASL state names in one place', () => {
  it('lists exactly the states of the definition', () => {
    expect([...CANARY_STATES].sort()).toEqual(Object.keys(definition.States).sort());
  });

  it('names the start state Preflight', () => {
    expect(definition.StartAt).toBe(PREFLIGHT_STATE);
  });

  it('names Wait states as the wait states, the settle wait before the bake', () => {
    for (const name of Object.values(WAIT_STATES)) expect(definition.States[name]?.Type).toBe('Wait');
    expect(reachableFrom(WAIT_STATES.settle).has(WAIT_STATES.bake)).toBe(true);
  });

  it('counts as target-changing the traffic-moving Tasks and Preflight, all Tasks', () => {
    expect([...TARGET_CHANGING_STATES].sort()).toEqual([PREFLIGHT_STATE, ...TRAFFIC_MOVING_STATES].sort());
    for (const name of TARGET_CHANGING_STATES) expect(definition.States[name]?.Type).toBe('Task');
  });

  it.each(ROLLING_BACK_STATES)('%s is on the way to a rollback: no path from it reaches Promote', (name) => {
    expect(definition.States[name]).toBeDefined();
    expect(reachableFrom(name).has('Promote')).toBe(false);
  });

  it('counts as after the promotion exactly the states reachable from AfterPromotion that can still end promoted', () => {
    const after = [...new Set([...reachableFrom('AfterPromotion'), 'AfterPromotion'])].filter((name) => name !== 'RolloutPromoted' && reachableFrom(name).has('RolloutPromoted'));
    expect(after.sort()).toEqual([...AFTER_PROMOTION_STATES].sort());
    expect(reachableFrom('AnnouncePromoted').has('AfterPromotion')).toBe(true);
    for (const name of AFTER_PROMOTION_STATES) expect(reachableFrom(name).has('Promote')).toBe(false);
  });

  it('counts as rolling back exactly the states whose every path ends in RolledBack or RollbackFailed', () => {
    const rollbackEnds = new Set(['RolledBack', 'RollbackFailed']);
    const endsFrom = (name: string): string[] => [name, ...reachableFrom(name)].filter((s) => successors(definition.States[s]!).length === 0);
    const rollingBack = Object.keys(definition.States).filter((name) => endsFrom(name).every((end) => rollbackEnds.has(end)));
    expect(rollingBack.sort()).toEqual([...ROLLING_BACK_STATES].sort());
  });
});
