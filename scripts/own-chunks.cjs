/**
 * The files of a code-split bundle that one handler needs. serverless-esbuild builds every function into one
 * folder, so with `splitting` on that folder holds the chunks of all of them; a function's package takes
 * only those its own entry reaches through static and dynamic imports (scripts/lean-packages.cjs), and a
 * cold start reads only those it reaches through static imports (bench/cold-start.ts).
 *
 * The imports are read by esbuild, from the built files themselves: what is packaged is what was built,
 * whatever the build options.
 */
const { buildSync } = require('esbuild');
const { dirname, join, relative } = require('node:path');

/**
 * The output files `entry` (a built .mjs) imports, transitively, as paths relative to its folder, the entry
 * first: `all` through any import, `atLoad` through static imports only (what Node evaluates before the
 * handler exists; a dynamic import is read on the first call that needs it).
 */
function chunksOf(entry) {
  const dir = dirname(entry);
  const { metafile } = buildSync({
    entryPoints: [entry],
    absWorkingDir: dir,
    bundle: true,
    write: false,
    metafile: true,
    platform: 'node',
    format: 'esm',
    splitting: true,
    outdir: join(dir, 'own-chunks-unwritten'),
    logLevel: 'silent',
  });
  const importsOf = (file) => metafile.inputs[file].imports.filter((i) => !i.external);
  const walk = (follows) => {
    const seen = new Set();
    const visit = (file) => {
      if (seen.has(file)) return;
      seen.add(file);
      for (const i of importsOf(file)) if (follows(i.kind)) visit(i.path);
    };
    visit(relative(dir, entry));
    return [...seen];
  };
  return { all: walk(() => true), atLoad: walk((kind) => kind === 'import-statement') };
}

module.exports = { chunksOf };
