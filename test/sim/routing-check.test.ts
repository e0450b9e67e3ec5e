import { checkEdgeRouting, checkRouting, type EdgeRoutingCheckInput, type RoutingCheckInput } from '../../sim/routing-check';

const base: RoutingCheckInput = {
  initial: { functionVersion: '41', weights: {} },
  writes: [],
  served: [{ functionVersion: '41', weights: {} }],
  planWeights: [10, 50],
  baselineVersion: '41',
  canaryVersion: '42',
};
const write = (functionVersion: string, weights: Record<string, number> = {}) => ({ functionName: 'checkout', alias: 'live', functionVersion, weights });

describe('checkRouting', () => {
  it('accepts the writes a plan asks for and traffic routed by them', () => {
    const writes = [write('41', { '42': 0.1 }), write('41', { '42': 0.5 }), write('42')];
    const check = checkRouting({ ...base, writes, served: [base.initial, ...writes] });
    expect(check).toEqual({ weightsSet: [10, 50, 100], weightsServed: [0, 10, 50, 100], problems: [] });
  });

  it('accepts a rollback to 0 %', () => {
    const writes = [write('41', { '42': 0.1 }), write('41')];
    expect(checkRouting({ ...base, writes, served: writes }).problems).toEqual([]);
  });

  it.each([
    ['a weight the plan does not have', [write('41', { '42': 0.3 })], 'alias write 1 set version 41 + {42=0.3}, which the plan does not ask for'],
    ['a third version', [write('40')], 'alias write 1 set version 40, which the plan does not ask for'],
  ])('flags %s', (_case, writes, problem) => {
    expect(checkRouting({ ...base, writes, served: writes }).problems).toContain(problem);
  });

  it('flags traffic routed by an alias state nobody recorded writing', () => {
    const check = checkRouting({ ...base, served: [base.initial, { functionVersion: '41', weights: { '42': 0.2 } }] });
    expect(check.problems).toEqual(['traffic was routed by version 41 + {42=0.2}, which is neither the initial alias nor a write']);
    expect(check.weightsServed).toEqual([0, 20]);
  });
});

describe('checkEdgeRouting', () => {
  const edge: EdgeRoutingCheckInput = {
    initial: '0',
    writes: ['5', '25', '100'],
    served: [
      { greenPercentage: '0', canaryWeight: 0 },
      { greenPercentage: '5', canaryWeight: 5 },
      { greenPercentage: '25', canaryWeight: 25 },
    ],
    planWeights: [5, 25],
    canary: 'green',
    pinProblems: [],
  };

  it('accepts the writes a plan asks for and edges serving them or the value before the rollout', () => {
    expect(checkEdgeRouting(edge)).toEqual({ weightsSet: [5, 25, 100], weightsServed: [0, 5, 25], problems: [] });
  });

  it('reads a blue canary’s share as 100 minus green_percentage', () => {
    const blue = { ...edge, canary: 'blue' as const, initial: '100', writes: ['95', '75', '0'], served: [{ greenPercentage: '95', canaryWeight: 5 }] };
    expect(checkEdgeRouting(blue)).toEqual({ weightsSet: [5, 25, 100], weightsServed: [5], problems: [] });
  });

  it.each([
    ['a write the plan does not ask for', { writes: ['5', '30'] }, 'store write 2 set green_percentage 30 (the green canary at 30 %), which the plan does not ask for'],
    ['a write that is not a whole percentage', { writes: ['5.5'] }, 'store write 1 set green_percentage "5.5", which is not a whole percentage'],
    [
      'an edge serving a value nobody wrote',
      { served: [{ greenPercentage: '40', canaryWeight: 40 }] },
      'the edge routed by green_percentage "40", which is neither the store\'s value before the rollout nor a write of the rollout',
    ],
    ['a pinned viewer on the other colour', { pinProblems: ['the edge sent viewer 203.0.113.1 to blue'] }, 'the edge sent viewer 203.0.113.1 to blue'],
  ])('flags %s', (_case, change, problem) => {
    expect(checkEdgeRouting({ ...edge, ...change }).problems).toContain(problem);
  });
});
