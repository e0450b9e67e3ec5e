/**
 * The Step Functions calls of the alarm rollback: list the running executions, read the head and the
 * tail of an execution's history, stop an execution. AWS calls only; what the history means is decided
 * in execution-history.ts.
 */
import {
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  StopExecutionCommand,
  type ExecutionListItem,
  type HistoryEvent,
} from '@aws-sdk/client-sfn';
import { aws } from '../aws/clients';
import { awsCall } from '../errors';
import { reachesPastPreflight } from './execution-history';

/** Step Functions limits on StopExecution (API reference): error ≤ 256 characters, cause ≤ 32,768. */
const MAX_STOP_ERROR = 256;
const MAX_STOP_CAUSE = 32_768;

/** Every RUNNING execution of the state machine, most recent first (ListExecutions is eventually consistent). */
export async function listRunningExecutions(stateMachineArn: string): Promise<ExecutionListItem[]> {
  const executions: ExecutionListItem[] = [];
  let nextToken: string | undefined;
  do {
    const page = await awsCall('ListExecutions', () =>
      aws.sfn.send(new ListExecutionsCommand({ stateMachineArn, statusFilter: 'RUNNING', maxResults: 100, nextToken })),
    );
    executions.push(...(page.executions ?? []));
    nextToken = page.nextToken;
  } while (nextToken !== undefined);
  return executions;
}

/**
 * Executions of the state machine that SUCCEEDED at or after `since`. ListExecutions returns closed
 * executions newest stop first, so the pages stop at the first older one.
 */
export async function listSucceededSince(stateMachineArn: string, since: Date): Promise<ExecutionListItem[]> {
  const executions: ExecutionListItem[] = [];
  let nextToken: string | undefined;
  do {
    const page = await awsCall('ListExecutions', () =>
      aws.sfn.send(new ListExecutionsCommand({ stateMachineArn, statusFilter: 'SUCCEEDED', maxResults: 20, nextToken })),
    );
    const items = page.executions ?? [];
    const recent = items.filter((e) => (e.stopDate?.getTime() ?? 0) >= since.getTime());
    executions.push(...recent);
    nextToken = recent.length < items.length ? undefined : page.nextToken;
  } while (nextToken !== undefined);
  return executions;
}

/**
 * The first events of an execution, oldest first, far enough to know its rollout: up to Preflight's
 * output (a few events; retries add three each). Stops after `maxPages` pages in any case.
 */
export async function readHistoryHead(executionArn: string, maxPages = 5): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  for (let page = 0; page < maxPages; page += 1) {
    const result = await awsCall('GetExecutionHistory', () =>
      aws.sfn.send(
        new GetExecutionHistoryCommand({ executionArn, maxResults: 50, reverseOrder: false, includeExecutionData: true, nextToken }),
      ),
    );
    events.push(...(result.events ?? []));
    nextToken = result.nextToken;
    if (nextToken === undefined || reachesPastPreflight(events)) break;
  }
  return events;
}

/**
 * The last events of an execution, oldest first, reaching back to the last state entered: enough to see
 * how it ended and whether a Task's invocation is still open.
 */
export async function readHistoryTail(executionArn: string, maxPages = 10): Promise<HistoryEvent[]> {
  const newestFirst: HistoryEvent[] = [];
  let nextToken: string | undefined;
  for (let page = 0; page < maxPages; page += 1) {
    const result = await awsCall('GetExecutionHistory', () =>
      aws.sfn.send(
        new GetExecutionHistoryCommand({ executionArn, maxResults: 100, reverseOrder: true, includeExecutionData: false, nextToken }),
      ),
    );
    newestFirst.push(...(result.events ?? []));
    nextToken = result.nextToken;
    if (nextToken === undefined || newestFirst.some((e) => e.type?.endsWith('StateEntered'))) break;
  }
  return newestFirst.reverse();
}

/** Stops an execution with `error` and `cause`, cut to the lengths Step Functions accepts. */
export async function stopExecution(executionArn: string, error: string, cause: string): Promise<void> {
  const shortCause = cause.length > MAX_STOP_CAUSE ? `${cause.slice(0, MAX_STOP_CAUSE - 1)}…` : cause;
  await awsCall('StopExecution', () =>
    aws.sfn.send(new StopExecutionCommand({ executionArn, error: error.slice(0, MAX_STOP_ERROR), cause: shortCause })),
  );
}
