/**
 * Human-readable progress and summaries for the simulator and the planner.
 */
import type { Scenario } from '../sim/scenario';
import type { SimulationEvent, SimulationResult, AlarmSummary } from '../sim/simulate';

const count = (n: number): string => n.toLocaleString('en-US');

export function percent(part: number, whole: number): string {
  if (whole === 0) return '–';
  const value = (100 * part) / whole;
  return `${value < 10 ? value.toFixed(2) : value.toFixed(1)} %`;
}

/** 300 → "5 m", 5400 → "1 h 30 m", 75 → "1 m 15 s", 0.4 → "0.4 s". */
export function duration(seconds: number): string {
  if (seconds < 60) return `${Math.round(seconds * 10) / 10} s`;
  const whole = Math.round(seconds);
  const d = Math.floor(whole / 86_400);
  const h = Math.floor((whole % 86_400) / 3600);
  const m = Math.floor((whole % 3600) / 60);
  const s = whole % 60;
  const parts = [d > 0 ? `${d} d` : '', h > 0 ? `${h} h` : '', m > 0 ? `${m} m` : '', s > 0 ? `${s} s` : ''];
  return parts.filter(Boolean).join(' ');
}

/** Seconds since the start as [hh:mm:ss]; days are folded into the hours. */
export function clock(seconds: number): string {
  const sign = seconds < 0 ? '-' : '';
  const whole = Math.floor(Math.abs(seconds));
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${sign}${pad(Math.floor(whole / 3600))}:${pad(Math.floor((whole % 3600) / 60))}:${pad(whole % 60)}`;
}

export function usd(amount: number): string {
  return `$${amount < 0.01 ? amount.toFixed(6) : amount.toFixed(4)}`;
}

function alarms(summaries: readonly AlarmSummary[]): string {
  return summaries.length === 0 ? 'no alarms' : summaries.map((a) => `${a.name} ${a.state}`).join(', ');
}

export function describeScenario(scenario: Scenario, seed: number): string[] {
  const { request, plan, world, target } = scenario;
  const steps = plan.steps;
  const shape =
    steps.length === 0
      ? 'all at once'
      : `${steps.length} step${steps.length > 1 ? 's' : ''} (${steps.map((s) => `${s.weight} %`).join(', ')}; bake ${duration(steps[0]?.bakeSeconds ?? 0)} each), then promote`;
  const strategy = request.strategy.preset ?? 'custom weights';
  return [
    `Simulating "${scenario.name}" (seed ${seed})${scenario.description ? `: ${scenario.description}` : ''}`,
    `  ${target.functionName}:${target.alias}, version ${scenario.baselineVersion} → ${target.version}; ${strategy}: ${shape}`,
    `  ${world.traffic.requestsPerSecond} requests/s; alarms watched: ${request.analysis.alarms.join(', ') || 'none'}; nominal ${duration(plan.nominalSeconds)}`,
  ];
}

/** One progress line per event worth a person's attention; null for the rest. */
export function progressLine(event: SimulationEvent): string | null {
  const at = `[${clock(event.at)}]`;
  switch (event.type) {
    case 'preflight':
      return `${at} preflight passed: alias on version ${event.baselineVersion}; ${alarms(event.alarms)}`;
    case 'shifted':
      return `${at} step ${event.step}/${event.steps}: shift to ${event.weight} %, bake ${duration(event.bakeSeconds)}`;
    case 'analyzed': {
      const extra = event.extraBakes > 0 ? ` (extra bake ${event.extraBakes})` : '';
      const verdict = event.verdict === 'pass' ? 'pass' : event.verdict.toUpperCase();
      return (
        `${at} step ${event.step}/${event.steps} at ${event.weight} %: baked ${duration(event.bakedSeconds)}${extra} … verdict ${verdict} ` +
        `(${alarms(event.alarms)}; ${count(event.canary.requests)} canary requests, ${percent(event.canary.errors, event.canary.requests)} errors; ` +
        `baseline ${percent(event.baseline.errors, event.baseline.requests)}) → ${event.action}`
      );
    }
    case 'retried':
      return `${at} ${event.state} failed with ${event.error}; the state machine retries (attempt ${event.attempt})`;
    case 'alarm':
      // Before the start, and moves between OK and INSUFFICIENT_DATA, are background; the summary counts them.
      if (event.at < 0 || (event.from !== 'ALARM' && event.to !== 'ALARM')) return null;
      return `${at} alarm ${event.name} ${event.from} → ${event.to}: ${event.reason}`;
    case 'scenario-event':
      return `${at} scenario: ${event.description}`;
    case 'promoted':
      return `${at} promoted: version ${event.version} takes all traffic`;
    case 'rolled-back':
      return `${at} rolled back: version ${event.version} takes all traffic again`;
    default:
      return null;
  }
}

export function summaryLines(result: SimulationResult, targetVersion: string): string[] {
  const headline =
    result.outcome === 'promoted'
      ? `PROMOTED: version ${targetVersion} at ${result.finalWeight} %`
      : result.outcome === 'rolled_back'
        ? `ROLLED BACK (${result.error}): canary at ${result.finalWeight} %`
        : result.steps.length === 0
          ? `FAILED (${result.error}): refused before any traffic moved, canary at ${result.finalWeight} %`
          : `FAILED (${result.error}): canary at ${result.finalWeight} %`;
  const routing =
    result.routing.problems.length === 0
      ? `weights set ${result.routing.weightsSet.map((w) => `${w} %`).join(' → ') || 'none'}; every request was routed by a weight the rollout set`
      : `PROBLEMS: ${result.routing.problems.join('; ')}`;
  return [
    '',
    `Result: ${headline} after ${duration(result.simulatedSeconds)} simulated (${duration(result.wallMilliseconds / 1000)} wall)`,
    `  why: ${result.reason}`,
    `  canary: ${count(result.canaryRequests)} requests, ${count(result.canaryErrors)} errors (${percent(result.canaryErrors, result.canaryRequests)}); ` +
      `baseline: ${count(result.baselineRequests)} requests, ${count(result.baselineErrors)} errors (${percent(result.baselineErrors, result.baselineRequests)})`,
    `  state transitions: ${result.stateTransitions} (${result.retries} retries), ${usd(result.costUsd)} of Step Functions; ` +
      `${result.alarmTransitions.length} alarm transitions; ${result.faultsInjected} injected AWS faults`,
    `  routing: ${routing}`,
  ];
}
