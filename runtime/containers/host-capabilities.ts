// The capabilities this engine process may hand on. A privileged container
// (or CapAdd ALL) gets every capability the kernel knows, minus those the
// engine's own bounding set lacks: a capset() asking for one of those fails
// with EPERM and the container would not start at all. That happens where the
// engine itself runs confined (in a container, a sandbox without
// CAP_SYS_RESOURCE, ...); on a plain host the set is complete.

import { readFileSync } from 'node:fs';
import { ALL_CAPABILITIES } from './defaults.js';

/** The names of the capabilities in a `CapBnd:` mask of /proc/<pid>/status (all of them when it cannot be read). */
export function capabilitiesInStatus(status: string): string[] {
  const m = /^CapBnd:\s*([0-9a-f]+)$/m.exec(status);
  if (!m) return [...ALL_CAPABILITIES];
  const mask = BigInt(`0x${m[1]}`);
  return ALL_CAPABILITIES.filter((_, bit) => (mask >> BigInt(bit)) & 1n);
}

let cached: string[] | undefined;

/** This process's bounding set by name, read once. */
export function boundingCapabilities(): string[] {
  if (!cached) {
    try { cached = capabilitiesInStatus(readFileSync('/proc/self/status', 'utf8')); } catch { cached = [...ALL_CAPABILITIES]; }
  }
  return cached;
}
