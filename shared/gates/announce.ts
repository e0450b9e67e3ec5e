/**
 * The body of announceGate, the Lambda the AwaitApproval gate invokes with `.waitForTaskToken`: it puts
 * the Rollout Awaiting Approval lifecycle event on the stack's bus (slackNotify turns it into the message
 * with Approve and Roll back buttons) and returns; the gate goes on waiting for a person.
 *
 * Step Functions refuses a `.waitForTaskToken` Task whose Parameters do not pass `$$.Task.Token`, so the
 * token arrives here. It is a credential (whoever holds it decides the gate): it is dropped before anything
 * else happens and never logged, put in an event or returned. Answering reads it from the execution's
 * history instead (pending.ts).
 */
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { eventBridgeClient } from '../aws/eventbridge';
import { requiredEnv } from '../config/env';
import { awsCall, describeError } from '../errors';
import { logger } from '../handler';
import { AWAITING_APPROVAL, LIFECYCLE_SOURCE } from '../lifecycle';
import type { Gate } from '../rollout';

export interface GateTaskInput {
  readonly taskToken: string;
  readonly executionName: string;
  readonly name: string;
  readonly target: unknown;
  readonly stepCount: number;
  readonly step: { readonly index: number; readonly weight: number; readonly extraBakes: number };
  readonly verdict: string;
  /** The analysis's reason: the evidence a person decides on (for a hold, what the judges still need). */
  readonly reason: string;
  readonly gate: Gate;
}

/** The Rollout Awaiting Approval event's detail: the gate's input without the token, and when it times out. */
export interface AwaitingApproval extends Omit<GateTaskInput, 'taskToken'> {
  readonly waitingSince: string;
  readonly timesOutAt: string;
}

export async function announceGate(input: GateTaskInput): Promise<{ readonly announced: boolean }> {
  const { taskToken: _taskToken, ...gate } = input;
  const now = Date.now();
  const detail: AwaitingApproval = {
    ...gate,
    waitingSince: new Date(now).toISOString(),
    timesOutAt: new Date(now + gate.gate.timeoutSeconds * 1000).toISOString(),
  };
  const bus = requiredEnv('EVENT_BUS_NAME');
  try {
    const out = await awsCall('PutEvents', () =>
      eventBridgeClient().send(new PutEventsCommand({ Entries: [{ EventBusName: bus, Source: LIFECYCLE_SOURCE, DetailType: AWAITING_APPROVAL, Detail: JSON.stringify(detail) }] })),
    );
    if ((out.FailedEntryCount ?? 0) > 0) throw new Error(out.Entries?.[0]?.ErrorMessage ?? 'the entry was not accepted');
    return { announced: true };
  } catch (error) {
    // Like every announcement, a failed one never stops the rollout: the gate waits, and status shows it.
    logger.warn('could not announce the gate', { executionName: gate.executionName, detail: describeError(error) });
    return { announced: false };
  }
}
