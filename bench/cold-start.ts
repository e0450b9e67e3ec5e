/**
 * `npm run bench -- --cold-start`: how long each packaged Lambda bundle takes to load in a fresh node
 * process, against a baseline measured in the same run: a minified middy handler that bundles one AWS SDK
 * client (Lambda), built with the same esbuild options serverless.yml gives the functions.
 *
 *   npm run package -- --param="targetFunctionPattern=checkout*" && npm run bench -- --cold-start [--runs N] [--package DIR]
 *
 * Load time is the time from `import()` of the bundle to its module being evaluated, in its own process
 * with the functions' NODE_OPTIONS (--enable-source-maps: the map is read at load), the median of N runs
 * (default 9). The bundles are code-split: what a handler imports lazily (a router's module and client,
 * shared/routers/registry.ts; the SDK's credential providers) is a chunk read on the first call that needs
 * it, so not in this time, and not in the sizes, which are of the modules and maps read at load
 * (scripts/own-chunks.cjs). The runs interleave the bundles, so a busy machine slows them alike.
 * The target (issue 17): every function at most 1.2 times the baseline.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { build } from 'esbuild';
import { chunksOf } from '../scripts/own-chunks.cjs';

export const COLD_START_TARGET = 1.2;

export interface BundleLoad {
  readonly name: string;
  readonly bytes: number;
  readonly mapBytes: number;
  readonly medianMs: number;
  readonly ratio: number;
}

/** A one-client middy handler: the smallest honest Lambda function of this stack's kind. */
const BASELINE_SOURCE = `
import middy from '@middy/core';
import { LambdaClient, GetAliasCommand } from '@aws-sdk/client-lambda';
const lambda = new LambdaClient({});
export const handler = middy(async (event) => lambda.send(new GetAliasCommand(event)));
`;

async function buildBaseline(dir: string): Promise<string> {
  const entry = join(dir, 'baseline-entry.mjs');
  writeFileSync(entry, BASELINE_SOURCE);
  const outfile = join(dir, 'baseline.mjs');
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    minify: true,
    platform: 'node',
    target: 'node22',
    format: 'esm',
    mainFields: ['module', 'main'],
    nodePaths: [resolve(__dirname, '..', 'node_modules')],
    banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
    logLevel: 'silent',
  });
  return outfile;
}

interface PackagedFunction {
  readonly name: string;
  /** The handler's module. */
  readonly file: string;
  /** The modules read at load: the handler's and the chunks it imports statically. */
  readonly atLoad: readonly string[];
}

/**
 * Unzips each function's package (serverless package --package DIR) and finds its handler's .mjs, as the
 * template names it (Handler functions/preflight.handler → functions/preflight.mjs).
 */
function unpack(packageDir: string, into: string): PackagedFunction[] {
  const templatePath = join(packageDir, 'cloudformation-template-update-stack.json');
  let template: { Resources: Record<string, { Type: string; Properties: { Handler?: string; Code?: { S3Key?: string } } }> };
  try {
    template = JSON.parse(readFileSync(templatePath, 'utf8')) as typeof template;
  } catch (error) {
    throw new Error(`no packaged stack in ${packageDir}: run npm run package first`, { cause: error });
  }
  return Object.values(template.Resources)
    .filter((resource) => resource.Type === 'AWS::Lambda::Function' && resource.Properties.Handler !== undefined)
    .map(({ Properties: { Handler: handler = '', Code: { S3Key: key = '' } = {} } }) => {
      const zip = basename(key);
      const name = zip.replace(/\.zip$/, '');
      const dir = join(into, name);
      execFileSync('unzip', ['-q', '-o', join(packageDir, zip), '-d', dir]);
      const file = join(dir, `${handler.slice(0, handler.lastIndexOf('.'))}.mjs`);
      return { name, file, atLoad: chunksOf(file).atLoad.map((chunk) => join(dirname(file), chunk)) };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

const LOADER = 'const t=process.hrtime.bigint();import(process.argv[1]).then(()=>process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6)))';

/** As Lambda runs them: serverless.yml's NODE_OPTIONS, so that a bundle's source map is read at load, as there. */
const NODE_OPTIONS = ['--enable-source-maps'];

function loadOnce(file: string): number {
  const out = execFileSync(process.execPath, [...NODE_OPTIONS, '-e', LOADER, file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return Number(out);
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

const fileBytes = (file: string): number => {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
};

const totalBytes = (files: readonly string[]): number => files.reduce((sum, file) => sum + fileBytes(file), 0);

export async function measureColdStarts(packageDir: string, runs: number): Promise<{ baselineMs: number; baselineBytes: number; bundles: BundleLoad[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'coalmine-cold-start-'));
  try {
    const baseline = await buildBaseline(dir);
    const bundles = unpack(packageDir, dir);
    const all = [{ name: 'baseline', file: baseline }, ...bundles];
    const times = new Map<string, number[]>(all.map((b) => [b.name, []]));
    for (const bundle of all) loadOnce(bundle.file); // warm the file cache
    for (let run = 0; run < runs; run += 1) for (const bundle of all) times.get(bundle.name)?.push(loadOnce(bundle.file));
    const baselineMs = median(times.get('baseline') ?? []);
    return {
      baselineMs,
      baselineBytes: fileBytes(baseline),
      bundles: bundles.map(({ name, atLoad }) => {
        const medianMs = median(times.get(name) ?? []);
        return { name, bytes: totalBytes(atLoad), mapBytes: totalBytes(atLoad.map((file) => `${file}.map`)), medianMs, ratio: medianMs / baselineMs };
      }),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function formatColdStarts(result: Awaited<ReturnType<typeof measureColdStarts>>, runs: number): string {
  const kb = (bytes: number): string => `${(bytes / 1024).toFixed(0)} KiB`;
  const rows = result.bundles.map((b) => `| ${b.name} | ${kb(b.bytes)} | ${kb(b.mapBytes)} | ${b.medianMs.toFixed(1)} ms | ${b.ratio.toFixed(2)}×${b.ratio > COLD_START_TARGET ? ' (over target)' : ''} |`);
  return [
    `Load time of each packaged bundle, median of ${runs} fresh processes; baseline: a minified one-client middy handler, ${kb(result.baselineBytes)}, ${result.baselineMs.toFixed(1)} ms. Target ≤ ${COLD_START_TARGET}×.`,
    '| function | bundle read at load | source maps | load | ratio to baseline |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
}

export async function runColdStartBench(argv: readonly string[]): Promise<number> {
  let runs = 9;
  let packageDir = resolve(__dirname, '..', '.serverless');
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    const next = argv[i + 1];
    if (arg === '--runs' && next !== undefined) {
      runs = Number(next);
      i += 1;
    } else if (arg === '--package' && next !== undefined) {
      packageDir = resolve(next);
      i += 1;
    } else throw new Error(`unknown argument ${arg}; usage: npm run bench -- --cold-start [--runs N] [--package DIR]`);
  }
  if (!(Number.isInteger(runs) && runs > 0)) throw new Error('--runs must be a positive whole number');
  const result = await measureColdStarts(packageDir, runs);
  console.log(formatColdStarts(result, runs));
  return result.bundles.some((b) => b.ratio > COLD_START_TARGET) ? 1 : 0;
}
