/**
 * The lambda-alias router's ownership rule (shared/routers/alias-decisions.ts) as a table: which alias states
 * a rollout of 41 → 42 may write to. The mocked-client suite (lambda-alias-router.test.ts) proves the I/O.
 */
import { TrafficConflict } from '../../shared/errors';
import { assertOwnsAlias, ownsAlias, type AliasRouting } from '../../shared/routers/alias-decisions';

const ROLLOUT = { name: 'checkout:live', baselineVersion: '41', version: '42' };
const alias = (version: string | undefined, weights?: Record<string, number>): AliasRouting => ({
  FunctionVersion: version,
  ...(weights === undefined ? {} : { RoutingConfig: { AdditionalVersionWeights: weights } }),
});

describe('ownsAlias', () => {
  it.each<[string, AliasRouting, boolean]>([
    ['on the baseline, no routing config', alias('41'), true],
    ['on the baseline, empty weights', alias('41', {}), true],
    ['on the baseline with our version weighted', alias('41', { '42': 0.25 }), true],
    ['fully on our version (promoted)', alias('42'), true],
    ['fully on our version with empty weights', alias('42', {}), true],
    ['on the baseline with another version weighted', alias('41', { '43': 0.1 }), false],
    ['on the baseline with ours and another weighted', alias('41', { '42': 0.1, '43': 0.1 }), false],
    ['on our version with a weight left on the baseline', alias('42', { '41': 0.5 }), false],
    ['on another version', alias('40'), false],
    ['on another version with ours weighted', alias('40', { '42': 0.25 }), false],
    ['on $LATEST', alias('$LATEST'), false],
    ['on no version at all', alias(undefined), false],
  ])('%s → %s', (_, routing, owned) => {
    expect(ownsAlias(routing, ROLLOUT)).toBe(owned);
  });

  it('refuses what it does not own with TrafficConflict, saying what the alias points at and what this rollout moves', () => {
    const refuse = () => assertOwnsAlias(alias('41', { '43': 0.1 }), ROLLOUT, 'shift traffic');

    expect(refuse).toThrow(TrafficConflict);
    expect(refuse).toThrow('Cannot shift traffic on checkout:live: the alias was changed outside this rollout (it points at version 41 with 10 % on 43; this rollout moves 41 → 42)');
    expect(() => assertOwnsAlias(alias('41', { '42': 0.1 }), ROLLOUT, 'shift traffic')).not.toThrow();
  });
});
