/**
 * `coalmine report EXECUTION --out FILE`: the report of one rollout on AWS (running or ended), read from
 * its execution history, GetMetricData and DescribeAlarmHistory, as one self-contained HTML page.
 */
import { statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { executionArnFor } from '../shared/executions/arn';
import { EXECUTION_NAME } from '../shared/executions/names';
import { messageOf } from '../shared/errors';
import { buildReport } from '../shared/report';
import { stateMachineOf } from './aws/options';
import { EXIT, UsageError, type CliIo } from './io';
import { withUsageErrors } from './args';

const OPTIONS = { 'state-machine': { type: 'string' }, stage: { type: 'string' }, out: { type: 'string' } } as const;
const EXECUTION_ARN = /^arn:aws[\w-]*:states:[\w-]+:\d{12}:execution:[\w-]{1,80}:[\w-]{1,80}$/;

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

export async function run(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = withUsageErrors(() => parseArgs({ args, options: OPTIONS, strict: true, allowPositionals: true }));
  if (positionals.length !== 1) throw new UsageError(`give one EXECUTION (its name, as \`coalmine list --all\` shows, or its ARN), got ${positionals.length}.`);
  const [execution] = positionals as [string];
  if (values.out === undefined || values.out === '') throw new UsageError('give --out FILE: where to write the report (an .html file).');
  const folder = dirname(resolve(values.out));
  if (!isDirectory(folder)) throw new UsageError(`--out ${values.out}: the folder ${folder} does not exist; create it or write the report elsewhere.`);
  const isArn = execution.startsWith('arn:');
  if (isArn ? !EXECUTION_ARN.test(execution) : !EXECUTION_NAME.test(execution)) {
    throw new UsageError(`"${execution}" is neither an execution name (1 to 80 letters, digits, "-" and "_") nor an execution ARN (arn:aws:states:REGION:ACCOUNT:execution:MACHINE:NAME).`);
  }
  const executionArn = isArn ? execution : executionArnFor(await stateMachineOf(values), execution);
  const executionName = executionArn.slice(executionArn.lastIndexOf(':') + 1);
  const started = performance.now();
  let html: string;
  try {
    html = await buildReport(executionArn, executionName);
  } catch (error) {
    if ((error as Error).name !== 'ExecutionDoesNotExist') throw error;
    io.err(`coalmine report: no execution ${executionArn}. \`coalmine list --all\` shows the recent ones.`);
    return EXIT.failure;
  }
  try {
    writeFileSync(values.out, html);
  } catch (error) {
    throw new UsageError(`cannot write ${values.out}: ${messageOf(error)}`);
  }
  io.out(`report: ${values.out} (${Math.round(Buffer.byteLength(html) / 1024)} KiB, built in ${Math.round(performance.now() - started)} ms)`);
  return EXIT.ok;
}

