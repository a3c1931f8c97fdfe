import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { VolumeStore } from '../../../runtime/volumes/volume-store.js';
import type { MountHost } from '../../../runtime/volumes/host-mount.js';
import { attachVolumes, detachVolumes } from '../../../runtime/volumes/container-volumes.js';
import { ANONYMOUS_LABEL } from '../../../runtime/volumes/names.js';

class FakeMountHost implements MountHost {
  readonly mounted = new Map<string, string>();
  readonly log: string[] = [];
  async mount(source: string, target: string, fstype: string, options: string): Promise<void> {
    this.log.push(`mount -t ${fstype} -o ${options} ${source} ${target}`);
    this.mounted.set(target, source);
  }
  async unmount(target: string): Promise<void> {
    this.log.push(`umount ${target}`);
    this.mounted.delete(target);
  }
  isMounted(target: string): boolean { return this.mounted.has(target); }
}

let root: string;
let host: FakeMountHost;
const T = '2026-01-02T03:04:05Z';
const open = (): VolumeStore => VolumeStore.open({ stateRoot: root, mountHost: host, now: () => T });

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'tsct-volstore-'));
  host = new FakeMountHost();
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('VolumeStore', () => {
  it('creates a volume in Docker\'s shape, on disk, idempotently', () => {
    const store = open();
    const v = store.create({ Name: 'web_db', Labels: { 'com.docker.compose.project': 'web' } });
    expect(v).toEqual({
      Name: 'web_db', Driver: 'local', Mountpoint: join(root, 'volumes/web_db/_data'), CreatedAt: T,
      Labels: { 'com.docker.compose.project': 'web' }, Scope: 'local', Options: null,
    });
    expect(existsSync(join(root, 'volumes/web_db/_data'))).toBe(true);
    expect(JSON.parse(readFileSync(join(root, 'volumes/web_db/volume.json'), 'utf8')).Name).toBe('web_db');
    expect(store.create({ Name: 'web_db', Labels: { other: '1' } })).toEqual(v);
    expect(readdirSync(join(root, 'volumes'))).toEqual(['web_db']);
  });

  it('gives anonymous volumes a 64-hex name and the anonymous label', () => {
    const v = open().create({});
    expect(v.Name).toMatch(/^[0-9a-f]{64}$/);
    expect(v.Labels).toEqual({ [ANONYMOUS_LABEL]: '' });
  });

  it('rebuilds its view from disk and drops half-made volumes', () => {
    open().create({ Name: 'keep', DriverOpts: { type: 'tmpfs', device: 'tmpfs', o: 'size=1m' } });
    mkdirSync(join(root, 'volumes/.new-x-1234/_data'), { recursive: true });
    mkdirSync(join(root, 'volumes/handmade/_data'), { recursive: true });
    const again = open();
    expect(again.list().Volumes.map((v) => v.Name)).toEqual(['handmade', 'keep']);
    expect(again.inspect('keep').Options).toEqual({ type: 'tmpfs', device: 'tmpfs', o: 'size=1m' });
    expect(existsSync(join(root, 'volumes/.new-x-1234'))).toBe(false);
  });

  it.each([
    [{ Name: 'x y' }, 400, 'create x y: "x y" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path'],
    [{ Name: 'x' }, 400, 'create x: volume name is too short, names should be at least two alphanumeric characters'],
    [{ Name: 'v1', Driver: 'rexray' }, 404, 'create v1: error looking up volume plugin rexray: plugin "rexray" not found'],
    [{ Name: 'v1', DriverOpts: { foo: 'bar' } }, 400, 'create v1: invalid option: "foo"'],
    [{ Name: 'v1', DriverOpts: { type: 'tmpfs' } }, 400, 'create v1: missing required option: "device"'],
    [{ Name: 'v1', DriverOpts: { o: 'bind' } }, 400, 'create v1: missing required option: "device"'],
    [{ Name: 'v1', DriverOpts: { type: 'nfs', device: ':/export', o: 'addr=10.0.0.1' } }, 400, 'create v1: volume type "nfs" is not supported by this engine: the local driver here mounts only type=tmpfs, or type=none with o=bind and device=/host/path'],
    [{ Name: 'v1', DriverOpts: { type: 'none', device: 'rel', o: 'bind' } }, 400, 'create v1: bind device must be an absolute host path, got "rel"'],
  ])('refuses %j', (opts, status, message) => {
    const store = open();
    let caught: { statusCode?: number; message?: string } = {};
    try { store.create(opts); } catch (e) { caught = e as typeof caught; }
    expect(caught.message).toBe(message);
    expect(caught.statusCode).toBe(status);
    expect(store.has('v1')).toBe(false);
  });

  it('lists with filters name, label, dangling, driver', () => {
    const store = open();
    store.create({ Name: 'web_db', Labels: { project: 'web', tier: 'db' } });
    store.create({ Name: 'web_cache', Labels: { project: 'web' } });
    store.create({ Name: 'other' });
    store.use('web_db', 'c1');
    const names = (filters: Record<string, string[]>): string[] => store.list({ filters }).Volumes.map((v) => v.Name);
    expect(names({ name: ['web_'] })).toEqual(['web_cache', 'web_db']);
    expect(names({ name: ['^other$'] })).toEqual(['other']);
    expect(names({ label: ['project=web'] })).toEqual(['web_cache', 'web_db']);
    expect(names({ label: ['project', 'tier=db'] })).toEqual(['web_db']);
    expect(names({ dangling: ['true'] })).toEqual(['other', 'web_cache']);
    expect(names({ dangling: ['0'] })).toEqual(['web_db']);
    expect(names({ driver: ['local'] })).toHaveLength(3);
    expect(store.list().Warnings).toEqual([]);
    expect(() => store.list({ filters: { dangling: ['maybe'] } })).toThrow("invalid filter 'dangling=maybe'");
    expect(() => store.list({ filters: { color: ['red'] } })).toThrow("invalid filter 'color'");
  });

  it('refuses to remove a volume in use, and forgets it after release', async () => {
    const store = open();
    store.create({ Name: 'data' }, 'c1');
    store.use('data', 'c2');
    await expect(store.remove('data')).rejects.toMatchObject({ statusCode: 409, message: 'remove data: volume is in use - [c1, c2]' });
    await expect(store.remove('data', { force: true })).rejects.toMatchObject({ statusCode: 409 });
    expect(open().references('data')).toEqual(['c1', 'c2']);
    store.release('data', 'c1');
    store.release('data', 'c2');
    await store.remove('data');
    expect(store.has('data')).toBe(false);
    expect(readdirSync(join(root, 'volumes'))).toEqual([]);
    await expect(store.remove('data')).rejects.toMatchObject({ statusCode: 404, message: 'get data: no such volume' });
    await expect(store.remove('data', { force: true })).resolves.toBeUndefined();
    expect(() => store.inspect('data')).toThrow('get data: no such volume');
  });

  it('reports usage when asked', () => {
    const store = open();
    store.create({ Name: 'sized' }, 'c1');
    writeFileSync(join(store.path('sized'), 'f'), 'x'.repeat(1000));
    expect(store.inspect('sized', { usage: true }).UsageData).toEqual({ Size: 1000, RefCount: 1 });
    expect(store.inspect('sized').UsageData).toBeUndefined();
  });

  it('prunes unused anonymous volumes, or all unused with all=true, honouring labels', async () => {
    const store = open();
    const anon = store.create({}).Name;
    const anonUsed = store.create({}, 'c1').Name;
    store.create({ Name: 'named', Labels: { keep: 'no' } });
    store.create({ Name: 'kept', Labels: { keep: 'yes' } });
    writeFileSync(join(store.path(anon), 'f'), 'abc');
    expect(await store.prune()).toEqual({ VolumesDeleted: [anon], SpaceReclaimed: 3 });
    expect(await store.prune({ filters: { all: ['true'], 'label!': ['keep=yes'] } })).toEqual({ VolumesDeleted: ['named'], SpaceReclaimed: 0 });
    expect(store.list().Volumes.map((v) => v.Name).sort()).toEqual([anonUsed, 'kept'].sort());
    await expect(store.prune({ filters: { dangling: ['true'] } })).rejects.toThrow("invalid filter 'dangling'");
  });

  it('mounts a tmpfs-backed volume on first use and unmounts after the last', async () => {
    const store = open();
    store.create({ Name: 'fast', DriverOpts: { type: 'tmpfs', device: 'tmpfs', o: 'size=64m,uid=1000' } });
    const data = store.path('fast');
    expect(await store.mount('fast', 'c1')).toBe(data);
    await store.mount('fast', 'c2');
    expect(host.log).toEqual([`mount -t tmpfs -o size=64m,uid=1000 tmpfs ${data}`]);
    await store.unmount('fast', 'c1');
    expect(host.isMounted(data)).toBe(true);
    await store.unmount('fast', 'c2');
    expect(host.isMounted(data)).toBe(false);
    expect(host.log).toHaveLength(2);
  });

  it('binds a host directory for type=none,o=bind, and unmounts before removing', async () => {
    const store = open();
    store.create({ Name: 'hostdir', DriverOpts: { type: 'none', device: '/srv/x', o: 'bind' } });
    await store.mount('hostdir', 'c1');
    expect(host.log).toEqual([`mount -t none -o bind /srv/x ${store.path('hostdir')}`]);
    await store.remove('hostdir');
    expect(host.log[1]).toBe(`umount ${store.path('hostdir')}`);
  });

  it('emits Docker\'s volume events', async () => {
    const events: string[] = [];
    const store = VolumeStore.open({ stateRoot: root, mountHost: host, emit: (a, n, attrs) => events.push(`${a} ${n} ${JSON.stringify(attrs)}`) });
    store.create({ Name: 'ev' });
    store.create({ Name: 'ev' });
    await store.mount('ev', 'c1');
    await store.unmount('ev', 'c1');
    await store.remove('ev');
    expect(events).toEqual([
      'create ev {"driver":"local"}', 'mount ev {"driver":"local","container":"c1"}',
      'unmount ev {"driver":"local","container":"c1"}', 'destroy ev {"driver":"local"}',
    ]);
  });

  it('reconcile drops references of containers that are gone', async () => {
    const store = open();
    store.create({ Name: 'fast', DriverOpts: { type: 'tmpfs', device: 'tmpfs', o: '' } }, 'gone');
    await store.mount('fast', 'gone');
    store.use('fast', 'alive');
    await store.reconcile(new Set(['alive']), new Set());
    expect(store.references('fast')).toEqual(['alive']);
    expect(store.mountedBy('fast')).toEqual([]);
    expect(host.isMounted(store.path('fast'))).toBe(false);
  });
});

describe('attachVolumes / detachVolumes', () => {
  it('creates and references, all or nothing; remove -v takes only anonymous volumes', async () => {
    const store = open();
    const anon = 'a'.repeat(64);
    await attachVolumes(store, { volumes: [{ name: 'named', anonymous: false, create: true }, { name: anon, anonymous: true, create: true }] }, 'c1');
    expect(store.references('named')).toEqual(['c1']);
    expect(store.isAnonymous(anon)).toBe(true);
    await expect(attachVolumes(store, { volumes: [{ name: 'new1', anonymous: false, create: true }, { name: 'missing', anonymous: false, create: false }] }, 'c2'))
      .rejects.toThrow('get missing: no such volume');
    expect(store.has('new1')).toBe(false);
    const removed = await detachVolumes(store, [
      { type: 'volume', destination: '/a', source: '', readOnly: false, propagation: '', nonRecursive: false, volumeName: 'named', copyUp: true, createHostPath: false, origin: 'binds' },
      { type: 'volume', destination: '/b', source: '', readOnly: false, propagation: '', nonRecursive: false, volumeName: anon, copyUp: true, createHostPath: false, origin: 'image' },
    ], 'c1', { removeAnonymous: true });
    expect(removed).toEqual([anon]);
    expect(store.has('named')).toBe(true);
    expect(store.references('named')).toEqual([]);
  });
});
