import { describe, expect, it } from 'vitest';
import { contains6, formatIPv6, formatSubnet6, overlaps6, parseIPv6, parseSubnet6, ulaSubnetFor } from '../../../runtime/networks/ipv6.js';
import { allocateAddress6, chooseSubnet6, hostNetworks6, releaseAddress } from '../../../runtime/networks/ipam.js';

describe('ipv6 text', () => {
  it('parses every form and prints RFC 5952 text', () => {
    const cases: Array<[string, string]> = [
      ['::', '::'],
      ['::1', '::1'],
      ['fd00::2', 'fd00::2'],
      ['FD00:0:0:0:0:0:0:2', 'fd00::2'],
      ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
      ['2001:db8::ffff:10.1.2.3', '2001:db8::ffff:a01:203'],
      ['fe80::42:aff:fed5:3', 'fe80::42:aff:fed5:3'],
      ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
    ];
    for (const [input, text] of cases) expect(formatIPv6(parseIPv6(input)!)).toBe(text);
    for (const bad of ['1::2::3', 'fd00:::1', '1:2:3:4:5:6:7:8:9', 'g::1', '12345::', '1:2:3']) expect(parseIPv6(bad)).toBeUndefined();
  });

  it('does subnet arithmetic', () => {
    const s = parseSubnet6('fd00:1:2:3:4::/64')!;
    expect(formatSubnet6(s)).toBe('fd00:1:2:3::/64');
    expect(contains6(s, parseIPv6('fd00:1:2:3::99')!)).toBe(true);
    expect(contains6(s, parseIPv6('fd00:1:2:4::1')!)).toBe(false);
    expect(overlaps6(parseSubnet6('fd00::/8')!, s)).toBe(true);
    expect(ulaSubnetFor('a'.repeat(64))).toEqual(ulaSubnetFor('a'.repeat(64)));
    expect(formatSubnet6(ulaSubnetFor('a'.repeat(64)))).toMatch(/^fd[0-9a-f]{2}:[0-9a-f]{1,4}:[0-9a-f]{1,4}::\/64$/);
  });
});

describe('ipv6 allocation', () => {
  it('counts up from ::2, skips taken ones, refuses duplicates', () => {
    const a = chooseSubnet6({ Subnet: 'fd00:aa::/120' }, 'x', [], []);
    expect(a.gateway).toBe('fd00:aa::1');
    expect(allocateAddress6(a, 'e1')).toBe('fd00:aa::2');
    expect(allocateAddress6(a, 'e2', 'fd00:aa::3')).toBe('fd00:aa::3');
    expect(allocateAddress6(a, 'e3')).toBe('fd00:aa::4');
    releaseAddress(a, 'e1');
    expect(allocateAddress6(a, 'e4')).toBe('fd00:aa::5');
    expect(() => allocateAddress6(a, 'e5', 'fd00:aa::3')).toThrow('Address already in use: fd00:aa::3 is taken on subnet fd00:aa::/120');
    expect(() => allocateAddress6(a, 'e5', 'fd00:bb::3')).toThrow("no configured subnet contains IPv6 address fd00:bb::3 (the network's IPv6 subnet is fd00:aa::/120)");
  });

  it('keeps away from host IPv6 routes, ignoring link-local and the default', () => {
    expect(
      hostNetworks6([
        { type: 'addr', family: 6, address: 'fd00::2', prefixlen: 64, ifname: 'eth0' },
        { type: 'addr', family: 6, address: 'fe80::fc:ff:fe00:1', prefixlen: 64, ifname: 'eth0' },
        { type: 'route', family: 6, dst: '::', prefixlen: 0, table: 254 },
      ]),
    ).toEqual(['fd00::/64']);
    expect(() => chooseSubnet6({ Subnet: 'fd00::/48' }, 'x', [], ['fd00::/64'])).toThrow('IPv6 subnet fd00::/48 overlaps fd00::/64, already used by a network or the host');
    expect(() => chooseSubnet6({ Subnet: 'nope' }, 'x', [], [])).toThrow('invalid IPv6 subnet nope: expected a CIDR like fd00:1::/64');
  });
});
