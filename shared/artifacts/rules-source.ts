/**
 * Where the artifact rules come from: the SSM parameter named by ARTIFACT_RULES_PARAMETER (so that
 * rules change without a deploy), else the file bundled with the function, config/artifact-rules.json.
 * Read once per Lambda container and kept; a failed read is not kept, so the next event tries again.
 */
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import bundledRules from '../../config/artifact-rules.json';
import { ssmClient } from '../aws/ssm';
import { optionalEnv } from '../config/env';
import { ConfigurationError, awsCall } from '../errors';
import { parseArtifactRules, type ArtifactRules } from './rules';

export const BUNDLED_RULES_SOURCE = 'config/artifact-rules.json';

export interface LoadedRules {
  readonly rules: ArtifactRules;
  /** "config/artifact-rules.json" or "SSM parameter <name>": named in every log line about a rule. */
  readonly source: string;
}

let cache: { readonly parameter: string | undefined; readonly rules: Promise<LoadedRules> } | undefined;

async function readParameter(name: string): Promise<LoadedRules> {
  const source = `SSM parameter ${name}`;
  const result = await awsCall('GetParameter', () => ssmClient().send(new GetParameterCommand({ Name: name, WithDecryption: true }))).catch(
    (error: unknown) => {
      if (error instanceof Error && error.name === 'ParameterNotFound') {
        throw new ConfigurationError(`The ${source} (ARTIFACT_RULES_PARAMETER) does not exist. Create it with the rules as JSON, or unset the variable to use ${BUNDLED_RULES_SOURCE}.`);
      }
      throw error;
    },
  );
  let json: unknown;
  try {
    json = JSON.parse(result.Parameter?.Value ?? '');
  } catch (error) {
    throw new ConfigurationError(`The ${source} does not hold JSON: ${(error as Error).message}`);
  }
  return { rules: parseArtifactRules(json, source), source };
}

/** The rules, validated; from SSM when ARTIFACT_RULES_PARAMETER is set, else the bundled file. */
export function loadArtifactRules(): Promise<LoadedRules> {
  const parameter = optionalEnv('ARTIFACT_RULES_PARAMETER');
  if (cache === undefined || cache.parameter !== parameter) {
    const rules =
      parameter === undefined
        ? Promise.resolve().then(() => ({ rules: parseArtifactRules(bundledRules, BUNDLED_RULES_SOURCE), source: BUNDLED_RULES_SOURCE }))
        : readParameter(parameter);
    const entry = { parameter, rules };
    cache = entry;
    rules.catch(() => {
      if (cache === entry) cache = undefined;
    });
  }
  return cache.rules;
}

/** Forgets the kept rules (tests; a container never needs to). */
export function forgetArtifactRules(): void {
  cache = undefined;
}
