// make-image.ts — turns a root filesystem directory into a `docker save`
// archive that `docker load`, `tscompose`'s engine (images/load) and skopeo
// (docker-archive:) accept.
//
//   node --import tsx examples/images/make-image.ts [--cache DIR] [--force] all|NAME...
//
// NAME is a row of images.ts (`guestbook-web`, `mariadb`, ...). Its rootfs
// must exist (build-rootfs.sh makes it; build-all.sh runs both steps). The
// archive has the classic docker-save layout:
//
//   manifest.json   [{Config, RepoTags, Layers}]
//   repositories    {"repo": {"tag": "<top layer id>"}}
//   <config hex>.json
//   <layer id>/layer.tar, /json, /VERSION      (one per layer)
//
// Layer 1 is the rootfs, layer 2 the files of this repository (the app, an
// entrypoint). Entries are sorted and keep their mtimes, so the same rootfs
// gives the same layer digest: the web and queue images share their base.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, promises as fsp, readFileSync, type Stats } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { Transform } from 'node:stream';
import tar, { type Header } from 'tar-stream';
import { IMAGES, findImage, type ExtraEntry, type ImageSpec } from './images.js';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const DEFAULT_CACHE = process.env.TSCOMPOSE_EXAMPLES_CACHE ?? '/var/cache/tscompose-examples';
/** Bump when the archive layout or the layer encoding changes. */
const FORMAT_VERSION = '1';
/** Files debootstrap or our scripts leave that no image should carry. */
const SKIP_TOP = new Set(['.tscompose-ok']);
/** Kernel-provided trees: the runtime mounts them, the image has them empty. */
const EMPTY_DIRS = new Set(['dev', 'proc', 'sys']);

export class MakeImageError extends Error {
  override name = 'MakeImageError';
}

interface Owner { uid: number; gid: number }

/** Resolves `name`, `uid` or `uid:gid` against the rootfs's passwd and group files. */
export function resolveOwner(rootfs: string, spec: string): Owner {
  const [user, group] = spec.split(':');
  const passwd = readFileSync(path.join(rootfs, 'etc/passwd'), 'utf8').split('\n').map((l) => l.split(':'));
  let uid: number; let gid: number;
  if (/^\d+$/.test(user)) {
    uid = Number(user);
    const row = passwd.find((f) => f[2] === user);
    gid = row ? Number(row[3]) : uid;
  } else {
    const row = passwd.find((f) => f[0] === user);
    if (!row) throw new MakeImageError(`user "${user}" is not in ${rootfs}/etc/passwd: add the package that creates it to build-rootfs.sh, or use a uid`);
    uid = Number(row[2]); gid = Number(row[3]);
  }
  if (group !== undefined) {
    if (/^\d+$/.test(group)) gid = Number(group);
    else {
      const groups = readFileSync(path.join(rootfs, 'etc/group'), 'utf8').split('\n').map((l) => l.split(':'));
      const g = groups.find((f) => f[0] === group);
      if (!g) throw new MakeImageError(`group "${group}" is not in ${rootfs}/etc/group`);
      gid = Number(g[2]);
    }
  }
  return { uid, gid };
}

/** One file system entry to put in a layer, in archive order. */
interface Item { name: string; abs?: string; st: Stats | null; extra?: ExtraEntry & Owner }

async function* walk(dir: string, rel: string, top: boolean): AsyncGenerator<Item> {
  const names = (await fsp.readdir(dir)).sort();
  for (const n of names) {
    if (top && SKIP_TOP.has(n)) continue;
    const abs = path.join(dir, n);
    const name = rel ? `${rel}/${n}` : n;
    const st = await fsp.lstat(abs);
    yield { name, abs, st };
    if (st.isDirectory() && !(top && EMPTY_DIRS.has(n))) yield* walk(abs, name, false);
  }
}

/** Writes one layer tar to `out`; returns its sha256 (the diff id). */
async function writeLayer(items: AsyncIterable<Item>, out: string): Promise<{ diffId: string; size: number }> {
  const pack = tar.pack();
  const hash = createHash('sha256');
  let size = 0;
  const sink = createWriteStream(out);
  const hasher = new Transform({
    transform(chunk: Buffer, _enc, cb) { hash.update(chunk); size += chunk.length; cb(null, chunk); },
  });
  const done = pipeline(pack, hasher, sink);
  const inodes = new Map<string, string>();
  const put = (header: Partial<Header> & { name: string }) => new Promise<void>((resolve, reject) => {
    pack.entry(header, (err) => (err ? reject(err) : resolve()));
  });
  try {
    for await (const it of items) {
      if (it.extra) {
        const e = it.extra;
        const base = { name: it.name, uid: e.uid, gid: e.gid, mtime: new Date(0) };
        if (e.type === 'directory') await put({ ...base, name: `${it.name}/`, type: 'directory', mode: e.mode ?? 0o755 });
        else await put({ ...base, type: 'symlink', linkname: e.target, mode: 0o777 });
        continue;
      }
      const st = it.st!;
      const base = { name: it.name, uid: st.uid, gid: st.gid, mode: st.mode & 0o7777, mtime: st.mtime };
      if (st.isDirectory()) await put({ ...base, name: `${it.name}/`, type: 'directory' });
      else if (st.isSymbolicLink()) await put({ ...base, type: 'symlink', linkname: await fsp.readlink(it.abs!) });
      else if (st.isFile()) {
        const key = `${st.dev}:${st.ino}`;
        const first = st.nlink > 1 ? inodes.get(key) : undefined;
        if (first) { await put({ ...base, type: 'link', linkname: first }); continue; }
        if (st.nlink > 1) inodes.set(key, it.name);
        await new Promise<void>((resolve, reject) => {
          const entry = pack.entry({ ...base, type: 'file', size: st.size }, (err) => (err ? reject(err) : resolve()));
          createReadStream(it.abs!).on('error', reject).pipe(entry);
        });
      }
      // Devices, sockets and fifos are left out, as in images Docker builds.
    }
    pack.finalize();
  } catch (err) {
    pack.destroy(err as Error);
    await done.catch(() => undefined);
    throw err;
  }
  await done;
  return { diffId: `sha256:${hash.digest('hex')}`, size };
}

/** Items for a repository file or directory placed at `to` in the image, with its parent dirs. */
async function* addItems(spec: ImageSpec): AsyncGenerator<Item> {
  const emitted = new Set<string>();
  const parents = async function* (rel: string): AsyncGenerator<Item> {
    const parts = rel.split('/').slice(0, -1);
    for (let i = 1; i <= parts.length; i++) {
      const p = parts.slice(0, i).join('/');
      if (emitted.has(p)) continue;
      emitted.add(p);
      yield { name: p, st: null, extra: { path: `/${p}`, type: 'directory', uid: 0, gid: 0, mode: 0o755 } };
    }
  };
  for (const a of spec.add ?? []) {
    const from = path.join(REPO_ROOT, a.from);
    const to = a.to.replace(/^\/+/, '');
    const st = await fsp.lstat(from).catch(() => null);
    if (!st) throw new MakeImageError(`${spec.ref}: "${a.from}" does not exist in the repository (images.ts add)`);
    yield* parents(to);
    // Files from the repository belong to root and are world-readable, like COPY.
    const own = (s: Stats, mode?: number): Stats => Object.assign(Object.create(Object.getPrototypeOf(s)), s, {
      uid: 0, gid: 0, mode: (s.mode & ~0o7777) | (mode ?? (s.isDirectory() || s.mode & 0o111 ? 0o755 : 0o644)),
    });
    yield { name: to, abs: from, st: own(st, a.mode) };
    if (st.isDirectory()) {
      for await (const it of walk(from, to, false)) {
        if (it.name.split('/').includes('node_modules')) continue;
        yield { ...it, st: own(it.st!) };
      }
    }
  }
}

async function* extraItems(spec: ImageSpec, rootfs: string): AsyncGenerator<Item> {
  for (const e of spec.extra ?? []) {
    const owner = e.owner ? resolveOwner(rootfs, e.owner) : { uid: 0, gid: 0 };
    yield { name: e.path.replace(/^\/+/, ''), st: null, extra: { ...e, ...owner } };
  }
}

async function* concat<T>(...gens: AsyncIterable<T>[]): AsyncGenerator<T> {
  for (const g of gens) yield* g;
}

async function hashInputs(spec: ImageSpec, rootfs: string): Promise<string> {
  const h = createHash('sha256');
  h.update(FORMAT_VERSION);
  h.update(JSON.stringify(spec));
  h.update(readFileSync(path.join(rootfs, '.tscompose-ok')));
  for (const a of spec.add ?? []) {
    const from = path.join(REPO_ROOT, a.from);
    const files = (await fsp.stat(from)).isDirectory()
      ? (await fsp.readdir(from, { recursive: true })).map((f) => path.join(from, String(f))).sort()
      : [from];
    for (const f of files) {
      if (f.includes('node_modules') || !(await fsp.stat(f)).isFile()) continue;
      h.update(path.relative(REPO_ROOT, f)); h.update(readFileSync(f));
    }
  }
  return h.digest('hex');
}

export interface MadeImage { ref: string; archive: string; size: number; cached: boolean; seconds: number }

/** Builds one archive unless an up-to-date one is already in `<cache>/archives`. */
export async function makeImage(spec: ImageSpec, cache = DEFAULT_CACHE, force = false): Promise<MadeImage> {
  const t0 = Date.now();
  const rootfs = path.join(cache, 'rootfs', spec.rootfs);
  if (!existsSync(path.join(rootfs, '.tscompose-ok'))) {
    throw new MakeImageError(`${spec.ref}: rootfs ${rootfs} is missing; run examples/images/build-rootfs.sh ${spec.rootfs} (or build-all.sh)`);
  }
  const archivesDir = path.join(cache, 'archives');
  await fsp.mkdir(archivesDir, { recursive: true });
  const archive = path.join(archivesDir, spec.archive);
  const key = await hashInputs(spec, rootfs);
  const keyFile = `${archive}.inputs`;
  if (!force && existsSync(archive) && existsSync(keyFile) && readFileSync(keyFile, 'utf8') === key) {
    return { ref: spec.ref, archive, size: (await fsp.stat(archive)).size, cached: true, seconds: (Date.now() - t0) / 1000 };
  }

  const work = await fsp.mkdtemp(path.join(archivesDir, '.work-'));
  try {
    const layers: Array<{ file: string; diffId: string; size: number; createdBy: string }> = [];
    const baseFile = path.join(work, 'base.tar');
    const base = await writeLayer(walk(rootfs, '', true), baseFile);
    layers.push({ file: baseFile, ...base, createdBy: `build-rootfs.sh ${spec.rootfs} (debootstrap --variant=minbase bookworm)` });
    if (spec.add?.length || spec.extra?.length) {
      const file = path.join(work, 'add.tar');
      const l = await writeLayer(concat(addItems(spec), extraItems(spec, rootfs)), file);
      const what = [...(spec.add ?? []).map((a) => `COPY ${a.from} ${a.to}`), ...(spec.extra ?? []).map((e) => `${e.type} ${e.path}`)];
      layers.push({ file, ...l, createdBy: what.join('; ') });
    }

    const c = spec.config;
    // The rootfs's build time, so rebuilding from the same cache gives the same image id.
    const created = new Date((await fsp.stat(path.join(rootfs, '.tscompose-ok'))).mtimeMs).toISOString();
    const config = {
      architecture: goArch(process.arch),
      os: 'linux',
      created,
      config: {
        ...(spec.user ? { User: ((o) => `${o.uid}:${o.gid}`)(resolveOwner(rootfs, spec.user)) } : {}),
        Env: c.Env ?? [],
        ...(c.Entrypoint ? { Entrypoint: c.Entrypoint } : {}),
        Cmd: c.Cmd ?? null,
        WorkingDir: c.WorkingDir ?? '',
        ...(c.ExposedPorts ? { ExposedPorts: Object.fromEntries(c.ExposedPorts.map((p) => [p, {}])) } : {}),
        ...(c.Volumes ? { Volumes: Object.fromEntries(c.Volumes.map((v) => [v, {}])) } : {}),
        ...(c.StopSignal ? { StopSignal: c.StopSignal } : {}),
        ...(c.Healthcheck ? { Healthcheck: c.Healthcheck } : {}),
        Labels: c.Labels ?? null,
      },
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
      history: layers.map((l) => ({ created, created_by: l.createdBy, comment: 'tscompose examples/images' })),
    };
    const configJson = Buffer.from(JSON.stringify(config));
    const configHex = createHash('sha256').update(configJson).digest('hex');

    // Legacy v1 layer ids: a chain of sha256s, so each id names its parents too.
    const ids: string[] = [];
    layers.forEach((l, i) => {
      ids.push(createHash('sha256').update(`${i ? ids[i - 1] : ''}\n${l.diffId}`).digest('hex'));
    });
    const [repo, tag] = splitRef(spec.ref);
    const manifest = [{ Config: `${configHex}.json`, RepoTags: [spec.ref], Layers: ids.map((id) => `${id}/layer.tar`) }];
    const repositories = { [repo]: { [tag]: ids[ids.length - 1] } };

    const tmpArchive = path.join(work, 'image.tar');
    const pack = tar.pack();
    const done = pipeline(pack, createWriteStream(tmpArchive));
    const epoch = new Date(created);
    const putBuf = (name: string, body: Buffer) => new Promise<void>((res, rej) => {
      pack.entry({ name, mode: 0o644, mtime: epoch }, body, (e) => (e ? rej(e) : res()));
    });
    for (let i = 0; i < layers.length; i++) {
      const l = layers[i];
      await new Promise<void>((res, rej) => pack.entry({ name: `${ids[i]}/`, type: 'directory', mode: 0o755, mtime: epoch }, (e) => (e ? rej(e) : res())));
      await putBuf(`${ids[i]}/VERSION`, Buffer.from('1.0'));
      await putBuf(`${ids[i]}/json`, Buffer.from(JSON.stringify({ id: ids[i], ...(i ? { parent: ids[i - 1] } : {}), created, os: 'linux' })));
      await new Promise<void>((res, rej) => {
        const entry = pack.entry({ name: `${ids[i]}/layer.tar`, size: l.size, mode: 0o644, mtime: epoch }, (e) => (e ? rej(e) : res()));
        createReadStream(l.file).on('error', rej).pipe(entry);
      });
    }
    await putBuf(`${configHex}.json`, configJson);
    await putBuf('manifest.json', Buffer.from(JSON.stringify(manifest)));
    await putBuf('repositories', Buffer.from(JSON.stringify(repositories)));
    pack.finalize();
    await done;
    await fsp.rename(tmpArchive, archive);
    await fsp.writeFile(keyFile, key);
    return { ref: spec.ref, archive, size: (await fsp.stat(archive)).size, cached: false, seconds: (Date.now() - t0) / 1000 };
  } finally {
    await fsp.rm(work, { recursive: true, force: true });
  }
}

function splitRef(ref: string): [string, string] {
  const i = ref.lastIndexOf(':');
  return i > ref.lastIndexOf('/') ? [ref.slice(0, i), ref.slice(i + 1)] : [ref, 'latest'];
}

function goArch(a: string): string {
  return ({ x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x' } as Record<string, string>)[a] ?? a;
}

async function main(argv: string[]): Promise<number> {
  let cache = DEFAULT_CACHE; let force = false;
  const names: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--cache') cache = argv[++i];
    else if (a === '--force') force = true;
    else if (a === '-h' || a === '--help') {
      console.log(`usage: make-image.ts [--cache DIR] [--force] all|NAME...\nimages: ${IMAGES.map((i) => i.ref).join(', ')}`);
      return 0;
    } else names.push(a);
  }
  const specs = names.length === 0 || names.includes('all') ? [...IMAGES] : names.map((n) => {
    const s = findImage(n);
    if (!s) throw new MakeImageError(`no example image "${n}"; known: ${IMAGES.map((i) => i.ref).join(', ')}`);
    return s;
  });
  for (const s of specs) {
    const r = await makeImage(s, cache, force);
    const mib = (r.size / 1048576).toFixed(1);
    console.log(`${r.ref.padEnd(36)} ${`${mib} MiB`.padStart(10)}  ${r.cached ? 'cached' : `built in ${r.seconds.toFixed(1)}s`}  ${r.archive}`);
  }
  return 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then((c) => process.exit(c), (err: unknown) => {
    console.error(err instanceof MakeImageError ? `make-image: ${err.message}` : err);
    process.exit(1);
  });
}
