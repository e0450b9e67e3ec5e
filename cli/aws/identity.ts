/**
 * The person an operator command acts for: the caller's IAM identity, from sts:GetCallerIdentity. It is
 * the Requester the shared actions record in the stop cause and the lifecycle event, as Slack records its user.
 * STS is the CLI's alone (no Lambda function calls it), so its client is not among the handlers' (shared/aws).
 */
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { Requester } from '../../shared/actions/requester';

let installed: STSClient | undefined;

/** Installs the STS client the identity is read with (the simulator's); returns the undo. */
export function useStsClient(client: STSClient): () => void {
  const previous = installed;
  installed = client;
  return () => {
    installed = previous;
  };
}

export async function callerRequester(): Promise<Requester> {
  const { Arn, Account, UserId } = await (installed ?? new STSClient({})).send(new GetCallerIdentityCommand({}));
  if (Arn === undefined) throw new Error('sts:GetCallerIdentity answered without an Arn');
  return { kind: 'iam', arn: Arn, ...(Account !== undefined && { account: Account }), ...(UserId !== undefined && { userId: UserId }) };
}
