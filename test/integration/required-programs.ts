/**
 * Integration suites that need a program from the machine (moto_server, prometheus): the one rule for
 * when it is missing. Under CI=true the block fails, so a missing install step fails CI; elsewhere it is
 * skipped with a visible message.
 */
import { accessSync, constants } from 'node:fs';
import { createServer } from 'node:net';
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

/** A TCP port on 127.0.0.1 that nothing listened on a moment ago: the kernel's pick, not a guess. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.unref();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => {
        if (address === null || typeof address === 'string') reject(new Error('no TCP port assigned'));
        else resolve(address.port);
      });
    });
  });
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
