/**
 * The Step Functions calls of everything that acts on a rollout from outside its state machine (the alarm
 * rollback, the person-driven actions, the CLI): list executions, read the head and the tail of an
 * execution's history, stop an execution. AWS calls only, through the SDK's paginators; what a history
 * means is decided in history.ts.
 */
import {
  paginateGetExecutionHistory,
  paginateListExecutions,
  StopExecutionCommand,
  type ExecutionListItem,
  type ExecutionStatus,
  type GetExecutionHistoryCommandInput,
  type HistoryEvent,
} from '@aws-sdk/client-sfn';
import { sfnClient } from '../aws/sfn';
import { awsCall } from '../errors';
import { reachesPastPreflight } from './history';

/** Step Functions limits on StopExecution (API reference): error ≤ 256 characters, cause ≤ 32,768. */
const MAX_STOP_ERROR = 256;
const MAX_STOP_CAUSE = 32_768;

/**
 * The SDK's paginators reuse one input object for every page, setting its token in place; each command
 * gets its own copy, so that what a page was asked with stays what was sent (logs, aws-sdk-client-mock).
 */
function ownInput<C extends { input: object }>(command: C): C {
  command.input = { ...command.input };
  return command;
}

/** Every RUNNING execution of the state machine, most recent first (ListExecutions is eventually consistent). */
export async function listRunningExecutions(stateMachineArn: string): Promise<ExecutionListItem[]> {
  return awsCall('ListExecutions', async () => {
    const executions: ExecutionListItem[] = [];
    for await (const page of paginateListExecutions({ client: sfnClient(), pageSize: 100, withCommand: ownInput }, { stateMachineArn, statusFilter: 'RUNNING' })) {
      executions.push(...(page.executions ?? []));
    }
    return executions;
  });
}

/**
 * Executions of the state machine with `status` that stopped at or after `since`. ListExecutions returns
 * closed executions newest stop first, so the pages stop at the first older one.
 */
export async function listClosedSince(stateMachineArn: string, status: ExecutionStatus, since: Date): Promise<ExecutionListItem[]> {
  return awsCall('ListExecutions', async () => {
    const executions: ExecutionListItem[] = [];
    for await (const page of paginateListExecutions({ client: sfnClient(), pageSize: 20, withCommand: ownInput }, { stateMachineArn, statusFilter: status })) {
      const items = page.executions ?? [];
      const recent = items.filter((e) => (e.stopDate?.getTime() ?? 0) >= since.getTime());
      executions.push(...recent);
      if (recent.length < items.length) break;
    }
    return executions;
  });
}

/** Executions of the state machine that SUCCEEDED at or after `since`. */
export function listSucceededSince(stateMachineArn: string, since: Date): Promise<ExecutionListItem[]> {
  return listClosedSince(stateMachineArn, 'SUCCEEDED', since);
}

/** Pages of an execution's history until `enough` says so or `maxPages` are read; the events in the order read. */
async function readHistory(
  input: GetExecutionHistoryCommandInput,
  pageSize: number,
  maxPages: number,
  enough: (events: readonly HistoryEvent[]) => boolean,
): Promise<HistoryEvent[]> {
  return awsCall('GetExecutionHistory', async () => {
    const events: HistoryEvent[] = [];
    let pages = 0;
    for await (const page of paginateGetExecutionHistory({ client: sfnClient(), pageSize, withCommand: ownInput }, input)) {
      events.push(...(page.events ?? []));
      pages += 1;
      if (pages >= maxPages || enough(events)) break;
    }
    return events;
  });
}

/**
 * The first events of an execution, oldest first, far enough to know its rollout: up to Preflight's
 * output (a few events; retries add three each). Stops after `maxPages` pages in any case.
 */
export function readHistoryHead(executionArn: string, maxPages = 5): Promise<HistoryEvent[]> {
  return readHistory({ executionArn, reverseOrder: false, includeExecutionData: true }, 50, maxPages, reachesPastPreflight);
}

/**
 * The last events of an execution, oldest first, reaching back to the last state entered: enough to see
 * how it ended and whether a Task's invocation is still open. `includeExecutionData`: with each task's
 * parameters (where an approval gate's task token is: read it only to answer the gate).
 */
export async function readHistoryTail(executionArn: string, maxPages = 10, includeExecutionData = false): Promise<HistoryEvent[]> {
  const newestFirst = await readHistory({ executionArn, reverseOrder: true, includeExecutionData }, 100, maxPages, (events) =>
    events.some((e) => e.type?.endsWith('StateEntered')),
  );
  return newestFirst.reverse();
}

/** Step Functions keeps at most 25,000 events of a Standard execution's history. */
const MAX_HISTORY_EVENTS = 25_000;
const HISTORY_PAGE = 1_000;

/** An execution's whole history, oldest first, with each state's input and output (the report reads it all). */
export function readWholeHistory(executionArn: string): Promise<HistoryEvent[]> {
  return readHistory({ executionArn, reverseOrder: false, includeExecutionData: true }, HISTORY_PAGE, MAX_HISTORY_EVENTS / HISTORY_PAGE, () => false);
}

/** Stops an execution with `error` and `cause`, cut to the lengths Step Functions accepts. */
export async function stopExecution(executionArn: string, error: string, cause: string): Promise<void> {
  const shortCause = cause.length > MAX_STOP_CAUSE ? `${cause.slice(0, MAX_STOP_CAUSE - 1)}…` : cause;
  await awsCall('StopExecution', () =>
    sfnClient().send(new StopExecutionCommand({ executionArn, error: error.slice(0, MAX_STOP_ERROR), cause: shortCause })),
  );
}

/**
 * The executions of the state machine that ended, started at or after `since`, newest first, at most
 * `limit`. ListExecutions lists every status newest start first, so the pages stop at the first older one.
 */
export async function listEndedSince(stateMachineArn: string, since: Date, limit: number): Promise<ExecutionListItem[]> {
  return awsCall('ListExecutions', async () => {
    const ended: ExecutionListItem[] = [];
    for await (const page of paginateListExecutions({ client: sfnClient(), pageSize: 100, withCommand: ownInput }, { stateMachineArn })) {
      const items = page.executions ?? [];
      const recent = items.filter((e) => (e.startDate?.getTime() ?? 0) >= since.getTime());
      ended.push(...recent.filter((e) => e.status !== 'RUNNING' && e.status !== 'PENDING_REDRIVE'));
      if (ended.length >= limit || recent.length < items.length) break;
    }
    return ended.slice(0, limit);
  });
}
