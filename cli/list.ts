/**
 * `coalmine list [--all]`: the running rollouts of the canary state machine, each with its step, weight and
 * verdict; every target an ended rollout left between 0 and 100 % that no running rollout drives; with
 * --all, the rollouts that ended in the last day and how.
 */
import { parseArgs } from 'node:util';
import { listEndedRollouts } from '../shared/actions/ended';
import { readRunningStatus } from '../shared/actions/status';
import { OPERATOR_OPTIONS, stateMachineOf } from './aws/options';
import { endedJson, endedLine, rolloutJson, rolloutLine, strandedJson, strandedLine } from './aws/rollout-view';
import { EXIT, type CliIo } from './io';
import { withUsageErrors } from './args';

/** Progress is read for this many rollouts; the rest are listed by name. */
const PROGRESS_LIMIT = 50;
/** --all: the rollouts that started in this window and ended, at most this many. */
const ENDED_WINDOW_MS = 24 * 3_600_000;
const ENDED_LIMIT = 50;

export async function run(args: string[], io: CliIo): Promise<number> {
  const { values } = withUsageErrors(() =>
    parseArgs({ args, options: { ...OPERATOR_OPTIONS, all: { type: 'boolean' } }, strict: true, allowPositionals: false, tokens: true }),
  );
  const stateMachineArn = await stateMachineOf(values);
  const now = new Date();
  const [{ statuses, stranded = [], strandedUnreadable }, ended] = await Promise.all([
    readRunningStatus({ stateMachineArn, limit: PROGRESS_LIMIT, now }),
    values.all === true ? listEndedRollouts(stateMachineArn, new Date(now.getTime() - ENDED_WINDOW_MS), ENDED_LIMIT) : undefined,
  ]);
  const rollouts = statuses.map((status) => rolloutJson(status, now));
  const left = stranded.map(strandedJson);
  const endedRollouts = ended?.map(endedJson);
  if (values.json === true) {
    io.out(
      JSON.stringify(
        { stateMachineArn, rollouts, stranded: left, strandedUnreadable: strandedUnreadable ?? null, ...(endedRollouts !== undefined ? { ended: endedRollouts } : {}) },
        null,
        2,
      ),
    );
    return EXIT.ok;
  }
  if (rollouts.length === 0) io.out('No rollout is running.');
  for (const rollout of rollouts) io.out(rolloutLine(rollout));
  for (const target of left) io.out(strandedLine(target));
  if (strandedUnreadable !== undefined) io.out(`coalmine could not read the ended rollouts, so targets they left split are not shown (${strandedUnreadable}).`);
  if (endedRollouts !== undefined) {
    io.out(endedRollouts.length === 0 ? 'No rollout ended in the last 24 h.' : 'Ended in the last 24 h:');
    for (const rollout of endedRollouts) io.out(`  ${endedLine(rollout)}`);
  }
  return EXIT.ok;
}

