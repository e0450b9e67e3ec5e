/**
 * The error a Catch hands over ({Error, Cause}) turned into words. For a Lambda task, Cause is the
 * JSON of the thrown error ({errorType, errorMessage, trace}); for other states it is plain text.
 */
export interface CaughtError {
  readonly Error: string;
  readonly Cause?: string;
}

export function explainFailure(failure: CaughtError): string {
  const cause = failure.Cause ?? '';
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown };
    if (typeof parsed.errorMessage === 'string') return parsed.errorMessage;
  } catch {
    // Plain text: fall through.
  }
  return cause.length > 0 ? cause : failure.Error;
}
