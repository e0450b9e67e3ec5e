/**
 * `coalmine plan`: the timeline a rollout request implies, computed by the engine's own planner, without
 * touching AWS.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { LIMITS, USD_PER_STATE_TRANSITION } from '../shared/config/limits';
import { parseRolloutRequest, type RolloutRequest } from '../shared/config/request';
import { planRollout, type Plan } from '../shared/plan';
import { STATE_BYTE_BUDGET } from '../shared/state-size';
import { routerKindFor } from '../shared/routers/registry';
import { formatDuration } from '../shared/duration';
import { WAIT_STATES } from '../shared/executions/states';
import { clock, usd } from './format';
import type { Command } from './command';
import { EXIT, UsageError, type CliIo } from './io';
import { chooseScenario, withUsageErrors } from './simulate';

const OPTIONS = {
  request: { type: 'string' },
  scenario: { type: 'string' },
  'scenario-file': { type: 'string' },
  start: { type: 'string' },
  json: { type: 'boolean', default: false },
} as const;

export interface TimelineWait {
  readonly state: (typeof WAIT_STATES)[keyof typeof WAIT_STATES];
  readonly seconds: number;
}

export interface TimelineApproval {
  readonly timeoutSeconds: number;
  readonly onTimeout: 'rollback' | 'proceed';
  /** When the gate times out if nobody answers, seconds after the start, had every earlier gate been approved at once. */
  readonly timesOutAtSeconds: number;
  readonly timesOutAt?: string;
}

export interface TimelineStep {
  readonly index: number;
  readonly weight: number;
  /** When traffic shifts to this weight, seconds after the start. */
  readonly startSeconds: number;
  /** When the bake starts: after the settle wait, for a target that cannot observe propagation. */
  readonly bakeStartSeconds: number;
  /** When the step's first analysis runs. */
  readonly endSeconds: number;
  readonly settleSeconds: number;
  readonly bakeSeconds: number;
  /** The Wait states between the shift and the analysis: WaitForEdgeToSettle (unobservable targets only), then Bake. */
  readonly waits: TimelineWait[];
  /** The approval gate after the analysis passes: the nominal plan assumes an approval at once, the worst case waits out the timeout. */
  readonly approval?: TimelineApproval;
  readonly startsAt?: string;
  readonly endsAt?: string;
}

export interface Timeline {
  readonly target: RolloutRequest['target'];
  /** Whether the target can read back what it wrote (a Lambda alias); a KVS edge cannot, so steps wait to settle. */
  readonly observable: boolean;
  readonly startsAt: string | null;
  readonly steps: TimelineStep[];
  readonly promoteAtSeconds: number;
  readonly promotesAt?: string;
  readonly nominalSeconds: number;
  readonly worstCaseSeconds: number;
  readonly maxExtraBakesPerStep: number;
  readonly stateTransitions: Plan['stateTransitions'];
  readonly worstCaseHistoryEvents: number;
  readonly historyEventBudget: number;
  readonly worstCaseStateBytes: number;
  readonly stateByteBudget: number;
  readonly costUsd: { readonly nominal: number; readonly worstCase: number };
}

export function timelineOf(request: RolloutRequest, plan: Plan, start: Date | null, observable: boolean): Timeline {
  const at = (seconds: number): string | undefined =>
    start === null ? undefined : new Date(start.getTime() + seconds * 1000).toISOString();
  let t = 0;
  const steps = plan.steps.map((step) => {
    const startSeconds = t;
    t += plan.settleSeconds + step.bakeSeconds;
    const startsAt = at(startSeconds);
    const endsAt = at(t);
    const waits: TimelineWait[] = [
      ...(observable ? [] : [{ state: WAIT_STATES.settle, seconds: plan.settleSeconds }]),
      { state: WAIT_STATES.bake, seconds: step.bakeSeconds },
    ];
    const approval = step.approval === undefined ? undefined : approvalOf(step.approval, t, at);
    return {
      index: step.index,
      weight: step.weight,
      startSeconds,
      bakeStartSeconds: startSeconds + plan.settleSeconds,
      endSeconds: t,
      settleSeconds: plan.settleSeconds,
      bakeSeconds: step.bakeSeconds,
      waits,
      ...(approval === undefined ? {} : { approval }),
      ...(startsAt === undefined ? {} : { startsAt }),
      ...(endsAt === undefined ? {} : { endsAt }),
    };
  });
  const promotesAt = at(t);
  const cost = (transitions: number): number => Math.round(transitions * USD_PER_STATE_TRANSITION * 1e6) / 1e6;
  return {
    target: request.target,
    observable,
    startsAt: start?.toISOString() ?? null,
    steps,
    promoteAtSeconds: t,
    ...(promotesAt === undefined ? {} : { promotesAt }),
    nominalSeconds: plan.nominalSeconds,
    worstCaseSeconds: plan.worstCaseSeconds,
    maxExtraBakesPerStep: plan.maxExtraBakesPerStep,
    stateTransitions: plan.stateTransitions,
    worstCaseHistoryEvents: plan.worstCaseHistoryEvents,
    historyEventBudget: LIMITS.historyEventBudget,
    worstCaseStateBytes: plan.worstCaseStateBytes,
    stateByteBudget: STATE_BYTE_BUDGET,
    costUsd: { nominal: cost(plan.stateTransitions.nominal), worstCase: cost(plan.stateTransitions.worstCase) },
  };
}

function approvalOf(approval: NonNullable<Plan['steps'][number]['approval']>, analyzedSeconds: number, at: (seconds: number) => string | undefined): TimelineApproval {
  const timesOutAtSeconds = analyzedSeconds + approval.timeoutSeconds;
  const timesOutAt = at(timesOutAtSeconds);
  return { ...approval, timesOutAtSeconds, ...(timesOutAt === undefined ? {} : { timesOutAt }) };
}

/** An absolute time `seconds` after the timeline's start, when it has one. */
function at(timeline: Timeline, seconds: number): string | undefined {
  return timeline.startsAt === null ? undefined : new Date(Date.parse(timeline.startsAt) + seconds * 1000).toISOString();
}

function timelineLines(timeline: Timeline, request: RolloutRequest): string[] {
  const { target } = timeline;
  const kind = routerKindFor(target);
  const absolute = timeline.startsAt !== null;
  const when = (seconds: number, iso: string | undefined): string => (iso ?? `+${clock(seconds)}`).padEnd(absolute ? 26 : 12);
  const lines = [
    `Plan: ${kind.describe(target)} (${target.type}${'version' in target ? ` → version ${target.version}` : ''}), ` +
      `${request.strategy.preset ?? (request.strategy.steps === undefined ? 'custom weights' : 'custom steps')}${absolute ? `, starting ${timeline.startsAt}` : ''}`,
    '',
  ];
  if (timeline.steps.length === 0) {
    lines.push('  no canary steps: all traffic moves to the new version at once');
  } else {
    // Where the settle wait exists it is a state of its own in the execution's history: show it by name, with
    // when the bake starts; an alias's steps only bake.
    const { observable } = timeline;
    const column = absolute ? 26 : 12;
    lines.push(
      `  step  weight  ${'shift at'.padEnd(column)}${observable ? '' : 'bake from'.padEnd(column)}${'analyzed at'.padEnd(column)}` +
        `${observable ? 'bake' : 'waits'}`,
    );
    for (const step of timeline.steps) {
      const bakeFrom = observable ? '' : when(step.bakeStartSeconds, at(timeline, step.bakeStartSeconds));
      const waits = observable ? formatDuration(step.bakeSeconds) : step.waits.map((w) => `${w.state} ${formatDuration(w.seconds)}`).join(', ');
      lines.push(
        `  ${String(step.index + 1).padStart(4)}  ${`${step.weight} %`.padStart(6)}  ` +
          `${when(step.startSeconds, step.startsAt)}${bakeFrom}${when(step.endSeconds, step.endsAt)}${waits}`,
      );
      if (step.approval !== undefined) {
        lines.push(
          `        then waits for a person to approve: at most ${formatDuration(step.approval.timeoutSeconds)}, until ` +
            `${(step.approval.timesOutAt ?? `+${clock(step.approval.timesOutAtSeconds)}`)}, then ${step.approval.onTimeout === 'rollback' ? 'rolls back' : 'proceeds'}`,
        );
      }
    }
    if (timeline.steps.some((step) => step.approval !== undefined)) {
      lines.push('  The times above assume every gate is approved at once; the worst case below waits out every timeout.');
    }
  }
  const span = (seconds: number): string => (seconds === 0 ? 'immediate' : formatDuration(seconds));
  const thousands = (n: number): string => n.toLocaleString('en-US');
  lines.push(`  promote to 100 % at ${when(timeline.promoteAtSeconds, timeline.promotesAt).trimEnd()}`);
  if (!timeline.observable && timeline.steps.length > 0) {
    lines.push(
      `  The edge's copy of the store cannot be read back (${target.type}: observable: false), so after each shift the`,
      `  state machine waits settleSeconds (${request.settleSeconds} s) in ${WAIT_STATES.settle} before the ${WAIT_STATES.bake} starts.`,
    );
  }
  lines.push(
    '',
    `Duration: ${span(timeline.nominalSeconds)} when every analysis passes at once; ${span(timeline.worstCaseSeconds)} at worst ` +
      `(${timeline.maxExtraBakesPerStep} extra bakes per inconclusive step` +
      `${timeline.steps.some((step) => step.approval !== undefined) ? ', every approval gate waiting out its timeout' : ''}` +
      `${request.analysis.inconclusive.then === 'hold' ? `, then holding ${formatDuration(request.analysis.inconclusive.holdSeconds ?? 0)} for a person` : ''})`,
    `State transitions: ${timeline.stateTransitions.nominal} nominal, ${timeline.stateTransitions.worstCase} worst case ` +
      `(history events at worst ${thousands(timeline.worstCaseHistoryEvents)} of a budget of ${thousands(timeline.historyEventBudget)})`,
    `Execution state: at most ${thousands(timeline.worstCaseStateBytes)} bytes of a budget of ${thousands(timeline.stateByteBudget)} ` +
      '(Step Functions fails an execution past 262,144)',
    `Cost: ${usd(timeline.costUsd.nominal)} nominal, ${usd(timeline.costUsd.worstCase)} worst case ` +
      '(Step Functions Standard, $0.025 per 1,000 transitions; Lambda and CloudWatch calls not included)',
  );
  return lines;
}

export async function readRequest(options: { request?: string; scenario?: string; 'scenario-file'?: string }, io: CliIo): Promise<unknown> {
  const sources = [options.request, options.scenario, options['scenario-file']].filter((s) => s !== undefined);
  if (sources.length > 1) throw new UsageError('give one of --request, --scenario and --scenario-file');
  if (options.scenario !== undefined || options['scenario-file'] !== undefined) {
    return chooseScenario(options.scenario, options['scenario-file']).rollout;
  }
  let text: string | null;
  let source: string;
  if (options.request === undefined || options.request === '-') {
    text = await io.readStdin();
    source = 'standard input';
    if (text === null || text.trim() === '') throw new UsageError('give --request FILE, or pipe a rollout request (JSON) on standard input');
  } else {
    source = options.request;
    try {
      text = readFileSync(options.request, 'utf8');
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
      throw new UsageError(`--request ${options.request}: cannot read the file: ${reason}`);
    }
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`the request on ${source} is not valid JSON: ${(error as Error).message}`);
  }
}

function parseStart(text: string | undefined): Date | null {
  if (text === undefined) return null;
  const start = new Date(text);
  if (Number.isNaN(start.getTime())) throw new UsageError(`--start must be an ISO 8601 time such as 2030-01-07T09:00:00Z, got "${text}"`);
  return start;
}

async function run(args: string[], io: CliIo): Promise<number> {
  const options = withUsageErrors(() => parseArgs({ args, options: OPTIONS, strict: true, allowPositionals: false, tokens: true })).values;
  const start = parseStart(options.start);
  const request = parseRolloutRequest(await readRequest(options, io));
  const { observable } = routerKindFor(request.target);
  const plan = planRollout(request, { observable });
  const timeline = timelineOf(request, plan, start, observable);
  if (options.json) io.out(JSON.stringify(timeline));
  else for (const line of timelineLines(timeline, request)) io.out(line);
  return EXIT.ok;
}

export const planCommand: Command = {
  name: 'plan',
  usage: `coalmine plan [--request FILE | --scenario NAME | --scenario-file FILE] [--start ISO-TIME] [--json]
    Print the timeline a rollout request implies (steps, times, duration, state transitions, cost)
    without running anything. Reads the request from standard input when no file is given.`,
  run,
};
