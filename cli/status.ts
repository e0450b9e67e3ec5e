/**
 * `coalmine status ROLLOUT`: one running rollout, named as Slack names it (rollout name, function:alias,
 * execution name). A history it cannot read is shown with the reason, not as a failure.
 */
import { parseArgs } from 'node:util';
import { readRunningStatus } from '../shared/actions/status';
import { GATE_STATE } from '../shared/executions/states';
import type { Command } from './command';
import { OPERATOR_OPTIONS, OPERATOR_USAGE, stateMachineOf } from './aws/options';
import { rolloutJson, unmatched, type RolloutJson } from './aws/rollout-view';
import { EXIT, UsageError, type CliIo } from './io';
import { withUsageErrors } from './simulate';

function describe(r: RolloutJson): string[] {
  const lines = [`${r.name} (${r.target ?? 'target not yet planned'}), execution ${r.executionName}, started ${r.startedAt ?? '?'}`];
  if (r.unreadable !== null) return [...lines, `  progress: history unreadable (${r.unreadable})`];
  lines.push(`  state: ${r.state ?? '?'}; step ${r.step ?? '?'} of ${r.stepCount ?? '?'} at ${r.weight ?? '?'} % canary`);
  lines.push(r.verdict !== null ? `  last analysis: ${r.verdict}, next ${r.nextAction ?? '?'}: ${r.reason ?? ''}` : '  last analysis: none yet');
  if (r.state === GATE_STATE) lines.push(`  waiting for a person: coalmine approve ${r.executionName}, or coalmine approve ${r.executionName} --roll-back`);
  return lines;
}

async function run(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = withUsageErrors(() => parseArgs({ args, options: OPERATOR_OPTIONS, strict: true, allowPositionals: true }));
  if (positionals.length !== 1) throw new UsageError(`give one ROLLOUT (a rollout name, function:alias or execution name), got ${positionals.length}.`);
  const [target] = positionals as [string];
  const stateMachineArn = await stateMachineOf(values);
  const { statuses, match } = await readRunningStatus({ stateMachineArn, target, limit: 1 });
  if (match !== undefined && match.kind !== 'found') {
    io.err(`coalmine status: ${unmatched(target, match)}`);
    return EXIT.failure;
  }
  const rollout = rolloutJson(statuses[0]!, new Date());
  if (values.json === true) io.out(JSON.stringify(rollout, null, 2));
  else for (const line of describe(rollout)) io.out(line);
  return EXIT.ok;
}

export const statusCommand: Command = {
  name: 'status',
  usage: `coalmine status ROLLOUT [--state-machine ARN | --stage STAGE] [--json]
  One running rollout: its state, step, weight and last verdict. ROLLOUT is the rollout's name,
  function:alias, or an execution name; an ambiguous name lists the candidates.
${OPERATOR_USAGE}`,
  run,
};
