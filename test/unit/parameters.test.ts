/**
 * The one SSM reader (shared/aws/parameters.ts) over a mocked SSM client, exact inputs: its cache, its
 * errors, and the Slack secrets read through it.
 */
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { PARAMETER_CACHE_SECONDS, forgetParameters, readParameter } from '../../shared/aws/parameters';
import { SLACK_SIGNING_SECRET, readSlackSecret } from '../../shared/slack/secrets';

const ssm = mockClient(SSMClient);
const NAME = '/coalmine/dev/slack/signing-secret';
const USE = { holds: "the Slack app's signing secret", namedBy: 'SLACK_SIGNING_SECRET_PARAMETER' };

beforeEach(() => {
  ssm.reset();
  forgetParameters();
});

describe('readParameter', () => {
  test('reads with decryption, trims, and keeps the value for PARAMETER_CACHE_SECONDS, then reads again (a rotated value is picked up)', async () => {
    ssm.on(GetParameterCommand).resolvesOnce({ Parameter: { Value: 'first\n' } }).resolves({ Parameter: { Value: 'rotated' } });
    const t0 = 1_000_000;
    expect(await readParameter(NAME, USE, t0)).toBe('first');
    expect(await readParameter(NAME, USE, t0 + PARAMETER_CACHE_SECONDS * 1000 - 1)).toBe('first');
    expect(await readParameter(NAME, USE, t0 + PARAMETER_CACHE_SECONDS * 1000)).toBe('rotated');
    expect(ssm).toHaveReceivedCommandTimes(GetParameterCommand, 2);
    expect(ssm).toHaveReceivedCommandWith(GetParameterCommand, { Name: NAME, WithDecryption: true });
  });

  test('concurrent callers share one read; a failed read is not kept', async () => {
    ssm.on(GetParameterCommand).rejectsOnce(Object.assign(new Error('slow down'), { name: 'ThrottlingException' })).resolves({ Parameter: { Value: 'ok' } });
    const [a, b] = await Promise.allSettled([readParameter(NAME, USE, 1), readParameter(NAME, USE, 1)]);
    expect(a).toMatchObject({ status: 'rejected', reason: { name: 'AwsThrottled' } });
    expect(b).toMatchObject({ status: 'rejected', reason: { name: 'AwsThrottled' } });
    expect(await readParameter(NAME, USE, 2)).toBe('ok');
    expect(ssm).toHaveReceivedCommandTimes(GetParameterCommand, 2);
  });

  test('each name is kept apart', async () => {
    ssm.on(GetParameterCommand, { Name: 'a' }).resolves({ Parameter: { Value: 'A' } });
    ssm.on(GetParameterCommand, { Name: 'b' }).resolves({ Parameter: { Value: 'B' } });
    expect([await readParameter('a', USE, 1), await readParameter('b', USE, 1), await readParameter('a', USE, 2)]).toEqual(['A', 'B', 'A']);
    expect(ssm).toHaveReceivedCommandTimes(GetParameterCommand, 2);
  });

  test.each([
    { error: 'AccessDeniedException', says: `The function may not read the SSM parameter ${NAME} (SLACK_SIGNING_SECRET_PARAMETER): AccessDeniedException; it needs ssm:GetParameter on it and kms:Decrypt on its key.` },
    { error: 'KMSAccessDeniedException', says: 'needs ssm:GetParameter on it and kms:Decrypt on its key' },
    { error: 'ParameterNotFound', says: `The SSM parameter ${NAME} (SLACK_SIGNING_SECRET_PARAMETER) does not exist; it must hold the Slack app's signing secret. Create it with: aws ssm put-parameter --type SecureString --name ${NAME} --value …` },
  ])('$error → ConfigurationError: $says', async ({ error, says }) => {
    ssm.on(GetParameterCommand).rejects(Object.assign(new Error('x'), { name: error }));
    await expect(readParameter(NAME, USE, 1)).rejects.toMatchObject({ name: 'ConfigurationError', message: expect.stringContaining(says) });
  });

  test('a missing parameter names the other way out when there is one', async () => {
    ssm.on(GetParameterCommand).rejects(Object.assign(new Error('x'), { name: 'ParameterNotFound' }));
    await expect(readParameter('/rules', { holds: 'the rules', otherwise: 'or unset RULES' }, 1)).rejects.toMatchObject({
      message: 'The SSM parameter /rules does not exist; it must hold the rules. Create it with: aws ssm put-parameter --type SecureString --name /rules --value … (or unset RULES)',
    });
  });

  test('an empty parameter is a ConfigurationError that does not print a value', async () => {
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: '   ' } });
    await expect(readParameter(NAME, USE, 1)).rejects.toMatchObject({ name: 'ConfigurationError', message: `The SSM parameter ${NAME} (SLACK_SIGNING_SECRET_PARAMETER) is empty; it must hold the Slack app's signing secret.` });
  });

  test('another failure passes through, classified', async () => {
    ssm.on(GetParameterCommand).rejects(Object.assign(new Error('down'), { name: 'InternalServerError' }));
    await expect(readParameter(NAME, USE, 1)).rejects.toMatchObject({ name: 'AwsUnavailable' });
  });
});

describe('readSlackSecret', () => {
  afterEach(() => {
    delete process.env.SLACK_SIGNING_SECRET;
    delete process.env.SLACK_SIGNING_SECRET_PARAMETER;
  });

  test('reads the parameter its variable names, through the one reader', async () => {
    process.env.SLACK_SIGNING_SECRET_PARAMETER = NAME;
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: 's3cret' } });
    expect(await readSlackSecret(SLACK_SIGNING_SECRET, 1)).toBe('s3cret');
    expect(await readSlackSecret(SLACK_SIGNING_SECRET, 2)).toBe('s3cret');
    expect(ssm).toHaveReceivedCommandTimes(GetParameterCommand, 1);
  });

  test('the value variable wins and SSM is not asked', async () => {
    process.env.SLACK_SIGNING_SECRET = 'local';
    process.env.SLACK_SIGNING_SECRET_PARAMETER = NAME;
    expect(await readSlackSecret(SLACK_SIGNING_SECRET, 1)).toBe('local');
    expect(ssm).toHaveReceivedCommandTimes(GetParameterCommand, 0);
  });

  test('neither variable set: a ConfigurationError naming both', async () => {
    await expect(readSlackSecret(SLACK_SIGNING_SECRET, 1)).rejects.toMatchObject({
      name: 'ConfigurationError',
      message: expect.stringContaining('Neither SLACK_SIGNING_SECRET_PARAMETER (the name of an SSM SecureString parameter) nor SLACK_SIGNING_SECRET is set'),
    });
  });
});
