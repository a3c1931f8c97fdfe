// A container's root filesystem: an overlay of
//   upper (per container, writable)
//   init  (per container, read-only: real /dev /proc /sys dirs and real
//          /etc/hosts /etc/hostname /etc/resolv.conf files, so a symlink in
//          the image at those paths can never redirect a mount to the host)
//   the image's layers, top first.
// The kernel takes the whole option string in one page (4096 bytes); layer
// paths are given relative to the state root, mounting from there, which
// keeps ~60 layers under the limit with the image store's short links.

import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync, existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import { RuntimeFailureError } from './errors.js';

export interface RootfsPaths { init: string; upper: string; work: string; merged: string }

export function rootfsPaths(containerDir: string): RootfsPaths {
  return { init: join(containerDir, 'init'), upper: join(containerDir, 'upper'), work: join(containerDir, 'work'), merged: join(containerDir, 'rootfs') };
}

const INIT_DIRS = ['dev', 'dev/pts', 'dev/shm', 'dev/mqueue', 'proc', 'sys', 'etc'];
const INIT_FILES = ['etc/hosts', 'etc/hostname', 'etc/resolv.conf', '.dockerenv'];

export function prepareRootfsDirs(containerDir: string): RootfsPaths {
  const p = rootfsPaths(containerDir);
  // The upper dir's mode becomes the container's `/`: 0755 like Docker, or non-root users could not traverse it.
  mkdirSync(p.upper, { recursive: true, mode: 0o755 });
  for (const d of [p.work, p.merged]) mkdirSync(d, { recursive: true, mode: 0o700 });
  mkdirSync(p.init, { recursive: true, mode: 0o755 });
  for (const d of INIT_DIRS) mkdirSync(join(p.init, d), { recursive: true, mode: 0o755 });
  for (const f of INIT_FILES) if (!existsSync(join(p.init, f))) writeFileSync(join(p.init, f), '', { mode: 0o644 });
  return p;
}

/** The overlay option string, with paths relative to `base` when that makes them shorter. */
export function overlayOptions(base: string, paths: RootfsPaths, layersLowestFirst: readonly string[]): string {
  const short = (p: string): string => {
    const rel = relative(base, p);
    return rel && !rel.startsWith('..') && !isAbsolute(rel) && rel.length < p.length ? rel : p;
  };
  const lower = [paths.init, ...[...layersLowestFirst].reverse()].map(short);
  for (const l of lower) {
    if (/[:,]/.test(l)) throw new RuntimeFailureError(`layer path ${l} contains ':' or ',' and cannot be an overlay lower dir`, 'mount');
  }
  const opts = `lowerdir=${lower.join(':')},upperdir=${short(paths.upper)},workdir=${short(paths.work)}`;
  if (opts.length >= 4096) {
    throw new RuntimeFailureError(`the image has too many layers (${layersLowestFirst.length}) for one overlay mount (${opts.length} bytes of options, the kernel takes 4095)`, 'mount');
  }
  return opts;
}

function exec(cmd: string, args: string[], cwd?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { cwd }, (err, _out, stderr) => (err ? reject(new Error((stderr || err.message).toString().trim())) : resolve()));
  });
}

export function isMounted(path: string): boolean {
  try {
    return readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((l) => l.split(' ')[4] === path);
  } catch {
    return false;
  }
}

export async function mountRootfs(stateRoot: string, paths: RootfsPaths, layersLowestFirst: readonly string[]): Promise<void> {
  if (isMounted(paths.merged)) return;
  const opts = overlayOptions(stateRoot, paths, layersLowestFirst);
  try {
    await exec('mount', ['-t', 'overlay', 'overlay', '-o', opts, paths.merged], stateRoot);
  } catch (err) {
    throw new RuntimeFailureError(`mount overlay on ${paths.merged}: ${(err as Error).message}`, 'mount');
  }
}

export async function unmountRootfs(paths: RootfsPaths): Promise<void> {
  if (!isMounted(paths.merged)) return;
  try {
    await exec('umount', [paths.merged]);
  } catch {
    // Busy (a process of ours still has a file open there): detach it now, the kernel frees it later.
    await exec('umount', ['-l', paths.merged]).catch(() => {});
  }
}
