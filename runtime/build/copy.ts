// COPY and ADD: sources from the build context (or another stage's
// filesystem) into the mounted build state, by the Dockerfile reference's
// rules: a folder's contents (not the folder) are copied, several sources
// or a wildcard need a destination ending in `/`, a missing destination is
// created, a relative one is under WORKDIR, ADD unpacks local tar archives.
//
// Both sides are resolved as a container would see them (runtime/volumes
// in-root: symlinks followed inside the root, never out of it), so neither
// a symlink in the context nor one in the image can make the engine read or
// write a host path. Each source is walked with lstat: links are copied as
// links, never followed.

import { createHash } from 'node:crypto';
import { createReadStream, promises as fsp, type Stats } from 'node:fs';
import { posix } from 'node:path';
import { isIgnored, parseDockerignore, type IgnorePattern } from '../client/dockerignore.js';
import { resolveInRoot, type RootEntry } from '../volumes/in-root.js';
import { BuildError } from './errors.js';

export interface SourceRoot {
  /** A host folder: the extracted context, or a mounted stage. */
  dir: string;
  /** The context's .dockerignore (absent for stages and images). */
  ignore?: readonly IgnorePattern[];
  /** Sources are relative to the context (true) or absolute paths in a filesystem (false). */
  isContext: boolean;
  /** `--from` sources keep their owners unless `--chown`; the context's become root's. */
  keepOwners: boolean;
}

export interface CopyItem {
  /** Host path to read (through an open in-root resolution). */
  src: string;
  /** Path relative to the destination it lands at ('' for a single file copied to a file path). */
  rel: string;
  stat: Stats;
  linkTarget?: string;
}

export interface PlannedSource {
  /** The source as named (after wildcard expansion). */
  name: string;
  kind: 'file' | 'directory' | 'symlink';
  items: CopyItem[];
}

export interface CopyPlan {
  sources: PlannedSource[];
  /** Content hash of everything copied: the cache key part of COPY/ADD. */
  digest: string;
  close(): void;
}

const WILDCARD = /[*?[]/;

/** Walks the sources (expanding wildcards); the result holds open handles until close(). */
export async function planSources(root: SourceRoot, names: readonly string[], instruction: string): Promise<CopyPlan> {
  const open: RootEntry[] = [];
  const close = (): void => { for (const e of open.splice(0)) e.close(); };
  try {
    const expanded: string[] = [];
    for (const raw of names) {
      const clean = cleanSource(raw, root.isContext, instruction);
      if (!WILDCARD.test(clean)) {
        expanded.push(clean);
        continue;
      }
      const re = parseDockerignore(clean.replace(/^\/+/, ''))[0]?.regexp;
      const all = await listAll(root, open);
      const hits = all.filter((p) => re?.test(p));
      if (hits.length === 0) throw new BuildError(`${instruction} failed: no source files were specified (nothing matches ${raw})`);
      expanded.push(...hits.map((h) => (root.isContext ? h : `/${h}`)));
    }
    const sources: PlannedSource[] = [];
    for (const name of expanded) {
      if (root.ignore && name !== '.' && isIgnored(root.ignore, name)) {
        throw new BuildError(`${instruction} failed: file not found in build context or excluded by .dockerignore: stat ${name}: file does not exist`);
      }
      const entry = resolveInRoot(root.dir, name === '.' ? '/' : `/${name}`);
      open.push(entry);
      if (entry.kind === 'missing' || !entry.path) {
        throw new BuildError(root.isContext
          ? `${instruction} failed: file not found in build context or excluded by .dockerignore: stat ${name}: file does not exist`
          : `${instruction} failed: stat ${name}: file does not exist in the source stage or image`);
      }
      const stat = await fsp.stat(entry.path);
      if (stat.isDirectory()) {
        const items: CopyItem[] = [];
        await walk(root, entry.path, name === '.' ? '' : name, '', items);
        sources.push({ name, kind: 'directory', items });
      } else {
        sources.push({ name, kind: 'file', items: [{ src: entry.path, rel: '', stat }] });
      }
    }
    return { sources, digest: await digestOf(sources), close };
  } catch (err) {
    close();
    throw err;
  }
}

function cleanSource(raw: string, isContext: boolean, instruction: string): string {
  const n = posix.normalize(raw.startsWith('/') && isContext ? raw.replace(/^\/+/, '') || '.' : raw);
  if (isContext && (n === '..' || n.startsWith('../'))) throw new BuildError(`${instruction} failed: forbidden path outside the build context: ${raw}`);
  const out = n.replace(/\/+$/, '');
  return out === '' ? (raw.startsWith('/') ? '/' : '.') : out;
}

/** Every path of the context (for wildcards), relative, without the ignored ones. */
async function listAll(root: SourceRoot, open: RootEntry[]): Promise<string[]> {
  const top = resolveInRoot(root.dir, '/');
  open.push(top);
  const out: string[] = [];
  const rec = async (abs: string, rel: string): Promise<void> => {
    for (const name of (await fsp.readdir(abs)).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      const st = await fsp.lstat(`${abs}/${name}`);
      if (!(root.ignore && isIgnored(root.ignore, r))) out.push(r);
      if (st.isDirectory()) await rec(`${abs}/${name}`, r);
    }
  };
  await rec(top.path!, '');
  return out;
}

async function walk(root: SourceRoot, abs: string, ctxRel: string, rel: string, items: CopyItem[]): Promise<void> {
  for (const name of (await fsp.readdir(abs)).sort()) {
    const childCtx = ctxRel ? `${ctxRel}/${name}` : name;
    if (root.ignore && isIgnored(root.ignore, childCtx)) continue;
    const p = `${abs}/${name}`;
    const r = rel ? `${rel}/${name}` : name;
    const st = await fsp.lstat(p);
    if (st.isSymbolicLink()) items.push({ src: p, rel: r, stat: st, linkTarget: await fsp.readlink(p) });
    else if (st.isDirectory()) {
      items.push({ src: p, rel: r, stat: st });
      await walk(root, p, childCtx, r, items);
    } else if (st.isFile()) items.push({ src: p, rel: r, stat: st });
  }
}

async function digestOf(sources: PlannedSource[]): Promise<string> {
  const h = createHash('sha256');
  for (const s of sources) {
    h.update(`source ${s.name} ${s.kind}\n`);
    for (const it of s.items) {
      h.update(`${it.rel}\0${it.stat.mode}\0${it.stat.uid}:${it.stat.gid}\0`);
      if (it.linkTarget !== undefined) h.update(`-> ${it.linkTarget}\n`);
      else if (it.stat.isFile()) {
        for await (const chunk of createReadStream(it.src)) h.update(chunk as Buffer);
        h.update('\n');
      } else h.update('dir\n');
    }
  }
  return h.digest('hex');
}

export interface WriteOptions {
  chown?: { uid: number; gid: number };
  chmod?: number;
  keepOwners: boolean;
}

/** Parent folders resolved in the target root, a few kept open (items come grouped by folder). */
class DirCache {
  private readonly open = new Map<string, RootEntry>();
  constructor(private readonly root: string) {}
  get(dir: string): string {
    const hit = this.open.get(dir);
    if (hit) return hit.path!;
    const e = resolveInRoot(this.root, dir, { create: 'directory' });
    if (e.kind !== 'directory' || !e.path) {
      e.close();
      throw new BuildError(`cannot copy to ${dir}: it exists in the image and is not a folder`);
    }
    if (this.open.size >= 32) {
      const [k, v] = this.open.entries().next().value as [string, RootEntry];
      v.close();
      this.open.delete(k);
    }
    this.open.set(dir, e);
    return e.path;
  }
  closeAll(): void {
    for (const e of this.open.values()) e.close();
    this.open.clear();
  }
}

/** Whether `path` is an existing folder of the mounted state (symlinks followed inside it). */
export function isDirIn(merged: string, path: string): boolean {
  const e = resolveInRoot(merged, path);
  try {
    return e.kind === 'directory';
  } finally {
    e.close();
  }
}

/** Writes one planned item to `target` (a container path) in the mounted state. */
async function writeItem(dirs: DirCache, target: string, item: CopyItem, opts: WriteOptions): Promise<void> {
  const parent = dirs.get(posix.dirname(target));
  const at = `${parent}/${posix.basename(target)}`;
  const existing = await fsp.lstat(at).catch(() => undefined);
  const st = item.stat;
  const uid = opts.chown?.uid ?? (opts.keepOwners ? st.uid : 0);
  const gid = opts.chown?.gid ?? (opts.keepOwners ? st.gid : 0);
  const mode = opts.chmod ?? st.mode & 0o7777;
  if (st.isDirectory()) {
    if (existing && !existing.isDirectory()) await fsp.rm(at, { force: true });
    if (!existing || !existing.isDirectory()) await fsp.mkdir(at, { mode: 0o755 });
    await fsp.chmod(at, mode);
    await fsp.lchown(at, uid, gid);
    await fsp.utimes(at, st.atime, st.mtime);
    return;
  }
  if (existing?.isDirectory()) throw new BuildError(`cannot copy ${item.rel || posix.basename(target)} to ${target}: a folder is there`);
  if (existing) await fsp.rm(at, { force: true });
  if (item.linkTarget !== undefined) {
    await fsp.symlink(item.linkTarget, at);
    await fsp.lchown(at, uid, gid);
    await fsp.lutimes(at, st.atime, st.mtime);
    return;
  }
  await fsp.copyFile(item.src, at);
  await fsp.chmod(at, mode);
  await fsp.lchown(at, uid, gid);
  await fsp.utimes(at, st.atime, st.mtime);
}

/**
 * Copies the planned sources to `dest` (absolute container path; a trailing
 * `/` means a folder) in the mounted state `merged`.
 */
export async function writeSources(merged: string, plan: CopyPlan, dest: string, opts: WriteOptions, instruction: string): Promise<void> {
  const destIsDirNamed = dest.endsWith('/');
  const destPath = posix.normalize(dest).replace(/(.)\/+$/, '$1');
  const many = plan.sources.length > 1;
  if (many && !destIsDirNamed) {
    throw new BuildError(`When using ${instruction} with more than one source file, the destination must be a directory and end with a /`);
  }
  const dirs = new DirCache(merged);
  try {
    for (const source of plan.sources) {
      if (source.kind === 'directory') {
        // The destination folder itself: created when missing, owned like the copied files.
        const created = !isDirIn(merged, destPath);
        dirs.get(destPath);
        if (created && (opts.chown || opts.chmod !== undefined)) {
          const top = dirs.get(posix.dirname(destPath)) + '/' + posix.basename(destPath);
          if (opts.chown) await fsp.lchown(top, opts.chown.uid, opts.chown.gid);
          if (opts.chmod !== undefined) await fsp.chmod(top, opts.chmod);
        }
        for (const item of source.items) await writeItem(dirs, posix.join(destPath, item.rel), item, opts);
        continue;
      }
      const intoDir = destIsDirNamed || many || isDirIn(merged, destPath);
      const target = intoDir ? posix.join(destPath, posix.basename(source.name)) : destPath;
      for (const item of source.items) await writeItem(dirs, target, item, opts);
    }
  } finally {
    dirs.closeAll();
  }
}
