// Names and identifiers of network objects. Interface names are at most 15
// bytes (IFNAMSIZ - 1), so they are cut from the object's id after a prefix
// that says who owns them (`tsc` by default, `tsct…` in tests).

import { createHash, randomBytes } from 'node:crypto';
import { formatIPv4, parseIPv4 } from './ipv4.js';

export const IFNAME_MAX = 15;

export function newId(): string {
  return randomBytes(32).toString('hex');
}

/** `tscb1a2b3c4d5e6` — the bridge of a network. */
export function bridgeName(prefix: string, networkId: string): string {
  return (prefix + 'b' + networkId).slice(0, IFNAME_MAX);
}

/** `tscv1a2b3c4d5e6` — the host end of an endpoint's veth pair. */
export function vethName(prefix: string, endpointId: string): string {
  return (prefix + 'v' + endpointId).slice(0, IFNAME_MAX);
}

/** Docker's scheme: 02:42 then the four bytes of the IPv4 address, so a MAC is
 * stable for an address and never clashes on one bridge. */
export function macForIPv4(ip: string): string {
  const v = parseIPv4(ip) ?? 0;
  const b = [0x02, 0x42, v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];
  return b.map((x) => x.toString(16).padStart(2, '0')).join(':');
}

/** The nftables table of one state root, so that engines on other roots
 * (tests) keep their own rules. */
export function firewallTableName(root: string): string {
  return 'tscompose_' + createHash('sha256').update(root).digest('hex').slice(0, 10);
}

export function shortId(id: string): string {
  return id.slice(0, 12);
}

/** Validates a network name as Docker does: [a-zA-Z0-9][a-zA-Z0-9_.-]*. */
export function isValidNetworkName(name: string): boolean {
  return /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(name);
}

export { formatIPv4 };
