/**
 * The commands that act on a deployed coalmine (AWS, or the simulator's world), in the order `coalmine help`
 * lists them: each one's name and usage, and its module, loaded when it runs. They load nothing of the
 * simulator, so the simulator's terminal can run them.
 */
import type { Command } from './command';
import { exitUsage, HISTORY_LIMIT, OPERATOR_USAGE, STATE_MACHINE_USAGE, WATCH_USAGE } from './operator-usage';

export const OPERATOR_COMMANDS: readonly Command[] = [
  {
    name: 'start',
    usage: `coalmine start --request FILE [--name NAME] [--watch [--interval SECONDS]] [--state-machine ARN | --stage STAGE]
  Validate a rollout request locally (exit 2 when invalid, before any AWS call) and start it. The execution is
  named like the artifact triggers name it (lambda-FUNCTION-VERSION), so a repeated start does not run twice.
    --request FILE       the rollout request (JSON); standard input when absent or -
    --name NAME          the execution name (required for a cloudfront-kvs target)
    --watch              then follow it as coalmine watch does, and exit as it does
${WATCH_USAGE}
${STATE_MACHINE_USAGE}
${exitUsage('With --watch, exit status')}`,
    load: () => import('./start').then((m) => m.run),
  },
  {
    name: 'list',
    usage: `coalmine list [--all] [--state-machine ARN | --stage STAGE] [--json]
  The running rollouts: name, target, step, weight, verdict so far, state, age; and every target an ended
  rollout left between 0 and 100 % that no running rollout drives.
    --all                also the rollouts that ended in the last 24 h, and how
${OPERATOR_USAGE}`,
    load: () => import('./list').then((m) => m.run),
  },
  {
    name: 'status',
    usage: `coalmine status ROLLOUT [--state-machine ARN | --stage STAGE] [--json]
  One rollout's story: the plan, each analysis with its verdict and evidence, where it is and the weight the
  target reads now, what happens next and when (the requests an inconclusive check still needs), and how it
  ended. ROLLOUT is the rollout's name, function:alias, an execution name or ARN (ended ones too); an
  ambiguous name lists the candidates.
${OPERATOR_USAGE}`,
    load: () => import('./status').then((m) => m.run),
  },
  {
    name: 'watch',
    usage: `coalmine watch ROLLOUT [--interval SECONDS] [--json] [--state-machine ARN | --stage STAGE]
  Follow a rollout until it ends: on a terminal a view redrawn in place (progress over the plan's timeline,
  weight, last verdict, countdown to the next analysis); on a pipe one line per change (--json: one
  schema/cli-status.schema.json object per line). ROLLOUT as for status, or an ended execution's name or ARN.
${WATCH_USAGE}
${STATE_MACHINE_USAGE}
${exitUsage('Exit status')}`,
    load: () => import('./watch').then((m) => m.run),
  },
  {
    name: 'promote',
    usage: `coalmine promote ROLLOUT --full [--state-machine ARN | --stage STAGE]
  All traffic to the new version now, verified, then the execution stopped with your IAM identity.
    --full               required: the remaining steps and their analyses are skipped
${STATE_MACHINE_USAGE}`,
    load: () => import('./act').then((m) => m.promote),
  },
  {
    name: 'approve',
    usage: `coalmine approve ROLLOUT [--roll-back [--reason TEXT]] [--state-machine ARN | --stage STAGE]
  Answers the gate the rollout waits at, as your IAM identity: it moves on (SendTaskSuccess), or with
  --roll-back the state machine rolls it back (SendTaskFailure). A rollout not at a gate changes nothing.
    --roll-back          roll back at the gate instead of approving
    --reason TEXT        with --roll-back: why, recorded in the execution's failure
${STATE_MACHINE_USAGE}`,
    load: () => import('./act').then((m) => m.approve),
  },
  {
    name: 'rollback',
    usage: `coalmine rollback ROLLOUT [--reason TEXT] [--state-machine ARN | --stage STAGE]
  Traffic to 0 % on the new version, verified, then the execution stopped with your IAM identity and reason.
  A rollout that ended promoted: within its rollbackWindowSeconds, the previous version restored in one
  verified write that records you and the reason on the target (docs/rollback-window.md).
    --reason TEXT        why, recorded in the stop cause (or the restore's record)
${STATE_MACHINE_USAGE}`,
    load: () => import('./act').then((m) => m.rollback),
  },
  {
    name: 'history',
    usage: `coalmine history [TARGET] [--state-machine ARN | --stage STAGE] [--json]
  Past rollouts, newest first (the last ${HISTORY_LIMIT} of 90 days), with how each ended and why; of one target
  (a rollout name or function:alias) when TARGET is given.
${OPERATOR_USAGE}`,
    load: () => import('./history').then((m) => m.run),
  },
];
