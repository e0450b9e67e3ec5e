/**
 * Faults of the Lambda tasks themselves, not of the AWS calls they make: a crash (the function's process
 * exits: Step Functions sees `Runtime.ExitError`), a hang (the invocation never answers, and the Task's
 * TimeoutSeconds ends it with `States.Timeout`), and a malformed answer (`{}`, as a function of another
 * version might give: the states after it may fail with `States.Runtime`, which no Catch handles). A crash or
 * a hang strikes before the handler's work or after it (the writes took effect, the answer is lost); a
 * malformed answer always comes after the work. Registered by the `task-fault` scenario event; the simulator runs
 * every Task handler through `run`.
 */

export type TaskFaultKind = 'crash' | 'timeout' | 'malformed';

export interface TaskFault {
  /** The Task state of statemachines/canary.asl.yaml, e.g. "ShiftTraffic". */
  readonly state: string;
  readonly fault: TaskFaultKind;
  /** How many invocations of the state it strikes. */
  readonly times: number;
  /** Strike after the handler has done its work (its writes stand), instead of before. */
  readonly afterWork: boolean;
}

/** Lambda's longest run: a hung invocation ends after this at the latest. */
const LAMBDA_MAX_RUN_MS = 900_000;

/** What Lambda reports for a function whose process exited. */
class TaskCrashed extends Error {}
Object.defineProperty(TaskCrashed.prototype, 'name', { value: 'Runtime.ExitError' });

export class TaskFaults {
  private readonly pending: Array<TaskFault & { remaining: number }> = [];
  /** Invocations struck, in order. */
  readonly struck: Array<{ readonly state: string; readonly fault: TaskFaultKind; readonly atMs: number }> = [];

  inject(fault: TaskFault): void {
    this.pending.push({ ...fault, remaining: fault.times });
  }

  /**
   * Runs one invocation of `state`'s handler (`work`), struck by the next pending fault of that state if any.
   * `idle` waits on the virtual clock without holding time back (a hung invocation is not working).
   */
  async run(state: string, work: () => Promise<unknown>, idle: (ms: number) => Promise<void>): Promise<unknown> {
    const fault = this.pending.find((f) => f.state === state && f.remaining > 0);
    if (fault === undefined) return work();
    fault.remaining -= 1;
    this.struck.push({ state, fault: fault.fault, atMs: Date.now() });
    if (fault.afterWork || fault.fault === 'malformed') await work();
    if (fault.fault === 'malformed') return {};
    if (fault.fault === 'crash') throw new TaskCrashed(`Simulated crash of the ${state} invocation${fault.afterWork ? ' after its work' : ''}: the process exited`);
    await idle(LAMBDA_MAX_RUN_MS);
    throw new TaskCrashed(`Simulated hang of the ${state} invocation: Lambda ended it at its timeout`);
  }
}
