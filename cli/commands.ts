/**
 * Every `coalmine` subcommand, in the order `coalmine help` lists them: the local ones, then those that act
 * on AWS (cli/operator-commands.ts). A new command is one module that exports a Command (cli/command.ts) and
 * one entry here or there.
 */
import type { Command } from './command';
import { OPERATOR_COMMANDS } from './operator-commands';
import { planCommand } from './plan';
import { reportCommand } from './report';
import { simulateCommand } from './simulate';
import { tourCommand } from './tour';

// report writes a file: not among the operator commands a simulated scenario's `cli` event may run.
export const COMMANDS: readonly Command[] = [simulateCommand, planCommand, tourCommand, ...OPERATOR_COMMANDS, reportCommand];
