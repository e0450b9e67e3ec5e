/**
 * An operator at a terminal, as the deployed stack hears them: `coalmine <args>` runs the real CLI (cli/main.ts)
 * in process, against the simulated AWS, as the IAM role session the event names. The simulation records what
 * the terminal printed and the exit status.
 */
// A cycle (the CLI's simulate command loads the simulator): `main` is only called, never read, at load time.
import { main } from '../cli/main';
import type { AwsWorld } from './world';

export interface CliExchange {
  readonly atMs: number;
  /** The role session it ran as. */
  readonly as: string;
  readonly args: readonly string[];
  readonly code: number;
  readonly stdout: readonly string[];
  readonly stderr: readonly string[];
}

export class OperatorTerminal {
  readonly exchanges: CliExchange[] = [];

  constructor(private readonly world: AwsWorld) {}

  async run(args: readonly string[], as: string): Promise<CliExchange> {
    const stdout: string[] = [];
    const stderr: string[] = [];
    const atMs = Date.now();
    this.world.sts.caller = as;
    const code = await main([...args], { out: (line) => stdout.push(line), err: (line) => stderr.push(line), readStdin: async () => null });
    const exchange: CliExchange = { atMs, as, args, code, stdout, stderr };
    this.exchanges.push(exchange);
    return exchange;
  }
}
