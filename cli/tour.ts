/**
 * `coalmine tour` (what `npm start` runs): a healthy canary promoted; a bad one rolled back by the analysis
 * alone; the same bad one as deployed, rolled back by its alarm's event; and what the push path saved.
 */
import { parseArgs } from 'node:util';
import { builtInScenario } from '../sim/scenario';
import type { SimulationResult } from '../sim/simulate';
import { formatDuration } from '../shared/duration';
import { clock } from './units';
import { EXIT, type CliIo } from './io';
import { withUsageErrors } from './args';
import { runSimulation, type RunChoices } from './simulate';

interface Stop {
  readonly scenario: string;
  readonly intro: string;
  readonly choices: RunChoices;
}

const STOPS: readonly Stop[] = [
  { scenario: 'healthy', intro: 'First, a healthy canary: the new version behaves like the old one.', choices: {} },
  {
    scenario: 'bad-canary',
    intro:
      'Now a bad canary: the new version fails 5 % of its requests. The alarms reach the rollout only through the ' +
      "state machine's analysis at the end of the bake (--no-alarm-events).",
    choices: { alarmEvents: false },
  },
  {
    scenario: 'bad-canary',
    intro:
      'The same bad canary as deployed: CloudWatch announces the alarm on EventBridge, and the alarm rollback ' +
      'rolls back and stops the execution at once.',
    choices: {},
  },
];

/** One line on what the alarm event changed: when the canary was back at 0 %, and the errors it did not serve. */
export function pushComparison(polling: SimulationResult, pushed: SimulationResult): string {
  const fewer = polling.canaryErrors - pushed.canaryErrors;
  const latency = (r: SimulationResult): string => (r.rollbackLatencySeconds === null ? 'never' : formatDuration(r.rollbackLatencySeconds));
  return (
    `With alarm events: rolled back at ${clock(pushed.simulatedSeconds)} instead of ${clock(polling.simulatedSeconds)} ` +
    `(${latency(pushed)} after the alarm instead of ${latency(polling)}), ` +
    `${fewer.toLocaleString('en-US')} ${fewer >= 0 ? 'fewer' : 'more'} canary errors ` +
    `(${pushed.canaryErrors.toLocaleString('en-US')} instead of ${polling.canaryErrors.toLocaleString('en-US')}).`
  );
}

export async function run(args: string[], io: CliIo): Promise<number> {
  withUsageErrors(() => parseArgs({ args, options: {}, strict: true, allowPositionals: false }));
  io.out('coalmine tour: the real state machine and handlers, a simulated AWS, a virtual clock, synthetic traffic.');
  const results: SimulationResult[] = [];
  for (const [i, stop] of STOPS.entries()) {
    io.out('');
    io.out(`── ${i + 1}/${STOPS.length} ${'─'.repeat(70)}`);
    io.out(stop.intro);
    results.push(await runSimulation(builtInScenario(stop.scenario), stop.choices, io));
  }
  const [, polling, pushed] = results;
  if (polling !== undefined && pushed !== undefined) {
    io.out('');
    io.out(pushComparison(polling, pushed));
  }
  io.out('');
  io.out(
    'Next: coalmine simulate --list · coalmine simulate --scenario slack-rollback · coalmine simulate --scenario late-failure --no-alarm-events · ' +
      'coalmine plan --request examples/requests/canary-preset.json',
  );
  io.out('Write your own world: docs/simulator.md');
  return EXIT.ok;
}

