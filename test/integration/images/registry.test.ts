// Pulls from a real registry (Debian's docker-registry) on 127.0.0.1 with
// htpasswd basic auth, through the store's public API.
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DigestMismatchError, ImageStore, RegistryError, type PullProgress } from '../../../runtime/images/index.js';
import { buildUnpacker, guard, missing } from './helpers/env.js';
import { Pusher, startRegistry, type TestRegistry } from './helpers/registry.js';
import { gzip, makeTar, sha256, zstd } from './helpers/tar.js';

const ok = guard(missing({ root: true, programs: ['docker-registry', 'htpasswd', 'zstd'] }));
const compress = (b: Buffer, c: 'gzip' | 'zstd') => (c === 'gzip' ? gzip(b) : zstd(b));
const hostArch = process.arch === 'arm64' ? 'arm64' : 'amd64';
const otherArch = hostArch === 'amd64' ? 'arm64' : 'amd64';

describe.runIf(ok)('pull from a real registry', () => {
  let reg: TestRegistry;
  let push: Pusher;
  let root: string;
  let store: ImageStore;
  let busybox: Buffer;
  let etc: Buffer;
  let upper: Buffer;
  const auth = () => ({ username: reg.user, password: reg.password });

  beforeAll(async () => {
    buildUnpacker();
    reg = await startRegistry();
    push = new Pusher(reg);
    root = mkdtempSync(join(tmpdir(), 'tsct-pull-'));
    store = await ImageStore.open(root);
    busybox = await makeTar([
      { name: 'bin/', type: 'directory' },
      { name: 'bin/busybox', data: readFileSync('/bin/busybox'), mode: 0o755 },
      { name: 'bin/sh', type: 'symlink', linkname: 'busybox' },
    ]);
    etc = await makeTar([
      { name: 'etc/', type: 'directory' },
      { name: 'etc/passwd', data: 'root:x:0:0:root:/root:/bin/sh\n' },
      { name: 'etc/motd', data: 'hello\n' },
      { name: 'tmp/', type: 'directory', mode: 0o1777 },
    ]);
    upper = await makeTar([
      { name: 'etc/.wh.motd' },
      { name: 'opt/', type: 'directory' },
      { name: 'opt/.wh..wh..opq' },
      { name: 'opt/app', data: 'app', mode: 0o4755, uid: 1000, gid: 1000 },
    ]);
  });

  afterAll(async () => {
    await reg?.stop();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('pulls a one-layer OCI image with progress like Docker', async () => {
    const pushed = await push.image('tsct/one', 'v1', [busybox], { compress });
    const events: PullProgress[] = [];
    const img = await store.pull(`${reg.host}/tsct/one:v1`, { auth: auth(), onProgress: (e) => events.push(e) });
    expect(img.Id).toBe(pushed.configDigest);
    expect(img.RepoTags).toEqual([`${reg.host}/tsct/one:v1`]);
    expect(img.RepoDigests).toEqual([`${reg.host}/tsct/one@${pushed.manifestDigest}`]);
    expect(img.Config.Cmd).toEqual(['sh']);
    expect(img.Os).toBe('linux');
    expect(img.RootFS).toEqual({ Type: 'layers', Layers: [sha256(busybox)] });
    const [dir] = await store.rootfsLayers(img.Id);
    expect(lstatSync(join(dir, 'bin/busybox')).mode & 0o777).toBe(0o755);
    expect(lstatSync(join(dir, 'bin/sh')).isSymbolicLink()).toBe(true);
    const id = events.find((e) => e.status === 'Pulling fs layer')!.id!;
    expect(id).toMatch(/^[a-f0-9]{12}$/);
    expect(events[0]).toEqual({ status: 'Pulling from tsct/one', id: 'v1' });
    expect(events.some((e) => e.status === 'Downloading' && e.id === id && typeof e.progressDetail?.current === 'number' && typeof e.progressDetail?.total === 'number')).toBe(true);
    expect(events).toContainEqual({ status: 'Pull complete', id });
    expect(events).toContainEqual({ status: `Digest: ${pushed.manifestDigest}` });
    expect(events[events.length - 1]).toEqual({ status: `Status: Downloaded newer image for ${reg.host}/tsct/one:v1` });

    const again: PullProgress[] = [];
    await store.pull(`${reg.host}/tsct/one:v1`, { auth: auth(), onProgress: (e) => again.push(e) });
    expect(again).toContainEqual({ status: 'Already exists', id });
    expect(again[again.length - 1]).toEqual({ status: `Status: Image is up to date for ${reg.host}/tsct/one:v1` });
  });

  it('pulls a multi-layer Docker schema2 image: whiteouts, opaque dirs, setuid, ownership; shares layers', async () => {
    const pushed = await push.image('tsct/multi', 'latest', [busybox, etc, upper], { compress, docker: true });
    const events: PullProgress[] = [];
    const img = await store.pull(`${reg.host}/tsct/multi`, { auth: auth(), onProgress: (e) => events.push(e) });
    expect(img.Id).toBe(pushed.configDigest);
    // the busybox layer is the same chain as tsct/one's
    expect(events.filter((e) => e.status === 'Already exists')).toHaveLength(1);
    const dirs = await store.rootfsLayers(img.Id);
    expect(dirs).toHaveLength(3);
    const wh = lstatSync(join(dirs[2], 'etc/motd'));
    expect(wh.isCharacterDevice() && wh.rdev === 0).toBe(true);
    const app = lstatSync(join(dirs[2], 'opt/app'));
    expect(app.mode & 0o7777).toBe(0o4755);
    expect([app.uid, app.gid]).toEqual([1000, 1000]);
    expect(lstatSync(join(dirs[1], 'tmp')).mode & 0o7777).toBe(0o1777);
    expect(img.Size).toBe(readFileSync('/bin/busybox').length + 'root:x:0:0:root:/root:/bin/sh\n'.length + 6 + 3);
  });

  it('resolves a manifest list to this host, or to --platform', async () => {
    const a = await push.image('tsct/list', undefined, [busybox], { compress, arch: hostArch });
    const b = await push.image('tsct/list', undefined, [etc], { compress, arch: otherArch });
    const index = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.index.v1+json',
        manifests: [
          { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: b.manifestDigest, size: b.size, platform: { os: 'linux', architecture: otherArch } },
          { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: a.manifestDigest, size: a.size, platform: { os: 'linux', architecture: hostArch } },
        ],
      }),
    );
    const listDigest = await push.manifest('tsct/list', 'multi', index, 'application/vnd.oci.image.index.v1+json');
    const img = await store.pull(`${reg.host}/tsct/list:multi`, { auth: auth() });
    expect(img.Id).toBe(a.configDigest);
    expect(img.RepoDigests).toEqual([`${reg.host}/tsct/list@${listDigest}`]);
    const other = await store.pull(`${reg.host}/tsct/list:multi`, { auth: auth(), platform: `linux/${otherArch}` });
    expect(other.Id).toBe(b.configDigest);
    await expect(store.pull(`${reg.host}/tsct/list:multi`, { auth: auth(), platform: 'linux/s390x' })).rejects.toThrow('no matching manifest for linux/s390x in the manifest list entries');
  });

  it('pulls zstd and uncompressed layers, and by digest', async () => {
    const z = await push.image('tsct/zstd', 'latest', [etc], { compress, compression: 'zstd' });
    const zi = await store.pull(`${reg.host}/tsct/zstd`, { auth: auth() });
    expect(zi.Id).toBe(z.configDigest);
    expect(readFileSync(join((await store.rootfsLayers(zi.Id))[0], 'etc/motd'), 'utf8')).toBe('hello\n');
    const big = await makeTar([{ name: 'big.bin', data: Buffer.alloc(3 << 20, 7) }]);
    const n = await push.image('tsct/plain', 'latest', [big], { compress, compression: 'none' });
    const byDigest = await store.pull(`${reg.host}/tsct/plain@${n.manifestDigest}`, { auth: auth() });
    expect(byDigest.Id).toBe(n.configDigest);
    expect(byDigest.RepoTags).toEqual([]);
    expect(store.inspect(`${reg.host}/tsct/plain@${n.manifestDigest}`)?.Id).toBe(n.configDigest);
  });

  it('wrong password and no credentials are clear 401 errors', async () => {
    await push.image('tsct/secret', 'latest', [etc], { compress });
    const wrong = store.pull(`${reg.host}/tsct/secret`, { auth: { username: reg.user, password: 'nope' } });
    await expect(wrong).rejects.toBeInstanceOf(RegistryError);
    await expect(wrong).rejects.toThrow(/unauthorized: .*the credentials were rejected/);
    const none = ImageStore.open(root).then((s) => s.pull(`${reg.host}/tsct/secret`, {}));
    await expect(none).rejects.toThrow(/unauthorized: .*no credentials were given/);
    await expect(none).rejects.toMatchObject({ httpStatus: 401, statusCode: 401 });
  });

  it('takes credentials from ~/.docker/config.json', async () => {
    const home = mkdtempSync(join(tmpdir(), 'tsct-home-'));
    try {
      mkdirSync(join(home, '.docker'));
      writeFileSync(join(home, '.docker', 'config.json'), JSON.stringify({ auths: { [reg.host]: { auth: Buffer.from(`${reg.user}:${reg.password}`).toString('base64') } } }));
      const s = await ImageStore.open(root, { dockerConfigDir: home });
      const img = await s.pull(`${reg.host}/tsct/secret`);
      expect(img.RepoTags).toEqual([`${reg.host}/tsct/secret:latest`]);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('a tampered blob in the registry is refused, naming the digest, and leaves nothing behind', async () => {
    const layer = await makeTar([{ name: 'victim', data: 'original content' }]);
    const pushed = await push.image('tsct/tamper', 'latest', [layer], { compress });
    const m = JSON.parse(pushed.manifest.toString()) as { layers: Array<{ digest: string }> };
    const digest = m.layers[0].digest;
    const hex = digest.slice(7);
    const data = join(reg.storage, 'docker/registry/v2/blobs/sha256', hex.slice(0, 2), hex, 'data');
    const evil = gzip(await makeTar([{ name: 'victim', data: 'evil content!!!!' }]));
    writeFileSync(data, evil);
    const blobsBefore = readdirSync(join(root, 'images/blobs/sha256')).length;
    const p = store.pull(`${reg.host}/tsct/tamper`, { auth: auth() });
    await expect(p).rejects.toBeInstanceOf(DigestMismatchError);
    await expect(p).rejects.toThrow(digest);
    expect(existsSync(join(root, 'images/blobs/sha256', hex))).toBe(false);
    expect(readdirSync(join(root, 'images/layers')).filter((n) => n.startsWith('tmp-'))).toEqual([]);
    expect(readdirSync(join(root, 'images/ingest'))).toEqual([]);
    expect(store.inspect(`${reg.host}/tsct/tamper`)).toBeUndefined();
    // the manifest and config blobs stay until the next GC, never under a wrong digest
    expect(readdirSync(join(root, 'images/blobs/sha256')).length).toBeGreaterThanOrEqual(blobsBefore);
    // fetch (download only) refuses it the same way
    const f = store.fetch(`${reg.host}/tsct/tamper`, { auth: auth() });
    await expect(f).rejects.toBeInstanceOf(DigestMismatchError);
    await expect(f).rejects.toThrow(digest);
    expect(existsSync(join(root, 'images/blobs/sha256', hex))).toBe(false);
    expect(readdirSync(join(root, 'images/ingest'))).toEqual([]);
  });

  it('fetch stores the verified blobs only; a pull then unpacks them without downloading again', async () => {
    // layers of their own: blobs of the other tests' images are in the store already
    const a = await makeTar([{ name: 'fetch/', type: 'directory' }, { name: 'fetch/a', data: `a ${Math.random()}\n` }]);
    const b = await makeTar([{ name: 'fetch/b', data: `b ${Math.random()}\n` }]);
    const pushed = await push.image('tsct/fetch', 'v1', [a, b], { compress });
    const m = JSON.parse(pushed.manifest.toString()) as { layers: Array<{ digest: string }> };
    const events: PullProgress[] = [];
    const r = await store.fetch(`${reg.host}/tsct/fetch:v1`, { auth: auth(), onProgress: (e) => events.push(e) });
    expect(r).toMatchObject({ manifestDigest: pushed.manifestDigest, configDigest: pushed.configDigest, layers: m.layers.map((l) => l.digest) });
    for (const d of [pushed.manifestDigest, pushed.configDigest, ...r.layers]) expect(existsSync(join(root, 'images/blobs/sha256', d.slice(7)))).toBe(true);
    expect(store.inspect(`${reg.host}/tsct/fetch:v1`)).toBeUndefined();
    expect(events.some((e) => e.status === 'Downloading')).toBe(true);
    expect((await store.fetch(`${reg.host}/tsct/fetch:v1`, { auth: auth() })).downloaded).toBe(0);
    const again: PullProgress[] = [];
    const img = await store.pull(`${reg.host}/tsct/fetch:v1`, { auth: auth(), onProgress: (e) => again.push(e) });
    expect(img.Id).toBe(pushed.configDigest);
    expect(again.some((e) => e.status === 'Downloading')).toBe(false);
    expect(again.filter((e) => e.status === 'Pull complete').length).toBe(2);
    const [, top] = await store.rootfsLayers(img.Id);
    expect(readFileSync(join(top, 'fetch/b'), 'utf8')).toMatch(/^b /);
  });

  it('a reopened store finds its images; remove frees unshared layers only', async () => {
    const reopened = await ImageStore.open(root);
    const names = reopened.list().flatMap((i) => i.RepoTags);
    expect(names).toContain(`${reg.host}/tsct/one:v1`);
    expect(names).toContain(`${reg.host}/tsct/multi:latest`);
    const one = reopened.inspect(`${reg.host}/tsct/one:v1`)!;
    const [base] = await reopened.rootfsLayers(one.Id);
    const res = await reopened.remove(`${reg.host}/tsct/one:v1`);
    expect(res.untagged).toContain(`${reg.host}/tsct/one:v1`);
    expect(res.deleted[0]).toBe(one.Id);
    // the busybox layer is still used by tsct/multi and tsct/list
    expect(existsSync(base)).toBe(true);
    const multi = reopened.inspect(`${reg.host}/tsct/multi`)!;
    const multiDirs = await reopened.rootfsLayers(multi.Id);
    await reopened.remove(multi.Id);
    expect(existsSync(multiDirs[2])).toBe(false);
    const pruned = await reopened.prune({ all: true });
    expect(pruned.ImagesDeleted.length).toBeGreaterThan(0);
    expect(reopened.list()).toEqual([]);
    expect(readdirSync(join(root, 'images/layers'))).toEqual([]);
    expect(readdirSync(join(root, 'images/blobs/sha256'))).toEqual([]);
  });
});
