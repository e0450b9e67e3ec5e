/**
 * The Slack secrets the handlers need: the signing secret (verifies requests), and the incoming-webhook
 * URL or bot token (posts notifications). In production each is an SSM SecureString named by an
 * environment variable, read with decryption and kept for a few minutes; local runs and tests may give
 * the value itself in an environment variable instead.
 *
 * A value is never logged and never put into an error message: only the parameter's name is.
 */
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { ssmClient } from '../aws/ssm';
import { optionalEnv } from '../config/env';
import { ConfigurationError, awsCall } from '../errors';

/** How long a value read from SSM is kept before it is read again (a rotated secret is picked up within this). */
export const SECRET_CACHE_SECONDS = 300;

export interface SlackSecretSource {
  /** The variable that may hold the value itself (local runs, tests). */
  readonly valueEnv: string;
  /** The variable that names the SSM SecureString parameter holding the value (deployments). */
  readonly parameterEnv: string;
  /** What the value is, for error messages. */
  readonly purpose: string;
}

export const SLACK_SIGNING_SECRET: SlackSecretSource = {
  valueEnv: 'SLACK_SIGNING_SECRET',
  parameterEnv: 'SLACK_SIGNING_SECRET_PARAMETER',
  purpose: "the Slack app's signing secret",
};

export const SLACK_WEBHOOK_URL: SlackSecretSource = {
  valueEnv: 'SLACK_WEBHOOK_URL',
  parameterEnv: 'SLACK_WEBHOOK_URL_PARAMETER',
  purpose: 'the Slack incoming-webhook URL for notifications',
};

export const SLACK_BOT_TOKEN: SlackSecretSource = {
  valueEnv: 'SLACK_BOT_TOKEN',
  parameterEnv: 'SLACK_BOT_TOKEN_PARAMETER',
  purpose: 'the Slack bot token (xoxb-…) for notifications',
};

interface CacheEntry {
  readonly value: Promise<string>;
  readonly expiresAtMs: number;
}

const cache = new Map<string, CacheEntry>();

/** Forgets every cached value (tests; a function that must see a rotated secret at once). */
export function clearSlackSecretCache(): void {
  cache.clear();
}

/** True when the deployment configures `source` at all (either variable is set). */
export function isSlackSecretConfigured(source: SlackSecretSource): boolean {
  return optionalEnv(source.valueEnv) !== undefined || optionalEnv(source.parameterEnv) !== undefined;
}

/**
 * The value of `source`: the value variable if set, else the SSM parameter (cached for
 * SECRET_CACHE_SECONDS; concurrent callers share one read; a failed read is not cached).
 * Throws ConfigurationError when neither variable is set or the parameter is missing or unreadable,
 * AwsThrottled / AwsUnavailable when SSM is.
 */
export async function readSlackSecret(source: SlackSecretSource, nowMs: number = Date.now()): Promise<string> {
  const direct = optionalEnv(source.valueEnv);
  if (direct !== undefined) return direct;
  const name = optionalEnv(source.parameterEnv);
  if (name === undefined) {
    throw new ConfigurationError(
      `Neither ${source.parameterEnv} (the name of an SSM SecureString parameter) nor ${source.valueEnv} is set; ` +
        `one of them must give ${source.purpose}. Check the function's configuration.`,
    );
  }
  const cached = cache.get(name);
  if (cached !== undefined && cached.expiresAtMs > nowMs) return cached.value;

  const value = readParameter(name, source);
  cache.set(name, { value, expiresAtMs: nowMs + SECRET_CACHE_SECONDS * 1000 });
  // Only a successful read is kept: the next caller retries a failed one.
  value.catch(() => {
    if (cache.get(name)?.value === value) cache.delete(name);
  });
  return value;
}

async function readParameter(name: string, source: SlackSecretSource): Promise<string> {
  let result;
  try {
    result = await awsCall('GetParameter', () => ssmClient().send(new GetParameterCommand({ Name: name, WithDecryption: true })));
  } catch (error) {
    const errorName = error instanceof Error ? error.name : '';
    if (errorName === 'ParameterNotFound') {
      throw new ConfigurationError(
        `The SSM parameter ${name} (${source.parameterEnv}) does not exist; it must hold ${source.purpose}. ` +
          `Create it with: aws ssm put-parameter --type SecureString --name ${name} --value …`,
        { cause: error },
      );
    }
    if (errorName === 'AccessDeniedException' || errorName === 'KMSAccessDeniedException') {
      throw new ConfigurationError(
        `The function may not read the SSM parameter ${name} (${errorName}); it needs ssm:GetParameter on it ` +
          'and kms:Decrypt on its key.',
        { cause: error },
      );
    }
    throw error;
  }
  const value = result.Parameter?.Value;
  if (value === undefined || value.trim() === '') {
    throw new ConfigurationError(`The SSM parameter ${name} (${source.parameterEnv}) is empty; it must hold ${source.purpose}.`);
  }
  return value.trim();
}
