// Mutual exclusion across processes and within one: an in-process queue per
// path, then a lock file created with O_EXCL holding the owner's pid. Node has
// no flock(2); a lock left by a dead process is taken over (its pid no longer
// answers kill(pid, 0)).

import { closeSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { NetworkError } from './errors.js';

export class LockTimeoutError extends NetworkError {
  constructor(readonly path: string, readonly holder: number | undefined, waitedMs: number) {
    super(`waited ${waitedMs} ms for the lock ${path}${holder ? ` held by pid ${holder}` : ''}; if no tscompose process is running, remove the file`);
  }
}

const queues = new Map<string, Promise<unknown>>();

function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readHolder(path: string): number | undefined {
  try {
    const n = Number(readFileSync(path, 'utf8').trim());
    return Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

function tryCreate(path: string): boolean {
  try {
    const fd = openSync(path, 'wx', 0o644);
    try {
      writeSync(fd, `${process.pid}\n`);
    } finally {
      closeSync(fd);
    }
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
}

/** Removes a lock whose holder died. The file is renamed aside first, so two
 * waiters that both saw the dead pid cannot remove each other's fresh lock
 * (the loser's rename fails with ENOENT). */
function breakStale(path: string, deadPid: number | undefined): void {
  const aside = `${path}.stale.${process.pid}`;
  try {
    renameSync(path, aside);
  } catch {
    return;
  }
  const moved = readHolder(aside);
  if (moved !== deadPid && moved !== undefined && pidAlive(moved)) {
    // A live holder took the lock between our read and the rename: give it back.
    try {
      renameSync(aside, path);
    } catch {
      /* it will see its lock gone and the next locker wins; rare and harmless */
    }
    return;
  }
  try {
    unlinkSync(aside);
  } catch {
    /* gone */
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function acquire(path: string, timeoutMs: number): Promise<void> {
  mkdirSync(dirname(path), { recursive: true });
  const start = Date.now();
  let delay = 2;
  for (;;) {
    if (tryCreate(path)) return;
    const holder = readHolder(path);
    // An empty file is a locker between create and write: wait for it.
    if (holder !== undefined && holder !== process.pid && !pidAlive(holder)) {
      breakStale(path, holder);
      continue;
    }
    if (Date.now() - start > timeoutMs) throw new LockTimeoutError(path, holder, Date.now() - start);
    await sleep(delay);
    delay = Math.min(delay * 2, 50);
  }
}

function release(path: string): void {
  try {
    if (readHolder(path) === process.pid) unlinkSync(path);
  } catch {
    /* already gone */
  }
}

/** Runs `fn` holding the lock at `path`; calls in this process queue up in order. */
export async function withFileLock<T>(path: string, fn: () => Promise<T> | T, timeoutMs = 30_000): Promise<T> {
  const prev = queues.get(path) ?? Promise.resolve();
  let done!: () => void;
  const mine = new Promise<void>((r) => (done = r));
  const tail = prev.then(() => mine);
  queues.set(path, tail);
  await prev.catch(() => undefined);
  try {
    await acquire(path, timeoutMs);
    try {
      return await fn();
    } finally {
      release(path);
    }
  } finally {
    done();
    if (queues.get(path) === tail) queues.delete(path);
  }
}
