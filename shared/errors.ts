/**
 * Named errors. Each class's `name` is the contract with statemachines/canary.asl.yaml: its Retry
 * blocks match the transient names, and the execution's Fail states report the name and the message
 * as Error and Cause. An error that reaches Step Functions without one of these names reports as `Error`.
 */

/** A caught error as one line a person reads: "Name: message" (anything else thrown, as text). */
export function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** A caught error's message, whatever was thrown (for a sentence that quotes it). */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A caught error as log fields: the same two keys on every line that logs one, whatever was thrown. */
export function errorLogFields(error: unknown): { errorName: string; errorMessage: string } {
  return error instanceof Error ? { errorName: error.name, errorMessage: error.message } : { errorName: typeof error, errorMessage: String(error) };
}

export abstract class CoalmineError extends Error {
  /** True when trying the same call again may succeed: the state machine retries these. */
  abstract readonly retryable: boolean;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

function named<T extends new (message: string, options?: { cause?: unknown }) => CoalmineError>(
  name: string,
  base: T,
): T {
  Object.defineProperty(base.prototype, 'name', { value: name, writable: false, enumerable: false });
  return base;
}

abstract class TransientError extends CoalmineError {
  readonly retryable = true;
}

abstract class PermanentError extends CoalmineError {
  readonly retryable = false;
}

/** The rollout request does not match the schema or breaks a rule of the plan. Nothing was changed. */
export const RolloutRequestInvalid = named('RolloutRequestInvalid', class extends PermanentError {});
export type RolloutRequestInvalid = InstanceType<typeof RolloutRequestInvalid>;

/** A preflight check failed: the target or an alarm is missing, or the target is not ready. Nothing was changed. */
export const PreflightFailed = named('PreflightFailed', class extends PermanentError {});
export type PreflightFailed = InstanceType<typeof PreflightFailed>;

/** Another rollout already drives this target. Nothing was changed. */
export const RolloutInProgress = named('RolloutInProgress', class extends PermanentError {});
export type RolloutInProgress = InstanceType<typeof RolloutInProgress>;

/** A watched alarm is already in ALARM before the rollout moves any traffic. */
export const AlarmAlreadyFiring = named('AlarmAlreadyFiring', class extends PermanentError {});
export type AlarmAlreadyFiring = InstanceType<typeof AlarmAlreadyFiring>;

/** A hook (request.hooks) failed or refused: the RecordHookFailure states fail the execution with this name. */
export const HookFailed = named('HookFailed', class extends PermanentError {});
export type HookFailed = InstanceType<typeof HookFailed>;

/** A look of the post-promotion bake failed: RecordBakeFailure rolls back and fails the execution with this name. */
export const PostPromotionBakeFailed = named('PostPromotionBakeFailed', class extends PermanentError {});
export type PostPromotionBakeFailed = InstanceType<typeof PostPromotionBakeFailed>;

/** Someone else changed the target's routing during the rollout in a way this rollout must not overwrite. */
export const TrafficConflict = named('TrafficConflict', class extends PermanentError {});
export type TrafficConflict = InstanceType<typeof TrafficConflict>;

/** The analysis judged the canary worse than allowed. */
export const CanaryAnalysisFailed = named('CanaryAnalysisFailed', class extends PermanentError {});
export type CanaryAnalysisFailed = InstanceType<typeof CanaryAnalysisFailed>;

/** Rolling back itself failed: the target may still send traffic to the new version; a person must act. */
export const RollbackFailed = named('RollbackFailed', class extends PermanentError {});
export type RollbackFailed = InstanceType<typeof RollbackFailed>;

/** A person's promotion stopped the execution but could not bring the target to 100 % on the new version, verified. */
export const PromotionFailed = named('PromotionFailed', class extends PermanentError {});
export type PromotionFailed = InstanceType<typeof PromotionFailed>;

/** A person rolled the rollout back at an approval gate (SendTaskFailure with this name). */
export const ApprovalRejected = named('ApprovalRejected', class extends PermanentError {});
export type ApprovalRejected = InstanceType<typeof ApprovalRejected>;

/** Nobody answered an approval gate (or a hold) in time, and its onTimeout is rollback. */
export const ApprovalTimedOut = named('ApprovalTimedOut', class extends PermanentError {});
export type ApprovalTimedOut = InstanceType<typeof ApprovalTimedOut>;

/** The deployment's own configuration (environment) is wrong. */
export const ConfigurationError = named('ConfigurationError', class extends PermanentError {});
export type ConfigurationError = InstanceType<typeof ConfigurationError>;

/** AWS throttled the call. */
export const AwsThrottled = named('AwsThrottled', class extends TransientError {});
export type AwsThrottled = InstanceType<typeof AwsThrottled>;

/** AWS answered with a server-side fault or could not be reached. */
export const AwsUnavailable = named('AwsUnavailable', class extends TransientError {});
export type AwsUnavailable = InstanceType<typeof AwsUnavailable>;

/** A compare-and-swap write lost a race (stale RevisionId or ETag); reading again and retrying is safe. */
export const TrafficWriteConflict = named('TrafficWriteConflict', class extends TransientError {});
export type TrafficWriteConflict = InstanceType<typeof TrafficWriteConflict>;

/** The weight read back differs from the weight written; the read may lag the write. */
export const TrafficNotYetVisible = named('TrafficNotYetVisible', class extends TransientError {});
export type TrafficNotYetVisible = InstanceType<typeof TrafficNotYetVisible>;

/** Every error name the state machine may match on, transient ones first. */
export const TRANSIENT_ERROR_NAMES = [
  'AwsThrottled',
  'AwsUnavailable',
  'TrafficWriteConflict',
  'TrafficNotYetVisible',
] as const;

export const PERMANENT_ERROR_NAMES = [
  'RolloutRequestInvalid',
  'PreflightFailed',
  'RolloutInProgress',
  'AlarmAlreadyFiring',
  'TrafficConflict',
  'CanaryAnalysisFailed',
  'RollbackFailed',
  'PromotionFailed',
  'ApprovalRejected',
  'ApprovalTimedOut',
  'ConfigurationError',
  'HookFailed',
  'PostPromotionBakeFailed',
] as const;

export type CoalmineErrorName = (typeof TRANSIENT_ERROR_NAMES)[number] | (typeof PERMANENT_ERROR_NAMES)[number];

/** AWS SDK v3 exception names that mean "try again later", across the services we call. */
export const THROTTLING_NAMES: ReadonlySet<string> = new Set([
  'TooManyRequestsException',
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'RequestLimitExceeded',
]);
export const UNAVAILABLE_NAMES: ReadonlySet<string> = new Set([
  'ServiceException',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'InternalServerError',
  'InternalServerException',
  'InternalFailure',
  'InternalServiceError',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
]);

/**
 * Turns an AWS SDK error into one of ours where the state machine must treat it specially
 * (retry on throttling and service faults); anything else is returned unchanged.
 */
export function classifyAwsError(error: unknown, action: string): unknown {
  if (error instanceof CoalmineError || !(error instanceof Error)) return error;
  const code = (error as { code?: string }).code;
  const name = error.name;
  if (THROTTLING_NAMES.has(name)) return new AwsThrottled(`${action}: AWS throttled the call (${name})`, { cause: error });
  if (UNAVAILABLE_NAMES.has(name) || (code !== undefined && UNAVAILABLE_NAMES.has(code))) {
    return new AwsUnavailable(`${action}: AWS did not answer successfully (${name}: ${error.message})`, { cause: error });
  }
  const fault = (error as { $fault?: string }).$fault;
  if (fault === 'server') {
    return new AwsUnavailable(`${action}: AWS server-side fault (${name}: ${error.message})`, { cause: error });
  }
  return error;
}

/** Runs an AWS call and rethrows its failure classified. */
export async function awsCall<T>(action: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw classifyAwsError(error, action);
  }
}
