/**
 * Runs statemachines/canary.asl.yaml as written with aws-local-stepfunctions, each Task bound to the
 * real Lambda handler that serverless.yml deploys for it. Used by the state-machine tests and the
 * simulator: both exercise the same definition that ships.
 */
import '../shared/polyfills';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { eventBridgeClient } from '../shared/aws/eventbridge';
import { StateMachine, type RunOptions, type StateMachineDefinition } from 'aws-local-stepfunctions';
import type { LambdaHandler } from '../shared/handler';
import { localContext } from './local-context';
import { DEFINITION_PATH, type Definition, type StateDefinition } from './definition';
import { handler as preflight } from '../functions/preflight';
import { handler as shiftTraffic } from '../functions/shift-traffic';
import { handler as verifyTraffic } from '../functions/verify-traffic';
import { handler as analyzeCanary } from '../functions/analyze-canary';
import { handler as promote } from '../functions/promote';
import { handler as rollBack } from '../functions/roll-back';
import { handler as announceGate } from '../functions/announce-gate';
import { handler as runHook } from '../functions/run-hook';
import { WAIT_FOR_TASK_TOKEN, type TaskTokens } from './world/task-tokens';
import { messageOf } from '../shared/errors';

export { DEFINITION_PATH, readDefinition } from './definition';

/** The Lambda functions the state machine's Tasks call, by their key in serverless.yml. */
export const TASK_FUNCTIONS: Readonly<Record<string, LambdaHandler<never, unknown>>> = {
  preflight,
  shiftTraffic,
  verifyTraffic,
  analyzeCanary,
  promote,
  rollBack,
  announceGate,
  runHook,
};


/**
 * Step Functions service integrations the definition uses, run the way the service runs them: the
 * state's Parameters become the API call's input, sent through the installed AWS clients.
 */
const SERVICE_INTEGRATIONS: Readonly<Record<string, (parameters: Record<string, unknown>) => Promise<unknown>>> = {
  'arn:aws:states:::events:putEvents': async (parameters) => {
    const entries = (parameters.Entries as Array<Record<string, unknown>>).map((entry) => ({
      ...entry,
      // The integration takes Detail as JSON; the API takes it as a string.
      Detail: typeof entry.Detail === 'string' ? entry.Detail : JSON.stringify(entry.Detail),
    }));
    const { Entries, FailedEntryCount } = await eventBridgeClient().send(new PutEventsCommand({ Entries: entries }));
    return { Entries, FailedEntryCount };
  },
};

/** Local executions' ARNs: the world's state machine (sim/world/sfn.ts), execution named after the run. */
export const LOCAL_EXECUTION_ARN_PREFIX = 'arn:aws:states:us-east-1:000000000000:execution:coalmine-local-canary:';

/** The stack's bus in local runs: the state machine's announcements and the reconciler's go to it. */
export const LOCAL_EVENT_BUS_NAME = 'coalmine';

/** Serverless variables in the definition and the values local runs give them. */
const LOCAL_VARIABLES: Readonly<Record<string, string>> = {
  '${self:custom.eventBusName}': LOCAL_EVENT_BUS_NAME,
};


/** The definition with its serverless variables given their local values. */
function readLocalDefinition(): Definition {
  let text = readFileSync(DEFINITION_PATH, 'utf8');
  for (const [variable, value] of Object.entries(LOCAL_VARIABLES)) text = text.split(variable).join(value);
  return parse(text) as Definition;
}

/** The serverless.yml function key a Task's `Resource: {Fn::GetAtt: [key, Arn]}` names. */
export function functionKeyOf(state: StateDefinition): string {
  const resource = state.Resource as { 'Fn::GetAtt'?: [string, string] } | undefined;
  const key = resource?.['Fn::GetAtt']?.[0];
  if (key === undefined) throw new Error(`Task without a Fn::GetAtt resource: ${JSON.stringify(state.Resource)}`);
  return key;
}

/**
 * A Lambda error reaches Step Functions as Error = the error's name and Cause = the JSON Lambda writes
 * ({errorType, errorMessage}); this reproduces that for in-process handlers.
 */
class LambdaTaskError extends Error {
  constructor(error: unknown) {
    const name = error instanceof Error ? error.name : 'Error';
    const message = messageOf(error);
    super(JSON.stringify({ errorType: name, errorMessage: message }));
    this.name = name;
  }
}

/**
 * `path` into a state's input, as the same value's path into the input its Parameters make: the Parameters
 * entry `"key.$": P` whose P the path starts with. Throws when no entry passes the value on.
 */
export function pathThroughParameters(parameters: unknown, path: string, at = '$'): string {
  if (typeof parameters !== 'object' || parameters === null) throw new Error(`No Parameters entry passes ${path} on`);
  for (const [key, value] of Object.entries(parameters as Record<string, unknown>)) {
    if (key.endsWith('.$') && typeof value === 'string' && (path === value || path.startsWith(`${value}.`))) return `${at}.${key.slice(0, -2)}${path.slice(value.length)}`;
    if (typeof value === 'object' && value !== null) {
      try {
        return pathThroughParameters(value, path, `${at}.${key}`);
      } catch {
        // Not under this key.
      }
    }
  }
  throw new Error(`No Parameters entry passes ${path} on`);
}

export interface LocalMachine {
  readonly machine: StateMachine;
  /** Task state name → serverless.yml function key. */
  readonly taskFunctions: Readonly<Record<string, string>>;
  /** `.waitForTaskToken` Task state name → the serverless.yml key of the function its Parameters invoke. */
  readonly gateFunctions: Readonly<Record<string, string>>;
  /** Task state name → service integration ARN. */
  readonly serviceTasks: Readonly<Record<string, string>>;
  readonly waitStates: readonly string[];
  readonly retryStates: readonly string[];
}

export interface LoadOptions {
  /**
   * Validate the definition with asl-validator (about a second). The simulator skips it: the definition
   * tests validate the same file, and every command-line run would pay for it again.
   */
  readonly validate?: boolean;
}

export function loadLocalMachine(options: LoadOptions = {}): LocalMachine {
  const definition = readLocalDefinition();
  const taskFunctions: Record<string, string> = {};
  const gateFunctions: Record<string, string> = {};
  const serviceTasks: Record<string, string> = {};
  for (const [name, state] of Object.entries(definition.States)) {
    if (state.Type !== 'Task') continue;
    if (state.Resource === WAIT_FOR_TASK_TOKEN) {
      gateFunctions[name] = functionKeyOf({ Type: 'Task', Resource: (state.Parameters as { FunctionName?: unknown } | undefined)?.FunctionName });
      // The emulator reads TimeoutSecondsPath from the input its Parameters made; Step Functions from the state's input.
      if (typeof state.TimeoutSecondsPath === 'string') state.TimeoutSecondsPath = pathThroughParameters(state.Parameters, state.TimeoutSecondsPath);
      continue;
    }
    if (typeof state.Resource === 'string') {
      if (SERVICE_INTEGRATIONS[state.Resource] === undefined) throw new Error(`No local service integration for ${state.Resource}`);
      serviceTasks[name] = state.Resource;
      continue;
    }
    const key = functionKeyOf(state);
    taskFunctions[name] = key;
    // The emulator wants an ARN; the handler bound below replaces the call anyway.
    state.Resource = `arn:aws:lambda:us-east-1:000000000000:function:coalmine-${key}`;
  }
  const states = Object.entries(definition.States);
  return {
    machine: new StateMachine(
      definition as unknown as StateMachineDefinition,
      options.validate === false ? { validationOptions: { noValidate: true } } : undefined,
    ),
    taskFunctions,
    gateFunctions,
    serviceTasks,
    waitStates: states.filter(([, s]) => s.Type === 'Wait').map(([n]) => n),
    retryStates: states.filter(([, s]) => Array.isArray(s.Retry)).map(([n]) => n),
  };
}

export interface LocalRunOptions {
  readonly executionName?: string;
  /** Real waits by default; tests and the simulator pass 0 ms (the simulator's clock is virtual). */
  readonly waitMilliseconds?: number;
  readonly retryMilliseconds?: number;
  /** Called before each task, e.g. to advance a virtual clock or count calls. */
  readonly beforeTask?: (stateName: string, input: unknown) => void | Promise<void>;
  /** Called when a task's handler has returned or thrown, after its beforeTask (the simulator's clock waits for it). */
  readonly afterTask?: (stateName: string) => void;
  /**
   * The tokens of `.waitForTaskToken` Tasks (the in-memory Step Functions'): each such Task gets a new one as
   * `$$.Task.Token`, invokes its function, and waits until the token is answered. Needed by a run that reaches a gate.
   */
  readonly taskTokens?: TaskTokens;
  /** Runs each Lambda task's handler (`invoke`); the simulator strikes some with faults (sim/task-faults.ts). */
  readonly runTask?: (stateName: string, invoke: () => Promise<unknown>) => Promise<unknown>;
}

/** A Lambda handler run in process (through `runTask` when given), its failure reaching Step Functions as a Lambda error does. */
async function invokeLocally(key: string, input: never, stateName: string, runTask: LocalRunOptions['runTask']): Promise<unknown> {
  const handler = TASK_FUNCTIONS[key];
  if (handler === undefined) throw new Error(`No handler for function ${key}`);
  const invoke = (): Promise<unknown> => handler(input, localContext(key));
  try {
    return await (runTask === undefined ? invoke() : runTask(stateName, invoke));
  } catch (error) {
    throw new LambdaTaskError(error);
  }
}

export function runLocally(local: LocalMachine, input: unknown, options: LocalRunOptions = {}) {
  const handlers: Record<string, (input: never) => Promise<unknown>> = {};
  for (const [stateName, key] of Object.entries(local.taskFunctions)) {
    if (TASK_FUNCTIONS[key] === undefined) throw new Error(`No handler for function ${key} (state ${stateName})`);
    handlers[stateName] = async (taskInput: never) => {
      await options.beforeTask?.(stateName, taskInput);
      try {
        return await invokeLocally(key, taskInput, stateName, options.runTask);
      } finally {
        options.afterTask?.(stateName);
      }
    };
  }
  const executionName = options.executionName ?? 'local-execution';
  for (const [stateName, key] of Object.entries(local.gateFunctions)) {
    handlers[stateName] = async (parameters: never) => {
      const tokens = options.taskTokens;
      if (tokens === undefined) throw new Error(`The run reached the gate ${stateName} without task tokens to wait on (LocalRunOptions.taskTokens)`);
      const { Payload } = parameters as { Payload: { taskToken: string } };
      await options.beforeTask?.(stateName, parameters);
      let answered: Promise<unknown>;
      try {
        answered = tokens.wait(Payload.taskToken, executionName, parameters);
        await invokeLocally(key, Payload as never, stateName, options.runTask);
      } finally {
        // The function has returned: the wait for a person is not work in progress, and time moves on.
        options.afterTask?.(stateName);
      }
      return answered;
    };
  }
  for (const [stateName, resource] of Object.entries(local.serviceTasks)) {
    const integration = SERVICE_INTEGRATIONS[resource] as (parameters: Record<string, unknown>) => Promise<unknown>;
    handlers[stateName] = async (parameters: never) => {
      await options.beforeTask?.(stateName, parameters);
      try {
        return await integration(parameters);
      } finally {
        options.afterTask?.(stateName);
      }
    };
  }
  const overrides: RunOptions['overrides'] = {
    taskResourceLocalHandlers: handlers as NonNullable<RunOptions['overrides']>['taskResourceLocalHandlers'],
  };
  if (options.waitMilliseconds !== undefined) {
    overrides.waitTimeOverrides = Object.fromEntries(local.waitStates.map((s) => [s, options.waitMilliseconds ?? 0]));
  }
  if (options.retryMilliseconds !== undefined) {
    overrides.retryIntervalOverrides = Object.fromEntries(local.retryStates.map((s) => [s, options.retryMilliseconds ?? 0]));
  }
  return local.machine.run(input as never, {
    overrides,
    context: {
      // A getter: every Task that reads $$.Task.Token gets a token of its own, as in the service.
      Task: {
        get Token(): string | undefined {
          return options.taskTokens?.mint();
        },
      },
      Execution: {
        // $$.Execution.Id, as the world's Step Functions names this run (sim/world/sfn.ts).
        Id: `${LOCAL_EXECUTION_ARN_PREFIX}${executionName}`,
        Name: executionName,
        StartTime: new Date().toISOString(),
        Input: input as never,
      },
    },
  });
}
