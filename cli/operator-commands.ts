/**
 * The commands that act on a deployed coalmine (AWS, or the simulator's world), in the order `coalmine help`
 * lists them. They load nothing of the simulator, so the simulator's terminal can run them.
 */
import { approveCommand, promoteCommand, rollbackCommand } from './act';
import type { Command } from './command';
import { historyCommand } from './history';
import { listCommand } from './list';
import { startCommand } from './start';
import { statusCommand } from './status';
import { watchCommand } from './watch';

export const OPERATOR_COMMANDS: readonly Command[] = [startCommand, listCommand, statusCommand, watchCommand, promoteCommand, approveCommand, rollbackCommand, historyCommand];
