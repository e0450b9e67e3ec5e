/**
 * A verified, authorized Slack command, carried out: `status` reads the running rollouts, `rollback`,
 * `promote` and `approve` call the person-driven actions (shared/actions) with the Slack user as the requester, and the
 * outcome becomes a Slack message.
 */
import { stateMachineArn } from '../config/env';
import { answerGate } from '../actions/approve';
import { promoteRollout } from '../actions/promote';
import type { Requester } from '../actions/requester';
import { outcomeWord, type ManualActionInput, type ManualActionOptions } from '../actions/resolve';
import { rollBackRollout } from '../actions/rollback';
import { readRunningStatus } from '../actions/status';
import type { RollbackClock } from '../outside-rollback';
import type { SlackCommand, SlackOrigin } from './commands';
import { helpResponse, type SlackResponse } from './responses';

const SIGNED_TIMESTAMP_RESOLUTION_MS = 1_000;

export interface CommandResult {
  readonly response: SlackResponse;
  /** One word for the log line: "rolled-back", "no-match:unknown", "status:3", … */
  readonly outcome: string;
}

export interface RunOptions {
  readonly receivedAtMs: number;
  /** The request's signed timestamp (X-Slack-Request-Timestamp), in ms since the epoch. */
  readonly signedAtMs: number;
  readonly clock: RollbackClock;
  readonly signal?: AbortSignal;
  readonly onResolved?: (execution: { arn: string; name: string }) => void;
  readonly execution?: { readonly arn: string; readonly name: string };
}

/** The Slack user who sent the command, as the actions record a requester. */
export function slackRequester(origin: SlackOrigin): Requester {
  return {
    kind: 'slack',
    userId: origin.userId,
    ...(origin.userName !== undefined ? { userName: origin.userName } : {}),
    ...(origin.channelId !== undefined ? { channelId: origin.channelId } : {}),
  };
}

export async function runCommand(command: SlackCommand, options: RunOptions): Promise<CommandResult> {
  const { subcommand, origin } = command;
  if (subcommand.name === 'help') return { response: helpResponse(origin.slashCommand), outcome: 'help' };
  // The answers to a command that reads or acts are imported with the first such command: a cold start
  // that only answers help, a refusal or a hand-over does not load them.
  const { approveOutcomeResponse, promoteOutcomeResponse, rollbackOutcomeResponse, statusResponse, STATUS_LIMIT } = await import('./command-messages');
  switch (subcommand.name) {
    case 'status': {
      // Progress is read for the rollouts shown; the rest are only counted.
      const { statuses, match, stranded, strandedUnreadable } = await readRunningStatus({
        stateMachineArn: stateMachineArn(),
        limit: STATUS_LIMIT,
        ...(subcommand.target !== undefined ? { target: subcommand.target } : {}),
        ...(options.signal !== undefined ? { signal: options.signal } : {}),
      });
      return {
        response: statusResponse(statuses, {
          now: options.clock.now(),
          ...(subcommand.target !== undefined ? { target: subcommand.target } : {}),
          ...(match !== undefined ? { match } : {}),
          ...(stranded !== undefined ? { stranded } : {}),
          ...(strandedUnreadable !== undefined ? { strandedUnreadable } : {}),
        }),
        outcome: match !== undefined && match.kind !== 'found' ? `status:no-match:${match.kind}` : `status:${statuses.length}`,
      };
    }
    case 'rollback':
    case 'promote':
    case 'approve': {
      const input: ManualActionInput = {
        stateMachineArn: stateMachineArn(),
        target: subcommand.target,
        requester: slackRequester(origin),
        ...(subcommand.name === 'rollback' && subcommand.reason !== undefined ? { reason: subcommand.reason } : {}),
        receivedAtMs: options.receivedAtMs,
        // Slack's timestamp is whole seconds: the request was sent at some moment of that second.
        startedNoLaterThanMs: options.signedAtMs + SIGNED_TIMESTAMP_RESOLUTION_MS - 1,
        ...(options.execution !== undefined ? { execution: options.execution } : {}),
      };
      const actionOptions: ManualActionOptions = {
        clock: options.clock,
        ...(options.signal !== undefined ? { signal: options.signal } : {}),
        ...(options.onResolved !== undefined ? { onResolved: options.onResolved } : {}),
      };
      if (subcommand.name === 'rollback') {
        const outcome = await rollBackRollout(input, actionOptions);
        return { response: rollbackOutcomeResponse(outcome, command), outcome: outcomeWord(outcome) };
      }
      if (subcommand.name === 'approve') {
        const outcome = await answerGate(input, subcommand.decision, actionOptions);
        return { response: approveOutcomeResponse(outcome, command), outcome: outcomeWord(outcome) };
      }
      const outcome = await promoteRollout(input, actionOptions);
      return { response: promoteOutcomeResponse(outcome, command), outcome: outcomeWord(outcome) };
    }
  }
}
