/**
 * Environment variables of the deployed functions, read when a handler needs them (never at import, so
 * that tests and the simulator can set them first). A missing or malformed value is the deployment's
 * mistake: it fails loudly as ConfigurationError, naming the variable and what it is for.
 */
import { ConfigurationError } from '../errors';

/** The value of `name`, or undefined when it is unset or empty. */
export function optionalEnv(name: string): string | undefined {
  const value = process.env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

/** The value of `name`; throws ConfigurationError when it is unset or empty. `purpose` says what it is for. */
export function requiredEnv(name: string, purpose: string): string {
  const value = optionalEnv(name);
  if (value === undefined) {
    throw new ConfigurationError(`The environment variable ${name} is not set; it must hold ${purpose}. Check the function's configuration.`);
  }
  return value;
}

const STATE_MACHINE_ARN = /^arn:aws[a-zA-Z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[A-Za-z0-9_-]{1,80}$/;

/** STATE_MACHINE_ARN: the canary state machine whose executions the trigger functions start, list and stop. */
export function stateMachineArn(): string {
  const value = requiredEnv('STATE_MACHINE_ARN', 'the ARN of the canary state machine');
  if (!STATE_MACHINE_ARN.test(value)) {
    throw new ConfigurationError(
      `STATE_MACHINE_ARN is "${value}", which is not the ARN of a state machine (arn:aws:states:<region>:<account>:stateMachine:<name>).`,
    );
  }
  return value;
}

/**
 * A whole number of seconds from `name`, `fallback` when unset; ConfigurationError outside 0..max.
 */
export function secondsFromEnv(name: string, fallback: number, max: number): number {
  const value = optionalEnv(name);
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) > max) {
    throw new ConfigurationError(`${name} is "${value}"; it must be a whole number of seconds from 0 to ${max}.`);
  }
  return Number(value);
}
