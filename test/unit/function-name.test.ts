import { functionNameOf } from '../../shared/config/target-facts';
import { executionArnFor, executionNameOf } from '../../shared/executions/arn';

describe('functionNameOf: one bare name for every way a Lambda function is written', () => {
  it.each([
    ['checkout', 'checkout'],
    ['arn:aws:lambda:eu-west-1:123456789012:function:checkout', 'checkout'],
    ['arn:aws:lambda:eu-west-1:123456789012:function:checkout:42', 'checkout'],
    ['arn:aws:lambda:eu-west-1:123456789012:function:checkout:live', 'checkout'],
    ['arn:aws-us-gov:lambda:us-gov-west-1:123456789012:function:checkout', 'checkout'],
    ['arn:aws-cn:lambda:cn-north-1:123456789012:function:checkout:7', 'checkout'],
  ])('%s → %s', (given, name) => {
    expect(functionNameOf(given)).toBe(name);
  });
});

describe('executionNameOf and executionArnFor: an execution name and its ARN, both ways', () => {
  const machine = 'arn:aws:states:eu-west-1:123456789012:stateMachine:coalmine-canary';

  it.each([
    ['arn:aws:states:eu-west-1:123456789012:execution:coalmine-canary:checkout-live-v42', 'checkout-live-v42'],
    ['arn:aws-cn:states:cn-north-1:123456789012:execution:coalmine-canary:run-1', 'run-1'],
    ['checkout-live-v42', 'checkout-live-v42'],
  ])('%s → %s', (arn, name) => {
    expect(executionNameOf(arn)).toBe(name);
  });

  it('reads back the name executionArnFor wrote', () => {
    const arn = executionArnFor(machine, 'checkout-live-v42');
    expect(arn).toBe('arn:aws:states:eu-west-1:123456789012:execution:coalmine-canary:checkout-live-v42');
    expect(executionNameOf(arn)).toBe('checkout-live-v42');
  });
});
