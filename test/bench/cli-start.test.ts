/**
 * `npm run bench -- --cli-start`: its arguments, and the table it prints with the target beside the help
 * figure. The timings themselves are not asserted (they depend on the machine).
 */
import { CLI_START_CASES, formatCliStarts, helpMeetsTarget, HELP_TARGET_MS, parseCliStartArgs, type CliStartResult } from '../../bench/cli-start';

const result = (helpMs: number): CliStartResult => ({
  baselineMs: 80,
  commands: CLI_START_CASES.map(({ label }, i) => ({ label, medianMs: i === 0 ? helpMs : 200, ratio: (i === 0 ? helpMs : 200) / 80 })),
});

describe('npm run bench -- --cli-start', () => {
  it.each([
    [[], 9],
    [['--runs', '3'], 3],
  ])('reads %j as %i runs', (argv, runs) => {
    expect(parseCliStartArgs(argv)).toEqual({ runs });
  });

  it.each([
    [['--runs', '0'], '--runs must be a positive whole number'],
    [['--runs', '2.5'], '--runs must be a positive whole number'],
    [['--runs'], '--runs must be a positive whole number'],
    [['--runs', '3', '--runs', '4'], 'unknown argument --runs'],
    [['--package', 'x'], 'unknown argument --package'],
  ])('refuses %j with usage', (argv, message) => {
    expect(() => parseCliStartArgs(argv)).toThrow(message);
    expect(() => parseCliStartArgs(argv)).toThrow('usage: npm run bench -- --cli-start [--runs N]');
  });

  it('measures help, a plan of an example request and the scenario list', () => {
    expect(CLI_START_CASES.map((c) => c.args[0])).toEqual(['help', 'plan', 'simulate']);
  });

  it('prints a markdown table with each median, its ratio to node -e 0, and the target beside help', () => {
    expect(formatCliStarts(result(120), 9).split('\n')).toEqual([
      'Start to exit of the coalmine command, median of 9 fresh processes; baseline: node -e 0, 80 ms.',
      '| command | time | ratio to node -e 0 | target |',
      '| --- | --- | --- | --- |',
      `| coalmine help | 120 ms | 1.50× | ≤ ${HELP_TARGET_MS} ms: met |`,
      '| coalmine plan --request examples/requests/canary-preset.json | 200 ms | 2.50× | – |',
      '| coalmine simulate --list | 200 ms | 2.50× | – |',
    ]);
  });

  it('fails help over the target, and only then', () => {
    expect(helpMeetsTarget(result(HELP_TARGET_MS))).toBe(true);
    expect(helpMeetsTarget(result(HELP_TARGET_MS + 1))).toBe(false);
    expect(formatCliStarts(result(HELP_TARGET_MS + 1), 9)).toContain(`| coalmine help | ${HELP_TARGET_MS + 1} ms | 3.76× | ≤ ${HELP_TARGET_MS} ms: OVER |`);
  });
});
