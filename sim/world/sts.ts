/**
 * In-memory STS: GetCallerIdentity answers as the operator a scenario's `cli` event names, as an IAM role
 * session of the simulated account.
 */
import type { InMemoryService } from './sdk-bridge';

export class StsWorld {
  /** The role session the next CLI command runs as. */
  caller = 'operator';

  arnOf(caller: string): string {
    return `arn:aws:sts::000000000000:assumed-role/coalmine-operator/${caller}`;
  }

  readonly service: InMemoryService = {
    serviceName: 'sts',
    commands: {
      GetCallerIdentity: () => ({ Arn: this.arnOf(this.caller), Account: '000000000000', UserId: `AROASIMULATED:${this.caller}` }),
    },
  };
}
