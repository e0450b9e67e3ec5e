import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  SLACK_SIGNATURE_HEADER,
  SLACK_TIMESTAMP_HEADER,
  signSlackRequest,
  verifySlackRequest,
  type SlackVerificationFailure,
  type VerifySlackRequestInput,
} from '../../../shared/slack/verify';

const fixtures = join(__dirname, '../../fixtures/slack');
const slackExample = JSON.parse(readFileSync(join(fixtures, 'slack-docs-signature-example.json'), 'utf8')) as {
  signingSecret: string;
  timestamp: string;
  body: string;
  signature: string;
};
const rollbackBody = readFileSync(join(fixtures, 'slash-command-rollback.form.txt'), 'utf8');

const SECRET = 'coalmine-test-signing-secret';
const NOW = 1_731_420_618;

/** Signs independently of the module under test, so that a wrong scheme cannot agree with itself. */
function referenceSignature(secret: string, timestamp: string, body: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

function signedRequest(overrides: Partial<VerifySlackRequestInput> = {}): VerifySlackRequestInput {
  return {
    headers: {
      'x-slack-request-timestamp': String(NOW),
      'x-slack-signature': referenceSignature(SECRET, String(NOW), rollbackBody),
    },
    rawBody: rollbackBody,
    signingSecret: SECRET,
    nowSeconds: NOW,
    ...overrides,
  };
}

function reasonOf(input: VerifySlackRequestInput): SlackVerificationFailure | 'ok' {
  const result = verifySlackRequest(input);
  return result.ok ? 'ok' : result.reason;
}

function flipHexAt(signature: string, index: number): string {
  const ch = signature[index];
  const flipped = ch === '0' ? '1' : '0';
  return signature.slice(0, index) + flipped + signature.slice(index + 1);
}

describe("Slack's published example", () => {
  const request = (nowSeconds: number): VerifySlackRequestInput => ({
    headers: { 'X-Slack-Request-Timestamp': slackExample.timestamp, 'X-Slack-Signature': slackExample.signature },
    rawBody: slackExample.body,
    signingSecret: slackExample.signingSecret,
    nowSeconds,
  });

  it('verifies at the moment it was signed', () => {
    const result = verifySlackRequest(request(Number(slackExample.timestamp)));
    expect(result).toEqual({ ok: true, body: slackExample.body, timestamp: 1531420618 });
  });

  it('is reproduced by signSlackRequest', () => {
    const headers = signSlackRequest({
      signingSecret: slackExample.signingSecret,
      timestamp: slackExample.timestamp,
      body: slackExample.body,
    });
    expect(headers).toEqual({
      [SLACK_TIMESTAMP_HEADER]: slackExample.timestamp,
      [SLACK_SIGNATURE_HEADER]: slackExample.signature,
    });
  });

  it('is refused today, years later, as stale', () => {
    expect(reasonOf(request(NOW))).toBe('stale');
  });
});

describe('verifySlackRequest', () => {
  it('accepts a correctly signed request and returns the body', () => {
    expect(verifySlackRequest(signedRequest())).toEqual({ ok: true, body: rollbackBody, timestamp: NOW });
  });

  it('agrees with signSlackRequest', () => {
    const headers = signSlackRequest({ signingSecret: SECRET, timestamp: NOW, body: rollbackBody });
    expect(reasonOf(signedRequest({ headers }))).toBe('ok');
  });

  describe('forgeries', () => {
    const good = referenceSignature(SECRET, String(NOW), rollbackBody);
    const cases: Array<[string, string, SlackVerificationFailure]> = [
      ['signed with another secret', referenceSignature('not-the-secret', String(NOW), rollbackBody), 'bad-signature'],
      ['first hex digit flipped', flipHexAt(good, 3), 'bad-signature'],
      ['a middle hex digit flipped', flipHexAt(good, 35), 'bad-signature'],
      ['last hex digit flipped', flipHexAt(good, good.length - 1), 'bad-signature'],
      ['signed over another timestamp', referenceSignature(SECRET, String(NOW - 1), rollbackBody), 'bad-signature'],
      ['all zeros', `v0=${'0'.repeat(64)}`, 'bad-signature'],
      ['truncated by one digit', good.slice(0, -1), 'malformed-signature'],
      ['truncated to half', good.slice(0, 35), 'malformed-signature'],
      ['one digit too long', `${good}0`, 'malformed-signature'],
      ['without the v0= prefix', good.slice(3), 'malformed-signature'],
      ['another version', `v1=${good.slice(3)}`, 'malformed-signature'],
      ['upper-case hex', `v0=${good.slice(3).toUpperCase()}`, 'malformed-signature'],
      ['not hex', `v0=${'z'.repeat(64)}`, 'malformed-signature'],
      ['two signatures joined by a comma', `${good},${good}`, 'malformed-signature'],
      ['surrounded by spaces', ` ${good} `, 'malformed-signature'],
    ];
    it.each(cases)('%s → %s', (_name, signature, reason) => {
      expect(reasonOf(signedRequest({ headers: { 'x-slack-request-timestamp': String(NOW), 'x-slack-signature': signature } }))).toBe(
        reason,
      );
    });
  });

  describe('bodies', () => {
    const cases: Array<[string, string]> = [
      // Same form fields, re-encoded: the signature is over the bytes Slack sent, not over their meaning.
      ['"+" re-encoded as "%20"', rollbackBody.replace(/\+/g, '%20')],
      ['":" decoded from "%3A"', rollbackBody.replace('%3A', ':')],
      ['hex escapes in lower case', rollbackBody.replace(/%2F/g, '%2f')],
      ['truncated by one byte', rollbackBody.slice(0, -1)],
      ['truncated to half', rollbackBody.slice(0, Math.floor(rollbackBody.length / 2))],
      ['empty', ''],
      ['with a trailing newline', `${rollbackBody}\n`],
      ['with a field appended', `${rollbackBody}&user_id=U0MALLORY1`],
      ['with the target changed', rollbackBody.replace('checkout', 'payments')],
    ];
    it.each(cases)('%s → bad-signature', (_name, rawBody) => {
      expect(rawBody).not.toBe(rollbackBody);
      expect(reasonOf(signedRequest({ rawBody }))).toBe('bad-signature');
    });

    it('treats a missing body as empty', () => {
      const headers = signSlackRequest({ signingSecret: SECRET, timestamp: NOW, body: '' });
      expect(verifySlackRequest(signedRequest({ headers, rawBody: undefined }))).toEqual({ ok: true, body: '', timestamp: NOW });
      expect(reasonOf(signedRequest({ headers, rawBody: null }))).toBe('ok');
    });

    it('signs non-ASCII bodies as UTF-8 bytes', () => {
      const body = 'text=rollback+checkout%3Alive+d%C3%A9j%C3%A0+vu+%E2%9C%85&user_id=U0ALICE123';
      const headers = { 'x-slack-request-timestamp': String(NOW), 'x-slack-signature': referenceSignature(SECRET, String(NOW), body) };
      expect(reasonOf(signedRequest({ headers, rawBody: body }))).toBe('ok');
    });
  });

  describe('base64 bodies (API Gateway)', () => {
    const base64 = Buffer.from(rollbackBody, 'utf8').toString('base64');

    it('decodes the body before checking the signature, and returns it decoded', () => {
      expect(verifySlackRequest(signedRequest({ rawBody: base64, isBase64Encoded: true }))).toEqual({
        ok: true,
        body: rollbackBody,
        timestamp: NOW,
      });
    });

    it('refuses the base64 text itself when it is not flagged as base64', () => {
      expect(reasonOf(signedRequest({ rawBody: base64, isBase64Encoded: false }))).toBe('bad-signature');
    });

    it('refuses a plain body wrongly flagged as base64', () => {
      expect(reasonOf(signedRequest({ rawBody: rollbackBody, isBase64Encoded: true }))).toBe('malformed-body');
    });

    it.each([
      ['characters outside the alphabet', `${base64.slice(0, 8)}!!!!${base64.slice(12)}`],
      ['broken padding', `${base64}=`],
      ['whitespace inside', `${base64.slice(0, 8)} ${base64.slice(8)}`],
    ])('refuses base64 with %s', (_name, rawBody) => {
      expect(reasonOf(signedRequest({ rawBody, isBase64Encoded: true }))).toBe('malformed-body');
    });

    it('refuses a truncated base64 body', () => {
      const truncated = Buffer.from(rollbackBody.slice(0, -3), 'utf8').toString('base64');
      expect(reasonOf(signedRequest({ rawBody: truncated, isBase64Encoded: true }))).toBe('bad-signature');
    });
  });

  describe('timestamps', () => {
    const at = (offset: number) => {
      const timestamp = String(NOW + offset);
      return reasonOf(
        signedRequest({
          headers: {
            'x-slack-request-timestamp': timestamp,
            'x-slack-signature': referenceSignature(SECRET, timestamp, rollbackBody),
          },
        }),
      );
    };
    it.each([
      [0, 'ok'],
      [-300, 'ok'],
      [300, 'ok'],
      [-301, 'stale'],
      [301, 'stale'],
      [-86_400, 'stale'],
      [86_400 * 365, 'stale'],
    ] as const)('signed %i s from now → %s', (offset, expected) => {
      expect(at(offset)).toBe(expected);
    });

    it('uses a fractional clock without rounding the window wider', () => {
      const request = signedRequest();
      expect(reasonOf({ ...request, nowSeconds: NOW + 300.0 })).toBe('ok');
      expect(reasonOf({ ...request, nowSeconds: NOW + 300.5 })).toBe('stale');
      expect(reasonOf({ ...request, nowSeconds: NOW - 300.5 })).toBe('stale');
    });

    it('refuses everything when the clock is not a number', () => {
      expect(reasonOf({ ...signedRequest(), nowSeconds: Number.NaN })).toBe('stale');
    });

    it.each([
      ['a fraction', `${NOW}.5`],
      ['a sign', `+${NOW}`],
      ['a negative number', `-${NOW}`],
      ['an exponent', '1.7e9'],
      ['milliseconds as hex', '0x6733a7ca'],
      ['spaces', ` ${NOW}`],
      ['words', 'yesterday'],
      ['an absurd length', '9'.repeat(40)],
    ])('refuses a timestamp with %s as malformed', (_name, timestamp) => {
      const headers = { 'x-slack-request-timestamp': timestamp, 'x-slack-signature': referenceSignature(SECRET, timestamp, rollbackBody) };
      expect(reasonOf(signedRequest({ headers }))).toBe('malformed-timestamp');
    });

    it('checks freshness before the signature, so a replay is named as one', () => {
      const old = String(NOW - 3600);
      const headers = { 'x-slack-request-timestamp': old, 'x-slack-signature': referenceSignature(SECRET, old, rollbackBody) };
      expect(reasonOf(signedRequest({ headers }))).toBe('stale');
    });
  });

  describe('headers', () => {
    const signature = referenceSignature(SECRET, String(NOW), rollbackBody);

    it.each([
      ['in lower case (API Gateway v2)', { 'x-slack-request-timestamp': String(NOW), 'x-slack-signature': signature }],
      ['as Slack writes them', { 'X-Slack-Request-Timestamp': String(NOW), 'X-Slack-Signature': signature }],
      ['in upper case', { 'X-SLACK-REQUEST-TIMESTAMP': String(NOW), 'X-SLACK-SIGNATURE': signature }],
      ['in mixed case', { 'x-Slack-request-TIMESTAMP': String(NOW), 'X-slack-Signature': signature }],
      ['twice with the same value', { 'x-slack-request-timestamp': String(NOW), 'X-Slack-Request-Timestamp': String(NOW), 'x-slack-signature': signature }],
    ])('finds the headers written %s', (_name, headers) => {
      expect(reasonOf(signedRequest({ headers }))).toBe('ok');
    });

    it.each([
      ['no headers at all', undefined, 'missing-signature'],
      ['null headers', null, 'missing-signature'],
      ['an empty header map', {}, 'missing-signature'],
      ['no signature', { 'x-slack-request-timestamp': String(NOW) }, 'missing-signature'],
      ['an empty signature', { 'x-slack-request-timestamp': String(NOW), 'x-slack-signature': '' }, 'missing-signature'],
      ['an undefined signature', { 'x-slack-request-timestamp': String(NOW), 'x-slack-signature': undefined }, 'missing-signature'],
      ['no timestamp', { 'x-slack-signature': signature }, 'missing-timestamp'],
      ['an empty timestamp', { 'x-slack-request-timestamp': '', 'x-slack-signature': signature }, 'missing-timestamp'],
      [
        'two signatures that disagree',
        { 'x-slack-request-timestamp': String(NOW), 'x-slack-signature': signature, 'X-Slack-Signature': flipHexAt(signature, 10) },
        'duplicate-header',
      ],
      [
        'two timestamps that disagree',
        { 'x-slack-request-timestamp': String(NOW), 'X-Slack-Request-Timestamp': String(NOW - 1), 'x-slack-signature': signature },
        'duplicate-header',
      ],
    ] as const)('refuses %s', (_name, headers, reason) => {
      expect(reasonOf(signedRequest({ headers }))).toBe(reason);
    });

    it('ignores header values that are not strings', () => {
      const headers = { 'x-slack-request-timestamp': NOW, 'x-slack-signature': signature } as unknown as Record<string, string>;
      expect(reasonOf(signedRequest({ headers }))).toBe('missing-timestamp');
    });
  });

  describe('the signing secret', () => {
    it('refuses everything when no secret is configured, even a request signed with an empty key', () => {
      const headers = { 'x-slack-request-timestamp': String(NOW), 'x-slack-signature': referenceSignature('', String(NOW), rollbackBody) };
      expect(reasonOf(signedRequest({ headers, signingSecret: '' }))).toBe('no-signing-secret');
    });
  });

  it('never throws on hostile input', () => {
    const hostile: unknown[] = [undefined, null, 0, '', 'x', [], {}, { toString: null }, Symbol('s'), 1n];
    for (const headers of hostile) {
      for (const rawBody of hostile) {
        for (const isBase64Encoded of [true, false]) {
          const input = { headers, rawBody, isBase64Encoded, signingSecret: SECRET, nowSeconds: NOW } as unknown as VerifySlackRequestInput;
          expect(() => verifySlackRequest(input)).not.toThrow();
          expect(verifySlackRequest(input).ok).toBe(false);
        }
      }
    }
  });
});
