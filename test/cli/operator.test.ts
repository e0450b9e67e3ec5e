import { DescribeExecutionCommand, GetExecutionHistoryCommand, ListExecutionsCommand, SendTaskFailureCommand, SendTaskSuccessCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { FakeAws, progressAt, resetAws, rolloutFor, sfn, STATE_MACHINE_ARN, writes } from '../handlers/slack-support';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import rolloutSchema from '../../schema/cli-rollout.schema.json';
import listSchema from '../../schema/cli-list.schema.json';
import statusSchema from '../../schema/cli-status.schema.json';
import endedSchema from '../../schema/cli-ended.schema.json';
import historySchema from '../../schema/cli-history.schema.json';
import { coalmine } from './support';

const ajv = addFormats(new Ajv2020({ strict: true, allErrors: true }));
ajv.addSchema(rolloutSchema);
ajv.addSchema(endedSchema);
const validList = ajv.compile(listSchema);
const validStatus = ajv.compile(statusSchema);
const validHistory = ajv.compile(historySchema);

let fake: FakeAws;
beforeEach(() => {
  resetAws();
  fake = new FakeAws();
  fake.install();
  process.env.COALMINE_STATE_MACHINE_ARN = STATE_MACHINE_ARN;
});
afterAll(() => {
  delete process.env.COALMINE_STATE_MACHINE_ARN;
});

describe('coalmine list', () => {
  it('lists each running rollout with its step, weight and verdict, reading only', async () => {
    fake.addRunning({
      name: 'checkout-live-42',
      rollout: rolloutFor({ executionName: 'checkout-live-42' }),
      progress: progressAt(1, 50),
      analysis: { verdict: 'pass', action: 'shift', reason: 'error rate within bounds', analyzedAt: new Date().toISOString() },
    });
    const run = await coalmine(['list']);
    expect(run.code).toBe(0);
    expect(run.stdout).toEqual([expect.stringMatching(/^checkout:live {2}checkout:live {2}step 2\/2 {2}50 % {2}pass → shift {2}Bake {2}7 min( \d+ s)? {2}\(execution checkout-live-42\)$/)]);
    expect(sfn).toHaveReceivedCommandWith(ListExecutionsCommand, { stateMachineArn: STATE_MACHINE_ARN, statusFilter: 'RUNNING', maxResults: 100 });
    expect(writes()).toEqual([]);
  });

  it('says so when nothing runs, and prints JSON with --json', async () => {
    expect((await coalmine(['list'])).stdout).toEqual(['No rollout is running.']);
    fake.addRunning({ name: 'checkout-live-42', rollout: rolloutFor({ executionName: 'checkout-live-42' }) });
    const json = JSON.parse((await coalmine(['list', '--json'])).stdout.join('\n'));
    expect(json).toMatchObject({ stateMachineArn: STATE_MACHINE_ARN, rollouts: [{ executionName: 'checkout-live-42', step: 1, weight: 10, unreadable: null }] });
    expect(validList(json) ? [] : validList.errors).toEqual([]);
    expect(validList({ ...json, extra: 1 })).toBe(false);
  });

  it('shows a rollout whose history cannot be read with the reason, and exits 0', async () => {
    fake.addRunning({ name: 'checkout-live-42', rollout: rolloutFor({ executionName: 'checkout-live-42' }) });
    sfn.on(GetExecutionHistoryCommand, { reverseOrder: true }).rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));
    const run = await coalmine(['list']);
    expect(run.code).toBe(0);
    expect(run.stdout[0]).toMatch(/history unreadable \(AccessDeniedException\)/);
  });
});

describe('coalmine list: what ended rollouts left, and with --all how they ended', () => {
  it('names a target an ended rollout left split that no running rollout drives', async () => {
    fake.addRunning({ name: 'checkout-live-42', rollout: rolloutFor({ executionName: 'checkout-live-42' }), stopped: { error: 'ManualPromote', cause: 'Promotion requested by bob.' } });
    const run = await coalmine(['list']);
    expect(run.stdout).toEqual([
      'No rollout is running.',
      'checkout:live is left at 10 % on the new version by execution checkout-live-42, which ended ABORTED: a person promoted it, and the promotion did not complete. No rollout drives it; the reconciler returns it to 0 %.',
    ]);
    const json = JSON.parse((await coalmine(['list', '--json'])).stdout.join('\n'));
    expect(json.stranded).toEqual([expect.objectContaining({ target: 'checkout:live', state: 'split', weight: 10, executionName: 'checkout-live-42', status: 'ABORTED' })]);
    expect(validList(json) ? [] : validList.errors).toEqual([]);
    expect(writes()).toEqual([]);
  });

  it('--all adds the rollouts that ended in the last day, each with its outcome and why', async () => {
    fake.addRunning({ name: 'checkout-live-41', rollout: rolloutFor({ executionName: 'checkout-live-41', version: '41' }), state: 'RolledBack', endedAs: 'FAILED' });
    fake.alias = { FunctionVersion: '41', weights: {}, revision: 9 };
    fake.addRunning({ name: 'basket-live-7', rollout: rolloutFor({ name: 'basket', functionName: 'basket', executionName: 'basket-live-7' }), stopped: { error: 'ManualRollback', cause: 'Rollback requested from the coalmine CLI by bob: p99 doubled.' } });
    const run = await coalmine(['list', '--all']);
    expect(run.stdout).toEqual([
      'No rollout is running.',
      'Ended in the last 24 h:',
      expect.stringMatching(/^ {2}checkout:live {2}checkout:live {2}rolled back: all traffic on the baseline \(CanaryAnalysisFailed: the analysis failed\) {2}ended \S+ {2}\(execution checkout-live-41\)$/),
      expect.stringMatching(/^ {2}basket {2}basket:live {2}rolled back: all traffic on the baseline \(ManualRollback: Rollback requested from the coalmine CLI by bob: p99 doubled\.\) {2}ended \S+ {2}\(execution basket-live-7\)$/),
    ]);
    expect(sfn).toHaveReceivedCommandWith(ListExecutionsCommand, { stateMachineArn: STATE_MACHINE_ARN, maxResults: 100 });
    const json = JSON.parse((await coalmine(['list', '--all', '--json'])).stdout.join('\n'));
    expect(json.ended.map((e: { outcome: string }) => e.outcome)).toEqual(['rolled-back', 'rolled-back']);
    expect(validList(json) ? [] : validList.errors).toEqual([]);
  });
});

describe('coalmine history', () => {
  it("lists a target's past rollouts with their outcome and why, and says so when there are none", async () => {
    fake.addRunning({ name: 'checkout-live-41', rollout: rolloutFor({ executionName: 'checkout-live-41', version: '41' }), endedAs: 'SUCCEEDED', state: 'RolloutPromoted' });
    fake.addRunning({ name: 'basket-live-7', rollout: rolloutFor({ name: 'basket', functionName: 'basket', executionName: 'basket-live-7' }), stopped: { error: 'AlarmRollback', cause: 'Alarm basket errors went to ALARM.' } });
    const run = await coalmine(['history', 'basket:live']);
    expect(run.stdout).toEqual([expect.stringMatching(/^basket {2}basket:live {2}rolled back: all traffic on the baseline \(AlarmRollback: Alarm basket errors went to ALARM\.\) {2}ended /)]);
    const json = JSON.parse((await coalmine(['history', '--json'])).stdout.join('\n'));
    expect(json.rollouts.map((r: { executionName: string; outcome: string }) => [r.executionName, r.outcome])).toEqual([['checkout-live-41', 'promoted'], ['basket-live-7', 'rolled-back']]);
    expect(validHistory(json) ? [] : validHistory.errors).toEqual([]);
    expect((await coalmine(['history', 'cart'])).stdout).toEqual(['No rollout of cart ended in the last 90 days.']);
    expect((await coalmine(['history', 'a', 'b'])).code).toBe(2);
  });
});

describe("a person's promote, in history and status", () => {
  it('counts as promoted once the target reads 100 %, and says the promotion has not reached it before', async () => {
    fake.addRunning({ name: 'checkout-live-42', rollout: rolloutFor({ executionName: 'checkout-live-42' }), stopped: { error: 'ManualPromote', cause: 'Promotion requested by bob.' } });
    expect((await coalmine(['history', 'checkout:live'])).stdout[0]).toMatch(/^checkout:live {2}checkout:live {2}stopped for a promotion that has not reached 100 % \(ManualPromote: Promotion requested by bob\.\)/);
    fake.alias = { FunctionVersion: '42', weights: {}, revision: fake.alias.revision + 1 };
    expect((await coalmine(['history', 'checkout:live'])).stdout[0]).toMatch(/^checkout:live {2}checkout:live {2}promoted: all traffic on the new version \(ManualPromote/);
    const status = await coalmine(['status', 'checkout-live-42']);
    expect(status.stdout.at(-2)).toMatch(/^ {2}ended: promoted: all traffic on the new version \(ABORTED at \S+\)\. ManualPromote: Promotion requested by bob\.$/);
    expect(status.stdout.at(-1)).toMatch(/^ {2}rollback window: open until \S+Z /);
    expect(status.stdout).toContainEqual(expect.stringMatching(/; the target reads 100 % now$/));
    expect(writes()).toEqual([]);
  });
});

describe('coalmine status', () => {
  it('describes one rollout named by function:alias: plan, now, the weight the target reads, next', async () => {
    fake.addRunning({ name: 'checkout-live-42', rollout: rolloutFor({ executionName: 'checkout-live-42' }) });
    const run = await coalmine(['status', 'checkout:live']);
    expect(run.code).toBe(0);
    expect(run.stdout).toEqual([
      expect.stringMatching(/^checkout:live \(checkout:live\), execution checkout-live-42, started \d{4}-\S+Z, RUNNING$/),
      '  plan: 10 % for 5 min → 50 % for 5 min → 100 % (nominal 10 min)',
      '  analyses: none yet',
      expect.stringMatching(/^ {2}now: Bake since \S+Z, step 1 of 2 at 10 % canary; the target reads 10 % now$/),
      expect.stringMatching(/^ {2}next: analysis of step 1 at 10 % due now \(\d\d:\d\d:\d\dZ\)$/),
    ]);
    expect(sfn).toHaveReceivedCommandWith(DescribeExecutionCommand, { executionArn: fake.arnOf('checkout-live-42') });
    expect(sfn).toHaveReceivedCommandWith(GetExecutionHistoryCommand, { executionArn: fake.arnOf('checkout-live-42'), reverseOrder: false, includeExecutionData: true, maxResults: 1000 });
    expect(writes()).toEqual([]);
  });

  it('lists the candidates of an ambiguous name, and names the running ones for an unknown one', async () => {
    fake.addRunning({ name: 'a-1', rollout: rolloutFor({ name: 'shop', executionName: 'a-1' }) });
    fake.addRunning({ name: 'b-2', rollout: rolloutFor({ name: 'shop', functionName: 'basket', executionName: 'b-2' }) });
    const ambiguous = await coalmine(['status', 'shop']);
    expect(ambiguous.code).toBe(1);
    expect(ambiguous.stderr).toEqual(['coalmine status: "shop" names 2 running rollouts; give one\'s execution name: a-1 (checkout:live), b-2 (basket:live).']);
    const unknown = await coalmine(['status', 'cart']);
    expect(unknown.stderr).toEqual(['coalmine status: no running rollout is "cart". Running: shop, shop.']);
    expect((await coalmine(['status', fake.arnOf('a-1')])).stdout[0]).toMatch(/^shop \(checkout:live\), execution a-1, /);
    const json = JSON.parse((await coalmine(['status', 'b-2', '--json'])).stdout.join('\n'));
    expect(json).toMatchObject({ target: 'basket:live', executionName: 'b-2' });
    expect(validStatus(json) ? [] : validStatus.errors).toEqual([]);
    expect(validStatus({ ...json, now: { ...json.now, weight: 'ten' } })).toBe(false);
  });

  it('maps missing credentials and throttling to a sentence, and asks which state machine without one', async () => {
    sfn.on(ListExecutionsCommand).rejects(Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }));
    expect(await coalmine(['status', 'checkout'])).toMatchObject({ code: 1, stderr: [expect.stringMatching(/^coalmine status: no AWS credentials found\. Set AWS_PROFILE/)] });
    sfn.on(ListExecutionsCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    expect((await coalmine(['list'])).stderr).toEqual(['coalmine list: ListExecutions: AWS throttled the call (ThrottlingException), after the SDK\'s retries. Try again in a moment.']);
    delete process.env.COALMINE_STATE_MACHINE_ARN;
    const none = await coalmine(['list']);
    expect(none.code).toBe(2);
    expect(none.stderr[0]).toMatch(/Give --state-machine ARN, set COALMINE_STATE_MACHINE_ARN, or give --stage STAGE/);
  });

  it('refuses no ROLLOUT or two', async () => {
    expect((await coalmine(['status'])).code).toBe(2);
    expect((await coalmine(['status', 'a', 'b'])).stderr[0]).toMatch(/give one ROLLOUT/);
  });
});

describe('coalmine rollback and promote', () => {
  const sts = mockClient(STSClient);
  const CALLER = 'arn:aws:sts::123456789012:assumed-role/deploy/bob';
  beforeEach(() => {
    sts.reset();
    sts.on(GetCallerIdentityCommand).resolves({ Arn: CALLER, Account: '123456789012', UserId: 'AROA:bob' });
  });

  it('rolls back as the caller, with the reason in the stop cause', async () => {
    fake.addRunning({ name: 'checkout-live-42', rollout: rolloutFor({ executionName: 'checkout-live-42' }), progress: progressAt(1, 50) });
    const run = await coalmine(['rollback', 'checkout:live', '--reason', 'p99 doubled']);
    expect(run.stderr).toEqual([]);
    expect(run.code).toBe(0);
    expect(run.stdout[0]).toMatch(/^Rolled back checkout:live \(execution checkout-live-42\): traffic verified at 0 %/);
    expect(run.stdout[0]).toContain(`Rollback requested from the coalmine CLI by ${CALLER}: p99 doubled.`);
    expect(fake.alias).toMatchObject({ FunctionVersion: '41', weights: {} });
    expect(sfn).toHaveReceivedCommandWith(StopExecutionCommand, {
      executionArn: fake.arnOf('checkout-live-42'),
      error: 'ManualRollback',
      cause: expect.stringContaining(`by ${CALLER}: p99 doubled.`),
    });
    expect(sts).toHaveReceivedCommandTimes(GetCallerIdentityCommand, 1);
  });

  it('promotes only with --full, then to 100 % as the caller', async () => {
    fake.addRunning({ name: 'checkout-live-42', rollout: rolloutFor({ executionName: 'checkout-live-42' }), progress: progressAt(0, 10) });
    const refused = await coalmine(['promote', 'checkout:live']);
    expect(refused.code).toBe(2);
    expect(refused.stderr[0]).toMatch(/give --full to say so/);
    expect(writes()).toEqual([]);
    const run = await coalmine(['promote', 'checkout:live', '--full']);
    expect(run.stderr).toEqual([]);
    expect(run.stdout[0]).toMatch(/^Promoted checkout:live \(execution checkout-live-42\) from 10 % to 100 %, verified/);
    expect(fake.alias).toMatchObject({ FunctionVersion: '42', weights: {} });
    expect(sfn).toHaveReceivedCommandWith(StopExecutionCommand, { error: 'ManualPromote', cause: expect.stringContaining(CALLER) });
  });

  describe('approve', () => {
    const TOKEN = 'AQCEAAAAKgAAAAMAAAAAAAAAAfake-gate-token';
    const atGate = (extra: object = {}) =>
      fake.addRunning({
        name: 'checkout-live-42',
        rollout: rolloutFor({ executionName: 'checkout-live-42' }),
        progress: progressAt(0, 10),
        state: 'AwaitApproval',
        gate: { token: TOKEN, step: { index: 0, weight: 10, extraBakes: 0 }, gate: { kind: 'approval', timeoutSeconds: 3600, onTimeout: 'rollback', then: 'promote' } },
        ...extra,
      });

    it('answers the gate as the caller (SendTaskSuccess), printing who and never the token', async () => {
      atGate();
      const run = await coalmine(['approve', 'checkout:live']);

      expect(run).toMatchObject({ code: 0, stderr: [], stdout: [`Approved checkout:live (execution checkout-live-42) at step 1 (10 %) as ${CALLER}: the rollout moves on.`] });
      const sent = sfn.commandCalls(SendTaskSuccessCommand)[0]!.args[0].input;
      expect(sent.taskToken).toBe(TOKEN);
      expect(JSON.parse(sent.output ?? '')).toEqual({ decision: 'approved', by: CALLER, via: 'the coalmine CLI', at: expect.any(String) });
      expect(writes()).toEqual(['SendTaskSuccess']);
      expect(JSON.stringify(run)).not.toContain(TOKEN);
    });

    it('rolls back at the gate with --roll-back (SendTaskFailure), with the reason', async () => {
      atGate();
      const run = await coalmine(['approve', 'checkout:live', '--roll-back', '--reason', 'p99 doubled']);

      expect(run).toMatchObject({ code: 0, stdout: [`Rolled checkout:live (execution checkout-live-42) back at step 1 (10 %) as ${CALLER}: the state machine sends all traffic back to the stable version.`] });
      expect(sfn).toHaveReceivedCommandWith(SendTaskFailureCommand, {
        taskToken: TOKEN,
        error: 'ApprovalRejected',
        cause: `Rolled back at the approval gate of step 1 (10 %) from the coalmine CLI by ${CALLER}: p99 doubled.`,
      });
      expect(writes()).toEqual(['SendTaskFailure']);
    });

    it('finds nothing to approve on a rollout that bakes, or a gate that closed, and exits 1 changing nothing', async () => {
      fake.addRunning({ name: 'checkout-live-42', rollout: rolloutFor({ executionName: 'checkout-live-42' }) });
      const baking = await coalmine(['approve', 'checkout:live']);
      expect(baking).toMatchObject({ code: 1, stderr: ['coalmine approve: Nothing to approve: checkout:live (execution checkout-live-42) is not waiting at a gate (it is in Bake). Nothing was changed.'] });
      expect(writes()).toEqual([]);

      resetAws();
      fake = new FakeAws();
      fake.install();
      atGate({ gateClosed: true });
      const late = await coalmine(['approve', 'checkout:live']);
      expect(late).toMatchObject({ code: 1, stderr: [expect.stringMatching(/^coalmine approve: Nothing to approve: the gate of checkout:live .* closed before the answer reached it \(Step Functions answered TaskTimedOut\)/)] });
    });

    it('status shows the gate and the command that answers it as the next action', async () => {
      atGate();
      const run = await coalmine(['status', 'checkout:live']);

      expect(run.code).toBe(0);
      expect(run.stdout).toContain('  waiting for a person: coalmine approve checkout-live-42, or coalmine approve checkout-live-42 --roll-back');
      expect(JSON.stringify(run)).not.toContain(TOKEN);
    });

    it('refuses --reason without --roll-back before any AWS call (exit 2)', async () => {
      atGate();
      const run = await coalmine(['approve', 'checkout:live', '--reason', 'looks good']);

      expect(run).toMatchObject({ code: 2, stderr: [expect.stringMatching(/--reason goes with --roll-back/), 'Run "coalmine help approve" for usage.'] });
      expect(sts).toHaveReceivedCommandTimes(GetCallerIdentityCommand, 0);
      expect(sfn).toHaveReceivedCommandTimes(ListExecutionsCommand, 0);
    });
  });

  it('changes nothing for an unknown rollout and exits 1', async () => {
    fake.addRunning({ name: 'checkout-live-42', rollout: rolloutFor({ executionName: 'checkout-live-42' }) });
    const run = await coalmine(['rollback', 'cart']);
    expect(run).toMatchObject({ code: 1, stderr: ['coalmine rollback: no running rollout is "cart". Running: checkout:live.'] });
    expect(writes()).toEqual([]);
  });

  it('explains access denied on the caller identity, before any write', async () => {
    fake.addRunning({ name: 'checkout-live-42', rollout: rolloutFor({ executionName: 'checkout-live-42' }) });
    sts.on(GetCallerIdentityCommand).rejects(Object.assign(new Error('not authorized'), { name: 'AccessDenied' }));
    const run = await coalmine(['rollback', 'checkout:live']);
    expect(run).toMatchObject({ code: 1, stderr: [expect.stringMatching(/^coalmine rollback: AWS refused the call \(AccessDenied: not authorized\)/)] });
    expect(writes()).toEqual([]);
  });
});
