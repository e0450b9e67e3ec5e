/**
 * The option texts the operator commands' usages share, and the figures they quote. Light, like the tables
 * that use it (cli/operator-commands.ts): `coalmine help` loads it, and nothing of AWS.
 */
import { OUTCOME_EXIT } from './io';

export const STATE_MACHINE_USAGE = `    --state-machine ARN  the canary state machine (else $COALMINE_STATE_MACHINE_ARN, else --stage)
    --stage STAGE        read it from the deployed stack coalmine-STAGE's outputs`;

export const OPERATOR_USAGE = `${STATE_MACHINE_USAGE}
    --json               print JSON (schema/cli-*.schema.json) instead of text`;

/** watch --interval, and start --watch --interval, when not given. */
export const DEFAULT_INTERVAL_SECONDS = 10;

export const WATCH_USAGE = `    --interval SECONDS   seconds between reads of the execution (default ${DEFAULT_INTERVAL_SECONDS})`;

/** The watch's exit statuses, after `lead` ("Exit status", "With --watch, exit status"). */
export const exitUsage = (lead: string): string => `  ${lead}: 0 promoted, ${OUTCOME_EXIT['rolled-back']} rolled back, ${OUTCOME_EXIT.refused} refused by Preflight, ${OUTCOME_EXIT.failed} failed or stopped otherwise
  (the target may need a person), 1 it could not be followed, 2 bad usage.`;

/** `coalmine history` lists at most this many rollouts. */
export const HISTORY_LIMIT = 50;
