/**
 * Parsing a command's arguments: node:util parseArgs with its errors, and a repeated option, as usage errors
 * (exit 2). Every command uses it.
 */
import { UsageError } from './io';

/** Runs node:util parseArgs; its own errors (unknown option, missing value) become usage errors. */
export function withUsageErrors<T>(parse: () => T): T {
  let parsed: T;
  try {
    parsed = parse();
  } catch (error) {
    // Not `instanceof Error`: parseArgs throws Node's own TypeError, from another realm under Jest.
    throw new UsageError((error as { message?: string }).message ?? String(error));
  }
  refuseRepeats((parsed as { tokens?: ReadonlyArray<{ kind: string; name?: string }> }).tokens ?? []);
  return parsed;
}

/** An option given twice (parsed with `tokens: true`) is refused: parseArgs would silently keep the last. */
function refuseRepeats(tokens: ReadonlyArray<{ kind: string; name?: string }>): void {
  const seen = new Set<string>();
  for (const token of tokens) {
    if (token.kind !== 'option' || token.name === undefined) continue;
    if (seen.has(token.name)) throw new UsageError(`--${token.name} is given more than once; give it once.`);
    seen.add(token.name);
  }
}
