/**
 * A new artifact arrived: find the rule for it, render its rollout request, and start the rollout under
 * a name derived from the artifact. Step Functions keeps execution names unique for 90 days, which is
 * what makes a repeated event harmless: the same name and input while running returns the running
 * execution; a closed one, or a different input, is ExecutionAlreadyExists, reported and not retried.
 */
import { DescribeExecutionCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { isDeepStrictEqual } from 'node:util';
import { sfnClient } from '../aws/sfn';
import { stateMachineArn } from '../config/env';
import { parseRolloutRequest } from '../config/request';
import { ConfigurationError, awsCall, errorLogFields, messageOf } from '../errors';
import { executionArnFor } from '../executions/arn';
import { logger } from '../handler';
import { describeArtifact, executionNameFor, type Artifact } from './artifact';
import { parseArtifactEvent } from './events';
import { loadArtifactRules } from './rules-source';
import { matchArtifact, renderRollout } from './rules';
import { parseJson } from '../json';

export interface ArtifactStart {
  /**
   * `started`: StartExecution succeeded (a new execution, or the running one with this name and input);
   * `duplicate`: an execution of this name with this input exists and has ended (a repeated event);
   * `conflict`: an execution of this name exists with a different input (the rules changed, or two rules
   *   render different requests for one artifact): nothing started, reported in the log;
   * `unmatched`: no rule matches the artifact; `ignored`: the event announces no artifact.
   */
  readonly outcome: 'started' | 'duplicate' | 'conflict' | 'unmatched' | 'ignored';
  readonly reason?: string;
  readonly artifact?: Artifact;
  readonly rule?: string;
  readonly executionName?: string;
  readonly executionArn?: string;
}


/** Says what the existing execution of this name is: the same rollout (repeated event) or another one. */
async function reportExisting(machineArn: string, name: string, request: unknown, base: ArtifactStart): Promise<ArtifactStart> {
  const executionArn = executionArnFor(machineArn, name);
  const existing = await awsCall('DescribeExecution', () => sfnClient().send(new DescribeExecutionCommand({ executionArn }))).catch(
    (error: unknown) => {
      logger.warn('cannot describe the existing execution', { executionArn, ...errorLogFields(error) });
      return undefined;
    },
  );
  if (existing !== undefined && isDeepStrictEqual(parseJson(existing.input), request)) {
    const reason = `${describeArtifact(base.artifact as Artifact)} already had its rollout ${name} (${existing.status}); a repeated event starts nothing`;
    logger.info('rollout already started for this artifact', { ...base, executionArn, status: existing.status, reason });
    return { ...base, outcome: 'duplicate', executionArn, reason };
  }
  const reason =
    `an execution named ${name} already exists${existing === undefined ? '' : ` (${existing.status})`} with a different input: ` +
    'nothing started. The rules may have changed since it started, or two rules render different requests for one artifact; ' +
    'start the rollout by hand under another name if it is wanted.';
  logger.error('rollout not started: the execution name is taken', { ...base, executionArn, reason });
  return { ...base, outcome: 'conflict', executionArn, reason };
}

/** Handles one EventBridge artifact event. Throws only for configuration errors and transient AWS failures. */
export async function startFromArtifact(event: unknown): Promise<ArtifactStart> {
  const parsed = parseArtifactEvent(event);
  if ('ignored' in parsed) {
    logger.info('event ignored', { reason: parsed.ignored });
    return { outcome: 'ignored', reason: parsed.ignored };
  }
  const { artifact } = parsed;
  const { rules, source } = await loadArtifactRules();
  const match = matchArtifact(rules, artifact);
  if (match === undefined) {
    const reason = `no rule in ${source} matches ${describeArtifact(artifact)}`;
    logger.info('artifact ignored: no rule matches', { artifact, rulesSource: source, reason });
    return { outcome: 'unmatched', artifact, reason };
  }

  const request = renderRollout(match, artifact);
  try {
    parseRolloutRequest(request);
  } catch (error) {
    throw new ConfigurationError(`Artifact rule ${match.label} (${source}) renders an invalid rollout request for ${describeArtifact(artifact)}: ${messageOf(error)}`, {
      cause: error,
    });
  }
  const machineArn = stateMachineArn();
  const name = executionNameFor(artifact);
  const base: ArtifactStart = { outcome: 'started', artifact, rule: match.label, executionName: name };
  try {
    const started = await awsCall('StartExecution', () =>
      sfnClient().send(new StartExecutionCommand({ stateMachineArn: machineArn, name, input: JSON.stringify(request) })),
    );
    logger.info('rollout started', { ...base, executionArn: started.executionArn, rulesSource: source, request });
    return { ...base, executionArn: started.executionArn };
  } catch (error) {
    if (!(error instanceof Error && error.name === 'ExecutionAlreadyExists')) throw error;
    return reportExisting(machineArn, name, request, base);
  }
}
