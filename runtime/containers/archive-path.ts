// Paths of `docker cp`, looked up in a container's root the way the
// container sees them: symlinks followed inside the root (an absolute link
// restarts at the container's `/`, `..` stops there), one component at a
// time through directory fds (O_PATH | O_NOFOLLOW, each step addressed as
// /proc/self/fd/N/NAME, i.e. openat), so no link in the container can make
// the engine read outside it, and no component swapped for a link between
// two steps is followed. Unlike runtime/volumes/in-root.ts this keeps the
// resolved container path (dockerd's `linkTarget`) and can stop before the
// last link.

import { closeSync, constants, fstatSync, lstatSync, openSync, readlinkSync, type Stats } from 'node:fs';

const O_PATH = 0o10000000;
const MAX_SYMLINKS = 40;

export class ArchivePathError extends Error {
  override readonly name = 'ArchivePathError';
  constructor(message: string, readonly code: 'ENOENT' | 'ENOTDIR' | 'ELOOP' | 'ECHANGED') { super(message); }
}

/** A looked-up object: `hostPath` names it without following anything but fds (valid until close()). */
export interface InRoot {
  /** Canonical container path (`/a/b`). */
  containerPath: string;
  /** `/proc/self/fd/<dir>/<name>`, or `/proc/self/fd/<root>` for `/`. */
  hostPath: string;
  /** lstat of the object (a symlink when the last link was not followed). */
  st: Stats;
  close(): void;
}

const fdPath = (fd: number): string => `/proc/self/fd/${fd}`;

/**
 * Looks `target` up inside `root`. `followLast`: whether a symlink as the
 * last component is followed (dockerd follows it for a path ending in `/`
 * or `/.`, and for the destination of an extraction). Throws
 * ArchivePathError ENOENT when something is missing.
 */
export function lookupInRoot(root: string, target: string, followLast: boolean): InRoot {
  const rootFd = openSync(root, O_PATH | constants.O_DIRECTORY);
  // stack[i] holds the fd of the directory named by names[0..i-1]; stack[0] is the root.
  const stack: number[] = [rootFd];
  const names: string[] = [];
  const closeAll = (): void => { for (const fd of stack.splice(0)) { try { closeSync(fd); } catch { /* closed */ } } };
  const queue = target.split('/').filter((c) => c !== '' && c !== '.');
  let links = 0;
  try {
    while (queue.length) {
      const comp = queue.shift()!;
      const last = queue.length === 0;
      if (comp === '..') {
        if (stack.length > 1) { closeSync(stack.pop()!); names.pop(); }
        continue;
      }
      const at = `${fdPath(stack[stack.length - 1])}/${comp}`;
      let st: Stats;
      try { st = lstatSync(at); } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'ENOTDIR') throw new ArchivePathError(`${target}: no such file or directory`, 'ENOENT');
        throw err;
      }
      if (st.isSymbolicLink() && (!last || followLast)) {
        if (++links > MAX_SYMLINKS) throw new ArchivePathError(`${target}: too many levels of symbolic links`, 'ELOOP');
        const link = readlinkSync(at);
        if (link.startsWith('/')) while (stack.length > 1) { closeSync(stack.pop()!); names.pop(); }
        queue.unshift(...link.split('/').filter((c) => c !== '' && c !== '.'));
        continue;
      }
      if (last) {
        // The object itself is named through its parent's fd; it stays addressable without being opened (sockets, links).
        const parentFd = stack.pop()!;
        closeAll();
        let closed = false;
        return {
          containerPath: `/${[...names, comp].join('/')}`, hostPath: at, st,
          close: () => { if (!closed) { closed = true; closeSync(parentFd); } },
        };
      }
      if (!st.isDirectory()) throw new ArchivePathError(`${target}: not a directory`, 'ENOTDIR');
      const fd = openSync(at, O_PATH | constants.O_NOFOLLOW | constants.O_DIRECTORY);
      const fst = fstatSync(fd);
      if (fst.ino !== st.ino || fst.dev !== st.dev) {
        closeSync(fd);
        throw new ArchivePathError(`${target} changed while it was being resolved`, 'ECHANGED');
      }
      stack.push(fd);
      names.push(comp);
    }
    // The root itself, or a path that climbed back to a directory on the stack.
    const fd = stack.pop()!;
    closeAll();
    let closed = false;
    return {
      containerPath: `/${names.join('/')}`, hostPath: fdPath(fd), st: fstatSync(fd),
      close: () => { if (!closed) { closed = true; closeSync(fd); } },
    };
  } catch (err) {
    closeAll();
    throw err;
  }
}

/** Go's os.FileMode bits of a stat, as dockerd puts them in `X-Docker-Container-Path-Stat`. */
export function goFileMode(st: Stats): number {
  let m = st.mode & 0o777;
  if (st.mode & 0o4000) m |= 1 << 23; // setuid
  if (st.mode & 0o2000) m |= 1 << 22; // setgid
  if (st.mode & 0o1000) m |= 1 << 20; // sticky
  if (st.isDirectory()) m |= 2 ** 31;
  else if (st.isSymbolicLink()) m |= 1 << 27;
  else if (st.isFIFO()) m |= 1 << 25;
  else if (st.isSocket()) m |= 1 << 24;
  else if (st.isCharacterDevice()) m |= (1 << 26) | (1 << 21);
  else if (st.isBlockDevice()) m |= 1 << 26;
  return m >>> 0;
}
