/**
 * `coalmine watch ROLLOUT`: follows one rollout until it ends. On a terminal it redraws a frame in place
 * (progress over the plan's timeline, weight, last verdict, countdown); on a pipe it prints one line per
 * change. It exits with the outcome's status (cli/io.ts OUTCOME_EXIT: 0 only when promoted), so
 * a CI pipeline can gate on it. The frames and lines are pure (story-view.ts); this module only polls.
 */
import { parseArgs } from 'node:util';
import { findExecution, readRolloutStory, readTargetNow, weightOf, type StoryAnswer, type WeightReading } from '../shared/actions/status';
import type { RolloutStart } from '../shared/executions/history';
import { realClock } from '../shared/outside-rollback';
import { settleStory, type RolloutStory } from '../shared/executions/story';
import { stateMachineOf } from './aws/options';
import { statusJson, watchFrame, watchLine } from './aws/story-view';
import { unmatched } from './aws/rollout-view';
import { EXIT, OUTCOME_EXIT, UsageError, type CliIo, type Terminal } from './io';
import { DEFAULT_INTERVAL_SECONDS } from './operator-usage';
import { withUsageErrors } from './args';

const MAX_INTERVAL_SECONDS = 300;
/** How often a terminal's countdown is redrawn between reads. */
const REDRAW_MS = 1000;
/**
 * After a person's promote stopped the execution, how long the watch waits for the target to reach 100 %
 * (the promote's own retries are shorter) before it calls the rollout failed.
 */
const PROMOTE_GRACE_MS = 120_000;
/** Read failures the watch outlasts (after the SDK's own retries): it shows the last story and reads again. */
const TRANSIENT = new Set(['AwsThrottled', 'AwsUnavailable']);

export interface WatchTarget {
  readonly executionArn: string;
  readonly executionName: string;
}

/** The I/O the watch loop uses; the command passes the real ones, tests their own. */
export interface WatchPorts {
  readonly read: (executionArn: string) => Promise<StoryAnswer>;
  readonly readTarget: (start: RolloutStart) => Promise<WeightReading | undefined>;
  readonly sleep: (ms: number) => Promise<void>;
  readonly now: () => Date;
}

/** The real readers, on the command's clock (the simulator's virtual one, or the real one). */
export function portsFor(io: CliIo): WatchPorts {
  const clock = io.clock ?? realClock;
  return { read: readRolloutStory, readTarget: readTargetNow, sleep: (ms) => clock.sleep(ms), now: () => clock.now() };
}

export interface WatchOptions {
  readonly intervalMs: number;
  readonly json: boolean;
}

/** Moves the cursor up over the last frame and clears from there down. */
const rewind = (lines: number): string => (lines > 0 ? `\x1b[${lines}F\x1b[J` : '');

/** A frame on the terminal, drawn over the last one. */
class FrameWriter {
  private drawn = 0;
  constructor(private readonly terminal: Terminal) {}
  draw(lines: readonly string[]): void {
    this.terminal.write(`${rewind(this.drawn)}${lines.join('\n')}\n`);
    this.drawn = lines.length;
  }
}

/**
 * The story with a person's promote settled by the target (settleStory); `pending` while it has not read
 * 100 % and the grace has not run out (after it, the rollout stays `promotion-requested`: exit non-zero).
 */
async function settlePromotion(story: RolloutStory, ports: WatchPorts, graceEndsMs: number): Promise<{ story: RolloutStory; pending: boolean }> {
  if (story.ended?.outcome !== 'promotion-requested') return { story, pending: false };
  const settled = settleStory(story, weightOf(await ports.readTarget(story.start)));
  return { story: settled, pending: settled.ended?.outcome === 'promotion-requested' && ports.now().getTime() < graceEndsMs };
}

/** Follows the execution until it ends; resolves to the exit status of how it ended. */
export async function followRollout(target: WatchTarget, io: CliIo, options: WatchOptions, ports: WatchPorts = portsFor(io)): Promise<number> {
  const frames = io.terminal !== undefined && !options.json ? new FrameWriter(io.terminal) : undefined;
  let answer = await ports.read(target.executionArn);
  let lastReadMs = ports.now().getTime();
  let lastLine: string | undefined;
  let graceEndsMs: number | undefined;
  for (;;) {
    if (answer.story.ended?.outcome === 'promotion-requested') graceEndsMs ??= ports.now().getTime() + PROMOTE_GRACE_MS;
    const { story, pending } = await settlePromotion(answer.story, ports, graceEndsMs ?? 0);
    const ended = pending ? undefined : story.ended;
    const now = ports.now();
    if (frames !== undefined) {
      frames.draw(watchFrame(story, target.executionName, now, io.terminal!.columns));
    } else {
      const line = watchLine(story, target.executionName);
      if (line !== lastLine) {
        io.out(options.json ? JSON.stringify(statusJson({ ...answer, story }, target, undefined, now)) : `${now.toISOString().slice(11, 19)}Z ${line}`);
        lastLine = line;
      }
    }
    if (ended !== undefined) return OUTCOME_EXIT[ended.outcome];
    await ports.sleep(frames !== undefined ? REDRAW_MS : options.intervalMs);
    if (ports.now().getTime() - lastReadMs < options.intervalMs) continue;
    try {
      answer = await ports.read(target.executionArn);
    } catch (error) {
      if (!(error instanceof Error && TRANSIENT.has(error.name))) throw error;
    }
    lastReadMs = ports.now().getTime();
  }
}

export const WATCH_OPTIONS = {
  interval: { type: 'string' },
} as const;

/** --interval SECONDS: how often Step Functions is read. */
export function intervalMsOf(value: string | undefined): number {
  if (value === undefined) return DEFAULT_INTERVAL_SECONDS * 1000;
  const seconds = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || !(seconds >= 0.1 && seconds <= MAX_INTERVAL_SECONDS)) {
    throw new UsageError(`--interval "${value}": give the seconds between reads, from 0.1 to ${MAX_INTERVAL_SECONDS}.`);
  }
  return Math.round(seconds * 1000);
}

export async function run(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = withUsageErrors(() =>
    parseArgs({
      args,
      options: { ...WATCH_OPTIONS, 'state-machine': { type: 'string' }, stage: { type: 'string' }, json: { type: 'boolean' } },
      strict: true,
      allowPositionals: true,
      tokens: true,
    }),
  );
  if (positionals.length !== 1) throw new UsageError(`give one ROLLOUT (a rollout name, function:alias, execution name or ARN), got ${positionals.length}.`);
  const intervalMs = intervalMsOf(values.interval);
  const stateMachineArn = await stateMachineOf(values);
  const found = await findExecution(stateMachineArn, positionals[0]!);
  if (found.kind !== 'found') {
    io.err(`coalmine watch: ${unmatched(positionals[0]!, found.match)}`);
    return EXIT.failure;
  }
  return followRollout(found, io, { intervalMs, json: values.json === true });
}

