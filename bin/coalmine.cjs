#!/usr/bin/env node
// The `coalmine` command. It runs the TypeScript sources through tsx, so `npm ci` is the only setup.
require('tsx/cjs');
const { main } = require('../cli/main.ts');

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
