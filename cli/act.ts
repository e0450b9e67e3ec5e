/**
 * `coalmine rollback ROLLOUT`, `coalmine promote ROLLOUT --full` and `coalmine approve ROLLOUT [--roll-back]`:
 * the person-driven actions Slack runs (shared/actions), with the same safety and race rules, acting for the
 * caller's IAM identity.
 */
import { parseArgs } from 'node:util';
import { answerGate } from '../shared/actions/approve';
import { promoteRollout } from '../shared/actions/promote';
import type { ManualActionInput, ManualActionOptions } from '../shared/actions/resolve';
import { rollBackRollout } from '../shared/actions/rollback';
import type { CommandRun } from './command';
import { callerRequester } from './aws/identity';
import { stateMachineOf } from './aws/options';
import { tellApprove, tellPromote, tellRollback, type Told } from './aws/outcomes';
import { UsageError, type CliIo } from './io';
import { withUsageErrors } from './args';

const TARGET_OPTIONS = { 'state-machine': { type: 'string' }, stage: { type: 'string' } } as const;

async function act(
  command: string,
  args: string[],
  io: CliIo,
  extra: { reason?: { type: 'string' }; full?: { type: 'boolean' }; 'roll-back'?: { type: 'boolean' } },
  perform: (input: ManualActionInput, options: ManualActionOptions & { readonly rollBack: boolean }) => Promise<Told>,
): Promise<number> {
  const { values, positionals } = withUsageErrors(() =>
    parseArgs({ args, options: { ...TARGET_OPTIONS, ...extra }, strict: true, allowPositionals: true }),
  );
  if (positionals.length !== 1) throw new UsageError(`give one ROLLOUT (a rollout name, function:alias or execution name), got ${positionals.length}.`);
  const [target] = positionals as [string];
  const typed = values as { 'state-machine'?: string; stage?: string; reason?: string; full?: boolean; 'roll-back'?: boolean };
  if (command === 'promote' && typed.full !== true) {
    throw new UsageError('promote moves all traffic to the new version at once, skipping the remaining analyses; give --full to say so.');
  }
  if (command === 'approve' && typed.reason !== undefined && typed['roll-back'] !== true) {
    throw new UsageError('--reason goes with --roll-back: an approval records who approved, not why.');
  }
  const receivedAtMs = (io.clock?.now() ?? new Date()).getTime();
  const stateMachineArn = await stateMachineOf(typed);
  const requester = await callerRequester();
  const told = await perform(
    { stateMachineArn, target, requester, receivedAtMs, ...(typed.reason !== undefined && { reason: typed.reason }) },
    { rollBack: typed['roll-back'] === true, ...(io.clock !== undefined ? { clock: io.clock } : {}) },
  );
  (told.code === 0 ? io.out : io.err)(told.code === 0 ? told.line : `coalmine ${command}: ${told.line}`);
  return told.code;
}




export const rollback: CommandRun = (args, io) =>
  act('rollback', args, io, { reason: { type: 'string' } }, async (input, options) => tellRollback(await rollBackRollout(input, options), input.target));

export const promote: CommandRun = (args, io) =>
  act('promote', args, io, { full: { type: 'boolean' } }, async (input, options) => tellPromote(await promoteRollout(input, options), input.target));

export const approve: CommandRun = (args, io) =>
  act('approve', args, io, { 'roll-back': { type: 'boolean' }, reason: { type: 'string' } }, async (input, { rollBack }) =>
    tellApprove(await answerGate(input, rollBack ? 'reject' : 'approve'), input.target),
  );
