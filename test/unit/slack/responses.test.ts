import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { authorize } from '../../../shared/slack/authorize';
import { ACTION_IDS, parseCommandText, parseInteraction, type SlackCommand } from '../../../shared/slack/commands';
import {
  acknowledgementResponse,
  errorResponse,
  escapeMrkdwn,
  helpResponse,
  parseErrorResponse,
  refusalResponse,
  rolloutActionsBlock,
  type SlackBlock,
  type SlackResponse,
} from '../../../shared/slack/responses';

const rollbackButton = JSON.parse(
  readFileSync(join(__dirname, '../../fixtures/slack/block-actions-rollback-button.json'), 'utf8'),
) as Record<string, unknown>;

const origin = { via: 'slash-command', userId: 'U0ALICE123', channelId: 'C0DEPLOYS1', slashCommand: '/coalmine' } as const;

function commandFor(text: string): SlackCommand {
  const parsed = parseCommandText(text);
  if (!parsed.ok) throw new Error(parsed.error.message);
  return { subcommand: parsed.subcommand, origin };
}

/** Everything a reader could see: the fallback text and every text in the blocks. */
function allText(response: SlackResponse): string {
  const texts: string[] = [response.text];
  for (const block of response.blocks ?? []) {
    if (block.type === 'section') texts.push(block.text.text);
    if (block.type === 'context') texts.push(...block.elements.map((e) => e.text));
  }
  return texts.join('\n');
}

/** Slack's limits for what these builders produce. */
function expectWithinSlackLimits(response: SlackResponse): void {
  expect(['ephemeral', 'in_channel']).toContain(response.response_type);
  expect(response.text.length).toBeGreaterThan(0);
  for (const block of response.blocks ?? []) {
    if (block.type === 'section') expect(block.text.text.length).toBeLessThanOrEqual(3000);
  }
}

describe('escapeMrkdwn', () => {
  it.each([
    ['plain text', 'plain text'],
    ['a < b && c > d', 'a &lt; b &amp;&amp; c &gt; d'],
    ['<!channel> wake up', '&lt;!channel&gt; wake up'],
    ['<@U0BOB45678>', '&lt;@U0BOB45678&gt;'],
    ['<https://evil.example|click>', '&lt;https://evil.example|click&gt;'],
    // Slack escapes these itself before sending text to apps; escaping again would show "&amp;lt;".
    ['already &lt;escaped&gt; &amp; fine', 'already &lt;escaped&gt; &amp; fine'],
    ['&copy; is not one of the three', '&amp;copy; is not one of the three'],
  ])('%j → %j', (input, output) => {
    expect(escapeMrkdwn(input)).toBe(output);
  });
});

describe('helpResponse', () => {
  it('is ephemeral and lists every subcommand', () => {
    const response = helpResponse();
    expect(response.response_type).toBe('ephemeral');
    for (const line of ['/coalmine rollback &lt;target&gt; [reason…]', '/coalmine promote &lt;target&gt;', '/coalmine status [target]', '/coalmine help']) {
      expect(response.text).toContain(line);
    }
    expectWithinSlackLimits(response);
  });

  it('escapes the placeholders, which Slack would otherwise read as links', () => {
    const text = allText(helpResponse());
    expect(text).not.toMatch(/<(?!@)/);
    expect(text).toContain('`rollback &lt;target&gt; [reason…]`');
  });

  it('uses the name the workspace gave the command', () => {
    expect(helpResponse('/canary').text).toContain('/canary rollback &lt;target&gt;');
  });

  it('says who may do what', () => {
    expect(allText(helpResponse())).toMatch(/Rollback, promote and approve need an allowed user in an allowed channel/);
  });
});

describe('parseErrorResponse', () => {
  it('says what was wrong and how to write it, only to the asker', () => {
    const parsed = parseCommandText('rollback');
    if (parsed.ok) throw new Error('expected an error');
    const response = parseErrorResponse(parsed.error);
    expect(response.response_type).toBe('ephemeral');
    expect(allText(response)).toContain('Rollback needs to know what to roll back.');
    expect(allText(response)).toContain('/coalmine rollback &lt;target&gt; [reason…]');
    expectWithinSlackLimits(response);
  });

  it('cannot be made to ping the channel by what the user typed', () => {
    const parsed = parseCommandText('<!channel> now');
    if (parsed.ok) throw new Error('expected an error');
    const text = allText(parseErrorResponse(parsed.error));
    expect(text).not.toContain('<!channel>');
    expect(text).toContain('&lt;!channel&gt;');
  });
});

describe('refusalResponse', () => {
  it('passes on the reason from authorize, only to the asker', () => {
    const decision = authorize(
      { subcommand: { name: 'rollback', target: 'checkout:live' }, origin: { ...origin, userId: 'U0MALLORY1' } },
      { allowedUsers: ['U0ALICE123'], allowedChannels: ['C0DEPLOYS1'] },
    );
    if (decision.allowed) throw new Error('expected a refusal');
    const response = refusalResponse(decision);
    expect(response.response_type).toBe('ephemeral');
    expect(response.text).toBe(decision.reason);
    expect(allText(response)).toContain('<@U0MALLORY1>');
    expectWithinSlackLimits(response);
  });
});

describe('errorResponse', () => {
  it('is ephemeral and does not claim that nothing changed', () => {
    const response = errorResponse();
    expect(response.response_type).toBe('ephemeral');
    expect(allText(response)).toMatch(/Check `status` before trying again/);
    expect(allText(response)).not.toMatch(/nothing (was|has been) changed/i);
  });

  it('carries a reference for the operators when given one', () => {
    expect(allText(errorResponse({ reference: 'req-123<>' }))).toContain('`req-123&lt;&gt;`');
    expect(errorResponse().blocks).toHaveLength(1);
  });
});

describe('acknowledgementResponse', () => {
  it('announces a rollback in the channel with who asked and why', () => {
    const response = acknowledgementResponse(commandFor('rollback checkout:live error rate doubled'));
    expect(response.response_type).toBe('in_channel');
    const text = allText(response);
    expect(text).toContain('<@U0ALICE123> asked coalmine to roll back `checkout:live`');
    expect(text).toContain('*Reason:* error rate doubled');
    expect(text).toContain('/coalmine status checkout:live');
    expectWithinSlackLimits(response);
  });

  it('escapes the reason', () => {
    const text = allText(acknowledgementResponse(commandFor('rollback checkout:live <!here> look')));
    expect(text).not.toContain('<!here>');
    expect(text).toContain('&lt;!here&gt; look');
  });

  it('leaves the reason out when none was given', () => {
    expect(allText(acknowledgementResponse(commandFor('rollback checkout:live')))).not.toContain('Reason');
  });

  it('announces a promotion in the channel', () => {
    const response = acknowledgementResponse(commandFor('promote checkout:live'));
    expect(response.response_type).toBe('in_channel');
    expect(response.text).toContain('<@U0ALICE123> asked coalmine to promote `checkout:live`');
  });

  it('answers status only to the asker', () => {
    expect(acknowledgementResponse(commandFor('status'))).toMatchObject({
      response_type: 'ephemeral',
      text: 'Looking up the rollouts in progress…',
    });
    expect(acknowledgementResponse(commandFor('status checkout:live')).text).toBe('Looking up the status of `checkout:live`…');
  });

  it('answers help with the help text', () => {
    expect(acknowledgementResponse(commandFor('help'))).toEqual(helpResponse('/coalmine'));
  });

  it('adds an escaped note', () => {
    const response = acknowledgementResponse(commandFor('rollback checkout:live'), { note: 'Execution slack-rollback-1 <started>' });
    const last = response.blocks?.at(-1);
    expect(last).toEqual({ type: 'context', elements: [{ type: 'mrkdwn', text: 'Execution slack-rollback-1 &lt;started&gt;' }] });
  });

  it('refers to the command by the name it was typed with', () => {
    const command = { ...commandFor('promote checkout:live'), origin: { ...origin, slashCommand: '/canary' } };
    expect(allText(acknowledgementResponse(command))).toContain('/canary status checkout:live');
  });

  it('works for a button press, which has no slash command', () => {
    const parsed = parseInteraction(`payload=${encodeURIComponent(JSON.stringify(rollbackButton))}`);
    if (!parsed.ok) throw new Error(parsed.error.message);
    expect(allText(acknowledgementResponse(parsed.command))).toContain('/coalmine status checkout:live');
  });
});

describe('rolloutActionsBlock', () => {
  const block = rolloutActionsBlock('checkout:live');
  const buttons = block.type === 'actions' ? block.elements : [];

  it('has Roll back, Promote and Status buttons carrying the target', () => {
    expect(buttons.map((b) => [b.action_id, b.value])).toEqual([
      [ACTION_IDS.rollback, 'checkout:live'],
      [ACTION_IDS.promote, 'checkout:live'],
      [ACTION_IDS.status, 'checkout:live'],
    ]);
  });

  it('asks for confirmation before moving traffic, within Slack limits', () => {
    for (const button of buttons.slice(0, 2)) {
      expect(button.confirm).toBeDefined();
      expect(button.confirm!.title.text.length).toBeLessThanOrEqual(100);
      expect(button.confirm!.text.text.length).toBeLessThanOrEqual(300);
      expect(button.confirm!.confirm.text.length).toBeLessThanOrEqual(30);
      expect(button.confirm!.deny.text.length).toBeLessThanOrEqual(30);
    }
    expect(buttons[2]!.confirm).toBeUndefined();
  });

  it.each([
    [ACTION_IDS.rollback, { name: 'rollback', target: 'checkout:live' }],
    [ACTION_IDS.promote, { name: 'promote', target: 'checkout:live' }],
    [ACTION_IDS.status, { name: 'status', target: 'checkout:live' }],
  ])('a press on %s parses back into %j', (actionId, subcommand) => {
    const button = buttons.find((b) => b.action_id === actionId)!;
    const [action] = rollbackButton.actions as Array<Record<string, unknown>>;
    const payload = { ...rollbackButton, actions: [{ ...action, action_id: button.action_id, value: button.value }] };
    const parsed = parseInteraction(`payload=${encodeURIComponent(JSON.stringify(payload))}`);
    expect(parsed.ok && parsed.command.subcommand).toEqual(subcommand);
  });

  it('refuses a target that the parser would refuse', () => {
    expect(() => rolloutActionsBlock('checkout; rm')).toThrow(RangeError);
  });

  it('is a Block Kit actions block', () => {
    const expected: SlackBlock['type'] = 'actions';
    expect(block.type).toBe(expected);
  });
});

describe('every builder', () => {
  const hostile = 'rollback checkout:live <!channel> <https://evil.example|x> & more';
  const parsedError = parseCommandText('<!here> <b>');
  const responses: Array<[string, SlackResponse]> = [
    ['help', helpResponse()],
    ['help for a renamed command', helpResponse('/canary')],
    ['a parse error', parseErrorResponse(parsedError.ok ? { code: 'malformed-request', message: '', usage: '' } : parsedError.error)],
    ['an error', errorResponse({ reference: '<!channel>' })],
    ['a rollback', acknowledgementResponse(commandFor(hostile), { note: '<!everyone>' })],
    ['a promotion', acknowledgementResponse(commandFor('promote checkout:live'))],
    ['a status', acknowledgementResponse(commandFor('status checkout:live'))],
  ];
  it.each(responses)('leaves no raw "<" but user mentions in %s', (_name, response) => {
    expect(allText(response)).not.toMatch(/<(?!@[A-Z0-9]+>)/);
    expectWithinSlackLimits(response);
  });
});
