/**
 * Every `coalmine` subcommand, in the order `coalmine help` lists them: the local ones, then those that act
 * on AWS (cli/operator-commands.ts). A new command is one module that exports its handler and one entry here
 * or there (cli/command.ts): its name, its usage and the import() of its module, which only its run loads.
 */
import type { Command } from './command';
import { OPERATOR_COMMANDS } from './operator-commands';
import { STATE_MACHINE_USAGE } from './operator-usage';

const LOCAL_COMMANDS: readonly Command[] = [
  {
    name: 'simulate',
    usage: `coalmine simulate [--scenario NAME | --scenario-file FILE] [--seed N] [--no-alarm-events] [--json] [--report FILE]
    Run one rollout against a simulated AWS (virtual clock, synthetic traffic, the real state machine).
    --scenario NAME       a built-in scenario (default: healthy); --list shows them
    --scenario-file FILE  your own scenario (see docs/simulator.md; copy one from sim/scenarios/)
    --seed N              seed of the traffic and the retry jitter (default 1): same seed, same run
    --no-alarm-events     alarms reach the rollout only through its analysis: no EventBridge event
                          to the alarm rollback (which is on by default, as deployed)
    --json                print one JSON object (the result) as the last line instead of progress
    --json-schema         print the JSON Schema of the --json result and exit
    --report FILE         write the rollout's report (one HTML page with charts) to FILE`,
    load: () => import('./simulate').then((m) => m.run),
  },
  {
    name: 'plan',
    usage: `coalmine plan [--request FILE | --scenario NAME | --scenario-file FILE] [--start ISO-TIME] [--json]
    Print the timeline a rollout request implies (steps, times, duration, state transitions, cost)
    without running anything. Reads the request from standard input when no file is given.`,
    load: () => import('./plan').then((m) => m.run),
  },
  {
    name: 'tour',
    usage: `coalmine tour
    A healthy canary promoted, then a bad canary rolled back (what \`npm start\` runs).`,
    load: () => import('./tour').then((m) => m.run),
  },
];

// report writes a file: not among the operator commands a simulated scenario's `cli` event may run.
const reportCommand: Command = {
  name: 'report',
  usage: `coalmine report EXECUTION --out FILE [--state-machine ARN | --stage STAGE]
  One rollout (running or ended) as a self-contained HTML page: the weight over time with every look,
  canary against baseline per minute, alarm changes, the plan and the verdicts with their evidence.
  EXECUTION is an execution name (coalmine list --all shows them) or an execution ARN.
    --out FILE           where to write the page
${STATE_MACHINE_USAGE}`,
  load: () => import('./report').then((m) => m.run),
};

export const COMMANDS: readonly Command[] = [...LOCAL_COMMANDS, ...OPERATOR_COMMANDS, reportCommand];
