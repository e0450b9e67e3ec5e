#!/usr/bin/env node
// The `coalmine` command. It runs the build of cli/ (.build/cli.cjs, made by `npm ci` through `prepare`,
// scripts/build-cli.cjs) while every source it was built from is unchanged; else the TypeScript sources
// through tsx, so that a stale build never runs and `npm ci` stays the only setup.
const { readFileSync, statSync } = require('node:fs');
const { join } = require('node:path');

const ROOT = join(__dirname, '..');

/** The build, if it exists and each of its inputs has the size and modification time it was built from. */
function freshBuild() {
  try {
    const inputs = JSON.parse(readFileSync(join(ROOT, '.build', 'cli.inputs.json'), 'utf8'));
    const unchanged = inputs.every(({ file, size, mtimeMs }) => {
      const now = statSync(join(ROOT, file));
      return now.size === size && now.mtimeMs === mtimeMs;
    });
    return unchanged ? join(ROOT, '.build', 'cli.cjs') : undefined;
  } catch {
    return undefined; // no build, or a source gone: the sources decide
  }
}

function loadMain() {
  const build = freshBuild();
  if (build !== undefined) return require(build).main;
  require('tsx/cjs');
  return require('../cli/main.ts').main;
}

const main = loadMain();

// Output piped into a reader that stops early (`| head`): the rest is not wanted; end quietly.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(process.exitCode ?? 0);
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    console.error(error instanceof Error ? error.stack : error);
    process.exitCode = 2;
  },
);
