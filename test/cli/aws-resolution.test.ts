import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { explainAwsError } from '../../cli/aws/errors';
import { callerRequester } from '../../cli/aws/identity';
import { resolveStateMachine, STATE_MACHINE_ENV } from '../../cli/aws/state-machine';

const ARN = 'arn:aws:states:eu-west-1:123456789012:stateMachine:coalmine-prod-canary';
const cloudformation = mockClient(CloudFormationClient);
const sts = mockClient(STSClient);
const cfn = (): CloudFormationClient => new CloudFormationClient({ region: 'eu-west-1' });

beforeEach(() => {
  cloudformation.reset();
  sts.reset();
});

function awsError(name: string, message = name): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

describe('resolveStateMachine', () => {
  it('takes --state-machine first, without a call', async () => {
    await expect(resolveStateMachine({ stateMachine: ARN }, { [STATE_MACHINE_ENV]: 'ignored' }, cfn)).resolves.toBe(ARN);
    expect(cloudformation).not.toHaveReceivedAnyCommand();
  });

  it('takes the environment variable next', async () => {
    await expect(resolveStateMachine({}, { [STATE_MACHINE_ENV]: ARN }, cfn)).resolves.toBe(ARN);
  });

  it('reads CanaryStateMachineArn from stack coalmine-STAGE', async () => {
    cloudformation.on(DescribeStacksCommand).resolves({
      Stacks: [{ StackName: 'coalmine-prod', CreationTime: new Date(), StackStatus: 'UPDATE_COMPLETE', Outputs: [
        { OutputKey: 'CoalmineEventBusName', OutputValue: 'coalmine-prod' },
        { OutputKey: 'CanaryStateMachineArn', OutputValue: ARN },
      ] }],
    });
    await expect(resolveStateMachine({ stage: 'prod' }, {}, cfn)).resolves.toBe(ARN);
    expect(cloudformation).toHaveReceivedCommandWith(DescribeStacksCommand, { StackName: 'coalmine-prod' });
  });

  it('names the stack and how to deploy it when it is missing', async () => {
    cloudformation.on(DescribeStacksCommand).rejects(awsError('ValidationError', 'Stack with id coalmine-qa does not exist'));
    await expect(resolveStateMachine({ stage: 'qa' }, {}, cfn)).rejects.toThrow(/no stack coalmine-qa .*serverless deploy --stage qa/);
  });

  it('refuses a stack without the output, a malformed ARN, both choices, and none', async () => {
    cloudformation.on(DescribeStacksCommand).resolves({ Stacks: [{ StackName: 'x', CreationTime: new Date(), StackStatus: 'CREATE_COMPLETE', Outputs: [] }] });
    await expect(resolveStateMachine({ stage: 'x' }, {}, cfn)).rejects.toThrow(/has no output CanaryStateMachineArn/);
    await expect(resolveStateMachine({ stateMachine: 'checkout' }, {}, cfn)).rejects.toThrow(/not a Step Functions state machine ARN/);
    await expect(resolveStateMachine({ stateMachine: ARN, stage: 'prod' }, {}, cfn)).rejects.toThrow(/not both/);
    await expect(resolveStateMachine({}, {}, cfn)).rejects.toThrow(/--state-machine ARN, set COALMINE_STATE_MACHINE_ARN, or give --stage STAGE/);
    await expect(resolveStateMachine({ stage: 'a b' }, {}, cfn)).rejects.toThrow(/letters, digits and hyphens/);
    expect(cloudformation).toHaveReceivedCommandTimes(DescribeStacksCommand, 1);
  });
});

describe('callerRequester', () => {
  it('is the IAM identity sts:GetCallerIdentity returns', async () => {
    sts.on(GetCallerIdentityCommand).resolves({ Arn: 'arn:aws:sts::123456789012:assumed-role/deploy/bob', Account: '123456789012', UserId: 'AROA:bob' });
    await expect(callerRequester()).resolves.toEqual({
      kind: 'iam', arn: 'arn:aws:sts::123456789012:assumed-role/deploy/bob', account: '123456789012', userId: 'AROA:bob',
    });
    expect(sts).toHaveReceivedCommandWith(GetCallerIdentityCommand, {});
  });
});

describe('explainAwsError', () => {
  it.each([
    ['CredentialsProviderError', /no AWS credentials found\. Set AWS_PROFILE/],
    ['AccessDeniedException', /AWS refused the call \(AccessDeniedException: .*permissions/],
    ['ThrottlingException', /AWS throttled the call \(ThrottlingException\), after the SDK's retries\. Try again/],
    ['ServiceUnavailable', /did not answer successfully .*Try again/],
  ])('explains %s', (name, expected) => {
    expect(explainAwsError(awsError(name))).toMatch(expected);
  });

  it('explains the SDK\'s "Region is missing" (a plain Error, before any call) by how to set one', () => {
    expect(explainAwsError(new Error('Region is missing'))).toMatch(/^no AWS region set\. Set AWS_REGION/);
  });

  it('leaves other errors alone', () => {
    expect(explainAwsError(awsError('ExecutionDoesNotExist'))).toBeUndefined();
    expect(explainAwsError(new Error('Region is missing somewhere else'))).toBeUndefined();
    expect(explainAwsError('text')).toBeUndefined();
  });
});
