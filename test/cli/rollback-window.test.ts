/**
 * `coalmine rollback` of a rollout that ended promoted (docs/rollback-window.md), against the mocked Step
 * Functions and Lambda of test/handlers/slack-support.ts (which enforce RevisionId, as AWS does): the one
 * write with its exact input, and the races the docs define: a second rollback, a second person's restore
 * landing between our read and our write, a new rollout's shift landing there, a new rollout running on the
 * target, the reconciler; and the refusals, with no stack trace.
 */
import { UpdateAliasCommand } from '@aws-sdk/client-lambda';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { UpdateKeysCommand } from '@aws-sdk/client-cloudfront-keyvaluestore';
import { parseRolloutRequest } from '../../shared/config/request';
import { planRollout } from '../../shared/plan';
import { rollBackRollout } from '../../shared/actions/rollback';
import { sweepStrandedTargets } from '../../shared/reconcile/stranded';
import { FakeAws, kvs, lambda, progressAt, resetAws, rolloutFor, sfn, STATE_MACHINE_ARN, writes, type FakeExecution } from '../handlers/slack-support';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import statusSchema from '../../schema/cli-status.schema.json';
import { coalmine } from './support';

const validStatus = addFormats(new Ajv2020({ strict: true, allErrors: true })).compile(statusSchema);

const CALLER = 'arn:aws:sts::123456789012:assumed-role/deploy/bob';
const sts = mockClient(STSClient);
const HOUR = 3_600_000;

let fake: FakeAws;
beforeEach(() => {
  resetAws();
  sts.reset();
  sts.on(GetCallerIdentityCommand).resolves({ Arn: CALLER, Account: '123456789012', UserId: 'AROA:bob' });
  fake = new FakeAws();
  fake.install();
  process.env.COALMINE_STATE_MACHINE_ARN = STATE_MACHINE_ARN;
});
afterAll(() => {
  delete process.env.COALMINE_STATE_MACHINE_ARN;
});

/** checkout:live 41 → 42, ended promoted (the fake ends it 10 minutes after its start), the alias left on 42 alone. */
function promoted(overrides: Partial<FakeExecution> = {}): FakeExecution {
  const execution = fake.addRunning({ name: 'checkout-live-42', rollout: rolloutFor({ executionName: 'checkout-live-42' }), progress: progressAt(2, 100), endedAs: 'SUCCEEDED', startDate: new Date(Date.now() - HOUR), ...overrides });
  fake.alias = { FunctionVersion: '42', weights: {}, revision: 7, description: 'what callers invoke' };
  return execution;
}

const updateInputs = () => lambda.commandCalls(UpdateAliasCommand).map((call) => call.args[0].input);
const RECORD = new RegExp(`^coalmine restored version 41 after checkout-live-42 at (\\S+Z) for ${CALLER.replace(/[/.]/g, '\\$&')}: p99 doubled$`);

describe('coalmine rollback of a rollout that ended promoted', () => {
  it('restores the previous version as the caller in one UpdateAlias that carries the record, and stops nothing', async () => {
    promoted();
    const run = await coalmine(['rollback', 'checkout:live', '--reason', 'p99 doubled']);

    expect(run).toMatchObject({ code: 0, stderr: [] });
    expect(run.stdout).toEqual([
      expect.stringMatching(
        /^Restored checkout:live \(execution checkout-live-42\), which had ended promoted: checkout:live sends all traffic to version 41 again \(was all on 42\), verified in one write\. Recorded by arn:aws:sts::123456789012:assumed-role\/deploy\/bob at \S+Z: p99 doubled\.$/,
      ),
    ]);
    expect(updateInputs()).toEqual([
      { FunctionName: 'checkout', Name: 'live', FunctionVersion: '41', RoutingConfig: { AdditionalVersionWeights: {} }, Description: expect.stringMatching(RECORD), RevisionId: 'rev-7' },
    ]);
    expect(writes()).toEqual(['UpdateAlias']);
    expect(fake.alias).toMatchObject({ FunctionVersion: '41', weights: {} });
    // What one restore costs: the running rollouts, the ended ones, the history's head and the description, then the alias read, written and read back.
    const names = (calls: ReadonlyArray<{ args: readonly unknown[] }>) => calls.map((c) => (c.args[0] as object).constructor.name.replace(/Command$/, ''));
    expect(names(sfn.calls())).toEqual(['ListExecutions', 'ListExecutions', 'GetExecutionHistory', 'DescribeExecution']);
    expect(names(lambda.calls())).toEqual(['GetAlias', 'GetAlias', 'UpdateAlias', 'GetAlias']);
  });

  it('restores a rollout a person promoted (stopped ManualPromote, the alias at 100 %)', async () => {
    promoted({ endedAs: undefined, stopped: { error: 'ManualPromote', cause: 'Promotion requested by bob.' } });
    const run = await coalmine(['rollback', 'checkout-live-42']);
    expect(run).toMatchObject({ code: 0, stdout: [expect.stringMatching(/^Restored checkout:live /)] });
    expect(writes()).toEqual(['UpdateAlias']);
  });

  it('a second rollback says it is restored already, by whom and why, and writes nothing', async () => {
    promoted();
    await coalmine(['rollback', 'checkout:live', '--reason', 'p99 doubled']);
    const again = await coalmine(['rollback', 'checkout:live']);

    expect(again).toMatchObject({ code: 0, stderr: [] });
    expect(again.stdout).toEqual([expect.stringMatching(/^checkout:live \(execution checkout-live-42\) is restored already by arn:\S+ at \S+Z: p99 doubled: checkout:live sends all traffic to version 41\. Nothing was written\.$/)]);
    expect(writes()).toEqual(['UpdateAlias']);
  });

  it('loses the race to a second person’s restore between its read and its write: the stale RevisionId fails, the re-read finds it restored, nothing is overwritten', async () => {
    promoted();
    const alice = 'coalmine restored version 41 after checkout-live-42 at 2026-11-22T11:00:00.000Z for alice (U0ALICE123): checkout errors';
    // Alice's restore lands between our read and our write.
    fake.beforeUpdateAlias = () => {
      fake.beforeUpdateAlias = () => undefined;
      fake.alias = { FunctionVersion: '41', weights: {}, revision: 8, description: alice };
    };
    const run = await coalmine(['rollback', 'checkout:live', '--reason', 'p99 doubled']);

    expect(run).toMatchObject({ code: 0, stdout: ['checkout:live (execution checkout-live-42) is restored already by alice (U0ALICE123) at 2026-11-22T11:00:00.000Z: checkout errors: checkout:live sends all traffic to version 41. Nothing was written.'] });
    expect(updateInputs()).toEqual([expect.objectContaining({ RevisionId: 'rev-7' })]);
    expect(fake.alias).toEqual({ FunctionVersion: '41', weights: {}, revision: 8, description: alice });
  });

  it('loses the race to a new rollout’s first shift: refused with what the alias shows, the shift stands', async () => {
    promoted();
    fake.beforeUpdateAlias = () => {
      fake.beforeUpdateAlias = () => undefined;
      fake.alias = { FunctionVersion: '42', weights: { 43: 0.1 }, revision: 8 };
    };
    const run = await coalmine(['rollback', 'checkout:live']);

    expect(run).toEqual({
      code: 1,
      stdout: [],
      stderr: [
        'coalmine rollback: checkout:live points at version 42 with 10 % on 43, not at version 42 alone as the promotion left it. It changed after checkout:live (execution checkout-live-42) ended promoted, so coalmine will not overwrite it (the forward-only rule). Nothing was changed.',
      ],
    });
    expect(fake.alias).toEqual({ FunctionVersion: '42', weights: { 43: 0.1 }, revision: 8 });
  });

  it('refuses while a new rollout of the same target runs under another name, naming it, and writes nothing', async () => {
    promoted({ rollout: rolloutFor({ name: 'checkout', executionName: 'checkout-live-42' }) });
    fake.addRunning({ name: 'checkout-live-43', rollout: { ...rolloutFor({ name: 'hotfix', executionName: 'checkout-live-43', version: '43' }), baseline: { version: '42' } }, progress: progressAt(0, 0) });
    // By its target, checkout:live names the running rollout (running ones come first); by its name, the ended one.
    const run = await coalmine(['rollback', 'checkout']);

    expect(run).toEqual({
      code: 1,
      stdout: [],
      stderr: ['coalmine rollback: hotfix (execution checkout-live-43) is rolling out on the same target now; coalmine does not restore under a running rollout. Roll that one back (coalmine rollback checkout-live-43) or let it finish, then ask again. Nothing was changed.'],
    });
    expect(writes()).toEqual([]);
  });

  it('refuses while a new rollout of the same target is still in Preflight', async () => {
    promoted({ rollout: rolloutFor({ name: 'checkout', executionName: 'checkout-live-42' }) });
    fake.addRunning({ name: 'checkout-live-43', rollout: null, request: { name: 'hotfix', target: { type: 'lambda-alias', functionName: 'checkout', alias: 'live', version: '43' } } });
    const run = await coalmine(['rollback', 'checkout']);

    expect(run).toMatchObject({ code: 1, stderr: [expect.stringMatching(/^coalmine rollback: hotfix \(execution checkout-live-43\) is rolling out on the same target now;/)] });
    expect(writes()).toEqual([]);
  });

  it('after the window, refuses and prints the exact command that rolls version 41 out', async () => {
    promoted({ startDate: new Date(Date.now() - 25 * HOUR - 600_000) });
    const run = await coalmine(['rollback', 'checkout:live']);

    expect(run.code).toBe(1);
    expect(run.stderr).toHaveLength(2);
    expect(run.stderr[0]).toMatch(/^coalmine rollback: checkout:live \(execution checkout-live-42\) ended promoted at \S+Z, and its rollback window \(1 d\) closed at \S+Z, so coalmine no longer restores the previous version over it\. Start a rollout of the old version instead\. Nothing was changed\.$/);
    const request = { ...rolloutFor({ executionName: 'checkout-live-42' }).request, target: { type: 'lambda-alias', functionName: 'checkout', alias: 'live', version: '41' } };
    expect(run.stderr[1]).toBe(`  echo '${JSON.stringify(request)}' | coalmine start --request - --name checkout-live-42-revert --state-machine ${STATE_MACHINE_ARN}`);
    expect(writes()).toEqual([]);
  });

  it('refuses a rollout that ended rolled back: there is no promotion to undo', async () => {
    promoted({ endedAs: 'FAILED' });
    fake.alias = { FunctionVersion: '41', weights: {}, revision: 7 };
    const run = await coalmine(['rollback', 'checkout:live']);
    expect(run).toEqual({
      code: 1,
      stdout: [],
      stderr: ['coalmine rollback: checkout:live (execution checkout-live-42) failed (the reconciler returns a target it left split to 0 %); there is no promotion to undo. Nothing was changed.'],
    });
    expect(writes()).toEqual([]);
  });

  it('names the running rollouts for a name no rollout answers to, running or ended', async () => {
    promoted();
    fake.addRunning({ name: 'cart-live-7', rollout: rolloutFor({ functionName: 'cart', executionName: 'cart-live-7', version: '7' }) });
    const run = await coalmine(['rollback', 'basket']);
    expect(run).toEqual({ code: 1, stdout: [], stderr: ['coalmine rollback: no running rollout is "basket". Running: cart:live.'] });
    expect(writes()).toEqual([]);
  });

  it('status shows the window open, then the restore with who, when and why, also in --json', async () => {
    promoted();
    const before = await coalmine(['status', 'checkout-live-42']);
    expect(before.stdout.at(-1)).toMatch(/^ {2}rollback window: open until \S+Z \(coalmine rollback checkout-live-42 restores the previous version\)$/);

    await coalmine(['rollback', 'checkout-live-42', '--reason', 'p99 doubled']);
    const after = await coalmine(['status', 'checkout-live-42']);
    expect(after.stdout.at(-1)).toMatch(/^ {2}restored: version 41 by arn:aws:sts::123456789012:assumed-role\/deploy\/bob at \S+Z: p99 doubled$/);
    const json = JSON.parse((await coalmine(['status', 'checkout-live-42', '--json'])).stdout.join('\n'));
    expect(json.rollbackWindow).toEqual({ closesAt: expect.any(String), open: false, restored: { restored: 'version 41', by: CALLER, reason: 'p99 doubled', at: expect.any(String) } });
    expect(validStatus(json) ? [] : validStatus.errors).toEqual([]);
    expect(writes()).toEqual(['UpdateAlias']);
  });

  it('restores a KeyValueStore to the colour the rollout started from in one UpdateKeys guarded by the ETag', async () => {
    const KVS_ARN = 'arn:aws:cloudfront::123456789012:key-value-store/327284aa-bcd5-499f-a3ff-26b9a9d31b58';
    const request = parseRolloutRequest({ name: 'storefront', target: { type: 'cloudfront-kvs', kvsArn: KVS_ARN }, strategy: { preset: 'canary10-5m' }, analysis: { alarms: ['storefront-5xx'] } });
    const rollout = { name: 'storefront', request, plan: planRollout(request, { observable: false }), baseline: { greenPercentage: 0, lockHolder: 'storefront-7' }, executionName: 'storefront-7', startedAt: '2026-11-22T10:00:00.000Z' };
    fake.addRunning({ name: 'storefront-7', rollout, progress: progressAt(1, 100), endedAs: 'SUCCEEDED', startDate: new Date(Date.now() - HOUR) });
    // As the promotion left it: green serves everyone, the lock released, the blue pins emptied.
    fake.store = { green_percentage: '100', blue_cidrs: '[]', green_cidrs: '["203.0.113.10"]' };
    const run = await coalmine(['rollback', 'storefront', '--reason', 'p99 doubled']);

    expect(run).toMatchObject({ code: 0, stderr: [], stdout: [expect.stringMatching(/^Restored storefront \(execution storefront-7\), which had ended promoted: kvs\/327284aa-bcd5-499f-a3ff-26b9a9d31b58 sends everyone to blue again \(was all on green\), verified in one write\./)] });
    expect(kvs.commandCalls(UpdateKeysCommand).map((c) => c.args[0].input)).toEqual([
      {
        KvsARN: KVS_ARN,
        IfMatch: 'etag-1',
        Puts: [
          { Key: 'green_percentage', Value: '0' },
          { Key: 'green_cidrs', Value: '[]' },
          { Key: 'coalmine_restore', Value: expect.stringMatching(new RegExp(`^coalmine restored blue after storefront-7 at \\S+Z for ${CALLER.replace(/[/.]/g, '\\$&')}: p99 doubled$`)) },
        ],
      },
    ]);
    expect(writes()).toEqual(['UpdateKeys']);
  });

  it('leaves nothing for the reconciler: a restored target is at 0 %, not split', async () => {
    promoted();
    await coalmine(['rollback', 'checkout:live']);
    expect(await sweepStrandedTargets(STATE_MACHINE_ARN, new Date(Date.now() - 2 * HOUR))).toEqual([]);
  });
});

describe("a Slack hand-over's rerun of a restore (the execution the first attempt picked)", () => {
  const input = () => ({
    stateMachineArn: STATE_MACHINE_ARN,
    target: 'checkout:live',
    requester: { kind: 'slack' as const, userId: 'U0ALICE123', userName: 'alice', channelId: 'C0DEPLOYS1' },
    reason: 'p99 doubled',
    receivedAtMs: Date.now(),
    execution: { arn: fake.arnOf('checkout-live-42'), name: 'checkout-live-42' },
  });

  it('restores when the first attempt stopped before the write, and finds it restored when it had written', async () => {
    promoted();
    expect(await rollBackRollout(input())).toMatchObject({ kind: 'restored', executionName: 'checkout-live-42', record: { by: 'alice (U0ALICE123) in C0DEPLOYS1', reason: 'p99 doubled' } });
    expect(await rollBackRollout(input())).toMatchObject({ kind: 'already-restored', detail: expect.stringMatching(/^checkout:live \(execution checkout-live-42\) is restored already by alice \(U0ALICE123\) in C0DEPLOYS1 at /) });
    expect(writes()).toEqual(['UpdateAlias']);
  });
});
