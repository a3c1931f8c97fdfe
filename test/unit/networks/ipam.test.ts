import { describe, expect, it } from 'vitest';
import { allocateAddress, chooseSubnet, DEFAULT_POOLS, hostNetworks, releaseAddress, validatePools } from '../../../runtime/networks/ipam.js';
import { formatSubnet, overlaps, parseSubnet, split } from '../../../runtime/networks/ipv4.js';

const TEST_POOL = [{ base: '10.213.0.0/16', size: 24 }];

describe('ipv4', () => {
  it('parses, masks and formats subnets', () => {
    expect(formatSubnet(parseSubnet('10.213.7.9/24')!)).toBe('10.213.7.0/24');
    expect(parseSubnet('10.213.7.9/24', true)).toBeUndefined();
    expect(parseSubnet('10.213.7.0/33')).toBeUndefined();
    expect(parseSubnet('300.1.1.1/8')).toBeUndefined();
    expect(parseSubnet('fd00::/64')).toBeUndefined();
    expect(overlaps(parseSubnet('10.0.0.0/8')!, parseSubnet('10.213.0.0/24')!)).toBe(true);
    expect(overlaps(parseSubnet('10.213.1.0/24')!, parseSubnet('10.213.0.0/24')!)).toBe(false);
    expect([...split(parseSubnet('10.213.0.0/22')!, 24)].map(formatSubnet)).toEqual(['10.213.0.0/24', '10.213.1.0/24', '10.213.2.0/24', '10.213.3.0/24']);
  });
});

describe('chooseSubnet', () => {
  it('follows Docker default pools: 172.17/16 first, 192.168/20 after the 172s', () => {
    expect(validatePools(DEFAULT_POOLS).flat().length).toBe(15 + 16);
    expect(chooseSubnet({}, DEFAULT_POOLS, [], []).subnet).toBe('172.17.0.0/16');
    const all172 = Array.from({ length: 15 }, (_, i) => `172.${17 + i}.0.0/16`);
    expect(chooseSubnet({}, DEFAULT_POOLS, all172, []).subnet).toBe('192.168.0.0/20');
  });

  it('skips subnets overlapping host routes and addresses, ignoring the default route', () => {
    const host = ['0.0.0.0/0', '10.213.0.0/23', '10.213.2.77/32'];
    const a = chooseSubnet({}, TEST_POOL, [], host);
    expect(a).toEqual({ subnet: '10.213.3.0/24', gateway: '10.213.3.1', addresses: { '10.213.3.1': 'gateway' } });
  });

  it('skips subnets of other networks', () => {
    expect(chooseSubnet({}, TEST_POOL, ['10.213.0.0/24', '10.213.1.0/24'], []).subnet).toBe('10.213.2.0/24');
  });

  it('honours subnet, ip_range, gateway and auxiliary addresses', () => {
    const a = chooseSubnet({ Subnet: '10.213.40.0/24', IPRange: '10.213.40.128/25', Gateway: '10.213.40.254', AuxiliaryAddresses: { router: '10.213.40.253' } }, TEST_POOL, [], []);
    expect(a).toEqual({
      subnet: '10.213.40.0/24',
      gateway: '10.213.40.254',
      ipRange: '10.213.40.128/25',
      addresses: { '10.213.40.254': 'gateway', '10.213.40.253': 'aux:router' },
    });
  });

  it('names the conflict in its errors', () => {
    expect(() => chooseSubnet({ Subnet: '10.213.0.0/16' }, TEST_POOL, ['10.213.5.0/24'], [])).toThrow(
      'Pool overlaps with other one on this address space: subnet 10.213.0.0/16 overlaps network subnet 10.213.5.0/24',
    );
    expect(() => chooseSubnet({ Subnet: '192.0.2.0/25' }, TEST_POOL, [], ['192.0.2.0/24'])).toThrow(
      'subnet 192.0.2.0/25 overlaps 192.0.2.0/24, which the host already routes; choose another subnet',
    );
    expect(() => chooseSubnet({ Subnet: 'banana' }, TEST_POOL, [], [])).toThrow('invalid subnet banana: expected an IPv4 CIDR like 10.213.1.0/24');
    expect(() => chooseSubnet({ Subnet: '10.213.9.0/24', Gateway: '10.213.8.1' }, TEST_POOL, [], [])).toThrow('gateway 10.213.8.1 is not a usable address of subnet 10.213.9.0/24');
    expect(() => chooseSubnet({ Subnet: '10.213.9.0/24', IPRange: '10.213.10.0/25' }, TEST_POOL, [], [])).toThrow('ip_range 10.213.10.0/25 is not inside subnet 10.213.9.0/24');
    expect(() => chooseSubnet({ Gateway: '10.213.8.1' }, TEST_POOL, [], [])).toThrow('ip_range and gateway need a subnet in the same IPAM config entry');
    expect(() => chooseSubnet({}, [{ base: '10.213.0.0/23', size: 24 }], ['10.213.0.0/24'], ['10.213.1.0/24'])).toThrow(
      /all predefined address pools have been fully subnetted \(10\.213\.0\.0\/23\)/,
    );
    expect(() => validatePools([{ base: '10.213.0.0/16', size: 8 }])).toThrow('address pool 10.213.0.0/16: size 8 must be between 16 and 30');
  });
});

describe('allocateAddress', () => {
  it('hands out addresses in order, skipping the gateway, and never twice', () => {
    const a = chooseSubnet({ Subnet: '10.213.1.0/29' }, TEST_POOL, [], []);
    const got = ['e1', 'e2', 'e3', 'e4', 'e5'].map((o) => allocateAddress(a, o));
    expect(got).toEqual(['10.213.1.2', '10.213.1.3', '10.213.1.4', '10.213.1.5', '10.213.1.6']);
    expect(() => allocateAddress(a, 'e6')).toThrow('no free address left in 10.213.1.0/29: disconnect containers or use a larger subnet');
  });

  it('does not reuse a freed address at once (next after the last, wrapping)', () => {
    const a = chooseSubnet({ Subnet: '10.213.1.0/24' }, TEST_POOL, [], []);
    expect(allocateAddress(a, 'e1')).toBe('10.213.1.2');
    expect(allocateAddress(a, 'e2')).toBe('10.213.1.3');
    releaseAddress(a, 'e1');
    expect(allocateAddress(a, 'e3')).toBe('10.213.1.4');
    const small = chooseSubnet({ Subnet: '10.213.2.0/30' }, TEST_POOL, [], []);
    expect(allocateAddress(small, 'x')).toBe('10.213.2.2');
    releaseAddress(small, 'x');
    expect(allocateAddress(small, 'y')).toBe('10.213.2.2');
  });

  it('stays inside ip_range', () => {
    const a = chooseSubnet({ Subnet: '10.213.3.0/24', IPRange: '10.213.3.200/30' }, TEST_POOL, [], []);
    expect([allocateAddress(a, 'a'), allocateAddress(a, 'b'), allocateAddress(a, 'c'), allocateAddress(a, 'd')]).toEqual([
      '10.213.3.200', '10.213.3.201', '10.213.3.202', '10.213.3.203',
    ]);
    expect(() => allocateAddress(a, 'e')).toThrow('no free address left in 10.213.3.200/30');
  });

  it('gives a static address once and refuses it to another endpoint', () => {
    const a = chooseSubnet({ Subnet: '10.213.4.0/24' }, TEST_POOL, [], []);
    expect(allocateAddress(a, 'e1', '10.213.4.50')).toBe('10.213.4.50');
    expect(() => allocateAddress(a, 'e2', '10.213.4.50')).toThrow('Address already in use: 10.213.4.50 is taken on subnet 10.213.4.0/24');
    expect(() => allocateAddress(a, 'e2', '10.213.4.1')).toThrow('Address already in use: 10.213.4.1');
    expect(() => allocateAddress(a, 'e2', '10.213.5.1')).toThrow('no configured subnet contains IP address 10.213.5.1 (the network\'s subnet is 10.213.4.0/24)');
    expect(() => allocateAddress(a, 'e2', '10.213.4.255')).toThrow(/no configured subnet contains/);
  });
});

describe('hostNetworks', () => {
  it('turns IPv4 addresses and routes into subnets, without the default route or IPv6', () => {
    expect(
      hostNetworks([
        { type: 'addr', family: 4, address: '192.0.2.2', prefixlen: 24, ifname: 'eth0' },
        { type: 'addr', family: 6, address: 'fd00::2', prefixlen: 64, ifname: 'eth0' },
        { type: 'route', family: 4, dst: '0.0.0.0', prefixlen: 0, table: 254, gateway: '192.0.2.1' },
        { type: 'route', family: 4, dst: '192.0.2.0', prefixlen: 24, table: 254 },
        { type: 'route', family: 4, dst: '10.9.0.0', prefixlen: 16, table: 254 },
        { type: 'link', index: 1, name: 'lo', up: true },
      ]),
    ).toEqual(['192.0.2.0/24', '10.9.0.0/16']);
  });
});
