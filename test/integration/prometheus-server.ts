/**
 * A real Prometheus (Debian's `prometheus` 2.42) for one test file: counters written as OpenMetrics with
 * explicit timestamps, backfilled with `promtool tsdb create-blocks-from openmetrics`, then the server
 * started on 127.0.0.1 over that data and stopped by its PID. Without the programs, CI fails and a
 * developer's run skips visibly, as with moto_server.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describeNeeding, freePort } from './required-programs';

const INSTALL_HINT = 'install with `apt-get install -y prometheus` (Debian bookworm: 2.42, with promtool)';
const START_TIMEOUT_MS = 60_000;
const START_ATTEMPTS = 3;

/** Per destination_version label: requests and the 5xx share per second. */
export type IstioTraffic = Record<string, { readonly rps: number; readonly errorRate: number }>;

/** A cumulative sample every `stepS` from `startS` to `endS`, rounded to 3 decimals: the `n`-th is n × perStep. */
export function cumulativeSamples(series: string, perStep: number, startS: number, endS: number, stepS: number): string[] {
  const lines: string[] = [];
  for (let t = startS, n = 0; t <= endS; t += stepS, n += 1) lines.push(`${series} ${Math.round(n * perStep * 1000) / 1000} ${t}`);
  return lines;
}

/** OpenMetrics lines of Istio's istio_requests_total by destination_version and response_code (200, 503). */
export function istioRequestCounters(traffic: IstioTraffic, startS: number, endS: number, stepS: number): string[] {
  const lines = ['# TYPE istio_requests counter'];
  for (const [version, { rps, errorRate }] of Object.entries(traffic)) {
    for (const code of ['200', '503']) {
      const perStep = stepS * rps * (code === '503' ? errorRate : 1 - errorRate);
      lines.push(...cumulativeSamples(`istio_requests_total{destination_version="${version}",response_code="${code}"}`, perStep, startS, endS, stepS));
    }
  }
  return lines;
}

export interface PrometheusServer {
  readonly baseUrl: string;
  stop(): Promise<void>;
}

/**
 * Backfills `openMetrics` (must end with "# EOF") and serves it on a free port. A server that exits at
 * start (its port taken in the meantime) is started again on another port; the error of the last try
 * shows what Prometheus printed.
 */
export async function startPrometheus(openMetrics: string): Promise<PrometheusServer> {
  const dir = mkdtempSync(join(tmpdir(), 'coalmine-prom-'));
  const input = join(dir, 'series.om');
  const data = join(dir, 'data');
  writeFileSync(input, openMetrics);
  writeFileSync(join(dir, 'prometheus.yml'), 'global:\n  scrape_interval: 1m\n');
  try {
    await promisify(execFile)('promtool', ['tsdb', 'create-blocks-from', 'openmetrics', input, data]);
    let lastError: unknown;
    for (let attempt = 0; attempt < START_ATTEMPTS; attempt += 1) {
      try {
        const { baseUrl, kill } = await launch(dir, data, await freePort());
        return {
          baseUrl,
          stop: async () => {
            await kill();
            rmSync(dir, { recursive: true, force: true });
          },
        };
      } catch (error) {
        lastError = error;
      }
    }
    throw lastError;
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

/** One Prometheus on `port`, ready and proven ours: its flags name our data directory. */
async function launch(dir: string, data: string, port: number): Promise<{ baseUrl: string; kill: () => Promise<void> }> {
  const child: ChildProcess = spawn(
    'prometheus',
    [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${data}`, `--web.listen-address=127.0.0.1:${port}`, '--storage.tsdb.retention.time=3650d'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  // Prometheus logs to stderr; keep the tail for the error message so the pipe never fills up.
  let tail = '';
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString('utf8')).slice(-2_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const kill = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }
  };
  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline && child.exitCode === null) {
    if (await answersAsOurs(baseUrl, data)) return { baseUrl, kill };
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const why = child.exitCode === null ? `did not become ready within ${START_TIMEOUT_MS} ms` : `exited with code ${child.exitCode}`;
  await kill();
  throw new Error(`prometheus on port ${port} ${why}; it printed:\n${tail}`);
}

/** Ready, and serving `data` rather than some other process that took the port. */
async function answersAsOurs(baseUrl: string, data: string): Promise<boolean> {
  try {
    const ready = await fetch(`${baseUrl}/-/ready`, { signal: AbortSignal.timeout(1_000) });
    if (!ready.ok) return false;
    const flags = await fetch(`${baseUrl}/api/v1/status/flags`, { signal: AbortSignal.timeout(1_000) });
    const body = (await flags.json()) as { data?: Record<string, string> };
    return body.data?.['storage.tsdb.path'] === data;
  } catch {
    return false; // not listening yet
  }
}

/** `describe` that needs Prometheus: fails under CI=true without it, skips with a message elsewhere. */
export function describeWithPrometheus(name: string, body: () => void): void {
  describeNeeding(name, ['prometheus', 'promtool'], INSTALL_HINT, body);
}
