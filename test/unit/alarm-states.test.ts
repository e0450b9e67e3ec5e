import { assessAlarmStates, type AlarmSnapshot, type AlarmStateValue } from '../../shared/judges/alarm-states';
import { combineJudgeResults } from '../../shared/judges/combine';
import type { JudgeResult } from '../../shared/judges/types';
import type { Verdict } from '../../shared/rollout';

type Policy = 'inconclusive' | 'pass' | 'fail';

const snapshot = (name: string, state: AlarmStateValue, reason = `${name} is ${state}`): AlarmSnapshot => ({
  name,
  state,
  reason,
  updatedAt: '2025-01-01T00:00:00.000Z',
});

describe('assessAlarmStates: one alarm', () => {
  it.each<[AlarmStateValue, Policy, Verdict]>([
    ['ALARM', 'inconclusive', 'fail'],
    ['ALARM', 'pass', 'fail'],
    ['ALARM', 'fail', 'fail'],
    ['OK', 'inconclusive', 'pass'],
    ['OK', 'pass', 'pass'],
    ['OK', 'fail', 'pass'],
    ['INSUFFICIENT_DATA', 'inconclusive', 'inconclusive'],
    ['INSUFFICIENT_DATA', 'pass', 'pass'],
    ['INSUFFICIENT_DATA', 'fail', 'fail'],
  ])('%s with insufficientData=%s → %s', (state, policy, verdict) => {
    const result = assessAlarmStates(['checkout-errors'], [snapshot('checkout-errors', state)], policy);

    expect(result.judge).toBe('cloudwatch-alarms');
    expect(result.verdict).toBe(verdict);
    expect(result.evidence).toEqual({
      alarms: [
        {
          name: 'checkout-errors',
          state,
          verdict,
          reason: `checkout-errors is ${state}`,
          updatedAt: '2025-01-01T00:00:00.000Z',
        },
      ],
    });
  });

  it.each<Policy>(['inconclusive', 'pass', 'fail'])(
    'an alarm that no longer exists is inconclusive, never a silent pass (insufficientData=%s)',
    (policy) => {
      const result = assessAlarmStates(['checkout-errors'], [], policy);

      expect(result.verdict).toBe('inconclusive');
      expect(result.reason).toBe('alarm without a verdict: checkout-errors (MISSING: the alarm no longer exists)');
      expect(result.evidence).toEqual({
        alarms: [{ name: 'checkout-errors', state: 'MISSING', verdict: 'inconclusive', reason: 'the alarm no longer exists', updatedAt: null }],
      });
    },
  );
});

describe('assessAlarmStates: several alarms', () => {
  const names = ['checkout-errors', 'checkout-p99-latency', 'checkout-throttles'];

  it('passes when every alarm is OK, and says how many', () => {
    const result = assessAlarmStates(names, names.map((n) => snapshot(n, 'OK')), 'inconclusive');

    expect(result).toMatchObject({ verdict: 'pass', reason: '3 alarm(s) OK' });
  });

  it('fails on any alarm in ALARM and names it with its reason', () => {
    const snapshots = [
      snapshot('checkout-errors', 'OK'),
      snapshot('checkout-p99-latency', 'ALARM', 'Threshold Crossed: 1 datapoint [812.0] was greater than the threshold (500.0).'),
      snapshot('checkout-throttles', 'INSUFFICIENT_DATA'),
    ];

    const result = assessAlarmStates(names, snapshots, 'inconclusive');

    expect(result.verdict).toBe('fail');
    expect(result.reason).toBe(
      'alarm in ALARM: checkout-p99-latency (ALARM: Threshold Crossed: 1 datapoint [812.0] was greater than the threshold (500.0).)',
    );
  });

  it('names every failing alarm', () => {
    const result = assessAlarmStates(names, names.map((n) => snapshot(n, 'ALARM')), 'inconclusive');

    expect(result.reason).toBe(
      'alarm in ALARM: checkout-errors (ALARM: checkout-errors is ALARM); ' +
        'checkout-p99-latency (ALARM: checkout-p99-latency is ALARM); checkout-throttles (ALARM: checkout-throttles is ALARM)',
    );
  });

  it('is inconclusive when none fails and one has no verdict, naming the missing and the data-less', () => {
    const snapshots = [snapshot('checkout-errors', 'OK'), snapshot('checkout-throttles', 'INSUFFICIENT_DATA')];

    const result = assessAlarmStates(names, snapshots, 'inconclusive');

    expect(result.verdict).toBe('inconclusive');
    expect(result.reason).toBe(
      'alarm without a verdict: checkout-p99-latency (MISSING: the alarm no longer exists); ' +
        'checkout-throttles (INSUFFICIENT_DATA: checkout-throttles is INSUFFICIENT_DATA)',
    );
  });

  it('records evidence for every alarm, in the order of the request, ignoring alarms it was not asked about', () => {
    const snapshots = [snapshot('unrelated', 'ALARM'), snapshot('checkout-throttles', 'OK'), snapshot('checkout-errors', 'OK')];

    const result = assessAlarmStates(names, snapshots, 'inconclusive');

    expect(result.verdict).toBe('inconclusive');
    expect((result.evidence.alarms as Array<{ name: string; state: string }>).map((a) => [a.name, a.state])).toEqual([
      ['checkout-errors', 'OK'],
      ['checkout-p99-latency', 'MISSING'],
      ['checkout-throttles', 'OK'],
    ]);
  });
});

describe('assessAlarmStates: an override start (override.alarmsAlreadyFiring)', () => {
  const started = '2025-01-01T12:00:00.000Z';
  const at = (state: AlarmStateValue, updatedAt: string | null): AlarmSnapshot => ({ ...snapshot('checkout-errors', state), updatedAt });

  it.each<[string, AlarmSnapshot, string | null, Verdict, string]>([
    ['still in the ALARM it was in at the start: not evidence', at('ALARM', '2025-01-01T11:00:00.000Z'), started, 'pass', '0 alarm(s) OK; not yet evidence (in ALARM since before the override start): checkout-errors'],
    ['in ALARM since exactly the start: not evidence', at('ALARM', started), started, 'pass', 'not yet evidence'],
    ['OK once since the start, then ALARM again: fails', at('ALARM', '2025-01-01T12:05:00.000Z'), started, 'fail', 'alarm in ALARM: checkout-errors'],
    ['OK after the fix: passes', at('OK', '2025-01-01T12:03:00.000Z'), started, 'pass', '1 alarm(s) OK'],
    ['in ALARM without a timestamp: counts', at('ALARM', null), started, 'fail', 'alarm in ALARM'],
    ['no override: an old ALARM fails as always', at('ALARM', '2025-01-01T11:00:00.000Z'), null, 'fail', 'alarm in ALARM'],
  ])('%s', (_case, alarm, firingSince, verdict, reason) => {
    const result = assessAlarmStates(['checkout-errors'], [alarm], 'inconclusive', firingSince);

    expect(result.verdict).toBe(verdict);
    expect(result.reason).toContain(reason);
  });

  it('judges every other alarm as usual', () => {
    const other = { ...snapshot('checkout-p99-latency', 'ALARM'), updatedAt: '2025-01-01T12:01:00.000Z' };
    const result = assessAlarmStates(['checkout-errors', 'checkout-p99-latency'], [at('ALARM', '2025-01-01T11:00:00.000Z'), other], 'inconclusive', started);

    expect(result.verdict).toBe('fail');
    expect(result.reason).toBe('alarm in ALARM: checkout-p99-latency (ALARM: checkout-p99-latency is ALARM)');
    expect(result.evidence.alarms).toEqual([expect.objectContaining({ name: 'checkout-errors', verdict: null }), expect.objectContaining({ verdict: 'fail' })]);
  });
});

describe('combineJudgeResults', () => {
  const result = (judge: string, verdict: Verdict): JudgeResult => ({ judge, verdict, reason: `${judge} says ${verdict}`, evidence: {} });

  it.each<[Verdict[], Verdict, string]>([
    [['pass'], 'pass', 'j0 says pass'],
    [['pass', 'pass'], 'pass', 'j0 says pass; j1 says pass'],
    [['fail'], 'fail', 'j0 says fail'],
    [['pass', 'fail'], 'fail', 'j1 says fail'],
    [['inconclusive', 'fail'], 'fail', 'j1 says fail'],
    [['fail', 'inconclusive', 'fail'], 'fail', 'j0 says fail; j2 says fail'],
    [['inconclusive'], 'inconclusive', 'j0 says inconclusive'],
    [['pass', 'inconclusive'], 'inconclusive', 'j1 says inconclusive'],
  ])('%j → %s, giving the reasons that decided', (verdicts, verdict, reason) => {
    expect(combineJudgeResults(verdicts.map((v, i) => result(`j${i}`, v)))).toEqual({ verdict, reason });
  });

  it('passes with no judges, and says the step passed on time alone', () => {
    expect(combineJudgeResults([])).toEqual({
      verdict: 'pass',
      reason: 'no checks are configured (analysis.alarms and analysis.metrics are empty): the step passed on time alone',
    });
  });
});

describe('assessAlarmStates: bounded for the execution state', () => {
  it('shortens long state reasons in the evidence and names at most 5 alarms in the reason', () => {
    const names = Array.from({ length: 8 }, (_, i) => `alarm-${i}`);
    const long = 'r'.repeat(1023);
    const result = assessAlarmStates(names, names.map((n) => snapshot(n, 'ALARM', long)), 'inconclusive');

    const alarms = (result.evidence as { alarms: Array<{ reason: string }> }).alarms;
    expect(alarms).toHaveLength(8);
    expect(alarms.every((a) => a.reason === `${'r'.repeat(199)}…`)).toBe(true);
    expect(result.reason).toMatch(/^alarm in ALARM: alarm-0 \(ALARM: r+…\); .*alarm-4 \(ALARM: r+…\); and 3 more$/);
    expect(result.reason).not.toContain('alarm-5');
  });
});
