/**
 * The task tokens of the in-memory Step Functions: a `.waitForTaskToken` Task opens one and waits;
 * SendTaskSuccess, SendTaskFailure and SendTaskHeartbeat answer it as the service does. A token answers
 * once; once its Task has ended (answered, timed out, or its execution stopped) every answer fails with
 * TaskTimedOut, as the service says "Provided task does not exist anymore"; a token never opened is
 * InvalidToken.
 */
import { InvalidToken, TaskTimedOut } from '@aws-sdk/client-sfn';
import { randomUUID } from 'node:crypto';

const meta = { $metadata: {} };

/** The `.waitForTaskToken` Lambda integration: the Task invokes FunctionName with Payload, then waits for its token to be answered. */
export const WAIT_FOR_TASK_TOKEN = 'arn:aws:states:::lambda:invoke.waitForTaskToken';

/** What the waiting Task receives when a person (or a test) answers its token. */
export type TaskAnswer = { readonly kind: 'success'; readonly output: unknown } | { readonly kind: 'failure'; readonly error: string; readonly cause: string };

/** A Task's failure as the local emulator hands it to Retry and Catch: the error's name, the cause as its message. */
export class TaskFailure extends Error {
  constructor(error: string, cause: string) {
    super(cause);
    this.name = error;
  }
}

interface OpenToken {
  readonly executionName: string;
  readonly parameters: unknown;
  readonly settle: (answer: TaskAnswer) => void;
  heartbeats: number;
}

export interface OpenedToken {
  readonly token: string;
  readonly executionName: string;
  /** The Task's Parameters, as its TaskScheduled event records them. */
  readonly parameters: unknown;
}

export class TaskTokens {
  private readonly open = new Map<string, OpenToken>();
  private readonly closed = new Set<string>();
  private readonly listeners: Array<(opened: OpenedToken) => void> = [];

  /** A new token, as the service makes one for each Task it schedules (`$$.Task.Token`). */
  mint(): string {
    return `local-task-token-${randomUUID()}`;
  }

  /** The Task with `token` waits; resolves with its output on success, rejects as the Task's error on failure. */
  wait(token: string, executionName: string, parameters: unknown): Promise<unknown> {
    const answer = new Promise<TaskAnswer>((settle) => {
      this.open.set(token, { executionName, parameters, settle, heartbeats: 0 });
    });
    for (const listener of [...this.listeners]) listener({ token, executionName, parameters });
    return answer.then((a) => {
      if (a.kind === 'failure') throw new TaskFailure(a.error, a.cause);
      return a.output;
    });
  }

  /** Calls `listener` whenever a Task opens a token (the history records its TaskScheduled then). */
  onOpened(listener: (opened: OpenedToken) => void): () => void {
    this.listeners.push(listener);
    return () => this.listeners.splice(this.listeners.indexOf(listener), 1);
  }

  /** The tokens that wait now, oldest first. */
  waiting(): OpenedToken[] {
    return [...this.open.entries()].map(([token, open]) => ({ token, executionName: open.executionName, parameters: open.parameters }));
  }

  /**
   * The Tasks of `executionName` ended without an answer (timed out, or the execution ended): their tokens
   * answer nothing now. Their waits end too, so that nothing of the run is left pending (its timeout timer).
   */
  closeExecution(executionName: string): void {
    for (const [token, open] of this.open) {
      if (open.executionName !== executionName) continue;
      this.open.delete(token);
      this.closed.add(token);
      open.settle({ kind: 'failure', error: 'States.Runtime', cause: 'The Task ended without an answer' });
    }
  }

  succeed(token: string, output: string): void {
    this.answer(token, { kind: 'success', output: JSON.parse(output) as unknown });
  }

  fail(token: string, error: string, cause: string): void {
    this.answer(token, { kind: 'failure', error, cause });
  }

  heartbeat(token: string): void {
    this.take(token, false).heartbeats += 1;
  }

  private answer(token: string, answer: TaskAnswer): void {
    this.take(token, true).settle(answer);
  }

  private take(token: string, remove: boolean): OpenToken {
    const open = this.open.get(token);
    if (open === undefined) {
      if (this.closed.has(token)) throw new TaskTimedOut({ message: 'Task Timed Out: Provided task does not exist anymore', ...meta });
      throw new InvalidToken({ message: 'Invalid Token: the token was not issued by this state machine', ...meta });
    }
    if (remove) {
      this.open.delete(token);
      this.closed.add(token);
    }
    return open;
  }
}
