/**
 * The rollback window's decision (shared/actions/restore-decision.ts) as a table: how the execution ended ×
 * what the target shows × the window × a rollout running on the target → restore, already restored, or a
 * refusal with its words. The record's text round trip (shared/routers/restore-record.ts) and the revert
 * command's request are here too. The I/O is proven in test/cli/rollback-window.test.ts and against moto.
 */
import { decideRestore, revertCommand, revertExecutionName, revertRequestOf, type RestoreFacts, type TargetView } from '../../shared/actions/restore-decision';
import { parseRolloutRequest } from '../../shared/config/request';
import type { Ending } from '../../shared/executions/story';
import { formatRestoreRecord, MAX_RECORD_LENGTH, parseRestoreRecord, type RestoreRecord } from '../../shared/routers/restore-record';

const STATE_MACHINE = 'arn:aws:states:us-east-1:123456789012:stateMachine:coalmine-dev-canary';
const ENDED_AT = new Date('2026-11-22T10:00:00.000Z');
const HOUR = 3_600_000;
const request = parseRolloutRequest({
  name: 'checkout',
  target: { type: 'lambda-alias', functionName: 'checkout', alias: 'live', version: '42' },
  strategy: { preset: 'canary10-5m' },
  analysis: { alarms: ['checkout-errors'] },
});
const ROLLOUT = { name: 'checkout', request, baseline: { version: '41' } };
const OURS: RestoreRecord = { executionName: 'checkout-42', restored: 'version 41', by: 'alice (U0ALICE123)', reason: 'p99 doubled', at: '2026-11-22T11:00:00.000Z' };

const ending = (outcome: Ending['outcome'], at: Date | null = ENDED_AT): Ending => ({
  status: outcome === 'promoted' ? 'SUCCEEDED' : outcome === 'rolled-back' || outcome === 'refused' || outcome === 'failed' ? 'FAILED' : 'ABORTED',
  outcome,
  ...(at !== null ? { at } : {}),
});
const AS_PROMOTED: TargetView = { kind: 'as-promoted', detail: 'checkout:live sends all traffic to version 42, as the promotion left it' };
const RESTORED_BY_US: TargetView = { kind: 'restored', detail: 'checkout:live sends all traffic to version 41', record: OURS };
const RESTORED_BY_HAND: TargetView = { kind: 'restored', detail: 'checkout:live sends all traffic to version 41' };
const RESTORED_FOR_ANOTHER: TargetView = { kind: 'restored', detail: 'checkout:live sends all traffic to version 41', record: { ...OURS, executionName: 'checkout-40' } };
const CHANGED: TargetView = { kind: 'changed', detail: 'checkout:live points at version 43, not at version 42 alone as the promotion left it' };
const UNREADABLE: TargetView = { kind: 'unreadable', detail: 'AccessDeniedException: not authorized' };

function facts(overrides: Partial<RestoreFacts> = {}): RestoreFacts {
  return { rollout: ROLLOUT, executionName: 'checkout-42', ending: ending('promoted'), view: AS_PROMOTED, now: new Date(ENDED_AT.getTime() + HOUR), stateMachineArn: STATE_MACHINE, ...overrides };
}

describe('decideRestore', () => {
  const running = { name: 'checkout-hotfix', executionName: 'checkout-43' };
  it.each<[string, Partial<RestoreFacts>, string, string]>([
    ['promoted, as left, an hour in', {}, 'restore', ''],
    ['promoted, as left, one second before the window closes', { now: new Date(ENDED_AT.getTime() + 24 * HOUR - 1000) }, 'restore', ''],
    ['promoted, as left, the moment the window closes', { now: new Date(ENDED_AT.getTime() + 24 * HOUR) }, 'refused', 'window-closed'],
    ['promoted, as left, a window of 0 s', { rollout: { ...ROLLOUT, request: { ...request, rollbackWindowSeconds: 0 } } }, 'refused', 'window-closed'],
    ['promoted, as left, no end time known', { ending: ending('promoted', null) }, 'refused', 'window-closed'],
    ['promoted, restored by this rollout already', { view: RESTORED_BY_US }, 'already-restored', ''],
    ['promoted, restored by this rollout, after the window', { view: RESTORED_BY_US, now: new Date(ENDED_AT.getTime() + 48 * HOUR) }, 'already-restored', ''],
    ['promoted, put back by hand', { view: RESTORED_BY_HAND }, 'already-restored', ''],
    ['promoted, on the baseline with another rollout\'s record', { view: RESTORED_FOR_ANOTHER }, 'already-restored', ''],
    ['promoted, changed since', { view: CHANGED }, 'refused', 'target-changed'],
    ['promoted, changed since, after the window', { view: CHANGED, now: new Date(ENDED_AT.getTime() + 48 * HOUR) }, 'refused', 'window-closed'],
    ['promoted, a rollout running on the target', { runningOnTarget: running }, 'refused', 'rollout-running'],
    ['promoted, a rollout running and the target changed', { runningOnTarget: running, view: CHANGED }, 'refused', 'rollout-running'],
    ['promoted, target unreadable', { view: UNREADABLE }, 'refused', 'target-unreadable'],
    ['rolled back', { ending: ending('rolled-back'), view: RESTORED_BY_HAND }, 'refused', 'not-promoted'],
    ['refused by Preflight', { ending: ending('refused') }, 'refused', 'not-promoted'],
    ['failed', { ending: ending('failed'), view: CHANGED }, 'refused', 'not-promoted'],
    ['stopped from outside', { ending: ending('stopped') }, 'refused', 'not-promoted'],
    ["a person's promote the target does not show", { ending: ending('promotion-requested'), view: CHANGED }, 'refused', 'not-promoted'],
    ["a person's promote restored by this rollout already", { ending: ending('promotion-requested'), view: RESTORED_BY_US }, 'already-restored', ''],
  ])('%s → %s %s', (_, given, kind, why) => {
    const decision = decideRestore(facts(given));
    expect(decision.kind).toBe(kind);
    if (why !== '') expect(decision).toMatchObject({ why });
  });

  it('restores until the window closes, a day after the end by default', () => {
    expect(decideRestore(facts())).toEqual({ kind: 'restore', closesAt: new Date('2026-11-23T10:00:00.000Z') });
  });

  it('after the window, says when it closed and gives the exact command that rolls the old version out', () => {
    const decision = decideRestore(facts({ now: new Date(ENDED_AT.getTime() + 25 * HOUR) }));
    expect(decision).toEqual({
      kind: 'refused',
      why: 'window-closed',
      detail:
        'checkout (execution checkout-42) ended promoted at 2026-11-22T10:00:00.000Z, and its rollback window (1 d) closed at 2026-11-23T10:00:00.000Z, ' +
        'so coalmine no longer restores the previous version over it. Start a rollout of the old version instead',
      startCommand: `echo '${JSON.stringify({ ...request, target: { ...request.target, version: '41' } })}' | coalmine start --request - --name checkout-42-revert --state-machine ${STATE_MACHINE}`,
    });
  });

  it('says what the target shows now and that coalmine will not overwrite it', () => {
    expect(decideRestore(facts({ view: CHANGED }))).toMatchObject({
      detail: 'checkout:live points at version 43, not at version 42 alone as the promotion left it. It changed after checkout (execution checkout-42) ended promoted, so coalmine will not overwrite it (the forward-only rule)',
    });
  });

  it('names who restored it, when and why, on a second rollback', () => {
    expect(decideRestore(facts({ view: RESTORED_BY_US }))).toEqual({
      kind: 'already-restored',
      detail: 'checkout (execution checkout-42) is restored already by alice (U0ALICE123) at 2026-11-22T11:00:00.000Z: p99 doubled: checkout:live sends all traffic to version 41',
      record: OURS,
    });
  });

  it('names the running rollout and the command that rolls it back', () => {
    expect(decideRestore(facts({ runningOnTarget: running }))).toMatchObject({ detail: expect.stringContaining('checkout-hotfix (execution checkout-43) is rolling out on the same target now') });
    expect(decideRestore(facts({ runningOnTarget: running }))).toMatchObject({ detail: expect.stringContaining('coalmine rollback checkout-43') });
  });
});

describe('the rollout of the old version a refusal offers', () => {
  it('is the same request aimed at the baseline version, and parses', () => {
    const revert = revertRequestOf(ROLLOUT);
    expect(revert.target).toEqual({ type: 'lambda-alias', functionName: 'checkout', alias: 'live', version: '41' });
    expect(parseRolloutRequest(JSON.parse(JSON.stringify(revert)))).toEqual(revert);
  });

  it('for a KeyValueStore, makes the colour the rollout started from the canary', () => {
    const kvs = parseRolloutRequest({
      target: { type: 'cloudfront-kvs', kvsArn: 'arn:aws:cloudfront::123456789012:key-value-store/0aa2a6a1-5b8e-4e14-b3d5-6b0f0c5a9f31' },
      strategy: { weights: [10, 100], bakeSeconds: 60 },
      analysis: { alarms: ['edge-5xx'] },
    });
    expect(revertRequestOf({ request: kvs, baseline: { greenPercentage: 0, lockHolder: 'edge-1' } }).target).toMatchObject({ stableAfterPromotion: 'blue' });
  });

  it('quotes the request for a shell, and keeps the execution name within 80 characters', () => {
    const quoted = { ...ROLLOUT, request: { ...request, override: { alarmsAlreadyFiring: true as const, reason: "it's the fix" } } };
    expect(revertCommand(quoted, 'x', STATE_MACHINE)).toContain(`"reason":"it'\\''s the fix"`);
    expect(revertExecutionName('e'.repeat(80))).toBe(`${'e'.repeat(73)}-revert`);
    expect(revertExecutionName('e'.repeat(80))).toHaveLength(80);
  });
});

describe('the restore record', () => {
  it('reads back what it writes, with or without a reason', () => {
    expect(formatRestoreRecord(OURS)).toBe('coalmine restored version 41 after checkout-42 at 2026-11-22T11:00:00.000Z for alice (U0ALICE123): p99 doubled');
    expect(parseRestoreRecord(formatRestoreRecord(OURS))).toEqual(OURS);
    const { reason: _, ...bare } = OURS;
    expect(parseRestoreRecord(formatRestoreRecord(bare))).toEqual(bare);
    const iam = { ...bare, by: 'arn:aws:sts::123456789012:assumed-role/deploy/bob', reason: 'a reason: with a colon' };
    expect(parseRestoreRecord(formatRestoreRecord(iam))).toEqual(iam);
  });

  it("fits Lambda's 256 characters, and is not read into a person's own description", () => {
    const long = formatRestoreRecord({ ...OURS, reason: 'x'.repeat(500) });
    expect(long).toHaveLength(MAX_RECORD_LENGTH);
    expect(parseRestoreRecord(long)).toMatchObject({ executionName: 'checkout-42', at: OURS.at });
    expect(parseRestoreRecord('the live alias of checkout')).toBeUndefined();
    expect(parseRestoreRecord(undefined)).toBeUndefined();
  });
});
