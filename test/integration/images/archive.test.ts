// docker save / load round trips (our format, skopeo's docker-archive, OCI
// layouts), docker import, and the naming operations around them.
import { execFileSync } from 'node:child_process';
import { createReadStream, createWriteStream, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImageConflictError, ImageNotFoundError, ImageStore, type PullProgress } from '../../../runtime/images/index.js';
import { buildUnpacker, guard, missing } from './helpers/env.js';
import { snapshot } from './helpers/fs-check.js';
import { makeTar, sha256 } from './helpers/tar.js';

const ok = guard(missing({ root: true, programs: ['skopeo', 'umoci'] }));

describe.runIf(ok)('load, save and import', () => {
  let base: string;
  let rootfsTar: Buffer;
  let upperTar: Buffer;

  beforeAll(async () => {
    buildUnpacker();
    base = mkdtempSync(join(tmpdir(), 'tsct-archive-'));
    rootfsTar = await makeTar([
      { name: './', type: 'directory', mode: 0o755 },
      { name: 'bin/', type: 'directory' },
      { name: 'bin/busybox', data: readFileSync('/bin/busybox'), mode: 0o755 },
      { name: 'bin/sh', type: 'symlink', linkname: 'busybox' },
      { name: 'bin/ls', type: 'link', linkname: 'bin/busybox' },
      { name: 'etc/', type: 'directory' },
      { name: 'etc/hostname', data: 'box\n' },
    ]);
    upperTar = await makeTar([{ name: 'etc/.wh.hostname' }, { name: 'srv/', type: 'directory', uid: 33, gid: 33 }, { name: 'srv/index.html', data: '<h1>hi</h1>', uid: 33, gid: 33 }]);
  });

  afterAll(() => {
    if (base) rmSync(base, { recursive: true, force: true });
  });

  const open = (name: string) => ImageStore.open(join(base, name));

  async function saveToFile(store: ImageStore, refs: string[], file: string): Promise<void> {
    await store.save(refs, createWriteStream(file));
  }

  it('imports a gzip rootfs with --change lines (docker import)', async () => {
    const store = await open('import');
    const events: PullProgress[] = [];
    const img = await store.importRootfs(Readable.from([gzipSync(rootfsTar)]), {
      ref: 'tsct/imported:v1',
      changes: ['CMD ["/bin/sh"]', 'ENV A=1 B="two words"', 'WORKDIR /srv', 'EXPOSE 80', 'LABEL org.x=y', 'USER 1000', 'ENTRYPOINT /bin/sh -c', 'VOLUME /data', 'STOPSIGNAL SIGINT'],
      onProgress: (e) => events.push(e),
    });
    expect(img.RepoTags).toEqual(['tsct/imported:v1']);
    expect(img.RootFS.Layers).toEqual([sha256(rootfsTar)]);
    expect(img.Comment).toBe('Imported from -');
    expect(img.Config).toEqual({
      Cmd: ['/bin/sh'],
      Env: ['A=1', 'B=two words'],
      WorkingDir: '/srv',
      ExposedPorts: { '80/tcp': {} },
      Labels: { 'org.x': 'y' },
      User: '1000',
      Entrypoint: ['/bin/sh', '-c', '/bin/sh -c'],
      Volumes: { '/data': {} },
      StopSignal: 'SIGINT',
    });
    expect(events[events.length - 1]).toEqual({ status: img.Id });
    const [dir] = await store.rootfsLayers(img.Id);
    expect(readFileSync(join(dir, 'etc/hostname'), 'utf8')).toBe('box\n');
    expect(store.config('tsct/imported:v1').WorkingDir).toBe('/srv');
    await expect(store.importRootfs(Readable.from([rootfsTar]), { changes: ['RUN rm -rf /'] })).rejects.toThrow('RUN is not a valid change command');
  });

  it('save → load round trip keeps ids, tags and every byte of the layers', async () => {
    const a = await open('rt-a');
    const base1 = await a.importRootfs(Readable.from([rootfsTar]), { ref: 'tsct/base:1' });
    // a two-layer image made by loading a hand-made docker-save archive with a gzip layer
    const cfg = JSON.stringify({ architecture: 'amd64', os: 'linux', created: '2024-05-01T00:00:00Z', config: { Cmd: ['httpd'] }, rootfs: { type: 'layers', diff_ids: [sha256(rootfsTar), sha256(upperTar)] } });
    const archive = await makeTar([
      { name: `${sha256(cfg).slice(7)}.json`, data: cfg },
      { name: 'a/layer.tar', data: rootfsTar },
      { name: 'b/layer.tar', data: gzipSync(upperTar) },
      { name: 'manifest.json', data: JSON.stringify([{ Config: `${sha256(cfg).slice(7)}.json`, RepoTags: ['tsct/web:latest', 'localhost:5000/web:2'], Layers: ['a/layer.tar', 'b/layer.tar'] }]) },
    ]);
    const loadEvents: PullProgress[] = [];
    const [web] = await a.load(Readable.from([archive]), (e) => loadEvents.push(e));
    expect(web.Id).toBe(sha256(cfg));
    expect(web.RepoTags).toEqual(['localhost:5000/web:2', 'tsct/web:latest']);
    expect(loadEvents.filter((e) => e.status.startsWith('Loaded')).map((e) => e.status).sort()).toEqual(['Loaded image: localhost:5000/web:2', 'Loaded image: tsct/web:latest']);
    expect(loadEvents.some((e) => e.status === 'Loading layer')).toBe(true);
    const aDirs = await a.rootfsLayers(web.Id);
    // the base layer is shared with the imported image
    expect(aDirs[0]).toBe((await a.rootfsLayers(base1.Id))[0]);

    const file = join(base, 'save.tar');
    await saveToFile(a, ['tsct/web', base1.Id], file);
    const listing = execFileSync('tar', ['-tf', file], { encoding: 'utf8' }).split('\n').filter(Boolean);
    expect(listing).toEqual(expect.arrayContaining(['manifest.json', 'index.json', 'oci-layout', `blobs/sha256/${web.Id.slice(7)}`, `blobs/sha256/${sha256(upperTar).slice(7)}`]));
    const manifestJson = JSON.parse(execFileSync('tar', ['-xOf', file, 'manifest.json'], { encoding: 'utf8' })) as Array<{ RepoTags: string[] | null }>;
    // by name: its names; by id: none, as docker save
    expect(manifestJson.map((m) => m.RepoTags)).toEqual([['tsct/web:latest'], null]);

    const b = await open('rt-b');
    const loaded = await b.load(createReadStream(file));
    expect(loaded.map((i) => i.Id)).toEqual([web.Id, base1.Id]);
    const bDirs = await b.rootfsLayers(web.Id);
    expect(bDirs.map(snapshot)).toEqual(aDirs.map(snapshot));
    expect(b.inspect('tsct/web')?.Config.Cmd).toEqual(['httpd']);

    // compressed archives load too (docker load accepts gzip)
    const c = await open('rt-c');
    const gz = join(base, 'save.tar.gz');
    writeFileSync(gz, gzipSync(readFileSync(file)));
    expect((await c.load(createReadStream(gz))).map((i) => i.Id)).toEqual([web.Id, base1.Id]);
  });

  it('interoperates with skopeo and umoci (docker-archive and OCI layout)', async () => {
    const a = await open('interop');
    const img = await a.importRootfs(Readable.from([rootfsTar]), { ref: 'tsct/interop:v2' });
    const file = join(base, 'interop.tar');
    await saveToFile(a, ['tsct/interop:v2'], file);
    const layout = join(base, 'interop-layout');
    mkdirSync(layout);
    execFileSync('tar', ['-xf', file, '-C', layout]);
    // our archive is an OCI layout umoci can list and unpack
    expect(execFileSync('umoci', ['ls', '--layout', layout], { encoding: 'utf8' }).trim()).toBe('v2');
    const bundle = join(base, 'interop-bundle');
    execFileSync('umoci', ['unpack', '--image', `${layout}:v2`, bundle], { stdio: 'ignore' });
    expect(readFileSync(join(bundle, 'rootfs/etc/hostname'), 'utf8')).toBe('box\n');
    // and skopeo's docker-archive (real `docker save` format) loads back
    const dockerArchive = join(base, 'skopeo-docker.tar');
    execFileSync('skopeo', ['copy', '-q', `oci:${layout}:v2`, `docker-archive:${dockerArchive}:tsct/from-skopeo:v3`], { stdio: 'ignore' });
    const b = await open('interop-b');
    const [loaded] = await b.load(createReadStream(dockerArchive));
    expect(loaded.RepoTags).toEqual(['tsct/from-skopeo:v3']);
    expect(loaded.RootFS.Layers).toEqual(img.RootFS.Layers);
    // and an OCI layout written by skopeo (gzip layers) as a tar
    const ociDir = join(base, 'skopeo-oci');
    execFileSync('skopeo', ['copy', '-q', '--dest-compress', `oci:${layout}:v2`, `oci:${ociDir}:docker.io/tsct/oci:v4`], { stdio: 'ignore' });
    const ociTar = join(base, 'skopeo-oci.tar');
    execFileSync('tar', ['-cf', ociTar, '-C', ociDir, '.']);
    const [oci] = await b.load(createReadStream(ociTar));
    expect(oci.Id).toBe(loaded.Id); // same config: same image, one more name
    expect(oci.RepoTags).toEqual(['tsct/from-skopeo:v3', 'tsct/oci:v4']);
    expect(oci.RootFS.Layers).toEqual(img.RootFS.Layers);
  });

  it('layers work as overlay lower dirs: whiteouts hide, opaque dirs reset, short links fit', async () => {
    const s = await open('overlay');
    const l1 = await makeTar([{ name: 'etc/motd', data: 'old' }, { name: 'opt/old', data: 'old' }, { name: 'keep', data: 'k' }]);
    const l2 = await makeTar([{ name: 'etc/.wh.motd' }, { name: 'opt/', type: 'directory' }, { name: 'opt/.wh..wh..opq' }, { name: 'opt/new', data: 'new' }]);
    const cfg = JSON.stringify({ architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [sha256(l1), sha256(l2)] } });
    const [img] = await s.load(
      Readable.from([
        await makeTar([
          { name: 'c.json', data: cfg },
          { name: 'l1.tar', data: gzipSync(l1) },
          { name: 'l2.tar', data: l2 },
          { name: 'manifest.json', data: JSON.stringify([{ Config: 'c.json', RepoTags: ['tsct/ovl:1'], Layers: ['l1.tar', 'l2.tar'] }]) },
        ]),
      ]),
    );
    const dirs = await s.rootfsLayers(img.Id);
    const root = join(base, 'overlay');
    const rel = dirs.map((d) => d.slice(root.length + 1));
    expect(rel.every((r) => /^images\/l\/[a-f0-9]{16}$/.test(r))).toBe(true);
    const mnt = join(base, 'ovl-merged');
    for (const d of ['ovl-upper', 'ovl-work', 'ovl-merged']) mkdirSync(join(base, d));
    execFileSync('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${[...rel].reverse().join(':')},upperdir=../ovl-upper,workdir=../ovl-work`, mnt], { cwd: root });
    try {
      expect(readdirSync(mnt).sort()).toEqual(['etc', 'keep', 'opt']);
      expect(readdirSync(join(mnt, 'etc'))).toEqual([]);
      expect(readdirSync(join(mnt, 'opt'))).toEqual(['new']);
    } finally {
      execFileSync('umount', [mnt]);
    }
  });

  it('tags, lookups, rmi conflicts and prune as Docker', async () => {
    const s = await open('names');
    const img = await s.importRootfs(Readable.from([rootfsTar]), { ref: 'tsct/n:1' });
    await s.tag('tsct/n:1', 'tsct/n:2');
    await s.tag(img.Id.slice(7, 19), 'other/name');
    expect(s.inspect('tsct/n:2')?.Id).toBe(img.Id);
    expect(s.inspect('other/name:latest')?.Id).toBe(img.Id);
    expect(s.inspect(img.Id.slice(7, 11))?.Id).toBe(img.Id);
    expect(s.inspect(`sha256:${img.Id.slice(7, 15)}`)?.Id).toBe(img.Id);
    expect(s.inspect('tsct/n:3')).toBeUndefined();
    await expect(s.tag('nope', 'x')).rejects.toBeInstanceOf(ImageNotFoundError);
    await expect(s.tag('tsct/n:1', 'Bad/Name')).rejects.toThrow('invalid reference format: repository name must be lowercase');
    await expect(s.remove(img.Id)).rejects.toThrow(`conflict: unable to delete ${img.Id.slice(7, 19)} (must be forced) - image is referenced in multiple repositories`);
    await expect(s.remove(img.Id)).rejects.toBeInstanceOf(ImageConflictError);
    expect(await s.remove('tsct/n:2')).toEqual({ untagged: ['tsct/n:2'], deleted: [] });

    const inUse = await ImageStore.open(join(base, 'names'), { imageInUse: (id) => (id === img.Id ? { containerId: 'c0ffee'.repeat(10), running: true } : undefined) });
    await expect(inUse.remove(img.Id, { force: true })).rejects.toThrow(/cannot be forced\) - image is being used by running container c0ffeec0ffee/);
    expect((await inUse.prune({ all: true })).ImagesDeleted).toEqual([]);

    const dirs = await s.rootfsLayers(img.Id);
    const res = await s.remove(img.Id, { force: true });
    expect(res.untagged.sort()).toEqual(['other/name:latest', 'tsct/n:1']);
    expect(res.deleted).toEqual([img.Id, sha256(rootfsTar)]);
    expect(readdirSync(join(base, 'names/images/layers'))).toEqual([]);
    expect(dirs).toHaveLength(1);

    // dangling images go with prune; tagged ones stay unless all
    const kept = await s.importRootfs(Readable.from([rootfsTar]), { ref: 'tsct/keep' });
    const dangling = await s.importRootfs(Readable.from([upperTar]), {});
    const pr = await s.prune();
    expect(pr.ImagesDeleted).toContainEqual({ Deleted: dangling.Id });
    expect(pr.SpaceReclaimed).toBeGreaterThan(0);
    expect(s.list().map((i) => i.Id)).toEqual([kept.Id]);
    await pipeline(Readable.from(['']), createWriteStream(join(base, 'noop')));
  });
});
