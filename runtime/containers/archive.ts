// `docker cp`: the container's filesystem as its processes see it (rootfs
// plus volumes and binds), for stat, tar out and tar in.
//
// The view: a running container's `/proc/<pid>/root` (its own mount
// namespace shows every mount); for one that does not run, a helper process
// in a private mount namespace (`unshare -m`) mounts the overlay and binds
// the volumes on it, and `/proc/<helper>/root<rootfs>` is the view. Nothing
// is mounted in the engine's namespace, so a cp never races a start's own
// mounts, and everything goes when the helper exits.
//
// Safety: reads look paths up with archive-path.ts (links resolved inside
// the root, fd by fd); extraction runs the native unpacker (tsc-unpack),
// which chroots into the destination directory before reading the first tar
// header, so no entry — `../x`, `/etc/x`, a link in the container pointing
// out, a hardlink to a host file — can write outside it.

import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, constants, createReadStream, fstatSync, lstatSync, openSync, readdirSync, readlinkSync, realpathSync, type Stats } from 'node:fs';
import { posix } from 'node:path';
import { PassThrough, Transform, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';

/** A tar header as tar-stream takes it (its own types and @types/tar-stream name it differently). */
type TarHeader = Parameters<tar.Pack['entry']>[0];
import type { ContainerPathStat } from '../client/stats-types.js';
import { ArchivePathError, goFileMode, lookupInRoot, type InRoot } from './archive-path.js';
import { isMounted, overlayOptions, prepareRootfsDirs } from './rootfs.js';

/** A status-carrying error (the API answers with it as is). */
export class ArchiveError extends Error {
  override readonly name = 'ArchiveError';
  constructor(readonly statusCode: number, message: string) { super(message); }
}

/** What a view needs to know about the container. */
export interface ArchiveTarget {
  /** As the client named it (errors quote it, as dockerd does). */
  ref: string;
  running: boolean;
  pid: number;
  containerDir: string;
  stateRoot: string;
  /** Unpacked layer dirs, lowest first (only called for a container that does not run). */
  layers: () => Promise<string[]>;
  /** Binds and volumes (host source → container destination), mounted into the view of a stopped container. */
  mounts: readonly { source: string; destination: string; readOnly: boolean }[];
}

export interface ContainerView {
  /** A directory path that is the container's `/`. */
  root: string;
  /** `/proc`, `/sys`, `/dev` of a live container are kernel filesystems: not walked into (dockerd's rootfs has them empty). */
  live: boolean;
  release(): Promise<void>;
}

const HELPER_SCRIPT = `
set -e
merged=$1; overlay=$2; shift 2
if [ -n "$overlay" ]; then mount -t overlay overlay -o "$overlay" "$merged"; fi
while [ $# -ge 3 ]; do
  src=$1; dst=$merged$2; ro=$3; shift 3
  [ -e "$src" ] || continue
  # A stopped container runs nothing that could race us, so a path whose canonical form is itself holds no link.
  p=$dst
  while [ ! -e "$p" ] && [ ! -L "$p" ]; do p=$(dirname -- "$p"); done
  [ "$(readlink -f -- "$p")" = "$p" ] || continue
  if [ ! -e "$dst" ]; then
    if [ -d "$src" ]; then mkdir -p -- "$dst"; else mkdir -p -- "$(dirname -- "$dst")"; : > "$dst"; fi
  fi
  mount --bind -- "$src" "$dst" || continue
  if [ "$ro" = 1 ]; then mount -o remount,bind,ro -- "$dst" || true; fi
done
echo ready
exec cat
`;

/** The container's filesystem, mounted where needed; release() undoes it. */
export async function openContainerView(t: ArchiveTarget): Promise<ContainerView> {
  if (t.running && t.pid) {
    const root = `/proc/${t.pid}/root`;
    try { lstatSync(`${root}/`); } catch { throw new ArchiveError(409, `Container ${t.ref} is not running any more`); }
    return { root, live: true, release: async () => {} };
  }
  const paths = prepareRootfsDirs(t.containerDir);
  const merged = realpathSync(paths.merged);
  const overlay = isMounted(paths.merged) ? '' : overlayOptions(t.stateRoot, paths, await t.layers());
  const binds = [...t.mounts].sort((a, b) => a.destination.length - b.destination.length)
    .map((m) => ({ ...m, destination: posix.normalize(`/${m.destination}`).replace(/\/+$/, '') }))
    .filter((m) => m.destination !== '')
    .flatMap((m) => [m.source, m.destination, m.readOnly ? '1' : '0']);
  const child = spawn('unshare', ['--mount', '--propagation', 'private', '--', 'sh', '-c', HELPER_SCRIPT, 'tscompose-cp', merged, overlay, ...binds], {
    cwd: t.stateRoot, stdio: ['pipe', 'pipe', 'pipe'],
  });
  await helperReady(child);
  return {
    root: `/proc/${child.pid}/root${merged}`,
    live: false,
    release: () => new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.stdin?.end();
      setTimeout(() => child.kill('SIGKILL'), 5000).unref();
    }),
  };
}

function helperReady(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stderr?.on('data', (b: Buffer) => { err += b.toString(); });
    child.stdout?.on('data', (b: Buffer) => {
      out += b.toString();
      if (out.includes('ready\n')) resolve();
    });
    child.on('error', (e) => reject(new ArchiveError(500, `cannot mount the container's filesystem: unshare: ${e.message}`)));
    child.on('exit', (code) => reject(new ArchiveError(500, `cannot mount the container's filesystem: ${err.trim() || `helper exited with ${code}`}`)));
  });
}

/** dockerd's 404 for a path that is not there. */
export function fileNotFound(path: string, ref: string): ArchiveError {
  return new ArchiveError(404, `Could not find the file ${path} in container ${ref}`);
}

/** `path` as dockerd takes it: relative paths start at `/`; empty is a 400. */
export function normalizeArchivePath(path: string | null): string {
  if (path === null || path === '') throw new ArchiveError(400, 'bad parameter: path cannot be empty');
  if (path.includes('\0')) throw new ArchiveError(400, 'bad parameter: path contains a NUL byte');
  return path.startsWith('/') ? path : `/${path}`;
}

/** A trailing `/` or `/.` asks for what the link points to (and, with `/.`, for a directory's content). */
const followsLast = (p: string): boolean => p.endsWith('/') || p.endsWith('/.');

function lookup(view: ContainerView, path: string, ref: string, followLast: boolean): InRoot {
  let found: InRoot;
  try {
    found = lookupInRoot(view.root, path, followLast);
  } catch (err) {
    if (err instanceof ArchivePathError) {
      if (err.code === 'ENOENT' || err.code === 'ENOTDIR') throw fileNotFound(path, ref);
      throw new ArchiveError(400, err.message);
    }
    throw err;
  }
  // `file/` asks for a directory, as with any Unix tool.
  if (followsLast(path) && !found.st.isDirectory()) {
    found.close();
    throw new ArchiveError(400, `${path}: not a directory`);
  }
  return found;
}

function pathStat(view: ContainerView, found: InRoot, requested: string): ContainerPathStat {
  let linkTarget = '';
  if (found.st.isSymbolicLink()) {
    // dockerd gives the link fully resolved in the container (`-L` copies that).
    try { const r = lookupInRoot(view.root, found.containerPath, true); linkTarget = r.containerPath; r.close(); } catch { linkTarget = readlinkSync(found.hostPath); }
  }
  const name = found.containerPath === '/' ? '/' : posix.basename(requested.replace(/\/+\.?$/, '')) || posix.basename(found.containerPath);
  return { name, size: found.st.size, mode: goFileMode(found.st), mtime: found.st.mtime.toISOString(), linkTarget };
}

/** HEAD /archive: the stat of a path. */
export function statInView(view: ContainerView, path: string, ref: string): ContainerPathStat {
  const found = lookup(view, path, ref, followsLast(path));
  try { return pathStat(view, found, path); } finally { found.close(); }
}

export function encodePathStat(s: ContainerPathStat): string {
  return Buffer.from(JSON.stringify(s)).toString('base64');
}

// ---- tar out ----

const KERNEL_FS = new Set(['/proc', '/sys', '/dev']);

/**
 * GET /archive: a tar of the path, its top entry named like the path's last
 * component (`.` for `dir/.`), and the stat for the header. The tar is
 * written to the returned stream as the tree is walked.
 */
export function archiveFromView(view: ContainerView, path: string, ref: string): { stat: ContainerPathStat; tar: Readable } {
  const found = lookup(view, path, ref, followsLast(path));
  let stat: ContainerPathStat;
  try { stat = pathStat(view, found, path); } catch (e) { found.close(); throw e; }
  const pack = tar.pack();
  const out = new PassThrough({ highWaterMark: 1 << 20 });
  const top = path.endsWith('/.') ? '.' : found.containerPath === '/' ? '.' : posix.basename(found.containerPath);
  const rebased = path.endsWith('/.') ? '.' : posix.basename(path.replace(/\/+$/, '')) || top;
  (async () => {
    try {
      await addEntry(pack, view, found.hostPath, found.st, rebased, found.containerPath);
      pack.finalize();
    } catch (err) {
      pack.destroy(err as Error);
    } finally {
      found.close();
    }
  })();
  pack.pipe(out);
  pack.on('error', (e) => out.destroy(e));
  // The client went away: stop walking the tree.
  out.on('close', () => { if (!out.readableEnded) pack.destroy(); });
  return { stat, tar: out };
}

function header(st: Stats, name: string): TarHeader {
  return { name, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: st.mtime, size: 0 };
}

function entry(pack: tar.Pack, h: TarHeader, body?: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (err?: Error | null): void => (err ? reject(err) : resolve());
    if (body) pack.entry(h, body, done); else pack.entry(h, done);
  });
}

async function addEntry(pack: tar.Pack, view: ContainerView, hostPath: string, st: Stats, name: string, containerPath: string): Promise<void> {
  if (st.isDirectory()) {
    await entry(pack, { ...header(st, name.endsWith('/') ? name : `${name}/`), type: 'directory' });
    if (view.live && KERNEL_FS.has(containerPath)) return;
    const dfd = openSync(hostPath, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
    try {
      const fdDir = `/proc/self/fd/${dfd}`;
      for (const child of readdirSync(fdDir).sort()) {
        const at = `${fdDir}/${child}`;
        let cst: Stats;
        try { cst = lstatSync(at); } catch { continue; } // gone meanwhile
        await addEntry(pack, view, at, cst, `${name.replace(/\/$/, '')}/${child}`, posix.join(containerPath, child));
      }
    } finally { closeSync(dfd); }
    return;
  }
  if (st.isSymbolicLink()) return entry(pack, { ...header(st, name), type: 'symlink', linkname: readlinkSync(hostPath) });
  if (st.isFIFO()) return entry(pack, { ...header(st, name), type: 'fifo' });
  if (st.isCharacterDevice() || st.isBlockDevice()) {
    return entry(pack, { ...header(st, name), type: st.isCharacterDevice() ? 'character-device' : 'block-device', devmajor: Math.floor(st.rdev / 256) & 0xfff, devminor: (st.rdev & 0xff) | ((st.rdev >> 12) & 0xfff00) });
  }
  if (!st.isFile()) return; // sockets: not in a tar, as with Go's archive/tar
  const fd = openSync(hostPath, constants.O_RDONLY | constants.O_NOFOLLOW);
  const size = fstatSync(fd).size;
  const sink = pack.entry({ ...header(st, name), type: 'file', size });
  // A file that changes while it is read: exactly `size` bytes go out (cut or zero-padded), or the tar would be corrupt.
  let sent = 0;
  const src = size > 0 ? createReadStream('', { fd, start: 0, end: size - 1, highWaterMark: 1 << 20 }) : undefined;
  if (!src) closeSync(fd);
  await pipeline(
    src ?? (async function* () { /* empty */ })(),
    new Transform({
      transform(chunk: Buffer, _enc, cb: TransformCallback) { sent += chunk.length; cb(null, chunk); },
      flush(cb: TransformCallback) { if (sent < size) this.push(Buffer.alloc(size - sent)); cb(); },
    }),
    sink,
  );
}

// ---- tar in ----

export interface ExtractOptions {
  /** Refuse to replace a directory with a non-directory or the reverse (what the docker CLI always asks). */
  noOverwriteDirNonDir: boolean;
  /** copyUIDGID: entries owned by this uid:gid (the container's user) instead of the tar's. */
  chownTo?: { uid: number; gid: number };
  /** tsc-unpack. */
  unpackBinary: string;
  /** ReadonlyRootfs: only these mount destinations (writable volumes and binds) take a copy. */
  readOnlyRootfs?: { writableMounts: readonly string[] };
}

/**
 * PUT /archive: extracts a tar into the directory `path` of the view. The
 * destination is looked up in the root (links followed inside it) and
 * handed to the unpacker as an fd path; the unpacker chroots there.
 */
export async function extractIntoView(view: ContainerView, path: string, ref: string, body: Readable, opts: ExtractOptions): Promise<void> {
  const dest = lookup(view, path, ref, true);
  try {
    if (!dest.st.isDirectory()) throw new ArchiveError(400, 'extraction point is not a directory');
    const ro = opts.readOnlyRootfs;
    if (ro && !ro.writableMounts.some((m) => dest.containerPath === m || dest.containerPath.startsWith(`${m.replace(/\/$/, '')}/`))) {
      throw new ArchiveError(403, 'container rootfs is marked read-only');
    }
    const dfd = openSync(dest.hostPath, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
    try {
      const destDir = `/proc/${process.pid}/fd/${dfd}`;
      await runUnpacker(opts.unpackBinary, destDir, body, (name, type) => checkEntry(destDir, name, type, opts), opts.chownTo);
    } finally { closeSync(dfd); }
  } finally { dest.close(); }
}

/** Per entry, before it reaches the unpacker: what the unpacker would treat as a layer's own (whiteouts), and dir/non-dir overwrites. */
function checkEntry(destDir: string, name: string, type: string, opts: ExtractOptions): void {
  const clean = posix.normalize(name).replace(/^(\.\/)+|^\/+/, '').replace(/\/$/, '');
  const base = posix.basename(clean);
  if (base.startsWith('.wh.')) throw new ArchiveError(400, `tar entry ${JSON.stringify(name)}: names starting with .wh. are overlay whiteouts and cannot be copied into a container`);
  if (!opts.noOverwriteDirNonDir || !clean || clean === '.' || clean.startsWith('../')) return;
  let existing: InRoot | undefined;
  try { existing = lookupInRoot(destDir, clean, false); } catch { return; } // missing (or unreachable): nothing to overwrite
  try {
    const isDir = type === 'directory';
    if (existing.st.isDirectory() && !isDir) throw new ArchiveError(400, `cannot overwrite directory "${existing.containerPath}" with non-directory "${clean}"`);
    if (!existing.st.isDirectory() && isDir) throw new ArchiveError(400, `cannot overwrite non-directory "${existing.containerPath}" with directory "${clean}"`);
  } finally { existing.close(); }
}

/** body → (check, re-pack) → tsc-unpack DEST. The unpacker's own refusal (an entry escaping, a broken tar) is a 400. */
async function runUnpacker(
  binary: string, destDir: string, body: Readable, check: (name: string, type: string) => void, chownTo?: { uid: number; gid: number },
): Promise<void> {
  const child = spawn(binary, [destDir], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => { stderr += b.toString(); });
  child.stdout.resume();
  child.stdin.on('error', () => { /* the unpacker stopped reading: its exit says why */ });
  const exited = new Promise<number>((resolve) => {
    child.on('error', (e) => { stderr += `cannot run the unpacker ${binary}: ${e.message}\n`; resolve(127); });
    child.on('close', (code) => resolve(code ?? 1));
  });
  const extract = tar.extract();
  const pack = tar.pack();
  pack.on('error', () => { /* destroyed after a refusal: the refusal is the answer */ });
  pack.pipe(child.stdin);
  let failure: Error | undefined;
  // The unpacker refused an entry and exited: its stderr says why (below).
  const unpackerExited = new Error('the unpacker exited');
  let finished = false;
  // A refused entry stops the unpacker at once; the rest of the request body is read and dropped so that the answer can still be sent.
  const feeding = new Promise<void>((resolve) => {
    const stop = (e: Error): void => {
      if (failure) return;
      failure = e;
      body.unpipe(extract);
      body.resume();
      extract.destroy();
      pack.destroy();
      child.kill('SIGKILL');
      resolve();
    };
    // An unpacker that exits before the body is read (it refused an entry) must not leave the request hanging.
    void exited.then(() => stop(unpackerExited));
    extract.on('entry', (h, stream, next) => {
      stream.on('error', () => { /* the extract was destroyed: stop() has the reason */ });
      if (failure) { stream.resume(); return; }
      try {
        check(h.name, h.type ?? 'file');
      } catch (e) {
        stop(e as Error);
        return;
      }
      const out: TarHeader = chownTo ? { ...h, uid: chownTo.uid, gid: chownTo.gid, uname: '', gname: '' } : h;
      // A write that fails means the unpacker stopped reading: its exit status and stderr tell why.
      const done = (err?: Error | null): void => { if (err) stop(unpackerExited); else next(); };
      if (h.type === 'file' || h.type === 'contiguous-file' || h.type === undefined) {
        const sink = pack.entry({ ...out, type: 'file' }, done);
        sink.on('error', () => { /* pack destroyed: stop() has the reason */ });
        stream.pipe(sink);
      } else if (h.type === 'directory' || h.type === 'symlink' || h.type === 'link' || h.type === 'fifo' || h.type === 'character-device' || h.type === 'block-device') {
        stream.resume();
        pack.entry(out, done);
      } else {
        stream.resume(); // pax/gnu extension headers are folded in by tar-stream; anything else is skipped
        next();
      }
    });
    extract.on('finish', () => {
      if (failure) return;
      finished = true;
      pack.finalize();
      resolve();
    });
    extract.on('error', (e: Error) => stop(new ArchiveError(400, `the archive could not be read: ${e.message}`)));
    body.on('error', (e: Error) => stop(new ArchiveError(400, `the archive could not be read: ${e.message}`)));
    body.pipe(extract);
  });
  await feeding;
  const code = await exited;
  if (failure && failure !== unpackerExited) {
    if (failure instanceof ArchiveError) throw failure;
    throw new ArchiveError(400, `the archive could not be read: ${failure.message}`);
  }
  if (code === 0 && !finished) throw new ArchiveError(500, 'the unpacker stopped before the end of the archive');
  if (code !== 0) {
    const lines = stderr.trim().split('\n').filter((l) => !l.includes(': warning: '));
    const msg = (lines[lines.length - 1] ?? '').replace(/^tsc-unpack: /, '') || `the unpacker exited with ${code}`;
    if (/Read-only file system/.test(msg)) throw new ArchiveError(403, `container rootfs is marked read-only: ${msg}`);
    throw new ArchiveError(400, `extracting the archive: ${msg}`);
  }
}
