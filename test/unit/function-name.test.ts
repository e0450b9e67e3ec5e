import { functionNameOf } from '../../shared/config/targets';

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
