/**
 * Who asks for a person-driven action: a Slack user (the slash command's signed user id) or an IAM
 * identity (the CLI's caller, from sts:GetCallerIdentity). Every action records the requester in the stop
 * cause and the logs.
 */
import { sentence } from '../outside-rollback';

export type Requester =
  | { readonly kind: 'slack'; readonly userId: string; readonly userName?: string; readonly channelId?: string }
  | { readonly kind: 'iam'; readonly arn: string; readonly account?: string; readonly userId?: string };

export type PersonAction = 'Rollback' | 'Promotion';

/** Where the request came from, in a phrase: "Slack", "the coalmine CLI". */
export function channelOf(requester: Requester): string {
  return requester.kind === 'slack' ? 'Slack' : 'the coalmine CLI';
}

/** The person, as a reader of the cause wants them: "alice (U0ALICE123) in C0DEPLOYS1", "arn:aws:sts::…:assumed-role/deploy/bob". */
export function describeRequester(requester: Requester): string {
  if (requester.kind === 'iam') return requester.arn;
  const { userId, userName, channelId } = requester;
  const who = userName !== undefined ? `${userName} (${userId})` : userId;
  return channelId !== undefined ? `${who} in ${channelId}` : who;
}

/** "Rollback requested from Slack by alice (U0ALICE123) in C0DEPLOYS1: the reason." */
export function requestedBy(action: PersonAction, requester: Requester, reason?: string): string {
  const asked = `${action} requested from ${channelOf(requester)} by ${describeRequester(requester)}`;
  return reason !== undefined && reason.trim() !== '' ? sentence(`${asked}: ${reason.trim()}`) : sentence(`${asked} (no reason given)`);
}

/** Who acted, for the shared rollback steps' logs: "the Slack rollback", "the coalmine CLI rollback". */
export function actorOf(requester: Requester, action: 'rollback' | 'promotion'): string {
  return requester.kind === 'slack' ? `the Slack ${action}` : `the coalmine CLI ${action}`;
}
