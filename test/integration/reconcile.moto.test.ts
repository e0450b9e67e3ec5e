/**
 * The reconciler against moto_server over HTTP: a rollout execution stopped (as from the console) with
 * its alias left at 30 %; the stranded-target finder and the sweep see it through DescribeExecution and
 * ListExecutions, and the reconciler returns the alias to its baseline with UpdateAlias.
 */
import { GetAliasCommand, UpdateAliasCommand } from '@aws-sdk/client-lambda';
import { CreateStateMachineCommand, SFNClient, StartExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { useAwsClients } from '../../shared/aws/clients';
import { reconcileExecutionArn } from '../../shared/reconcile/reconciler';
import { describeExecution, findStrandedTarget, sweepStrandedTargets } from '../../shared/reconcile/stranded';
import { MOTO_ACCOUNT, createAliasedFunction, describeWithMoto } from './moto';

const FUNCTION = 'checkout';
const REQUEST = { name: 'checkout', target: { type: 'lambda-alias', functionName: FUNCTION, alias: 'live', version: '2' }, strategy: { preset: 'canary10-5m' }, analysis: { alarms: ['checkout-errors'] } };

describeWithMoto('the reconciler against moto_server', (server) => {
  let restore: () => void = () => undefined;
  let sfn: SFNClient;
  let machine = '';

  beforeAll(async () => {
    sfn = new SFNClient(server().clientConfig);
    restore = useAwsClients({ ...server().clients, sfn });
    await server().reset();
    await createAliasedFunction(server(), { functionName: FUNCTION, versions: 3, alias: 'live', aliasVersion: '1' });
    const created = await sfn.send(
      new CreateStateMachineCommand({
        name: 'coalmine-moto-canary',
        definition: JSON.stringify({ StartAt: 'Bake', States: { Bake: { Type: 'Wait', Seconds: 3600, End: true } } }),
        roleArn: `arn:aws:iam::${MOTO_ACCOUNT}:role/sfn`,
      }),
    );
    machine = created.stateMachineArn!;
  });

  afterAll(() => restore());

  it('finds the stopped execution\'s alias at 30 %, sweeps it up, and returns it to version 1', async () => {
    const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: machine, name: 'checkout-2-console', input: JSON.stringify(REQUEST) }));
    await server().clients.lambda.send(new UpdateAliasCommand({ FunctionName: FUNCTION, Name: 'live', FunctionVersion: '1', RoutingConfig: { AdditionalVersionWeights: { '2': 0.3 } } }));
    await sfn.send(new StopExecutionCommand({ executionArn: executionArn! }));

    const ended = await describeExecution(executionArn!);
    expect(ended).toMatchObject({ name: 'checkout-2-console', status: 'ABORTED' });
    expect(await findStrandedTarget(ended)).toMatchObject({ targetName: 'checkout:live', reading: { state: { kind: 'split', weight: 30 }, baseline: { version: '1' } } });
    const swept = await sweepStrandedTargets(machine, new Date(Date.now() - 3_600_000));
    expect(swept.map((s) => s.execution.name)).toEqual(['checkout-2-console']);

    const result = await reconcileExecutionArn(executionArn!, { stateMachineArn: machine, trigger: 'test' });
    expect(result).toMatchObject({ outcome: 'rolled-back', reason: expect.stringMatching(/stopped from outside/) });
    const alias = await server().clients.lambda.send(new GetAliasCommand({ FunctionName: FUNCTION, Name: 'live' }));
    expect({ version: alias.FunctionVersion, weights: alias.RoutingConfig?.AdditionalVersionWeights ?? {} }).toEqual({ version: '1', weights: {} });

    // Again (a duplicate delivery): safe, nothing changes.
    expect(await reconcileExecutionArn(executionArn!, { stateMachineArn: machine, trigger: 'test' })).toMatchObject({ outcome: 'unchanged', reason: expect.stringMatching(/already safe/) });
  });
});
