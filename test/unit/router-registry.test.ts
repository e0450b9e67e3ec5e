/**
 * The router registry (shared/routers/registry.ts) imports a kind's router module on first use, and says
 * what a kind is without I/O (observable, describe) from the routers' pure modules. These say the same as
 * each router module's own kind, and the registry's routers and preflight are the module's.
 */
import { GetAliasCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { useAwsClients } from '../../shared/aws/clients';
import type { Target } from '../../shared/config/targets';
import { cloudFrontKvsKind } from '../../shared/routers/cloudfront-kvs';
import { lambdaAliasKind } from '../../shared/routers/lambda-alias';
import { routerKindFor } from '../../shared/routers/registry';

const TARGETS: Array<[Target, { observable: boolean; describe(target: never): string }]> = [
  [{ type: 'lambda-alias', functionName: 'checkout', alias: 'live', version: '8' }, lambdaAliasKind],
  [{ type: 'cloudfront-kvs', kvsArn: 'arn:aws:cloudfront::123456789012:key-value-store/327284aa-bcd5-499f-a3ff-26b9a9d31b58', stableAfterPromotion: 'green' }, cloudFrontKvsKind],
];

describe('the router registry', () => {
  it.each(TARGETS)('says of %j what its router module says', (target, kind) => {
    const registered = routerKindFor(target);

    expect(registered.observable).toBe(kind.observable);
    expect(registered.describe(target)).toBe(kind.describe(target as never));
  });

  it('moves traffic through the router module of the target, loaded at the first call', async () => {
    const lambda = mockClient(LambdaClient);
    lambda.on(GetAliasCommand).resolves({ FunctionVersion: '7', RoutingConfig: { AdditionalVersionWeights: { '8': 0.25 } } });
    const restore = useAwsClients({ lambda: lambda as unknown as LambdaClient });
    try {
      const [target] = TARGETS[0]!;
      const router = routerKindFor(target).create(target, { version: '7' });

      await expect(router.getWeight()).resolves.toBe(25);
      expect(lambda.commandCalls(GetAliasCommand).map((call) => call.args[0].input)).toEqual([{ FunctionName: 'checkout', Name: 'live' }]);
    } finally {
      restore();
      lambda.restore();
    }
  });
});
