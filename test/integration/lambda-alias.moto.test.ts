/**
 * The Lambda alias router over the real Lambda wire protocol, against moto_server: a function with
 * published versions 1..3 and an alias `live` on version 1, as a team has it before a rollout.
 *
 * moto diverges from AWS here (moto 5.2.1), and these tests assert what moto does where it matters:
 * - UpdateAlias ignores RevisionId, and an alias keeps one RevisionId for life. AWS rejects a stale
 *   RevisionId with PreconditionFailedException (which the router turns into TrafficWriteConflict); moto
 *   lets the last writer win. The router's own ownership check (TrafficConflict) still works, as it reads.
 * - An alias made without routing has no RoutingConfig; after UpdateAlias with empty weights moto
 *   returns `RoutingConfig: {AdditionalVersionWeights: {}}`. The router treats both as "no routing".
 * - UpdateAlias accepts a weight on a version that does not exist.
 */
import {
  CreateAliasCommand,
  DeleteAliasCommand,
  GetAliasCommand,
  LambdaClient,
  UpdateAliasCommand,
  type AliasConfiguration,
} from '@aws-sdk/client-lambda';
import { useAwsClients } from '../../shared/aws/clients';
import type { LambdaAliasTarget } from '../../shared/config/targets';
import { lambdaAliasKind, LambdaAliasRouter } from '../../shared/routers/lambda-alias';
import { MOTO_ACCOUNT, createAliasedFunction, describeWithMoto, type MotoServer } from './moto';

const FUNCTION = 'checkout';
const target: LambdaAliasTarget = { type: 'lambda-alias', functionName: FUNCTION, alias: 'live', version: '2' };
const baseline = { version: '1' };

async function readAlias(server: MotoServer): Promise<AliasConfiguration> {
  return server.clients.lambda.send(new GetAliasCommand({ FunctionName: FUNCTION, Name: 'live' }));
}

/** What a user of the alias sees: the version and the extra weights, absent and empty routing alike. */
async function aliasRouting(server: MotoServer): Promise<{ version: string | undefined; weights: Record<string, number> }> {
  const alias = await readAlias(server);
  return { version: alias.FunctionVersion, weights: alias.RoutingConfig?.AdditionalVersionWeights ?? {} };
}

/** Another operator (or tool) moving the alias outside the rollout. */
async function changeAliasBehindTheRouter(server: MotoServer, functionVersion: string, weights: Record<string, number> = {}): Promise<void> {
  await server.clients.lambda.send(
    new UpdateAliasCommand({ FunctionName: FUNCTION, Name: 'live', FunctionVersion: functionVersion, RoutingConfig: { AdditionalVersionWeights: weights } }),
  );
}

/** Counts the commands a client sends, by name (e.g. "UpdateAliasCommand"). */
function countCommands(client: LambdaClient): Map<string, number> {
  const counts = new Map<string, number>();
  client.middlewareStack.add(
    (next, context) => async (args) => {
      counts.set(context.commandName ?? '?', (counts.get(context.commandName ?? '?') ?? 0) + 1);
      return next(args);
    },
    { step: 'initialize', name: 'countCommands' },
  );
  return counts;
}

describeWithMoto('Lambda alias router against moto_server', (server) => {
  beforeAll(async () => {
    await server().reset();
    await createAliasedFunction(server(), { functionName: FUNCTION, versions: 3, alias: 'live', aliasVersion: '1' });
  });
  // A fresh alias per test (the function and its versions stay): a tenth of the cost of a new function.
  beforeEach(async () => {
    const { lambda } = server().clients;
    await lambda.send(new DeleteAliasCommand({ FunctionName: FUNCTION, Name: 'live' }));
    await lambda.send(new CreateAliasCommand({ FunctionName: FUNCTION, Name: 'live', FunctionVersion: '1' }));
  });

  describe('with the moto clients installed', () => {
    let restore: () => void = () => undefined;
    beforeAll(() => {
      restore = useAwsClients(server().clients);
    });
    afterAll(() => restore());

    const router = () => new LambdaAliasRouter(target, baseline);

    it('the fixture is what a team has before a rollout: live on version 1 with no routing', async () => {
      const alias = await readAlias(server());
      expect(alias.FunctionVersion).toBe('1');
      // moto omits RoutingConfig for an alias created without one.
      expect(alias.RoutingConfig).toBeUndefined();
    });

    describe('preflight', () => {
      it('returns the alias version as the baseline', async () => {
        await expect(lambdaAliasKind.preflight(target)).resolves.toEqual({ version: '1' });
      });

      it('refuses an alias that is mid-rollout with RolloutInProgress, naming the weight', async () => {
        await changeAliasBehindTheRouter(server(), '1', { '3': 0.2 });
        const refusal = lambdaAliasKind.preflight(target);
        await expect(refusal).rejects.toMatchObject({ name: 'RolloutInProgress' });
        await expect(refusal).rejects.toThrow('20 % to version 3');
      });

      it('refuses a version that was never published with PreflightFailed', async () => {
        await expect(lambdaAliasKind.preflight({ ...target, version: '9' })).rejects.toMatchObject({
          name: 'PreflightFailed',
          message: expect.stringContaining('Version 9 of Lambda function checkout does not exist'),
        });
      });

      it('refuses a missing alias with PreflightFailed', async () => {
        await expect(lambdaAliasKind.preflight({ ...target, alias: 'canary' })).rejects.toMatchObject({
          name: 'PreflightFailed',
          message: expect.stringContaining('Alias checkout:canary does not exist'),
        });
      });

      it('refuses an alias already on the new version with PreflightFailed', async () => {
        await changeAliasBehindTheRouter(server(), '2');
        await expect(lambdaAliasKind.preflight(target)).rejects.toMatchObject({
          name: 'PreflightFailed',
          message: expect.stringContaining('already points at version 2'),
        });
      });

      it('changes nothing', async () => {
        const before = await readAlias(server());
        await lambdaAliasKind.preflight(target);
        expect(await readAlias(server())).toEqual({ ...before, $metadata: expect.anything() });
      });
    });

    it('a function named by its ARN works the same', async () => {
      const byArn: LambdaAliasTarget = { ...target, functionName: `arn:aws:lambda:us-east-1:${MOTO_ACCOUNT}:function:${FUNCTION}` };
      await expect(lambdaAliasKind.preflight(byArn)).resolves.toEqual({ version: '1' });
      const arnRouter = new LambdaAliasRouter(byArn, baseline);
      await arnRouter.setWeight(10, 0);
      await expect(arnRouter.verifyWeight(10)).resolves.toBe('verified');
      await arnRouter.promote(10);
      expect(await aliasRouting(server())).toEqual({ version: '2', weights: {} });
    });

    describe('setWeight and verifyWeight', () => {
      it('setWeight(10) shows in GetAlias as AdditionalVersionWeights {"2": 0.1} on version 1', async () => {
        await router().setWeight(10, 0);
        const alias = await readAlias(server());
        expect(alias.FunctionVersion).toBe('1');
        expect(alias.RoutingConfig).toEqual({ AdditionalVersionWeights: { '2': 0.1 } });
        await expect(router().getWeight()).resolves.toBe(10);
        await expect(router().verifyWeight(10)).resolves.toBe('verified');
        await expect(router().verifyWeight(20)).resolves.toBe('mismatch');
      });

      it.each([
        [0.5, 0.005],
        [0.29, 0.0029],
        [1.1, 0.011],
        [12.25, 0.1225],
        [50, 0.5],
        [99.99, 0.9999],
      ])('%p %% travels as the fraction %p and reads back exactly', async (percent, fraction) => {
        await router().setWeight(percent, 0);
        expect(await aliasRouting(server())).toEqual({ version: '1', weights: { '2': fraction } });
        await expect(router().verifyWeight(percent)).resolves.toBe('verified');
      });

      it('a repeated setWeight sends no second UpdateAlias', async () => {
        const own = new LambdaClient(server().clientConfig);
        const counts = countCommands(own);
        const restoreOwn = useAwsClients({ lambda: own });
        try {
          await router().setWeight(10, 0);
          await router().setWeight(10, 0);
        } finally {
          restoreOwn();
          own.destroy();
        }
        expect(counts.get('UpdateAliasCommand')).toBe(1);
        expect(await aliasRouting(server())).toEqual({ version: '1', weights: { '2': 0.1 } });
      });

      it('setWeight(0) clears the routing', async () => {
        await router().setWeight(10, 0);
        await router().setWeight(0, 10);
        expect(await aliasRouting(server())).toEqual({ version: '1', weights: {} });
        await expect(router().verifyWeight(0)).resolves.toBe('verified');
      });
    });

    describe('promote', () => {
      it('leaves the alias on version 2 with no routing, and a second promote changes nothing', async () => {
        await router().setWeight(10, 0);
        await router().promote(10);
        // moto keeps the empty map the router sent rather than dropping RoutingConfig.
        const alias = await readAlias(server());
        expect(alias.FunctionVersion).toBe('2');
        expect(alias.RoutingConfig?.AdditionalVersionWeights ?? {}).toEqual({});
        await router().promote(10);
        expect(await aliasRouting(server())).toEqual({ version: '2', weights: {} });
        await expect(router().getWeight()).resolves.toBe(100);
      });
    });

    describe('rollback', () => {
      it('returns to version 1 with no routing and is idempotent', async () => {
        await router().setWeight(10, 0);
        const first = await router().rollback();
        expect(first.changed).toBe(true);
        expect(first.detail).toContain('was 10 % on 2');
        expect(await aliasRouting(server())).toEqual({ version: '1', weights: {} });

        const second = await router().rollback();
        expect(second).toEqual({ changed: false, detail: 'checkout:live already sends all traffic to version 1' });
        expect(await aliasRouting(server())).toEqual({ version: '1', weights: {} });
      });

      it('undoes a promotion too', async () => {
        await router().promote(0);
        await expect(router().rollback()).resolves.toMatchObject({ changed: true });
        expect(await aliasRouting(server())).toEqual({ version: '1', weights: {} });
      });
    });

    describe('a change made outside the rollout', () => {
      it('is left alone: setWeight fails with TrafficConflict, rollback finds nothing of ours to undo', async () => {
        await router().setWeight(10, 0);
        await changeAliasBehindTheRouter(server(), '3');
        await expect(router().setWeight(50, 10)).rejects.toMatchObject({
          name: 'TrafficConflict',
          message: expect.stringContaining('it points at version 3'),
        });
        await expect(router().rollback()).resolves.toEqual({
          changed: false,
          detail: expect.stringContaining('no longer routes to version 2'),
        });
        expect(await aliasRouting(server())).toEqual({ version: '3', weights: {} });
      });

      it('is left alone when the alias moved but still weights our version: rollback fails with TrafficConflict', async () => {
        await router().setWeight(10, 0);
        await changeAliasBehindTheRouter(server(), '3', { '2': 0.1 });
        await expect(router().rollback()).rejects.toMatchObject({ name: 'TrafficConflict' });
        expect(await aliasRouting(server())).toEqual({ version: '3', weights: { '2': 0.1 } });
      });

      it('a rollback by someone else is not undone: the next shift fails with TrafficConflict', async () => {
        await router().setWeight(10, 0);
        await changeAliasBehindTheRouter(server(), '1');
        await expect(router().setWeight(50, 10)).rejects.toMatchObject({
          name: 'TrafficConflict',
          message: expect.stringContaining('the canary carries 0 %, not the 10 %'),
        });
        await expect(router().promote(10)).rejects.toMatchObject({ name: 'TrafficConflict' });
        expect(await aliasRouting(server())).toEqual({ version: '1', weights: {} });
      });

      it('is left alone when somebody else weights another version: promote fails with TrafficConflict', async () => {
        await router().setWeight(10, 0);
        await changeAliasBehindTheRouter(server(), '1', { '3': 0.3 });
        await expect(router().promote(10)).rejects.toMatchObject({ name: 'TrafficConflict' });
        expect(await aliasRouting(server())).toEqual({ version: '1', weights: { '3': 0.3 } });
      });
    });

    describe('RevisionId (moto does not enforce it)', () => {
      it('moto accepts UpdateAlias with a stale RevisionId and never changes the RevisionId', async () => {
        const before = await readAlias(server());
        await changeAliasBehindTheRouter(server(), '1', { '2': 0.1 });
        const after = await readAlias(server());
        // AWS gives every alias write a new RevisionId; moto keeps the first one.
        expect(after.RevisionId).toBe(before.RevisionId);

        // AWS would answer PreconditionFailedException here; moto applies the write.
        await server().clients.lambda.send(
          new UpdateAliasCommand({
            FunctionName: FUNCTION,
            Name: 'live',
            FunctionVersion: '1',
            RoutingConfig: { AdditionalVersionWeights: {} },
            RevisionId: 'a-revision-that-never-existed',
          }),
        );
        expect(await aliasRouting(server())).toEqual({ version: '1', weights: {} });
      });

      it('a change between the router\'s read and its write is overwritten on moto (AWS: TrafficWriteConflict)', async () => {
        // The router's own client runs the other operator's write just before the router's UpdateAlias
        // leaves, i.e. after the router read the alias and its RevisionId.
        const own = new LambdaClient(server().clientConfig);
        let raced = false;
        own.middlewareStack.add(
          (next, context) => async (args) => {
            if (context.commandName === 'UpdateAliasCommand' && !raced) {
              raced = true;
              await changeAliasBehindTheRouter(server(), '3');
            }
            return next(args);
          },
          { step: 'initialize', name: 'raceTheRouter' },
        );
        const restoreOwn = useAwsClients({ lambda: own });
        try {
          // On AWS this rejects with TrafficWriteConflict (stale RevisionId) and the state machine
          // retries, re-reads, and stops with TrafficConflict. moto lets the router's write win.
          await expect(router().setWeight(10, 0)).resolves.toBeUndefined();
        } finally {
          restoreOwn();
          own.destroy();
        }
        expect(raced).toBe(true);
        expect(await aliasRouting(server())).toEqual({ version: '1', weights: { '2': 0.1 } });
      });
    });

    it('moto accepts a weight on a version that does not exist (AWS refuses it)', async () => {
      await changeAliasBehindTheRouter(server(), '1', { '9': 0.1 });
      expect(await aliasRouting(server())).toEqual({ version: '1', weights: { '9': 0.1 } });
    });
  });

  describe('with the default clients', () => {
    const saved: Record<string, string | undefined> = {};
    const env = (): Record<string, string> => ({
      AWS_ENDPOINT_URL: server().endpoint,
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      AWS_REGION: 'us-east-1',
    });
    beforeAll(() => {
      for (const [key, value] of Object.entries(env())) {
        saved[key] = process.env[key];
        process.env[key] = value;
      }
    });
    afterAll(() => {
      for (const [key, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    });

    it('AWS_ENDPOINT_URL alone brings the router to moto (no clients installed)', async () => {
      await expect(lambdaAliasKind.preflight(target)).resolves.toEqual({ version: '1' });
      await new LambdaAliasRouter(target, baseline).setWeight(10, 0);
      expect(await aliasRouting(server())).toEqual({ version: '1', weights: { '2': 0.1 } });
    });
  });
});
