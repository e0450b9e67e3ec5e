/**
 * The options every operator command shares (which state machine, --json) and the one place that turns
 * them into what the command needs. Their usage text is cli/operator-usage.ts, which `coalmine help` loads
 * without this module's AWS clients.
 */
import type { ParseArgsConfig } from 'node:util';
import { resolveStateMachine } from './state-machine';

export const OPERATOR_OPTIONS = {
  'state-machine': { type: 'string' },
  stage: { type: 'string' },
  json: { type: 'boolean' },
} as const satisfies NonNullable<ParseArgsConfig['options']>;

export function stateMachineOf(values: { 'state-machine'?: string; stage?: string }): Promise<string> {
  return resolveStateMachine({
    ...(values['state-machine'] !== undefined && { stateMachine: values['state-machine'] }),
    ...(values.stage !== undefined && { stage: values.stage }),
  });
}
