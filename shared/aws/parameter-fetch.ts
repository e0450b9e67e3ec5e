/**
 * One read of an SSM parameter, with decryption, through the shared SSM client: the I/O of
 * shared/aws/parameters.ts, which imports this module (and so the SSM client) with its first read. The
 * error rules are there.
 */
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { ConfigurationError, awsCall } from '../errors';
import { ssmClient } from './ssm';

/** What a parameter is for, in the words its errors use. */
export interface ParameterUse {
  /** What the value is: "the Slack app's signing secret". */
  readonly holds: string;
  /** Where its name comes from, when that helps to find it: "SLACK_SIGNING_SECRET_PARAMETER". */
  readonly namedBy?: string;
  /** Another way out when it is missing: "or unset ARTIFACT_RULES_PARAMETER to use config/artifact-rules.json". */
  readonly otherwise?: string;
}

/** Reads `name` from SSM with decryption; throws ConfigurationError when it is missing, unreadable or empty. */
export async function fetchParameter(name: string, use: ParameterUse): Promise<string> {
  const named = use.namedBy === undefined ? name : `${name} (${use.namedBy})`;
  let result;
  try {
    result = await awsCall('GetParameter', () => ssmClient().send(new GetParameterCommand({ Name: name, WithDecryption: true })));
  } catch (error) {
    const errorName = error instanceof Error ? error.name : '';
    if (errorName === 'ParameterNotFound') {
      throw new ConfigurationError(
        `The SSM parameter ${named} does not exist; it must hold ${use.holds}. ` +
          `Create it with: aws ssm put-parameter --type SecureString --name ${name} --value …${use.otherwise === undefined ? '' : ` (${use.otherwise})`}`,
        { cause: error },
      );
    }
    if (errorName === 'AccessDeniedException' || errorName === 'KMSAccessDeniedException') {
      throw new ConfigurationError(
        `The function may not read the SSM parameter ${named}: ${errorName}; it needs ssm:GetParameter on it and kms:Decrypt on its key.`,
        { cause: error },
      );
    }
    throw error;
  }
  const value = result.Parameter?.Value?.trim() ?? '';
  if (value === '') throw new ConfigurationError(`The SSM parameter ${named} is empty; it must hold ${use.holds}.`);
  return value;
}
