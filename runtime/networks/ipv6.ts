// IPv6 addresses as BigInt, for the IPv6 side of a network: a /64 (or the
// subnet asked for), the gateway at ::1, endpoints counted up from ::2.
// Pure; unit-tested beside the IPv4 arithmetic.

import { createHash } from 'node:crypto';

export interface Subnet6 {
  base: bigint;
  prefix: number;
}

const ALL = (1n << 128n) - 1n;

export function parseIPv6(text: string): bigint | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(text) || text.includes(':::')) return undefined;
  let head = text;
  let tailV4: bigint | undefined;
  const lastColon = text.lastIndexOf(':');
  if (text.slice(lastColon + 1).includes('.')) {
    const parts = text.slice(lastColon + 1).split('.').map(Number);
    if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p > 255)) return undefined;
    tailV4 = BigInt(((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0);
    head = text.slice(0, lastColon + 1) + '0:0';
  }
  const halves = head.split('::');
  if (halves.length > 2) return undefined;
  const left = halves[0] ? halves[0].split(':') : [];
  const right = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const missing = 8 - left.length - right.length;
  if ((halves.length === 1 && missing !== 0) || (halves.length === 2 && missing < 1)) return undefined;
  const groups = [...left, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...right];
  let v = 0n;
  for (const g of groups) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    v = (v << 16n) | BigInt(parseInt(g, 16));
  }
  if (tailV4 !== undefined) v = (v & ~0xffffffffn) | tailV4;
  return v;
}

/** RFC 5952 text: lowercase, longest zero run (2+ groups) as `::`. */
export function formatIPv6(v: bigint): string {
  const groups = Array.from({ length: 8 }, (_, i) => Number((v >> BigInt(112 - 16 * i)) & 0xffffn));
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

export function mask6(prefix: number): bigint {
  return prefix === 0 ? 0n : (ALL << BigInt(128 - prefix)) & ALL;
}

export function parseSubnet6(text: string): Subnet6 | undefined {
  const m = /^([0-9a-fA-F:.]+)\/(\d{1,3})$/.exec(text.trim());
  if (!m) return undefined;
  const v = parseIPv6(m[1]!);
  const prefix = Number(m[2]);
  if (v === undefined || prefix > 128) return undefined;
  return { base: v & mask6(prefix), prefix };
}

export function formatSubnet6(s: Subnet6): string {
  return `${formatIPv6(s.base)}/${s.prefix}`;
}

export function contains6(s: Subnet6, v: bigint): boolean {
  return (v & mask6(s.prefix)) === s.base;
}

export function overlaps6(a: Subnet6, b: Subnet6): boolean {
  const p = Math.min(a.prefix, b.prefix);
  return (a.base & mask6(p)) === (b.base & mask6(p));
}

/** A unique local /64 (RFC 4193) derived from the network id: fdXX:XXXX:XXXX::/64. */
export function ulaSubnetFor(networkId: string, attempt = 0): Subnet6 {
  const h = createHash('sha256').update(`${networkId}:${attempt}`).digest();
  let v = 0xfdn;
  for (let i = 0; i < 5; i++) v = (v << 8n) | BigInt(h[i]!);
  return { base: v << 80n, prefix: 64 };
}
