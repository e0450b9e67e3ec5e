import { ExecutionError } from 'aws-local-stepfunctions';
import { AwsWorld } from '../../sim/world';
import { loadLocalMachine, runLocally, type LocalMachine, type LocalRunOptions } from '../../sim/local-execution';

let machine: LocalMachine | undefined;
/** Construction validates the definition (~200 ms): once per test file. */
export function localMachine(): LocalMachine {
  machine ??= loadLocalMachine();
  return machine;
}

export interface ExecutionOutcome {
  readonly status: 'SUCCEEDED' | 'FAILED';
  readonly output?: Record<string, unknown>;
  readonly error?: string;
  readonly cause?: string;
  /** States entered plus retries: what Step Functions bills as state transitions. */
  readonly transitions: number;
  readonly statesEntered: string[];
}

export async function execute(
  input: unknown,
  options: Pick<LocalRunOptions, 'executionName' | 'beforeTask'> = {},
): Promise<ExecutionOutcome> {
  const execution = runLocally(localMachine(), input, { ...options, waitMilliseconds: 0, retryMilliseconds: 0 });
  const statesEntered: string[] = [];
  let retries = 0;
  const collect = (async () => {
    for await (const event of execution.eventLogs) {
      if (event.type === 'StateEntered') statesEntered.push(event.state.name);
      if (event.type === 'StateRetried') retries += 1;
    }
  })();
  try {
    const output = (await execution.result) as Record<string, unknown>;
    await collect;
    return { status: 'SUCCEEDED', output, transitions: statesEntered.length + retries, statesEntered };
  } catch (error) {
    await collect;
    if (!(error instanceof ExecutionError)) throw error;
    // The emulator wraps the Fail state's error: its name is the execution's Error, its message the Cause.
    const failure = error.cause as Error;
    return { status: 'FAILED', error: failure.name, cause: failure.message, transitions: statesEntered.length + retries, statesEntered };
  }
}

export function lambdaWorld(): AwsWorld {
  const world = new AwsWorld();
  world.lambda.addFunction('checkout', ['40', '41', '42']).addAlias('checkout', 'live', '41');
  world.cloudwatch.addAlarm('checkout-errors').addAlarm('checkout-p99-latency');
  return world;
}

export const request = (strategy: object = { preset: 'canary10-5m' }, extra: object = {}) => ({
  target: { type: 'lambda-alias', functionName: 'checkout', alias: 'live', version: '42' },
  strategy,
  // These executions serve no traffic: alarms alone decide (the minimum sample is tested in test/unit/minimum-sample.test.ts).
  analysis: { alarms: ['checkout-errors', 'checkout-p99-latency'], minCanaryRequests: 0 },
  ...extra,
});
