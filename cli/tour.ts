/**
 * `coalmine tour` (what `npm start` runs): two rollouts on the simulated world, one promoted, one rolled back.
 */
import { builtInScenario } from '../sim/scenario';
import { runSimulation } from './simulate';
import { EXIT, type CliIo } from './io';

const STOPS = [
  { scenario: 'healthy', intro: 'First, a healthy canary: the new version behaves like the old one.' },
  { scenario: 'bad-canary', intro: 'Now a bad canary: the new version fails 5 % of its requests.' },
] as const;

export async function tourCommand(_args: string[], io: CliIo): Promise<number> {
  io.out('coalmine tour: the real state machine and handlers, a simulated AWS, a virtual clock, synthetic traffic.');
  for (const [i, stop] of STOPS.entries()) {
    io.out('');
    io.out(`── ${i + 1}/${STOPS.length} ${'─'.repeat(70)}`);
    io.out(stop.intro);
    await runSimulation(builtInScenario(stop.scenario), undefined, io);
  }
  io.out('');
  io.out('Next: coalmine simulate --list · coalmine simulate --scenario late-failure · coalmine plan --request examples/requests/canary-preset.json');
  io.out('Write your own world: docs/simulator.md');
  return EXIT.ok;
}
