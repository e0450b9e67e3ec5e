/**
 * What a `coalmine` subcommand is: its name, its usage text (shown by `coalmine help` and `coalmine help NAME`)
 * and its handler. Each command module exports one; cli/commands.ts lists them.
 */
import type { CliIo } from './io';

export interface Command {
  readonly name: string;
  /** The synopsis line, then the description and options, indented by two spaces as `coalmine help` prints them. */
  readonly usage: string;
  /** Runs the command with the arguments after its name; resolves to the exit status. */
  run(args: string[], io: CliIo): Promise<number>;
}
