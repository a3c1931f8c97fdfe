// Unique names for everything a test creates on the host, all with one prefix so
// that a leak is easy to spot and attributable (`ip netns`, cgroups, mounts).
import { randomBytes } from 'node:crypto';

export const TEST_PREFIX = 'tsct';

export function uniqueName(prefix = TEST_PREFIX): string {
  return `${prefix}${randomBytes(5).toString('hex')}`;
}
