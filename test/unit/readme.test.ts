/**
 * README.md is the reference a newcomer reads: every field of the rollout request must be named there,
 * every preset listed, and the commands it shows must exist.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { rolloutRequestJsonSchema } from '../../shared/config/json-schema';
import { PRESET_NAMES } from '../../shared/config/presets';

const root = join(__dirname, '..', '..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const scripts = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;

function propertyNames(node: unknown, names = new Set<string>()): Set<string> {
  if (node === null || typeof node !== 'object') return names;
  const record = node as Record<string, unknown>;
  const properties = record.properties as Record<string, unknown> | undefined;
  for (const [name, child] of Object.entries(properties ?? {})) {
    names.add(name);
    propertyNames(child, names);
  }
  for (const [key, child] of Object.entries(record)) if (key !== 'properties') propertyNames(child, names);
  return names;
}

it.each([...propertyNames(rolloutRequestJsonSchema())])('documents the request field `%s`', (name) => {
  // As `name` or inside a path such as `analysis.inconclusive.then`.
  expect(readme).toMatch(new RegExp(`\`[^\`\\s]*\\b${name}\\b[^\`\\s]*\``));
});

it.each(PRESET_NAMES)('lists the preset %s', (preset) => {
  const [family] = preset.split('-');
  // Presets of one family share a row, e.g. `canary10-5m` / `-10m`.
  expect(readme.includes(`\`${preset}\``) || readme.includes(`-${preset.split('-')[1]}\``) && readme.includes(`\`${family}-`)).toBe(true);
});

it.each(['npm ci && npm start', 'npm test'])('shows `%s`', (command) => {
  expect(readme).toContain(command);
});

it('every `npm run X` it shows is a script', () => {
  for (const [, script] of readme.matchAll(/npm run ([a-z:-]+)/g)) expect(Object.keys(scripts)).toContain(script);
});
