/**
 * The operator commands against moto_server over HTTP, with the default credential chain and
 * AWS_ENDPOINT_URL as an operator's shell would set them: start, list, status and rollback on Step
 * Functions executions. moto does not run our Preflight, so its histories hold no planned rollout: what
 * the commands see is a rollout before Preflight finished. (rollback and promote are proven with
 * aws-sdk-client-mock in test/cli/operator.test.ts: moto's GetExecutionHistory does not record the stop
 * they verify.)
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateStateMachineCommand, SFNClient } from '@aws-sdk/client-sfn';
import { coalmine } from '../cli/support';
import { DUMMY_CREDENTIALS, MOTO_ACCOUNT, MOTO_REGION, describeWithMoto } from './moto';

const REQUEST = { name: 'checkout', target: { type: 'lambda-alias', functionName: 'checkout', alias: 'live', version: '2' }, strategy: { preset: 'canary10-5m' }, analysis: { alarms: ['checkout-errors'] } };
const ENV = ['AWS_ENDPOINT_URL', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_REGION', 'COALMINE_STATE_MACHINE_ARN'] as const;

describeWithMoto('the coalmine operator commands against moto_server', (server) => {
  const saved = Object.fromEntries(ENV.map((key) => [key, process.env[key]]));
  let sfn: SFNClient;
  let file = '';

  beforeAll(async () => {
    await server().reset();
    Object.assign(process.env, {
      AWS_ENDPOINT_URL: server().endpoint,
      AWS_ACCESS_KEY_ID: DUMMY_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: DUMMY_CREDENTIALS.secretAccessKey,
      AWS_REGION: MOTO_REGION,
    });
    sfn = new SFNClient(server().clientConfig);
    const created = await sfn.send(
      new CreateStateMachineCommand({
        name: 'coalmine-moto-canary',
        definition: JSON.stringify({ StartAt: 'Bake', States: { Bake: { Type: 'Wait', Seconds: 3600, End: true } } }),
        roleArn: `arn:aws:iam::${MOTO_ACCOUNT}:role/sfn`,
      }),
    );
    process.env.COALMINE_STATE_MACHINE_ARN = created.stateMachineArn!;
    file = join(mkdtempSync(join(tmpdir(), 'coalmine-cli-moto-')), 'request.json');
    writeFileSync(file, JSON.stringify(REQUEST));
  });

  afterAll(() => {
    for (const key of ENV) {
      if (saved[key] === undefined) delete process.env[key];
      else process.env[key] = saved[key];
    }
  });

  it('starts, lists and shows a rollout', async () => {
    const started = await coalmine(['start', '--request', file]);
    expect(started).toMatchObject({ code: 0, stderr: [] });
    expect(started.stdout[0]).toMatch(/^Started checkout:live as execution lambda-checkout-2 \(arn:aws:states:us-east-1:123456789012:execution:coalmine-moto-canary:lambda-checkout-2\)\.$/);

    const listed = await coalmine(['list', '--json']);
    expect(listed.stderr).toEqual([]);
    const { rollouts } = JSON.parse(listed.stdout.join('\n')) as { rollouts: Array<Record<string, unknown>> };
    expect(rollouts.map((r) => r.executionName)).toEqual(['lambda-checkout-2']);

    const status = await coalmine(['status', 'lambda-checkout-2']);
    expect(status).toMatchObject({ code: 0, stderr: [] });
    expect(status.stdout[0]).toMatch(/execution lambda-checkout-2, started/);

  });
});
