/**
 * The person an operator command acts for: the caller's IAM identity, from sts:GetCallerIdentity. It is
 * the Requester the shared actions record in the stop cause and the lifecycle event, as Slack records its user.
 */
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { Requester } from '../../shared/actions/requester';

let installed: STSClient | undefined;

/** Installs the STS client the CLI asks (the simulator's); returns the undo. */
export function useStsClient(client: STSClient): () => void {
  const previous = installed;
  installed = client;
  return () => {
    installed = previous;
  };
}

export async function callerRequester(sts: STSClient = installed ?? new STSClient({})): Promise<Requester> {
  const { Arn, Account, UserId } = await sts.send(new GetCallerIdentityCommand({}));
  if (Arn === undefined) throw new Error('sts:GetCallerIdentity answered without an Arn');
  return { kind: 'iam', arn: Arn, ...(Account !== undefined && { account: Account }), ...(UserId !== undefined && { userId: UserId }) };
}
