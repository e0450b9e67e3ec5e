/**
 * The `coalmine` command. The subcommands are the registry in cli/commands.ts; each parses its own options
 * with node:util parseArgs (strict: an unknown option or a stray argument is an error). Exit status: 0 when
 * the command ran, whatever a simulated rollout's outcome; 2 for a wrong command line or an invalid scenario
 * or request; 1 for anything unexpected.
 */
import './environment';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from './command';
import { COMMANDS } from './commands';
import { EXIT, processIo, type CliIo } from './io';
import { runCommand } from './run-command';

const EXIT_STATUS = `Exit status: 0 when the command ran (whatever the simulated outcome), 2 for bad usage or invalid input,
1 for an unexpected failure.`;

const indent = (text: string): string => text.replace(/^/gm, '  ');

/** The whole usage text: every registered command's usage, then `help` and the exit statuses. */
export function usage(commands: readonly Command[] = COMMANDS): string {
  return [
    'coalmine: canary rollouts on AWS, rehearsed locally.',
    '',
    'Usage:',
    ...commands.map((command) => indent(command.usage)),
    indent('coalmine help [COMMAND]'),
    indent('coalmine --version'),
    '',
    EXIT_STATUS,
  ].join('\n');
}

/** The version package.json gives. */
function version(): string {
  return (JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version: string }).version;
}

function findCommand(name: string): Command | undefined {
  return COMMANDS.find((command) => command.name === name);
}

function unknownCommand(name: string, io: CliIo): number {
  io.err(`coalmine: unknown command "${name}". Commands: ${[...COMMANDS.map((c) => c.name), 'help'].join(', ')}.`);
  io.err('Run "coalmine help" for usage.');
  return EXIT.usage;
}

function help(args: readonly string[], io: CliIo): number {
  if (args.length > 1) {
    io.err(`coalmine help: give at most one command, got ${args.length}: ${args.join(' ')}`);
    return EXIT.usage;
  }
  const [name] = args;
  if (name === undefined) {
    io.out(usage());
    return EXIT.ok;
  }
  const command = findCommand(name);
  if (command === undefined) return unknownCommand(name, io);
  io.out(`Usage:\n${indent(command.usage)}`);
  return EXIT.ok;
}

export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined) {
    io.out(usage());
    return EXIT.usage;
  }
  if (name === '--version') {
    io.out(`coalmine ${version()}`);
    return EXIT.ok;
  }
  if (name === 'help' || name === '--help' || name === '-h') return help(args, io);
  const command = findCommand(name);
  if (command === undefined) return unknownCommand(name, io);
  return runCommand(command, args, io);
}
