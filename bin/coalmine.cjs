#!/usr/bin/env node
// The `coalmine` command. It runs the build of cli/ (.build/cli/main.mjs and its chunks, made by `npm ci`
// through `prepare`, scripts/build-cli.cjs) while every source it was built from is unchanged; else the
// TypeScript sources through tsx (in a child node), so that a stale build never runs and `npm ci` stays the
// only setup.
const { spawnSync } = require('node:child_process');
const { readFileSync, statSync } = require('node:fs');
const { dirname, join } = require('node:path');
const { pathToFileURL } = require('node:url');

const ROOT = join(__dirname, '..');

/** The build, if it exists and each of its inputs has the size and modification time it was built from. */
function freshBuild() {
  try {
    const inputs = JSON.parse(readFileSync(join(ROOT, '.build', 'cli.inputs.json'), 'utf8'));
    const unchanged = inputs.every(({ file, size, mtimeMs }) => {
      const now = statSync(join(ROOT, file));
      return now.size === size && now.mtimeMs === mtimeMs;
    });
    return unchanged ? join(ROOT, '.build', 'cli', 'main.mjs') : undefined;
  } catch {
    return undefined; // no build, or a source gone: the sources decide
  }
}

const FROM_SOURCES = 'COALMINE_FROM_SOURCES';

async function loadMain() {
  if (process.env[FROM_SOURCES] === '1') return require('../cli/main.ts').main;
  const build = freshBuild();
  if (build !== undefined) return (await import(pathToFileURL(build).href)).main;
  // The sources, in a node with tsx's loader, which serves both require and import() (routers/registry.ts
  // loads a router module lazily, and tsx's require hook alone does not resolve an import() of TypeScript).
  const loader = pathToFileURL(join(dirname(require.resolve('tsx/package.json')), 'dist', 'loader.mjs')).href;
  const child = spawnSync(process.execPath, ['--import', loader, __filename, ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, [FROM_SOURCES]: '1' },
  });
  process.exit(child.status ?? 2);
}

// Output piped into a reader that stops early (`| head`): the rest is not wanted; end quietly.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(process.exitCode ?? 0);
  });
}

loadMain()
  .then((main) => main(process.argv.slice(2)))
  .then(
    (code) => {
      process.exitCode = code;
    },
    (error) => {
      console.error(error instanceof Error ? error.stack : error);
      process.exitCode = 2;
    },
  );
