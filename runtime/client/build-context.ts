// The build context as the docker CLI sends it: a tar of the context folder
// without what .dockerignore leaves out (the Dockerfile and .dockerignore
// always go, the builder needs them), owned by root, symlinks as symlinks.
// A Dockerfile outside the context, or given inline, travels in the tar
// under a generated name, which is then the `dockerfile` to ask for.

import { randomBytes } from 'node:crypto';
import { createReadStream, existsSync, promises as fsp, readFileSync, type Stats } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tarStream, { type Header } from 'tar-stream';

type Headers = Partial<Header> & { name: string };
import { isIgnored, mayReinclude, parseDockerignore, type IgnorePattern } from './dockerignore.js';

export interface BuildContextOptions {
  /** The Dockerfile: relative to the context folder, or absolute; default `Dockerfile`. */
  dockerfile?: string;
  /** The Dockerfile's text instead of a file (compose `dockerfile_inline`). */
  dockerfileInline?: string;
}

export interface PackedContext {
  tar: Readable;
  /** The `dockerfile` to send: its path inside the tar. */
  dockerfile: string;
  /** Resolves with the number of bytes of files packed once the tar is fully written. */
  done: Promise<number>;
}

export class BuildContextError extends Error {}

/** Reads `<dir>/.dockerignore` (or `<Dockerfile>.dockerignore` beside the Dockerfile, as BuildKit and compose do). */
export function readDockerignore(dir: string, dockerfilePath?: string): IgnorePattern[] {
  const candidates = [...(dockerfilePath ? [`${dockerfilePath}.dockerignore`] : []), join(dir, '.dockerignore')];
  for (const c of candidates) {
    if (existsSync(c)) return parseDockerignore(readFileSync(c, 'utf8'));
  }
  return [];
}

export function packBuildContext(contextDir: string, opts: BuildContextOptions = {}): PackedContext {
  const dir = resolve(contextDir);
  if (!existsSync(dir)) throw new BuildContextError(`build context ${dir} does not exist`);
  const pack = tarStream.pack();
  let dockerfile = opts.dockerfile ?? 'Dockerfile';
  let extra: { name: string; data: Buffer } | undefined;
  if (opts.dockerfileInline !== undefined) {
    dockerfile = `.dockerfile.${randomBytes(6).toString('hex')}`;
    extra = { name: dockerfile, data: Buffer.from(opts.dockerfileInline) };
  } else {
    const abs = resolve(dir, dockerfile);
    const rel = relative(dir, abs);
    if (rel.startsWith('..') || rel === '' || resolve(dir, rel) !== abs) {
      if (!existsSync(abs)) throw new BuildContextError(`Dockerfile ${abs} does not exist`);
      dockerfile = `.dockerfile.${randomBytes(6).toString('hex')}`;
      extra = { name: dockerfile, data: readFileSync(abs) };
    } else {
      dockerfile = rel.split(sep).join('/');
      if (!existsSync(abs)) throw new BuildContextError(`Dockerfile ${abs} does not exist (set build.dockerfile, or add one to ${dir})`);
    }
  }
  const patterns = readDockerignore(dir, opts.dockerfileInline === undefined ? resolve(dir, opts.dockerfile ?? 'Dockerfile') : undefined);
  const always = new Set([dockerfile, '.dockerignore']);
  const done = (async () => {
    let bytes = 0;
    const add = async (rel: string, st: Stats, abs: string): Promise<void> => {
      const base = { name: rel, mode: st.mode & 0o7777, mtime: st.mtime, uid: 0, gid: 0 };
      if (st.isDirectory()) {
        await entry(pack, { ...base, type: 'directory' });
      } else if (st.isSymbolicLink()) {
        await entry(pack, { ...base, type: 'symlink', linkname: await fsp.readlink(abs) });
      } else if (st.isFile()) {
        const sink = pack.entry({ ...base, type: 'file', size: st.size });
        await pipeline(createReadStream(abs), sink);
        bytes += st.size;
      }
      // sockets, fifos and devices stay out, as with the docker CLI
    };
    const walk = async (absDir: string, relDir: string): Promise<void> => {
      const names = (await fsp.readdir(absDir)).sort();
      for (const name of names) {
        const abs = join(absDir, name);
        const rel = relDir ? `${relDir}/${name}` : name;
        const st = await fsp.lstat(abs);
        const ignored = !always.has(rel) && isIgnored(patterns, rel);
        if (st.isDirectory()) {
          if (!ignored) await add(rel, st, abs);
          if (!ignored || mayReinclude(patterns, rel)) await walk(abs, rel);
        } else if (!ignored) await add(rel, st, abs);
      }
    };
    try {
      await walk(dir, '');
      if (extra) await entry(pack, { name: extra.name, type: 'file', mode: 0o644, uid: 0, gid: 0, mtime: new Date() }, extra.data);
      pack.finalize();
    } catch (err) {
      pack.destroy(err as Error);
      throw err;
    }
    return bytes;
  })();
  done.catch(() => undefined);
  return { tar: pack as unknown as Readable, dockerfile, done };
}

function entry(pack: tarStream.Pack, header: Headers, data?: Buffer): Promise<void> {
  return new Promise((res, rej) => {
    pack.entry(header, data ?? '', (err) => (err ? rej(err) : res()));
  });
}
