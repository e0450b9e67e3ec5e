/**
 * The rollouts running now, as a person names them (in Slack or on the command line): by the rollout's
 * `name`, its target (`function:alias`), or the execution's name. Reading uses the execution readers
 * (shared/executions); matching a target against them is pure.
 */
import { functionNameOf } from '../config/target-facts';
import { rolloutStartOf, type RolloutStart } from '../executions/history';
import { executionNameOf } from '../executions/arn';
import { listRunningExecutions, readHistoryHead } from '../executions/sfn';
import { routerKindFor } from '../routers/registry';

export interface RunningRollout {
  readonly executionArn: string;
  readonly executionName: string;
  readonly startedAt?: Date;
  readonly start: RolloutStart;
}

/** Every RUNNING execution of the canary state machine with the rollout its history names, most recent first. */
export async function listRunningRollouts(stateMachineArn: string): Promise<RunningRollout[]> {
  const executions = await listRunningExecutions(stateMachineArn);
  return Promise.all(
    executions.map(async (execution) => {
      const executionArn = execution.executionArn ?? '';
      return {
        executionArn,
        executionName: execution.name ?? executionNameOf(executionArn),
        ...(execution.startDate !== undefined ? { startedAt: execution.startDate } : {}),
        start: rolloutStartOf(await readHistoryHead(executionArn)),
      };
    }),
  );
}

export interface RolloutLabels {
  /** The request's `name`, or the target's short description once planned. */
  readonly name?: string;
  /** The target as people write it: "checkout:live", "kvs/<id>". */
  readonly target?: string;
  /** Other spellings of the target that name it unambiguously (a function given by ARN, named by its short name). */
  readonly aliases: readonly string[];
}

/** How a rollout may be named. Before preflight has planned it, the raw request is read as far as it goes. */
export function labelsOf(start: RolloutStart): RolloutLabels {
  if (start.stage === 'planned') {
    const { target } = start.rollout.request;
    const described = routerKindFor(target).describe(target);
    const aliases = target.type === 'lambda-alias' ? [`${functionNameOf(target.functionName)}:${target.alias}`] : [];
    return { name: start.rollout.name, target: described, aliases: aliases.filter((a) => a !== described) };
  }
  if (start.stage !== 'preflight') return { aliases: [] };
  const request = (start.request ?? {}) as { name?: unknown; target?: { type?: unknown; functionName?: unknown; alias?: unknown } };
  const name = typeof request.name === 'string' ? request.name : undefined;
  const { functionName, alias, type } = request.target ?? {};
  const target =
    type === 'lambda-alias' && typeof functionName === 'string' && typeof alias === 'string'
      ? `${functionNameOf(functionName)}:${alias}`
      : undefined;
  return { ...(name !== undefined ? { name } : {}), ...(target !== undefined ? { target } : {}), aliases: [] };
}

/** How a rollout is shown: its name, else its target, else its execution. */
export function displayNameOf(rollout: RunningRollout): string {
  const labels = labelsOf(rollout.start);
  return labels.name ?? labels.target ?? rollout.executionName;
}

export type TargetMatch =
  | { readonly kind: 'found'; readonly rollout: RunningRollout }
  /** No rollout is running at all. */
  | { readonly kind: 'nothing-running' }
  /** Rollouts are running, but none by that name. */
  | { readonly kind: 'unknown'; readonly running: readonly RunningRollout[] }
  /** Several running rollouts answer to that name (two requests with the same `name`). */
  | { readonly kind: 'ambiguous'; readonly matches: readonly RunningRollout[] };

/** Whether `target` is the rollout's name or its target (any of its spellings). */
export function answersTo(rollout: RunningRollout, target: string): boolean {
  const labels = labelsOf(rollout.start);
  return labels.name === target || labels.target === target || labels.aliases.includes(target);
}

/**
 * Finds the running rollout `target` names. An execution name or ARN wins (it is unique); otherwise the rollout's
 * name or target must pick out exactly one. Names are compared exactly: Lambda names are case-sensitive.
 */
export function resolveTarget(target: string, running: readonly RunningRollout[]): TargetMatch {
  if (running.length === 0) return { kind: 'nothing-running' };
  const byExecution = running.find((r) => r.executionName === target || r.executionArn === target);
  if (byExecution !== undefined) return { kind: 'found', rollout: byExecution };
  const matches = running.filter((r) => answersTo(r, target));
  if (matches.length === 0) return { kind: 'unknown', running };
  if (matches.length > 1) return { kind: 'ambiguous', matches };
  return { kind: 'found', rollout: matches[0]! };
}

