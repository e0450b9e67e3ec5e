/**
 * The environment catalogue (shared/config/env.ts): every variable serverless.yml gives a function is in
 * it, and its readers have one policy for a bad value: a ConfigurationError naming the variable.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ENV, requiredEnv, secondsFromEnv, wholeNumberFromEnv } from '../../shared/config/env';

/** Read by Node and by Powertools themselves, not by coalmine's code. */
const RUNTIME_ONLY = ['NODE_OPTIONS', 'POWERTOOLS_LOG_LEVEL'];

interface Template {
  readonly provider: { readonly environment?: Record<string, unknown> };
  readonly functions: Record<string, { readonly environment?: Record<string, unknown> }>;
}

afterEach(() => {
  delete process.env.SLACK_SYNC_BUDGET_MS;
  delete process.env.EVENT_BUS_NAME;
});

it('catalogues every variable serverless.yml sets, and serverless.yml sets every catalogued one a deployment configures', () => {
  const template = parse(readFileSync(join(__dirname, '../../serverless.yml'), 'utf8'), { logLevel: 'error' }) as Template;
  const set = new Set([template.provider.environment, ...Object.values(template.functions).map((f) => f.environment)].flatMap((e) => Object.keys(e ?? {})));
  expect([...set].filter((name) => !RUNTIME_ONLY.includes(name) && !(name in ENV))).toEqual([]);
  // The rest: set by Lambda, optional tuning, or the values themselves for local runs (never a secret in the environment).
  const unset = Object.keys(ENV).filter((name) => !set.has(name));
  expect(unset.sort()).toEqual(['AWS_LAMBDA_FUNCTION_NAME', 'SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET', 'SLACK_SYNC_BUDGET_MS', 'SLACK_WEBHOOK_URL']);
});

describe('one policy for a bad value', () => {
  it('a missing required variable names itself and what it holds', () => {
    expect(() => requiredEnv('EVENT_BUS_NAME')).toThrow(
      expect.objectContaining({ name: 'ConfigurationError', message: "The environment variable EVENT_BUS_NAME is not set; it must hold the name of the stack's event bus (lifecycle events). Check the function's configuration." }),
    );
    process.env.EVENT_BUS_NAME = '  ';
    expect(() => requiredEnv('EVENT_BUS_NAME')).toThrow(/EVENT_BUS_NAME is not set/);
  });

  it.each([
    [undefined, 2_200],
    ['0', 0],
    [' 2800 ', 2_800],
  ])('SLACK_SYNC_BUDGET_MS=%s reads as %s', (value, expected) => {
    if (value !== undefined) process.env.SLACK_SYNC_BUDGET_MS = value;
    expect(wholeNumberFromEnv('SLACK_SYNC_BUDGET_MS', 'milliseconds', 2_200, { max: 2_800 })).toBe(expected);
  });

  it.each(['2801', '-1', '1.5', '1e3', 'fast'])('SLACK_SYNC_BUDGET_MS=%s is refused, naming the variable and the range', (value) => {
    process.env.SLACK_SYNC_BUDGET_MS = value;
    expect(() => wholeNumberFromEnv('SLACK_SYNC_BUDGET_MS', 'milliseconds', 2_200, { max: 2_800 })).toThrow(
      expect.objectContaining({ name: 'ConfigurationError', message: expect.stringContaining(`SLACK_SYNC_BUDGET_MS is "${value}"; it must be a whole number of milliseconds from 0 to 2800`) }),
    );
  });

  it('a minimum is kept too', () => {
    process.env.SLACK_SYNC_BUDGET_MS = '5';
    expect(() => wholeNumberFromEnv('SLACK_SYNC_BUDGET_MS', 'milliseconds', 2_200, { min: 10, max: 2_800 })).toThrow(/from 10 to 2800/);
  });

  it('secondsFromEnv is the same rule in seconds', () => {
    process.env.SLACK_SYNC_BUDGET_MS = '61';
    expect(() => secondsFromEnv('SLACK_SYNC_BUDGET_MS', 0, 60)).toThrow(/a whole number of seconds from 0 to 60/);
  });
});
