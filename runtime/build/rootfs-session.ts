// A writable view of a build state's filesystem for the steps the builder
// does itself (COPY, ADD, WORKDIR): an overlay of the state's layers with a
// fresh upper dir, mounted under <root>/build/. What the step writes lands
// in the upper dir, which layer-diff.ts turns into the step's layer. COPY
// --from reads another stage through the same kind of mount.

import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, promises as fsp, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { ImageStore } from '../images/index.js';
import { BuildError } from './errors.js';

export interface RootfsSession {
  /** The mounted view. */
  merged: string;
  /** What the step changed (valid after `unmount`). */
  upper: string;
  unmount(): Promise<void>;
  /** Unmounts and deletes everything of the session. */
  dispose(): Promise<void>;
}

function run(cmd: string, args: string[], cwd?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { cwd }, (err, _out, stderr) => (err ? reject(new Error((stderr || err.message).toString().trim())) : resolve()));
  });
}

function mounted(path: string): boolean {
  try {
    return readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((l) => l.split(' ')[4] === path);
  } catch {
    return false;
  }
}

/** Mounts the layers `chainIds` (lowest first) with an empty upper dir under `workRoot`. */
export async function openRootfsSession(store: ImageStore, chainIds: readonly string[], workRoot: string): Promise<RootfsSession> {
  const dir = join(workRoot, `fs-${randomBytes(6).toString('hex')}`);
  const paths = { upper: join(dir, 'upper'), work: join(dir, 'work'), merged: join(dir, 'merged'), empty: join(dir, 'empty') };
  mkdirSync(paths.upper, { recursive: true, mode: 0o755 });
  for (const d of [paths.work, paths.merged, paths.empty]) mkdirSync(d, { recursive: true, mode: 0o755 });
  // Short relative paths from the images folder keep many layers within the one page of mount options.
  const base = store.dir;
  const lower = chainIds.length ? [...chainIds].reverse().map((c) => relative(base, store.layers.shortLink(c))) : [paths.empty];
  const opts = `lowerdir=${lower.join(':')},upperdir=${paths.upper},workdir=${paths.work}`;
  if (opts.length >= 4096) throw new BuildError(`the build state has too many layers (${chainIds.length}) for one overlay mount; merge RUN steps`);
  try {
    await run('mount', ['-t', 'overlay', 'overlay', '-o', opts, paths.merged], base);
  } catch (err) {
    await fsp.rm(dir, { recursive: true, force: true });
    throw new BuildError(`mount the build state's layers on ${paths.merged}: ${(err as Error).message}`);
  }
  const unmount = async (): Promise<void> => {
    if (!mounted(paths.merged)) return;
    try {
      await run('umount', [paths.merged]);
    } catch {
      await run('umount', ['-l', paths.merged]).catch(() => {});
    }
  };
  return {
    merged: paths.merged,
    upper: paths.upper,
    unmount,
    dispose: async () => {
      await unmount();
      await fsp.rm(dir, { recursive: true, force: true });
    },
  };
}
