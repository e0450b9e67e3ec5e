import { checkRouting, type RoutingCheckInput } from '../../sim/routing-check';

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
