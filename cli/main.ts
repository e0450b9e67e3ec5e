/**
 * The `coalmine` command: `simulate`, `plan`, `tour`, `help`. Each subcommand parses its own options with
 * node:util parseArgs (strict: an unknown option is an error). Exit status: 0 when the command ran,
 * whatever a simulated rollout's outcome; 2 for a wrong command line or an invalid scenario or request;
 * 1 for anything unexpected.
 */
import './environment';
import { EXIT, processIo, UsageError, type CliIo } from './io';
import { planCommand } from './plan';
import { simulateCommand } from './simulate';
import { tourCommand } from './tour';

export const USAGE = `coalmine: canary rollouts on AWS, rehearsed locally.

Usage:
  coalmine simulate [--scenario NAME | --scenario-file FILE] [--seed N] [--no-alarm-events] [--json]
      Run one rollout against a simulated AWS (virtual clock, synthetic traffic, the real state machine).
      --scenario NAME       a built-in scenario (default: healthy); --list shows them
      --scenario-file FILE  your own scenario (see docs/simulator.md; copy one from sim/scenarios/)
      --seed N              seed of the traffic and the retry jitter (default 1): same seed, same run
      --no-alarm-events     alarms reach the rollout only through its analysis: no EventBridge event
                            to the alarm rollback (which is on by default, as deployed)
      --json                print one JSON object (the result) as the last line instead of progress
      --json-schema         print the JSON Schema of the --json result and exit
  coalmine plan [--request FILE | --scenario NAME | --scenario-file FILE] [--start ISO-TIME] [--json]
      Print the timeline a rollout request implies (steps, times, duration, state transitions, cost)
      without running anything. Reads the request from standard input when no file is given.
  coalmine tour
      A healthy canary promoted, then a bad canary rolled back (what \`npm start\` runs).
  coalmine help [COMMAND]

Exit status: 0 when the command ran (whatever the simulated outcome), 2 for bad usage or invalid input,
1 for an unexpected failure.`;

type Command = (args: string[], io: CliIo) => Promise<number>;

const COMMANDS: Readonly<Record<string, Command>> = {
  simulate: simulateCommand,
  plan: planCommand,
  tour: tourCommand,
};

export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    io.out(USAGE);
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  const command = COMMANDS[name];
  if (command === undefined) {
    io.err(`coalmine: unknown command "${name}". Commands: ${Object.keys(COMMANDS).join(', ')}, help.`);
    io.err('Run "coalmine help" for usage.');
    return EXIT.usage;
  }
  try {
    return await command(args, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`coalmine ${name}: ${error.message}`);
      io.err(`Run "coalmine help" for usage.`);
      return EXIT.usage;
    }
    if (error instanceof Error && (error.name === 'ScenarioInvalid' || error.name === 'RolloutRequestInvalid')) {
      io.err(`coalmine ${name}: ${error.message}`);
      return EXIT.usage;
    }
    io.err(`coalmine ${name}: unexpected failure: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return EXIT.failure;
  }
}
