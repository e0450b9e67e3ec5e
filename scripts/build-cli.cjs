/**
 * `npm run build` (and `prepare`, which `npm ci` runs): the `coalmine` command bundled by esbuild from
 * cli/main.ts into ES modules, .build/cli/main.mjs and the chunks it imports, so that a start does not
 * transpile TypeScript (tsx) first. The chunks are split where cli/commands.ts import()s a command's module:
 * `coalmine help` loads main.mjs and the command tables only, and a command loads what it uses.
 * Beside them, .build/cli.inputs.json lists every file of every chunk with its size and modification time:
 * bin/coalmine.cjs runs the build only while all of them are unchanged, and otherwise the sources through
 * tsx, so a stale build never runs. .build/cli.meta.json is esbuild's metafile: the chunk graph.
 *
 * A module that finds files next to itself (__dirname: the state machine, the scenarios, the edge function)
 * gets its own directory, not the chunk's.
 */
const { readFileSync, rmSync, statSync, writeFileSync } = require('node:fs');
const { dirname, join, relative } = require('node:path');
const { build } = require('esbuild');

const ROOT = join(__dirname, '..');
const OUT_DIR = join(ROOT, '.build', 'cli');
const OUT_FILE = join(OUT_DIR, 'main.mjs');
const INPUTS_FILE = join(ROOT, '.build', 'cli.inputs.json');
const META_FILE = join(ROOT, '.build', 'cli.meta.json');

// An ES module has no require and no __dirname: the bundled CommonJS packages call require (for node's
// own modules), and own-dirname below and the packages read __dirname. Every chunk lies in OUT_DIR.
const BANNER = [
  "import { createRequire as __createRequire } from 'node:module';",
  'const require = __createRequire(import.meta.url);',
  'const __dirname = import.meta.dirname;',
].join(' ');

/** Each source's __dirname, as its directory relative to the chunks'. */
const ownDirname = {
  name: 'own-dirname',
  setup(build) {
    build.onLoad({ filter: /\.(ts|cjs)$/ }, (args) => {
      if (args.path.includes(`${join('node_modules', '')}`)) return undefined;
      const source = readFileSync(args.path, 'utf8');
      if (!source.includes('__dirname')) return undefined;
      const dir = JSON.stringify(relative(OUT_DIR, dirname(args.path)));
      return {
        contents: source.replace(/\b__dirname\b/g, `require('node:path').join(__dirname, ${dir})`),
        loader: args.path.endsWith('.ts') ? 'ts' : 'js',
      };
    });
  },
};

async function buildCli() {
  // The inputs first: a build cut short leaves none, so the sources run; and no chunk of an older build.
  rmSync(INPUTS_FILE, { force: true });
  rmSync(OUT_DIR, { recursive: true, force: true });
  const { metafile } = await build({
    entryPoints: [join(ROOT, 'cli', 'main.ts')],
    outdir: OUT_DIR,
    outExtension: { '.js': '.mjs' },
    absWorkingDir: ROOT,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    splitting: true,
    banner: { js: BANNER },
    // Packages bundled too, from their ES module builds where they have one: tree-shaken (zod without its
    // locales, each SDK client without its other commands), and one file to read instead of hundreds.
    // esbuild itself stays external: its native binary is found from its own package.
    mainFields: ['module', 'main'],
    external: ['esbuild'],
    // Minified (names kept): less to compile at each start. The linked maps serve --enable-source-maps.
    minify: true,
    keepNames: true,
    sourcemap: 'linked',
    metafile: true,
    logLevel: 'warning',
    plugins: [ownDirname],
  });
  // The repository's sources, and the lock file for the packages bundled with them (npm ci, npm install).
  const sources = Object.keys(metafile.inputs).filter((file) => !file.split(/[\\/]/).includes('node_modules'));
  const inputs = [...sources, 'package-lock.json'].map((file) => {
    const { size, mtimeMs } = statSync(join(ROOT, file));
    return { file, size, mtimeMs };
  });
  writeFileSync(META_FILE, JSON.stringify(metafile));
  writeFileSync(INPUTS_FILE, `${JSON.stringify(inputs)}\n`);
  return inputs.length;
}

if (require.main === module) {
  buildCli().catch((error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}

module.exports = { OUT_FILE, INPUTS_FILE, META_FILE, buildCli };
