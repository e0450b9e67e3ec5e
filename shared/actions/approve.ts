/**
 * A person answers the approval gate a running rollout waits at (from Slack or the CLI): approve
 * (SendTaskSuccess, the rollout moves on) or roll back (SendTaskFailure with ApprovalRejected, the state
 * machine's own RollBack runs). The gate's task token is read from the execution's history, where Step
 * Functions recorded it, and goes to the one SendTask call: it is never logged, returned or shown.
 *
 * Nothing to answer is an outcome, never an error: the rollout is not at a gate (it bakes, or it already
 * rolled back because an alarm fired while it waited), or the gate closed between the read and the answer.
 */
import { SendTaskFailureCommand, SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import { sfnClient } from '../aws/sfn';
import { ApprovalRejected, awsCall, describeError } from '../errors';
import { lastEnteredState } from '../executions/history';
import { readHistoryTail } from '../executions/sfn';
import { pendingGate, type PendingGate } from '../gates/pending';
import { realClock, sentence } from '../outside-rollback';
import { channelOf, describeRequester, type Requester } from './requester';
import { endDetails, readEnded, resolveRunningRollout, type AlreadyEnded, type ManualActionInput, type ManualActionOptions, type NoMatch } from './resolve';

export type GateDecision = 'approve' | 'reject';

/** What SendTaskSuccess gives the gate: the AwaitApproval Task's output, $.approval in the execution. */
export interface Approval {
  readonly decision: 'approved';
  /** Who, as a reader of the audit trail wants them: "alice (U0ALICE) in C0DEPLOYS", an IAM ARN. */
  readonly by: string;
  /** "Slack", "the coalmine CLI". */
  readonly via: string;
  readonly at: string;
}

/** Where the gate stood when it was answered. */
interface Answered {
  readonly rollout: string;
  readonly executionName: string;
  readonly step?: PendingGate['step'];
  readonly gateKind?: 'approval' | 'hold';
  readonly by: string;
  /** From receiving the request to the execution's gate answered. */
  readonly latencyMs: number;
}

export type GateOutcome =
  | ({ readonly kind: 'approved' } & Answered)
  | ({ readonly kind: 'rejected' } & Answered)
  /** Running, but not waiting at a gate: `state` is where it is (e.g. Bake). */
  | { readonly kind: 'not-waiting'; readonly rollout: string; readonly executionName: string; readonly state?: string }
  /** The gate closed between reading it and answering it (it timed out, or an alarm rollback stopped the execution). */
  | { readonly kind: 'gate-closed'; readonly rollout: string; readonly executionName: string; readonly detail: string }
  | AlreadyEnded
  | { readonly kind: 'failed'; readonly rollout: string; readonly executionName: string; readonly detail: string }
  | { readonly kind: 'no-match'; readonly match: NoMatch };

/**
 * What a gate's answer may add to the execution state, bounded (shared/state-size.ts counts GATE_STATE_BYTES):
 * the approver as written, and a rejection's reason, each clipped.
 */
export const MAX_APPROVER_LENGTH = 300;
export const MAX_GATE_REASON_LENGTH = 500;

const clip = (text: string, max: number): string => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);

/** The error names Step Functions answers a token with once its Task no longer waits. */
const GATE_CLOSED_ERRORS = new Set(['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken']);

/** The SendTaskFailure cause: who rolled back, where from, at which gate. */
export function rejectionCause(requester: Requester, gate: PendingGate, reason?: string): string {
  const at = gate.step !== undefined ? ` at the ${gate.gate?.kind === 'hold' ? 'hold' : 'approval gate'} of step ${gate.step.index + 1} (${gate.step.weight} %)` : ' at the approval gate';
  const why = reason !== undefined && reason.trim() !== '' ? `: ${clip(reason.trim(), MAX_GATE_REASON_LENGTH)}` : '';
  return sentence(`Rolled back${at} from ${channelOf(requester)} by ${clip(describeRequester(requester), MAX_APPROVER_LENGTH)}${why}`);
}

/** Answers the gate the running rollout `input.target` names waits at. Never throws for what it finds. */
export async function answerGate(input: ManualActionInput, decision: GateDecision, options: ManualActionOptions = {}): Promise<GateOutcome> {
  const clock = options.clock ?? realClock;
  const resolved = await resolveRunningRollout(input, options);
  if (resolved.kind === 'no-match') return resolved;
  if (resolved.kind === 'rerun-not-running') {
    const ended = await readEnded(resolved.execution);
    return { kind: 'already-ended', rollout: ended.name, executionName: resolved.execution.name, endedAs: ended.endedAs, ...endDetails(ended.last) };
  }
  const { rollout: found, name } = resolved;
  const executionName = found.executionName;
  const tail = await readHistoryTail(found.executionArn, 10, true);
  options.signal?.throwIfAborted();
  const gate = pendingGate(tail);
  if (gate === undefined) {
    const state = lastEnteredState(tail);
    return { kind: 'not-waiting', rollout: name, executionName, ...(state !== undefined ? { state } : {}) };
  }
  const by = clip(describeRequester(input.requester), MAX_APPROVER_LENGTH);
  try {
    if (decision === 'approve') {
      const approval: Approval = { decision: 'approved', by, via: channelOf(input.requester), at: clock.now().toISOString() };
      await awsCall('SendTaskSuccess', () => sfnClient().send(new SendTaskSuccessCommand({ taskToken: gate.taskToken, output: JSON.stringify(approval) })));
    } else {
      const cause = rejectionCause(input.requester, gate, input.reason);
      await awsCall('SendTaskFailure', () => sfnClient().send(new SendTaskFailureCommand({ taskToken: gate.taskToken, error: ApprovalRejected.prototype.name, cause })));
    }
  } catch (error) {
    const named = error instanceof Error ? error.name : '';
    if (GATE_CLOSED_ERRORS.has(named)) return { kind: 'gate-closed', rollout: name, executionName, detail: `Step Functions answered ${named}` };
    // The SDK's message never carries the token; describeError names the error and says what AWS said.
    return { kind: 'failed', rollout: name, executionName, detail: describeError(error) };
  }
  return {
    kind: decision === 'approve' ? 'approved' : 'rejected',
    rollout: name,
    executionName,
    ...(gate.step !== undefined ? { step: gate.step } : {}),
    ...(gate.gate !== undefined ? { gateKind: gate.gate.kind } : {}),
    by,
    latencyMs: Math.max(0, clock.now().getTime() - input.receivedAtMs),
  };
}
