// Environment guards and the native helper build.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
export const unpackBinary = join(repoRoot, 'native', 'build', 'tsc-unpack');

/** Builds tsc-unpack (only that target: other native targets may be mid-edit). */
export function buildUnpacker(): string {
  execFileSync('make', ['-s', '-C', join(repoRoot, 'native'), 'build/tsc-unpack'], { stdio: 'inherit' });
  return unpackBinary;
}

/** Why this machine cannot run the suite, or undefined. Under CI a reason is a failure, not a skip. */
export function missing(requirements: { root?: boolean; programs?: string[] }): string | undefined {
  if (requirements.root && process.getuid?.() !== 0) return 'needs root';
  for (const p of requirements.programs ?? []) {
    if (!['/usr/bin', '/usr/sbin', '/bin', '/sbin'].some((d) => existsSync(join(d, p)))) return `needs ${p} (scripts/install-deps.sh)`;
  }
  return undefined;
}

export function guard(reason: string | undefined): boolean {
  if (reason && process.env.CI) throw new Error(`integration test cannot run under CI: ${reason}`);
  return !reason;
}

export function runText(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8' });
}
