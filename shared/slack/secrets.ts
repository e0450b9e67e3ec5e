/**
 * The Slack secrets the handlers need: the signing secret (verifies requests), and the incoming-webhook
 * URL or bot token (posts notifications). In production each is an SSM SecureString named by an
 * environment variable, read through aws/parameters.ts (with decryption, kept for a few minutes); local
 * runs and tests may give the value itself in an environment variable instead.
 *
 * A value is never logged and never put into an error message: only the parameter's name is.
 */
import { readParameter } from '../aws/parameters';
import { optionalEnv, type EnvName } from '../config/env';
import { ConfigurationError } from '../errors';

export interface SlackSecretSource {
  /** The variable that may hold the value itself (local runs, tests). */
  readonly valueEnv: EnvName;
  /** The variable that names the SSM SecureString parameter holding the value (deployments). */
  readonly parameterEnv: EnvName;
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

/** True when the deployment configures `source` at all (either variable is set). */
export function isSlackSecretConfigured(source: SlackSecretSource): boolean {
  return optionalEnv(source.valueEnv) !== undefined || optionalEnv(source.parameterEnv) !== undefined;
}

/**
 * The value of `source`: the value variable if set, else the SSM parameter (aws/parameters.ts: cached,
 * one read for concurrent callers, a failed read not cached). Throws ConfigurationError when neither
 * variable is set or the parameter is missing, unreadable or empty, AwsThrottled / AwsUnavailable when
 * SSM is.
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
  return readParameter(name, { holds: source.purpose, namedBy: source.parameterEnv }, nowMs);
}
