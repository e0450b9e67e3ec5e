/**
 * `npm run chaos`: the seeded chaos campaign (sim/chaos/). Simulates N rollouts over both target kinds with
 * random faults, checks each (the target at 0 % or 100 %, the lock released, the outcome agreeing with the
 * weight, a reason recorded, no crash, no phantom step), and prints the counts per fault class with the
 * median and maximum time from the execution's stop or failure to a safe target. Every violation is printed
 * with its seed and written as a scenario file that reproduces it.
 *
 *   npx tsx bench/chaos.ts [--seed N] [--cases N] [--out DIR]
 *
 * Exit status 1 when any case violated a check, 2 for a wrong command line.
 */
import '../cli/environment';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { formatDuration } from '../shared/duration';
import { runCampaign } from '../sim/chaos/campaign';
import { summarise, type CampaignSummary, type CaseRecord, type ClassFigures } from '../sim/chaos/checks';
import { FAULT_CLASSES } from '../sim/chaos/generate';
import { messageOf } from '../shared/errors';

const DEFAULT_CASES = 1000;
const DEFAULT_OUT = join(__dirname, 'results', 'chaos');

function seconds(value: number | null): string {
  return value === null ? '–' : formatDuration(value);
}

function row(name: string, f: ClassFigures): string {
  return (
    `| ${name} | ${f.cases} | ${f.safe} | ${f.stoppedOrFailed} | ${seconds(f.medianSecondsToSafe)} | ${seconds(f.maxSecondsToSafe)} | ` +
    `${f.leftUnsafe} | ${seconds(f.medianSecondsToSafeWhenLeftUnsafe)} |`
  );
}

export function summaryTable(summary: CampaignSummary): string[] {
  return [
    '| fault class | cases | safe | stopped or failed | median time to safe | max time to safe | left unsafe at the end | median time to safe of those |',
    '|---|---|---|---|---|---|---|---|',
    ...FAULT_CLASSES.map((c) => row(c, summary.byClass[c])),
    row('**all**', summary.all),
  ];
}

function writeViolation(record: CaseRecord, out: string): string {
  mkdirSync(out, { recursive: true });
  const file = join(out, `chaos-${record.chaos.seed}.json`);
  writeFileSync(file, `${JSON.stringify(record.chaos.scenario, null, 2)}\n`);
  return file;
}

async function main(): Promise<number> {
  let values: { seed?: string; cases?: string; out?: string };
  try {
    ({ values } = parseArgs({ options: { seed: { type: 'string' }, cases: { type: 'string' }, out: { type: 'string' } } }));
  } catch (error) {
    process.stderr.write(`chaos: ${messageOf(error)}\nusage: npx tsx bench/chaos.ts [--seed N] [--cases N] [--out DIR]\n`);
    return 2;
  }
  const seed = Number(values.seed ?? 1);
  const cases = Number(values.cases ?? DEFAULT_CASES);
  if (!Number.isInteger(seed) || seed < 0 || !Number.isInteger(cases) || cases < 1) {
    process.stderr.write('chaos: --seed must be a whole number >= 0 and --cases a whole number >= 1\n');
    return 2;
  }
  const out = values.out ?? DEFAULT_OUT;
  const started = performance.now();
  const violating: CaseRecord[] = [];
  const records = await runCampaign({
    seed,
    cases,
    onCase: (record, i) => {
      if (record.violations.length > 0) {
        violating.push(record);
        const file = writeViolation(record, out);
        process.stdout.write(
          `VIOLATION case ${i} seed ${record.chaos.seed} (${record.chaos.target}; ${record.chaos.faultClasses.join(', ')}): ` +
            `${record.violations.map((v) => `${v.check}: ${v.detail}`).join('; ')}\n  reproduce: npx coalmine simulate --scenario-file ${file}\n`,
        );
      }
      if ((i + 1) % 100 === 0) process.stderr.write(`  ${i + 1}/${cases} cases\n`);
    },
  });
  const summary = summarise(records);
  const targets = Object.entries(summary.byTarget).map(([t, f]) => `${t} ${f.safe}/${f.cases}`).join(', ');
  process.stdout.write(
    [
      '',
      `Chaos campaign, seed ${seed}: ${summary.cases} cases, ${summary.safe} safe, ${summary.cases - summary.safe} with a violation (${targets}); ` +
        `${formatDuration((performance.now() - started) / 1000)} wall`,
      'Time to safe: from the execution\'s stop or failure to the last write that left the target at 0 % or 100 % with no lock held.',
      '',
      ...summaryTable(summary),
      '',
    ].join('\n'),
  );
  return violating.length > 0 ? 1 : 0;
}

void main().then((code) => {
  process.exitCode = code;
});
