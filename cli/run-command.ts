/**
 * Runs one command and turns what it throws into the exit status and a sentence: a usage error (2, with the
 * hint to its help), an invalid request or scenario (2), an AWS failure the registry explains (1), anything
 * else (1, its name and message; the stack only with COALMINE_DEBUG=1). `coalmine` and the simulator's
 * terminal both run commands through it.
 */
import type { Command } from './command';
import { explainAwsError } from './aws/errors';
import { EXIT, UsageError, type CliIo } from './io';

export async function runCommand(command: Command, args: string[], io: CliIo): Promise<number> {
  try {
    const run = await command.load();
    return await run(args, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`coalmine ${command.name}: ${error.message}`);
      io.err(`Run "coalmine help ${command.name}" for usage.`);
      return EXIT.usage;
    }
    if (error instanceof Error && (error.name === 'ScenarioInvalid' || error.name === 'RolloutRequestInvalid')) {
      io.err(`coalmine ${command.name}: ${error.message}`);
      return EXIT.usage;
    }
    const explained = explainAwsError(error);
    if (explained !== undefined) {
      io.err(`coalmine ${command.name}: ${explained}`);
      return EXIT.failure;
    }
    const detail = !(error instanceof Error) ? String(error) : process.env.COALMINE_DEBUG === '1' ? (error.stack ?? error.message) : `${error.name}: ${error.message}`;
    io.err(`coalmine ${command.name}: unexpected failure: ${detail}${process.env.COALMINE_DEBUG === '1' ? '' : ' (COALMINE_DEBUG=1 shows where)'}`);
    return EXIT.failure;
  }
}
