/**
 * Environment variables of the deployed functions: the catalogue of every one a function reads, and the
 * readers, which take only a catalogued name. A variable is read when a handler needs it (never at import,
 * so that tests and the simulator can set them first). One policy for a missing or malformed value: it is
 * the deployment's mistake, and fails loudly as ConfigurationError, naming the variable and what it holds.
 */
import { ConfigurationError } from '../errors';

/** Every variable a deployed function reads, and what it holds (serverless.yml sets them; Lambda sets its own). */
export const ENV = {
  STATE_MACHINE_ARN: 'the ARN of the canary state machine',
  EVENT_BUS_NAME: "the name of the stack's event bus (lifecycle events)",
  ALARM_ROLLBACK_GRACE_SECONDS: 'how long after a promotion an alarm still rolls back',
  RECONCILE_SWEEP_INTERVAL_SECONDS: "the reconciler's sweep interval",
  ARTIFACT_RULES_PARAMETER: 'the name of the SSM parameter holding the artifact rules',
  SLACK_SIGNING_SECRET: "the Slack app's signing secret itself (local runs and tests)",
  SLACK_SIGNING_SECRET_PARAMETER: "the name of the SSM SecureString holding the Slack app's signing secret",
  SLACK_WEBHOOK_URL: 'the Slack incoming-webhook URL itself (local runs and tests)',
  SLACK_WEBHOOK_URL_PARAMETER: 'the name of the SSM SecureString holding the Slack incoming-webhook URL',
  SLACK_BOT_TOKEN: 'the Slack bot token itself (local runs and tests)',
  SLACK_BOT_TOKEN_PARAMETER: 'the name of the SSM SecureString holding the Slack bot token',
  SLACK_CHANNEL: 'the Slack channel ID the bot token posts notifications to',
  SLACK_ALLOWED_USERS: 'the Slack user IDs allowed to act from Slack',
  SLACK_ALLOWED_CHANNELS: 'the Slack channel IDs where people may act',
  SLACK_SYNC_BUDGET_MS: 'how long a Slack command may run in the request before it is handed over',
  POWERTOOLS_SERVICE_NAME: 'the service name on every log line and metric',
  AWS_LAMBDA_FUNCTION_NAME: "the function's own name (set by Lambda)",
} as const;

export type EnvName = keyof typeof ENV;

/** The value of `name`, or undefined when it is unset or empty. */
export function optionalEnv(name: EnvName): string | undefined {
  const value = process.env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

/** The value of `name`; throws ConfigurationError when it is unset or empty. */
export function requiredEnv(name: EnvName): string {
  const value = optionalEnv(name);
  if (value === undefined) {
    throw new ConfigurationError(`The environment variable ${name} is not set; it must hold ${ENV[name]}. Check the function's configuration.`);
  }
  return value;
}

const STATE_MACHINE_ARN = /^arn:aws[a-zA-Z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[A-Za-z0-9_-]{1,80}$/;

/** STATE_MACHINE_ARN: the canary state machine whose executions the trigger functions start, list and stop. */
export function stateMachineArn(): string {
  const value = requiredEnv('STATE_MACHINE_ARN');
  if (!STATE_MACHINE_ARN.test(value)) {
    throw new ConfigurationError(
      `STATE_MACHINE_ARN is "${value}", which is not the ARN of a state machine (arn:aws:states:<region>:<account>:stateMachine:<name>).`,
    );
  }
  return value;
}

/** A whole number from `name` in [min, max], `fallback` when unset; ConfigurationError otherwise. */
export function wholeNumberFromEnv(name: EnvName, unit: 'seconds' | 'milliseconds', fallback: number, { min = 0, max }: { min?: number; max: number }): number {
  const value = optionalEnv(name);
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new ConfigurationError(`${name} is "${value}"; it must be a whole number of ${unit} from ${min} to ${max} (${ENV[name]}).`);
  }
  return Number(value);
}

/** A whole number of seconds from `name`, `fallback` when unset; ConfigurationError outside 0..max. */
export function secondsFromEnv(name: EnvName, fallback: number, max: number): number {
  return wholeNumberFromEnv(name, 'seconds', fallback, { max });
}
