/** `coalmine list`: the running rollouts of the canary state machine, each with its step, weight and verdict. */
import { parseArgs } from 'node:util';
import { readRunningStatus } from '../shared/actions/status';
import type { Command } from './command';
import { OPERATOR_OPTIONS, OPERATOR_USAGE, stateMachineOf } from './aws/options';
import { rolloutJson, rolloutLine } from './aws/rollout-view';
import { EXIT, type CliIo } from './io';
import { withUsageErrors } from './simulate';

/** Progress is read for this many rollouts; the rest are listed by name. */
const PROGRESS_LIMIT = 50;

async function run(args: string[], io: CliIo): Promise<number> {
  const { values } = withUsageErrors(() => parseArgs({ args, options: OPERATOR_OPTIONS, strict: true, allowPositionals: false }));
  const stateMachineArn = await stateMachineOf(values);
  const { statuses } = await readRunningStatus({ stateMachineArn, limit: PROGRESS_LIMIT });
  const now = new Date();
  const rollouts = statuses.map((status) => rolloutJson(status, now));
  if (values.json === true) {
    io.out(JSON.stringify({ stateMachineArn, rollouts }, null, 2));
  } else if (rollouts.length === 0) {
    io.out('No rollout is running.');
  } else {
    for (const rollout of rollouts) io.out(rolloutLine(rollout));
  }
  return EXIT.ok;
}

export const listCommand: Command = {
  name: 'list',
  usage: `coalmine list [--state-machine ARN | --stage STAGE] [--json]
  The running rollouts: name, target, step, weight, verdict so far, state, age.
${OPERATOR_USAGE}`,
  run,
};
