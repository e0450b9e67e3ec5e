/**
 * In-memory Step Functions for one state machine: executions started, listed, described and stopped as
 * the API documents, each with a history in the API's event types. With a runner installed (the real
 * ASL executed locally, sim/local-execution.ts), a started execution runs, and its history follows the
 * run: TaskStateEntered, LambdaFunctionScheduled, ... as the service records them. A stop aborts the run
 * the way the service does: no further state is entered, but a Lambda invocation already running goes
 * on to the end (its result is no longer recorded). Simplification: a Task's scheduled event carries the
 * state's input, not the input its Parameters make.
 */
import {
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  InvalidName,
  type ExecutionStatus,
  type HistoryEvent,
} from '@aws-sdk/client-sfn';
import type { InMemoryService } from './sdk-bridge';
import { TaskTokens, WAIT_FOR_TASK_TOKEN, type OpenedToken } from './task-tokens';

/** One event of a local run (aws-local-stepfunctions' eventLogs), as far as the history needs it. */
export interface LocalRunEvent {
  readonly type: string;
  readonly state?: { readonly name: string; readonly type: string; readonly input: unknown; readonly output?: unknown };
  readonly Error?: string;
  readonly Cause?: unknown;
}

/** A local run (aws-local-stepfunctions' StateMachine.run). */
export interface LocalRun {
  abort(): void;
  readonly result: Promise<unknown>;
  readonly eventLogs: AsyncIterable<LocalRunEvent>;
}

export type LocalRunner = (input: unknown, executionName: string) => LocalRun;

/** How each Task state shows in a history: a Lambda function or a service integration, and its TimeoutSeconds. */
export type TaskCatalogue = Readonly<Record<string, { readonly resource: string; readonly lambda: boolean; readonly timeoutSeconds?: number }>>;

type DefinitionStates = Readonly<Record<string, { readonly Type: string; readonly Resource?: unknown; readonly TimeoutSeconds?: number }>>;

/** The Task states of a definition as its history will name them; `Fn::GetAtt` resources become function ARNs. */
export function taskCatalogue(definition: { readonly States: DefinitionStates }, functionArn = (key: string) => `arn:aws:lambda:us-east-1:000000000000:function:coalmine-${key}`): TaskCatalogue {
  const tasks: Record<string, TaskCatalogue[string]> = {};
  for (const [name, state] of Object.entries(definition.States)) {
    if (state.Type !== 'Task') continue;
    const getAtt = (state.Resource as { 'Fn::GetAtt'?: [string, string] } | undefined)?.['Fn::GetAtt'];
    const resource = getAtt !== undefined ? functionArn(getAtt[0]) : String(state.Resource);
    tasks[name] = { resource, lambda: getAtt !== undefined || resource.startsWith('arn:aws:lambda:'), ...(state.TimeoutSeconds !== undefined ? { timeoutSeconds: state.TimeoutSeconds } : {}) };
  }
  return tasks;
}

export interface ExecutionRecord {
  readonly name: string;
  readonly executionArn: string;
  readonly input: string;
  readonly startDate: Date;
  status: ExecutionStatus;
  stopDate?: Date;
  error?: string;
  cause?: string;
  output?: string;
  readonly history: HistoryEvent[];
  /** Resolves when the execution has ended and its local run (if any) has settled. */
  readonly settled: Promise<void>;
}

const meta = { $metadata: {} };
const NAME = /^[A-Za-z0-9_-]{1,80}$/;

export class SfnWorld {
  readonly stateMachineArn = 'arn:aws:states:us-east-1:000000000000:stateMachine:coalmine-local-canary';
  private readonly executions = new Map<string, ExecutionRecord>();
  private runner: { readonly run: LocalRunner; readonly tasks: TaskCatalogue } | undefined;
  private readonly waiters: Array<() => void> = [];
  /** Aborts the local run of a running execution, by name. */
  private readonly aborts = new Map<string, () => void>();
  /** The tokens of the gates (`.waitForTaskToken` Tasks) executions wait at; SendTask* answer them. */
  readonly tokens = new TaskTokens();
  /** Executions whose gate state is entered in their history, and gates opened before their state was recorded as entered. */
  private readonly atGate = new Set<string>();
  private readonly openedEarly = new Map<string, OpenedToken>();
  private readonly closeListeners: Array<(execution: ExecutionRecord) => void> = [];

  constructor(private readonly now: () => Date = () => new Date()) {
    this.tokens.onOpened((opened) => {
      if (this.atGate.has(opened.executionName)) this.recordGateScheduled(opened);
      else this.openedEarly.set(opened.executionName, opened);
    });
  }

  /** A gate's TaskScheduled, as the service records it: the Parameters it invoked with, the task token among them. */
  private recordGateScheduled(opened: OpenedToken): void {
    const execution = this.executions.get(opened.executionName);
    if (execution === undefined || execution.status !== 'RUNNING') return;
    const [resourceType, resource] = ['lambda', WAIT_FOR_TASK_TOKEN.split(':lambda:')[1]];
    this.record(execution, 'TaskScheduled', { taskScheduledEventDetails: { resourceType, resource, region: 'us-east-1', parameters: JSON.stringify(opened.parameters) } });
    this.record(execution, 'TaskStarted', { taskStartedEventDetails: { resourceType, resource } });
  }

  /** Runs every execution started from now on with `run`; `tasks` says how their Task states show in histories. */
  useRunner(run: LocalRunner, tasks: TaskCatalogue): this {
    this.runner = { run, tasks };
    return this;
  }

  executionArnOf(name: string): string {
    return `${this.stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
  }

  execution(name: string): ExecutionRecord {
    const record = this.executions.get(name);
    if (record === undefined) throw new Error(`No simulated execution named ${name}`);
    return record;
  }

  /** Starts an execution as StartExecution does (idempotent for the same name and input while it runs). */
  start(input: unknown, name: string): ExecutionRecord {
    if (!NAME.test(name)) throw new InvalidName({ message: `Invalid Name: '${name}'`, ...meta });
    const text = typeof input === 'string' ? input : JSON.stringify(input);
    const existing = this.executions.get(name);
    if (existing !== undefined) {
      if (existing.status === 'RUNNING' && existing.input === text) return existing;
      throw new ExecutionAlreadyExists({ message: `Execution Already Exists: '${existing.executionArn}'`, ...meta });
    }
    let settle: () => void = () => undefined;
    const record: ExecutionRecord = {
      name,
      executionArn: this.executionArnOf(name),
      input: text,
      startDate: this.now(),
      status: 'RUNNING',
      history: [],
      settled: new Promise<void>((resolve) => {
        settle = resolve;
      }),
    };
    this.executions.set(name, record);
    this.record(record, 'ExecutionStarted', { executionStartedEventDetails: { input: text, roleArn: 'arn:aws:iam::000000000000:role/coalmine-local' } });
    if (this.runner === undefined) {
      settle();
      return record;
    }
    const run = this.runner.run(JSON.parse(text) as unknown, name);
    this.aborts.set(name, () => run.abort());
    const follow = this.follow(record, run, this.runner.tasks);
    void Promise.allSettled([follow, run.result]).then(([, result]) => {
      if (result.status === 'fulfilled') {
        this.close(record, 'SUCCEEDED', { executionSucceededEventDetails: { output: JSON.stringify(result.value) } }, { output: JSON.stringify(result.value) });
      } else {
        // A Fail state (or an uncaught error) ends the run with ExecutionError; its cause names the error.
        const failure = (result.reason as { cause?: unknown }).cause;
        const error = failure instanceof Error ? failure.name : 'States.Runtime';
        const cause = failure instanceof Error ? failure.message : String(result.reason);
        this.close(record, 'FAILED', { executionFailedEventDetails: { error, cause } }, { error, cause });
      }
      this.aborts.delete(name);
      settle();
    });
    return record;
  }

  /** Executions still RUNNING, oldest first. */
  running(): ExecutionRecord[] {
    return [...this.executions.values()].filter((e) => e.status === 'RUNNING');
  }

  /** Runs `listener` the moment an execution ends, whatever ends it (the status change EventBridge announces); returns the undo. */
  onClose(listener: (execution: ExecutionRecord) => void): () => void {
    this.closeListeners.push(listener);
    return () => {
      const i = this.closeListeners.indexOf(listener);
      if (i >= 0) this.closeListeners.splice(i, 1);
    };
  }

  /** Ends a running execution as FAILED with a terminal error (States.DataLimitExceeded), as the service does: no Catch runs. */
  fail(name: string, error: string, cause: string): void {
    const record = this.execution(name);
    if (record.status !== 'RUNNING') return;
    this.close(record, 'FAILED', { executionFailedEventDetails: { error, cause } }, { error, cause });
    this.aborts.get(name)?.();
  }

  /** Resolves with the first event of an execution's history that `predicate` accepts, recorded already or later. */
  waitForEvent(name: string, predicate: (event: HistoryEvent) => boolean): Promise<HistoryEvent> {
    return new Promise((resolve) => {
      const check = (): boolean => {
        const found = this.executions.get(name)?.history.find(predicate);
        if (found !== undefined) resolve(found);
        return found !== undefined;
      };
      if (check()) return;
      const waiter = (): void => {
        if (!check()) return;
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
      };
      this.waiters.push(waiter);
    });
  }

  private record(execution: ExecutionRecord, type: HistoryEvent['type'], details: Partial<HistoryEvent> = {}): void {
    const id = execution.history.length + 1;
    execution.history.push({ id, previousEventId: id - 1, timestamp: this.now(), type, ...details } as HistoryEvent);
    for (const waiter of [...this.waiters]) waiter();
  }

  private close(execution: ExecutionRecord, status: ExecutionStatus, details: Partial<HistoryEvent>, fields: Partial<ExecutionRecord>): void {
    if (execution.status !== 'RUNNING') return;
    const type = ({ SUCCEEDED: 'ExecutionSucceeded', FAILED: 'ExecutionFailed', ABORTED: 'ExecutionAborted', TIMED_OUT: 'ExecutionTimedOut' } as const)[
      status as 'SUCCEEDED' | 'FAILED' | 'ABORTED' | 'TIMED_OUT'
    ];
    Object.assign(execution, { status, stopDate: this.now(), ...fields });
    this.tokens.closeExecution(execution.name);
    this.atGate.delete(execution.name);
    this.record(execution, type, details);
    for (const listener of [...this.closeListeners]) listener(execution);
  }

  /** Translates the run's events into history events until the execution ends. */
  private async follow(execution: ExecutionRecord, run: LocalRun, tasks: TaskCatalogue): Promise<void> {
    const json = (value: unknown): string => JSON.stringify(value ?? null);
    const invoke = (name: string, input: unknown): void => {
      const task = tasks[name];
      const timeout = task?.timeoutSeconds !== undefined ? { timeoutInSeconds: task.timeoutSeconds } : {};
      if (task?.lambda) {
        this.record(execution, 'LambdaFunctionScheduled', { lambdaFunctionScheduledEventDetails: { resource: task.resource, input: json(input), ...timeout } });
        this.record(execution, 'LambdaFunctionStarted');
      } else {
        const resource = task?.resource ?? 'unknown';
        this.record(execution, 'TaskScheduled', {
          taskScheduledEventDetails: { resourceType: resource.split(':')[5] ?? 'states', resource, region: 'us-east-1', parameters: json(input), ...timeout },
        });
        this.record(execution, 'TaskStarted', { taskStartedEventDetails: { resourceType: resource.split(':')[5] ?? 'states', resource } });
      }
    };
    const open = new Set<string>();
    for await (const event of run.eventLogs) {
      if (execution.status !== 'RUNNING') break;
      const state = event.state;
      if (state === undefined) continue;
      const isTask = state.type === 'Task';
      const lambda = tasks[state.name]?.lambda ?? false;
      const gate = tasks[state.name]?.resource === WAIT_FOR_TASK_TOKEN;
      switch (event.type) {
        case 'StateEntered':
          this.record(execution, `${state.type}StateEntered` as HistoryEvent['type'], { stateEnteredEventDetails: { name: state.name, input: json(state.input) } });
          if (gate) this.enterGate(execution.name);
          else if (isTask) invoke(state.name, state.input);
          if (isTask) open.add(state.name);
          break;
        case 'StateFailed':
          if (gate) this.leaveGate(execution.name);
          if (gate && open.delete(state.name) && event.Error === 'States.Timeout') {
            this.record(execution, 'TaskTimedOut', { taskTimedOutEventDetails: { resourceType: 'lambda', resource: 'invoke.waitForTaskToken', error: event.Error } });
          } else if (isTask && open.delete(state.name)) {
            const failure = { error: event.Error, cause: typeof event.Cause === 'string' ? event.Cause : json(event.Cause) };
            if (lambda) this.record(execution, 'LambdaFunctionFailed', { lambdaFunctionFailedEventDetails: failure });
            else this.record(execution, 'TaskFailed', { taskFailedEventDetails: { resourceType: 'states', resource: tasks[state.name]?.resource ?? 'unknown', ...failure } });
          }
          break;
        case 'StateRetried':
          if (isTask) {
            invoke(state.name, state.input);
            open.add(state.name);
          }
          break;
        case 'StateExited':
          if (gate) this.leaveGate(execution.name);
          if (isTask && open.delete(state.name)) {
            if (lambda) this.record(execution, 'LambdaFunctionSucceeded', { lambdaFunctionSucceededEventDetails: { output: json(state.output) } });
            else this.record(execution, 'TaskSucceeded', { taskSucceededEventDetails: { resourceType: 'states', resource: tasks[state.name]?.resource ?? 'unknown', output: json(state.output) } });
          }
          this.record(execution, `${state.type}StateExited` as HistoryEvent['type'], { stateExitedEventDetails: { name: state.name, output: json(state.output) } });
          break;
        default:
          break;
      }
    }
  }

  private enterGate(executionName: string): void {
    this.atGate.add(executionName);
    const early = this.openedEarly.get(executionName);
    this.openedEarly.delete(executionName);
    if (early !== undefined) this.recordGateScheduled(early);
  }

  /** The gate's Task ended (answered, timed out, failed): its token answers nothing any more. */
  private leaveGate(executionName: string): void {
    this.atGate.delete(executionName);
    this.tokens.closeExecution(executionName);
  }

  private list(status: string | undefined): ExecutionRecord[] {
    return [...this.executions.values()]
      .filter((e) => status === undefined || e.status === status)
      .sort((a, b) => (b.stopDate ?? b.startDate).getTime() - (a.stopDate ?? a.startDate).getTime());
  }

  private byArn(arn: unknown): ExecutionRecord {
    const record = [...this.executions.values()].find((e) => e.executionArn === arn);
    if (record === undefined) throw new ExecutionDoesNotExist({ message: `Execution Does Not Exist: '${String(arn)}'`, ...meta });
    return record;
  }

  /** Pages by offset; the token is the offset of the next page. */
  private page<T>(items: T[], input: Record<string, unknown>, defaultSize: number): { items: T[]; nextToken?: string } {
    const offset = Number(input.nextToken ?? 0);
    const size = Number(input.maxResults ?? 0) || defaultSize;
    const next = offset + size;
    return { items: items.slice(offset, next), ...(next < items.length ? { nextToken: String(next) } : {}) };
  }

  readonly service: InMemoryService = {
    serviceName: 'sfn',
    commands: {
      StartExecution: (input) => {
        if (input.stateMachineArn !== this.stateMachineArn) throw new Error(`The simulated Step Functions has no state machine ${String(input.stateMachineArn)}`);
        const record = this.start(input.input ?? '{}', String(input.name));
        return { executionArn: record.executionArn, startDate: record.startDate };
      },
      ListExecutions: (input) => {
        const { items, nextToken } = this.page(this.list(input.statusFilter as string | undefined), input, 100);
        return {
          executions: items.map((e) => ({
            executionArn: e.executionArn,
            stateMachineArn: this.stateMachineArn,
            name: e.name,
            status: e.status,
            startDate: e.startDate,
            ...(e.stopDate !== undefined ? { stopDate: e.stopDate } : {}),
          })),
          ...(nextToken !== undefined ? { nextToken } : {}),
        };
      },
      DescribeExecution: (input) => {
        const e = this.byArn(input.executionArn);
        return {
          executionArn: e.executionArn,
          stateMachineArn: this.stateMachineArn,
          name: e.name,
          status: e.status,
          startDate: e.startDate,
          input: e.input,
          ...(e.stopDate !== undefined ? { stopDate: e.stopDate } : {}),
          ...(e.output !== undefined ? { output: e.output } : {}),
          ...(e.error !== undefined ? { error: e.error } : {}),
          ...(e.cause !== undefined ? { cause: e.cause } : {}),
        };
      },
      GetExecutionHistory: (input) => {
        const e = this.byArn(input.executionArn);
        const ordered = input.reverseOrder === true ? [...e.history].reverse() : [...e.history];
        const { items, nextToken } = this.page(ordered, input, 100);
        return { events: items.map((event) => structuredClone(event)), ...(nextToken !== undefined ? { nextToken } : {}) };
      },
      SendTaskSuccess: (input) => {
        this.tokens.succeed(String(input.taskToken), String(input.output));
        return {};
      },
      SendTaskFailure: (input) => {
        this.tokens.fail(String(input.taskToken), String(input.error ?? ''), String(input.cause ?? ''));
        return {};
      },
      SendTaskHeartbeat: (input) => {
        this.tokens.heartbeat(String(input.taskToken));
        return {};
      },
      StopExecution: (input) => {
        const e = this.byArn(input.executionArn);
        // A closed execution is left as it ended (not verified against the service: callers must not rely on either answer).
        if (e.status === 'RUNNING') {
          const details = { error: input.error as string | undefined, cause: input.cause as string | undefined };
          this.close(e, 'ABORTED', { executionAbortedEventDetails: details }, details);
          this.aborts.get(e.name)?.();
        }
        return { stopDate: e.stopDate ?? this.now() };
      },
    },
  };
}
