/**
 * What an AWS failure means to the person at the terminal: a registry from the SDK's error names to one
 * sentence on what went wrong and how to fix it. main.ts prints it instead of a stack trace.
 */
import { classifyAwsError } from '../../shared/errors';

interface Explanation {
  readonly names: readonly string[];
  /** For an error the SDK raises with a plain name: its message picks it out. */
  readonly message?: RegExp;
  readonly explain: (error: Error) => string;
}

const EXPLANATIONS: readonly Explanation[] = [
  {
    // The SDK's client configuration, before any call: a plain Error.
    names: ['Error'],
    message: /^Region is missing$/,
    explain: () => 'no AWS region set. Set AWS_REGION (e.g. export AWS_REGION=eu-west-1), or use an AWS_PROFILE that names a region.',
  },
  {
    names: ['CredentialsProviderError'],
    explain: () =>
      'no AWS credentials found. Set AWS_PROFILE (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), or run "aws sso login".',
  },
  {
    names: ['AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation', 'UnrecognizedClientException', 'InvalidClientTokenId', 'ExpiredToken', 'ExpiredTokenException'],
    explain: (error) => `AWS refused the call (${error.name}: ${error.message}). Check the identity's permissions and that its credentials are current.`,
  },
  {
    names: ['AwsThrottled'],
    explain: (error) => `${error.message}, after the SDK's retries. Try again in a moment.`,
  },
  {
    names: ['AwsUnavailable'],
    explain: (error) => `${error.message}. Try again in a moment; check AWS_REGION and AWS_ENDPOINT_URL if it persists.`,
  },
];

/** The explanation of an AWS failure, or undefined when it is not one the registry knows. */
export function explainAwsError(error: unknown): string | undefined {
  const classified = classifyAwsError(error, 'AWS');
  if (!(classified instanceof Error)) return undefined;
  return EXPLANATIONS.find((entry) => entry.names.includes(classified.name) && (entry.message === undefined || entry.message.test(classified.message)))?.explain(classified);
}
