/**
 * Writes schema/rollout-request.schema.json from the zod schema the handlers validate with, so that the
 * console users' reference and the code cannot drift (a test compares them).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { rolloutRequestJsonSchema } from '../shared/config/json-schema';

const path = join(__dirname, '..', 'schema', 'rollout-request.schema.json');
writeFileSync(path, `${JSON.stringify(rolloutRequestJsonSchema(), null, 2)}\n`);
console.log(`wrote ${path}`);
