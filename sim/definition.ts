/**
 * The state machine's definition as it ships (statemachines/canary.asl.yaml), read without loading the task
 * handlers: for the scenario checks, the tests and the local execution.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

export const DEFINITION_PATH = join(__dirname, '..', 'statemachines', 'canary.asl.yaml');

export type StateDefinition = { Type: string; Resource?: unknown; Retry?: unknown[]; [key: string]: unknown };
export type Definition = { States: Record<string, StateDefinition>; [key: string]: unknown };

export function readDefinition(path = DEFINITION_PATH): Definition {
  return parse(readFileSync(path, 'utf8')) as Definition;
}
