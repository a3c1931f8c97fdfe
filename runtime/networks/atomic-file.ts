// Durable writes of state files: temp file, fsync, rename, so that a crash
// leaves the old or the new content, never a torn one. (The hosts files are
// the exception: they are bind-mounted and written in place, hosts-store.ts.)

import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, writeSync } from 'node:fs';
import { mkdir, open, rename } from 'node:fs/promises';
import { dirname } from 'node:path';

export function writeFileAtomic(path: string, content: string, mode = 0o644): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp.${process.pid}`;
  const fd = openSync(tmp, 'w', mode);
  try {
    writeSync(fd, content);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

/** Writes of each path still in flight: a write starts after the one before it on the same path. */
const inFlight = new Map<string, Promise<void>>();
let writeSeq = 0;

/**
 * writeFileAtomic off the main thread (fsync in libuv's pool), in order per
 * path: the content is taken now and a later call for the same path lands
 * after this one, so the file ends as the last call said. The engine writes
 * network and container records on every connect, start, stop and exit; a
 * synchronous fsync there held the whole engine, one container after the
 * other, while 50 of them came up or went (bench/compose.ts). `makeDir`:
 * create the folder when missing (not for a folder that may be removed
 * meanwhile, which a late write would bring back).
 */
export function writeFileAtomicAsync(path: string, content: string, mode = 0o644, makeDir = true): Promise<void> {
  const write = async (): Promise<void> => {
    if (makeDir) await mkdir(dirname(path), { recursive: true });
    const tmp = `${path}.tmp.${process.pid}.${++writeSeq}`;
    const fh = await open(tmp, 'w', mode);
    try {
      await fh.writeFile(content);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  };
  const next = (inFlight.get(path) ?? Promise.resolve()).then(write, write);
  inFlight.set(path, next);
  const forget = (): void => { if (inFlight.get(path) === next) inFlight.delete(path); };
  next.then(forget, forget);
  return next;
}

/** Resolves once the writes started so far under `prefix` (a file, or a folder with its files) have landed or failed: before removing them. */
export async function settleWrites(prefix: string): Promise<void> {
  await Promise.allSettled([...inFlight].filter(([p]) => p.startsWith(prefix)).map(([, w]) => w));
}
