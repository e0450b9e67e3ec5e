/**
 * The simulated STS: who the person at a simulated terminal is (sts:GetCallerIdentity), the IAM identity the
 * CLI records in the stop cause as Slack records its user.
 */
import type { InMemoryService } from './sdk-bridge';

export const SIMULATED_ACCOUNT = '000000000000';
/** The operator the scenario's `cli` events run as. */
export const SIMULATED_CALLER_ARN = `arn:aws:sts::${SIMULATED_ACCOUNT}:assumed-role/deploy/operator`;

export class StsWorld {
  readonly service: InMemoryService = {
    serviceName: 'sts',
    commands: {
      GetCallerIdentity: () => ({ Arn: SIMULATED_CALLER_ARN, Account: SIMULATED_ACCOUNT, UserId: 'AROASIMULATED:operator' }),
    },
  };
}
