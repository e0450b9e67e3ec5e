/**
 * The SSM parameters the functions read (the Slack secrets, the Prometheus credentials, the artifact
 * rules): one reader, one cache. A parameter is read with decryption (a SecureString or a String alike)
 * through the shared SSM client and kept for PARAMETER_CACHE_SECONDS, so a rotated value is picked up
 * within that without a deploy; concurrent readers share one read, and a failed read is not kept.
 *
 * A value is never logged and never put into an error message: only the parameter's name is. A missing,
 * unreadable or empty parameter is a ConfigurationError that says what it must hold and how to fix it;
 * throttling and service faults are AwsThrottled / AwsUnavailable, which the state machine retries.
 *
 * Hand-written rather than @aws-lambda-powertools/parameters: that provider wraps every SDK error into its
 * GetParameterError, which hides the error's name (ParameterNotFound, ThrottlingException) these rules
 * rest on, and it adds its own code to every bundle that reads a parameter.
 */
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { ConfigurationError, awsCall } from '../errors';
import { ssmClient } from './ssm';

/** How long a value read from SSM is kept before it is read again. */
export const PARAMETER_CACHE_SECONDS = 300;

/** What a parameter is for, in the words its errors use. */
export interface ParameterUse {
  /** What the value is: "the Slack app's signing secret". */
  readonly holds: string;
  /** Where its name comes from, when that helps to find it: "SLACK_SIGNING_SECRET_PARAMETER". */
  readonly namedBy?: string;
  /** Another way out when it is missing: "or unset ARTIFACT_RULES_PARAMETER to use config/artifact-rules.json". */
  readonly otherwise?: string;
}

interface CacheEntry {
  readonly value: Promise<string>;
  readonly expiresAtMs: number;
}

const cache = new Map<string, CacheEntry>();

/** Forgets every kept value (tests; a function that must see a rotated value at once). */
export function forgetParameters(): void {
  cache.clear();
}

/**
 * The value of the parameter `name`, trimmed: from the cache while it is fresh, else from SSM.
 * Throws ConfigurationError when it is missing, unreadable or empty.
 */
export function readParameter(name: string, use: ParameterUse, nowMs: number = Date.now()): Promise<string> {
  const cached = cache.get(name);
  if (cached !== undefined && cached.expiresAtMs > nowMs) return cached.value;
  const value = fetchParameter(name, use);
  cache.set(name, { value, expiresAtMs: nowMs + PARAMETER_CACHE_SECONDS * 1000 });
  // Only a successful read is kept: the next caller retries a failed one.
  value.catch(() => {
    if (cache.get(name)?.value === value) cache.delete(name);
  });
  return value;
}

async function fetchParameter(name: string, use: ParameterUse): Promise<string> {
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
