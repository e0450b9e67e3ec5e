/**
 * What coalmine answers a command with once it has acted: the status of running rollouts, the outcome
 * of a rollback or promotion, and the polite answers for a target that names nothing running. Pure:
 * outcomes in, Slack responses out.
 *
 * Outcomes that moved traffic go to the channel (everyone watching the deployment sees who did what);
 * everything else only to the person who asked.
 */
import { ALARM_ROLLBACK_ERROR, MANUAL_PROMOTE_ERROR, MANUAL_ROLLBACK_ERROR } from '../stop-errors';
import type { SlackCommand } from './commands';
import { formatDuration } from '../duration';
import { clip, contextBlocks, section, slackDate, verdictEmoji } from './format';
import type { GateOutcome } from '../actions/approve';
import type { ManualPromoteOutcome } from '../actions/promote';
import type { ManualRollbackOutcome } from '../actions/rollback';
import { describeRecord } from '../actions/restore-decision';
import type { NoMatch } from '../actions/resolve';
import { displayNameOf, labelsOf, type RunningRollout, type TargetMatch } from '../actions/rollouts';
import type { RolloutStatus } from '../actions/status';
import { describeEnd } from '../reconcile/race-rules';
import type { StrandedTarget } from '../reconcile/stranded';
import { WAIT_STATES, isCanaryState, type CanaryState } from '../executions/states';
import { askerOf, escapeMrkdwn, inlineCode, rolloutActionsBlock, type SlackBlock, type SlackResponse } from './responses';
import { targetProblem } from './commands';

/** More than this many rollouts in one status answer are summarised by count. */
export const STATUS_LIMIT = 10;


/** How each state of the canary state machine reads in a sentence ("…is baking"). */
const STATE_PHRASES: Readonly<Partial<Record<CanaryState, string>>> = {
  Preflight: 'checking the target and alarms (preflight)',
  AnnounceRolloutStarted: 'starting',
  AnyCanarySteps: 'starting',
  ShiftTraffic: 'shifting traffic',
  VerifyTraffic: 'verifying the new weight',
  IsTrafficObservable: 'verifying the new weight',
  WaitForEdgeToSettle: 'waiting for the edge to settle',
  Bake: 'baking',
  AnalyzeCanary: 'analyzing the canary',
  IsBakeOver: 'analyzing the canary',
  WaitForNextLook: 'baking (the judges look every interval)',
  AnnounceStepAnalyzed: 'deciding the next step',
  DecideNextStep: 'deciding the next step',
  AdvanceToNextStep: 'moving to the next step',
  BakeAgain: 'baking again (the last analysis was inconclusive)',
  AwaitApproval: 'waiting for a person at its approval gate',
  OnApprovalTimeout: 'deciding after its gate timed out',
  ProceedWithoutApproval: 'moving on after its gate timed out',
  RecordApprovalTimeout: 'rolling back (nobody approved in time)',
  AnnounceGatePassed: 'moving on after its gate',
  AfterApproval: 'moving on after its gate',
  RecordAnalysisFailure: 'rolling back (the analysis failed)',
  RollBack: 'rolling back',
  AnnounceRolledBack: 'rolled back',
  Promote: 'promoting',
  AnnouncePromoted: 'promoted',
  RunPreTrafficHook: 'running its preTraffic hook (no traffic moved yet)',
  DidPreTrafficHookPass: 'running its preTraffic hook (no traffic moved yet)',
  RecordHookFailure: 'rolling back (a hook failed)',
  RunStepHook: 'running its onStep hook',
  DidStepHookPass: 'running its onStep hook',
  AfterPromotion: 'promoted',
  RunPostTrafficHook: 'promoted, running its postTraffic hook',
  DidPostTrafficHookPass: 'promoted, running its postTraffic hook',
  RecordPostTrafficHookFailure: 'rolling back (the postTraffic hook failed)',
  StartPostPromotionBake: 'promoted, in its post-promotion bake',
  PostPromotionBake: 'promoted, in its post-promotion bake',
  AnalyzeAfterPromotion: 'promoted, in its post-promotion bake (looking)',
  DecideAfterLook: 'promoted, in its post-promotion bake',
  RecordBakeFailure: 'rolling back (a look of the post-promotion bake failed)',
};

function statePhrase(state: string): string | undefined {
  return isCanaryState(state) ? STATE_PHRASES[state] : undefined;
}

function bold(text: string): string {
  return `*${escapeMrkdwn(text)}*`;
}

/** Buttons for a running rollout, keyed by its execution name (unique) when that is a valid target. */
function actionsFor(rollout: RunningRollout): SlackBlock[] {
  const key = targetProblem(rollout.executionName) === undefined ? rollout.executionName : displayNameOf(rollout);
  return targetProblem(key) === undefined ? [rolloutActionsBlock(key)] : [];
}

function rolloutLine(rollout: RunningRollout): string {
  const labels = labelsOf(rollout.start);
  const name = labels.name ?? labels.target ?? rollout.executionName;
  const parts = [bold(name)];
  if (labels.target !== undefined && labels.target !== name) parts.push(inlineCode(labels.target));
  if (rollout.start.stage === 'planned') {
    const { request, baseline } = rollout.start.rollout;
    if (request.target.type === 'lambda-alias') {
      parts.push(`version ${escapeMrkdwn(String(baseline.version ?? '?'))} → ${escapeMrkdwn(request.target.version)}`);
    }
  }
  return parts.join(' · ');
}

function progressLine(status: RolloutStatus, now: Date): string {
  const { view, rollout } = status;
  const pieces: string[] = [];
  if (view.progress !== undefined && view.progress.shiftedAt !== null) {
    const of = view.stepCount !== undefined ? ` of ${view.stepCount}` : '';
    pieces.push(`Step ${view.progress.stepIndex + 1}${of} at *${view.progress.weight} %*`);
  } else if (view.progress !== undefined) {
    pieces.push('No traffic on the canary yet');
  }
  if (view.state !== undefined) {
    const phrase = statePhrase(view.state.name) ?? `in ${view.state.name}`;
    let text = phrase;
    if (view.state.name === WAIT_STATES.bake && view.progress !== undefined) {
      const until = new Date(view.state.enteredAt.getTime() + view.progress.bakeSeconds * 1000);
      text = `baking until ${slackDate(until)}`;
    }
    pieces.push(text);
  }
  if (rollout.startedAt !== undefined) pieces.push(`running for ${formatDuration((now.getTime() - rollout.startedAt.getTime()) / 1000)}`);
  if (status.unreadable !== undefined) pieces.push(`progress unavailable (${escapeMrkdwn(status.unreadable)})`);
  if (pieces.length === 0) pieces.push(rollout.start.stage === 'preflight' ? STATE_PHRASES.Preflight! : 'progress unknown');
  const [first = '', ...rest] = pieces;
  return [first.charAt(0).toUpperCase() + first.slice(1), ...rest].join(' · ');
}

function statusBlocks(status: RolloutStatus, now: Date): SlackBlock[] {
  const lines = [rolloutLine(status.rollout), progressLine(status, now)];
  const { analysis } = status.view;
  if (analysis !== undefined) {
    lines.push(`Last analysis: ${verdictEmoji(analysis.verdict)} ${escapeMrkdwn(clip(analysis.reason, 600))}`);
  }
  return [section(lines.join('\n')), ...contextBlocks(`Execution ${inlineCode(status.rollout.executionName)}`), ...actionsFor(status.rollout)];
}

/**
 * The answer to `status [target]`. With a target, that rollout (or why none matches); without, every
 * running rollout up to STATUS_LIMIT.
 */
export function statusResponse(
  statuses: readonly RolloutStatus[],
  options: { target?: string; now: Date; match?: TargetMatch; stranded?: readonly StrandedTarget[]; strandedUnreadable?: string },
): SlackResponse {
  const { target, now } = options;
  if (target !== undefined && options.match !== undefined && options.match.kind !== 'found') {
    return noMatchResponse(options.match, target, 'status');
  }
  const left = strandedLines(options.stranded ?? [], options.strandedUnreadable);
  if (statuses.length === 0) {
    const text = ['Nothing is rolling out right now.', ...left].join('\n');
    return { response_type: 'ephemeral', text: clip(text, 3000), blocks: [section(`:zzz: Nothing is rolling out right now.`), ...left.map((l) => section(`:warning: ${l}`))] };
  }
  const shown = statuses.slice(0, STATUS_LIMIT);
  const headline =
    target !== undefined
      ? `Status of ${displayNameOf(shown[0]!.rollout)}`
      : `${statuses.length} rollout${statuses.length === 1 ? '' : 's'} in progress`;
  const blocks: SlackBlock[] = [section(`:bird: *${escapeMrkdwn(headline)}*`)];
  for (const status of shown) {
    blocks.push({ type: 'divider' }, ...statusBlocks(status, now));
  }
  if (statuses.length > shown.length) {
    blocks.push(...contextBlocks(`…and ${statuses.length - shown.length} more. Ask for one by name: \`status <target>\`.`.replace('<target>', '&lt;target&gt;')));
  }
  blocks.push(...left.map((l) => section(`:warning: ${l}`)));
  const text = [headline, ...shown.map((s) => `${displayNameOf(s.rollout)}: ${progressLine(s, now)}`), ...left].join('\n');
  return { response_type: 'ephemeral', text: clip(text, 3000), blocks };
}

/** One line per target an ended rollout left between 0 and 100 % (or holding a lock), with no rollout driving it. */
function strandedLines(stranded: readonly StrandedTarget[], unreadable: string | undefined): string[] {
  const lines = stranded.slice(0, STATUS_LIMIT).map((s) => {
    const { execution } = s;
    const end = describeEnd({ status: execution.status, ...(execution.error !== undefined ? { error: execution.error } : {}) });
    return (
      `${bold(s.targetName)} is left ${s.reading.state.kind === 'split' ? `at ${s.reading.state.weight} % on the new version` : 'holding the rollout lock'} ` +
      `by execution ${inlineCode(execution.name)}, which ended ${execution.status}: ${escapeMrkdwn(end)}. No rollout drives it; the reconciler returns it to 0 %.`
    );
  });
  if (stranded.length > STATUS_LIMIT) lines.push(`…and ${stranded.length - STATUS_LIMIT} more targets left between 0 and 100 %.`);
  if (unreadable !== undefined) lines.push(`coalmine could not read the ended rollouts, so targets they left split are not shown (${escapeMrkdwn(unreadable)}).`);
  return lines;
}

/** The answer when `target` names no running rollout. */
export function noMatchResponse(match: NoMatch, target: string, action: 'rollback' | 'promote' | 'approve' | 'status'): SlackResponse {
  let text: string;
  switch (match.kind) {
    case 'nothing-running':
      text =
        action === 'status'
          ? `Nothing is rolling out right now, so there is no status for ${inlineCode(target)}.`
          : action === 'rollback'
            ? `Nothing is rolling out right now, and no rollout that ended is called ${inlineCode(target)}, so there is nothing to roll back.`
            : `Nothing is rolling out right now, so there is nothing to ${action}. A finished rollout is changed by starting a new one.`;
      break;
    case 'unknown':
      text =
        `No running rollout is called ${inlineCode(target)}. Running now: ` +
        `${match.running.slice(0, STATUS_LIMIT).map(describeRunning).join(', ')}. ` +
        'A target is a rollout name, `function:alias`, or an execution name.';
      break;
    case 'ambiguous':
      text =
        `${inlineCode(target)} names ${match.matches.length} running rollouts: ${match.matches.map(describeRunning).join(', ')}. ` +
        'Name one by its execution.';
      break;
    case 'started-after-request':
      text =
        `${describeRunning(match.rollout)} started after this request was sent (${new Date(match.requestedAtMs).toISOString()}), ` +
        `so coalmine did not ${action === 'rollback' ? 'roll it back' : action}. ` +
        'A request only acts on a rollout that was running when it was sent: send the command again if you mean this one.';
      break;
  }
  return { response_type: 'ephemeral', text, blocks: [section(`:mag: ${text}`)] };
}

function describeRunning(rollout: RunningRollout): string {
  const labels = labelsOf(rollout.start);
  const extra = [labels.target, `execution ${rollout.executionName}`].filter((x): x is string => x !== undefined && x !== labels.name);
  return `${inlineCode(labels.name ?? labels.target ?? rollout.executionName)} (${extra.map(escapeMrkdwn).join(', ')})`;
}

const ENDINGS: Readonly<Record<string, string>> = {
  SUCCEEDED: 'was promoted',
  FAILED: 'ended with a failure (its own rollback ran)',
  ABORTED: 'was stopped',
  TIMED_OUT: 'timed out',
  unknown: 'is no longer running',
};

function endedText(outcome: { rollout: string; executionName: string; endedAs: string; error?: string }, action: string): string {
  const by =
    outcome.error === ALARM_ROLLBACK_ERROR
      ? ' by an alarm'
      : outcome.error === MANUAL_ROLLBACK_ERROR
        ? ' by a rollback from Slack'
        : outcome.error === MANUAL_PROMOTE_ERROR
          ? ' by a promotion from Slack'
          : '';
  return (
    `${bold(outcome.rollout)} (execution ${inlineCode(outcome.executionName)}) ${ENDINGS[outcome.endedAs] ?? ENDINGS.unknown}${by} ` +
    `before the ${action} reached it. Nothing was changed.`
  );
}

export function rollbackOutcomeResponse(outcome: ManualRollbackOutcome, command: SlackCommand): SlackResponse {
  const target = command.subcommand.name === 'rollback' ? command.subcommand.target : '';
  switch (outcome.kind) {
    case 'no-match':
      return noMatchResponse(outcome.match, target, 'rollback');
    case 'rolled-back': {
      const headline = `:rewind: ${askerOf(command)} rolled back ${bold(outcome.rollout)}: all traffic is on the stable version again.`;
      const facts = [`Execution ${inlineCode(outcome.executionName)} stopped with \`ManualRollback\``];
      if (outcome.rollbackLatencyMs !== undefined) facts.push(`${formatDuration(outcome.rollbackLatencyMs / 1000)} from the command to a verified 0 %`);
      const blocks = [section(headline), section(escapeMrkdwn(clip(outcome.cause, 2900))), ...contextBlocks(...facts)];
      if (outcome.lateWriteUndone) {
        blocks.push(section(':warning: A traffic write that was already in flight landed after the stop; coalmine rolled it back again.'));
      }
      return { response_type: 'in_channel', text: `${headline}\n${outcome.cause}`, blocks };
    }
    case 'stopped-before-traffic': {
      const headline = `:octagonal_sign: ${askerOf(command)} stopped ${bold(outcome.rollout)} before any traffic moved.`;
      return {
        response_type: 'in_channel',
        text: headline,
        blocks: [section(headline), ...contextBlocks(`Execution ${inlineCode(outcome.executionName)} stopped with \`ManualRollback\``)],
      };
    }
    case 'already-ended': {
      const text = endedText(outcome, 'rollback');
      return { response_type: 'ephemeral', text, blocks: [section(`:information_source: ${text}`)] };
    }
    case 'restored': {
      const headline = `:rewind: ${askerOf(command)} restored the previous version of ${bold(outcome.rollout)}, which had ended promoted.`;
      const facts = [`Execution ${inlineCode(outcome.executionName)}`, `recorded ${escapeMrkdwn(clip(describeRecord(outcome.record), 600))}`, `${formatDuration(outcome.restoreLatencyMs / 1000)} from the command to the verified write`];
      return { response_type: 'in_channel', text: `${headline}\n${outcome.detail}`, blocks: [section(headline), section(escapeMrkdwn(clip(outcome.detail, 2900))), ...contextBlocks(...facts)] };
    }
    case 'already-restored': {
      const text = `${escapeMrkdwn(clip(outcome.detail, 2800))}. Nothing was written.`;
      return { response_type: 'ephemeral', text, blocks: [section(`:information_source: ${text}`)] };
    }
    case 'restore-refused': {
      const text = `${escapeMrkdwn(clip(outcome.detail, 2800))}. Nothing was changed.`;
      const blocks = [section(`:no_entry: ${text}`)];
      // A code block shows the command as it is to be pasted (Slack turns &lt; &gt; &amp; back when it is copied).
      if (outcome.startCommand !== undefined) blocks.push(section(`\`\`\`${escapeMrkdwn(clip(outcome.startCommand, 2900)).replace(/```/g, "'''")}\`\`\``));
      return { response_type: 'ephemeral', text: outcome.startCommand !== undefined ? `${text}\n${outcome.startCommand}` : text, blocks };
    }
    case 'restore-failed': {
      const headline = `:rotating_light: The restore of ${bold(outcome.rollout)} that ${askerOf(command)} asked for did not complete.`;
      return { response_type: 'in_channel', text: `${headline} ${outcome.detail}`, blocks: [section(headline), section(escapeMrkdwn(clip(outcome.detail, 2900))), section('Check the target: `status` shows what it reads now.')] };
    }
    case 'failed': {
      const then = outcome.trafficAtZero
        ? 'Traffic is back on the stable version (0 % verified on the new one).'
        : '*A person must act:* the rollout is still running and may move traffic forward again. ' +
          'Try the rollback again, or set the target back to its stable version by hand.';
      const headline = `:rotating_light: The rollback of ${bold(outcome.rollout)} that ${askerOf(command)} asked for did not complete.`;
      return {
        response_type: 'in_channel',
        text: `${headline} ${outcome.detail}`,
        blocks: [section(headline), section(escapeMrkdwn(clip(outcome.detail, 2900))), section(then)],
      };
    }
  }
}

export function promoteOutcomeResponse(outcome: ManualPromoteOutcome, command: SlackCommand): SlackResponse {
  const target = command.subcommand.name === 'promote' ? command.subcommand.target : '';
  const ephemeral = (emoji: string, text: string): SlackResponse => ({ response_type: 'ephemeral', text, blocks: [section(`${emoji} ${text}`)] });
  switch (outcome.kind) {
    case 'no-match':
      return noMatchResponse(outcome.match, target, 'promote');
    case 'promoted': {
      const headline =
        `:rocket: ${askerOf(command)} promoted ${bold(outcome.rollout)}: all traffic is on the new version, ` +
        `skipping the remaining steps and analysis.`;
      return {
        response_type: 'in_channel',
        text: headline,
        blocks: [
          section(headline),
          ...contextBlocks(
            `Execution ${inlineCode(outcome.executionName)} stopped with \`ManualPromote\``,
            `from ${outcome.fromWeight} % to a verified 100 % in ${formatDuration(outcome.promoteLatencyMs / 1000)}`,
          ),
        ],
      };
    }
    case 'not-yet-planned':
      return ephemeral(
        ':hourglass_flowing_sand:',
        `${bold(outcome.rollout)} is still in preflight: no traffic is on the new version yet, so there is nothing to promote. ` +
          'Try again in a minute.',
      );
    case 'rolling-back':
      return ephemeral(
        ':no_entry:',
        `${bold(outcome.rollout)} is already rolling back (${escapeMrkdwn(statePhrase(outcome.state) ?? outcome.state)}); ` +
          'coalmine does not promote over a rollback. Start a new rollout once it has finished.',
      );
    case 'already-ended':
      return ephemeral(':information_source:', endedText(outcome, 'promotion'));
    case 'failed': {
      const headline = `:rotating_light: The promotion of ${bold(outcome.rollout)} that ${askerOf(command)} asked for did not complete.`;
      const then = !outcome.stopped
        ? 'Nothing changed: the rollout carries on as before.'
        : outcome.trafficAtZero === true
          ? 'The execution is stopped, so coalmine rolled the target back to 0 %: all traffic is on the stable version. ' +
            'Start a new rollout to try again.'
          : 'The execution is stopped and the rollback to 0 % failed too: the reconciler returns the target to 0 % ' +
            'within a few minutes (docs/reconciler.md). Check `status`.';
      return {
        response_type: outcome.stopped ? 'in_channel' : 'ephemeral',
        text: `${headline} ${outcome.detail}. ${then}`,
        blocks: [section(headline), section(escapeMrkdwn(clip(outcome.detail, 2900))), section(then)],
      };
    }
  }
}

/** What a person sees after answering a gate: the channel sees an answer that moved the rollout, the person why nothing did. */
export function approveOutcomeResponse(outcome: GateOutcome, command: SlackCommand): SlackResponse {
  const target = command.subcommand.name === 'approve' ? command.subcommand.target : '';
  const ephemeral = (emoji: string, text: string): SlackResponse => ({ response_type: 'ephemeral', text, blocks: [section(`${emoji} ${text}`)] });
  switch (outcome.kind) {
    case 'no-match':
      return noMatchResponse(outcome.match, target, 'approve');
    case 'approved':
    case 'rejected': {
      const at = outcome.step !== undefined ? ` at step ${outcome.step.index + 1} (${outcome.step.weight} %)` : '';
      const headline =
        outcome.kind === 'approved'
          ? `:white_check_mark: ${askerOf(command)} approved ${bold(outcome.rollout)}${at}: the rollout moves on.`
          : `:rewind: ${askerOf(command)} rolled ${bold(outcome.rollout)} back${at}: all traffic goes back to the stable version.`;
      return {
        response_type: 'in_channel',
        text: headline,
        blocks: [section(headline), ...contextBlocks(`Execution ${inlineCode(outcome.executionName)}`, `answered in ${formatDuration(outcome.latencyMs / 1000)}`)],
      };
    }
    case 'not-waiting':
      return ephemeral(
        ':information_source:',
        `Nothing to approve: ${bold(outcome.rollout)} is not waiting at a gate` +
          `${outcome.state !== undefined ? ` (it is ${escapeMrkdwn(statePhrase(outcome.state) ?? outcome.state)})` : ''}. The next gate announces itself here.`,
      );
    case 'gate-closed':
      return ephemeral(
        ':information_source:',
        `Nothing to approve: the gate of ${bold(outcome.rollout)} closed before your answer reached it (it timed out, or an alarm rolled the rollout back). Check \`status\`.`,
      );
    case 'already-ended':
      return ephemeral(':information_source:', `Nothing to approve: ${endedText(outcome, 'approval')}`);
    case 'failed':
      return ephemeral(':x:', `The answer to the gate of ${bold(outcome.rollout)} did not go through: ${escapeMrkdwn(clip(outcome.detail, 2000))}. Nothing changed; try again.`);
  }
}
