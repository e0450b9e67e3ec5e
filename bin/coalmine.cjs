#!/usr/bin/env node
// The `coalmine` command. It runs the TypeScript sources through tsx, so `npm ci` is the only setup.
require('tsx/cjs');
const { main } = require('../cli/main.ts');

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    console.error(error instanceof Error ? error.stack : error);
    process.exitCode = 2;
  },
);
