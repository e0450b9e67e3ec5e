import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ACTION_IDS,
  MAX_REASON_LENGTH,
  MAX_TARGET_LENGTH,
  parseCommandText,
  parseInteraction,
  parseSlackRequest,
  parseSlashCommand,
  type CommandParseErrorCode,
  type SlackCommandParse,
  type Subcommand,
} from '../../../shared/slack/commands';

const fixtures = join(__dirname, '../../fixtures/slack');
const rollbackForm = readFileSync(join(fixtures, 'slash-command-rollback.form.txt'), 'utf8');
const emptyTextForm = readFileSync(join(fixtures, 'slash-command-empty-text.form.txt'), 'utf8');
const slackDocsExample = JSON.parse(readFileSync(join(fixtures, 'slack-docs-signature-example.json'), 'utf8')) as {
  body: string;
};
const rollbackButton = JSON.parse(readFileSync(join(fixtures, 'block-actions-rollback-button.json'), 'utf8')) as Record<
  string,
  unknown
>;

function slashBody(text: string, extra: Record<string, string> = {}): string {
  return new URLSearchParams({
    command: '/coalmine',
    text,
    user_id: 'U0ALICE123',
    user_name: 'alice',
    channel_id: 'C0DEPLOYS1',
    team_id: 'T0ABCD1234',
    response_url: 'https://hooks.slack.com/commands/T0ABCD1234/1/abc',
    trigger_id: '1.2.3',
    ...extra,
  }).toString();
}

function interactionBody(payload: unknown): string {
  return `payload=${encodeURIComponent(JSON.stringify(payload))}`;
}

function withAction(action: Record<string, unknown>): Record<string, unknown> {
  const [original] = rollbackButton.actions as Array<Record<string, unknown>>;
  return { ...rollbackButton, actions: [{ ...original, ...action }] };
}

function errorCode(result: SlackCommandParse): CommandParseErrorCode | 'ok' {
  return result.ok ? 'ok' : result.error.code;
}

describe('parseCommandText', () => {
  const accepted: Array<[string, Subcommand]> = [
    ['', { name: 'help' }],
    ['   ', { name: 'help' }],
    ['help', { name: 'help' }],
    ['HELP me please', { name: 'help' }],
    ['status', { name: 'status' }],
    ['status checkout:live', { name: 'status', target: 'checkout:live' }],
    ['Status   checkout', { name: 'status', target: 'checkout' }],
    ['promote checkout:live', { name: 'promote', target: 'checkout:live' }],
    ['approve checkout', { name: 'approve', target: 'checkout', decision: 'approve' }],
    ['Approve checkout-42', { name: 'approve', target: 'checkout-42', decision: 'approve' }],
    ['rollback checkout:live', { name: 'rollback', target: 'checkout:live' }],
    ['ROLLBACK checkout:live', { name: 'rollback', target: 'checkout:live' }],
    ['RollBack Checkout-API:Live', { name: 'rollback', target: 'Checkout-API:Live' }],
    ['  rollback   checkout:live   ', { name: 'rollback', target: 'checkout:live' }],
    ['\trollback\tcheckout:live\t', { name: 'rollback', target: 'checkout:live' }],
    ['rollback\u00a0checkout:live', { name: 'rollback', target: 'checkout:live' }],
    ['rollback checkout:live error rate doubled', { name: 'rollback', target: 'checkout:live', reason: 'error rate doubled' }],
    ['rollback checkout:live   error   rate\n doubled  ', { name: 'rollback', target: 'checkout:live', reason: 'error rate doubled' }],
    ['rollback checkout-2024-11-12T10-00-00Z', { name: 'rollback', target: 'checkout-2024-11-12T10-00-00Z' }],
    ['rollback my_fn.v2:blue_green', { name: 'rollback', target: 'my_fn.v2:blue_green' }],
    ['rollback checkout:live <@U0BOB45678> said so', { name: 'rollback', target: 'checkout:live', reason: '<@U0BOB45678> said so' }],
  ];
  it.each(accepted)('%j → %j', (text, subcommand) => {
    expect(parseCommandText(text)).toEqual({ ok: true, subcommand });
  });

  const refused: Array<[string, CommandParseErrorCode, RegExp]> = [
    ['deploy checkout:live', 'unknown-subcommand', /"deploy" is not a coalmine command/],
    ['roll back checkout:live', 'unknown-subcommand', /"roll" is not a coalmine command/],
    ['rollback', 'missing-target', /rollback needs to know what to roll back/],
    ['  ROLLBACK   ', 'missing-target', /rollback needs/],
    ['promote', 'missing-target', /promote needs to know what to promote/],
    ['approve', 'missing-target', /approve needs to know which rollout to approve/],
    ['approve checkout looks fine', 'unexpected-argument', /"looks fine" was left over/],
    ['rollback checkout;rm -rf /', 'invalid-target', /contains ";"/],
    ['rollback <https://example.com|example.com>', 'invalid-target', /contains "<"/],
    ['rollback check$out', 'invalid-target', /contains "\$"/],
    ['rollback check/out', 'invalid-target', /contains "\/"/],
    ['rollback chéckout', 'invalid-target', /contains "é"/],
    ['rollback check\u0007out', 'invalid-target', /control character \(U\+0007\)/],
    ['rollback fn:alias:extra', 'invalid-target', /not a valid target/],
    ['rollback :live', 'invalid-target', /not a valid target/],
    ['rollback -checkout', 'invalid-target', /not a valid target/],
    ['rollback checkout:', 'invalid-target', /not a valid target/],
    [`rollback ${'a'.repeat(MAX_TARGET_LENGTH + 1)}`, 'invalid-target', /limit is 128/],
    ['status check*out', 'invalid-target', /contains "\*"/],
    ['status checkout payments', 'unexpected-argument', /at most one target/],
    ['promote checkout:live now please', 'unexpected-argument', /"now please" was left over/],
    [`rollback checkout:live ${'x'.repeat(MAX_REASON_LENGTH + 1)}`, 'invalid-reason', /keep it under 500/],
  ];
  it.each(refused)('%j → %s', (text, code, message) => {
    const result = parseCommandText(text);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe(code);
    expect(result.error.message).toMatch(message);
  });

  it('carries the usage line of the subcommand that went wrong', () => {
    const result = parseCommandText('rollback');
    expect(!result.ok && result.error.usage).toBe('/coalmine rollback <target> [reason…]');
    const promote = parseCommandText('promote a b');
    expect(!promote.ok && promote.error.usage).toBe('/coalmine promote <target>');
  });

  it('answers an unknown subcommand with the whole usage, under the name the workspace uses', () => {
    const result = parseCommandText('deploy x', '/canary');
    expect(!result.ok && result.error.usage).toBe(
      ['/canary rollback <target> [reason…]', '/canary promote <target>', '/canary approve <target>', '/canary status [target]', '/canary help'].join('\n'),
    );
  });

  it('shortens a long echoed word in its message', () => {
    const result = parseCommandText(`${'z'.repeat(500)} x`);
    expect(!result.ok && result.error.message.length).toBeLessThan(200);
  });

  it('accepts a target at exactly the length limit', () => {
    expect(parseCommandText(`rollback ${'a'.repeat(MAX_TARGET_LENGTH)}`).ok).toBe(true);
  });
});

describe('parseSlashCommand', () => {
  it('parses the fixture of a real slash command', () => {
    expect(parseSlashCommand(rollbackForm)).toEqual({
      ok: true,
      command: {
        subcommand: { name: 'rollback', target: 'checkout:live', reason: 'error rate doubled after v42' },
        origin: {
          via: 'slash-command',
          userId: 'U0ALICE123',
          userName: 'alice',
          teamId: 'T0ABCD1234',
          channelId: 'C0DEPLOYS1',
          responseUrl: 'https://hooks.slack.com/commands/T0ABCD1234/1234567890123/abcdEFGHijklMNOPqrstUVWX',
          triggerId: '1234567890123.1234567890.0123456789abcdef0123456789abcdef',
          slashCommand: '/coalmine',
        },
      },
    });
  });

  it('reads empty text as help', () => {
    const result = parseSlashCommand(emptyTextForm);
    expect(result.ok && result.command.subcommand).toEqual({ name: 'help' });
  });

  it("reads Slack's documented example body (another command, empty text) as help", () => {
    const result = parseSlashCommand(slackDocsExample.body);
    expect(result.ok && result.command).toMatchObject({
      subcommand: { name: 'help' },
      origin: { userId: 'U2CERLKJA', channelId: 'G8PSS9T3V', teamId: 'T1DC2JH3J', slashCommand: '/webhook-collect' },
    });
  });

  it('decodes "+" and "%20" alike as spaces', () => {
    const plus = parseSlashCommand(slashBody('x').replace('text=x', 'text=rollback+checkout%3Alive+too+slow'));
    const percent = parseSlashCommand(slashBody('x').replace('text=x', 'text=rollback%20checkout%3Alive%20too%20slow'));
    expect(plus).toEqual(percent);
    expect(plus.ok && plus.command.subcommand).toEqual({ name: 'rollback', target: 'checkout:live', reason: 'too slow' });
  });

  it('treats a missing text field as help', () => {
    const body = slashBody('').replace('&text=', '');
    expect(body).not.toContain('text=');
    expect(parseSlashCommand(body)).toMatchObject({ ok: true, command: { subcommand: { name: 'help' } } });
  });

  it('keeps who asked on a parse error, so that the answer can reach them', () => {
    const result = parseSlashCommand(slashBody('deploy checkout'));
    expect(result).toMatchObject({
      ok: false,
      error: { code: 'unknown-subcommand' },
      origin: { userId: 'U0ALICE123', channelId: 'C0DEPLOYS1', slashCommand: '/coalmine' },
    });
  });

  it('uses the command name the workspace gave it in usage lines', () => {
    const result = parseSlashCommand(slashBody('rollback', { command: '/deploybot' }));
    expect(!result.ok && result.error.usage).toBe('/deploybot rollback <target> [reason…]');
  });

  it.each([
    ['no user', (b: string) => b.replace('user_id=U0ALICE123&', '')],
    ['no channel', (b: string) => b.replace('channel_id=C0DEPLOYS1&', '')],
    ['an empty user', (b: string) => b.replace('user_id=U0ALICE123', 'user_id=')],
    ['a user ID with markup in it', (b: string) => b.replace('user_id=U0ALICE123', 'user_id=U0%3E%3C%21channel')],
    ['a lower-case channel ID', (b: string) => b.replace('channel_id=C0DEPLOYS1', 'channel_id=general')],
    ['a response_url that is not https', (b: string) => b.replace(/response_url=[^&]+/, 'response_url=http%3A%2F%2Fhooks.slack.com%2Fx')],
    ['a response_url that is not a URL', (b: string) => b.replace(/response_url=[^&]+/, 'response_url=nonsense')],
  ])('refuses a body with %s as malformed', (_name, mutate) => {
    const result = parseSlashCommand(mutate(slashBody('status')));
    expect(errorCode(result)).toBe('malformed-request');
    expect(!result.ok && result.origin).toBeUndefined();
  });

  it.each(['', 'not a form', '%%%', '&&&=', 'payload=%7B'])('never throws on %j', (body) => {
    expect(() => parseSlashCommand(body)).not.toThrow();
    expect(parseSlashCommand(body).ok).toBe(false);
  });

  it('names the missing fields', () => {
    const result = parseSlashCommand('text=status');
    expect(!result.ok && result.error.message).toMatch(/"user_id", "channel_id"/);
  });
});

describe('parseInteraction', () => {
  it('turns the Roll back button of the fixture into a rollback command', () => {
    expect(parseInteraction(interactionBody(rollbackButton))).toEqual({
      ok: true,
      command: {
        subcommand: { name: 'rollback', target: 'checkout:live' },
        origin: {
          via: 'button',
          userId: 'U0ALICE123',
          userName: 'alice',
          teamId: 'T0ABCD1234',
          channelId: 'C0DEPLOYS1',
          responseUrl: 'https://hooks.slack.com/actions/T0ABCD1234/1234567890126/abcdEFGHijklMNOPqrstUVWZ',
          triggerId: '1234567890125.1234567890.0123456789abcdef0123456789abcdef',
        },
      },
    });
  });

  it.each([
    [ACTION_IDS.promote, 'checkout:live', { name: 'promote', target: 'checkout:live' }],
    [ACTION_IDS.status, 'checkout:live', { name: 'status', target: 'checkout:live' }],
    [ACTION_IDS.status, '', { name: 'status' }],
    [ACTION_IDS.rollback, '  checkout:live  ', { name: 'rollback', target: 'checkout:live' }],
    // The gate's buttons: the value names the rollout, never the task token.
    [ACTION_IDS.approve, 'checkout-42', { name: 'approve', target: 'checkout-42', decision: 'approve' }],
    [ACTION_IDS.reject, 'checkout-42', { name: 'approve', target: 'checkout-42', decision: 'reject' }],
  ])('%s with value %j → %j', (actionId, value, subcommand) => {
    const result = parseInteraction(interactionBody(withAction({ action_id: actionId, value })));
    expect(result.ok && result.command.subcommand).toEqual(subcommand);
  });

  it('gives the same command as the slash command for the same intent', () => {
    const fromButton = parseInteraction(interactionBody(rollbackButton));
    const fromSlash = parseSlashCommand(slashBody('rollback checkout:live'));
    expect(fromButton.ok && fromButton.command.subcommand).toEqual(fromSlash.ok && fromSlash.command.subcommand);
  });

  it('has no channel when the button was outside a conversation', () => {
    const { channel: _channel, ...fromAppHome } = rollbackButton;
    const result = parseInteraction(interactionBody(fromAppHome));
    expect(result.ok && result.command.origin.channelId).toBeUndefined();
    expect(result.ok && 'channelId' in result.command.origin).toBe(false);
  });

  it('accepts extra fields Slack may add', () => {
    expect(parseInteraction(interactionBody({ ...rollbackButton, brand_new_field: { x: 1 } })).ok).toBe(true);
  });

  it.each([
    ['an unknown button', withAction({ action_id: 'someone.else' }), 'unsupported-interaction'],
    ['a rollback button without a value', withAction({ value: undefined }), 'missing-target'],
    ['a promote button with an empty value', withAction({ action_id: ACTION_IDS.promote, value: '' }), 'missing-target'],
    ['an approve button with an empty value', withAction({ action_id: ACTION_IDS.approve, value: '' }), 'missing-target'],
    ['a target with bad characters', withAction({ value: 'checkout; drop' }), 'invalid-target'],
    ['another payload type', { ...rollbackButton, type: 'view_submission' }, 'unsupported-interaction'],
    ['a shortcut', { type: 'shortcut', callback_id: 'x', user: { id: 'U0ALICE123' } }, 'unsupported-interaction'],
    ['no actions', { ...rollbackButton, actions: [] }, 'malformed-request'],
    ['no user', { ...rollbackButton, user: undefined }, 'malformed-request'],
    ['a user ID that is not a Slack ID', { ...rollbackButton, user: { id: '<!channel>' } }, 'malformed-request'],
    ['a numeric value', withAction({ value: 42 }), 'malformed-request'],
    ['no type', { user: { id: 'U0ALICE123' } }, 'malformed-request'],
    ['an array', [rollbackButton], 'malformed-request'],
    ['null', null, 'malformed-request'],
  ])('refuses %s', (_name, payload, code) => {
    expect(errorCode(parseInteraction(interactionBody(payload)))).toBe(code);
  });

  it('names the fields of a button press that are missing or wrong', () => {
    const result = parseInteraction(interactionBody({ ...rollbackButton, user: { id: 'alice' }, team: { id: 7 }, actions: [{ value: 'checkout:live' }] }));
    expect(!result.ok && result.error.message).toBe('the button press is missing or has a bad "user.id", "team.id", "actions.0.action_id".');
  });

  it('keeps who pressed an unknown button, so that the answer can reach them', () => {
    const result = parseInteraction(interactionBody(withAction({ action_id: 'someone.else' })));
    expect(!result.ok && result.origin?.userId).toBe('U0ALICE123');
  });

  it.each([
    ['no payload field', 'token=abc'],
    ['a payload that is not JSON', 'payload=%7Bnot+json'],
    ['an empty payload', 'payload='],
  ])('refuses %s as malformed', (_name, body) => {
    expect(errorCode(parseInteraction(body))).toBe('malformed-request');
  });
});

describe('parseSlackRequest', () => {
  it('routes a body with a payload field to the interaction parser', () => {
    expect(parseSlackRequest(interactionBody(rollbackButton))).toEqual(parseInteraction(interactionBody(rollbackButton)));
  });

  it('routes anything else to the slash command parser', () => {
    expect(parseSlackRequest(rollbackForm)).toEqual(parseSlashCommand(rollbackForm));
  });
});
