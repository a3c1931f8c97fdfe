// One engine per state root: `<root>/engine.pid`, created exclusively and
// holding the owner's pid. A file left by an engine that died is taken over.

import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export class EngineLockedError extends Error {
  override readonly name = 'EngineLockedError';
  constructor(readonly root: string, readonly pid: number) {
    super(`another engine is running on ${root} (pid ${pid}); stop it with \`tscompose engine stop --root ${root}\` or use another --root`);
  }
}

export function lockPath(root: string): string { return join(root, 'engine.pid'); }

function pidAlive(pid: number): boolean {
  if (!pid) return false;
  try { process.kill(pid, 0); return true; } catch (e) { return (e as NodeJS.ErrnoException).code === 'EPERM'; }
}

/** Pid of the engine holding the root, if one is alive. */
export function lockHolder(root: string): number | undefined {
  try {
    const pid = Number(readFileSync(lockPath(root), 'utf8').trim());
    return pidAlive(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

export function acquireLock(root: string): () => void {
  const path = lockPath(root);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o644);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return () => {
        try { if (Number(readFileSync(path, 'utf8').trim()) === process.pid) unlinkSync(path); } catch { /* gone already */ }
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const holder = lockHolder(root);
      if (holder) throw new EngineLockedError(root, holder);
      try { unlinkSync(path); } catch { /* another starter removed it first */ }
    }
  }
  const holder = lockHolder(root);
  throw new EngineLockedError(root, holder ?? 0);
}
