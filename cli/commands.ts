/**
 * Every `coalmine` subcommand, in the order `coalmine help` lists them. A new command is one module that
 * exports a Command (cli/command.ts) and one entry here.
 */
import { approveCommand, promoteCommand, rollbackCommand } from './act';
import type { Command } from './command';
import { listCommand } from './list';
import { planCommand } from './plan';
import { simulateCommand } from './simulate';
import { startCommand } from './start';
import { statusCommand } from './status';
import { tourCommand } from './tour';

export const COMMANDS: readonly Command[] = [
  simulateCommand,
  planCommand,
  tourCommand,
  startCommand,
  listCommand,
  statusCommand,
  promoteCommand,
  approveCommand,
  rollbackCommand,
];
