/**
 * bin/coalmine.cjs runs the build of the CLI (.build/cli/main.mjs and its chunks, scripts/build-cli.cjs) only
 * while every input it lists is unchanged, and otherwise the TypeScript sources through tsx: a stale build
 * never runs. Here the real bin file runs in a scratch tree whose build and sources say which of them ran;
 * then the real build of this repository, as `npm test` makes it first, is checked fresh, and its chunk
 * graph is checked to keep `coalmine help` light.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const REPO = join(__dirname, '..', '..');

describe('the coalmine command\'s build', () => {
  let dir: string;
  const run = (): string => execFileSync(process.execPath, [join(dir, 'bin', 'coalmine.cjs'), 'help'], { encoding: 'utf8' }).trim();
  const writeInputs = (): void => {
    const { size, mtimeMs } = statSync(join(dir, 'cli', 'main.ts'));
    writeFileSync(join(dir, '.build', 'cli.inputs.json'), JSON.stringify([{ file: 'cli/main.ts', size, mtimeMs }]));
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'coalmine-bin-'));
    for (const sub of ['bin', 'cli', join('.build', 'cli')]) mkdirSync(join(dir, sub), { recursive: true });
    copyFileSync(join(REPO, 'bin', 'coalmine.cjs'), join(dir, 'bin', 'coalmine.cjs'));
    symlinkSync(join(REPO, 'node_modules'), join(dir, 'node_modules'));
    writeFileSync(join(dir, 'cli', 'main.ts'), "export async function main(): Promise<number> { console.log('the sources'); return 0; }\n");
    writeFileSync(join(dir, '.build', 'cli', 'main.mjs'), "export const main = async () => { console.log('the build'); return 0; };\n");
    writeInputs();
  });

  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('runs the build while its inputs are unchanged', () => {
    expect(run()).toBe('the build');
  });

  it("exits with the build's status", () => {
    writeFileSync(join(dir, '.build', 'cli', 'main.mjs'), 'export const main = async () => 3;\n');
    const child = spawnSync(process.execPath, [join(dir, 'bin', 'coalmine.cjs'), 'help']);
    expect(child.status).toBe(3);
  });

  it('runs the sources once an input changed, even to the same size', () => {
    const later = new Date(statSync(join(dir, 'cli', 'main.ts')).mtimeMs + 5_000);
    utimesSync(join(dir, 'cli', 'main.ts'), later, later);
    expect(run()).toBe('the sources');
  });

  it("runs the sources with tsx's loader for import() too, as routers/registry.ts loads a router lazily", () => {
    writeFileSync(join(dir, 'cli', 'lazy.ts'), "export const said: string = 'a lazily imported module';\n");
    writeFileSync(join(dir, 'cli', 'main.ts'), "export async function main(): Promise<number> { console.log((await import('./lazy')).said); return 0; }\n");
    expect(run()).toBe('a lazily imported module');
  });

  it('runs the sources when there is no build, or an input is gone', () => {
    rmSync(join(dir, '.build', 'cli.inputs.json'));
    expect(run()).toBe('the sources');
    writeFileSync(join(dir, '.build', 'cli.inputs.json'), JSON.stringify([{ file: 'cli/gone.ts', size: 1, mtimeMs: 1 }]));
    expect(run()).toBe('the sources');
  });

  it('of this repository lists the CLI\'s sources and the lock file, and is fresh after npm test\'s build', () => {
    const inputs = JSON.parse(readFileSync(join(REPO, '.build', 'cli.inputs.json'), 'utf8')) as Array<{ file: string }>;
    const files = inputs.map((input) => input.file);
    expect(files).toEqual(expect.arrayContaining(['cli/main.ts', 'shared/rollout.ts', 'sim/scenario.ts', 'package-lock.json']));
    expect(files.filter((file) => file.includes('node_modules'))).toEqual([]);
    for (const { file, size, mtimeMs } of inputs as Array<{ file: string; size: number; mtimeMs: number }>) {
      const now = statSync(join(REPO, file));
      expect({ file, size: now.size, mtimeMs: now.mtimeMs }).toEqual({ file, size, mtimeMs });
    }
  });

  it("of this repository loads, for help and an unknown command's error, the command tables and none of the commands' modules", () => {
    // main.ts answers those without a command's load(): what they load is main.mjs and the chunks it imports.
    const meta = JSON.parse(readFileSync(join(REPO, '.build', 'cli.meta.json'), 'utf8')) as Metafile;
    const entry = Object.keys(meta.outputs).find((file) => meta.outputs[file]?.entryPoint === 'cli/main.ts') as string;
    const loaded = new Set<string>();
    const load = (file: string): void => {
      if (loaded.has(file)) return;
      loaded.add(file);
      for (const { path, kind } of meta.outputs[file]?.imports ?? []) if (kind === 'import-statement' && path in meta.outputs) load(path);
    };
    load(entry);
    const inputs = [...loaded].flatMap((file) => Object.keys(meta.outputs[file]?.inputs ?? {}));
    const commandModules = ['cli/commands.ts', 'cli/operator-commands.ts'].flatMap((table) =>
      (meta.inputs[table]?.imports ?? []).filter((i) => i.kind === 'dynamic-import').map((i) => i.path),
    );
    expect(inputs).toEqual(expect.arrayContaining(['cli/main.ts', 'cli/commands.ts', 'cli/operator-commands.ts']));
    expect(commandModules).toEqual(expect.arrayContaining(['cli/plan.ts', 'cli/simulate.ts', 'cli/act.ts']));
    // No command's module, no package (the AWS SDK, zod, the state machine runner...), nothing of the simulator.
    expect(inputs.filter((file) => commandModules.includes(file) || file.includes('node_modules') || file.startsWith('sim/'))).toEqual([]);
  });
});

/** The part of esbuild's metafile (.build/cli.meta.json) read here. */
interface Metafile {
  readonly inputs: Record<string, { readonly imports: ReadonlyArray<{ readonly path: string; readonly kind: string }> }>;
  readonly outputs: Record<string, { readonly entryPoint?: string; readonly inputs: Record<string, unknown>; readonly imports: ReadonlyArray<{ readonly path: string; readonly kind: string }> }>;
}
