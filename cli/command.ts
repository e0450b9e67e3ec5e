/**
 * What a `coalmine` subcommand is: its name and usage text (shown by `coalmine help` and `coalmine help NAME`),
 * and how to load its handler. The names and usages are the light tables cli/commands.ts and
 * cli/operator-commands.ts; each command's module, with everything it imports, is loaded only when that
 * command runs, so `coalmine help` starts without the simulator, the AWS SDK or the state machine.
 */
import type { CliIo } from './io';

/** Runs the command with the arguments after its name; resolves to the exit status. */
export type CommandRun = (args: string[], io: CliIo) => Promise<number>;

export interface Command {
  readonly name: string;
  /** The synopsis line, then the description and options, indented by two spaces as `coalmine help` prints them. */
  readonly usage: string;
  /** Imports the command's module and gives its handler. */
  load(): Promise<CommandRun>;
}
