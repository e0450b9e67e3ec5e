/**
 * CIDR parsing for the edge pins: which texts are accepted, what each refusal says, and, for every
 * accepted form, that the edge function as written pins a viewer inside it (a CIDR the edge could not
 * read would pin nobody, silently).
 */
import { formatAddress, formatCidr, isCidr, parseCidr } from '../../shared/net/cidr';
import { loadEdgeFunction, rolloutStore, stampedColour, viewerRequest } from '../edge/harness';

describe('accepted CIDRs', () => {
  it.each<[string, 4 | 6, string]>([
    ['10.0.0.0/8', 4, '10.0.0.0/8'],
    ['192.0.2.0/24', 4, '192.0.2.0/24'],
    ['203.0.113.7/32', 4, '203.0.113.7/32'],
    ['203.0.113.7', 4, '203.0.113.7/32'],
    ['0.0.0.0/0', 4, '0.0.0.0/0'],
    ['255.255.255.255/32', 4, '255.255.255.255/32'],
    ['2001:db8::/32', 6, '2001:db8::/32'],
    ['2001:DB8:0:0:0:0:0:0/32', 6, '2001:db8::/32'],
    ['2001:db8:1:2:3:4:5:6/128', 6, '2001:db8:1:2:3:4:5:6/128'],
    ['2001:db8:1:2:3:4:5:6', 6, '2001:db8:1:2:3:4:5:6/128'],
    ['::/0', 6, '::/0'],
    ['::1/128', 6, '::1/128'],
    ['::1', 6, '::1/128'],
    ['fe80::/10', 6, 'fe80::/10'],
    ['1:2:3:4:5:6:7::/128', 6, '1:2:3:4:5:6:7:0/128'],
    ['::2:3:4:5:6:7:8/128', 6, '0:2:3:4:5:6:7:8/128'],
    ['2001:db8:0:1::/64', 6, '2001:db8:0:1::/64'],
    ['::ffff:192.0.2.0/120', 6, '::ffff:c000:200/120'],
    ['::ffff:192.0.2.1', 6, '::ffff:c000:201/128'],
    ['1:2:3:4:5:6:192.0.2.1/128', 6, '1:2:3:4:5:6:c000:201/128'],
  ])('%s is IPv%s, network %s', (text, version, canonical) => {
    const parsed = parseCidr(text);

    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.cidr.version).toBe(version);
    expect(formatCidr(parsed.cidr)).toBe(canonical);
  });
});

describe('refused texts, each with its reason', () => {
  it.each<[string, string]>([
    ['', 'it is empty'],
    [' 10.0.0.0/8', 'white space'],
    ['10.0.0.0/8 ', 'white space'],
    ['10.0.0.0 /8', 'white space'],
    ['10.0.0.0/8/8', 'more than one "/"'],
    ['10.0.0/8', '4 dot-separated octets'],
    ['10.0.0.0.0/8', '4 dot-separated octets'],
    ['10.0.0.256/32', 'octet 256 is above 255'],
    ['10.0.0.01/32', 'octet "01" has a leading zero'],
    ['10.0..0/8', 'octet is empty'],
    ['10.0.0.-1/32', 'octet "-1" is not a decimal number'],
    ['10.0.0.0/33', 'IPv4 prefix length 33 is above 32'],
    ['10.0.0.0/', 'prefix length is empty'],
    ['10.0.0.0/08', 'prefix length "08" has a leading zero'],
    ['10.0.0.0/+8', 'is not a decimal number'],
    ['10.0.0.1/8', 'host bits are set below /8: the network is 10.0.0.0/8, one host is 10.0.0.1/32'],
    ['192.0.2.128/24', 'the network is 192.0.2.0/24'],
    ['2001:db8::1/32', 'host bits are set below /32: the network is 2001:db8::/32, one host is 2001:db8::1/128'],
    ['2001:db8::/129', 'IPv6 prefix length 129 is above 128'],
    ['2001:db8::1::/64', '"::" may appear only once'],
    [':::/0', 'an empty group'],
    ['2001:db8:/32', 'an empty group'],
    [':2001:db8::/32', 'an empty group'],
    ['2001:db8::g/128', '"g" is not a group of 1-4 hex digits'],
    ['2001:db8::12345/128', '"12345" is not a group of 1-4 hex digits'],
    ['1:2:3:4:5:6:7/112', 'without "::" has 8 groups, this one has 7'],
    ['1:2:3:4:5:6:7:8:9/128', 'without "::" has 8 groups, this one has 9'],
    ['1:2:3:4:5:6:7:8::/128', '"::" must stand for at least one zero group'],
    ['1:2:3:4:5:6:7::192.0.2.1/128', '"::" must stand for at least one zero group'],
    ['192.0.2.1::/128', 'a dotted IPv4 part may only end an IPv6 address'],
    ['::192.0.2.1:1/128', 'a dotted IPv4 part may only end an IPv6 address'],
    ['::ffff:192.0.2.01/128', 'octet "01" has a leading zero'],
    ['fe80::1%eth0/128', 'zone ids'],
    ['[2001:db8::]/32', 'brackets'],
    ['example.com/32', 'an IPv4 address has 4 dot-separated octets, "example.com" has 2'],
    ['a.b.c.d/32', 'octet "a" is not a decimal number'],
  ])('%j: %s', (text, reason) => {
    const parsed = parseCidr(text);

    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.reason).toContain(reason);
    expect(isCidr(text)).toBe(false);
  });
});

describe('formatAddress', () => {
  it.each<[4 | 6, bigint, string]>([
    [4, 0n, '0.0.0.0'],
    [4, 0xc0000201n, '192.0.2.1'],
    [6, 0n, '::'],
    [6, 1n, '::1'],
    [6, 0x20010db8000000000000000000000000n, '2001:db8::'],
    // RFC 5952: the longest run of zero groups is shortened, the first of equal runs, never a lone zero group.
    [6, 0x20010db8000000000001000000000001n, '2001:db8::1:0:0:1'],
    [6, 0x20010000000000010000000000000001n, '2001:0:0:1::1'],
    [6, 0x20010db8000100020003000400050000n, '2001:db8:1:2:3:4:5:0'],
  ])('IPv%s %s → %s', (version, value, text) => {
    expect(formatAddress(version, value)).toBe(text);
  });
});

describe('the edge function pins every accepted form', () => {
  // The viewer at the network address itself, or an IPv4 viewer for an IPv4-mapped network.
  it.each<[string, string]>([
    ['10.0.0.0/8', '10.1.2.3'],
    ['203.0.113.7', '203.0.113.7'],
    ['0.0.0.0/0', '198.51.100.1'],
    ['2001:db8::/32', '2001:db8:ffff::1'],
    ['2001:DB8:0:0:0:0:0:0/32', '2001:db8::42'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2:3:4:5:6'],
    ['1:2:3:4:5:6:7::/128', '1:2:3:4:5:6:7:0'],
    ['::ffff:192.0.2.0/120', '192.0.2.77'],
    ['1:2:3:4:5:6:192.0.2.1/128', '1:2:3:4:5:6:c000:201'],
  ])('%s pins viewer %s to green', async (cidr, ip) => {
    expect(isCidr(cidr)).toBe(true);
    const { handler } = loadEdgeFunction({ kvs: rolloutStore({ greenPercentage: 0, blueCidrs: [], greenCidrs: [cidr] }) });

    expect(await stampedColour(handler, viewerRequest({ ip }))).toBe('green');
  });
});
