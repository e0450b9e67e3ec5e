/**
 * Connects real AWS SDK v3 clients to an in-memory service: a middleware at the start of the client's
 * stack answers each command from the service instead of sending it, so callers run the real command
 * classes with the real inputs and get real SDK exception classes back.
 */
import type { InitializeHandlerArguments, MetadataBearer, MiddlewareStack } from '@smithy/types';

export type CommandHandler = (input: Record<string, unknown>) => unknown | Promise<unknown>;

export interface InMemoryService {
  /** Handlers keyed by command name without the "Command" suffix, e.g. "UpdateAlias". */
  readonly commands: Readonly<Record<string, CommandHandler>>;
  readonly serviceName: string;
}

/** An error the world raises: before the command runs (throttling, faults), or after it ran (an answer lost). */
export interface InjectedFault {
  readonly error: Error;
  readonly afterApplying: boolean;
}

/** The fault for a call, or null to let it run. */
export type FaultInjector = (service: string, operation: string) => InjectedFault | null;

export interface CallRecord {
  readonly service: string;
  readonly operation: string;
  readonly input: Record<string, unknown>;
  readonly error?: string;
  /** True when the error was injected by a fault, not raised by the service. */
  readonly injected?: boolean;
}

export interface ConnectOptions {
  readonly faults?: FaultInjector;
  readonly calls?: CallRecord[];
  /** Runs before each call reaches the service (the simulator brings its traffic up to the present). */
  readonly beforeCall?: (service: string, operation: string) => void;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyClient = { middlewareStack: MiddlewareStack<any, any> };

export function connect(
  client: AnyClient,
  service: InMemoryService,
  options: ConnectOptions = {},
): void {
  client.middlewareStack.add(
    (_next, context) => async (args: InitializeHandlerArguments<object>) => {
      const operation = String(context.commandName ?? '').replace(/Command$/, '');
      const input = args.input as Record<string, unknown>;
      const record = (error?: string, injected = false): void => {
        options.calls?.push({ service: service.serviceName, operation, input, ...(error ? { error } : {}), ...(injected ? { injected } : {}) });
      };
      options.beforeCall?.(service.serviceName, operation);
      const fault = options.faults?.(service.serviceName, operation) ?? null;
      if (fault !== null && !fault.afterApplying) {
        record(fault.error.name, true);
        throw fault.error;
      }
      const handler = service.commands[operation];
      if (handler === undefined) {
        throw new Error(`The simulated ${service.serviceName} does not implement ${operation}`);
      }
      let output: MetadataBearer;
      try {
        output = (await handler(input)) as MetadataBearer;
      } catch (error) {
        record(error instanceof Error ? error.name : 'Error');
        throw error;
      }
      if (fault !== null) {
        record(fault.error.name, true);
        throw fault.error;
      }
      record();
      return { output: { ...output, $metadata: { httpStatusCode: 200 } }, response: {} };
    },
    { step: 'initialize', name: 'coalmineInMemoryService', priority: 'high' },
  );
}
