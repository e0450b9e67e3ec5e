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
 *
 * The read itself, and with it the SSM client, is imported with the first read (shared/aws/parameter-fetch.ts):
 * a cold start does not load the client, and a function that reads a parameter only on some paths never does
 * on the others.
 */
import type { ParameterUse } from './parameter-fetch';

export type { ParameterUse } from './parameter-fetch';

/** How long a value read from SSM is kept before it is read again. */
export const PARAMETER_CACHE_SECONDS = 300;

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
  const value = import('./parameter-fetch').then(({ fetchParameter }) => fetchParameter(name, use));
  cache.set(name, { value, expiresAtMs: nowMs + PARAMETER_CACHE_SECONDS * 1000 });
  // Only a successful read is kept: the next caller retries a failed one.
  value.catch(() => {
    if (cache.get(name)?.value === value) cache.delete(name);
  });
  return value;
}
