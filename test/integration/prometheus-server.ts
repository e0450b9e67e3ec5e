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
import { describeNeeding } from './required-programs';

const INSTALL_HINT = 'install with `apt-get install -y prometheus` (Debian bookworm: 2.42, with promtool)';
const START_TIMEOUT_MS = 30_000;

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

/** Backfills `openMetrics` (must end with "# EOF") and serves it on a free port. */
export async function startPrometheus(openMetrics: string): Promise<PrometheusServer> {
  const dir = mkdtempSync(join(tmpdir(), 'coalmine-prom-'));
  const input = join(dir, 'series.om');
  const data = join(dir, 'data');
  writeFileSync(input, openMetrics);
  writeFileSync(join(dir, 'prometheus.yml'), 'global:\n  scrape_interval: 1m\n');
  await promisify(execFile)('promtool', ['tsdb', 'create-blocks-from', 'openmetrics', input, data]);
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const child: ChildProcess = spawn(
    'prometheus',
    [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${data}`, `--web.listen-address=127.0.0.1:${port}`, '--storage.tsdb.retention.time=3650d'],
    { stdio: 'ignore' },
  );
  const baseUrl = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    try {
      const response = await fetch(`${baseUrl}/-/ready`, { signal: AbortSignal.timeout(1_000) });
      if (response.ok) return { baseUrl, stop };
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  await stop();
  throw new Error(`prometheus on port ${port} did not become ready within ${START_TIMEOUT_MS} ms`);
}

/** `describe` that needs Prometheus: fails under CI=true without it, skips with a message elsewhere. */
export function describeWithPrometheus(name: string, body: () => void): void {
  describeNeeding(name, ['prometheus', 'promtool'], INSTALL_HINT, body);
}
