/**
 * Lambda alias router: the alias keeps its current (baseline) version and sends a share of invocations
 * to the new version through RoutingConfig.AdditionalVersionWeights. Every write carries the alias's
 * RevisionId, so a concurrent change makes UpdateAlias fail instead of being overwritten.
 */
import {
  GetAliasCommand,
  GetFunctionConfigurationCommand,
  UpdateAliasCommand,
  type AliasConfiguration,
} from '@aws-sdk/client-lambda';
import { lambdaClient } from '../aws/lambda';
import type { LambdaAliasTarget } from '../config/targets';
import {
  PreflightFailed,
  RolloutInProgress,
  TrafficConflict,
  TrafficWriteConflict,
  awsCall,
} from '../errors';
import type { Baseline } from '../rollout';
import {
  additionalWeights,
  assertOwnsAlias,
  describeAlias as describe,
  describeRouting,
  promotedViewOf,
  toFraction,
  toPercent,
  type AliasRollout,
} from './alias-decisions';
import { formatRestoreRecord, type RestoreRecord } from './restore-record';
import type { PromotedView, RestoreWrite, RollbackOutcome, RouterKind, TrafficRouter, VerifyResult } from './types';

function isNotFound(error: unknown): boolean {
  return error instanceof Error && error.name === 'ResourceNotFoundException';
}

export async function getAlias(target: LambdaAliasTarget): Promise<AliasConfiguration> {
  return awsCall('GetAlias', () =>
    lambdaClient().send(new GetAliasCommand({ FunctionName: target.functionName, Name: target.alias })),
  );
}

export class LambdaAliasRouter implements TrafficRouter {
  private readonly baselineVersion: string;
  private readonly rollout: AliasRollout;

  constructor(
    private readonly target: LambdaAliasTarget,
    baseline: Baseline,
  ) {
    this.baselineVersion = String(baseline.version);
    this.rollout = { name: describe(target), baselineVersion: this.baselineVersion, version: target.version };
  }

  async getWeight(): Promise<number> {
    return this.weightOf(await getAlias(this.target));
  }

  async setWeight(percent: number, from: number): Promise<void> {
    if (!(percent >= 0 && percent < 100)) {
      throw new RangeError(`setWeight takes 0 <= percent < 100, got ${percent}; use promote() for 100`);
    }
    const alias = await getAlias(this.target);
    assertOwnsAlias(alias, this.rollout, 'shift traffic');
    const current = this.weightOf(alias);
    if (current === percent) return;
    this.assertAt(current, from, `shift to ${percent} %`);
    const weights = percent === 0 ? {} : { [this.target.version]: toFraction(percent) };
    await this.update(alias, this.baselineVersion, weights);
  }

  async verifyWeight(percent: number): Promise<VerifyResult> {
    return (await this.getWeight()) === percent ? 'verified' : 'mismatch';
  }

  async promote(from: number): Promise<void> {
    const alias = await getAlias(this.target);
    const weights = additionalWeights(alias);
    if (alias.FunctionVersion === this.target.version && Object.keys(weights).length === 0) return;
    assertOwnsAlias(alias, this.rollout, 'promote');
    this.assertAt(this.weightOf(alias), from, 'promote');
    await this.update(alias, this.target.version, {});
  }

  async rollback(): Promise<RollbackOutcome> {
    const alias = await getAlias(this.target);
    const weights = additionalWeights(alias);
    const name = describe(this.target);
    if (alias.FunctionVersion === this.baselineVersion && Object.keys(weights).length === 0) {
      return { changed: false, detail: `${name} already sends all traffic to version ${this.baselineVersion}` };
    }
    if (alias.FunctionVersion !== this.target.version && weights[this.target.version] === undefined) {
      // Someone else took the alias over and none of its traffic reaches our version: nothing of ours to undo.
      return {
        changed: false,
        detail: `${name} no longer routes to version ${this.target.version} (it was changed outside this rollout: ${describeRouting(alias)}); left as it is`,
      };
    }
    assertOwnsAlias(alias, this.rollout, 'roll back');
    await this.update(alias, this.baselineVersion, {});
    return {
      changed: true,
      detail: `${name} sends all traffic to version ${this.baselineVersion} again (was ${this.weightOf(alias)} % on ${this.target.version})`,
    };
  }

  async inspectPromoted(): Promise<PromotedView> {
    return promotedViewOf(await getAlias(this.target), this.rollout);
  }

  /** One UpdateAlias with the RevisionId of the read it decided on: the baseline, no weights, the record as the description. */
  async restore(record: Omit<RestoreRecord, 'restored'>): Promise<RestoreWrite> {
    const alias = await getAlias(this.target);
    const view = promotedViewOf(alias, this.rollout);
    if (view.kind !== 'as-promoted') return { written: false, view };
    const restored = `version ${this.baselineVersion}`;
    await this.update(alias, this.baselineVersion, {}, formatRestoreRecord({ ...record, restored }));
    return { written: true, detail: `${describe(this.target)} sends all traffic to ${restored} again (was all on ${this.target.version})` };
  }

  private weightOf(alias: AliasConfiguration): number {
    if (alias.FunctionVersion === this.target.version) return 100;
    return toPercent(additionalWeights(alias)[this.target.version] ?? 0);
  }

  /** Traffic moves only forward from where this rollout left it; see TrafficRouter.setWeight. */
  private assertAt(current: number, expected: number, action: string): void {
    if (current === expected) return;
    throw new TrafficConflict(
      `Cannot ${action} on ${describe(this.target)}: the canary carries ${current} %, not the ${expected} % this rollout ` +
        'left it at. Someone else moved it (a rollback from an alarm or a person); coalmine does not move it forward again.',
    );
  }

  private async update(alias: AliasConfiguration, functionVersion: string, weights: Record<string, number>, description?: string): Promise<void> {
    try {
      await awsCall('UpdateAlias', () =>
        lambdaClient().send(
          new UpdateAliasCommand({
            FunctionName: this.target.functionName,
            Name: this.target.alias,
            FunctionVersion: functionVersion,
            RoutingConfig: { AdditionalVersionWeights: weights },
            ...(description !== undefined ? { Description: description } : {}),
            RevisionId: alias.RevisionId,
          }),
        ),
      );
    } catch (error) {
      if (error instanceof Error && error.name === 'PreconditionFailedException') {
        throw new TrafficWriteConflict(
          `${describe(this.target)} changed between read and write (RevisionId ${alias.RevisionId} is stale); read again and retry`,
          { cause: error },
        );
      }
      throw error;
    }
  }
}

async function preflight(target: LambdaAliasTarget): Promise<Baseline> {
  const name = describe(target);
  const version = await awsCall('GetFunctionConfiguration', () =>
    lambdaClient().send(new GetFunctionConfigurationCommand({ FunctionName: target.functionName, Qualifier: target.version })),
  ).catch((error: unknown) => {
    if (!isNotFound(error)) throw error;
    throw new PreflightFailed(
      `Version ${target.version} of Lambda function ${target.functionName} does not exist. Publish it first ` +
        `(aws lambda publish-version --function-name ${target.functionName}) and use the version number it returns.`,
    );
  });
  if (version.State !== undefined && version.State !== 'Active') {
    throw new PreflightFailed(
      `Version ${target.version} of ${target.functionName} is ${version.State}${version.StateReason ? ` (${version.StateReason})` : ''}; ` +
        'wait until it is Active, then start again.',
    );
  }
  const alias = await getAlias(target).catch((error: unknown) => {
    if (!isNotFound(error)) throw error;
    throw new PreflightFailed(
      `Alias ${name} does not exist. Create it on the current version first ` +
        `(aws lambda create-alias --function-name ${target.functionName} --name ${target.alias} --function-version <current>).`,
    );
  });
  const weighted = Object.entries(additionalWeights(alias));
  if (weighted.length > 0) {
    throw new RolloutInProgress(
      `${name} is already mid-rollout: it sends ${weighted.map(([v, w]) => `${toPercent(w)} % to version ${v}`).join(', ')} ` +
        `besides version ${alias.FunctionVersion}. Let that rollout finish or roll it back, then start again.`,
    );
  }
  if (alias.FunctionVersion === target.version) {
    throw new PreflightFailed(`${name} already points at version ${target.version}: there is nothing to roll out.`);
  }
  if (alias.FunctionVersion === undefined || !/^[0-9]+$/.test(alias.FunctionVersion)) {
    throw new PreflightFailed(
      `${name} points at ${alias.FunctionVersion ?? 'nothing'}; weighted routing needs the alias on a published version. ` +
        'Point it at a published version first.',
    );
  }
  return { version: alias.FunctionVersion };
}

// `satisfies`, not a type annotation: the alias needs no execution context, so callers may omit it.
export const lambdaAliasKind = {
  observable: true,
  describe,
  preflight,
  create: (target: LambdaAliasTarget, baseline: Baseline): TrafficRouter => new LambdaAliasRouter(target, baseline),
} satisfies RouterKind<LambdaAliasTarget>;
