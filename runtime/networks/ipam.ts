// Address management, pure: which subnet a new network gets and which address
// an endpoint gets. The caller holds the locks and persists the state; this
// file only decides, so that every rule here has a unit test.

import { InvalidNetworkConfigError, AddressPoolExhaustedError, NetworkConflictError } from './errors.js';
import type { NetObject } from './netlink.js';
import { contains6, formatIPv6, formatSubnet6, mask6, overlaps6, parseIPv6, parseSubnet6, ulaSubnetFor, type Subnet6 } from './ipv6.js';
import { contains, formatIPv4, formatSubnet, mask, overlaps, parseIPv4, parseSubnet, size, split, type Subnet } from './ipv4.js';

/** Docker's `default-address-pools` entry: carve `base` into subnets of `size` bits. */
export interface AddressPool {
  base: string;
  size: number;
}

/** Docker's defaults: 172.17-31.0.0/16 one per network, then 192.168.0.0/16 in /20s. */
export const DEFAULT_POOLS: readonly AddressPool[] = [
  ...Array.from({ length: 15 }, (_, i) => ({ base: `172.${17 + i}.0.0/16`, size: 16 })),
  { base: '192.168.0.0/16', size: 20 },
];

/** What a create request asks for (Docker's IPAM.Config entry). */
export interface IpamRequest {
  Subnet?: string;
  IPRange?: string;
  Gateway?: string;
  AuxiliaryAddresses?: Record<string, string>;
}

/** What a network holds once allocated. */
export interface IpamAllocation {
  subnet: string;
  gateway: string;
  ipRange?: string;
  /** address → owner (endpoint id, or `aux:<name>` for auxiliary addresses). */
  addresses: Record<string, string>;
  /** Last address handed out: the next search starts after it, so a freed
   * address is not reused at once (a peer's stale hosts entry or ARP cache). */
  last?: string;
}

export function validatePools(pools: readonly AddressPool[]): Subnet[][] {
  return pools.map((p) => {
    const base = parseSubnet(p.base);
    if (!base) throw new InvalidNetworkConfigError(`address pool base ${p.base} is not a CIDR subnet like 10.213.0.0/16`);
    if (!Number.isInteger(p.size) || p.size < base.prefix || p.size > 30)
      throw new InvalidNetworkConfigError(`address pool ${p.base}: size ${p.size} must be between ${base.prefix} and 30`);
    return [...split(base, p.size)];
  });
}

/**
 * A subnet for a new network: the one asked for (refused if it overlaps a
 * network or a host route), or the first pool subnet that overlaps nothing.
 * `taken` holds other networks' subnets; `host` the host's routes and
 * addresses (the default route is ignored: it overlaps everything).
 */
export function chooseSubnet(req: IpamRequest, pools: readonly AddressPool[], taken: readonly string[], host: readonly string[]): IpamAllocation {
  const busy = taken.map((t) => parseSubnet(t)).filter((s): s is Subnet => !!s);
  const hostNets = host.map((t) => parseSubnet(t)).filter((s): s is Subnet => !!s && s.prefix > 0);
  let subnet: Subnet;
  if (req.Subnet) {
    const s = parseSubnet(req.Subnet);
    if (!s) throw new InvalidNetworkConfigError(`invalid subnet ${req.Subnet}: expected an IPv4 CIDR like 10.213.1.0/24`);
    if (s.prefix > 30) throw new InvalidNetworkConfigError(`subnet ${req.Subnet} is too small: a network needs at least a /30`);
    const clash = busy.find((b) => overlaps(b, s));
    if (clash) throw new NetworkConflictError(`Pool overlaps with other one on this address space: subnet ${req.Subnet} overlaps network subnet ${formatSubnet(clash)}`);
    const hclash = hostNets.find((b) => overlaps(b, s));
    if (hclash) throw new NetworkConflictError(`subnet ${req.Subnet} overlaps ${formatSubnet(hclash)}, which the host already routes; choose another subnet`);
    subnet = s;
  } else {
    if (req.IPRange || req.Gateway) throw new InvalidNetworkConfigError('ip_range and gateway need a subnet in the same IPAM config entry');
    const found = validatePools(pools)
      .flat()
      .find((c) => !busy.some((b) => overlaps(b, c)) && !hostNets.some((h) => overlaps(h, c)));
    if (!found)
      throw new AddressPoolExhaustedError(
        `all predefined address pools have been fully subnetted (${pools.map((p) => p.base).join(', ')}): remove unused networks (\`network prune\`) or give the network a subnet`,
      );
    subnet = found;
  }
  return finishAllocation(subnet, req);
}

function finishAllocation(subnet: Subnet, req: IpamRequest): IpamAllocation {
  const first = subnet.base + 1;
  const broadcast = subnet.base + size(subnet) - 1;
  let range: Subnet | undefined;
  if (req.IPRange) {
    range = parseSubnet(req.IPRange);
    if (!range) throw new InvalidNetworkConfigError(`invalid ip_range ${req.IPRange}: expected a CIDR like 10.213.1.128/25`);
    if (range.prefix < subnet.prefix || !contains(subnet, range.base))
      throw new InvalidNetworkConfigError(`ip_range ${req.IPRange} is not inside subnet ${formatSubnet(subnet)}`);
  }
  let gateway = first;
  if (req.Gateway) {
    const g = parseIPv4(req.Gateway.replace(/\/\d+$/, ''));
    if (g === undefined) throw new InvalidNetworkConfigError(`invalid gateway ${req.Gateway}: expected an IPv4 address`);
    if (!contains(subnet, g) || g === subnet.base || g === broadcast)
      throw new InvalidNetworkConfigError(`gateway ${req.Gateway} is not a usable address of subnet ${formatSubnet(subnet)}`);
    gateway = g;
  }
  const addresses: Record<string, string> = { [formatIPv4(gateway)]: 'gateway' };
  for (const [name, a] of Object.entries(req.AuxiliaryAddresses ?? {})) {
    const v = parseIPv4(a);
    if (v === undefined || !contains(subnet, v)) throw new InvalidNetworkConfigError(`auxiliary address ${name}=${a} is not inside subnet ${formatSubnet(subnet)}`);
    addresses[formatIPv4(v)] = `aux:${name}`;
  }
  return { subnet: formatSubnet(subnet), gateway: formatIPv4(gateway), ...(range ? { ipRange: formatSubnet(range) } : {}), addresses };
}

/**
 * An address for `owner`: the one asked for (refused when taken or outside
 * the subnet), else the next free one after the last handed out, within
 * ip_range when set. Mutates `alloc` and returns the address.
 */
export function allocateAddress(alloc: IpamAllocation, owner: string, requested?: string): string {
  const subnet = parseSubnet(alloc.subnet)!;
  const broadcast = subnet.base + size(subnet) - 1;
  if (requested) {
    const v = parseIPv4(requested);
    if (v === undefined) throw new InvalidNetworkConfigError(`invalid IPv4 address ${requested}`);
    if (!contains(subnet, v) || v === subnet.base || v === broadcast)
      throw new InvalidNetworkConfigError(`no configured subnet contains IP address ${requested} (the network's subnet is ${alloc.subnet})`);
    const ip = formatIPv4(v);
    const holder = alloc.addresses[ip];
    if (holder && holder !== owner) throw new NetworkConflictError(`Address already in use: ${ip} is taken on subnet ${alloc.subnet}`);
    alloc.addresses[ip] = owner;
    return ip;
  }
  const range = alloc.ipRange ? parseSubnet(alloc.ipRange)! : subnet;
  const lo = Math.max(range.base, subnet.base + 1);
  const hi = Math.min(range.base + size(range) - 1, broadcast - 1);
  const count = hi - lo + 1;
  const last = alloc.last ? parseIPv4(alloc.last) : undefined;
  const startAt = last !== undefined && last >= lo && last <= hi ? last + 1 : lo;
  for (let i = 0; i < count; i++) {
    const v = lo + ((startAt - lo + i) % count);
    const ip = formatIPv4(v);
    if (!alloc.addresses[ip]) {
      alloc.addresses[ip] = owner;
      alloc.last = ip;
      return ip;
    }
  }
  throw new AddressPoolExhaustedError(`no free address left in ${alloc.ipRange ?? alloc.subnet}: disconnect containers or use a larger subnet`);
}

export function releaseAddress(alloc: IpamAllocation, owner: string): void {
  for (const [ip, o] of Object.entries(alloc.addresses)) if (o === owner) delete alloc.addresses[ip];
}

export function prefixLength(alloc: IpamAllocation): number {
  return parseSubnet(alloc.subnet)!.prefix;
}

/** Host routes and addresses as CIDRs (addresses count as their subnet). */
export function hostNetworks(entries: readonly NetObject[]): string[] {
  const out: string[] = [];
  for (const e of entries) {
    if (e.type === 'link' || e.family !== 4) continue;
    const ip = e.type === 'addr' ? e.address : e.dst;
    if (!ip || e.prefixlen === 0) continue;
    const v = parseIPv4(ip);
    if (v === undefined) continue;
    out.push(formatSubnet({ base: (v & mask(e.prefixlen)) >>> 0, prefix: e.prefixlen }));
  }
  return [...new Set(out)];
}

// ---------------------------------------------------------------- IPv6

/** The IPv6 side of a network: a /64 unique local prefix unless one is asked for. */
export function chooseSubnet6(req: IpamRequest | undefined, networkId: string, taken: readonly string[], host: readonly string[]): IpamAllocation {
  const busy = [...taken, ...host].map((t) => parseSubnet6(t)).filter((s): s is Subnet6 => !!s && s.prefix > 0);
  let subnet: Subnet6;
  if (req?.Subnet) {
    const s = parseSubnet6(req.Subnet);
    if (!s) throw new InvalidNetworkConfigError(`invalid IPv6 subnet ${req.Subnet}: expected a CIDR like fd00:1::/64`);
    if (s.prefix > 124) throw new InvalidNetworkConfigError(`IPv6 subnet ${req.Subnet} is too small: use at most a /124`);
    const clash = busy.find((b) => overlaps6(b, s));
    if (clash) throw new NetworkConflictError(`IPv6 subnet ${req.Subnet} overlaps ${formatSubnet6(clash)}, already used by a network or the host`);
    subnet = s;
  } else {
    let attempt = 0;
    subnet = ulaSubnetFor(networkId, attempt);
    while (busy.some((b) => overlaps6(b, subnet)) && attempt < 16) subnet = ulaSubnetFor(networkId, ++attempt);
  }
  let gateway = subnet.base + 1n;
  if (req?.Gateway) {
    const g = parseIPv6(req.Gateway.replace(/\/\d+$/, ''));
    if (g === undefined || !contains6(subnet, g) || g === subnet.base) throw new InvalidNetworkConfigError(`IPv6 gateway ${req.Gateway} is not a usable address of subnet ${formatSubnet6(subnet)}`);
    gateway = g;
  }
  return { subnet: formatSubnet6(subnet), gateway: formatIPv6(gateway), addresses: { [formatIPv6(gateway)]: 'gateway' } };
}

/** Next free IPv6 address after the last handed out (or the one asked for). */
export function allocateAddress6(alloc: IpamAllocation, owner: string, requested?: string): string {
  const subnet = parseSubnet6(alloc.subnet)!;
  const size = 1n << BigInt(128 - subnet.prefix);
  if (requested) {
    const v = parseIPv6(requested);
    if (v === undefined || !contains6(subnet, v) || v === subnet.base) throw new InvalidNetworkConfigError(`no configured subnet contains IPv6 address ${requested} (the network's IPv6 subnet is ${alloc.subnet})`);
    const ip = formatIPv6(v);
    if (alloc.addresses[ip] && alloc.addresses[ip] !== owner) throw new NetworkConflictError(`Address already in use: ${ip} is taken on subnet ${alloc.subnet}`);
    alloc.addresses[ip] = owner;
    return ip;
  }
  const lo = subnet.base + 1n;
  const count = size - 1n;
  const last = alloc.last ? parseIPv6(alloc.last) : undefined;
  const start = last !== undefined && contains6(subnet, last) ? last + 1n - lo : 0n;
  // A /64 never fills; the bound keeps a tiny subnet from looping forever.
  const tries = count < 65536n ? count : 65536n;
  for (let i = 0n; i < tries; i++) {
    const ip = formatIPv6(lo + ((start + i) % count));
    if (!alloc.addresses[ip]) {
      alloc.addresses[ip] = owner;
      alloc.last = ip;
      return ip;
    }
  }
  throw new AddressPoolExhaustedError(`no free IPv6 address left in ${alloc.subnet}`);
}

/** Host IPv6 routes and addresses as CIDRs (link-local and the default route left out). */
export function hostNetworks6(entries: readonly NetObject[]): string[] {
  const out: string[] = [];
  for (const e of entries) {
    if (e.type === 'link' || e.family !== 6 || e.prefixlen === 0) continue;
    const v = parseIPv6(e.type === 'addr' ? e.address : e.dst);
    if (v === undefined || (v >> 118n) === 0x3fan) continue;
    out.push(formatSubnet6({ base: v & mask6(e.prefixlen), prefix: e.prefixlen }));
  }
  return [...new Set(out)];
}
