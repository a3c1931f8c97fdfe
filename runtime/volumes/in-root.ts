// Paths inside a container's root filesystem, resolved as the container
// would see them — symlinks followed *within* the root, `..` stopping at it —
// one component at a time through file descriptors (O_PATH | O_NOFOLLOW,
// each step looked up through /proc/self/fd/N, i.e. openat), so that no
// symlink in an image can make the engine read or create anything outside
// the rootfs, and no component can be swapped for a symlink between our
// check and our use of it.

import { closeSync, constants, fstatSync, lstatSync, mkdirSync, openSync, readlinkSync } from 'node:fs';
import { InvalidVolumeConfigError, VolumeMountError } from './errors.js';

// Not in fs.constants; the same value on every Linux architecture we build for (asm-generic, x86).
const O_PATH = 0o10000000;
const MAX_SYMLINKS = 40;

export type EntryKind = 'directory' | 'file' | 'symlink' | 'other' | 'missing';

export interface RootEntry {
  kind: EntryKind;
  /**
   * A path naming the resolved object itself (`/proc/<pid>/fd/<n>`), valid
   * until `close()`; usable by child processes of this one (cp). Undefined
   * when missing.
   */
  path?: string;
  close(): void;
}

const fdPath = (fd: number): string => `/proc/self/fd/${fd}`;

function kindOf(st: { isDirectory(): boolean; isFile(): boolean; isSymbolicLink(): boolean }): EntryKind {
  return st.isDirectory() ? 'directory' : st.isFile() ? 'file' : st.isSymbolicLink() ? 'symlink' : 'other';
}

export interface ResolveOptions {
  /** Create what is missing: parents as directories (0755), the last as this. */
  create?: 'directory' | 'file';
}

/**
 * Resolves `target` (an absolute container path) inside `root`. The caller
 * must close() the result.
 */
export function resolveInRoot(root: string, target: string, opts: ResolveOptions = {}): RootEntry {
  const rootFd = openSync(root, O_PATH | constants.O_DIRECTORY);
  // stack[0] is the root: `..` never pops it.
  const stack: number[] = [rootFd];
  const closeAll = (): void => { for (const fd of stack.splice(0)) { try { closeSync(fd); } catch { /* closed */ } } };
  const queue = target.split('/').filter((c) => c !== '' && c !== '.');
  let links = 0;
  try {
    while (queue.length) {
      const comp = queue.shift()!;
      const last = queue.length === 0;
      if (comp === '..') {
        if (stack.length > 1) closeSync(stack.pop()!);
        continue;
      }
      const at = `${fdPath(stack[stack.length - 1])}/${comp}`;
      let st;
      try {
        st = lstatSync(at);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        if (!opts.create) {
          closeAll();
          return { kind: 'missing', close: () => {} };
        }
        if (!last || opts.create === 'directory') mkdirSync(at, { mode: 0o755 });
        else closeSync(openSync(at, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY | constants.O_NOFOLLOW, 0o755));
        st = lstatSync(at);
      }
      if (st.isSymbolicLink()) {
        if (++links > MAX_SYMLINKS) throw new InvalidVolumeConfigError(`too many levels of symbolic links resolving ${target} in ${root}`);
        const link = readlinkSync(at);
        if (link.startsWith('/')) while (stack.length > 1) closeSync(stack.pop()!);
        queue.unshift(...link.split('/').filter((c) => c !== '' && c !== '.'));
        continue;
      }
      if (!last && !st.isDirectory()) {
        throw new InvalidVolumeConfigError(`cannot resolve ${target} in the container's filesystem: ${comp} is not a directory`);
      }
      const fd = openSync(at, O_PATH | constants.O_NOFOLLOW);
      const fst = fstatSync(fd);
      // Swapped between lstat and open: refuse rather than guess.
      if (fst.ino !== st.ino || fst.dev !== st.dev) {
        closeSync(fd);
        throw new VolumeMountError(`${target} changed in ${root} while it was being resolved`);
      }
      stack.push(fd);
    }
    const top = stack[stack.length - 1];
    const st = fstatSync(top);
    // Hand the final fd out alone: parents are of no further use.
    const finalFd = stack.pop()!;
    closeAll();
    let closed = false;
    return {
      kind: kindOf(st),
      path: `/proc/${process.pid}/fd/${finalFd}`,
      close: () => { if (!closed) { closed = true; closeSync(finalFd); } },
    };
  } catch (err) {
    closeAll();
    throw err;
  }
}

/**
 * Makes sure a mount point exists inside the rootfs — a directory, or an
 * empty file for a file bind — creating what is missing, never outside it.
 */
export function ensureMountpoint(root: string, destination: string, kind: 'directory' | 'file'): void {
  const e = resolveInRoot(root, destination, { create: kind });
  try {
    if (kind === 'directory' && e.kind !== 'directory') {
      throw new InvalidVolumeConfigError(`cannot mount a directory on ${destination}: it is a ${e.kind} in the container's filesystem`);
    }
    if (kind === 'file' && e.kind === 'directory') {
      throw new InvalidVolumeConfigError(`cannot mount a file on ${destination}: it is a directory in the container's filesystem`);
    }
  } finally {
    e.close();
  }
}
