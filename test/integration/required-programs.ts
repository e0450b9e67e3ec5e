/**
 * Integration suites that need a program from the machine (moto_server, prometheus): the one rule for
 * when it is missing. Under CI=true the block fails, so a missing install step fails CI; elsewhere it is
 * skipped with a visible message.
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** The first executable `program` on PATH, or undefined. */
export function findOnPath(program: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, program);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

/**
 * `describe(name, body)` when every one of `programs` is on PATH. Otherwise a failing block under
 * CI=true, and `describe.skip` with a warning elsewhere (jest still collects a skipped body, so `body`
 * must not need the programs to declare its tests).
 */
export function describeNeeding(name: string, programs: readonly string[], installHint: string, body: () => void): void {
  const missing = programs.filter((program) => findOnPath(program) === undefined);
  if (missing.length === 0) {
    describe(name, body);
    return;
  }
  const message = `${missing.join(', ')} not found: the tests "${name}" need ${missing.length === 1 ? 'it' : 'them'}; ${installHint}`;
  if (process.env.CI === 'true') {
    describe(name, () => {
      it(`needs ${missing.join(', ')}`, () => {
        throw new Error(message);
      });
    });
    return;
  }
  console.warn(`SKIPPED: ${message}`);
  describe.skip(name, body);
}
