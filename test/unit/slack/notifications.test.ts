/**
 * The notification builder: one Block Kit message per lifecycle event (docs/events.md) and per execution
 * stopped from outside, with what a person needs at a glance.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { classifyEvent, notificationFor, type NotificationEvent } from '../../../shared/slack/notifications';
import type { SlackBlock } from '../../../shared/slack/responses';
import type { SlackMessage } from '../../../shared/slack/poster';
import { ACTION_IDS } from '../../../shared/slack/commands';
import { slackDate } from '../../../shared/slack/format';

function lifecycleFixture(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(__dirname, '../../fixtures/lifecycle', `${name}.json`), 'utf8')) as Record<string, unknown>;
}

function messageFor(name: string): SlackMessage {
  const classified = classifyEvent(lifecycleFixture(name));
  if ('ignored' in classified) throw new Error(`fixture ${name} was ignored: ${classified.ignored}`);
  return notificationFor(classified);
}

/** Everything a reader sees: every text in every block. */
function visibleText(message: SlackMessage): string {
  const texts: string[] = [];
  for (const block of message.blocks ?? []) {
    if (block.type === 'section') texts.push(block.text.text, ...(block.fields ?? []).map((f) => f.text));
    if (block.type === 'context') texts.push(...block.elements.map((e) => e.text));
    if (block.type === 'header') texts.push(block.text.text);
  }
  return texts.join('\n');
}

function buttons(message: SlackMessage): Array<{ action: string; value: string }> {
  return (message.blocks ?? [])
    .filter((b): b is Extract<SlackBlock, { type: 'actions' }> => b.type === 'actions')
    .flatMap((b) => b.elements.map((e) => ({ action: e.action_id, value: e.value })));
}

const EXECUTION = 'checkout-42-20261122T1000';

describe('notificationFor: one message per lifecycle event', () => {
  test.each([
    {
      fixture: 'rollout-started',
      shows: ['Rollout started', '*checkout*', '`checkout:live`', 'version 41 → 42', '10 % → 50 % → 100 %', '2 steps', '5 min bake per step', 'about 10 min', 'at most 30 min', EXECUTION],
      text: 'Rollout started: checkout',
      rollBackButton: true,
    },
    {
      fixture: 'step-analyzed-pass',
      shows: [':white_check_mark:', 'step 1 of 2 at *10 %*', '*pass*', 'next step', 'checkout-errors: *OK*', 'checkout-latency-p99: *OK*', '[412.5', 'cloudwatch-alarms'],
      text: 'checkout step 1 of 2 at 10 %: pass, next step',
      rollBackButton: true,
    },
    {
      fixture: 'step-analyzed-inconclusive-metrics',
      shows: [':hourglass_flowing_sand:', 'step 2 of 2 at *50 %*', 'baking again', 'errors: canary 3/812 (0.369 %) vs baseline 1/809 (0.124 %), ratio 2.99×, p = 0.31', 'latency: median 118.2 vs 115.9 (1.02×), 10 vs 10 points, p = 0.42'],
      text: 'checkout step 2 of 2 at 50 %: inconclusive, baking again',
      rollBackButton: true,
    },
    {
      fixture: 'step-analyzed-fail',
      shows: [':x:', 'step 2 of 2 at *50 %*', '*fail*', 'rolling back', 'checkout-errors: *ALARM*', 'was greater than the threshold (1.0)'],
      text: 'checkout step 2 of 2 at 50 %: fail, rolling back',
      rollBackButton: false,
    },
    {
      fixture: 'promoted',
      shows: [':rocket:', '*checkout* promoted', 'all traffic on version 42', 'took 10 min 8 s'],
      text: 'checkout promoted after 10 min 8 s',
      rollBackButton: false,
    },
    {
      fixture: 'rolled-back',
      shows: [':rewind:', 'rolled back by coalmine', 'the canary analysis failed', 'version 41 again', '*Why:* step 2 at 50 %', '`CanaryAnalysisFailed`', 'rolled back 10 min 5 s after the start'],
      text: 'checkout rolled back: the canary analysis failed',
      rollBackButton: false,
    },
    {
      fixture: 'rolled-back-by-reconciler',
      shows: [':rewind:', 'rolled back by the reconciler', 'stopped from outside (the console, the CLI or an SDK) without a rollback', 'version 42 again', '`ABORTED`'],
      text: 'checkout rolled back: it was stopped from outside (the console, the CLI or an SDK) without a rollback',
      rollBackButton: false,
    },
    {
      fixture: 'failed-preflight',
      shows: [':no_entry:', 'refused at preflight', '*AlarmAlreadyFiring*', 'No traffic moved', 'already in ALARM before any traffic moved'],
      text: 'checkout-43-20261122T1100 refused at preflight (AlarmAlreadyFiring); nothing changed.',
      rollBackButton: false,
    },
    {
      fixture: 'failed-rollback',
      shows: [':rotating_light:', '*the rollback failed*', '*a person must act*', 'points at version 39', 'rolling back after `CanaryAnalysisFailed`'],
      text: 'checkout: the ROLLBACK FAILED; traffic may still reach the new version. A person must act.',
      rollBackButton: false,
    },
  ])('$fixture', ({ fixture, shows, text, rollBackButton }) => {
    const message = messageFor(fixture);
    const visible = visibleText(message);
    for (const fragment of shows) expect(visible).toContain(fragment);
    expect(message.text).toBe(text);
    const pressable = buttons(message);
    if (rollBackButton) {
      // Keyed by the execution, which is unique: an old message never rolls back a newer rollout of the same name.
      expect(pressable).toContainEqual({ action: ACTION_IDS.rollback, value: EXECUTION });
    } else {
      expect(pressable).toEqual([]);
    }
  });

  test('times are shown in each reader\'s zone, with the ISO time as the fallback', () => {
    const visible = visibleText(messageFor('promoted'));
    expect(visible).toContain(slackDate('2026-11-22T10:00:00.000Z'));
    expect(slackDate('2026-11-22T10:00:00.000Z')).toBe('<!date^1795341600^{date_short_pretty} at {time}|2026-11-22T10:00:00.000Z>');
  });

  test('an all-at-once rollout says there is no canary step', () => {
    const event = lifecycleFixture('rollout-started');
    const detail = event.detail as Record<string, unknown>;
    const message = notificationFor({
      kind: 'lifecycle',
      detailType: 'Rollout Started',
      detail: { ...detail, plan: { ...(detail.plan as object), steps: [], nominalSeconds: 0, worstCaseSeconds: 0 } },
    });
    expect(visibleText(message)).toContain('all at once: straight to 100 %');
  });

  test("an edge rollout's start says what each colour's pins cover", () => {
    const detail = lifecycleFixture('rollout-started').detail as Record<string, unknown>;
    const pins = { bluePins: 'IPv4 6e-6 %, IPv6 0 % of the address space and no countries', greenPins: 'IPv4 100 %, IPv6 0 % of the address space and countries NZ' };
    const message = notificationFor({ kind: 'lifecycle', detailType: 'Rollout Started', detail: { ...detail, baseline: { greenPercentage: 0, lockHolder: 'x', ...pins } } });
    expect(visibleText(message)).toContain(
      '*Pins, whatever the weight:* green IPv4 100 %, IPv6 0 % of the address space and countries NZ; blue IPv4 6e-6 %, IPv6 0 % of the address space and no countries',
    );
    expect(visibleText(notificationFor({ kind: 'lifecycle', detailType: 'Rollout Started', detail }))).not.toContain('Pins');
  });

  test('an override start says so, with its reason, escaped', () => {
    const detail = lifecycleFixture('rollout-started').detail as Record<string, unknown>;
    const message = notificationFor({
      kind: 'lifecycle',
      detailType: 'Rollout Started',
      detail: { ...detail, override: { alarmsAlreadyFiring: true, reason: 'hotfix for the checkout errors <!channel>' } },
    });
    expect(visibleText(message)).toContain(':rotating_light: *Override:* started while a listed alarm fires; reason: hotfix for the checkout errors &lt;!channel&gt;');
    expect(visibleText(notificationFor({ kind: 'lifecycle', detailType: 'Rollout Started', detail: { ...detail, override: null } }))).not.toContain('Override');
    const pins = notificationFor({
      kind: 'lifecycle',
      detailType: 'Rollout Started',
      detail: { ...detail, override: { alarmsAlreadyFiring: true, allowLargeGreenPins: true, reason: 'open beta' } },
    });
    expect(visibleText(pins)).toContain(':rotating_light: *Override:* started while a listed alarm fires, green pins above the bound; reason: open beta');
  });

  test("the metrics judge's latency checks show their slow requests, not errors", () => {
    const event = lifecycleFixture('step-analyzed-inconclusive-metrics');
    const detail = event.detail as { analysis: Record<string, unknown> };
    const slow = { kind: 'slow-requests', canary: { requests: 6000, failures: 150, rate: 0.025 }, baseline: { requests: 54000, failures: 540, rate: 0.01 }, ratio: 2.5, pValue: 1e-12 };
    const checks = [{ judge: 'metrics', verdict: 'fail', reason: 'latency-p99 failed', evidence: { metrics: [{ metric: 'latency-p99', verdict: 'fail', evidence: slow }] } }];
    const message = notificationFor({ kind: 'lifecycle', detailType: 'Rollout Step Analyzed', detail: { ...detail, analysis: { ...detail.analysis, checks } } });
    expect(visibleText(message)).toContain('latency-p99 :x:: slow requests: canary 150/6,000 (2.5 %) vs baseline 540/54,000 (1 %), ratio 2.5×, p = < 0.0001');
  });

  test('the SLO gate comes first with its burn rate, and a shadow check says it never acts', () => {
    const event = lifecycleFixture('step-analyzed-inconclusive-metrics');
    const detail = event.detail as { analysis: Record<string, unknown> };
    const errors = { kind: 'errors', canary: { requests: 6000, failures: 60, rate: 0.01 }, baseline: { requests: 54000, failures: 270, rate: 0.005 }, ratio: 2, pValue: 4.4e-6 };
    const burn = { kind: 'burn-rate', canary: { requests: 60000, failures: 180, rate: 0.003 }, burnRate: 3, maxBurnRate: 2, pValue: 1e-9 };
    const evidence = {
      canaryRequests: 60000,
      slo: { metric: 'SLO 99.9 %', check: 'errors', verdict: 'fail', evidence: burn },
      metrics: [{ metric: 'errors v2', verdict: 'fail', dryRun: true, evidence: errors }],
    };
    const checks = [{ judge: 'metrics', verdict: 'fail', reason: 'SLO failed', evidence }];
    const visible = visibleText(notificationFor({ kind: 'lifecycle', detailType: 'Rollout Step Analyzed', detail: { ...detail, analysis: { ...detail.analysis, checks } } }));
    expect(visible).toContain('• SLO 99.9 % :x:: canary errors 180/60,000, burning the error budget 3× (at most 2×), p = < 0.0001\n• errors v2 :x: _(dry run: reported, never acts)_: errors: canary 60/6,000');
  });

  test('text from the event cannot ping the channel, mention people or become a link', () => {
    const event = lifecycleFixture('rolled-back');
    const detail = { ...(event.detail as Record<string, unknown>), cause: 'boom <!channel> <@U0ALICE123> <https://evil.example|click>' };
    const visible = visibleText(notificationFor({ kind: 'lifecycle', detailType: 'Rollout Rolled Back', detail }));
    expect(visible).toContain('&lt;!channel&gt; &lt;@U0ALICE123&gt; &lt;https://evil.example|click&gt;');
    expect(visible).not.toContain('<!channel>');
  });

  test('a detail with fields missing still makes a message (never an error)', () => {
    for (const detailType of ['Rollout Started', 'Rollout Step Analyzed', 'Rollout Promoted', 'Rollout Rolled Back', 'Rollout Failed'] as const) {
      const message = notificationFor({ kind: 'lifecycle', detailType, detail: { executionName: 'x-1' } });
      expect(message.text.length).toBeGreaterThan(0);
      expect(message.blocks!.length).toBeGreaterThan(0);
      for (const block of message.blocks!) {
        if (block.type === 'context') expect(block.elements.length).toBeGreaterThan(0);
      }
    }
  });

  test('every message keeps within Slack\'s limits (50 blocks, 3,000 characters a section, 10 context elements)', () => {
    const event = lifecycleFixture('step-analyzed-pass');
    const detail = event.detail as { analysis: Record<string, unknown> };
    const manyAlarms = Array.from({ length: 40 }, (_, i) => ({ name: `alarm-${i}`, state: 'OK', reason: 'x'.repeat(400) }));
    const checks = Array.from({ length: 30 }, () => ({ judge: 'cloudwatch-alarms', verdict: 'pass', reason: 'y'.repeat(900), evidence: { alarms: manyAlarms } }));
    const message = notificationFor({
      kind: 'lifecycle',
      detailType: 'Rollout Step Analyzed',
      detail: { ...detail, analysis: { ...detail.analysis, reason: 'z'.repeat(10_000), checks } },
    });
    expect(message.blocks!.length).toBeLessThanOrEqual(50);
    for (const block of message.blocks!) {
      if (block.type === 'section') expect(block.text.text.length).toBeLessThanOrEqual(3000);
      if (block.type === 'context') expect(block.elements.length).toBeLessThanOrEqual(10);
    }
    expect(message.text.length).toBeLessThanOrEqual(3000);
  });
});

describe('notificationFor: executions stopped from outside', () => {
  test.each([
    {
      fixture: 'execution-aborted-by-alarm',
      shows: [':rotating_light:', 'rolled back by alarm *checkout-errors*', 'all traffic on the stable version again', '*Why:* Alarm checkout-errors went to ALARM', '1.2 s to a verified 0 %', 'stopped 6 min 24 s after the start'],
      text: 'checkout rolled back by alarm checkout-errors',
    },
    {
      fixture: 'execution-aborted-from-slack',
      shows: [':rewind:', 'rolled back from Slack by <@U0ALICE123>', 'error rate doubled after v42', '412 ms to a verified 0 %'],
      text: 'checkout rolled back from Slack by alice',
    },
    {
      fixture: 'execution-aborted-no-details',
      shows: [':octagonal_sign:', 'stopped from outside coalmine', '*Check the target:*'],
      text: 'checkout: the execution was stopped by hand; check the target.',
    },
    {
      fixture: 'execution-timed-out',
      shows: [':rotating_light:', 'timed out', '*A person must act:*'],
      text: 'checkout: the execution timed out; check the target.',
    },
  ])('$fixture', ({ fixture, shows, text }) => {
    const message = messageFor(fixture);
    const visible = visibleText(message);
    for (const fragment of shows) expect(visible).toContain(fragment);
    expect(message.text).toBe(text);
    expect(buttons(message)).toEqual([]);
  });

  test('a promotion from Slack names the person', () => {
    const event: NotificationEvent = {
      kind: 'execution-stopped',
      status: 'ABORTED',
      executionName: EXECUTION,
      error: 'ManualPromote',
      cause:
        'Promotion requested from Slack by alice (U0ALICE123) in C0DEPLOYS1 (no reason given). Skipping the remaining steps and analysis.\n' +
        'coalmine-facts: {"requester":{"kind":"slack","userId":"U0ALICE123","userName":"alice","channelId":"C0DEPLOYS1"}}',
    };
    const message = notificationFor(event);
    expect(visibleText(message)).toContain(':rocket:');
    expect(visibleText(message)).toContain('promoted from Slack by <@U0ALICE123>');
    expect(message.text).toBe(`${EXECUTION} promoted from Slack by alice`);
  });
});

describe('classifyEvent', () => {
  test.each([
    { event: lifecycleFixture('execution-succeeded'), ignored: 'execution status SUCCEEDED is announced by the state machine' },
    { event: { source: 'coalmine', 'detail-type': 'Rollout Exploded', detail: {} }, ignored: 'unknown coalmine detail-type "Rollout Exploded"' },
    { event: { source: 'aws.cloudwatch', 'detail-type': 'CloudWatch Alarm State Change', detail: {} }, ignored: expect.stringContaining('is not a rollout event') },
    { event: { source: 'coalmine', 'detail-type': 'Rollout Started' }, ignored: 'the event has no detail (source coalmine)' },
    { event: 'hello', ignored: 'not an EventBridge event' },
  ])('skips $ignored', ({ event, ignored }) => {
    expect(classifyEvent(event)).toEqual({ ignored });
  });

  test('reads what an execution status change carries', () => {
    expect(classifyEvent(lifecycleFixture('execution-aborted-no-details'))).toEqual({
      kind: 'execution-stopped',
      status: 'ABORTED',
      executionArn: `arn:aws:states:us-east-1:123456789012:execution:coalmine-dev-canary:${EXECUTION}`,
      stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:coalmine-dev-canary',
      executionName: EXECUTION,
      input: expect.stringContaining('"name": "checkout"'),
      startDate: 1795341600000,
      stopDate: 1795341984000,
    });
  });
});
