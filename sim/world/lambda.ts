/**
 * An in-memory Lambda: functions, published versions, and aliases with weighted routing and RevisionId
 * compare-and-swap, as the Lambda API documents them. The simulator routes invocations with the
 * weights stored here, so traffic follows exactly what the rollout wrote.
 */
import {
  InvalidParameterValueException,
  PreconditionFailedException,
  ResourceNotFoundException,
} from '@aws-sdk/client-lambda';
import { functionNameOf } from '../../shared/config/target-facts';
import type { InMemoryService } from './sdk-bridge';

export interface AliasRecord {
  functionVersion: string;
  weights: Record<string, number>;
  revisionId: string;
  /** What UpdateAlias last set as the description (a restore's record, shared/routers/restore-record.ts). */
  description?: string;
}

interface FunctionRecord {
  versions: Map<string, { state: 'Active' | 'Pending' | 'Failed' }>;
  aliases: Map<string, AliasRecord>;
}

/**
 * A hook function in the world (request.hooks): gets the payload coalmine sends, answers as the function
 * would. A throw is the function's error: Lambda answers FunctionError "Unhandled" with {errorType, errorMessage}.
 */
export type HookFunction = (payload: unknown) => unknown | Promise<unknown>;

export interface AliasChange {
  readonly functionName: string;
  readonly alias: string;
  readonly functionVersion: string;
  readonly weights: Readonly<Record<string, number>>;
}

const meta = { $metadata: {} };


export class LambdaWorld {
  private readonly functions = new Map<string, FunctionRecord>();
  private revision = 0;
  /** Every alias write, in order: what the simulator's traffic may be routed by. */
  readonly aliasChanges: AliasChange[] = [];
  /** Weights as a list, per weights object; every write replaces the object, so entries never go stale. */
  private readonly routingTables = new WeakMap<object, Array<[string, number]>>();
  private readonly changeListeners: Array<(change: AliasChange) => void> = [];
  private readonly hookFunctions = new Map<string, HookFunction>();
  /** Every hook invocation's payload, in order, by function name. */
  readonly hookInvocations: Array<{ readonly functionName: string; readonly payload: unknown }> = [];

  /** Deploys a function that coalmine invokes as a hook. */
  addHookFunction(name: string, fn: HookFunction): this {
    this.hookFunctions.set(name, fn);
    return this;
  }

  /** Runs `listener` after every alias write, with what was written; returns the undo. */
  onAliasChange(listener: (change: AliasChange) => void): () => void {
    this.changeListeners.push(listener);
    return () => {
      const i = this.changeListeners.indexOf(listener);
      if (i >= 0) this.changeListeners.splice(i, 1);
    };
  }

  addFunction(name: string, versions: readonly string[], state: 'Active' | 'Pending' | 'Failed' = 'Active'): this {
    this.functions.set(name, {
      versions: new Map(versions.map((v) => [v, { state }])),
      aliases: new Map(),
    });
    return this;
  }

  addAlias(functionName: string, alias: string, functionVersion: string, weights: Record<string, number> = {}): this {
    this.fn(functionName).aliases.set(alias, { functionVersion, weights: { ...weights }, revisionId: this.nextRevision() });
    return this;
  }

  alias(functionName: string, alias: string): Readonly<AliasRecord> {
    const record = this.fn(functionName).aliases.get(alias);
    if (record === undefined) throw this.notFound(`Alias not found: ${functionName}:${alias}`);
    return record;
  }

  /** Changes an alias behind the rollout's back (another operator, another tool). */
  overwriteAlias(functionName: string, alias: string, functionVersion: string, weights: Record<string, number> = {}): void {
    this.addAlias(functionName, alias, functionVersion, weights);
  }

  /** The version one invocation of the alias runs, for a uniform draw u in [0, 1). */
  route(functionName: string, alias: string, u: number): string {
    const record = this.alias(functionName, alias);
    let table = this.routingTables.get(record.weights);
    if (table === undefined) {
      // Once per alias state, not per request: listing an object keyed by version numbers is slow.
      table = Object.entries(record.weights);
      this.routingTables.set(record.weights, table);
    }
    let threshold = 0;
    for (const [version, weight] of table) {
      threshold += weight;
      if (u < threshold) return version;
    }
    return record.functionVersion;
  }

  readonly service: InMemoryService = {
    serviceName: 'lambda',
    commands: {
      GetFunctionConfiguration: (input) => {
        const name = functionNameOf(String(input.FunctionName));
        const qualifier = String(input.Qualifier ?? '$LATEST');
        const version = this.fn(name).versions.get(qualifier);
        if (version === undefined) throw this.notFound(`Function not found: ${name}:${qualifier}`);
        return { FunctionName: name, Version: qualifier, State: version.state };
      },
      GetAlias: (input) => this.describe(functionNameOf(String(input.FunctionName)), String(input.Name)),
      Invoke: async (input) => {
        const name = functionNameOf(String(input.FunctionName));
        const fn = this.hookFunctions.get(name);
        if (fn === undefined) throw this.notFound(`Function not found: ${name}`);
        const payload: unknown = JSON.parse(new TextDecoder().decode(input.Payload as Uint8Array));
        this.hookInvocations.push({ functionName: name, payload });
        const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
        try {
          return { StatusCode: 200, ExecutedVersion: '$LATEST', Payload: encode((await fn(payload)) ?? null) };
        } catch (error) {
          const thrown = error instanceof Error ? error : new Error(String(error));
          return { StatusCode: 200, ExecutedVersion: '$LATEST', FunctionError: 'Unhandled', Payload: encode({ errorType: thrown.name, errorMessage: thrown.message }) };
        }
      },
      UpdateAlias: (input) => {
        const name = functionNameOf(String(input.FunctionName));
        const aliasName = String(input.Name);
        const record = this.alias(name, aliasName);
        if (input.RevisionId !== undefined && input.RevisionId !== record.revisionId) {
          throw new PreconditionFailedException({
            message: 'The RevisionId provided does not match the latest RevisionId for the Lambda function or alias.',
            ...meta,
          });
        }
        const functionVersion = String(input.FunctionVersion ?? record.functionVersion);
        const routing = input.RoutingConfig as { AdditionalVersionWeights?: Record<string, number> } | undefined;
        const weights = routing === undefined ? record.weights : { ...(routing.AdditionalVersionWeights ?? {}) };
        this.validateRouting(name, functionVersion, weights);
        Object.assign(record, { functionVersion, weights, revisionId: this.nextRevision(), ...(input.Description !== undefined ? { description: String(input.Description) } : {}) });
        const change = { functionName: name, alias: aliasName, functionVersion, weights: { ...weights } };
        this.aliasChanges.push(change);
        for (const listener of this.changeListeners) listener(change);
        return this.describe(name, aliasName);
      },
    },
  };

  private validateRouting(name: string, functionVersion: string, weights: Record<string, number>): void {
    const entries = Object.entries(weights);
    if (entries.length > 1) {
      throw new InvalidParameterValueException({ message: 'Only one additional version may be routed.', ...meta });
    }
    for (const [version, weight] of entries) {
      if (!this.fn(name).versions.has(version)) throw this.notFound(`Function not found: ${name}:${version}`);
      if (version === functionVersion || !(weight >= 0 && weight <= 1)) {
        throw new InvalidParameterValueException({ message: `Invalid routing weight for version ${version}`, ...meta });
      }
    }
    if (!this.fn(name).versions.has(functionVersion)) throw this.notFound(`Function not found: ${name}:${functionVersion}`);
  }

  private describe(name: string, aliasName: string) {
    const record = this.alias(name, aliasName);
    return {
      AliasArn: `arn:aws:lambda:us-east-1:000000000000:function:${name}:${aliasName}`,
      Name: aliasName,
      FunctionVersion: record.functionVersion,
      RevisionId: record.revisionId,
      RoutingConfig: Object.keys(record.weights).length > 0 ? { AdditionalVersionWeights: { ...record.weights } } : undefined,
      ...(record.description !== undefined ? { Description: record.description } : {}),
    };
  }

  private fn(name: string): FunctionRecord {
    const record = this.functions.get(name);
    if (record === undefined) throw this.notFound(`Function not found: ${name}`);
    return record;
  }

  private notFound(message: string): ResourceNotFoundException {
    return new ResourceNotFoundException({ message, ...meta });
  }

  private nextRevision(): string {
    this.revision += 1;
    return `rev-${this.revision}`;
  }
}
