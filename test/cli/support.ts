import type { CliIo } from '../../cli/io';
import { main } from '../../cli/main';

export interface CliRun {
  readonly code: number;
  readonly stdout: string[];
  readonly stderr: string[];
}

/** Runs the command in process, as `coalmine ...argv` would, with `stdin` piped in (null: a terminal). */
export async function coalmine(argv: string[], stdin: string | null = null): Promise<CliRun> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const io: CliIo = {
    out: (line) => void stdout.push(...line.split('\n')),
    err: (line) => void stderr.push(...line.split('\n')),
    readStdin: async () => stdin,
  };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}
