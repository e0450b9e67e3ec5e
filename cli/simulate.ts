/**
 * `coalmine simulate`: one rollout against the simulated world, with progress as it goes or one JSON result.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { simulationReportJsonSchema, toReport } from '../sim/report';
import { builtInScenario, builtInScenarioNames, loadScenarioFile, type Scenario } from '../sim/scenario';
import { buildReport } from '../shared/report';
import { DEFAULT_SEED, simulate, type SimulationOptions, type SimulationResult } from '../sim/simulate';
import { describeScenario, progressLine, summaryLines } from './format';
import { withUsageErrors } from './args';
import { EXIT, UsageError, type CliIo } from './io';

const OPTIONS = {
  scenario: { type: 'string' },
  'scenario-file': { type: 'string' },
  seed: { type: 'string' },
  json: { type: 'boolean', default: false },
  'no-alarm-events': { type: 'boolean', default: false },
  'json-schema': { type: 'boolean', default: false },
  list: { type: 'boolean', default: false },
  report: { type: 'string' },
} as const;

export function parseSeed(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const seed = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(seed) || seed > 2 ** 32 - 1) {
    throw new UsageError(`--seed must be a whole number from 0 to 4294967295, got "${text}"`);
  }
  return seed;
}

/** The scenario named by --scenario or --scenario-file (default: healthy). */
export function chooseScenario(name: string | undefined, file: string | undefined): Scenario {
  if (name !== undefined && file !== undefined) throw new UsageError('give --scenario or --scenario-file, not both');
  if (file !== undefined) return loadScenarioFile(file);
  const names = builtInScenarioNames();
  if (name !== undefined && !names.includes(name)) {
    throw new UsageError(`no built-in scenario named "${name}"; choose one of ${names.join(', ')} (or give --scenario-file)`);
  }
  return builtInScenario(name ?? 'healthy');
}

/** What the command line changes in a run: the seed, and whether alarm events reach the alarm rollback. */
export interface RunChoices {
  readonly seed?: number;
  /** false: --no-alarm-events; undefined: as the scenario says. */
  readonly alarmEvents?: boolean;
  /** --report FILE: the rollout's report, read from the simulated world once it has settled. */
  readonly afterRun?: SimulationOptions['afterRun'];
}

/** Writes the report of the simulated execution to `file`, and says where (on stderr with --json). */
function reportTo(file: string, say: (line: string) => void): NonNullable<SimulationOptions['afterRun']> {
  return async ({ executionArn, executionName }) => {
    const started = performance.now();
    const html = await buildReport(executionArn, executionName);
    writeFileSync(file, html);
    say(`report: ${file} (${Math.round(Buffer.byteLength(html) / 1024)} KiB, built in ${Math.round(performance.now() - started)} ms)`);
  };
}

export async function runSimulation(scenario: Scenario, choices: RunChoices, io: CliIo): Promise<SimulationResult> {
  const effectiveSeed = choices.seed ?? scenario.seed ?? DEFAULT_SEED;
  for (const line of describeScenario(scenario, effectiveSeed)) io.out(line);
  io.out('');
  const result = await simulate(scenario, {
    seed: effectiveSeed,
    ...(choices.alarmEvents === undefined ? {} : { alarmEvents: choices.alarmEvents }),
    ...(choices.afterRun === undefined ? {} : { afterRun: choices.afterRun }),
    onEvent: (event) => {
      const line = progressLine(event, scenario);
      if (line !== null) io.out(line);
    },
  });
  for (const line of summaryLines(result, scenario)) io.out(line);
  return result;
}

export async function run(args: string[], io: CliIo): Promise<number> {
  const options = withUsageErrors(() => parseArgs({ args, options: OPTIONS, strict: true, allowPositionals: false }).values);
  if (options['json-schema']) {
    io.out(JSON.stringify(simulationReportJsonSchema(), null, 2));
    return EXIT.ok;
  }
  if (options.list) {
    for (const name of builtInScenarioNames()) io.out(`${name.padEnd(20)} ${builtInScenario(name).description}`);
    return EXIT.ok;
  }
  const seed = parseSeed(options.seed);
  const scenario = chooseScenario(options.scenario, options['scenario-file']);
  const choices: RunChoices = {
    ...(seed === undefined ? {} : { seed }),
    ...(options['no-alarm-events'] ? { alarmEvents: false } : {}),
    ...(options.report === undefined ? {} : { afterRun: reportTo(options.report, (line) => (options.json ? io.err(line) : io.out(line))) }),
  };
  if (options.json) {
    const result = await simulate(scenario, choices);
    io.out(JSON.stringify(toReport(result)));
  } else {
    await runSimulation(scenario, choices, io);
  }
  return EXIT.ok;
}

