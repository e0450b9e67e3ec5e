/**
 * Finding targets that ended rollouts left between 0 and 100 %: from an ended execution (what
 * DescribeExecution says of it), and by sweeping the state machine's recently ended executions. The
 * reconciler acts on what these find; `coalmine list` and Slack `status` show it. AWS reads only; what
 * counts as stranded is race-rules.ts and target-state.ts.
 */
import { DescribeExecutionCommand, paginateListExecutions, type DescribeExecutionOutput } from '@aws-sdk/client-sfn';
import { sfnClient } from '../aws/sfn';
import type { RolloutRequest } from '../config/request';
import { executionNameOf } from '../executions/arn';
import { awsCall, classifyAwsError, messageOf } from '../errors';
import { routerKindFor } from '../routers/registry';
import type { CallRetry } from '../outside-rollback';
import { RECONCILED_STATUSES, type ExecutionStatus, type TargetState } from './race-rules';
import { readTargetState, targetKey, type TargetReading } from './target-state';

/** How far back the sweep looks for ended executions: a target stranded longer than this is a person's. */
export const SWEEP_LOOKBACK_MS = 7 * 24 * 3_600_000;

/** An execution as DescribeExecution (or the status-change event) tells it. */
export interface EndedExecution {
  readonly executionArn: string;
  readonly name: string;
  readonly status: ExecutionStatus;
  readonly startDate?: Date;
  readonly stopDate?: Date;
  readonly error?: string;
  readonly cause?: string;
  /** The execution's input: the rollout request as it was started. */
  readonly input?: string;
}

export interface TargetCheck {
  readonly execution: EndedExecution;
  /** The request the execution was started with; undefined when its input is not a rollout request. */
  readonly request?: RolloutRequest;
  /** "checkout:live", "kvs/…": the target's short name. */
  readonly targetName?: string;
  readonly reading: TargetReading;
}

/** A target an ended execution left between 0 and 100 % (or holding the store's lock). */
export interface StrandedTarget extends TargetCheck {
  readonly request: RolloutRequest;
  readonly targetName: string;
  readonly reading: TargetReading & { readonly state: Extract<TargetState, { kind: 'split' | 'lock-held' }> };
}

export function isStranded(check: TargetCheck): check is StrandedTarget {
  return check.request !== undefined && (check.reading.state.kind === 'split' || check.reading.state.kind === 'lock-held');
}

/** DescribeExecution of one execution. */
export async function describeExecution(executionArn: string): Promise<EndedExecution> {
  const out: DescribeExecutionOutput = await awsCall('DescribeExecution', () => sfnClient().send(new DescribeExecutionCommand({ executionArn })));
  return {
    executionArn,
    name: out.name ?? executionNameOf(executionArn),
    status: (out.status ?? 'RUNNING') as ExecutionStatus,
    ...(out.startDate !== undefined ? { startDate: out.startDate } : {}),
    ...(out.stopDate !== undefined ? { stopDate: out.stopDate } : {}),
    ...(out.error !== undefined ? { error: out.error } : {}),
    ...(out.cause !== undefined ? { cause: out.cause } : {}),
    ...(out.input !== undefined ? { input: out.input } : {}),
  };
}

/**
 * The rollout request an execution was started with, or why it is none. The input is as it was started,
 * maybe refused by Preflight, so it takes the full schema; imported with the first input read, it is not
 * in the cold start of the functions that import this module (reconcile, slackCommand), only in the first
 * call that reads an execution's input.
 */
export async function requestOf(execution: EndedExecution): Promise<RolloutRequest | { readonly notARequest: string }> {
  if (execution.input === undefined) return { notARequest: 'DescribeExecution returned no input' };
  const { parseRolloutRequest } = await import('../config/request');
  try {
    return parseRolloutRequest(JSON.parse(execution.input) as unknown);
  } catch (error) {
    return { notARequest: `its input is not a rollout request (${messageOf(error).split('\n')[0]}); Preflight refused it before anything moved` };
  }
}

/** Reads the target of `execution` (each read retried by `retry`) and says what it shows (isStranded tells whether it is stranded). */
export async function checkExecutionTarget(execution: EndedExecution, retry?: CallRetry): Promise<TargetCheck> {
  const request = await requestOf(execution);
  if ('notARequest' in request) return { execution, reading: { state: { kind: 'not-ours', detail: request.notARequest } } };
  const targetName = routerKindFor(request.target).describe(request.target);
  return { execution, request, targetName, reading: await readTargetState(request.target, execution.name, retry) };
}

/** The target `execution` left stranded, or undefined when it left none. */
export async function findStrandedTarget(execution: EndedExecution): Promise<StrandedTarget | undefined> {
  const check = await checkExecutionTarget(execution);
  return isStranded(check) ? check : undefined;
}

/** Executions of the state machine with `status`, newest first. Closed ones: those that stopped at or after `since`. */
export async function listExecutions(stateMachineArn: string, status: ExecutionStatus, since?: Date): Promise<Array<{ executionArn: string; stopDate?: Date }>> {
  const found: Array<{ executionArn: string; stopDate?: Date }> = [];
  try {
    for await (const page of paginateListExecutions({ client: sfnClient(), pageSize: 100 }, { stateMachineArn, statusFilter: status })) {
      for (const item of page.executions ?? []) {
        if (item.executionArn === undefined) continue;
        // Closed executions come newest stop first: the first older one ends the list.
        if (since !== undefined && (item.stopDate?.getTime() ?? 0) < since.getTime()) return found;
        found.push({ executionArn: item.executionArn, ...(item.stopDate !== undefined ? { stopDate: item.stopDate } : {}) });
      }
    }
  } catch (error) {
    throw classifyAwsError(error, 'ListExecutions');
  }
  return found;
}

/** Executions that ended ABORTED, TIMED_OUT or FAILED since `since`, newest stop first. */
export async function listEndedSince(stateMachineArn: string, since: Date): Promise<Array<{ executionArn: string; stopDate?: Date }>> {
  const lists = await Promise.all(RECONCILED_STATUSES.map((status) => listExecutions(stateMachineArn, status, since)));
  return lists.flat().sort((a, b) => (b.stopDate?.getTime() ?? 0) - (a.stopDate?.getTime() ?? 0));
}

/**
 * Every target that executions ended since `since` left stranded. Only the newest ended execution of each
 * target counts: a later one on the same target ran after it, so the target is no longer the older one's.
 * `filter` narrows which ended executions are read (the reconciler's backoff); by default all.
 */
export async function sweepStrandedTargets(
  stateMachineArn: string,
  since: Date,
  filter: (ended: { executionArn: string; stopDate?: Date }) => boolean = () => true,
): Promise<StrandedTarget[]> {
  return (await sweepEndedTargets(stateMachineArn, since, filter)).filter(isStranded);
}

/** Like sweepStrandedTargets, with every check (safe ones too); `retry` retries each target read. */
export async function sweepEndedTargets(
  stateMachineArn: string,
  since: Date,
  filter: (ended: { executionArn: string; stopDate?: Date }) => boolean = () => true,
  retry?: CallRetry,
): Promise<TargetCheck[]> {
  const ended = await listEndedSince(stateMachineArn, since);
  const seen = new Set<string>();
  const checks: TargetCheck[] = [];
  for (const item of ended) {
    const execution = await describeExecution(item.executionArn);
    const request = await requestOf(execution);
    if ('notARequest' in request) continue;
    const key = targetKey(request.target);
    if (seen.has(key)) continue;
    seen.add(key);
    if (!filter(item)) continue;
    checks.push(await checkExecutionTarget(execution, retry));
  }
  return checks;
}

/** RUNNING executions whose request drives the same target as `request` (their names). */
export async function runningOnTarget(stateMachineArn: string, request: RolloutRequest, except: string): Promise<string[]> {
  const key = targetKey(request.target);
  const running = await listExecutions(stateMachineArn, 'RUNNING');
  const names: string[] = [];
  for (const { executionArn } of running) {
    const execution = await describeExecution(executionArn);
    if (execution.name === except) continue;
    const theirs = await requestOf(execution);
    if (!('notARequest' in theirs) && targetKey(theirs.target) === key) names.push(execution.name);
  }
  return names;
}
