/**
 * Artifact rules: strict validation at load (with every problem named), glob matching with captures,
 * first match wins, placeholders filled, and the example rules file shipped in config/.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseRolloutRequest } from '../../shared/config/request';
import { ConfigurationError } from '../../shared/errors';
import type { Artifact } from '../../shared/artifacts/artifact';
import { compileGlob, matchArtifact, parseArtifactRules, renderRollout, type ArtifactRules } from '../../shared/artifacts/rules';

const CHECKOUT_TEMPLATE = {
  name: 'checkout',
  target: { type: 'lambda-alias', functionName: '{functionName}', alias: 'live', version: '{version}' },
  strategy: { preset: 'canary10-5m' },
  analysis: { alarms: ['checkout-errors'] },
};

const rulesWith = (...rules: unknown[]): ArtifactRules => parseArtifactRules({ rules }, 'test rules');

/** The ConfigurationError message parsing gives; fails the test if the rules are accepted. */
function problemsWith(rules: unknown[]): string {
  try {
    parseArtifactRules({ rules }, 'test rules');
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    return (error as Error).message;
  }
  throw new Error('expected the rules to be refused');
}

const lambdaVersion = (functionName: string, version: string): Artifact => ({ kind: 'lambda-version', functionName, version });

describe('glob patterns', () => {
  it.each([
    ['checkout', 'checkout', true, []],
    ['checkout', 'checkout-v2', false, []],
    ['checkout-*', 'checkout-eu', true, ['eu']],
    ['checkout-*', 'checkout-', true, ['']],
    ['lambda/*/*.json', 'lambda/checkout/42.json', true, ['checkout', '42']],
    ['lambda/*/*.json', 'lambda/checkout/42.zip', false, []],
    ['*', 'a/b/c', true, ['a/b/c']],
    ['v?', 'v1', true, []],
    ['v?', 'v10', false, []],
    ['release-(1)+.[x]', 'release-(1)+.[x]', true, []],
    ['release-(1)+.[x]', 'release-11.x', false, []],
  ])('%s against %s: %s', (pattern, value, matches, captures) => {
    const found = compileGlob(pattern).regex.exec(value);

    expect(found !== null).toBe(matches);
    if (found !== null) expect(found.slice(1)).toEqual(captures);
  });
});

describe('loading rules', () => {
  it('accepts the example file shipped in config/', () => {
    const text = readFileSync(join(__dirname, '../../config/artifact-rules.json'), 'utf8');

    const rules = parseArtifactRules(JSON.parse(text), 'config/artifact-rules.json');

    expect(rules.rules.map((r) => r.match.kind)).toEqual(['lambda-version', 'lambda-version', 's3-object', 'ecr-image', 'ecr-image']);
  });

  it('the example edge rule takes the colour from the tag, and only a real colour makes a valid request', () => {
    const rules = parseArtifactRules(JSON.parse(readFileSync(join(__dirname, '../../config/artifact-rules.json'), 'utf8')), 'config/artifact-rules.json');
    const image = (tag: string): Artifact => ({ kind: 'ecr-image', repository: 'storefront', digest: 'sha256:0a1b', tag });

    const green = renderRollout(matchArtifact(rules, image('green-release-7'))!, image('green-release-7'));
    const purple = renderRollout(matchArtifact(rules, image('purple-release-7'))!, image('purple-release-7'));

    expect(parseRolloutRequest(green).target).toMatchObject({ type: 'cloudfront-kvs', stableAfterPromotion: 'green' });
    expect(() => parseRolloutRequest(purple)).toThrow(/stableAfterPromotion is "green" or "blue"/);
    expect(matchArtifact(rules, { kind: 'ecr-image', repository: 'storefront', digest: 'sha256:0a1b' })).toBeUndefined();
  });

  it('names every problem, with its place, in one error', () => {
    const message = problemsWith([
      { match: { kind: 'lambda-version', function: 'checkout' }, rollout: CHECKOUT_TEMPLATE },
      { match: { kind: 'docker-image' }, rollout: CHECKOUT_TEMPLATE },
      { match: { kind: 'lambda-version' }, rollout: CHECKOUT_TEMPLATE, priority: 1 },
    ]);

    expect(message).toMatch(/^The artifact rules in test rules are invalid: /);
    expect(message).toContain('rules.0.match: unknown field "function"');
    expect(message).toContain('rules.1.match.kind: unknown artifact kind; one of lambda-version, ecr-image, s3-object');
    expect(message).toContain('rules.2: unknown field "priority"');
  });

  it('checks the rollout template as a rollout request wherever no placeholder sits', () => {
    const message = problemsWith([
      {
        match: { kind: 'lambda-version' },
        rollout: { ...CHECKOUT_TEMPLATE, strategy: { preset: 'canary10-5m', bakeSecond: 60 }, analysis: { alarm: ['x'] } },
      },
    ]);

    expect(message).toContain('rules.0.rollout.strategy: unknown field "bakeSecond"');
    expect(message).toContain('rules.0.rollout.analysis: unknown field "alarm"');
    // The placeholders themselves (functionName, version) are not reported.
    expect(message).not.toContain('target');
  });

  it.each([
    [{ kind: 'lambda-version' }, { version: '{digest}' }, 'unknown placeholder {digest}; rules for lambda-version may use {functionName}, {version}'],
    [{ kind: 's3-object', key: 'lambda/*.json' }, { version: '{key.2}' }, '{key.2} refers to "*" number 2 in match.key, which has only 1'],
    [{ kind: 's3-object' }, { version: '{key.1}' }, '{key.1} refers to "*" number 1 in match.key, which is not given'],
    [{ kind: 'ecr-image', repository: 'web' }, { version: '{tag}' }, 'an image may be pushed without a tag: give match.tag (e.g. "*")'],
  ])('refuses placeholders the artifact cannot fill: %j with %j', (match, targetChange, problem) => {
    const target = { type: 'lambda-alias', functionName: 'checkout', alias: 'live', ...targetChange };

    const message = problemsWith([{ match, rollout: { ...CHECKOUT_TEMPLATE, target } }]);

    expect(message).toContain(`rules.0.rollout.target.version: ${problem}`);
    expect(message).not.toContain('target.functionName');
  });

  it('accepts an empty list: every artifact is then ignored', () => {
    expect(rulesWith().rules).toEqual([]);
  });
});

describe('matching and rendering', () => {
  const rules = rulesWith(
    { name: 'payments', match: { kind: 'lambda-version', functionName: 'payments-*' }, rollout: { ...CHECKOUT_TEMPLATE, name: 'payments-{functionName.1}' } },
    { name: 'checkout', match: { kind: 'lambda-version', functionName: 'checkout' }, rollout: CHECKOUT_TEMPLATE },
    { name: 'any-function', match: { kind: 'lambda-version' }, rollout: { ...CHECKOUT_TEMPLATE, strategy: { preset: 'linear10-1m' } } },
    {
      name: 'markers',
      match: { kind: 's3-object', bucket: 'coalmine-releases', key: 'lambda/*/*.json' },
      rollout: { ...CHECKOUT_TEMPLATE, target: { type: 'lambda-alias', functionName: '{key.1}', alias: 'live', version: '{key.2}' } },
    },
  );

  it('the first rule that matches wins', () => {
    expect(matchArtifact(rules, lambdaVersion('checkout', '42'))?.label).toBe('checkout');
    expect(matchArtifact(rules, lambdaVersion('payments-eu', '7'))?.label).toBe('payments');
    expect(matchArtifact(rules, lambdaVersion('search', '3'))?.label).toBe('any-function');
  });

  it('fills the artifact’s fields and the captures of its patterns', () => {
    const payments = lambdaVersion('payments-eu', '7');
    const marker: Artifact = { kind: 's3-object', bucket: 'coalmine-releases', key: 'lambda/checkout/42.json', sequencer: '0067' };

    const paymentsRequest = renderRollout(matchArtifact(rules, payments)!, payments);
    const markerRequest = renderRollout(matchArtifact(rules, marker)!, marker);

    expect(paymentsRequest).toEqual({
      ...CHECKOUT_TEMPLATE,
      name: 'payments-eu',
      target: { type: 'lambda-alias', functionName: 'payments-eu', alias: 'live', version: '7' },
    });
    expect(markerRequest.target).toEqual({ type: 'lambda-alias', functionName: 'checkout', alias: 'live', version: '42' });
    expect(() => parseRolloutRequest(markerRequest)).not.toThrow();
  });

  it('an artifact of a kind no rule names matches nothing', () => {
    expect(matchArtifact(rules, { kind: 'ecr-image', repository: 'web', digest: 'sha256:00' })).toBeUndefined();
    expect(matchArtifact(rules, { kind: 's3-object', bucket: 'other', key: 'lambda/checkout/42.json' })).toBeUndefined();
  });

  it('names the rule and the field when an artifact lacks what the template needs', () => {
    const s3Rules = rulesWith({
      name: 'by-version-id',
      match: { kind: 's3-object' },
      rollout: { ...CHECKOUT_TEMPLATE, target: { type: 'lambda-alias', functionName: 'checkout', alias: 'live', version: '{versionId}' } },
    });
    const unversioned: Artifact = { kind: 's3-object', bucket: 'b', key: 'k' };

    expect(() => renderRollout(matchArtifact(s3Rules, unversioned)!, unversioned)).toThrow(
      new ConfigurationError('Artifact rule by-version-id uses {versionId}, which object s3://b/k does not have.'),
    );
  });
});
