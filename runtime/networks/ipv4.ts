// IPv4 addresses as 32-bit unsigned numbers, and subnets as {base, prefix}.
// Pure: the IPAM's arithmetic and its unit tests stand on this.

export interface Subnet {
  /** Network address, host bits zero. */
  base: number;
  prefix: number;
}

export function parseIPv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let v = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    v = v * 256 + n;
  }
  return v;
}

export function formatIPv4(v: number): string {
  return [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255].join('.');
}

export function mask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** "10.1.0.0/16" → subnet; undefined when malformed. `strict` refuses host bits. */
export function parseSubnet(text: string, strict = false): Subnet | undefined {
  const m = /^([\d.]+)\/(\d{1,2})$/.exec(text.trim());
  if (!m) return undefined;
  const ip = parseIPv4(m[1]);
  const prefix = Number(m[2]);
  if (ip === undefined || prefix > 32) return undefined;
  const base = (ip & mask(prefix)) >>> 0;
  if (strict && base !== ip) return undefined;
  return { base, prefix };
}

export function formatSubnet(s: Subnet): string {
  return `${formatIPv4(s.base)}/${s.prefix}`;
}

export function size(s: Subnet): number {
  return 2 ** (32 - s.prefix);
}

export function contains(s: Subnet, ip: number): boolean {
  return ((ip & mask(s.prefix)) >>> 0) === s.base;
}

export function overlaps(a: Subnet, b: Subnet): boolean {
  const p = Math.min(a.prefix, b.prefix);
  return ((a.base & mask(p)) >>> 0) === ((b.base & mask(p)) >>> 0);
}

/** Split `s` into subnets of `prefix` bits, in address order. */
export function* split(s: Subnet, prefix: number): Generator<Subnet> {
  if (prefix < s.prefix) {
    yield s;
    return;
  }
  const step = 2 ** (32 - prefix);
  for (let b = s.base; b < s.base + size(s); b += step) yield { base: b >>> 0, prefix };
}

export function isIPv4(text: string): boolean {
  return parseIPv4(text) !== undefined;
}
