/**
 * `coalmine watch` in process: the real readers against Step Functions and Lambda through
 * aws-sdk-client-mock (exact inputs), a history that moves on between reads, and a virtual clock: the
 * loop's sleeps advance it instead of waiting.
 */
import { DescribeExecutionCommand, GetExecutionHistoryCommand, ListExecutionsCommand, type HistoryEvent } from '@aws-sdk/client-sfn';
import { GetAliasCommand } from '@aws-sdk/client-lambda';
import { followRollout, type WatchPorts } from '../../cli/watch';
import type { CliIo } from '../../cli/io';
import { readRolloutStory, readTargetNow } from '../../shared/actions/status';
import { lambda, resetAws, rolloutFor, sfn, STATE_MACHINE_ARN, writes } from '../handlers/slack-support';
import { RolloutHistory } from './rollout-history';
import { coalmine } from './support';

const T0 = new Date('2026-11-22T10:00:00.000Z');
const NAME = 'checkout-live-42';
const ARN = `arn:aws:states:us-east-1:123456789012:execution:coalmine-dev-canary:${NAME}`;
const rollout = rolloutFor({ executionName: NAME });
const PASS_1 = { verdict: 'pass', action: 'advance', reason: 'step 1 at 10 %: the analysis passed: checkout-errors OK' } as const;
const PASS_2 = { verdict: 'pass', action: 'promote', reason: 'step 2 at 50 %: the analysis passed: checkout-errors OK' } as const;

interface World {
  history: HistoryEvent[];
  describe: { status: string; error?: string; cause?: string; stopDate?: Date };
}

/** The execution as each read sees it, in turn; the last one stays. */
function serve(worlds: readonly World[]): { reads: () => number } {
  let reads = 0;
  const current = () => worlds[Math.min(reads, worlds.length) - 1]!;
  sfn.on(DescribeExecutionCommand, { executionArn: ARN }).callsFake(async () => {
    reads += 1;
    return { executionArn: ARN, stateMachineArn: STATE_MACHINE_ARN, name: NAME, startDate: T0, ...current().describe };
  });
  sfn.on(GetExecutionHistoryCommand, { executionArn: ARN }).callsFake(async () => ({ events: current().history }));
  return { reads: () => reads };
}

/** A virtual clock the loop's sleeps advance. */
function ports(startSeconds: number): WatchPorts & { slept: number[] } {
  let nowMs = T0.getTime() + startSeconds * 1000;
  const slept: number[] = [];
  return {
    read: readRolloutStory,
    readTarget: readTargetNow,
    now: () => new Date(nowMs),
    sleep: async (ms) => {
      slept.push(ms);
      nowMs += ms;
    },
    slept,
  };
}

function pipeIo(): CliIo & { lines: string[] } {
  const lines: string[] = [];
  return { lines, out: (line) => void lines.push(line), err: (line) => void lines.push(`ERR ${line}`), readStdin: async () => null };
}

const history = () => new RolloutHistory(rollout, T0);

beforeEach(() => resetAws());

describe('coalmine watch on a pipe', () => {
  it('prints one line per change and exits 0 when promoted', async () => {
    const served = serve([
      { history: history().shift(0, 10).snapshot(), describe: { status: 'RUNNING' } },
      { history: history().shift(0, 10).analyse(311, PASS_1).shift(1, 320).snapshot(), describe: { status: 'RUNNING' } },
      { history: history().shift(0, 10).analyse(311, PASS_1).shift(1, 320).snapshot(), describe: { status: 'RUNNING' } },
      {
        history: history().shift(0, 10).analyse(311, PASS_1).shift(1, 320).analyse(621, PASS_2).enter('TaskStateEntered', 'Promote', 625).enter('SucceedStateEntered', 'RolloutPromoted', 627).close('ExecutionSucceeded', 627).snapshot(),
        describe: { status: 'SUCCEEDED', stopDate: new Date(T0.getTime() + 627_000) },
      },
    ]);
    const io = pipeIo();
    const clock = ports(60);
    const code = await followRollout({ executionArn: ARN, executionName: NAME }, io, { intervalMs: 200_000, json: false }, clock);
    expect(code).toBe(0);
    expect(io.lines).toEqual([
      '10:01:00Z checkout:live: step 1 of 2 at 10 % canary, Bake; last verdict: none yet; next analysis at 10:05:11Z',
      `10:04:20Z checkout:live: step 2 of 2 at 50 % canary, Bake; last verdict: pass → advance: ${PASS_1.reason}; next analysis at 10:10:21Z`,
      `10:11:00Z checkout:live: step 2 of 2 at 50 % canary, RolloutPromoted; last verdict: pass → promote: ${PASS_2.reason}; ended: promoted: all traffic on the new version`,
    ]);
    expect(served.reads()).toBe(4);
    expect(clock.slept).toEqual([200_000, 200_000, 200_000]);
    expect(sfn).toHaveReceivedCommandWith(DescribeExecutionCommand, { executionArn: ARN });
    expect(sfn).toHaveReceivedCommandWith(GetExecutionHistoryCommand, { executionArn: ARN, reverseOrder: false, includeExecutionData: true, maxResults: 1000 });
    expect(writes()).toEqual([]);
  });

  const endings: ReadonlyArray<readonly [string, World['describe'], (h: RolloutHistory) => RolloutHistory, number]> = [
    ['rolled back by the state machine', { status: 'FAILED', error: 'CanaryAnalysisFailed' }, (h) => h.shift(0, 10).enter('FailStateEntered', 'RolledBack', 400).close('ExecutionFailed', 400), 3],
    ['rolled back by a person', { status: 'ABORTED', error: 'ManualRollback', cause: 'Rollback requested from the coalmine CLI by bob.' }, (h) => h.shift(0, 10).close('ExecutionAborted', 100), 3],
    ['refused by Preflight', { status: 'FAILED', error: 'PreflightFailed' }, (h) => h.enter('FailStateEntered', 'RolloutRefused', 5).close('ExecutionFailed', 5), 4],
    ['a failed rollback', { status: 'FAILED', error: 'RollbackFailed' }, (h) => h.shift(0, 10).enter('FailStateEntered', 'RollbackFailed', 900).close('ExecutionFailed', 900), 5],
    ['stopped in the console', { status: 'ABORTED' }, (h) => h.shift(0, 10).close('ExecutionAborted', 100), 5],
  ];
  it.each(endings)('exits non-zero, distinctly, when %s', async (_, describe, build, code) => {
    serve([{ history: build(history()).snapshot(), describe }]);
    const io = pipeIo();
    expect(await followRollout({ executionArn: ARN, executionName: NAME }, io, { intervalMs: 1000, json: false }, ports(1000))).toBe(code);
    expect(io.lines).toHaveLength(1);
  });

  it("a person's promote counts once the target reads 100 %; short of it after the grace it fails", async () => {
    serve([{ history: history().shift(0, 10).close('ExecutionAborted', 100).snapshot(), describe: { status: 'ABORTED', error: 'ManualPromote' } }]);
    let version = '41';
    lambda.on(GetAliasCommand, { FunctionName: 'checkout', Name: 'live' }).callsFake(async () => ({ Name: 'live', FunctionVersion: version, RoutingConfig: { AdditionalVersionWeights: version === '41' ? { 42: 0.1 } : {} }, RevisionId: 'r' }));
    const clock = ports(100);
    const io = pipeIo();
    const promoted = followRollout({ executionArn: ARN, executionName: NAME }, io, { intervalMs: 30_000, json: false }, {
      ...clock,
      sleep: async (ms) => {
        await clock.sleep(ms);
        if (clock.slept.length === 2) version = '42';
      },
    });
    expect(await promoted).toBe(0);
    expect(io.lines.at(-1)).toMatch(/ended: promoted: all traffic on the new version \(ManualPromote\)$/);
    expect(lambda).toHaveReceivedCommandWith(GetAliasCommand, { FunctionName: 'checkout', Name: 'live' });

    version = '41';
    expect(await followRollout({ executionArn: ARN, executionName: NAME }, pipeIo(), { intervalMs: 30_000, json: false }, ports(100))).toBe(5);
  });

  it('with --json prints one status object per change', async () => {
    serve([{ history: history().shift(0, 10).snapshot(), describe: { status: 'ABORTED', error: 'AlarmRollback' } }]);
    const io = pipeIo();
    await followRollout({ executionArn: ARN, executionName: NAME }, io, { intervalMs: 1000, json: true }, ports(100));
    expect(JSON.parse(io.lines[0]!)).toMatchObject({ executionName: NAME, status: 'ABORTED', ended: { outcome: 'rolled-back', error: 'AlarmRollback' }, now: { step: 1, weight: 10 } });
  });
});

describe('coalmine watch on a terminal', () => {
  it('redraws the frame in place every second and reads at the interval', async () => {
    serve([
      { history: history().shift(0, 10).snapshot(), describe: { status: 'RUNNING' } },
      { history: history().shift(0, 10).snapshot(), describe: { status: 'ABORTED', error: 'ManualRollback' } },
    ]);
    const writes: string[] = [];
    const io: CliIo = { ...pipeIo(), terminal: { columns: 120, write: (text) => void writes.push(text) } };
    const code = await followRollout({ executionArn: ARN, executionName: NAME }, io, { intervalMs: 3000, json: false }, ports(60));
    expect(code).toBe(3);
    expect(writes).toHaveLength(4);
    expect(writes[0]).not.toContain('\x1b[');
    for (const redraw of writes.slice(1)) expect(redraw.startsWith('\x1b[5F\x1b[J')).toBe(true);
    expect(writes[0]).toContain('next analysis in 4 min 11 s (10:05:11Z)');
    expect(writes[1]).toContain('next analysis in 4 min 10 s (10:05:11Z)');
    expect(writes[3]).toContain('ended: rolled back: all traffic on the baseline');
    expect(sfn).toHaveReceivedCommandTimes(DescribeExecutionCommand, 2);
  });
});

describe('coalmine watch, the command', () => {
  beforeEach(() => {
    process.env.COALMINE_STATE_MACHINE_ARN = STATE_MACHINE_ARN;
    sfn.on(ListExecutionsCommand).resolves({ executions: [] });
  });
  afterAll(() => {
    delete process.env.COALMINE_STATE_MACHINE_ARN;
  });

  it('follows an ended execution named by its name and exits with its outcome', async () => {
    serve([{ history: history().shift(0, 10).close('ExecutionAborted', 100).snapshot(), describe: { status: 'ABORTED', error: 'ManualRollback' } }]);
    const run = await coalmine(['watch', NAME]);
    expect(run.code).toBe(3);
    expect(run.stdout).toEqual([expect.stringMatching(/^\d\d:\d\d:\d\dZ checkout:live: step 1 of 2 at 10 % canary, Bake; .*ended: rolled back/)]);
  });

  it('says which rollouts run when the name matches none, and refuses a bad interval before any AWS call', async () => {
    sfn.on(DescribeExecutionCommand).rejects(Object.assign(new Error('no such execution'), { name: 'ExecutionDoesNotExist' }));
    expect(await coalmine(['watch', 'cart'])).toMatchObject({ code: 1, stderr: ['coalmine watch: no rollout is running, so none is "cart".'] });
    sfn.resetHistory();
    const bad = await coalmine(['watch', 'cart', '--interval', 'soon']);
    expect(bad).toMatchObject({ code: 2, stderr: [expect.stringMatching(/--interval "soon": give the seconds between reads/), expect.any(String)] });
    expect(sfn.calls()).toHaveLength(0);
  });
});
