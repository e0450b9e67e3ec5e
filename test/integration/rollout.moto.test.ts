/**
 * The shipped state machine (statemachines/canary.asl.yaml) executed locally with its real task
 * handlers, which talk to moto_server over HTTP: the whole rollout, end to end, minus AWS itself.
 * Waits take 0 ms; alarms are moved with SetAlarmState from a hook that runs before a task.
 */
import { CloudWatchClient, PutMetricAlarmCommand, SetAlarmStateCommand, type StateValue } from '@aws-sdk/client-cloudwatch';
import { CreateEventBusCommand } from '@aws-sdk/client-eventbridge';
import { CreateAliasCommand, DeleteAliasCommand, GetAliasCommand, UpdateAliasCommand } from '@aws-sdk/client-lambda';
import { ExecutionError } from 'aws-local-stepfunctions';
import { useAwsClients } from '../../shared/aws/clients';
import { loadLocalMachine, runLocally, type LocalMachine, type LocalRunOptions } from '../../sim/local-execution';
import { createAliasedFunction, describeWithMoto, type MotoServer } from './moto';

const FUNCTION = 'checkout';
const ERRORS = 'checkout-errors';
const LATENCY = 'checkout-p99-latency';

const request = (strategy: object = { preset: 'canary10-5m' }) => ({
  target: { type: 'lambda-alias', functionName: FUNCTION, alias: 'live', version: '2' },
  strategy,
  // moto's function serves no traffic: alarms alone decide (the minimum sample is tested in test/unit/minimum-sample.test.ts).
  analysis: { alarms: [ERRORS, LATENCY], minCanaryRequests: 0 },
});

interface Outcome {
  readonly status: 'SUCCEEDED' | 'FAILED';
  readonly error?: string;
  readonly cause?: string;
  readonly statesEntered: string[];
}

async function execute(local: LocalMachine, input: unknown, options: Pick<LocalRunOptions, 'executionName' | 'beforeTask'>): Promise<Outcome> {
  const execution = runLocally(local, input, { ...options, waitMilliseconds: 0, retryMilliseconds: 0 });
  const statesEntered: string[] = [];
  const collect = (async () => {
    for await (const event of execution.eventLogs) {
      if (event.type === 'StateEntered') statesEntered.push(event.state.name);
    }
  })();
  try {
    await execution.result;
    await collect;
    return { status: 'SUCCEEDED', statesEntered };
  } catch (error) {
    await collect;
    if (!(error instanceof ExecutionError)) throw error;
    // The emulator wraps the Fail state's error: its name is the execution's Error, its message the Cause.
    const failure = error.cause as Error;
    return { status: 'FAILED', error: failure.name, cause: failure.message, statesEntered };
  }
}

async function aliasRouting(server: MotoServer): Promise<{ version: string | undefined; weights: Record<string, number> }> {
  const alias = await server.clients.lambda.send(new GetAliasCommand({ FunctionName: FUNCTION, Name: 'live' }));
  return { version: alias.FunctionVersion, weights: alias.RoutingConfig?.AdditionalVersionWeights ?? {} };
}

async function setAlarm(cloudwatch: CloudWatchClient, name: string, state: StateValue, reason: string): Promise<void> {
  await cloudwatch.send(new SetAlarmStateCommand({ AlarmName: name, StateValue: state, StateReason: reason }));
}

describeWithMoto('canary rollout state machine against moto_server', (server) => {
  let local: LocalMachine;
  let restore: () => void = () => undefined;
  let executions = 0;
  const run = (input: unknown, beforeTask?: LocalRunOptions['beforeTask']) =>
    execute(local, input, { executionName: `moto-rollout-${(executions += 1)}`, beforeTask });

  beforeAll(async () => {
    restore = useAwsClients(server().clients);
    local = loadLocalMachine();
    await server().reset();
    await createAliasedFunction(server(), { functionName: FUNCTION, versions: 3, alias: 'live', aliasVersion: '1' });
    // Where lifecycle announcements go when the state machine sends them; harmless otherwise.
    await server().clients.eventbridge.send(new CreateEventBusCommand({ Name: 'coalmine' }));
    for (const name of [ERRORS, LATENCY]) {
      await server().clients.cloudwatch.send(
        new PutMetricAlarmCommand({
          AlarmName: name,
          Namespace: 'AWS/Lambda',
          MetricName: name === ERRORS ? 'Errors' : 'Duration',
          Dimensions: [{ Name: 'FunctionName', Value: FUNCTION }, { Name: 'Resource', Value: `${FUNCTION}:live` }],
          Statistic: 'Maximum',
          Period: 60,
          EvaluationPeriods: 1,
          Threshold: name === ERRORS ? 5 : 800,
          ComparisonOperator: 'GreaterThanThreshold',
        }),
      );
    }
  });
  afterAll(() => restore());

  beforeEach(async () => {
    const { lambda, cloudwatch } = server().clients;
    await lambda.send(new DeleteAliasCommand({ FunctionName: FUNCTION, Name: 'live' }));
    await lambda.send(new CreateAliasCommand({ FunctionName: FUNCTION, Name: 'live', FunctionVersion: '1' }));
    // Set explicitly: moto starts alarms in OK, AWS in INSUFFICIENT_DATA.
    for (const name of [ERRORS, LATENCY]) await setAlarm(cloudwatch, name, 'OK', 'Threshold Crossed: healthy');
  });

  it('canary10-5m promotes: 10 % on version 2 while baking, then the alias is on version 2 with no weights', async () => {
    const duringBake: unknown[] = [];
    const outcome = await run(request(), async (state) => {
      if (state === 'AnalyzeCanary') duringBake.push(await aliasRouting(server()));
    });

    expect(outcome).toMatchObject({ status: 'SUCCEEDED' });
    expect(outcome.statesEntered).toEqual(expect.arrayContaining(['Preflight', 'ShiftTraffic', 'VerifyTraffic', 'Bake', 'AnalyzeCanary', 'Promote']));
    expect(outcome.statesEntered).not.toContain('RollBack');
    // A look a minute through the 5-minute bake, every one at 10 %.
    expect(duringBake).toEqual(Array.from({ length: 5 }, () => ({ version: '1', weights: { '2': 0.1 } })));
    expect(await aliasRouting(server())).toEqual({ version: '2', weights: {} });
  });

  it('explicit weights 10 → 50 → 100 move the alias step by step, then promote', async () => {
    const duringBake: unknown[] = [];
    const outcome = await run(request({ weights: [10, 50, 100], bakeSeconds: 60 }), async (state) => {
      if (state === 'AnalyzeCanary') duringBake.push(await aliasRouting(server()));
    });

    expect(outcome.status).toBe('SUCCEEDED');
    expect(duringBake).toEqual([
      { version: '1', weights: { '2': 0.1 } },
      { version: '1', weights: { '2': 0.5 } },
    ]);
    expect(await aliasRouting(server())).toEqual({ version: '2', weights: {} });
  });

  it('an alarm going to ALARM mid-bake fails the execution with CanaryAnalysisFailed and rolls back to version 1', async () => {
    const reason = 'Threshold Crossed: 1 datapoint [9.0] was greater than the threshold (5.0).';
    const outcome = await run(request(), async (state) => {
      if (state === 'AnalyzeCanary') await setAlarm(server().clients.cloudwatch, ERRORS, 'ALARM', reason);
    });

    expect(outcome).toMatchObject({ status: 'FAILED', error: 'CanaryAnalysisFailed' });
    expect(outcome.cause).toContain(`${ERRORS} (ALARM: ${reason})`);
    expect(outcome.cause).toContain('Rolled back');
    expect(outcome.statesEntered).toContain('RollBack');
    expect(outcome.statesEntered).not.toContain('Promote');
    expect(await aliasRouting(server())).toEqual({ version: '1', weights: {} });
  });

  it('an alarm already in ALARM refuses the start with AlarmAlreadyFiring and moves no traffic', async () => {
    await setAlarm(server().clients.cloudwatch, LATENCY, 'ALARM', 'Threshold Crossed: p99 1200 ms');
    const outcome = await run(request());

    expect(outcome).toMatchObject({ status: 'FAILED', error: 'AlarmAlreadyFiring' });
    expect(outcome.cause).toContain('p99 1200 ms');
    expect(outcome.statesEntered).not.toContain('ShiftTraffic');
    expect(outcome.statesEntered).not.toContain('RollBack');
    const alias = await server().clients.lambda.send(new GetAliasCommand({ FunctionName: FUNCTION, Name: 'live' }));
    // Never written: moto still shows no RoutingConfig at all.
    expect(alias.FunctionVersion).toBe('1');
    expect(alias.RoutingConfig).toBeUndefined();
  });

  it('a person rolling the alias back mid-bake wins: the next shift stops with TrafficConflict, the alias stays on version 1', async () => {
    let rolledBackByHand = false;
    const outcome = await run(request({ weights: [10, 50, 100], bakeSeconds: 60 }), async (state) => {
      if (state === 'AnalyzeCanary' && !rolledBackByHand) {
        rolledBackByHand = true;
        await server().clients.lambda.send(
          new UpdateAliasCommand({ FunctionName: FUNCTION, Name: 'live', FunctionVersion: '1', RoutingConfig: { AdditionalVersionWeights: {} } }),
        );
      }
    });

    expect(outcome).toMatchObject({ status: 'FAILED', error: 'TrafficConflict' });
    expect(outcome.cause).toContain('the canary carries 0 %, not the 10 %');
    expect(outcome.statesEntered).not.toContain('Promote');
    expect(await aliasRouting(server())).toEqual({ version: '1', weights: {} });
  });
});
