/**
 * What a command talks to: output streams, standard input and the clock it waits by, injectable so tests
 * and the simulator run the CLI in process.
 */
import type { Outcome } from '../shared/executions/story';
import type { RollbackClock } from '../shared/outside-rollback';

export interface CliIo {
  /** Writes one line (without its newline) to standard output. */
  out(line: string): void;
  /** Writes one line to standard error. */
  err(line: string): void;
  /** Reads all of standard input; null when it is a terminal (nothing piped in). */
  readStdin(): Promise<string | null>;
  /** Present when standard output is a terminal: a view that redraws in place writes through it. */
  readonly terminal?: Terminal;
  /** The time commands read and wait by (the watch's polls, an action's re-reads); the real one when absent. */
  readonly clock?: RollbackClock;
}

export interface Terminal {
  /** The terminal's width now (it can change while a view runs). */
  readonly columns: number;
  /** Writes text as is: escape sequences, no newline added. */
  write(text: string): void;
}

const DEFAULT_COLUMNS = 80;

/** The width to draw in: the terminal's, else $COLUMNS (a pseudo-terminal nobody sized reports 0), else 80. */
export function terminalColumns(reported: number | undefined, env: string | undefined): number {
  if (reported !== undefined && reported > 0) return reported;
  const fromEnv = Number(env);
  return Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : DEFAULT_COLUMNS;
}

export function processIo(): CliIo {
  return {
    out: (line) => void process.stdout.write(`${line}\n`),
    err: (line) => void process.stderr.write(`${line}\n`),
    readStdin: async () => {
      if (process.stdin.isTTY) return null;
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    },
    ...(process.stdout.isTTY
      ? { terminal: { get columns() { return terminalColumns(process.stdout.columns, process.env.COLUMNS); }, write: (text: string) => void process.stdout.write(text) } }
      : {}),
  };
}

/** The command line is wrong: the message says what and how to fix it; the exit status is 2. */
export class UsageError extends Error {}
Object.defineProperty(UsageError.prototype, 'name', { value: 'UsageError' });

export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

/** What `coalmine watch` (and `start --watch`) exits with, by how the rollout ended; 0 only when promoted. */
export const OUTCOME_EXIT: Readonly<Record<Outcome, number>> = {
  promoted: 0,
  'rolled-back': 3,
  refused: 4,
  failed: 5,
  stopped: 5,
  'promotion-requested': 5,
};
