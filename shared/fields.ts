/**
 * Hand-written checks of the few fields a function reads from an event or a Slack body, where a schema
 * library (zod, which the request schema in config/ is written in) would be most of the function's cold
 * start. A check returns the problems it finds, in the order the fields are checked: none, the value has
 * the shape. Paths are dotted ("user.id", "actions.0.value"); the value itself is "". Pure.
 */
import { isRecord } from './json';

export interface FieldProblem {
  readonly path: string;
  readonly message: string;
}

export type FieldCheck = (value: unknown, path: string) => FieldProblem[];

export const holds =
  (ok: (value: unknown) => boolean, expected: string): FieldCheck =>
  (value, path) =>
    ok(value) ? [] : [{ path, message: `expected ${expected}` }];

export const optional =
  (check: FieldCheck): FieldCheck =>
  (value, path) =>
    value === undefined ? [] : check(value, path);

export const nullish =
  (check: FieldCheck): FieldCheck =>
  (value, path) =>
    value === undefined || value === null ? [] : check(value, path);

/** An object with these fields; fields not named are not checked. */
export const fieldsOf =
  (fields: Readonly<Record<string, FieldCheck>>): FieldCheck =>
  (value, path) =>
    isRecord(value)
      ? Object.entries(fields).flatMap(([key, check]) => check(value[key], path === '' ? key : `${path}.${key}`))
      : [{ path, message: 'expected an object' }];

/** An array of at least `min` entries, each passing `entry`. */
export const listOf =
  (entry: FieldCheck, min = 0): FieldCheck =>
  (value, path) => {
    if (!Array.isArray(value)) return [{ path, message: 'expected an array' }];
    if (value.length < min) return [{ path, message: `expected at least ${min} entries` }];
    return value.flatMap((item, i) => entry(item, `${path}.${i}`));
  };

export const text = holds((value) => typeof value === 'string', 'a string');

export const oneOf = (values: readonly string[]): FieldCheck =>
  holds((value) => values.includes(value as string), values.map((v) => JSON.stringify(v)).join(' or '));
