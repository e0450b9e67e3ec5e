import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { COMMANDS } from '../../cli/commands';
import { WAIT_STATES } from '../../shared/executions/states';
import { readDefinition } from '../../sim/local-execution';
import { coalmine } from './support';

const request = {
  target: { type: 'lambda-alias', functionName: 'checkout', alias: 'live', version: '42' },
  strategy: { weights: [5, 25, 50, 100], bakeSeconds: 600 },
  analysis: { alarms: ['checkout-errors'] },
};

function requestFile(content: unknown): string {
  const file = join(mkdtempSync(join(tmpdir(), 'coalmine-')), 'request.json');
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

describe('coalmine', () => {
  it('help prints usage with every command', async () => {
    const run = await coalmine(['help']);
    expect(run.code).toBe(0);
    for (const command of ['simulate', 'plan', 'tour', 'help']) expect(run.stdout.join('\n')).toContain(`coalmine ${command}`);
  });

  it('help COMMAND prints that command\'s usage, from the registry', async () => {
    const run = await coalmine(['help', 'plan']);
    expect(run.code).toBe(0);
    expect(run.stdout[0]).toBe('Usage:');
    expect(run.stdout[1]).toMatch(/^ {2}coalmine plan \[--request FILE/);
    expect(run.stdout.join('\n')).not.toContain('coalmine simulate');
  });

  it('help of an unknown command exits 2 and names the commands', async () => {
    const run = await coalmine(['help', 'nope']);
    expect(run.code).toBe(2);
    expect(run.stderr[0]).toBe('coalmine: unknown command "nope". Commands: simulate, plan, tour, start, list, status, watch, promote, approve, rollback, history, report, help.');
  });

  it('a stray argument is refused with exit 2 (tour takes none)', async () => {
    const run = await coalmine(['tour', 'extra', '--json']);
    expect(run.code).toBe(2);
    expect(run.stderr[0]).toMatch(/^coalmine tour: /);
    expect(run.stderr[1]).toBe('Run "coalmine help tour" for usage.');
  });

  it('without a command prints usage and exits 2', async () => {
    expect((await coalmine([])).code).toBe(2);
  });

  it('an unknown command exits 2 and names the commands', async () => {
    const run = await coalmine(['simulte']);
    expect(run.code).toBe(2);
    expect(run.stderr[0]).toBe('coalmine: unknown command "simulte". Commands: simulate, plan, tour, start, list, status, watch, promote, approve, rollback, history, report, help.');
  });

  it("loads no command's module for help, help COMMAND, --version or an unknown command; a command loads its own only", async () => {
    const loads = COMMANDS.map((command) => jest.spyOn(command, 'load'));
    const loaded = (): string[] => COMMANDS.filter((_, i) => (loads[i]?.mock.calls.length ?? 0) > 0).map((command) => command.name);
    try {
      for (const argv of [['help'], ['help', 'watch'], ['--version'], ['simulte'], []]) await coalmine(argv);
      expect(loaded()).toEqual([]);
      expect((await coalmine(['plan', '--request', requestFile(request)])).code).toBe(0);
      expect(loaded()).toEqual(['plan']);
    } finally {
      for (const load of loads) load.mockRestore();
    }
  });
});

describe('coalmine plan', () => {
  it('prints the timeline: each step with its weight, start and end, then duration, transitions and cost', async () => {
    const run = await coalmine(['plan', '--request', requestFile(request)]);
    expect(run.code).toBe(0);
    expect(run.stdout).toEqual(
      expect.arrayContaining([
        'Plan: checkout:live (lambda-alias → version 42), custom weights',
        '     1     5 %  +00:00:00   +00:10:00   10 min',
        '     2    25 %  +00:10:00   +00:20:00   10 min',
        '     3    50 %  +00:20:00   +00:30:00   10 min',
        '  promote to 100 % at +00:30:00',
        expect.stringMatching(/^Duration: 30 min when every step passes at the end of its bake; 3 h 30 min at worst \(1 h of extra bake time per inconclusive step\)$/),
        'Looks: every 1 min during each bake; 30 nominal, 210 worst case',
        expect.stringMatching(/^State transitions: \d+ nominal, \d+ worst case/),
        expect.stringMatching(/^Cost: \$0\.\d+ nominal, \$0\.\d+ worst case/),
        expect.stringMatching(/^Execution state: at most [\d,]+ bytes of a budget of 196,608/),
      ]),
    );
  });

  it('marks each approval gate with its timeout, what happens then, and the worst case', async () => {
    const gated = { ...request, strategy: { steps: [{ weight: 5, bakeSeconds: 600 }, { weight: 25, bakeSeconds: 600, approval: { timeoutSeconds: 3600, onTimeout: 'proceed' } }, { weight: 100 }] } };
    const run = await coalmine(['plan', '--request', requestFile(gated)]);
    expect(run.code).toBe(0);
    expect(run.stdout).toEqual(
      expect.arrayContaining([
        'Plan: checkout:live (lambda-alias → version 42), custom steps',
        '     2    25 %  +00:10:00   +00:20:00   10 min',
        '        then waits for a person to approve: at most 1 h, until +01:20:00, then proceeds',
        '  The times above assume every gate is approved at once; the worst case below waits out every timeout.',
        expect.stringMatching(/^Duration: 20 min when every step passes at the end of its bake; 3 h 20 min at worst \(1 h of extra bake time per inconclusive step, every approval gate waiting out its timeout\)$/),
      ]),
    );
    const timeline = JSON.parse((await coalmine(['plan', '--request', requestFile(gated), '--json', '--start', '2030-01-07T09:00:00Z'])).stdout.join('\n'));
    expect(timeline.steps[0].approval).toBeUndefined();
    expect(timeline.steps[1].approval).toEqual({ timeoutSeconds: 3600, onTimeout: 'proceed', timesOutAtSeconds: 4800, timesOutAt: '2030-01-07T10:20:00.000Z' });
    expect(timeline.worstCaseSeconds).toBe(1200 + 2 * 3600 + 3600);
  });

  it('counts a hold on an inconclusive analysis in the worst case, at every step', async () => {
    const held = { ...request, analysis: { ...request.analysis, inconclusive: { maxExtraSeconds: 600, then: 'hold', holdSeconds: 1800 } } };
    const run = await coalmine(['plan', '--request', requestFile(held)]);
    expect(run.code).toBe(0);
    // 3 steps of 10 min, each baked 10 min more and then held 30 min.
    expect(run.stdout).toContainEqual('Duration: 30 min when every step passes at the end of its bake; 2 h 30 min at worst (10 min of extra bake time per inconclusive step, then holding 30 min for a person)');
  });

  it('an alias target has no settle wait: each step only bakes', async () => {
    const timeline = JSON.parse((await coalmine(['plan', '--request', requestFile(request), '--json'])).stdout.join('\n'));
    expect(timeline.observable).toBe(true);
    expect(timeline.steps[0].waits).toEqual([{ state: 'Bake', seconds: 600 }]);
  });

  it.each(['1', 'March 7', '2030-01-07T09:00:00', '2030-02-30T09:00:00Z', '99999-01-01T00:00:00Z'])('refuses --start %s: strict ISO 8601 with an offset or Z', async (start) => {
    const run = await coalmine(['plan', '--request', requestFile(request), '--start', start]);
    expect(run.code).toBe(2);
    expect(run.stderr[0]).toBe(`coalmine plan: --start must be an ISO 8601 time with an offset or Z, such as 2030-01-07T09:00:00Z or 2030-01-07T10:00:00+01:00, got "${start}"`);
  });

  it('--json gives the same timeline to machines, with absolute times from --start', async () => {
    const run = await coalmine(['plan', '--request', requestFile(request), '--json', '--start', '2030-01-07T09:00:00Z']);
    const timeline = JSON.parse(run.stdout.join('\n'));
    expect(timeline.steps.map((s: { weight: number; startSeconds: number; endSeconds: number }) => [s.weight, s.startSeconds, s.endSeconds])).toEqual([
      [5, 0, 600],
      [25, 600, 1200],
      [50, 1200, 1800],
    ]);
    expect(timeline.steps[1].startsAt).toBe('2030-01-07T09:10:00.000Z');
    expect(timeline).toMatchObject({ promoteAtSeconds: 1800, nominalSeconds: 1800, worstCaseSeconds: 1800 + 3 * 3600, promotesAt: '2030-01-07T09:30:00.000Z' });
    expect(timeline).toMatchObject({ intervalSeconds: 60, requestedIntervalSeconds: 60, looks: { nominal: 30, worstCase: 210 } });
    expect(timeline.costUsd.nominal).toBeCloseTo(timeline.stateTransitions.nominal * 0.000025, 9);
  });

  it('reads the request from standard input', async () => {
    const run = await coalmine(['plan', '--json'], JSON.stringify(request));
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout[0] ?? '').steps).toHaveLength(3);
  });

  it("plans a scenario's rollout", async () => {
    const run = await coalmine(['plan', '--scenario', 'late-failure', '--json']);
    expect(JSON.parse(run.stdout[0] ?? '').steps.map((s: { weight: number }) => s.weight)).toEqual([10, 25, 50]);
  });

  it('shows the post-promotion bake, its looks and its cost', async () => {
    const run = await coalmine(['plan', '--scenario', 'post-promotion-regression']);
    expect(run.code).toBe(0);
    expect(run.stdout).toEqual(
      expect.arrayContaining([
        '  promote to 100 % at +00:05:00',
        "  then bakes at 100 % for 30 min, the previous version one write away: 6 looks every 5 min (the rollout's alarms: checkout-errors, checkout-p99-latency); ends promoted at +00:35:00",
        'State transitions: 46 nominal, 409 worst case (history events at worst 1,241 of a budget of 20,000)',
      ]),
    );
    const json = JSON.parse((await coalmine(['plan', '--scenario', 'post-promotion-regression', '--json'])).stdout[0] ?? '');
    expect(json.postPromotion).toEqual({ bakeSeconds: 1800, intervalSeconds: 300, looks: 6, endsAtSeconds: 2100 });
    expect(json.costUsd.nominal).toBe(0.00115);
  });

  it('shows the settle wait by name for a target that cannot observe propagation (cloudfront-kvs)', async () => {
    const run = await coalmine(['plan', '--scenario', 'edge-canary']);
    expect(run.code).toBe(0);
    expect(run.stdout).toEqual(
      expect.arrayContaining([
        'Plan: kvs/327284aa-bcd5-499f-a3ff-26b9a9d31b58 (cloudfront-kvs), custom weights',
        '  step  weight  shift at    bake from   analyzed at waits',
        '     1     5 %  +00:00:00   +00:01:00   +00:11:00   WaitForEdgeToSettle 1 min, Bake 10 min',
        '     3    50 %  +00:22:00   +00:23:00   +00:33:00   WaitForEdgeToSettle 1 min, Bake 10 min',
        '  promote to 100 % at +00:33:00',
        expect.stringMatching(/^ {2}state machine waits settleSeconds \(60 s\) in WaitForEdgeToSettle before the Bake starts\.$/),
      ]),
    );
    const timeline = JSON.parse((await coalmine(['plan', '--scenario', 'edge-canary', '--json'])).stdout.join('\n'));
    expect(timeline.observable).toBe(false);
    expect(timeline.steps[1]).toMatchObject({
      startSeconds: 660,
      bakeStartSeconds: 720,
      endSeconds: 1320,
      waits: [
        { state: 'WaitForEdgeToSettle', seconds: 60 },
        { state: 'Bake', seconds: 600 },
      ],
    });
  });

  it("shows the share of the address space each colour's pins cover, and the bound", async () => {
    const run = await coalmine(['plan', '--scenario', 'edge-canary']);
    expect(run.stdout).toEqual(
      expect.arrayContaining([
        "Pins (written in Preflight, before any traffic moves; they apply whatever the step's weight), share of the address space:",
        '  green (the canary): IPv4 3.7e-7 %, IPv6 0 %; green_countries as the store has it',
        '  blue: IPv4 6e-6 %, IPv6 0 %; blue_countries as the store has it',
        "  The canary's pins may cover at most IPv4 0.0015 % (a /16), IPv6 2.3e-8 % (a /32) without override.allowLargeGreenPins; Preflight checks the store's lists too.",
      ]),
    );
    const timeline = JSON.parse((await coalmine(['plan', '--scenario', 'edge-canary', '--json'])).stdout.join('\n'));
    expect(timeline.pins).toEqual({ blue: { cidrs: { ipv4: 2 ** -24, ipv6: 0 }, countries: null }, green: { cidrs: { ipv4: 2 ** -28, ipv6: 0 }, countries: null } });
  });

  it('refuses green pins for everyone without the override (exit 2), and shows them with it', async () => {
    const edge = (override: object | null) =>
      JSON.stringify({
        target: { type: 'cloudfront-kvs', kvsArn: 'arn:aws:cloudfront::123456789012:key-value-store/327284aa', greenCidrs: ['0.0.0.0/0', '::/0'], greenCountries: ['NZ'] },
        strategy: { weights: [5, 100], bakeSeconds: 60 },
        analysis: {},
        override,
      });
    const refused = await coalmine(['plan'], edge(null));
    expect(refused.code).toBe(2);
    expect(refused.stderr.join('\n')).toContain('target.greenCidrs: the green pins (the canary\'s colour) cover IPv4 100 %, IPv6 100 % of the address space, over the bound');
    const allowed = await coalmine(['plan'], edge({ allowLargeGreenPins: true, reason: 'open beta' }));
    expect(allowed.code).toBe(0);
    expect(allowed.stdout).toContain('  green (the canary): IPv4 100 %, IPv6 100 % (above the bound, allowed by the override: open beta); countries NZ');
  });

  it('names Wait states that the state machine has', () => {
    const states = readDefinition().States;
    for (const name of Object.values(WAIT_STATES)) expect(states[name]?.Type).toBe('Wait');
  });

  it.each([
    [[], null, /give --request FILE, or pipe a rollout request \(JSON\) on standard input/],
    [['--request', '/nonexistent.json'], null, /--request \/nonexistent\.json: cannot read the file: no such file/],
    [[], '{"target":', /the request on standard input is not valid JSON/],
    [['--start', 'tomorrow'], '{}', /--start must be an ISO 8601 time/],
    [[], JSON.stringify({ ...request, strategy: { preset: 'canary10-6m' } }), /The rollout request is invalid: strategy\.preset: unknown preset/],
    [
      [],
      JSON.stringify({
        ...request,
        strategy: { weights: [...Array.from({ length: 99 }, (_, i) => i + 1), 100], bakeSeconds: 600 },
        analysis: { alarms: Array.from({ length: 100 }, (_, i) => `a${i}-${'x'.repeat(250)}`), metrics: [{ metric: 'errors' }] },
      }),
      /execution state could reach [\d,]+ bytes, over the budget of 196,608 bytes/,
    ],
  ])('plan %j with stdin %j fails with exit 2', async (args, stdin, message) => {
    const run = await coalmine(['plan', ...args], stdin);
    expect(run.code).toBe(2);
    expect(run.stderr.join('\n')).toMatch(message);
  });
});

describe('coalmine tour', () => {
  it('shows a healthy canary promoted, a bad one rolled back by the analysis, the same one by its alarm event, and the difference', async () => {
    const run = await coalmine(['tour']);
    expect(run.code).toBe(0);
    const results = run.stdout.filter((l) => l.startsWith('Result: '));
    expect(results).toEqual([
      expect.stringMatching(/^Result: PROMOTED: version 42 at 100 %/),
      expect.stringMatching(/^Result: ROLLED BACK \(CanaryAnalysisFailed\): canary at 0 % after 5 min simulated/),
      expect.stringMatching(/^Result: ROLLED BACK \(AlarmRollback\): canary at 0 % after 2 min 1 s simulated/),
    ]);
    expect(run.stdout).toContainEqual(
      expect.stringMatching(
        /^With alarm events: rolled back at 00:02:01 instead of 00:05:00 \(1 s after the alarm instead of 3 min\), \d+ fewer canary errors \(\d+ instead of \d+\)\.$/,
      ),
    );
  });
});
