/**
 * The operator commands against moto_server over HTTP, with the default credential chain and
 * AWS_ENDPOINT_URL as an operator's shell would set them: start, list, status and rollback on Step
 * Functions executions. moto does not run our Preflight, so these histories (moto's canned one) hold no
 * planned rollout: what the commands see is a rollout before Preflight finished. A second server runs its
 * state machine for real (`execute_state_machine`, which fails a second running execution, hence its own
 * server) to seed what Preflight and ShiftTraffic leave: a Task that passes the planned rollout through (an
 * EventBridge PutEvents, which moto runs), the Pass and Wait states after it, and the alias weighted by
 * UpdateAlias as ShiftTraffic weights it. (rollback and
 * promote are proven with aws-sdk-client-mock in test/cli/operator.test.ts: moto ignores reverseOrder in
 * GetExecutionHistory, which they read the end of the history with.) `watch` and `start --watch` run as
 * processes, under a pseudo-terminal (util-linux `script`) and on a pipe, until a StopExecution ends the
 * execution they follow.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateStateMachineCommand, GetExecutionHistoryCommand, SFNClient, StartExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { coalmine } from '../cli/support';
import { UpdateAliasCommand } from '@aws-sdk/client-lambda';
import { useAwsClients } from '../../shared/aws/clients';
import { parseRolloutRequest } from '../../shared/config/request';
import { planRollout } from '../../shared/plan';
import { MOTO_ACCOUNT, createAliasedFunction, describeWithMoto, pointTheCliAt } from './moto';
import { describeNeeding } from './required-programs';

const REQUEST = { name: 'checkout', target: { type: 'lambda-alias', functionName: 'checkout', alias: 'live', version: '2' }, strategy: { preset: 'canary10-5m' }, analysis: { alarms: ['checkout-errors'] } };
const BIN = join(__dirname, '../../bin/coalmine.cjs');

describeWithMoto('the coalmine operator commands against moto_server', (server) => {
  let restoreEnv = (): void => undefined;
  let sfn: SFNClient;
  let file = '';

  beforeAll(async () => {
    await server().reset();
    restoreEnv = pointTheCliAt(server().endpoint);
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
    restoreEnv();
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

  /** The command as a process: its output so far, a promise of its exit, and a wait for some output. */
  function run(command: string, args: readonly string[], env: NodeJS.ProcessEnv) {
    const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let errors = '';
    const waiters: Array<{ test: (o: string) => boolean; resolve: () => void }> = [];
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
      for (const waiter of waiters.filter((w) => w.test(output))) waiter.resolve();
    });
    child.stderr.on('data', (chunk: Buffer) => void (errors += chunk.toString('utf8')));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    return {
      output: () => output,
      errors: () => errors,
      exited,
      waitFor: (test: (o: string) => boolean) => new Promise<void>((resolve) => (test(output) ? resolve() : waiters.push({ test, resolve }))),
    };
  }

  const startRunning = async (name: string) =>
    sfn.send(new StartExecutionCommand({ stateMachineArn: process.env.COALMINE_STATE_MACHINE_ARN!, name, input: JSON.stringify(REQUEST) }));

  // util-linux `script` (Debian's bsdutils, an essential package) gives the watch a pseudo-terminal.
  describeNeeding('under a pseudo-terminal', ['script'], 'install util-linux (Debian: bsdutils) for `script`', () => {
    it('watch under a pseudo-terminal redraws in place, and exits 5 when the execution is stopped from outside', async () => {
      const { executionArn } = await startRunning('watch-tty');
      const node = `"${process.execPath}" "${BIN}" watch watch-tty --interval 0.2`;
      const watching = run('script', ['--quiet', '--return', '--command', node, '/dev/null'], { COLUMNS: '100', TERM: 'xterm' });
      // Two frames: the first, and a redraw over it (the cursor moved up over its five lines, cleared below).
      await watching.waitFor((o) => o.includes('\x1b[5F\x1b[J'));
      await sfn.send(new StopExecutionCommand({ executionArn: executionArn!, error: 'ConsoleStop', cause: 'stopped by hand' }));
      expect(await watching.exited).toBe(5);
      const frames = watching.output().split('\x1b[5F\x1b[J');
      expect(frames.length).toBeGreaterThanOrEqual(3);
      expect(frames[0]).toMatch(/^watch-tty \(target not yet planned\), execution watch-tty\r\n\[/);
      expect(frames.at(-1)).toContain('ended: stopped from outside');
      expect(watching.errors()).toBe('');
    });
  });

  it('start --watch on a pipe prints one line per change and exits with the outcome', async () => {
    const watching = run(process.execPath, [BIN, 'start', '--request', file, '--name', 'watch-pipe', '--watch', '--interval', '0.2'], {});
    await watching.waitFor((o) => o.split('\n').length >= 3);
    const executionArn = `${process.env.COALMINE_STATE_MACHINE_ARN!.replace(':stateMachine:', ':execution:')}:watch-pipe`;
    await sfn.send(new StopExecutionCommand({ executionArn }));
    expect(await watching.exited).toBe(5);
    const lines = watching.output().trimEnd().split('\n');
    expect(lines).toEqual([
      `Started checkout:live as execution watch-pipe (${executionArn}).`,
      expect.stringMatching(/^\d\d:\d\d:\d\dZ watch-pipe: A State; last verdict: none yet$/),
      expect.stringMatching(/^\d\d:\d\d:\d\dZ watch-pipe: A State; last verdict: none yet; ended: stopped from outside/),
    ]);
    expect(lines.join('\n')).not.toContain('\x1b[');
    expect(watching.errors()).toBe('');
  });
});

describeWithMoto('coalmine status against a history moto records for real', (server) => {
  let restoreEnv = (): void => undefined;
  let sfn: SFNClient;
  let restoreClients = () => undefined as void;

  beforeAll(async () => {
    await server().reset();
    await server().configure({ stepfunctions: { execute_state_machine: true } });
    restoreEnv = pointTheCliAt(server().endpoint);
    sfn = new SFNClient(server().clientConfig);
    // The commands' clients were made for the first server of this file: these reach this one.
    restoreClients = useAwsClients({ sfn, lambda: server().clients.lambda });
  });

  afterAll(() => {
    restoreClients();
    restoreEnv();
  });

  it('status tells a planned rollout from its real history, with the weight the Lambda alias reads now', async () => {
    await createAliasedFunction(server(), { functionName: 'checkout', versions: 2, alias: 'live', aliasVersion: '1' });
    // What ShiftTraffic writes at step 1 of canary10-5m.
    await server().clients.lambda.send(new UpdateAliasCommand({ FunctionName: 'checkout', Name: 'live', FunctionVersion: '1', RoutingConfig: { AdditionalVersionWeights: { 2: 0.1 } } }));
    const request = parseRolloutRequest(REQUEST);
    const rollout = { name: 'checkout', request, plan: planRollout(request, { observable: true }), baseline: { version: '1' }, executionName: 'seeded-1', startedAt: new Date().toISOString() };
    const shifted = { stepIndex: 0, extraBakes: 0, weight: 10, bakeSeconds: 300, shiftedAt: rollout.startedAt, shifts: [{ weight: 10, at: rollout.startedAt }] };
    const seeded = await sfn.send(
      new CreateStateMachineCommand({
        name: 'coalmine-moto-seeded',
        roleArn: `arn:aws:iam::${MOTO_ACCOUNT}:role/sfn`,
        definition: JSON.stringify({
          StartAt: 'Preflight',
          States: {
            Preflight: { Type: 'Task', Resource: 'arn:aws:states:::events:putEvents', Parameters: { Entries: [{ Source: 'coalmine.seed', DetailType: 'Seeded', Detail: {} }] }, ResultPath: null, Next: 'ShiftTraffic' },
            ShiftTraffic: { Type: 'Pass', Result: shifted, ResultPath: '$.progress', Next: 'Bake' },
            Bake: { Type: 'Wait', SecondsPath: '$.progress.bakeSeconds', End: true },
          },
        }),
      }),
    );
    await sfn.send(new StartExecutionCommand({ stateMachineArn: seeded.stateMachineArn!, name: 'seeded-1', input: JSON.stringify({ rollout, progress: { ...shifted, weight: 0, shiftedAt: null, shifts: [] } }) }));
    // moto runs the execution on its own thread: wait until it reached the Bake.
    const executionArn = `${seeded.stateMachineArn!.replace(':stateMachine:', ':execution:')}:seeded-1`;
    const reachedBake = async () => ((await sfn.send(new GetExecutionHistoryCommand({ executionArn }))).events ?? []).some((e) => e.type === 'WaitStateEntered');
    while (!(await reachedBake())) await new Promise((resolve) => setTimeout(resolve, 50));
    const run = await coalmine(['status', 'checkout:live', '--state-machine', seeded.stateMachineArn!]);
    expect(run).toMatchObject({ code: 0, stderr: [] });
    expect(run.stdout).toEqual([
      expect.stringMatching(/^checkout \(checkout:live\), execution seeded-1, started \S+Z, RUNNING$/),
      '  plan: 10 % for 5 min → 100 % (nominal 5 min)',
      '  analyses: none yet',
      expect.stringMatching(/^ {2}now: Bake since \S+Z, step 1 of 1 at 10 % canary; the target reads 10 % now$/),
      expect.stringMatching(/^ {2}next: analysis of step 1 at 10 % in (5 min|4 min \d+ s) \(\d\d:\d\d:\d\dZ\)$/),
    ]);
  });
});
