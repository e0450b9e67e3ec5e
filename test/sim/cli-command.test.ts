/**
 * The cli event: a scenario runs the real `coalmine` command against the simulated AWS, as the simulated
 * operator (sts:GetCallerIdentity), on the simulation's clock; its output is in the timeline and the report.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { builtInScenario, SCENARIO_DIRECTORY } from '../../sim/scenario';
import { simulate, type SimulationEvent } from '../../sim/simulate';
import { toReport } from '../../sim/report';
import { SIMULATED_CALLER_ARN } from '../../sim/world/sts';
import { coalmine } from '../cli/support';
import { scenarioProblems } from './support';

describe('cli-rollback: an operator watches the rollout and rolls it back from the terminal', () => {
  it('watch follows each change and exits 3; rollback acts as the caller with the reason; history tells it', async () => {
    const progress: SimulationEvent[] = [];
    const result = await simulate(builtInScenario('cli-rollback'), { onEvent: (e) => progress.push(e) });

    expect(result).toMatchObject({ outcome: 'rolled_back', finalWeight: 0, error: 'ManualRollback', simulatedSeconds: 600 });
    expect(result.reason).toMatch(new RegExp(`^Rollback requested from the coalmine CLI by ${SIMULATED_CALLER_ARN}: p99 doubled\\. Rolled back: checkout:live sends all traffic to version 41 again \\(was 25 % on 42\\)`));
    expect(result.routing.weightsSet).toEqual([10, 25, 0]);
    expect(result.cliCommands.map((c) => [c.args[0], c.atSeconds, c.exitCode])).toEqual([
      ['rollback', 600, 0],
      ['watch', 30, 3],
      ['history', 700, 0],
    ]);
    const watch = result.cliCommands.find((c) => c.args[0] === 'watch')!;
    expect(watch.output.map((o) => [o.atSeconds, o.line])).toEqual([
      [30, '09:00:30Z checkout: step 1 of 3 at 10 % canary, Bake; last verdict: none yet; next analysis at 09:05:00Z'],
      [300, '09:05:00Z checkout: step 2 of 3 at 25 % canary, Bake; last verdict: pass → advance: step 1 at 10 %: the analysis passed: 2 alarm(s) OK; 2,984 canary requests since the first shift (alarms alone may pass from 300 on); next analysis at 09:10:00Z'],
      [600, '09:10:00Z checkout: step 2 of 3 at 25 % canary, Bake; last verdict: pass → advance: step 1 at 10 %: the analysis passed: 2 alarm(s) OK; 2,984 canary requests since the first shift (alarms alone may pass from 300 on); ended: rolled back: all traffic on the baseline (ManualRollback)'],
    ]);
    expect(result.cliCommands[2]!.output[0]!.line).toMatch(/^checkout {2}checkout:live {2}rolled back: all traffic on the baseline \(ManualRollback: Rollback requested from the coalmine CLI by .*: p99 doubled\./);
    // In the timeline as printed, and in the report.
    expect(progress).toContainEqual({ type: 'cli-output', at: 300, args: ['watch', 'checkout', '--interval', '30'], stream: 'out', line: watch.output[1]!.line });
    expect(toReport(result).cliCommands).toEqual(result.cliCommands);
  });

  it('shows the commands and their output in the progress of coalmine simulate', async () => {
    const run = await coalmine(['simulate', '--scenario', 'cli-rollback']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('[00:10:00] $ coalmine rollback checkout --reason "p99 doubled" exited 0');
    expect(run.stdout).toContain('[00:10:00] $ coalmine watch checkout --interval 30 exited 3');
    expect(run.stdout.filter((line) => line.startsWith('[00:05:00] $ coalmine watch │ 09:05:00Z checkout: step 2 of 3'))).toHaveLength(1);
  });
});

describe('cli-restore: an operator restores a promoted rollout within its rollback window', () => {
  it('restores version 41 twenty minutes after the promotion, status shows who and why, a second rollback writes nothing', async () => {
    const result = await simulate(builtInScenario('cli-restore'));
    const restored = `by ${SIMULATED_CALLER_ARN} at 2030-01-07T09:25:00.000Z: p99 doubled after promotion`;

    expect(result).toMatchObject({ outcome: 'rolled_back', finalWeight: 0, error: null, endedSeconds: 300, simulatedSeconds: 1500 });
    expect(result.reason).toBe(`Promoted, then restored to version 41 in the rollback window ${restored}`);
    expect(result.routing.weightsSet).toEqual([10, 100, 0]);
    expect(result.cliCommands.map((c) => [c.args[0], c.atSeconds, c.exitCode])).toEqual([
      ['rollback', 1500, 0],
      ['status', 1560, 0],
      ['rollback', 1620, 0],
    ]);
    const [restore, status, again] = result.cliCommands.map((c) => c.output.map((o) => o.line));
    expect(restore).toEqual([
      `Restored checkout (execution simulation-cli-restore-1), which had ended promoted: checkout:live sends all traffic to version 41 again (was all on 42), verified in one write. Recorded ${restored}.`,
    ]);
    expect(status?.at(-1)).toBe(`  restored: version 41 ${restored}`);
    expect(again).toEqual([`checkout (execution simulation-cli-restore-1) is restored already ${restored}: checkout:live sends all traffic to version 41. Nothing was written.`]);
  });
});

describe('the cli event in a scenario file', () => {
  const healthy = () => JSON.parse(readFileSync(join(SCENARIO_DIRECTORY, 'healthy.json'), 'utf8')) as Record<string, unknown>;

  it.each([
    [['simulate', '--scenario', 'healthy'], /the command must act on AWS: one of start, list, status, watch, promote, approve, rollback, history/],
    [[], /give a command/],
    ['rollback checkout', /required: the words after coalmine|expected array/],
  ])('refuses args %j', (args, problem) => {
    expect(scenarioProblems(healthy(), (s) => void (s.events = [{ at: 60, kind: 'cli', args }])).join('\n')).toMatch(problem);
  });
});
