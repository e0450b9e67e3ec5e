/**
 * A person at a terminal during a simulation: a scenario's `cli` event runs the real `coalmine` command
 * (its operator commands, cli/operator-commands.ts) in process, against the simulated AWS (the handlers' clients, with the simulated STS as the
 * caller's identity), on the simulation's clock, so a `watch` polls and an action re-reads in virtual time.
 * Each line it prints is reported as it is printed; the exit status when it ends.
 */
import type { CliIo } from '../cli/io';
import { OPERATOR_COMMANDS } from '../cli/operator-commands';
import { runCommand } from '../cli/run-command';
import type { HandlerClock } from './outside-work';

/** The commands that act on AWS; the local ones (simulate, plan, tour) have no place inside a simulation. */
export const SIMULATED_COMMANDS: readonly string[] = OPERATOR_COMMANDS.map((command) => command.name);

/** The command as a person types it: `coalmine rollback checkout --reason "p99 doubled"`. */
export function commandLine(args: readonly string[]): string {
  return ['coalmine', ...args.map((a) => (/^[\w:./-]+$/.test(a) ? a : JSON.stringify(a)))].join(' ');
}

export interface CliLine {
  readonly atMs: number;
  readonly stream: 'out' | 'err';
  readonly line: string;
}

/** A command run at the simulated terminal, what it printed, and its exit status. */
export interface CliExchange {
  readonly atMs: number;
  readonly args: readonly string[];
  readonly exitCode: number;
  readonly output: readonly CliLine[];
}

export class SimulatedTerminal {
  readonly exchanges: CliExchange[] = [];

  constructor(
    private readonly clock: HandlerClock,
    /** Called with each line as the command prints it. */
    private readonly onLine: (args: readonly string[], line: CliLine) => void,
  ) {}

  /** Runs `coalmine ...args` to its end. */
  async run(args: readonly string[]): Promise<CliExchange> {
    const atMs = Date.now();
    const output: CliLine[] = [];
    const print = (stream: CliLine['stream']) => (text: string) => {
      for (const line of text.split('\n')) {
        const printed = { atMs: Date.now(), stream, line };
        output.push(printed);
        this.onLine(args, printed);
      }
    };
    const io: CliIo = { out: print('out'), err: print('err'), readStdin: async () => null, clock: this.clock };
    const [name, ...rest] = args;
    const command = OPERATOR_COMMANDS.find((c) => c.name === name);
    // The scenario schema admits only these commands.
    if (command === undefined) throw new Error(`coalmine ${String(name)} cannot run inside a simulation`);
    const exitCode = await runCommand(command, rest, io);
    const exchange: CliExchange = { atMs, args, exitCode, output };
    this.exchanges.push(exchange);
    return exchange;
  }
}
