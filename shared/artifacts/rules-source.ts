/**
 * Where the artifact rules come from: the SSM parameter named by ARTIFACT_RULES_PARAMETER (so that
 * rules change without a deploy), else the file bundled with the function, config/artifact-rules.json.
 * The parameter is read through aws/parameters.ts, kept a few minutes (a failed read is not kept, so
 * the next event tries again); the bundled file is validated once per container.
 */
import bundledRules from '../../config/artifact-rules.json';
import { readParameter } from '../aws/parameters';
import { optionalEnv } from '../config/env';
import { ConfigurationError, messageOf } from '../errors';
import { parseArtifactRules, type ArtifactRules } from './rules';

export const BUNDLED_RULES_SOURCE = 'config/artifact-rules.json';

export interface LoadedRules {
  readonly rules: ArtifactRules;
  /** "config/artifact-rules.json" or "SSM parameter <name>": named in every log line about a rule. */
  readonly source: string;
}

let bundled: LoadedRules | undefined;

async function readRulesParameter(name: string): Promise<LoadedRules> {
  const source = `SSM parameter ${name}`;
  const text = await readParameter(name, {
    holds: 'the artifact rules as JSON',
    namedBy: 'ARTIFACT_RULES_PARAMETER',
    otherwise: `or unset the variable to use ${BUNDLED_RULES_SOURCE}`,
  });
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConfigurationError(`The ${source} does not hold JSON: ${messageOf(error)}`);
  }
  return { rules: parseArtifactRules(json, source), source };
}

/** The rules, validated; from SSM when ARTIFACT_RULES_PARAMETER is set, else the bundled file. */
export async function loadArtifactRules(): Promise<LoadedRules> {
  const parameter = optionalEnv('ARTIFACT_RULES_PARAMETER');
  if (parameter !== undefined) return readRulesParameter(parameter);
  bundled ??= { rules: parseArtifactRules(bundledRules, BUNDLED_RULES_SOURCE), source: BUNDLED_RULES_SOURCE };
  return bundled;
}
