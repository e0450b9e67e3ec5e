/** `coalmine history [TARGET]`: past rollouts (of one target), newest first, with their outcome and why. */
import { parseArgs } from 'node:util';
import { listEndedRollouts } from '../shared/actions/ended';
import { labelsOf } from '../shared/actions/rollouts';
import { OPERATOR_OPTIONS, stateMachineOf } from './aws/options';
import { endedJson, endedLine } from './aws/rollout-view';
import { EXIT, UsageError, type CliIo } from './io';
import { withUsageErrors } from './args';
import { HISTORY_LIMIT } from './operator-usage';

/** Step Functions keeps a closed execution for 90 days. */
const HISTORY_WINDOW_MS = 90 * 24 * 3_600_000;

export async function run(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = withUsageErrors(() => parseArgs({ args, options: OPERATOR_OPTIONS, strict: true, allowPositionals: true, tokens: true }));
  if (positionals.length > 1) throw new UsageError(`give at most one TARGET (a rollout name or function:alias), got ${positionals.length}.`);
  const [target] = positionals;
  const stateMachineArn = await stateMachineOf(values);
  const ended = await listEndedRollouts(stateMachineArn, new Date(Date.now() - HISTORY_WINDOW_MS), HISTORY_LIMIT);
  const matching = ended.filter((r) => {
    if (target === undefined) return true;
    const labels = labelsOf(r.start);
    return labels.name === target || labels.target === target || labels.aliases.includes(target);
  });
  const rollouts = matching.map(endedJson);
  if (values.json === true) {
    io.out(JSON.stringify({ stateMachineArn, target: target ?? null, rollouts }, null, 2));
  } else if (rollouts.length === 0) {
    io.out(target === undefined ? 'No rollout ended in the last 90 days.' : `No rollout of ${target} ended in the last 90 days.`);
  } else {
    for (const rollout of rollouts) io.out(endedLine(rollout));
  }
  return EXIT.ok;
}

