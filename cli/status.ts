/**
 * `coalmine status ROLLOUT`: one rollout's whole story: the plan, each analysis with its verdict and
 * evidence, where it is and what the target reads now, what happens next and when, and how it ended.
 * ROLLOUT is named as Slack names it (rollout name, function:alias, execution name or ARN), or is an ended
 * execution's name or ARN. A history or target it cannot read is shown with the reason, not as a failure.
 */
import { parseArgs } from 'node:util';
import { findExecution, readPromotedView, readRolloutStory, readTargetNow, weightOf } from '../shared/actions/status';
import { settleStory } from '../shared/executions/story';
import { OPERATOR_OPTIONS, stateMachineOf } from './aws/options';
import { unmatched } from './aws/rollout-view';
import { rollbackWindowJson, statusJson, statusLines } from './aws/story-view';
import { EXIT, UsageError, type CliIo } from './io';
import { withUsageErrors } from './args';

export async function run(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = withUsageErrors(() => parseArgs({ args, options: OPERATOR_OPTIONS, strict: true, allowPositionals: true, tokens: true }));
  if (positionals.length !== 1) throw new UsageError(`give one ROLLOUT (a rollout name, function:alias, execution name or ARN), got ${positionals.length}.`);
  const [target] = positionals as [string];
  const stateMachineArn = await stateMachineOf(values);
  const found = await findExecution(stateMachineArn, target);
  if (found.kind !== 'found') {
    io.err(`coalmine status: ${unmatched(target, found.match)}`);
    return EXIT.failure;
  }
  const answer = await readRolloutStory(found.executionArn);
  const reading = await readTargetNow(answer.story.start);
  const story = settleStory(answer.story, weightOf(reading));
  // An ended rollout: whether its rollback window is open, and the restore its target records.
  const view = story.ended !== undefined ? await readPromotedView(story.start) : undefined;
  const now = new Date();
  const status = statusJson({ ...answer, story }, found, reading, now, rollbackWindowJson(story, found.executionName, view, now));
  if (values.json === true) io.out(JSON.stringify(status, null, 2));
  else for (const line of statusLines(status)) io.out(line);
  return EXIT.ok;
}

