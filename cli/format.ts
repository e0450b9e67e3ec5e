/**
 * Human-readable progress and summaries for the simulator and the planner.
 */
import type { EdgeSummary } from '../sim/build-world';
import { commandLine } from '../sim/cli';
import { deploymentName, type Scenario } from '../sim/scenario';
import type { AlarmInvocation, ReconcileInvocation, SimulationEvent, SimulationResult, AlarmSummary, SlackCommandRecord } from '../sim/simulate';
import { formatDuration } from '../shared/duration';
import { routerKindFor } from '../shared/routers/registry';
import { describeAddressShare } from '../shared/net/pin-share';
import { clock, usd } from './units';

const count = (n: number): string => n.toLocaleString('en-US');

export function percent(part: number, whole: number): string {
  if (whole === 0) return '–';
  const value = (100 * part) / whole;
  return `${value < 10 ? value.toFixed(2) : value.toFixed(1)} %`;
}

function alarms(summaries: readonly AlarmSummary[]): string {
  return summaries.length === 0 ? 'no alarms' : summaries.map((a) => `${a.name} ${a.state}`).join(', ');
}

function describeTarget(scenario: Scenario): string {
  const { target } = scenario;
  if (target.type === 'lambda-alias') return `${target.functionName}:${target.alias}, version ${scenario.baselineVersion} → ${target.version}`;
  return `${routerKindFor(target).describe(target)} at the edge, ${scenario.baselineVersion} → ${scenario.canaryVersion} (the ${scenario.canaryVersion} canary)`;
}

function describeTraffic(scenario: Scenario): string {
  const { traffic, edge } = scenario.world;
  if (scenario.target.type === 'lambda-alias') return `${traffic.requestsPerSecond} requests/s`;
  const networks = edge.networks.map((n) => `${count(n.viewers)} in ${n.name}`);
  return (
    `${traffic.requestsPerSecond} requests/s from ${count(edge.viewers)} viewers${networks.length > 0 ? ` (+ ${networks.join(', ')})` : ''}, ` +
    `${edge.cookiePercent} % with the viewer cookie; edge propagation ${formatDuration(edge.propagationSeconds)}`
  );
}

export function describeScenario(scenario: Scenario, seed: number): string[] {
  const { request, plan } = scenario;
  const steps = plan.steps;
  const settle = plan.settleSeconds > 0 ? `, settle ${formatDuration(plan.settleSeconds)} first` : '';
  const shape =
    steps.length === 0
      ? 'all at once'
      : `${steps.length} step${steps.length > 1 ? 's' : ''} (${steps.map((s) => `${s.weight} %`).join(', ')}; bake ${formatDuration(steps[0]?.bakeSeconds ?? 0)} each${settle}), then promote`;
  const strategy = request.strategy.preset ?? 'custom weights';
  return [
    `Simulating "${scenario.name}" (seed ${seed})${scenario.description ? `: ${scenario.description}` : ''}`,
    `  ${describeTarget(scenario)}; ${strategy}: ${shape}`,
    `  ${describeTraffic(scenario)}; alarms watched: ${request.analysis.alarms.join(', ') || 'none'}; nominal ${formatDuration(plan.nominalSeconds)}`,
  ];
}

/** One progress line per event worth a person's attention; null for the rest. */
export function progressLine(event: SimulationEvent, scenario: Scenario): string | null {
  const at = `[${clock(event.at)}]`;
  switch (event.type) {
    case 'preflight': {
      const where =
        event.store === undefined
          ? `alias on version ${event.baselineVersion}`
          : `${event.store.name} locked by ${event.store.lockHolder}, the ${scenario.canaryVersion} canary at ${event.store.canaryWeight} %; ` +
            `green pins ${event.store.pins.green}; blue pins ${event.store.pins.blue}`;
      return `${at} preflight passed: ${where}; ${alarms(event.alarms)}`;
    }
    case 'shifted': {
      const settle = scenario.plan.settleSeconds > 0 ? `, settle ${formatDuration(scenario.plan.settleSeconds)}` : '';
      return `${at} step ${event.step}/${event.steps}: shift to ${event.weight} %${settle}, bake ${formatDuration(event.bakeSeconds)}`;
    }
    case 'analyzed': {
      const extra = event.extraBakes > 0 ? ` (extra bake ${event.extraBakes})` : '';
      const verdict = event.verdict === 'pass' ? 'pass' : event.verdict.toUpperCase();
      const stale = event.staleSeconds > 0 ? `; for ${formatDuration(event.staleSeconds)} of the bake traffic was still routed by another weight` : '';
      const settle = scenario.plan.settleSeconds;
      const waited = settle > 0 ? `settled ${formatDuration(settle)}, baked ${formatDuration(event.bakedSeconds - settle)}` : `baked ${formatDuration(event.bakedSeconds)}`;
      return (
        `${at} step ${event.step}/${event.steps} at ${event.weight} %: ${waited}${extra} … verdict ${verdict} ` +
        `(${alarms(event.alarms)}; ${count(event.canary.requests)} canary requests, ${percent(event.canary.errors, event.canary.requests)} errors; ` +
        `baseline ${percent(event.baseline.errors, event.baseline.requests)}${stale}) → ${event.action}`
      );
    }
    case 'gate-waiting': {
      const what = event.gate.kind === 'hold' ? 'holds for a person (the judges cannot decide)' : 'waits for a person to approve';
      const then = event.gate.onTimeout === 'proceed' ? 'proceeds' : 'rolls back';
      return `${at} step ${event.step} at ${event.weight} % ${what}: at most ${formatDuration(event.gate.timeoutSeconds)}, then ${then}`;
    }
    case 'gate-closed':
      return `${at} gate ${event.decision.replace('-', ' ')}${event.by === null ? '' : ` by ${event.by}`}: ${event.detail}`;
    case 'retried':
      return `${at} ${event.state} failed with ${event.error}; the state machine retries (attempt ${event.attempt})`;
    case 'alarm':
      // Before the start, and moves between OK and INSUFFICIENT_DATA, are background; the summary counts them.
      if (event.at < 0 || (event.from !== 'ALARM' && event.to !== 'ALARM')) return null;
      return `${at} alarm ${event.name} ${event.from} → ${event.to}: ${event.reason}`;
    case 'scenario-event':
      return `${at} scenario: ${event.description}`;
    case 'alarm-event':
      return `${at} ${alarmInvocationLine(event.invocation)}`;
    case 'slack':
      return `${at} ${slackLine(event.command)}`;
    case 'cli-output':
      return `${at} $ coalmine ${event.args[0] ?? ''}${event.stream === 'err' ? ' (stderr)' : ''} │ ${event.line}`;
    case 'cli':
      return `${at} $ ${commandLine(event.command.args)} exited ${event.command.exitCode}`;
    case 'reconciled':
      return reconcileLine(event.invocation, at);
    case 'stopped': {
      const weight =
        event.canaryWeight === 0
          ? `${deploymentName(scenario, event.baselineVersion)} takes all traffic again`
          : event.canaryWeight === 100
            ? `${deploymentName(scenario, event.canaryVersion)} takes all traffic`
            : `the canary is at ${event.canaryWeight} %`;
      return `${at} execution stopped from outside${event.error === null ? '' : ` (${event.error})`}: ${weight}`;
    }
    case 'task-failed':
      return `${at} ${event.state} FAILED (${event.error}): ${event.reason}`;
    case 'task-malformed':
      return `${at} ${event.state} answered without its ${event.missing} (a malformed answer): no progress is shown for it; the states after it read nothing`;
    case 'promoted':
      return `${at} promoted: ${deploymentName(scenario, event.version)} takes all traffic`;
    case 'hook':
      return `${at} ${event.hook} hook ${event.function}: ${event.status} (${event.reason})`;
    case 'bake-look':
      return `${at} post-promotion look ${event.look}/${event.looks}: verdict ${event.verdict} → ${event.action === 'watch' ? 'keep watching' : event.action}`;
    case 'rolled-back':
      return `${at} rolled back: ${deploymentName(scenario, event.version)} takes all traffic again`;
    default:
      return null;
  }
}

/** "alarm rollback (EventBridge, 1 s after checkout-errors went to ALARM): rolled back simulation-…, 0 % verified 1 s after the alarm" */
function alarmInvocationLine(invocation: AlarmInvocation): string {
  const delivery = [
    'EventBridge',
    invocation.copy > 1 ? `delivery ${invocation.copy} of the same event` : '',
    invocation.attempt > 1 ? `Lambda's retry ${invocation.attempt - 1}` : '',
    `${formatDuration(invocation.atSeconds - invocation.changedAtSeconds)} after ${invocation.alarm} went to ALARM`,
  ].filter(Boolean);
  const head = `alarm rollback (${delivery.join(', ')})`;
  switch (invocation.outcome) {
    case 'acted': {
      const acted = invocation.executions
        .filter((e) => e.action !== 'left-alone')
        .map((e) => `${e.action.replace(/-/g, ' ')} ${e.name}${e.rollbackLatencyMs === undefined ? '' : `, 0 % verified ${formatDuration(e.rollbackLatencyMs / 1000)} after the alarm`}`);
      return `${head}: ${acted.join('; ')}`;
    }
    case 'failed':
      return `${head}: FAILED (${invocation.detail})${invocation.retryInSeconds === undefined ? '; no retries left' : `; Lambda retries in ${formatDuration(invocation.retryInSeconds)}`}`;
    case 'ignored':
      return `${head}: ignored: ${invocation.detail}`;
    default:
      return `${head}: nothing to do: ${invocation.detail}`;
  }
}

/** "reconciler (status-change event): ROLLED-BACK: …"; null for a sweep that changed nothing (the summary counts it). */
function reconcileLine(invocation: ReconcileInvocation, at: string): string | null {
  if (invocation.trigger === 'sweep' && invocation.outcome === 'unchanged') return null;
  const how = [
    invocation.trigger,
    invocation.copy > 1 ? `delivery ${invocation.copy} of the same event` : '',
    invocation.attempt > 1 ? `Lambda's retry ${invocation.attempt - 1}` : '',
  ].filter(Boolean);
  const retry = invocation.outcome === 'error' ? (invocation.retryInSeconds === undefined ? '; no retries left' : `; Lambda retries in ${formatDuration(invocation.retryInSeconds)}`) : '';
  return `${at} reconciler (${how.join(', ')}): ${invocation.outcome.toUpperCase()}: ${invocation.detail}${retry}`;
}

/** What Slack shows: the answer's first line, and who sees it. */
function slackLine(command: SlackCommandRecord): string {
  if (command.statusCode !== 200) return `Slack: the request of ${command.user} was refused with HTTP ${command.statusCode}: ${command.reply}`;
  const who = command.responseType === 'in_channel' ? `#${command.channel}` : `${command.user} (only they see it)`;
  return `Slack → ${who}: ${command.reply.split('\n')[0] ?? ''}`;
}

/** How alarms reached the rollout, and how fast the canary was back at 0 % after one fired. */
function alarmPathLines(result: SimulationResult, scenario: Scenario): string[] {
  const { alarmEvents } = result;
  const path = alarmEvents.enabled
    ? `alarm events: on, as deployed (EventBridge delivers each move to ALARM to the alarm rollback ${formatDuration(alarmEvents.delaySeconds)} later); ` +
      `${alarmEvents.invocations.length} invocation${alarmEvents.invocations.length === 1 ? '' : 's'} of the alarm rollback`
    : 'alarm events: off: the alarms reach the rollout only through its analysis';
  const watched = new Set(scenario.request.analysis.alarms);
  const fired = result.alarmTransitions.find((t) => t.to === 'ALARM' && t.atSeconds >= 0 && watched.has(t.name));
  const latency =
    result.rollbackLatencySeconds === null || fired === undefined
      ? []
      : [`  rollback latency: ${formatDuration(result.rollbackLatencySeconds)} from ${fired.name} going to ALARM (${clock(fired.atSeconds)}) to the canary at 0 %`];
  return [`  ${path}`, ...latency];
}

/** What the reconciler did after the execution ended, and how long the target took to be safe. */
function reconcilerLines(result: SimulationResult): string[] {
  const { reconciler, timeToSafeSeconds } = result;
  if (!reconciler.enabled) return ['  reconciler: off: nothing returns a target the execution left split'];
  if (reconciler.invocations.length === 0) return [];
  const acted = reconciler.invocations.filter((i) => i.outcome === 'rolled-back').length;
  const safe =
    timeToSafeSeconds === null
      ? 'the target was STILL NOT SAFE when the simulation stopped'
      : timeToSafeSeconds === 0
        ? 'the execution left the target safe'
        : `the target was safe ${formatDuration(timeToSafeSeconds)} after the execution ended`;
  return [`  reconciler: ${reconciler.invocations.length} invocation${reconciler.invocations.length === 1 ? '' : 's'}, ${acted} rolled back; ${safe}`];
}

function edgeLines(edge: EdgeSummary): string[] {
  const store = Object.entries(edge.finalStore)
    .filter(([key]) => key !== 'coalmine_lock')
    .map(([key, value]) => `${key} ${value}`)
    .join(', ');
  const lock = edge.finalStore.coalmine_lock === undefined ? 'lock released' : `LOCK STILL HELD: ${edge.finalStore.coalmine_lock}`;
  const pinned = (colour: 'blue' | 'green'): string =>
    `${colour} CIDRs cover ${describeAddressShare(edge.pinShare[colour])} of the address space, ` +
    `${count(edge.pinnedViewers[colour])} viewers pinned ${colour} by CIDR or country (${percent(edge.pinnedViewers[colour], edge.viewers)})`;
  return [
    `  pins after Preflight, whatever the weight: ${pinned('green')}; ${pinned('blue')}`,
    `  edge: ${count(edge.viewers)} viewers, ` +
      `propagation ${formatDuration(edge.propagationSeconds)}; ${count(edge.viewersServed.green)} viewers served green; ` +
      `${count(edge.flips.greenToBlue)} went green → blue, ${count(edge.flips.blueToGreen)} blue → green; ` +
      `once the edge has the final store: ${count(edge.finalColours.green)} green, ${count(edge.finalColours.blue)} blue`,
    `  edge function: ${count(edge.functionRuns)} runs (${edge.storeStates} store states × ${count(edge.viewers)} viewers); store at the end: ${store}; ${lock}`,
  ];
}

export function summaryLines(result: SimulationResult, scenario: Scenario): string[] {
  // A plain StopExecution (the console) gives no error.
  const error = result.error ?? 'no error named';
  const headline =
    result.outcome === 'promoted'
      ? `PROMOTED: ${deploymentName(scenario, scenario.canaryVersion)} at ${result.finalWeight} %`
      : result.outcome === 'rolled_back'
        ? `ROLLED BACK (${error}): canary at ${result.finalWeight} %`
        : result.steps.length === 0
          ? `FAILED (${error}): refused before any traffic moved, canary at ${result.finalWeight} %`
          : `FAILED (${error}): canary at ${result.finalWeight} %`;
  const pinnedAny = result.edge !== undefined && result.edge.pinnedViewers.blue + result.edge.pinnedViewers.green > 0;
  const pins = result.edge === undefined ? '' : ', and every pinned viewer got its pinned colour';
  const routing =
    result.routing.problems.length === 0
      ? `weights set ${result.routing.weightsSet.map((w) => `${w} %`).join(' → ') || 'none'}; every ${pinnedAny ? 'unpinned ' : ''}request was routed by a weight the rollout set${pins}`
      : `PROBLEMS: ${result.routing.problems.join('; ')}`;
  return [
    '',
    `Result: ${headline} after ${formatDuration(result.simulatedSeconds)} simulated (${formatDuration(result.wallMilliseconds / 1000)} wall)`,
    `  why: ${result.reason}`,
    `  canary: ${count(result.canaryRequests)} requests, ${count(result.canaryErrors)} errors (${percent(result.canaryErrors, result.canaryRequests)}); ` +
      `baseline: ${count(result.baselineRequests)} requests, ${count(result.baselineErrors)} errors (${percent(result.baselineErrors, result.baselineRequests)})`,
    `  state transitions: ${result.stateTransitions} (${result.retries} retries), ${usd(result.costUsd)} of Step Functions; ` +
      `${result.alarmTransitions.length} alarm transitions; ${result.faultsInjected} injected AWS faults`,
    ...alarmPathLines(result, scenario),
    ...reconcilerLines(result),
    `  routing: ${routing}`,
    ...(result.notReached.length === 0
      ? []
      : [`  NOT REACHED within the hour after the end: ${result.notReached.map((w) => `${w.description} (due at ${formatDuration(w.atSeconds)})`).join('; ')}`]),
    ...(result.edge === undefined ? [] : edgeLines(result.edge)),
  ];
}
