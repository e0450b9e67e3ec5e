/**
 * The committed JSON Schema is the one the code generates, and every example request in
 * examples/requests/ is accepted as written by the same validation the Preflight task runs.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { rolloutRequestJsonSchema } from '../../shared/config/json-schema';
import { parseRolloutRequest } from '../../shared/config/request';
import { planRollout } from '../../shared/plan';

const root = join(__dirname, '..', '..');
const examplesDir = join(root, 'examples', 'requests');
const examples = readdirSync(examplesDir).filter((f) => f.endsWith('.json'));

it('schema/rollout-request.schema.json is up to date (run `npm run schema` after changing the request schema)', () => {
  const committed = JSON.parse(readFileSync(join(root, 'schema', 'rollout-request.schema.json'), 'utf8'));
  expect(committed).toEqual(rolloutRequestJsonSchema());
});

it('the JSON Schema is strict: unknown fields are not allowed at any object level', () => {
  const objects: Array<Record<string, unknown>> = [];
  const walk = (node: unknown): void => {
    if (node === null || typeof node !== 'object') return;
    const record = node as Record<string, unknown>;
    if (record.type === 'object' && record.properties !== undefined) objects.push(record);
    Object.values(record).forEach(walk);
  };
  walk(rolloutRequestJsonSchema());
  expect(objects.length).toBeGreaterThan(3);
  for (const object of objects) expect(object.additionalProperties).toBe(false);
});

it('there are examples to paste into the console', () => {
  expect(examples.length).toBeGreaterThanOrEqual(4);
});

it.each(examples)('examples/requests/%s is a valid rollout request with a plan that fits', (file) => {
  const request = parseRolloutRequest(JSON.parse(readFileSync(join(examplesDir, file), 'utf8')));
  expect(planRollout(request, { observable: true }).worstCaseHistoryEvents).toBeLessThan(25_000);
});
