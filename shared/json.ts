/** The two small JSON facts every reader of histories, events and payloads needs. Pure. */

/** `text` parsed, or undefined when it is absent or not JSON: a reader that cannot parse says so itself. */
export function parseJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** A plain JSON object (not null, not an array). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
