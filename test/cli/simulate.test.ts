import { execFile } from 'node:child_process';
import { writeFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Ajv2020 from 'ajv/dist/2020';
import { simulationReportJsonSchema } from '../../sim/report';
import { SCENARIO_DIRECTORY } from '../../sim/scenario';
import { coalmine } from './support';

const ROOT = join(__dirname, '..', '..');
const validateReport = new Ajv2020({ strict: false }).compile(simulationReportJsonSchema());

function lastJsonLine(lines: string[]): Record<string, unknown> {
  const last = lines.filter((l) => l.trim() !== '').pop() ?? '';
  return JSON.parse(last) as Record<string, unknown>;
}

describe('coalmine simulate', () => {
  it('--json prints one JSON object as the last line, valid against the published schema', async () => {
    const run = await coalmine(['simulate', '--scenario', 'bad-canary', '--json']);
    expect(run.code).toBe(0);
    const report = lastJsonLine(run.stdout);
    expect(validateReport(report)).toBe(true);
    expect(report).toMatchObject({ scenario: 'bad-canary', outcome: 'rolled_back', finalWeight: 0, seed: 1, error: 'AlarmRollback' });
    // Stopped by the alarm rollback a second after the alarm, before the step's analysis.
    expect(report.steps).toEqual([expect.objectContaining({ weight: 10, verdict: null })]);
    expect(report).toHaveProperty('stateTransitions');
    expect(report).toHaveProperty('simulatedSeconds', 121);
    expect(report).toHaveProperty('rollbackLatencySeconds', 1);
    expect(report).toMatchObject({
      alarmEvents: {
        enabled: true,
        delaySeconds: 1,
        invocations: [{ alarm: 'checkout-errors', changedAtSeconds: 120, atSeconds: 121, outcome: 'acted', executions: [{ action: 'rolled-back', rollbackLatencyMs: 1000 }] }],
      },
    });
    expect(report).toHaveProperty('canaryRequests');
    expect(report).toHaveProperty('canaryErrors');
    expect(run.stderr).toEqual([]);
  });

  it('--no-alarm-events: the same bad canary is rolled back by the analysis at the end of the bake, later and after more errors', async () => {
    const pushed = lastJsonLine((await coalmine(['simulate', '--scenario', 'bad-canary', '--json'])).stdout);
    const run = await coalmine(['simulate', '--scenario', 'bad-canary', '--no-alarm-events', '--json']);
    expect(run.code).toBe(0);
    const polled = lastJsonLine(run.stdout);
    expect(validateReport(polled)).toBe(true);
    expect(polled).toMatchObject({ outcome: 'rolled_back', error: 'CanaryAnalysisFailed', simulatedSeconds: 300, alarmEvents: { enabled: false, invocations: [] } });
    expect(polled.steps).toEqual([expect.objectContaining({ weight: 10, verdict: 'fail' })]);
    expect(polled.rollbackLatencySeconds as number).toBeGreaterThan(pushed.rollbackLatencySeconds as number);
    expect(polled.canaryErrors as number).toBeGreaterThan(pushed.canaryErrors as number);
  });

  it('the schema rejects what the report must not be', () => {
    expect(validateReport({ outcome: 'promoted' })).toBe(false);
    const run = { scenario: 'x', seed: 1, outcome: 'maybe' };
    expect(validateReport(run)).toBe(false);
  });

  it('--json-schema prints the schema itself', async () => {
    const run = await coalmine(['simulate', '--json-schema']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout.join('\n'))).toMatchObject({ $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'object' });
  });

  it('shows progress as it goes: each step, its weight, the bake and the verdict with its numbers, then a summary', async () => {
    const run = await coalmine(['simulate', '--scenario', 'late-failure', '--no-alarm-events']);
    expect(run.code).toBe(0);
    const text = run.stdout.join('\n');
    expect(text).toMatch(/\[00:00:00\] step 1\/3: shift to 10 %, bake 5 min/);
    expect(text).toMatch(/\[00:05:00\] step 1\/3 at 10 %: baked 5 min … verdict pass \(checkout-errors OK, checkout-p99-latency OK; [\d,]+ canary requests, [\d.]+ % errors; baseline [\d.]+ %\) → advance/);
    expect(text).toMatch(/\[00:1\d:00\] alarm checkout-errors OK → ALARM: Threshold Crossed/);
    expect(text).toMatch(/\[00:15:00\] step 3\/3 at 50 %: baked 5 min … verdict FAIL \(checkout-errors ALARM/);
    expect(text).toMatch(/\[00:15:00\] rolled back: version 41 takes all traffic again/);
    expect(text).toMatch(/Result: ROLLED BACK \(CanaryAnalysisFailed\): canary at 0 % after 15 min simulated/);
    expect(text).toMatch(/routing: weights set 10 % → 25 % → 50 % → 0 %; every request was routed by a weight the rollout set/);
    expect(text).toMatch(/alarm events: off: the alarms reach the rollout only through its analysis/);
    expect(text).toMatch(/rollback latency: 3 min from checkout-errors going to ALARM \(00:12:00\) to the canary at 0 %/);
  });

  it('shows the alarm event: the alarm, the alarm rollback a second later, the stopped execution, the latency', async () => {
    const run = await coalmine(['simulate', '--scenario', 'late-failure']);
    expect(run.code).toBe(0);
    const text = run.stdout.join('\n');
    expect(text).toMatch(/\[00:12:00\] alarm checkout-errors OK → ALARM: Threshold Crossed/);
    expect(text).toMatch(/\[00:12:01\] execution stopped from outside \(AlarmRollback\): version 41 takes all traffic again/);
    expect(text).toMatch(
      /\[00:12:01\] alarm rollback \(EventBridge, 1 s after checkout-errors went to ALARM\): rolled back simulation-late-failure-1, 0 % verified 1 s after the alarm/,
    );
    expect(text).toMatch(/Result: ROLLED BACK \(AlarmRollback\): canary at 0 % after 12 min 1 s simulated/);
    expect(text).toMatch(/why: Alarm checkout-errors went to ALARM at 2030-01-07T09:12:00\.000Z: .* Rollback latency: 1000 ms from the alarm's state change to a verified 0 %/);
    expect(text).toMatch(/alarm events: on, as deployed \(EventBridge delivers each move to ALARM to the alarm rollback 1 s later\); 1 invocation of the alarm rollback/);
    expect(text).toMatch(/rollback latency: 1 s from checkout-errors going to ALARM \(00:12:00\) to the canary at 0 %/);
    expect(text).not.toMatch(/step 3\/3 at 50 %: baked/);
  });

  it('shows a Slack command and Slack\'s answer: a refusal only the asker sees, then a rollback the channel sees', async () => {
    const run = await coalmine(['simulate', '--scenario', 'slack-rollback']);
    expect(run.code).toBe(0);
    const text = run.stdout.join('\n');
    expect(text).toMatch(/\[00:06:00\] scenario: bob types \/coalmine rollback checkout\n/);
    expect(text).toMatch(/\[00:06:00\] Slack → bob \(only they see it\): Sorry, you \(<@U0BOB00>, member ID U0BOB00\) are not on the list of people who may run `rollback`/);
    expect(text).toMatch(/\[00:08:00\] scenario: alice types \/coalmine rollback checkout canary looks slow/);
    expect(text).toMatch(/\[00:08:00\] execution stopped from outside \(ManualRollback\): version 41 takes all traffic again/);
    expect(text).toMatch(/\[00:08:00\] Slack → #deploys: :rewind: <@U0ALICE> rolled back \*checkout\*: all traffic is on the stable version again\./);
    expect(text).toMatch(/Result: ROLLED BACK \(ManualRollback\): canary at 0 % after 8 min simulated/);
    expect(text).toMatch(/why: Rollback requested from Slack by alice \(U0ALICE\) in C0DEPLOYS: canary looks slow\. Rolled back: checkout:live sends all traffic to version 41 again \(was 25 % on 42\)/);
  });

  it('simulates a cloudfront-kvs rollout: colours for versions, the settle wait, the edge and the store at the end', async () => {
    const run = await coalmine(['simulate', '--scenario', 'edge-canary']);
    expect(run.code).toBe(0);
    const text = run.stdout.join('\n');
    expect(text).toMatch(/kvs\/327284aa-bcd5-499f-a3ff-26b9a9d31b58 at the edge, blue → green \(the green canary\)/);
    expect(text).toContain(
      '[00:00:00] preflight passed: kvs/327284aa-bcd5-499f-a3ff-26b9a9d31b58 locked by simulation-edge-canary-1, the green canary at 0 %; ' +
        'green pins IPv4 3.7e-7 %, IPv6 0 % of the address space and no countries; blue pins IPv4 6e-6 %, IPv6 0 % of the address space and no countries;',
    );
    expect(text).toMatch(/\[00:00:00\] step 1\/3: shift to 5 %, settle 1 min, bake 10 min/);
    expect(text).toMatch(/\[00:11:00\] step 1\/3 at 5 %: settled 1 min, baked 10 min … verdict pass \(storefront-5xx OK, storefront-p99-latency OK; [\d,]+ canary requests/);
    expect(text).toMatch(/\[00:33:00\] promoted: green takes all traffic/);
    expect(text).toMatch(/Result: PROMOTED: green at 100 % after 33 min simulated/);
    expect(text).toMatch(/routing: weights set 5 % → 25 % → 50 % → 100 %; every unpinned request was routed by a weight the rollout set, and every pinned viewer got its pinned colour/);
    expect(text).toContain(
      'pins after Preflight, whatever the weight: green CIDRs cover IPv4 3.7e-7 %, IPv6 0 % of the address space, 10 viewers pinned green by CIDR or country (0.49 %); ' +
        'blue CIDRs cover IPv4 6e-6 %, IPv6 0 % of the address space, 20 viewers pinned blue by CIDR or country (0.99 %)',
    );
    expect(text).toMatch(/edge: 2,030 viewers, propagation 5 s; [\d,]+ viewers served green; 0 went green → blue/);
    expect(text).toMatch(/store at the end: green_percentage 100, blue_cidrs \[\], green_cidrs \["203\.0\.113\.0\/28"\]; lock released/);
  });

  it('--json for a cloudfront-kvs rollout: the same fields, weights as the green share, and the edge', async () => {
    const run = await coalmine(['simulate', '--scenario', 'edge-bad-canary', '--json']);
    const report = lastJsonLine(run.stdout);
    expect(validateReport(report)).toBe(true);
    expect(report).toMatchObject({
      outcome: 'rolled_back',
      finalWeight: 0,
      routing: { weightsSet: [5, 25, 0], problems: [] },
      edge: { viewers: 2030, finalColours: { green: 0, blue: 2030 }, finalStore: { green_percentage: '0' } },
    });
    // The rollback sends the viewers that had green back to blue; the run-on serves them.
    expect((report.edge as { flips: { greenToBlue: number } }).flips.greenToBlue).toBeGreaterThan(0);
    expect(report.edge).not.toHaveProperty('finalStore.coalmine_lock');
  });

  it('shows retries of throttled calls', async () => {
    const run = await coalmine(['simulate', '--scenario', 'throttled']);
    expect(run.stdout.join('\n')).toMatch(/ShiftTraffic failed with AwsThrottled; the state machine retries \(attempt 1\)/);
  });

  it('says a refused rollout moved no traffic', async () => {
    const run = await coalmine(['simulate', '--scenario', 'alarm-preexisting']);
    expect(run.code).toBe(0);
    expect(run.stdout.join('\n')).toMatch(/FAILED \(AlarmAlreadyFiring\): refused before any traffic moved/);
  });

  it('runs a scenario file, and --seed changes the traffic but not the outcome', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'coalmine-')), 'mine.json');
    writeFileSync(file, readFileSync(join(SCENARIO_DIRECTORY, 'healthy.json')));
    const one = lastJsonLine((await coalmine(['simulate', '--scenario-file', file, '--json', '--seed', '7'])).stdout);
    const two = lastJsonLine((await coalmine(['simulate', '--scenario-file', file, '--json', '--seed', '8'])).stdout);
    expect(one).toMatchObject({ scenario: 'mine', seed: 7, outcome: 'promoted' });
    expect(two).toMatchObject({ scenario: 'mine', seed: 8, outcome: 'promoted' });
    expect(one.canaryRequests).not.toBe(two.canaryRequests);
  });

  it('lists the built-in scenarios', async () => {
    const run = await coalmine(['simulate', '--list']);
    expect(run.stdout.map((l) => l.split(' ')[0])).toEqual(
      expect.arrayContaining(['healthy', 'bad-canary', 'slow-canary', 'late-failure', 'throttled', 'alarm-preexisting']),
    );
  });

  it.each([
    [['simulate', '--scenario', 'nope'], /no built-in scenario named "nope"; choose one of .*healthy/],
    [['simulate', '--seed=-3'], /--seed must be a whole number/],
    [['simulate', '--seed', '-3'], /Option '--seed' argument is ambiguous/],
    [['simulate', '--scenario', 'healthy', '--scenario-file', 'x.json'], /give --scenario or --scenario-file, not both/],
    [['simulate', '--verbose'], /Unknown option '--verbose'/],
    [['simulate', '--scenario-file', '/nonexistent.json'], /The scenario \/nonexistent\.json is invalid:\n {2}- cannot read the file: no such file/],
  ])('%j is bad usage: exit 2 and a message on stderr', async (argv, message) => {
    const run = await coalmine(argv);
    expect(run.code).toBe(2);
    expect(run.stderr.join('\n')).toMatch(message);
    expect(run.stdout).toEqual([]);
  });

  it('rejects a bad scenario file with exit 2, naming each field', async () => {
    const document = JSON.parse(readFileSync(join(SCENARIO_DIRECTORY, 'healthy.json'), 'utf8'));
    document.world.traffic.requestsPerSecond = 0;
    document.rollout.strategy.preset = 'canary10-6m';
    const file = join(mkdtempSync(join(tmpdir(), 'coalmine-')), 'bad.json');
    writeFileSync(file, JSON.stringify(document));
    const run = await coalmine(['simulate', '--scenario-file', file]);
    expect(run.code).toBe(2);
    expect(run.stderr).toEqual(
      expect.arrayContaining([
        '  - world.traffic.requestsPerSecond: must be > 0',
        expect.stringMatching(/^ {2}- rollout\.strategy\.preset: unknown preset; choose one of/),
      ]),
    );
  });
});

describe('the coalmine command, as a user runs it', () => {
  it('node bin/coalmine.cjs simulate --scenario throttled --json: only the JSON on stdout, nothing on stderr', async () => {
    // As a user's shell has it: no log level set, so the command must quiet the handlers' logs itself.
    const env = { ...process.env };
    delete env.POWERTOOLS_LOG_LEVEL;
    const { stdout, stderr } = await promisify(execFile)('node', ['bin/coalmine.cjs', 'simulate', '--scenario', 'throttled', '--json'], { cwd: ROOT, env });
    const report = lastJsonLine(stdout.split('\n'));
    expect(validateReport(report)).toBe(true);
    expect(report).toMatchObject({ scenario: 'throttled', outcome: 'promoted', finalWeight: 100, retries: 9 });
    expect(stdout.trim().split('\n')).toHaveLength(1);
    expect(stderr).toBe('');
  });
});
