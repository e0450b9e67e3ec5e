/**
 * The options every operator command shares (which state machine, --json) and the one place that turns
 * them into what the command needs.
 */
import type { ParseArgsConfig } from 'node:util';
import { resolveStateMachine } from './state-machine';

export const OPERATOR_OPTIONS = {
  'state-machine': { type: 'string' },
  stage: { type: 'string' },
  json: { type: 'boolean' },
} as const satisfies NonNullable<ParseArgsConfig['options']>;

export const STATE_MACHINE_USAGE = `    --state-machine ARN  the canary state machine (else $COALMINE_STATE_MACHINE_ARN, else --stage)
    --stage STAGE        read it from the deployed stack coalmine-STAGE's outputs`;

export const OPERATOR_USAGE = `${STATE_MACHINE_USAGE}
    --json               print JSON (schema/cli-*.schema.json) instead of text`;

export function stateMachineOf(values: { 'state-machine'?: string; stage?: string }): Promise<string> {
  return resolveStateMachine({
    ...(values['state-machine'] !== undefined && { stateMachine: values['state-machine'] }),
    ...(values.stage !== undefined && { stage: values.stage }),
  });
}
