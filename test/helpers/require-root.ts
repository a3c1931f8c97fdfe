// Gates for integration tests that need root, binaries or kernel features.
// Outside CI a missing need skips the suite with the reason; in CI (process.env.CI
// set) it throws, so that the file fails instead of passing by doing nothing.
import { accessSync, constants, existsSync } from 'node:fs';
import path from 'node:path';

export interface Needs {
  root?: boolean;
  /** Program names looked up in PATH, or absolute paths. */
  binaries?: string[];
  /** Files or directories that must exist (kernel interfaces, device nodes). */
  paths?: string[];
}

export interface Gate {
  skip: boolean;
  reason: string;
}

export function findBinary(name: string): string | undefined {
  if (name.includes('/')) return isExecutable(name) ? name : undefined;
  for (const dir of (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':')) {
    const p = path.join(dir, name);
    if (isExecutable(p)) return p;
  }
  for (const dir of ['/usr/sbin', '/sbin']) {
    const p = path.join(dir, name);
    if (isExecutable(p)) return p;
  }
  return undefined;
}

function isExecutable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export function missingNeeds(needs: Needs): string[] {
  const missing: string[] = [];
  if (needs.root && process.getuid?.() !== 0) missing.push('root (run the integration tests as root)');
  for (const b of needs.binaries ?? []) if (!findBinary(b)) missing.push(`program ${b} (scripts/install-deps.sh installs it)`);
  for (const p of needs.paths ?? []) if (!existsSync(p)) missing.push(`${p}`);
  return missing;
}

/** Use as `describe.skipIf(gate.skip)`: skips locally, fails in CI. */
export function requireEnv(needs: Needs, what = 'these tests'): Gate {
  const missing = missingNeeds(needs);
  if (missing.length === 0) return { skip: false, reason: '' };
  const reason = `${what} need: ${missing.join(', ')}`;
  if (process.env.CI) throw new Error(`${reason} (CI is set, so this is a failure, not a skip)`);
  return { skip: true, reason };
}

export function requireRoot(binaries: string[] = [], what?: string): Gate {
  return requireEnv({ root: true, binaries }, what);
}
