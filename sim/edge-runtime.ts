/**
 * Runs a CloudFront Function (cloudfront-js-2.0) in node as deployed, with no emulator on npm to lean on:
 * by default the artefact that serverless.yml publishes (scripts/edge-artefact.cjs, edge/x-deployment.js
 * without comments and whitespace).
 *
 * The runtime loads the code as an ES module with an import of 'cloudfront' and calls its
 * top-level `handler` by name. Here the one `import cf from 'cloudfront'` statement is blanked,
 * `cf` is injected as a global of a fresh `node:vm` context (which has no store when the
 * distribution associates none: `cf.kvs()` then throws),
 * and the rest of the file runs unchanged inside a strict function scope, which stands in for
 * module scope: top-level names stay local as in a module (as globals of a vm context every call
 * would go through the context's interceptor, tens of times slower), and the scope hands back
 * `handler`. The context has no `require`, `process`, `fetch` or timers, and eval and
 * `new Function` are disabled.
 *
 * Two users: the edge tests (test/edge/harness.ts adds their helpers) and the simulator, which routes
 * every synthetic viewer through the function as written (sim/edge.ts).
 */
import { readFileSync } from 'node:fs';
import vm from 'node:vm';
import { EDGE_FUNCTION, edgeArtefact } from '../scripts/edge-artefact.cjs';

/** The commented source that is reviewed; what runs is its artefact (readEdgeArtefact). */
export const EDGE_FUNCTION_PATH = EDGE_FUNCTION;

/** The documented viewer-request event: values keyed by name (header names lower-case, cookie names as sent). */
export interface ValueMap {
  [name: string]: { value: string; multiValue?: Array<{ value: string }> };
}
export interface ViewerRequest {
  method: string;
  uri: string;
  querystring: ValueMap;
  headers: ValueMap;
  cookies: ValueMap;
}
export interface ViewerRequestEvent {
  version: '1.0';
  context: { distributionDomainName: string; distributionId: string; eventType: 'viewer-request'; requestId: string };
  viewer: { ip: string };
  request: ViewerRequest;
}
export type EdgeHandler = (event: ViewerRequestEvent) => Promise<ViewerRequest>;

export type KvsFormat = 'string' | 'json' | 'bytes';

/**
 * An in-memory KeyValueStore. Values are stored as text, as in KVS. The function sees it through
 * `cf.kvs()`, whose `get(key, {format})`, `exists(key)` and `meta()` the loader builds inside the
 * function's context on top of `lookup`: promises made in the function's own realm are awaited
 * as cheaply as the runtime's, where a promise from this realm would cost extra ticks per await.
 */
export interface EdgeKvs {
  /** The value of `key` in `format`; throws for a missing key, as the real `get` rejects. */
  lookup(key: string, format: KvsFormat): unknown;
  has(key: string): boolean;
  keyCount(): number;
  /** Changes a value between requests, as the rollout does with UpdateKeys; undefined deletes the key. */
  set(key: string, value: string | undefined): void;
  /** Every key `get` was asked for, in order; lets tests see what the function read. */
  readonly reads: string[];
}

/** `recordReads: false` keeps `reads` empty, for benchmarks that would otherwise grow it by millions. */
export function createKvs(values: Record<string, string>, options: { recordReads?: boolean } = {}): EdgeKvs {
  const data = new Map(Object.entries(values));
  const reads: string[] = [];
  const recordReads = options.recordReads ?? true;
  return {
    reads,
    lookup(key, format) {
      if (recordReads) reads.push(key);
      const text = data.get(key);
      if (text === undefined) throw new Error(`Key ${key} not found`);
      if (format === 'string') return text;
      if (format === 'json') return JSON.parse(text) as unknown;
      if (format === 'bytes') return new Uint8Array(Buffer.from(text, 'utf8'));
      throw new Error(`Unknown format ${String(format)}`);
    },
    has: (key) => data.has(key),
    keyCount: () => data.size,
    set(key, value) {
      if (value === undefined) data.delete(key);
      else data.set(key, value);
    },
  };
}

/** The 'cloudfront' module as far as the function uses it, evaluated inside the function's context. */
const CF_MODULE = `(function (store, record) {
  'use strict';
  const epoch = new Date(0).toISOString();
  return {
    kvs: function (id) {
      record(id);
      if (store === null) throw new Error('no KeyValueStore is associated with this function');
      return {
        get: async function (key, options) { return store.lookup(key, (options && options.format) || 'string'); },
        exists: async function (key) { return store.has(key); },
        meta: async function () {
          return { creationDateTime: epoch, lastUpdatedDateTime: epoch, keyCount: store.keyCount() };
        },
      };
    },
  };
})`;

/** The import statement, as written (its own line) or as minified (`import cf from"cloudfront";`). */
const IMPORT_STATEMENT = /(^|;)[ \t]*import\s+cf\s+from\s*['"]cloudfront['"][ \t]*;?/m;

/** The commented source of edge/x-deployment.js. */
export function readEdgeSource(path = EDGE_FUNCTION_PATH): string {
  return readFileSync(path, 'utf8');
}

/** The code CloudFront runs: the artefact serverless.yml publishes. */
export function readEdgeArtefact(): string {
  return edgeArtefact();
}

/**
 * Loads a CloudFront Function in a fresh context and returns its `handler`: the deployed artefact unless
 * `source` is given. `kvs: null` is a distribution with no store associated.
 * `kvsIds` records the argument of every `cf.kvs(...)` call the function makes.
 */
export function loadEdgeFunction(options: { kvs: EdgeKvs | null; source?: string; filename?: string }): {
  handler: EdgeHandler;
  kvsIds: Array<string | undefined>;
} {
  const filename = options.filename ?? 'x-deployment.artefact.js';
  const source = options.source ?? readEdgeArtefact();
  const imports = source.match(new RegExp(IMPORT_STATEMENT.source, 'gm')) ?? [];
  // Without exactly one import the function would not get `cf` in the real runtime either.
  if (imports.length !== 1) throw new Error(`expected one "import cf from 'cloudfront'" statement, found ${imports.length}`);
  const kvsIds: Array<string | undefined> = [];
  const context = vm.createContext({}, { codeGeneration: { strings: false, wasm: false } });
  const makeCf = vm.runInContext(CF_MODULE, context) as (store: EdgeKvs | null, record: (id?: string) => void) => unknown;
  context.cf = makeCf(options.kvs, (id) => kvsIds.push(id));
  // The wrapper's opening shares line 1 so that reported line numbers match the code.
  const code = `(function () { 'use strict'; ${source.replace(IMPORT_STATEMENT, '$1')}
return typeof handler === 'function' ? handler : undefined; })()`;
  const handler: unknown = vm.runInContext(code, context, { filename, timeout: 1000 });
  if (typeof handler !== 'function') throw new Error('the function defines no top-level handler');
  return { handler: handler as EdgeHandler, kvsIds };
}

function valueMap(values: Record<string, string> | undefined, lowerCaseNames: boolean): ValueMap {
  const map: ValueMap = {};
  for (const [name, value] of Object.entries(values ?? {})) map[lowerCaseNames ? name.toLowerCase() : name] = { value };
  return map;
}

let requestCounter = 0;

/** A viewer-request event as CloudFront documents it; header names are lower-cased, cookie names kept. */
export function viewerRequest(init: {
  ip?: string;
  method?: string;
  uri?: string;
  headers?: Record<string, string>;
  cookies?: Record<string, string>;
  querystring?: Record<string, string>;
} = {}): ViewerRequestEvent {
  requestCounter += 1;
  return {
    version: '1.0',
    context: {
      distributionDomainName: 'd111111abcdef8.cloudfront.net',
      distributionId: 'EDFDVBD6EXAMPLE',
      eventType: 'viewer-request',
      requestId: `req-${requestCounter}`,
    },
    viewer: { ip: init.ip ?? '198.51.100.7' },
    request: {
      method: init.method ?? 'GET',
      uri: init.uri ?? '/',
      querystring: valueMap(init.querystring, false),
      headers: valueMap({ host: 'www.example.com', ...init.headers }, true),
      cookies: valueMap(init.cookies, false),
    },
  };
}

/** Runs the handler on one event and returns the colour it stamped (undefined when none). */
export async function stampedColour(handler: EdgeHandler, event: ViewerRequestEvent): Promise<string | undefined> {
  const request = await handler(event);
  return request.headers['x-deployment']?.value;
}
