/**
 * The pins' share of the address space (shared/net/pin-share.ts): what a list covers as the edge reads it,
 * how it is written for people, and the bound above which green pins need an override.
 */
import { readEdgeCidr, formatCidr } from '../../shared/net/cidr';
import { addressShareOf, describeLimits, formatSharePercent, canaryPinsTooLarge, PIN_SHARE_LIMITS } from '../../shared/net/pin-share';

describe('addressShareOf', () => {
  it.each<[string, unknown[], number, number]>([
    ['no pins', [], 0, 0],
    ['one IPv4 host', ['203.0.113.10'], 2 ** -32, 0],
    ['one /24', ['192.0.2.0/24'], 2 ** -24, 0],
    ['a /16, the bound', ['10.1.0.0/16'], 2 ** -16, 0],
    ['every viewer (the issue’s example)', ['0.0.0.0/0', '::/0'], 1, 1],
    ['nested entries, counted once', ['10.0.0.0/8', '10.1.0.0/16', '10.1.2.3'], 2 ** -8, 0],
    ['the same network twice', ['192.0.2.0/24', '192.0.2.0/24'], 2 ** -24, 0],
    ['two disjoint /25s', ['192.0.2.0/25', '192.0.2.128/25'], 2 ** -24, 0],
    ['IPv6 /48', ['2001:db8:42::/48'], 0, 2 ** -48],
    ['IPv4-mapped /96 and longer name IPv4 viewers, as the edge reads them', ['::ffff:0:0/96'], 1, 0],
    ['a shorter IPv4-mapped prefix is IPv6 only', ['::ffff:0:0/95'], 0, 2 ** -95],
    ['host bits are ignored, as the edge ignores them', ['10.1.2.3/8'], 2 ** -8, 0],
    ['entries the edge skips count for nothing', ['not a cidr', 42, '10.0.0.0/33', null], 0, 0],
    ['surrounding white space is trimmed, as the edge trims it', [' 192.0.2.0/24 '], 2 ** -24, 0],
  ])('%s', (_, list, ipv4, ipv6) => {
    expect(addressShareOf(list)).toEqual({ ipv4, ipv6 });
  });
});

describe('readEdgeCidr: the edge’s reading of a stored entry', () => {
  it.each<[unknown, string | null]>([
    ['10.1.2.3/8', '10.0.0.0/8'],
    ['::ffff:192.0.2.0/120', '192.0.2.0/24'],
    ['::ffff:192.0.2.1', '192.0.2.1/32'],
    ['2001:db8::1/32', '2001:db8::/32'],
    ['010.0.0.1', null],
    ['10.0.0.0/08', null],
    ['1.2.3.4/5/6', null],
    [7, null],
  ])('%p is %p', (entry, network) => {
    const cidr = readEdgeCidr(entry);
    expect(cidr === null ? null : formatCidr(cidr)).toBe(network);
  });
});

describe('formatSharePercent', () => {
  it.each<[number, string]>([
    [0, '0 %'],
    [1, '100 %'],
    [0.5, '50 %'],
    [2 ** -8, '0.39 %'],
    [2 ** -16, '0.0015 %'],
    [2 ** -24, '6e-6 %'],
    [2 ** -32, '2.3e-8 %'],
  ])('%p is %s', (share, text) => {
    expect(formatSharePercent(share)).toBe(text);
  });
});

describe('the bound on green pins', () => {
  it('is an IPv4 /16 and an IPv6 /32', () => {
    expect(PIN_SHARE_LIMITS).toEqual({ ipv4: 2 ** -16, ipv6: 2 ** -32 });
    expect(describeLimits()).toBe('IPv4 0.0015 % (a /16), IPv6 2.3e-8 % (a /32)');
  });

  it.each<[string, string[], boolean]>([
    ['an office /24 and a tester', ['192.0.2.0/24', '203.0.113.10'], false],
    ['exactly a /16', ['10.1.0.0/16'], false],
    ['a /16 and one host more', ['10.1.0.0/16', '10.2.0.1'], true],
    ['a /15', ['10.0.0.0/15'], true],
    ['exactly an IPv6 /32', ['2001:db8::/32'], false],
    ['an IPv6 /31', ['2001:db8::/31'], true],
    ['everyone', ['0.0.0.0/0', '::/0'], true],
  ])('%s: refused %p', (_, list, refused) => {
    const problem = canaryPinsTooLarge(addressShareOf(list), 'the green pins');
    expect(problem !== undefined).toBe(refused);
  });

  it('says what the pins cover, the bound, and the override', () => {
    expect(canaryPinsTooLarge(addressShareOf(['0.0.0.0/0', '::/0']), 'the green pins')).toBe(
      'the green pins cover IPv4 100 %, IPv6 100 % of the address space, over the bound for pins to the canary of IPv4 0.0015 % (a /16), ' +
        "IPv6 2.3e-8 % (a /32): every viewer there would see the canary from Preflight on, whatever the step's weight. " +
        'Pin people and offices, not networks; if that many viewers are meant to get the canary, add ' +
        '"override": {"allowLargeGreenPins": true, "reason": "..."} to the request',
    );
  });
});
