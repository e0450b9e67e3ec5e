/* eslint-disable @typescript-eslint/no-explicit-any -- the cases mutate parsed JSON documents freely */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { builtInScenarioNames, loadScenarioFile, parseScenario, SCENARIO_DIRECTORY } from '../../sim/scenario';
import { simulate } from '../../sim/simulate';
import { scenarioProblems } from './support';

const healthy = (): Record<string, any> => JSON.parse(readFileSync(join(SCENARIO_DIRECTORY, 'healthy.json'), 'utf8'));

const problemsOf = (mutate: (scenario: Record<string, any>) => void): string[] => scenarioProblems(healthy(), mutate);

describe('scenario files', () => {
  it.each(builtInScenarioNames())('built-in %s is valid', (name) => {
    expect(() => loadScenarioFile(join(SCENARIO_DIRECTORY, `${name}.json`))).not.toThrow();
  });

  it.each([
    ['no traffic', (s: any) => (s.world.traffic.requestsPerSecond = 0), 'world.traffic.requestsPerSecond: must be > 0'],
    ['a misspelt field', (s: any) => (s.world.traffic.requestPerSecond = 5), 'world.traffic: unknown field "requestPerSecond"'],
    ['p99 below p50', (s: any) => (s.world.traffic.baseline.latencyMs.p99 = 10), 'world.traffic.baseline.latencyMs.p99: must be at least p50 (80)'],
    ['an error rate over 100 %', (s: any) => (s.world.traffic.canary = { errorPercent: 120 }), 'world.traffic.canary.errorPercent: is a percentage: at most 100'],
    ['a change with no trigger', (s: any) => (s.world.traffic.canary = { changes: [{ errorPercent: 3 }] }), 'world.traffic.canary.changes[0]: give "fromWeight"'],
    ['an unknown alarm metric', (s: any) => (s.world.alarms[0].metric = 'ErrorRatio'), 'world.alarms[0].metric: must be one of "ErrorRate"'],
    ['a statistic on a sum', (s: any) => (s.world.alarms[0].statistic = 'p99'), 'world.alarms[0].statistic: only Duration takes a statistic'],
    ['a 90-second period', (s: any) => (s.world.alarms[1].periodSeconds = 90), 'world.alarms[1].periodSeconds: must be a multiple of 60'],
    ['M above N', (s: any) => (s.world.alarms[0].datapointsToAlarm = 5), 'world.alarms[0].datapointsToAlarm: must be at most evaluationPeriods (3)'],
    ['an alarm twice', (s: any) => (s.world.alarms[1].name = s.world.alarms[0].name), 'world.alarms[1].name: alarm "checkout-errors" is defined twice'],
    ['a fault on an unknown operation', (s: any) => (s.faults = [{ operation: 'UpdateAliass', error: 'Throttling', times: 1 }]), 'faults[0].operation: the simulated AWS has no operation "UpdateAliass"'],
    ['a fault that never fires', (s: any) => (s.faults = [{ operation: 'UpdateAlias', error: 'Throttling', times: 0 }]), 'faults[0].times: must be at least 1'],
    ['an event of an unknown kind', (s: any) => (s.events = [{ at: 5, kind: 'explode' }]), 'events[0].kind: unknown or missing "kind"'],
    ['an event before the start', (s: any) => (s.events = [{ at: -5, kind: 'set-traffic', requestsPerSecond: 5 }]), 'events[0].at: must be >= 0'],
    ['an event on a missing alarm', (s: any) => (s.events = [{ at: 5, kind: 'set-alarm-state', alarm: 'nope', state: 'ALARM' }]), 'events[0].alarm: no alarm named "nope" in world.alarms'],
    ['a misspelt top-level field', (s: any) => (s.fault = []), '(scenario): unknown field "fault"'],
    ['no world', (s: any) => delete s.world, 'world: required'],
    ['no rollout', (s: any) => delete s.rollout, 'rollout: required'],
  ])('rejects %s, naming the field', (_case, mutate, message) => {
    expect(problemsOf(mutate)).toEqual(expect.arrayContaining([expect.stringContaining(message)]));
  });

  it("words the rollout's problems as the console does, with rollout. in front of each path", () => {
    const problems = problemsOf((s) => {
      s.rollout.strategy = { preset: 'canary10-6m' };
      s.rollout.bakeSecond = 3;
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^rollout\.strategy\.preset: unknown preset; choose one of canary10-5m/),
        'rollout: unknown field "bakeSecond" (check the spelling; see schema/rollout-request.schema.json)',
      ]),
    );
  });

  it("applies the engine's planner limits to the rollout", () => {
    const problems = problemsOf((s) => {
      s.rollout.strategy = { weights: Array.from({ length: 100 }, (_, i) => i + 1), bakeSeconds: 7 * 24 * 3600 };
    });
    expect(problems).toEqual([expect.stringMatching(/^rollout: The rollout could last \d+ s, longer than a Step Functions execution may run/)]);
  });

  it('reports every problem at once', () => {
    const problems = problemsOf((s) => {
      s.world.traffic.requestsPerSecond = -1;
      s.world.alarms[0].threshold = 'high';
      s.rollout.target.version = 'latest';
    });
    expect(problems).toHaveLength(3);
  });

  it('defaults the current version to the one before the target, and needs it given for version 1', () => {
    const document = healthy();
    delete document.world.lambda;
    expect(parseScenario(document, 'test').baselineVersion).toBe('41');
    document.rollout.target.version = '1';
    expect(() => parseScenario(document, 'test')).toThrow(/world\.lambda\.currentVersion: required when rollout\.target\.version is 1/);
  });

  it('names the file when it is missing or not JSON', () => {
    expect(() => loadScenarioFile('/nonexistent/scenario.json')).toThrow(/scenario \/nonexistent\/scenario\.json is invalid:\n {2}- cannot read the file: no such file/);
    const notJson = join(__dirname, 'scenario-file.test.ts');
    expect(() => loadScenarioFile(notJson)).toThrow(/not valid JSON/);
  });
});

describe('docs/simulator.md', () => {
  it('its commented example is a valid scenario that runs', async () => {
    const doc = readFileSync(join(__dirname, '..', '..', 'docs', 'simulator.md'), 'utf8');
    const example = /```jsonc\n([\s\S]*?)```/.exec(doc)?.[1] ?? '';
    const json = example.replace(/(^|\s)\/\/.*$/gm, '$1');
    const scenario = parseScenario(JSON.parse(json), 'docs-example');
    expect(scenario.events.map((e) => e.kind)).toEqual(['inject-fault', 'cli', 'task-fault', 'set-alarm-state', 'console-stop', 'set-traffic', 'slack-command']);
    expect(scenario.world.reconciler).toEqual({ enabled: true, delaySeconds: 1, deliveries: 1, redeliverySeconds: 0, sweepMinutes: 5 });
    expect(scenario.alarmEvents).toEqual({ enabled: true, delaySeconds: 1, deliveries: 1, redeliverySeconds: 0 });
    expect(scenario.slack).toEqual({ channel: 'deploys', allowedUsers: ['alice'], allowedChannels: ['deploys'] });
    const result = await simulate(scenario);
    expect(result.routing.problems).toEqual([]);
    expect(result.outcome).toBe('rolled_back');
    expect(result.cliCommands).toEqual([expect.objectContaining({ atSeconds: 300, args: ['status', 'checkout'], exitCode: 0 })]);
  });
});
