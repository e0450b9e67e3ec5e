/**
 * A serverless plugin (after serverless-esbuild in serverless.yml's plugins) that makes each function's
 * package carry only what its handler uses. serverless-esbuild builds all functions, code-split, into one
 * folder and then zips each one with everything in it but the other handlers; between the two, this
 * plugin trims every source map there to coalmine's own sources (scripts/own-source-maps.cjs) and
 * excludes from each function's zip the chunks its handler does not reach (scripts/own-chunks.cjs).
 * serverless-esbuild has no hook between its build and its zip, so its `pack` step is wrapped.
 */
const EsbuildServerlessPlugin = require('serverless-esbuild');
const { readdirSync } = require('node:fs');
const { join, posix, relative } = require('node:path');
const { chunksOf } = require('./own-chunks.cjs');
const { trimSourceMapFile } = require('./own-source-maps.cjs');

/** Every file under `dir`, relative to it, with forward slashes (serverless-esbuild's package patterns). */
function filesUnder(dir) {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)).split('\\').join('/'));
}

/**
 * For each built function, the built modules of the others it must not carry, as exclusions: a
 * serverless-esbuild exclusion of `x.mjs` leaves out `x.mjs.map` with it.
 */
function foreignChunkPatterns(buildDir, buildResults) {
  const modules = filesUnder(buildDir).filter((file) => file.endsWith('.mjs'));
  return buildResults.map(({ bundlePath, functionAlias }) => {
    const folder = posix.dirname(bundlePath);
    const own = new Set(chunksOf(join(buildDir, bundlePath)).all.map((file) => posix.join(folder, file)));
    return { functionAlias, patterns: modules.filter((file) => !own.has(file)).map((file) => `!${file}`) };
  });
}

class LeanPackages {
  constructor(serverless) {
    this.serverless = serverless;
    this.hooks = { initialize: () => this.wrapPack() };
  }

  wrapPack() {
    const esbuild = this.serverless.pluginManager.plugins.find((plugin) => plugin instanceof EsbuildServerlessPlugin);
    if (esbuild === undefined) throw new Error('scripts/lean-packages.cjs needs serverless-esbuild among the plugins, before it');
    const pack = esbuild.pack;
    esbuild.pack = async () => {
      for (const file of filesUnder(esbuild.buildDirPath)) if (file.endsWith('.map')) trimSourceMapFile(join(esbuild.buildDirPath, file));
      for (const { functionAlias, patterns } of foreignChunkPatterns(esbuild.buildDirPath, esbuild.buildResults)) {
        const func = this.serverless.service.getFunction(functionAlias);
        func.package = { ...func.package, patterns: [...(func.package?.patterns ?? []), ...patterns] };
      }
      return pack();
    };
  }
}

module.exports = LeanPackages;
