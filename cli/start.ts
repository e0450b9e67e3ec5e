/**
 * `coalmine start --request FILE`: validates the request with Preflight's schema and planner (exit 2, before
 * any AWS call), names the execution by the artifact triggers' rule (shared/artifacts) so that a repeated
 * start cannot run twice, and calls StartExecution and nothing else: the live checks are Preflight's.
 */
import { parseArgs } from 'node:util';
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { executionNameFor } from '../shared/artifacts/artifact';
import { sfnClient } from '../shared/aws/sfn';
import { parseRolloutRequest, type RolloutRequest } from '../shared/config/request';
import { functionNameOf } from '../shared/config/target-facts';
import { awsCall } from '../shared/errors';
import { EXECUTION_NAME } from '../shared/executions/names';
import { planRollout } from '../shared/plan';
import { routerKindFor } from '../shared/routers/registry';
import { stateMachineOf } from './aws/options';
import { EXIT, UsageError, type CliIo } from './io';
import { readRequestFile } from './request-file';
import { withUsageErrors } from './args';
import { followRollout, intervalMsOf, WATCH_OPTIONS } from './watch';

const OPTIONS = {
  request: { type: 'string' },
  name: { type: 'string' },
  'state-machine': { type: 'string' },
  stage: { type: 'string' },
  watch: { type: 'boolean' },
  ...WATCH_OPTIONS,
} as const;

/** The execution name: --name, else the artifact triggers' name for the version the request rolls out. */
export function executionNameOf(request: RolloutRequest, name: string | undefined): string {
  if (name !== undefined) {
    if (!EXECUTION_NAME.test(name)) throw new UsageError(`--name "${name}": an execution name is 1-80 letters, digits, - and _.`);
    return name;
  }
  const { target } = request;
  if (target.type !== 'lambda-alias') {
    throw new UsageError(`a ${target.type} target names no version to derive the execution name from; give --name NAME (unique per rollout).`);
  }
  return executionNameFor({ kind: 'lambda-version', functionName: functionNameOf(target.functionName), version: target.version });
}

export async function run(args: string[], io: CliIo): Promise<number> {
  const { values } = withUsageErrors(() => parseArgs({ args, options: OPTIONS, strict: true, allowPositionals: false, tokens: true }));
  if (values.interval !== undefined && values.watch !== true) throw new UsageError('--interval is for --watch; give both, or neither.');
  const intervalMs = intervalMsOf(values.interval);
  const raw = await readRequestFile(values.request, io);
  const request = parseRolloutRequest(raw);
  planRollout(request, { observable: routerKindFor(request.target).observable });
  const name = executionNameOf(request, values.name);
  const stateMachineArn = await stateMachineOf(values);
  let executionArn: string | undefined;
  try {
    ({ executionArn } = await awsCall('StartExecution', () =>
      sfnClient().send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(raw) })),
    ));
  } catch (error) {
    if (!(error instanceof Error && error.name === 'ExecutionAlreadyExists')) throw error;
    io.err(`coalmine start: execution ${name} already exists with another input: this version was already rolled out. Give --name NAME to roll it out again.`);
    return EXIT.failure;
  }
  io.out(`Started ${routerKindFor(request.target).describe(request.target)} as execution ${name} (${executionArn ?? '?'}).`);
  if (values.watch === true && executionArn !== undefined) return followRollout({ executionArn, executionName: name }, io, { intervalMs, json: false });
  io.out(`Follow it: coalmine watch ${name}   Roll back: coalmine rollback ${name} --reason TEXT`);
  return EXIT.ok;
}

