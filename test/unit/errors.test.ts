import { CloudWatchServiceException } from '@aws-sdk/client-cloudwatch';
import {
  PreconditionFailedException,
  ResourceNotFoundException,
  ServiceException,
  TooManyRequestsException,
} from '@aws-sdk/client-lambda';
import * as errors from '../../shared/errors';
import {
  AlarmAlreadyFiring,
  ApprovalRejected,
  ApprovalTimedOut,
  AwsThrottled,
  AwsUnavailable,
  CanaryAnalysisFailed,
  CoalmineError,
  ConfigurationError,
  HookFailed,
  PERMANENT_ERROR_NAMES,
  PostPromotionBakeFailed,
  PreflightFailed,
  PromotionFailed,
  RollbackFailed,
  RolloutInProgress,
  RolloutRequestInvalid,
  TRANSIENT_ERROR_NAMES,
  TrafficConflict,
  TrafficNotYetVisible,
  TrafficWriteConflict,
  awsCall,
  classifyAwsError,
  describeError,
  errorLogFields,
} from '../../shared/errors';

type ErrorClass = new (message: string, options?: { cause?: unknown }) => CoalmineError;

const CLASSES: Array<[string, ErrorClass, boolean]> = [
  ['RolloutRequestInvalid', RolloutRequestInvalid, false],
  ['PreflightFailed', PreflightFailed, false],
  ['RolloutInProgress', RolloutInProgress, false],
  ['AlarmAlreadyFiring', AlarmAlreadyFiring, false],
  ['TrafficConflict', TrafficConflict, false],
  ['CanaryAnalysisFailed', CanaryAnalysisFailed, false],
  ['RollbackFailed', RollbackFailed, false],
  ['PromotionFailed', PromotionFailed, false],
  ['ApprovalRejected', ApprovalRejected, false],
  ['ApprovalTimedOut', ApprovalTimedOut, false],
  ['ConfigurationError', ConfigurationError, false],
  ['HookFailed', HookFailed, false],
  ['PostPromotionBakeFailed', PostPromotionBakeFailed, false],
  ['AwsThrottled', AwsThrottled, true],
  ['AwsUnavailable', AwsUnavailable, true],
  ['TrafficWriteConflict', TrafficWriteConflict, true],
  ['TrafficNotYetVisible', TrafficNotYetVisible, true],
];

describe('named errors: the contract with the state machine', () => {
  it.each(CLASSES)('%s carries its name, its message and its cause (retryable: %s)', (name, ErrorClass, retryable) => {
    const cause = new Error('underlying');

    const error = new ErrorClass('what happened', { cause });

    expect(error.name).toBe(name);
    expect(error.retryable).toBe(retryable);
    expect(error.message).toBe('what happened');
    expect(error.cause).toBe(cause);
    expect(error).toBeInstanceOf(Error);
    expect(error).toBeInstanceOf(CoalmineError);
    expect(String(error)).toBe(`${name}: what happened`);
    expect(error.stack?.startsWith(`${name}: what happened`)).toBe(true);
  });

  it('keeps the classes apart', () => {
    expect(new AwsThrottled('x')).not.toBeInstanceOf(AwsUnavailable);
    expect(new PreflightFailed('x')).not.toBeInstanceOf(RolloutInProgress);
  });

  it('lists every class name once, transient names exactly the retryable ones', () => {
    expect([...TRANSIENT_ERROR_NAMES].sort()).toEqual(CLASSES.filter(([, , r]) => r).map(([n]) => n).sort());
    expect([...PERMANENT_ERROR_NAMES].sort()).toEqual(CLASSES.filter(([, , r]) => !r).map(([n]) => n).sort());
  });

  it('has a test row for every error class the module exports', () => {
    const exported = Object.entries(errors)
      .filter(([, value]) => typeof value === 'function' && value.prototype instanceof CoalmineError)
      .map(([key]) => key)
      .sort();

    expect(exported).toEqual(CLASSES.map(([n]) => n).sort());
  });
});

const $metadata = {};

describe('classifyAwsError', () => {
  it.each<[string, Error, ErrorClass]>([
    ['Lambda TooManyRequestsException', new TooManyRequestsException({ message: 'Rate exceeded', $metadata }), AwsThrottled],
    [
      'CloudWatch Throttling (query protocol error code)',
      new CloudWatchServiceException({ name: 'Throttling', $fault: 'client', message: 'Rate exceeded', $metadata }),
      AwsThrottled,
    ],
    ['a ThrottlingException', Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }), AwsThrottled],
    ['Lambda ServiceException', new ServiceException({ message: 'internal error', $metadata }), AwsUnavailable],
    [
      'an unmodelled server fault',
      new CloudWatchServiceException({ name: 'InternalServiceFault', $fault: 'server', message: 'oops', $metadata }),
      AwsUnavailable,
    ],
    ['any $fault: server', Object.assign(new Error('bad gateway'), { name: 'Http502', $fault: 'server' }), AwsUnavailable],
    ['a socket timeout', Object.assign(new Error('socket timed out'), { name: 'TimeoutError' }), AwsUnavailable],
    ['a reset connection', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), AwsUnavailable],
  ])('maps %s to its transient error, keeping the cause and naming the action', (_case, original, Expected) => {
    const classified = classifyAwsError(original, 'UpdateAlias');

    expect(classified).toBeInstanceOf(Expected);
    expect((classified as CoalmineError).retryable).toBe(true);
    expect((classified as CoalmineError).message).toMatch(/^UpdateAlias: /);
    expect((classified as CoalmineError).message).toContain(original.name);
    expect((classified as CoalmineError).cause).toBe(original);
  });

  it.each<[string, unknown]>([
    ['ResourceNotFoundException', new ResourceNotFoundException({ message: 'Function not found', $metadata })],
    // The Lambda router maps this one itself, to TrafficWriteConflict with the stale RevisionId.
    ['PreconditionFailedException', new PreconditionFailedException({ message: 'RevisionId mismatch', $metadata })],
    ['a client fault', new CloudWatchServiceException({ name: 'InvalidParameterValue', $fault: 'client', message: 'bad', $metadata })],
    ['one of ours', new TrafficConflict('changed elsewhere')],
    ['a programming error', new TypeError('x is undefined')],
    ['a thrown string', 'boom'],
    ['undefined', undefined],
  ])('leaves %s as it is', (_case, original) => {
    expect(classifyAwsError(original, 'GetAlias')).toBe(original);
  });
});

describe('awsCall', () => {
  it('returns what the call returns', async () => {
    await expect(awsCall('GetAlias', async () => 'alias')).resolves.toBe('alias');
  });

  it('rethrows a failure classified', async () => {
    const throttled = new TooManyRequestsException({ message: 'Rate exceeded', $metadata });

    await expect(awsCall('GetAlias', () => Promise.reject(throttled))).rejects.toMatchObject({
      name: 'AwsThrottled',
      message: 'GetAlias: AWS throttled the call (TooManyRequestsException)',
      cause: throttled,
    });
  });

  it('rethrows other failures unchanged', async () => {
    const missing = new ResourceNotFoundException({ message: 'Alias not found', $metadata });

    await expect(awsCall('GetAlias', () => Promise.reject(missing))).rejects.toBe(missing);
  });
});

describe('describeError and errorLogFields', () => {
  it.each([
    ['a named error', new TrafficConflict('the alias moved'), 'TrafficConflict: the alias moved', { errorName: 'TrafficConflict', errorMessage: 'the alias moved' }],
    ['a plain Error', new Error('boom'), 'Error: boom', { errorName: 'Error', errorMessage: 'boom' }],
    ['a thrown string', 'no such key', 'no such key', { errorName: 'string', errorMessage: 'no such key' }],
    ['a thrown undefined', undefined, 'undefined', { errorName: 'undefined', errorMessage: 'undefined' }],
  ])('%s reads as one line and as the two log fields', (_, thrown, line, fields) => {
    expect(describeError(thrown)).toBe(line);
    expect(errorLogFields(thrown)).toEqual(fields);
  });
});
