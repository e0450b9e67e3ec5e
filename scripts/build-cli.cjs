/**
 * `npm run build` (and `prepare`, which `npm ci` runs): the `coalmine` command as one CommonJS file,
 * .build/cli.cjs, bundled by esbuild from cli/main.ts, so that a start does not transpile TypeScript
 * (tsx) first. Packages stay in node_modules (external). Beside it, .build/cli.inputs.json lists every
 * source file it was built from with its size and modification time: bin/coalmine.cjs runs the build only
 * while all of them are unchanged, and otherwise the sources through tsx, so a stale build never runs.
 *
 * A module that finds files next to itself (__dirname: the state machine, the scenarios, the edge function)
 * gets its own directory, not the bundle's.
 */
const { readFileSync, statSync, writeFileSync } = require('node:fs');
const { dirname, join, relative } = require('node:path');
const { build } = require('esbuild');

const ROOT = join(__dirname, '..');
const OUT_DIR = join(ROOT, '.build');
const OUT_FILE = join(OUT_DIR, 'cli.cjs');
const INPUTS_FILE = join(OUT_DIR, 'cli.inputs.json');

/** Each source's __dirname, as its directory relative to the bundle's. */
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
  const { metafile } = await build({
    entryPoints: [join(ROOT, 'cli', 'main.ts')],
    outfile: OUT_FILE,
    absWorkingDir: ROOT,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    // Packages bundled too, from their ES module builds where they have one: tree-shaken (zod without its
    // locales, each SDK client without its other commands), and one file to read instead of hundreds.
    // esbuild itself stays external: its native binary is found from its own package.
    mainFields: ['module', 'main'],
    external: ['esbuild'],
    // Minified (names kept): less to compile at each start. The linked map serves --enable-source-maps.
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
  writeFileSync(INPUTS_FILE, `${JSON.stringify(inputs)}\n`);
  return inputs.length;
}

if (require.main === module) {
  buildCli().catch((error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}

module.exports = { OUT_FILE, INPUTS_FILE, buildCli };
