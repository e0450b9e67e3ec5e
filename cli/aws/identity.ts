/**
 * The person an operator command acts for: the caller's IAM identity, from sts:GetCallerIdentity. It is
 * the Requester the shared actions record in the stop cause and the lifecycle event, as Slack records its user.
 */
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { aws } from '../../shared/aws/clients';
import type { Requester } from '../../shared/actions/requester';

export async function callerRequester(): Promise<Requester> {
  const { Arn, Account, UserId } = await aws.sts.send(new GetCallerIdentityCommand({}));
  if (Arn === undefined) throw new Error('sts:GetCallerIdentity answered without an Arn');
  return { kind: 'iam', arn: Arn, ...(Account !== undefined && { account: Account }), ...(UserId !== undefined && { userId: UserId }) };
}
