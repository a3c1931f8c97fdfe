// The local side of `tscompose cp`: a tar of a local path (top entry renamed
// as the copy needs), and a tar from the engine extracted into a local
// directory. Entries never leave the destination: names are cleaned, `..`
// that climbs out is refused, and nothing is written through a link that
// an earlier entry or the destination holds.

import { createReadStream, createWriteStream, lstatSync, mkdirSync, readdirSync, readlinkSync, realpathSync, symlinkSync, linkSync, chmodSync, lchownSync, lutimesSync, rmSync, type Stats } from 'node:fs';
import { dirname, join, posix, relative, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { UsageError } from './context.js';

type TarHeader = Parameters<tar.Pack['entry']>[0];

/** Replaces the first path component `from` of a tar name by `to` (docker's RebaseArchiveEntries). */
export function rebaseName(name: string, from: string, to: string): string {
  if (from === to) return name;
  const clean = name.replace(/^\.\//, '');
  if (clean === from || clean === `${from}/`) return clean.replace(from, to);
  if (clean.startsWith(`${from}/`)) return `${to}${clean.slice(from.length)}`;
  return name;
}

export interface PackOptions {
  /** Name of the top entry (`.` for a directory's content). */
  topName: string;
  /** Keep the local owners (`-a`); else entries are root's, as `docker cp` makes them. */
  keepOwners: boolean;
}

/** A tar of a local file or directory (links are stored as links). */
export function packLocal(path: string, opts: PackOptions): Readable {
  const pack = tar.pack();
  const add = async (p: string, st: Stats, name: string): Promise<void> => {
    const h: TarHeader = {
      name, mode: st.mode & 0o7777, mtime: st.mtime, uid: opts.keepOwners ? st.uid : 0, gid: opts.keepOwners ? st.gid : 0, size: 0,
    };
    const entry = (hh: TarHeader): Promise<void> => new Promise((resolve, reject) => { pack.entry(hh, (err) => (err ? reject(err) : resolve())); });
    if (st.isDirectory()) {
      await entry({ ...h, name: name.endsWith('/') ? name : `${name}/`, type: 'directory' });
      for (const child of readdirSync(p).sort()) {
        const cp = join(p, child);
        await add(cp, lstatSync(cp), name === '.' ? child : `${name.replace(/\/$/, '')}/${child}`);
      }
    } else if (st.isSymbolicLink()) {
      await entry({ ...h, type: 'symlink', linkname: readlinkSync(p) });
    } else if (st.isFile()) {
      const sink = pack.entry({ ...h, type: 'file', size: st.size });
      await pipeline(createReadStream(p), sink);
    }
    // fifos, sockets and devices of the local side are not copied (docker cp copies devices only as root: rare, left out)
  };
  (async () => {
    try {
      await add(path, lstatSync(path), opts.topName);
      pack.finalize();
    } catch (err) {
      pack.destroy(err as Error);
    }
  })();
  return pack as unknown as Readable;
}

export interface ExtractOptions {
  /** Rename the top entry (`from` → `to`), for a copy to a new name. */
  rebase?: { from: string; to: string };
  /** Apply the tar's owners (`-a`, as root); else files belong to whoever runs the command. */
  keepOwners: boolean;
}

/** Extracts a tar into the local directory `destDir`. */
export async function extractLocal(src: Readable, destDir: string, opts: ExtractOptions): Promise<void> {
  const root = realpathSync(destDir);
  const extract = tar.extract();
  const dirTimes: Array<{ path: string; mtime: Date }> = [];
  extract.on('entry', (h, stream, next) => {
    const finish = (err?: unknown): void => { if (err) extract.destroy(err as Error); else next(); };
    try {
      let name = h.name;
      if (opts.rebase) name = rebaseName(name, opts.rebase.from, opts.rebase.to);
      const clean = posix.normalize(`/${name}`).slice(1).replace(/\/$/, '');
      if (clean.split('/').includes('..')) throw new UsageError(`refusing tar entry ${JSON.stringify(h.name)}: it climbs out of ${destDir}`);
      const target = clean ? join(root, clean) : root;
      checkNoLinkBetween(root, target);
      if (target !== root) mkdirSync(dirname(target), { recursive: true, mode: 0o755 });
      const own = (): void => { if (opts.keepOwners && process.getuid?.() === 0) lchownSync(target, h.uid ?? 0, h.gid ?? 0); };
      const replaceNonDir = (): void => {
        try { const st = lstatSync(target); if (!st.isDirectory()) rmSync(target, { force: true }); } catch { /* absent */ }
      };
      switch (h.type) {
        case 'directory':
          try { if (!lstatSync(target).isDirectory()) rmSync(target, { force: true }); } catch { /* absent */ }
          mkdirSync(target, { recursive: true, mode: h.mode ?? 0o755 });
          if (h.mode !== undefined) chmodSync(target, h.mode & 0o7777);
          own();
          if (h.mtime) dirTimes.push({ path: target, mtime: h.mtime });
          stream.resume();
          stream.on('end', () => finish());
          return;
        case 'symlink':
          replaceNonDir();
          symlinkSync(h.linkname ?? '', target);
          own();
          stream.resume();
          stream.on('end', () => finish());
          return;
        case 'link': {
          const linkClean = posix.normalize(`/${opts.rebase ? rebaseName(h.linkname ?? '', opts.rebase.from, opts.rebase.to) : h.linkname ?? ''}`).slice(1);
          const linkTarget = join(root, linkClean);
          checkNoLinkBetween(root, linkTarget);
          replaceNonDir();
          linkSync(linkTarget, target);
          stream.resume();
          stream.on('end', () => finish());
          return;
        }
        case 'file':
        case 'contiguous-file':
        case undefined: {
          replaceNonDir();
          // 'wx': a link planted at this name (by nothing we know of) is never written through.
          const out = createWriteStream(target, { flags: 'wx', mode: (h.mode ?? 0o644) & 0o7777 });
          pipeline(stream, out).then(() => {
            chmodSync(target, (h.mode ?? 0o644) & 0o7777);
            own();
            if (h.mtime) lutimesSync(target, h.mtime, h.mtime);
            finish();
          }, finish);
          return;
        }
        default:
          stream.resume();
          stream.on('end', () => finish());
      }
    } catch (err) {
      stream.resume();
      finish(err);
    }
  });
  await pipeline(src, extract);
  for (const d of dirTimes.reverse()) { try { lutimesSync(d.path, d.mtime, d.mtime); } catch { /* cosmetic */ } }
}

/** No existing component between root and target (exclusive) may be a link: writes would land elsewhere. */
function checkNoLinkBetween(root: string, target: string): void {
  const rel = relative(root, dirname(target));
  if (!rel) return;
  let p = root;
  for (const part of rel.split(sep)) {
    p = join(p, part);
    try {
      if (lstatSync(p).isSymbolicLink()) throw new UsageError(`refusing to write ${target}: ${p} is a symbolic link`);
    } catch (err) {
      if (err instanceof UsageError) throw err;
      return; // missing: created as a directory by a later entry or not at all
    }
  }
}
