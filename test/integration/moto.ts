/**
 * A moto_server for one test file: started on 127.0.0.1 on a free port, in its own process group and
 * under a watchdog so that no server outlives its test process, with SDK v3 clients pointed at it. Jest runs test files in parallel
 * workers; each file has its own server, so tests never share state across files.
 *
 * When moto_server is not on PATH, CI fails (it must run these tests) and a developer's run skips them
 * with a visible warning.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { crc32 } from 'node:zlib';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import {
  CreateAliasCommand,
  CreateFunctionCommand,
  LambdaClient,
  PublishVersionCommand,
  UpdateFunctionCodeCommand,
} from '@aws-sdk/client-lambda';
import { describeNeeding, findOnPath, freePort } from './required-programs';

const PROGRAM = 'moto_server';
const INSTALL_HINT = "install with `pip install 'moto[server]'` (moto 5.2) so that `moto_server` is on PATH";
const START_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 3_000;

/** moto's default account: a role ARN in any other account is refused by its Lambda. */
export const MOTO_ACCOUNT = '123456789012';
export const MOTO_REGION = 'us-east-1';
/** moto checks no signatures, but the SDK needs credentials to sign with. */
export const DUMMY_CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' } as const;

/** The environment pointTheCliAt sets, and COALMINE_STATE_MACHINE_ARN, which the CLI suites set after it. */
const CLI_ENV = ['AWS_ENDPOINT_URL', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_REGION', 'COALMINE_STATE_MACHINE_ARN'] as const;

/**
 * The default credential chain and AWS_ENDPOINT_URL, as an operator's shell would set them, aimed at a
 * moto_server. Returns what puts CLI_ENV back as it was before the call (a suite's afterAll calls it).
 */
export function pointTheCliAt(endpoint: string): () => void {
  const saved = Object.fromEntries(CLI_ENV.map((key) => [key, process.env[key]]));
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: endpoint,
    AWS_ACCESS_KEY_ID: DUMMY_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: DUMMY_CREDENTIALS.secretAccessKey,
    AWS_REGION: MOTO_REGION,
  });
  return () => {
    for (const key of CLI_ENV) {
      if (saved[key] === undefined) delete process.env[key];
      else process.env[key] = saved[key];
    }
  };
}

/** Every client coalmine's handlers use, pointed at moto: pass it to `useAwsClients`. */
export interface MotoClients {
  readonly lambda: LambdaClient;
  readonly cloudwatch: CloudWatchClient;
  readonly eventbridge: EventBridgeClient;
}

/**
 * moto_server under a watchdog. The watchdog blocks reading its stdin, a pipe from this process; the
 * kernel closes that pipe whenever this process ends (afterAll never ran, a crash, Ctrl-C, SIGKILL of a
 * jest worker), and the watchdog then kills moto. An 'exit' or signal handler cannot do this in jest:
 * a test's `process` is jest's copy, which never hears the real process's events.
 * The shell exits with moto's status, so a moto that dies at start is seen at once.
 */
const WATCHDOG = [
  'program=$1; shift',
  'exec 3<&0',
  '"$program" "$@" </dev/null 3<&- &',
  'server=$!',
  '( read -r _ <&3; kill -KILL "$server" 2>/dev/null ) &',
  'watchdog=$!',
  'wait "$server"',
  'status=$?',
  'kill -KILL "$watchdog" 2>/dev/null',
  'exit "$status"',
].join('\n');

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class MotoServer {
  readonly endpoint: string;
  readonly clients: MotoClients;
  /** What the clients are made with: for a test that needs a client of its own (e.g. with a middleware). */
  readonly clientConfig: { readonly endpoint: string; readonly region: string; readonly credentials: typeof DUMMY_CREDENTIALS };
  private stopped = false;

  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
    private readonly output: () => string,
  ) {
    this.endpoint = `http://127.0.0.1:${port}`;
    this.clientConfig = { endpoint: this.endpoint, region: MOTO_REGION, credentials: DUMMY_CREDENTIALS };
    this.clients = {
      lambda: new LambdaClient(this.clientConfig),
      cloudwatch: new CloudWatchClient(this.clientConfig),
      eventbridge: new EventBridgeClient(this.clientConfig),
    };
  }

  /** Starts moto_server and waits until it answers; retries on another port if the first was taken. */
  static async start(): Promise<MotoServer> {
    const program = findOnPath(PROGRAM);
    if (program === undefined) throw new Error(`${PROGRAM} not found on PATH: ${INSTALL_HINT}`);
    let lastError: unknown;
    for (let attempt = 0; attempt < 3; attempt += 1) {
      try {
        const server = await MotoServer.launch(program, await freePort());
        // Without this, moto's CreateFunction tries to reach docker.
        await server.configure({ lambda: { use_docker: false } }).catch(async (error: unknown) => {
          await server.stop();
          throw error;
        });
        return server;
      } catch (error) {
        lastError = error;
      }
    }
    throw lastError;
  }

  private static async launch(program: string, port: number): Promise<MotoServer> {
    // detached: its own process group, so stop() reaches the watchdog, moto and anything moto started.
    const child = spawn('/bin/sh', ['-c', WATCHDOG, 'moto-watchdog', program, '-H', '127.0.0.1', '-p', String(port)], {
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    // moto logs every request; keep only the tail for error messages so the pipes never fill up.
    let tail = '';
    // An answer on the port proves nothing by itself: another worker's server may have won the race for
    // it. Ours says it is listening (werkzeug's startup line) before its answers count.
    const listening = `Running on http://127.0.0.1:${port}`;
    let bound = false;
    const keep = (chunk: Buffer) => {
      tail = (tail + chunk.toString('utf8')).slice(-4_000);
      bound ||= tail.includes(listening);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    let exited: string | undefined;
    let spawnError: Error | undefined;
    // 'close', not 'exit': by then its output has been read, so the message below can show it.
    child.once('close', (code, signal) => {
      exited = `exited with ${signal ?? `code ${code}`}`;
    });
    child.once('error', (error) => {
      spawnError = error;
    });
    const server = new MotoServer(child, port, () => tail);

    const deadline = Date.now() + START_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (spawnError !== undefined || exited !== undefined) {
        await server.stop();
        throw new Error(`${PROGRAM} on port ${port} ${spawnError?.message ?? exited} before answering:\n${tail}`);
      }
      if (bound) {
        try {
          const response = await fetch(`${server.endpoint}/moto-api/data.json`, { signal: AbortSignal.timeout(1_000) });
          await response.arrayBuffer();
          if (response.ok) return server;
        } catch {
          // not answering yet
        }
      }
      await sleep(50);
    }
    await server.stop();
    throw new Error(`${PROGRAM} on port ${port} did not answer within ${START_TIMEOUT_MS} ms:\n${tail}`);
  }

  /** moto's runtime configuration, e.g. `{lambda: {use_docker: false}}`; it survives reset(). */
  async configure(config: Record<string, unknown>): Promise<void> {
    await this.motoApi('config', config);
  }

  /** Forgets every resource in every service (the configuration stays). */
  async reset(): Promise<void> {
    await this.motoApi('reset');
  }

  /**
   * Creates an IAM role, which moto's CreateFunction requires to exist. The project has no IAM client
   * (nothing in coalmine calls IAM), so this speaks IAM's query protocol directly; moto picks the service
   * from the credential scope of the Authorization header and checks no signature.
   */
  async createLambdaRole(roleName: string): Promise<string> {
    const body = new URLSearchParams({
      Action: 'CreateRole',
      Version: '2010-05-08',
      RoleName: roleName,
      AssumeRolePolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
      }),
    });
    const response = await fetch(`${this.endpoint}/`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `AWS4-HMAC-SHA256 Credential=${DUMMY_CREDENTIALS.accessKeyId}/20250101/${MOTO_REGION}/iam/aws4_request, SignedHeaders=host, Signature=0`,
      },
      body,
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`IAM CreateRole ${roleName} failed (${response.status}): ${text}`);
    return `arn:aws:iam::${MOTO_ACCOUNT}:role/${roleName}`;
  }

  /**
   * Kills the server's whole process group and waits for it to be gone. SIGKILL, not SIGTERM: moto keeps
   * everything in memory, so there is nothing to flush, and Python takes ~0.4 s to exit on SIGTERM.
   * Safe to call twice.
   */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const client of Object.values(this.clients)) client.destroy();
    this.child.stdin?.destroy();
    if (this.child.exitCode !== null || this.child.signalCode !== null || this.child.pid === undefined) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.kill();
    const timeout = new Promise<void>((_, reject) => {
      setTimeout(() => reject(new Error(`${PROGRAM} (pid ${this.child.pid}) did not exit within ${STOP_TIMEOUT_MS} ms of SIGKILL`)), STOP_TIMEOUT_MS).unref();
    });
    await Promise.race([exited, timeout]);
  }

  /** The last lines moto printed, for a failing test's message. */
  recentOutput(): string {
    return this.output();
  }

  /** SIGKILL to the process group: the watchdog shell, moto, and anything moto started. */
  kill(): void {
    if (this.child.pid === undefined) return;
    try {
      process.kill(-this.child.pid, 'SIGKILL');
    } catch {
      // the group is gone already
    }
  }

  private async motoApi(path: string, body?: unknown): Promise<void> {
    const response = await fetch(`${this.endpoint}/moto-api/${path}`, {
      method: 'POST',
      ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`moto-api/${path} failed (${response.status}): ${text}`);
  }
}

/**
 * `describe` for tests that need moto_server: `server()` returns this file's running server. Without
 * moto_server on PATH the block fails in CI and is skipped, visibly, elsewhere.
 */
export function describeWithMoto(name: string, body: (server: () => MotoServer) => void): void {
  describeNeeding(name, [PROGRAM], INSTALL_HINT, () => {
    let running: MotoServer | undefined;
    beforeAll(async () => {
      running = await MotoServer.start();
    }, START_TIMEOUT_MS * 3 + 5_000);
    afterAll(async () => {
      await running?.stop();
    });
    body(() => {
      if (running === undefined) throw new Error(`${PROGRAM} did not start; see the beforeAll failure`);
      return running;
    });
  });
}

/**
 * A zip archive holding one file, stored without compression: all CreateFunction and
 * UpdateFunctionCode need, built in memory so the tests write nothing to disk.
 */
export function zipOneFile(fileName: string, content: string): Uint8Array {
  const name = Buffer.from(fileName, 'utf8');
  const data = Buffer.from(content, 'utf8');
  const crc = crc32(data);

  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0); // local file header
  local.writeUInt16LE(20, 4); // version needed: 2.0
  local.writeUInt16LE(0x0800, 6); // flags: UTF-8 name
  local.writeUInt16LE(0, 8); // method: stored
  local.writeUInt32LE(crc, 14);
  local.writeUInt32LE(data.length, 18);
  local.writeUInt32LE(data.length, 22);
  local.writeUInt16LE(name.length, 26);

  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0); // central directory header
  central.writeUInt16LE(20, 4);
  central.writeUInt16LE(20, 6);
  central.writeUInt16LE(0x0800, 8);
  central.writeUInt16LE(0, 10);
  central.writeUInt32LE(crc, 16);
  central.writeUInt32LE(data.length, 20);
  central.writeUInt32LE(data.length, 24);
  central.writeUInt16LE(name.length, 28);
  central.writeUInt32LE(0, 42); // offset of the local header

  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0); // end of central directory
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(central.length + name.length, 12);
  end.writeUInt32LE(local.length + name.length + data.length, 16);

  return Buffer.concat([local, name, data, central, name, end]);
}

/** The code of published version `n`: it differs per version, as Lambda publishes nothing for unchanged code. */
const handlerSource = (version: number) => `exports.handler = async () => ({ version: ${version} });\n`;

export interface AliasedFunction {
  readonly functionName: string;
  readonly alias: string;
  readonly versions: readonly string[];
}

/**
 * A Lambda function with published versions 1..`versions` and an alias on `aliasVersion`, the way a team
 * has it before a rollout. Needs a server configured with `lambda.use_docker: false` (start() does that).
 */
export async function createAliasedFunction(
  server: MotoServer,
  { functionName, alias = 'live', versions = 3, aliasVersion = '1' }: { functionName: string; alias?: string; versions?: number; aliasVersion?: string },
): Promise<AliasedFunction> {
  const { lambda } = server.clients;
  const role = await server.createLambdaRole(`${functionName}-role`);
  await lambda.send(
    new CreateFunctionCommand({
      FunctionName: functionName,
      Runtime: 'nodejs22.x',
      Handler: 'index.handler',
      Role: role,
      Code: { ZipFile: zipOneFile('index.js', handlerSource(1)) },
    }),
  );
  const published: string[] = [];
  for (let n = 1; n <= versions; n += 1) {
    if (n > 1) {
      await lambda.send(new UpdateFunctionCodeCommand({ FunctionName: functionName, ZipFile: zipOneFile('index.js', handlerSource(n)) }));
    }
    const version = await lambda.send(new PublishVersionCommand({ FunctionName: functionName, Description: `release ${n}` }));
    if (version.Version !== String(n)) throw new Error(`expected moto to publish version ${n}, got ${version.Version}`);
    published.push(version.Version);
  }
  await lambda.send(new CreateAliasCommand({ FunctionName: functionName, Name: alias, FunctionVersion: aliasVersion }));
  return { functionName, alias, versions: published };
}
