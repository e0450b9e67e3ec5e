/**
 * `npm run bench -- --cli-start`: how long the `coalmine` command takes from start to exit, as a person runs
 * it (`node bin/coalmine.cjs ...`), against a bare `node -e 0` measured in the same run. The build is made
 * first (scripts/build-cli.cjs, as `npm ci` makes it), so that a stale one does not measure the sources.
 *
 *   npm run bench -- --cli-start [--runs N]
 *
 * Each figure is the median wall time of N fresh processes (default 9); the runs interleave the commands and
 * the baseline, so a busy machine slows them alike. The target (issue 17): `coalmine help` in under 0.3 s;
 * exit 1 when it is over.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { buildCli } from '../scripts/build-cli.cjs';
import { median } from './cold-start';

export const HELP_TARGET_MS = 300;

const ROOT = join(__dirname, '..');
const BIN = join(ROOT, 'bin', 'coalmine.cjs');

/** The commands measured, as typed after `coalmine`; the first is the one the target is for. */
export const CLI_START_CASES: ReadonlyArray<{ readonly label: string; readonly args: readonly string[] }> = [
  { label: 'coalmine help', args: ['help'] },
  { label: 'coalmine plan --request examples/requests/canary-preset.json', args: ['plan', '--request', join(ROOT, 'examples', 'requests', 'canary-preset.json')] },
  { label: 'coalmine simulate --list', args: ['simulate', '--list'] },
];

export interface CliStart {
  readonly label: string;
  readonly medianMs: number;
  /** To `node -e 0`'s median. */
  readonly ratio: number;
}

export interface CliStartResult {
  readonly baselineMs: number;
  readonly commands: readonly CliStart[];
}

/** One fresh process's wall time; a command that fails is an error, not a figure. */
function runOnce(args: readonly string[]): number {
  const started = process.hrtime.bigint();
  const child = spawnSync(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (child.status !== 0) throw new Error(`node ${args.join(' ')} exited ${child.status ?? child.signal}: ${child.stderr.trim()}`);
  return ms;
}

export function measureCliStarts(runs: number): CliStartResult {
  const all = [{ label: 'node -e 0', args: ['-e', '0'] }, ...CLI_START_CASES.map(({ label, args }) => ({ label, args: [BIN, ...args] }))];
  const times = all.map(() => [] as number[]);
  for (const { args } of all) runOnce(args); // warm the file cache
  for (let run = 0; run < runs; run += 1) all.forEach(({ args }, i) => times[i]?.push(runOnce(args)));
  const [baselineMs, ...medians] = times.map(median) as [number, ...number[]];
  return { baselineMs, commands: CLI_START_CASES.map(({ label }, i) => ({ label, medianMs: medians[i] as number, ratio: (medians[i] as number) / baselineMs })) };
}

export const helpMeetsTarget = (result: CliStartResult): boolean => (result.commands[0]?.medianMs ?? Infinity) <= HELP_TARGET_MS;

export function formatCliStarts(result: CliStartResult, runs: number): string {
  const rows = result.commands.map(
    (c, i) => `| ${c.label} | ${c.medianMs.toFixed(0)} ms | ${c.ratio.toFixed(2)}× | ${i === 0 ? `≤ ${HELP_TARGET_MS} ms: ${helpMeetsTarget(result) ? 'met' : 'OVER'}` : '–'} |`,
  );
  return [
    `Start to exit of the coalmine command, median of ${runs} fresh processes; baseline: node -e 0, ${result.baselineMs.toFixed(0)} ms.`,
    '| command | time | ratio to node -e 0 | target |',
    '| --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
}

const USAGE = 'usage: npm run bench -- --cli-start [--runs N]';

export function parseCliStartArgs(argv: readonly string[]): { runs: number } {
  const [flag, value, ...rest] = argv;
  if (flag === undefined) return { runs: 9 };
  if (flag !== '--runs' || rest.length > 0) throw new Error(`unknown argument ${flag === '--runs' ? rest[0] : flag}; ${USAGE}`);
  const runs = Number(value);
  if (!(Number.isInteger(runs) && runs > 0)) throw new Error(`--runs must be a positive whole number; ${USAGE}`);
  return { runs };
}

export async function runCliStartBench(argv: readonly string[]): Promise<number> {
  const { runs } = parseCliStartArgs(argv);
  await buildCli();
  const result = measureCliStarts(runs);
  console.log(formatCliStarts(result, runs));
  return helpMeetsTarget(result) ? 0 : 1;
}
