import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { coalmine } from './support';

const ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:coalmine-dev-canary';
const sfn = mockClient(SFNClient);
const dir = mkdtempSync(join(tmpdir(), 'coalmine-start-'));
const REQUEST = {
  target: { type: 'lambda-alias', functionName: 'arn:aws:lambda:us-east-1:123456789012:function:checkout', alias: 'live', version: '42' },
  strategy: { weights: [10, 50, 100], bakeSeconds: 300 },
  analysis: { alarms: ['checkout-errors'] },
};

function requestFile(request: unknown): string {
  const file = join(dir, `request-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(request));
  return file;
}

beforeEach(() => sfn.reset());

describe('coalmine start', () => {
  it('calls StartExecution only, named as the artifact triggers name it, with the request as written', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: `${ARN.replace('stateMachine', 'execution')}:lambda-checkout-42`, startDate: new Date() });
    const run = await coalmine(['start', '--request', requestFile(REQUEST), '--state-machine', ARN]);
    expect(run.stderr).toEqual([]);
    expect(run.code).toBe(0);
    expect(run.stdout[0]).toBe(`Started ${REQUEST.target.functionName}:live as execution lambda-checkout-42 (${ARN.replace('stateMachine', 'execution')}:lambda-checkout-42).`);
    expect(sfn).toHaveReceivedCommandTimes(StartExecutionCommand, 1);
    expect(sfn).toHaveReceivedCommandWith(StartExecutionCommand, { stateMachineArn: ARN, name: 'lambda-checkout-42', input: JSON.stringify(REQUEST) });
    expect(sfn.calls()).toHaveLength(1);
  });

  it('refuses an invalid request with exit 2 before any AWS call', async () => {
    const run = await coalmine(['start', '--request', requestFile({ ...REQUEST, strategy: { weights: [10, 100], bakeSeconds: -5 } }), '--state-machine', ARN]);
    expect(run.code).toBe(2);
    expect(run.stderr[0]).toMatch(/bakeSeconds/);
    expect(sfn.calls()).toHaveLength(0);
  });

  it('says the version already ran when the name exists, and takes --name', async () => {
    sfn.on(StartExecutionCommand).rejects(Object.assign(new Error('Execution Already Exists'), { name: 'ExecutionAlreadyExists' }));
    const again = await coalmine(['start', '--request', requestFile(REQUEST), '--state-machine', ARN]);
    expect(again).toMatchObject({ code: 1, stderr: [expect.stringMatching(/execution lambda-checkout-42 already exists .*Give --name NAME/)] });
    await coalmine(['start', '--request', requestFile(REQUEST), '--state-machine', ARN, '--name', 'checkout-42-again']);
    expect(sfn).toHaveReceivedNthCommandWith(2, StartExecutionCommand, { name: 'checkout-42-again' });
    expect((await coalmine(['start', '--request', requestFile(REQUEST), '--state-machine', ARN, '--name', 'a b'])).code).toBe(2);
  });
});

describe('a repeated option', () => {
  it('is refused by start and plan, before any AWS call', async () => {
    const file = requestFile(REQUEST);
    for (const command of ['start', 'plan']) {
      const run = await coalmine([command, '--request', file, '--request', file]);
      expect(run).toMatchObject({ code: 2, stderr: [`coalmine ${command}: --request is given more than once; give it once.`, `Run "coalmine help ${command}" for usage.`] });
    }
    expect(sfn.calls()).toHaveLength(0);
  });
});
