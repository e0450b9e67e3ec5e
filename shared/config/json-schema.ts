/** The JSON Schema of the rollout request, derived from the zod schema (the one source of truth). */
import * as z from 'zod';
import { RolloutRequestSchema } from './request';

export function rolloutRequestJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(RolloutRequestSchema, { io: 'input', unrepresentable: 'any' }),
    $id: 'https://github.com/coalmine/coalmine/schema/rollout-request.schema.json',
    title: 'coalmine rollout request',
  };
}
