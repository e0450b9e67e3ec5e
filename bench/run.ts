/**
 * `npm run bench`: the judge comparison (bench/compare.ts, seeded, many repetitions) and the edge function
 * benchmark (bench/edge-function.ts). Prints tables and writes bench/results/latest.json.
 *
 *   npx tsx bench/run.ts [--repetitions N] [--seed N] [--scenario NAME]... [--workers N] [--no-edge] [--out FILE]
 *   npx tsx bench/run.ts --cold-start [--runs N] [--package DIR]    (bench/cold-start.ts)
 *   npx tsx bench/run.ts --cli-start [--runs N]                     (bench/cli-start.ts)
 *
 * Scenarios run in worker threads (one per CPU by default); the figures do not depend on how many.
 *
 * What is production code and what is not: the statistical judge is the real metrics judge
 * (shared/judges/metrics: split windows, GetMetricData queries, per-window counts, latency thresholds,
 * judgeMetric with alpha spending through its memory, combineVerdicts) with one part replaced: its reader
 * answers the GetMetricData queries from the synthetic minutes instead of calling CloudWatch. The alarm
 * judge is the simulator's CloudWatch alarm evaluation. Traffic is the simulator's model drawn per minute
 * (bench/minute-traffic.ts) rather than per request, with seeds from sim/random.ts.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { formatDuration } from '../shared/duration';
import { runCliStartBench } from './cli-start';
import { runColdStartBench } from './cold-start';
import { mix, powerLimit, RolloutTraffic, runRollout, START_MS, summarise, withAlarms, type RunOutcome, type ScenarioFigures } from './compare';
import { ALPHA, COALMINE_METRICS, COMBINED, JUDGES, POLICY, SCENARIOS } from './scenarios';
import { targetRows, type TargetRow } from './targets';
import { messageOf } from '../shared/errors';

export interface BenchOptions {
  /** Rollouts per scenario (A/A at 1,000 req/s gets half). */
  readonly repetitions: number;
  readonly seed: number;
  /** Scenario names to run; all when absent. */
  readonly scenarios?: readonly string[];
  readonly edge: boolean;
  /** Worker threads for the scenarios; 1 runs them in this thread (tests). */
  readonly workers: number;
  /** Progress lines; silent when absent. */
  readonly log?: (line: string) => void;
}

export interface EdgeFigures {
  readonly rows: Array<{ case: string; nsPerRequest: number; ratioToEmpty: number }>;
  /** The deployed artefact (scripts/edge-artefact.cjs), which CloudFront's 10 KB limit applies to. */
  readonly sizeBytes: number;
  /** edge/x-deployment.js with its comments. */
  readonly sourceBytes: number;
  readonly largestStore: { readonly cidrsPerList: number; readonly countriesPerList: number };
}

export interface BenchResult {
  readonly generatedAt: string;
  readonly seed: number;
  readonly repetitions: number;
  readonly alpha: number;
  readonly coalmineMetrics: ReadonlyArray<Record<string, unknown>>;
  readonly policy: typeof POLICY;
  readonly judges: readonly string[];
  readonly scenarios: readonly ScenarioFigures[];
  /** Issue 14's targets beside their measurements (bench/targets.ts). */
  readonly targets: readonly TargetRow[];
  readonly edge: EdgeFigures | null;
  readonly wallSeconds: { readonly judges: number; readonly edge: number | null; readonly total: number };
}

export async function runBenchmark(options: BenchOptions): Promise<BenchResult> {
  const started = performance.now();
  const selected = SCENARIOS.map((_, index) => index).filter((i) => options.scenarios === undefined || options.scenarios.includes((SCENARIOS[i] as { name: string }).name));
  const figures = await runScenarios(selected, options, started);
  const judgesSeconds = (performance.now() - started) / 1000;
  let edge: EdgeFigures | null = null;
  let edgeSeconds: number | null = null;
  if (options.edge) {
    const edgeStarted = performance.now();
    // Loaded only when asked for: it compiles the edge function into a vm context.
    const { benchEdgeFunction } = await import('./edge-function');
    edge = await benchEdgeFunction();
    edgeSeconds = (performance.now() - edgeStarted) / 1000;
  }
  return {
    generatedAt: new Date().toISOString(),
    seed: options.seed,
    repetitions: options.repetitions,
    alpha: ALPHA,
    coalmineMetrics: COALMINE_METRICS,
    policy: POLICY,
    judges: [...JUDGES.map((j) => j.name), ...COMBINED.map((c) => c.name)],
    scenarios: figures,
    targets: targetRows(figures),
    edge,
    wallSeconds: { judges: round(judgesSeconds, 1), edge: edgeSeconds === null ? null : round(edgeSeconds, 1), total: round((performance.now() - started) / 1000, 1) },
  };
}

interface WorkerInput {
  readonly seed: number;
  readonly repetitions: number;
}

/** Scenarios by index into SCENARIOS (the index seeds them: the same figures whichever are selected). */
async function runScenarios(indices: readonly number[], options: BenchOptions, started: number): Promise<ScenarioFigures[]> {
  const done = (index: number) => options.log?.(`  ${(SCENARIOS[index] as { name: string }).name}: done (${((performance.now() - started) / 1000).toFixed(1)} s)`);
  const workers = Math.min(options.workers, indices.length);
  if (workers <= 1) {
    const figures: ScenarioFigures[] = [];
    for (const index of indices) {
      figures.push(await runScenario(index, options));
      done(index);
    }
    return figures;
  }
  const results = new Map<number, ScenarioFigures>();
  const queue = [...indices];
  // The workers load this file through tsx, as the main thread did.
  const source = `require(${JSON.stringify(require.resolve('tsx/cjs'))}); require(${JSON.stringify(__filename)});`;
  await Promise.all(
    Array.from({ length: workers }, () => {
      const input: WorkerInput = { seed: options.seed, repetitions: options.repetitions };
      const worker = new Worker(source, { eval: true, workerData: { benchWorker: input } });
      return new Promise<void>((resolve, reject) => {
        const next = (): void => {
          const index = queue.shift();
          if (index === undefined) {
            void worker.terminate().then(() => resolve());
            return;
          }
          worker.postMessage(index);
        };
        worker.on('message', (message: { index: number; figures: ScenarioFigures }) => {
          results.set(message.index, message.figures);
          done(message.index);
          next();
        });
        worker.on('error', reject);
        next();
      });
    }),
  );
  return indices.map((i) => results.get(i) as ScenarioFigures);
}

async function runScenario(index: number, options: Pick<BenchOptions, 'seed' | 'repetitions'>): Promise<ScenarioFigures> {
  const scenario = SCENARIOS[index] as (typeof SCENARIOS)[number];
  const repetitions = Math.max(1, Math.round(options.repetitions * (scenario.repetitionsFactor ?? 1)));
  const names = [...JUDGES.map((j) => j.name), ...COMBINED.map((c) => c.name)];
  const outcomes = new Map<string, RunOutcome[]>(names.map((name) => [name, []]));
  const latencyAllowed = 0;
  for (let r = 0; r < repetitions; r += 1) {
    const traffic = new RolloutTraffic(scenario, mix(options.seed, index, r), latencyAllowed);
    for (const judge of JUDGES) {
      const outcome = await runRollout(scenario, traffic, judge);
      outcomes.get(judge.name)?.push({ ...outcome, minutes: [] });
      for (const combined of COMBINED.filter((c) => c.metrics === judge.name)) {
        const view = { startMs: START_MS, minutes: outcome.minutes, reference: traffic.reference, thresholds: traffic.thresholds };
        outcomes.get(combined.name)?.push({ ...withAlarms(outcome, combined.alarms, view, scenario.steps), minutes: [] });
      }
    }
  }
  const limit = powerLimit(scenario, ALPHA);
  const deadline = scenario.deadlineSeconds ?? null;
  return {
    scenario: scenario.name,
    description: scenario.description,
    requestsPerSecond: scenario.requestsPerSecond,
    regression: scenario.regression,
    deadlineSeconds: deadline,
    slo: scenario.slo ?? null,
    powerLimit: limit === null ? null : round(limit.power, 4),
    limitBasis: limit?.basis ?? null,
    judges: Object.fromEntries(names.map((name) => [name, summarise(outcomes.get(name) ?? [], deadline, scenario.regression, scenario.promoteWithinSeconds ?? null)])),
  };
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

// ---- printing ----

const percent = (x: number | null, digits = 1): string => (x === null ? '–' : `${(100 * x).toFixed(digits)} %`);
const seconds = (s: number | null): string => (s === null ? 'any time' : formatDuration(s));

/** ± half-width of a 95 % interval for a rate measured on n rollouts. */
function margin(rate: number, n: number): string {
  return `± ${(196 * Math.sqrt(Math.max(rate * (1 - rate), 1 / n) / n)).toFixed(1)}`;
}

function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] as number)).join(' | ')} |`;
  return [line(header), `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`, ...rows.map(line)].join('\n');
}

export function formatResult(result: BenchResult): string {
  const judges = result.judges;
  const aa = result.scenarios.filter((s) => !s.regression && s.slo === null);
  const slos = result.scenarios.filter((s) => s.slo !== null);
  const regressions = result.scenarios.filter((s) => s.regression);
  const parts: string[] = [];
  parts.push(
    `False rollbacks on A/A, whole rollout (all looks together); in brackets: ended inconclusive (rolled back, or promoted after an inconclusive last step, as the policy says)\n` +
      table(
        ['scenario', 'rollouts', ...judges],
        aa.map((s) => [
          s.scenario,
          String(s.judges[judges[0] as string]?.rollouts ?? 0),
          ...judges.map((j) => {
            const f = s.judges[j];
            if (f === undefined) return '–';
            return `${percent(f.rollbackRate, 2)} ${margin(f.rollbackRate, f.rollouts)}${f.inconclusiveRate > 0 ? ` (${percent(f.inconclusiveRate)})` : ''}`;
          }),
        ]),
      ),
  );
  parts.push(
    `Detection (by the deadline, or at any time before promotion), and the power limit: the one-sided two-proportion z-test at α = ${percent(result.alpha, 1)} on the expected counts by the deadline (the whole plan without one)\n` +
      table(
        ['scenario', 'deadline', 'limit', ...judges.map((j) => (j === judges[0] ? `${j} (÷ limit)` : j))],
        regressions.map((s) => [
          s.scenario,
          seconds(s.deadlineSeconds),
          s.powerLimit === null ? '–' : s.powerLimit.toFixed(3),
          ...judges.map((j, i) => {
            const f = s.judges[j];
            if (f === undefined || f.detectionRate === null) return '–';
            const ratio = i === 0 && s.powerLimit !== null && s.powerLimit > 0 ? ` (${(f.detectionRate / s.powerLimit).toFixed(3)})` : '';
            return `${f.detectionRate.toFixed(3)}${ratio}`;
          }),
        ]),
      ),
  );
  parts.push(
    `Rolled back at any time / median time to detect (from the first shift)\n` +
      table(
        ['scenario', ...judges],
        regressions.map((s) => [s.scenario, ...judges.map((j) => (s.judges[j] ? `${percent(s.judges[j].rollbackRate)} / ${s.judges[j].medianSecondsToDetect === null ? '–' : seconds(s.judges[j].medianSecondsToDetect)}` : '–'))]),
      ),
  );
  if (slos.length > 0) {
    parts.push(
      `SLO gate (analysis.slo): rolled back by a judge / promoted, and median time to the rollback; the target beside each. Only coalmine's judges read the SLO: the others compare canary with baseline\n` +
        table(
          ['scenario', 'slo', 'target', ...judges],
          slos.map((s) => [
            s.scenario,
            `${Number((100 * (s.slo?.objective ?? 0)).toPrecision(6))} %, ≤ ${s.slo?.maxBurnRate}× burn`,
            s.regression ? `roll back: ≥ 0.9 × limit ${s.powerLimit === null ? '–' : s.powerLimit.toFixed(3)}` : 'promote; false rollbacks ≤ 1 %',
            ...judges.map((j) => {
              const f = s.judges[j];
              if (f === undefined) return '–';
              const median = f.medianSecondsToDetect === null ? '' : ` / ${seconds(f.medianSecondsToDetect)}`;
              return `${percent(f.rollbackRate)} ${margin(f.rollbackRate, f.rollouts)} / ${percent(f.promotedRate)}${median}`;
            }),
          ]),
        ),
    );
  }
  parts.push(
    `Canary errors served before rollback (or promotion), mean per rollout; in brackets: ended inconclusive\n` +
      table(
        ['scenario', ...judges],
        result.scenarios.map((s) => [
          s.scenario,
          ...judges.map((j) => {
            const f = s.judges[j];
            return f ? `${f.meanCanaryErrorsServed.toFixed(1)}${f.inconclusiveRate > 0 ? ` (${percent(f.inconclusiveRate)})` : ''}` : '–';
          }),
        ]),
      ),
  );
  parts.push(
    `Targets (issue 14)\n` + table(['target', 'measured', 'met'], result.targets.map((t) => [t.target, t.measured, t.met ? 'yes' : 'NO'])),
  );
  if (result.edge !== null) {
    parts.push(
      `Edge function (bench/edge-function.ts), CPU per request in node; edge/x-deployment.js is ${result.edge.sizeBytes} bytes as deployed ` +
        `(limit 10,240; ${result.edge.sourceBytes} with comments); the largest store holds ${result.edge.largestStore.cidrsPerList} CIDRs and ` +
        `${result.edge.largestStore.countriesPerList} country codes per list\n` +
        table(['case', 'ns/request', '× empty'], result.edge.rows.map((r) => [r.case, String(r.nsPerRequest), String(r.ratioToEmpty)])),
    );
  }
  parts.push(
    `seed ${result.seed}, ${result.repetitions} rollouts per scenario; wall time: judges ${result.wallSeconds.judges} s` +
      `${result.wallSeconds.edge === null ? '' : `, edge ${result.wallSeconds.edge} s`}, total ${result.wallSeconds.total} s`,
  );
  return parts.join('\n\n');
}

function parseArgs(argv: readonly string[]): BenchOptions & { out: string } {
  let repetitions = 1000;
  let workers = Math.max(1, availableParallelism());
  let seed = 1;
  let edge = true;
  let out = join(__dirname, 'results', 'latest.json');
  const scenarios: string[] = [];
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    const value = (): string => {
      const next = argv[++i];
      if (next === undefined) throw new Error(`${arg} needs a value`);
      return next;
    };
    if (arg === '--repetitions') repetitions = Number(value());
    else if (arg === '--seed') seed = Number(value());
    else if (arg === '--scenario') scenarios.push(value());
    else if (arg === '--no-edge') edge = false;
    else if (arg === '--workers') workers = Number(value());
    else if (arg === '--out') out = value();
    else throw new Error(`unknown argument ${arg}; usage: bench/run.ts [--repetitions N] [--seed N] [--scenario NAME]... [--workers N] [--no-edge] [--out FILE]`);
  }
  if (!(Number.isInteger(repetitions) && repetitions > 0)) throw new Error('--repetitions must be a positive whole number');
  if (!(Number.isInteger(seed) && seed >= 0)) throw new Error('--seed must be a whole number >= 0');
  const unknown = scenarios.filter((s) => !SCENARIOS.some((known) => known.name === s));
  if (unknown.length > 0) throw new Error(`unknown scenario(s) ${unknown.join(', ')}; choose from: ${SCENARIOS.map((s) => s.name).join('; ')}`);
  if (!(Number.isInteger(workers) && workers > 0)) throw new Error('--workers must be a positive whole number');
  return { repetitions, seed, edge, workers, out, ...(scenarios.length > 0 ? { scenarios } : {}), log: (line) => process.stderr.write(`${line}\n`) };
}

const benchWorker = (workerData as { benchWorker?: WorkerInput } | null)?.benchWorker;
if (!isMainThread && benchWorker !== undefined) {
  parentPort?.on('message', (index: number) => {
    void runScenario(index, benchWorker).then((figures) => parentPort?.postMessage({ index, figures }));
  });
} else if (isMainThread && /run\.[cm]?[jt]s$/.test(process.argv[1] ?? '')) {
  (async () => {
    const argv = process.argv.slice(2);
    if (argv[0] === '--cold-start') {
      process.exitCode = await runColdStartBench(argv.slice(1));
      return;
    }
    if (argv[0] === '--cli-start') {
      process.exitCode = await runCliStartBench(argv.slice(1));
      return;
    }
    const options = parseArgs(argv);
    process.stderr.write(`bench: ${options.repetitions} rollouts per scenario, seed ${options.seed}\n`);
    const result = await runBenchmark(options);
    console.log(formatResult(result));
    mkdirSync(dirname(options.out), { recursive: true });
    writeFileSync(options.out, `${JSON.stringify(result, null, 2)}\n`);
    console.log(`\nwrote ${options.out}`);
  })().catch((error: unknown) => {
    console.error(messageOf(error));
    process.exitCode = 1;
  });
}
