/**
 * `coalmine plan`: the timeline a rollout request implies, computed by the engine's own planner, without
 * touching AWS.
 */
import { parseArgs } from 'node:util';
import { LIMITS, USD_PER_STATE_TRANSITION } from '../shared/config/limits';
import { parseRolloutRequest, type RolloutRequest } from '../shared/config/request';
import { planRollout, type Plan } from '../shared/plan';
import { STATE_BYTE_BUDGET } from '../shared/state-size';
import { routerKindFor } from '../shared/routers/registry';
import { KVS_KEYS } from '../shared/config/target-facts';
import { addressShareOf, describeAddressShare, describeLimits, overPinShareLimits, type AddressShare } from '../shared/net/pin-share';
import { formatDuration } from '../shared/duration';
import { WAIT_STATES } from '../shared/executions/states';
import { clock, usd } from './units';
import { EXIT, UsageError, type CliIo } from './io';
import { withUsageErrors } from './args';
import { readRequestFile } from './request-file';

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

/** One colour's pins as the request gives them; null where the request leaves the store's key as it is. */
export interface TimelinePins {
  /** The share of each address family the CIDRs cover (0 to 1). */
  readonly cidrs: AddressShare | null;
  readonly countries: readonly string[] | null;
}

/** The bake at 100 % after the promotion (request.postPromotion). */
export interface TimelinePostPromotion {
  readonly bakeSeconds: number;
  readonly intervalSeconds: number;
  readonly looks: number;
  /** When the bake ends and the execution succeeds, seconds after the start. */
  readonly endsAtSeconds: number;
  readonly endsAt?: string;
}

export interface Timeline {
  readonly target: RolloutRequest['target'];
  /** cloudfront-kvs only: the pins Preflight writes, which apply whatever the step's weight. */
  readonly pins?: { readonly blue: TimelinePins; readonly green: TimelinePins };
  /** Whether the target can read back what it wrote (a Lambda alias); a KVS edge cannot, so steps wait to settle. */
  readonly observable: boolean;
  readonly startsAt: string | null;
  readonly steps: TimelineStep[];
  readonly promoteAtSeconds: number;
  readonly promotesAt?: string;
  readonly postPromotion?: TimelinePostPromotion;
  readonly nominalSeconds: number;
  readonly worstCaseSeconds: number;
  readonly maxExtraSecondsPerStep: number;
  /** Seconds between two looks (analysis.intervalSeconds, or wider), and the interval the request asked for. */
  readonly intervalSeconds: number;
  readonly requestedIntervalSeconds: number;
  readonly looks: Plan['looks'];
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
  const bake = plan.postPromotion;
  const bakeEndsAt = bake === undefined ? undefined : at(t + bake.bakeSeconds);
  const postPromotion =
    bake === undefined ? undefined : { ...bake, endsAtSeconds: t + bake.bakeSeconds, ...(bakeEndsAt === undefined ? {} : { endsAt: bakeEndsAt }) };
  const cost = (transitions: number): number => Math.round(transitions * USD_PER_STATE_TRANSITION * 1e6) / 1e6;
  const { target } = request;
  const pinsOf = (cidrs: readonly string[] | undefined, countries: readonly string[] | undefined): TimelinePins => ({
    cidrs: cidrs === undefined ? null : addressShareOf(cidrs),
    countries: countries ?? null,
  });
  return {
    target,
    ...(target.type === 'cloudfront-kvs'
      ? { pins: { blue: pinsOf(target.blueCidrs, target.blueCountries), green: pinsOf(target.greenCidrs, target.greenCountries) } }
      : {}),
    observable,
    startsAt: start?.toISOString() ?? null,
    steps,
    promoteAtSeconds: t,
    ...(promotesAt === undefined ? {} : { promotesAt }),
    ...(postPromotion === undefined ? {} : { postPromotion }),
    nominalSeconds: plan.nominalSeconds,
    worstCaseSeconds: plan.worstCaseSeconds,
    maxExtraSecondsPerStep: plan.maxExtraSecondsPerStep,
    intervalSeconds: plan.steps[0]?.intervalSeconds ?? plan.requestedIntervalSeconds,
    requestedIntervalSeconds: plan.requestedIntervalSeconds,
    looks: plan.looks,
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
  lines.push(...afterPromotionLines(timeline, request, when));
  if (!timeline.observable && timeline.steps.length > 0) {
    lines.push(
      `  The edge's copy of the store cannot be read back (${target.type}: observable: false), so after each shift the`,
      `  state machine waits settleSeconds (${request.settleSeconds} s) in ${WAIT_STATES.settle} before the ${WAIT_STATES.bake} starts.`,
    );
  }
  lines.push(...pinLines(timeline, request));
  lines.push(
    '',
    `Duration: ${span(timeline.nominalSeconds)} when every step passes at the end of its bake; ${span(timeline.worstCaseSeconds)} at worst ` +
      `(${formatDuration(timeline.maxExtraSecondsPerStep)} of extra bake time per inconclusive step` +
      `${timeline.steps.some((step) => step.approval !== undefined) ? ', every approval gate waiting out its timeout' : ''}` +
      `${request.analysis.inconclusive.then === 'hold' ? `, then holding ${formatDuration(request.analysis.inconclusive.holdSeconds ?? 0)} for a person` : ''})`,
    `Looks: every ${formatDuration(timeline.intervalSeconds)} during each bake` +
      `${timeline.intervalSeconds === timeline.requestedIntervalSeconds ? '' : ` (widened from analysis.intervalSeconds ${formatDuration(timeline.requestedIntervalSeconds)} to fit the history budget)`}; ` +
      `${timeline.looks.nominal} nominal, ${timeline.looks.worstCase} worst case`,
    `State transitions: ${timeline.stateTransitions.nominal} nominal, ${timeline.stateTransitions.worstCase} worst case ` +
      `(history events at worst ${thousands(timeline.worstCaseHistoryEvents)} of a budget of ${thousands(timeline.historyEventBudget)})`,
    `Execution state: at most ${thousands(timeline.worstCaseStateBytes)} bytes of a budget of ${thousands(timeline.stateByteBudget)} ` +
      '(Step Functions fails an execution past 262,144)',
    `Cost: ${usd(timeline.costUsd.nominal)} nominal, ${usd(timeline.costUsd.worstCase)} worst case ` +
      '(Step Functions Standard, $0.025 per 1,000 transitions; Lambda and CloudWatch calls not included)',
  );
  return lines;
}

const count = (n: number, what: string): string => `${n} ${what}${n === 1 ? '' : 's'}`;

/** The hooks, and the post-promotion bake with its looks: what runs around the steps above. */
function afterPromotionLines(timeline: Timeline, request: RolloutRequest, when: (seconds: number, iso: string | undefined) => string): string[] {
  const lines: string[] = [];
  const bake = timeline.postPromotion;
  if (bake !== undefined) {
    const analysis = request.postPromotion?.analysis;
    const judged =
      analysis === undefined
        ? `the rollout's alarms: ${request.analysis.alarms.join(', ') || 'none'}`
        : `${count(analysis.alarms.length, 'alarm')} and ${count(analysis.metrics.length, 'metric check')} against the previous version's window before the rollout`;
    lines.push(
      `  then bakes at 100 % for ${formatDuration(bake.bakeSeconds)}, the previous version one write away: ${bake.looks} looks every ` +
        `${formatDuration(bake.intervalSeconds)} (${judged}); ends promoted at ${when(bake.endsAtSeconds, bake.endsAt).trimEnd()}`,
      '  A failed look, or a watched alarm going to ALARM, rolls back to the previous version during the bake.',
    );
  }
  const hooks = request.hooks ?? {};
  const moments: Record<string, string> = {
    preTraffic: 'before any traffic moves',
    onStep: "after each step's passing analysis",
    postTraffic: bake === undefined ? 'after the promotion (a failure rolls back)' : 'after the promotion, before the bake',
  };
  for (const [name, hook] of Object.entries(hooks)) {
    if (hook === undefined) continue;
    lines.push(`  hook ${name}: ${hook.function} ${moments[name] ?? ''} (at most ${hook.timeoutSeconds} s, ${hook.retries} retries of transient Lambda errors)`);
  }
  return lines;
}

/** What the pins send to each colour from Preflight on, whatever the step's weight (cloudfront-kvs only). */
function pinLines(timeline: Timeline, request: RolloutRequest): string[] {
  const { target } = request;
  if (timeline.pins === undefined || target.type !== 'cloudfront-kvs') return [];
  const canary = target.stableAfterPromotion;
  const colour = (name: 'blue' | 'green', pins: TimelinePins): string => {
    const cidrs = pins.cidrs === null ? `${KVS_KEYS[`${name}Cidrs`]} as the store has it` : describeAddressShare(pins.cidrs);
    const countries = pins.countries === null ? `${KVS_KEYS[`${name}Countries`]} as the store has it` : pins.countries.length === 0 ? 'no countries' : `countries ${pins.countries.join(', ')}`;
    const over = name === canary && pins.cidrs !== null && overPinShareLimits(pins.cidrs) ? ` (above the bound, allowed by the override: ${request.override?.reason ?? ''})` : '';
    return `  ${name}${name === canary ? ' (the canary)' : ''}: ${cidrs}${over}; ${countries}`;
  };
  return [
    '',
    "Pins (written in Preflight, before any traffic moves; they apply whatever the step's weight), share of the address space:",
    colour('green', timeline.pins.green),
    colour('blue', timeline.pins.blue),
    `  The canary's pins may cover at most ${describeLimits()} without override.allowLargeGreenPins; Preflight checks the store's lists too.`,
  ];
}

export async function readRequest(options: { request?: string; scenario?: string; 'scenario-file'?: string }, io: CliIo): Promise<unknown> {
  const sources = [options.request, options.scenario, options['scenario-file']].filter((s) => s !== undefined);
  if (sources.length > 1) throw new UsageError('give one of --request, --scenario and --scenario-file');
  if (options.scenario !== undefined || options['scenario-file'] !== undefined) {
    // The simulator's scenarios, loaded only for them: a plan of a request file does not load the simulator.
    const { chooseScenario } = await import('./simulate');
    return chooseScenario(options.scenario, options['scenario-file']).rollout;
  }
  return readRequestFile(options.request, io);
}

/** ISO 8601 with a date, a time and an offset (or Z): a local time without one would mean a different instant on every machine. */
const ISO_INSTANT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/;

function parseStart(text: string | undefined): Date | null {
  if (text === undefined) return null;
  const fields = ISO_INSTANT.exec(text);
  const start = new Date(text);
  // The Date must not have rolled an impossible field over (2030-02-30 is no day): the fields are as written.
  if (fields === null || Number.isNaN(start.getTime()) || !sameFields(text, start, fields)) throw new UsageError(`--start must be an ISO 8601 time with an offset or Z, such as 2030-01-07T09:00:00Z or 2030-01-07T10:00:00+01:00, got "${text}"`);
  return start;
}

/** Whether the date and time fields of `text` are a real calendar date and clock time (read in its own offset). */
function sameFields(text: string, start: Date, fields: RegExpExecArray): boolean {
  const [, year, month, day, hour, minute, second = '00'] = fields.map(Number) as number[];
  const offset = /([+-])(\d{2}):(\d{2})$/.exec(text);
  const offsetMs = offset === null ? 0 : (offset[1] === '-' ? -1 : 1) * (Number(offset[2]) * 60 + Number(offset[3])) * 60_000;
  const local = new Date(start.getTime() + offsetMs);
  return (
    local.getUTCFullYear() === year && local.getUTCMonth() + 1 === month && local.getUTCDate() === day &&
    local.getUTCHours() === hour && local.getUTCMinutes() === minute && local.getUTCSeconds() === Number(second)
  );
}

export async function run(args: string[], io: CliIo): Promise<number> {
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

