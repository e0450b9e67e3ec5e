/**
 * The chaos campaign's cases: from one seed, a scenario document (as `coalmine simulate --scenario-file`
 * takes it) with random faults of the classes below, over both target kinds. Pure: the same seed gives the
 * same document, so a case is reproduced by its seed or by the file written from it.
 */
import { THROTTLING_NAMES, UNAVAILABLE_NAMES } from '../../shared/errors';
import { createRandom, type RandomSource } from '../random';
import { AwsWorld } from '../world';

export const FAULT_CLASSES = [
  /** Classified AWS errors (throttling, service faults, permanent ones) on any operation, at random times and counts. */
  'aws-error',
  /** A write takes effect and its answer is lost: the caller sees a timeout. */
  'lost-response',
  /** A Lambda task's process exits (Runtime.ExitError), before or after its work. */
  'task-crash',
  /** A Lambda task hangs until its TimeoutSeconds (States.Timeout), before or after its work. */
  'task-timeout',
  /** A Lambda task answers {} after its work (another version's shape): the states after it may fail with States.Runtime, which no Catch sees. */
  'malformed-output',
  /** A person presses Stop in the console. */
  'console-stop',
  /** EventBridge delivers alarm events and status changes late, twice, or (a status change) not at all. */
  'late-duplicate-events',
  /** A person's Slack rollback or promote, at a random time or right at a step's shift. */
  'slack-race',
  /** The canary fails requests: its alarm fires and the analysis fails it. */
  'bad-canary',
] as const;
export type FaultClass = (typeof FAULT_CLASSES)[number];

/** The most calls one injected AWS fault fails. */
const MAX_FAULT_CALLS = 10;

/** How likely each class is in a case; a case without any draws one. */
const CLASS_PROBABILITY = 0.3;

export type TargetKind = 'lambda-alias' | 'cloudfront-kvs';

export interface ChaosCase {
  readonly seed: number;
  readonly target: TargetKind;
  readonly faultClasses: readonly FaultClass[];
  /** The scenario file that runs this case (its `seed` fixes the traffic and jitter too). */
  readonly scenario: Readonly<Record<string, unknown>>;
}

/** Errors every operation may meet: the classified transient ones, and permanent ones nothing retries. */
const AWS_ERRORS = [...THROTTLING_NAMES, ...UNAVAILABLE_NAMES, 'AccessDeniedException', 'ResourceNotFoundException', 'ValidationException'];

/** The writes whose answer can be lost after they took effect, by target kind. */
const WRITES: Readonly<Record<TargetKind, readonly string[]>> = {
  'lambda-alias': ['UpdateAlias', 'StopExecution', 'PutEvents'],
  'cloudfront-kvs': ['UpdateKeys', 'PutKey', 'DeleteKey', 'StopExecution', 'PutEvents'],
};

/** Every operation the simulated AWS has: a fault may strike any of them, whoever calls it. */
const OPERATIONS = Object.values(new AwsWorld().operations()).flat();

const TASK_STATES = ['Preflight', 'ShiftTraffic', 'VerifyTraffic', 'AnalyzeCanary', 'Promote', 'RollBack'];

const KVS_ARN = 'arn:aws:cloudfront::123456789012:key-value-store/5f0c1c2e-7d5b-4a57-9d1e-0c2b7f6a9e11';

class Draw {
  constructor(private readonly random: RandomSource) {}
  chance(p: number): boolean {
    return this.random.uniform() < p;
  }
  int(min: number, max: number): number {
    return min + Math.floor(this.random.uniform() * (max - min + 1));
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.random.uniform() * items.length)] as T;
  }
}

interface Shape {
  readonly weights: number[];
  readonly bakeSeconds: number;
  readonly settleSeconds: number;
  /** When each step shifts, from the start: where a race with a person is sharpest. */
  readonly shiftTimes: number[];
  readonly nominalSeconds: number;
}

function shapeOf(draw: Draw, target: TargetKind): Shape {
  const steps = draw.int(1, 3);
  const weights = [...new Set(Array.from({ length: steps }, () => draw.pick([5, 10, 20, 25, 50])))].sort((a, b) => a - b);
  const bakeSeconds = 60 * draw.int(1, 4);
  const settleSeconds = target === 'cloudfront-kvs' ? 30 : 0;
  const shiftTimes = weights.map((_, i) => i * (bakeSeconds + settleSeconds));
  return { weights: [...weights, 100], bakeSeconds, settleSeconds, shiftTimes, nominalSeconds: weights.length * (bakeSeconds + settleSeconds) };
}

function rolloutOf(target: TargetKind, shape: Shape): Record<string, unknown> {
  const strategy = { weights: shape.weights, bakeSeconds: shape.bakeSeconds };
  const analysis = { alarms: ['service-errors'] };
  if (target === 'lambda-alias') {
    return { name: 'checkout', target: { type: 'lambda-alias', functionName: 'checkout', alias: 'live', version: '42' }, strategy, analysis };
  }
  return { name: 'storefront', target: { type: 'cloudfront-kvs', kvsArn: KVS_ARN, stableAfterPromotion: 'green' }, strategy, analysis, settleSeconds: shape.settleSeconds };
}

/** A time within the rollout, or a little after its nominal end. */
function someTime(draw: Draw, shape: Shape): number {
  return draw.int(0, shape.nominalSeconds + 120);
}

/** For a fault of AWS: also up to 15 minutes after the nominal end, when the reconciler's calls meet it. */
function faultTime(draw: Draw, shape: Shape): number {
  return draw.int(0, shape.nominalSeconds + 900);
}

type Events = Array<Record<string, unknown>>;

/** What each class adds to the scenario. */
const CLASS_EFFECTS: Readonly<Record<FaultClass, (draw: Draw, target: TargetKind, shape: Shape, scenario: { world: Record<string, unknown>; events: Events }) => void>> = {
  'aws-error': (draw, _target, shape, { events }) => {
    // A fault that never clears cannot be outlived by anything (test/sim/reconciler.test.ts shows the tries stay
    // visible); these clear after up to MAX_FAULT_CALLS calls, longer than any retry budget but within the hour.
    for (let i = draw.int(1, 3); i > 0; i -= 1) {
      events.push({ at: faultTime(draw, shape), kind: 'inject-fault', operation: draw.pick(OPERATIONS), error: draw.pick(AWS_ERRORS), times: draw.int(1, MAX_FAULT_CALLS) });
    }
  },
  'lost-response': (draw, target, shape, { events }) => {
    events.push({ at: faultTime(draw, shape), kind: 'inject-fault', operation: draw.pick(WRITES[target]), error: 'TimeoutError', times: draw.int(1, 2), responseLost: true });
  },
  'task-crash': (draw, _target, shape, { events }) => {
    events.push({ at: someTime(draw, shape), kind: 'task-fault', state: draw.pick(TASK_STATES), fault: 'crash', times: draw.int(1, 4), afterWork: draw.chance(0.5) });
  },
  'task-timeout': (draw, _target, shape, { events }) => {
    events.push({ at: someTime(draw, shape), kind: 'task-fault', state: draw.pick(TASK_STATES), fault: 'timeout', times: draw.int(1, 3), afterWork: draw.chance(0.5) });
  },
  'malformed-output': (draw, _target, shape, { events }) => {
    events.push({ at: someTime(draw, shape), kind: 'task-fault', state: draw.pick(TASK_STATES), fault: 'malformed', times: 1 });
  },
  'console-stop': (draw, _target, shape, { events }) => {
    events.push({ at: someTime(draw, shape), kind: 'console-stop' });
  },
  'late-duplicate-events': (draw, _target, _shape, { world }) => {
    world.alarmEvents = { delaySeconds: draw.int(1, 180), deliveries: draw.int(1, 3), redeliverySeconds: draw.pick([0, 1, 30, 300]) };
    world.reconciler = { delaySeconds: draw.int(1, 600), deliveries: draw.int(0, 3), redeliverySeconds: draw.pick([0, 1, 60, 900]) };
  },
  'slack-race': (draw, target, shape, { events }) => {
    for (let i = draw.int(1, 2); i > 0; i -= 1) {
      // Right at a shift (a second either side), or anywhere.
      const at = draw.chance(0.5) ? Math.max(0, draw.pick(shape.shiftTimes) + draw.int(-1, 1)) : someTime(draw, shape);
      const name = target === 'lambda-alias' ? 'checkout' : 'storefront';
      events.push({ at, kind: 'slack-command', user: 'alice', text: draw.chance(0.5) ? `rollback ${name} chaos` : `promote ${name}` });
    }
  },
  'bad-canary': (draw, _target, _shape, { world }) => {
    (world.traffic as Record<string, unknown>).canary = { errorPercent: draw.pick([3, 5, 10, 30]) };
  },
};

function worldOf(target: TargetKind): Record<string, unknown> {
  const world: Record<string, unknown> = {
    warmupSeconds: 300,
    traffic: { requestsPerSecond: 20, baseline: { errorPercent: 0.2, latencyMs: { p50: 60, p99: 250 } }, canary: {} },
    alarms: [{ name: 'service-errors', metric: 'ErrorRate', watches: 'canary', threshold: 2, periodSeconds: 60, evaluationPeriods: 2, datapointsToAlarm: 2 }],
    slack: { channel: 'deploys', allowedUsers: ['alice'] },
  };
  if (target === 'lambda-alias') world.lambda = { currentVersion: '41' };
  else world.edge = { propagationSeconds: 5, viewers: 200 };
  return world;
}

/** The case of `seed`: its target kind, its fault classes (at least one) and the scenario that runs it. */
export function chaosCase(seed: number): ChaosCase {
  const draw = new Draw(createRandom(seed));
  const target: TargetKind = draw.chance(0.5) ? 'lambda-alias' : 'cloudfront-kvs';
  const shape = shapeOf(draw, target);
  const chosen = FAULT_CLASSES.filter(() => draw.chance(CLASS_PROBABILITY));
  const faultClasses = chosen.length > 0 ? chosen : [draw.pick(FAULT_CLASSES)];
  const world = worldOf(target);
  const events: Events = [];
  for (const faultClass of faultClasses) CLASS_EFFECTS[faultClass](draw, target, shape, { world, events });
  const scenario = {
    description: `Chaos case ${seed}: ${target}, ${faultClasses.join(', ')}.`,
    seed,
    rollout: rolloutOf(target, shape),
    world,
    events,
  };
  return { seed, target, faultClasses, scenario };
}

/** The seed of case `index` of the campaign seeded `campaignSeed`: distinct, and stable across campaign sizes. */
export function caseSeed(campaignSeed: number, index: number): number {
  // A 32-bit mix (murmur3's finaliser) of the two, so neighbouring cases draw unrelated streams.
  let h = (Math.imul(campaignSeed, 0x9e3779b1) ^ index) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}
