// Temp dirs that are removed by the cleanup registry. Before removing, any mount
// still under the dir (a leak a test should report elsewhere) is detached, so
// that rm never walks into a host directory bound there.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { onCleanup } from './cleanup.js';
import { TEST_PREFIX } from './names.js';

export function tempDir(label = 'tmp'): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), `${TEST_PREFIX}-${label}-`));
  onCleanup(`remove ${dir}`, () => removeTree(dir));
  return dir;
}

export function mountsUnder(dir: string): string[] {
  const out: string[] = [];
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const target = line.split(' ')[4];
    if (target && (target === dir || target.startsWith(dir + '/'))) out.push(unescapeMountPath(target));
  }
  return out;
}

export function unescapeMountPath(p: string): string {
  return p.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

export function removeTree(dir: string): void {
  for (const m of mountsUnder(dir).reverse()) {
    try {
      execFileSync('umount', ['-l', m], { stdio: 'ignore' });
    } catch {
      /* already gone */
    }
  }
  rmSync(dir, { recursive: true, force: true });
}
