// The volume routes and the volume side of container create/remove, over a
// real volume store in a temp folder (no mounts are made: no container is
// started): Docker's statuses, shapes and messages, malformed input first.

import type http from 'node:http';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContainerManager } from '../../../runtime/containers/container-manager.js';
import { createApiServer } from '../../../runtime/engine/api-server.js';
import { EventBus } from '../../../runtime/engine/event-bus.js';
import { imageProviderOf } from '../../../runtime/engine/image-provider.js';
import { buildRouter } from '../../../runtime/engine/routes/index.js';
import type { EngineServices } from '../../../runtime/engine/services.js';
import { VolumeStore } from '../../../runtime/volumes/index.js';
import { apiCaller, busyboxImages, noMonitor, noRuntime } from './route-harness.js';

const { backend: fakeImages } = busyboxImages({ Volumes: { '/imgvol': {} } });

let dir: string;
let server: http.Server;
let sock: string;
let volumes: VolumeStore;
const events = new EventBus();

const { call, expectError } = apiCaller(() => sock);

const q = (filters: object): string => encodeURIComponent(JSON.stringify(filters));

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tsct-volroutes-'));
  const root = join(dir, 'root');
  volumes = VolumeStore.open({ stateRoot: root, emit: (action, name, attrs) => { events.publish('volume', action, name, attrs); } });
  const containers = new ContainerManager({
    stateRoot: root, images: imageProviderOf(fakeImages), runtimes: { runc: noRuntime }, defaultRuntime: 'runc', monitor: noMonitor, volumes,
    emit: (action, id, attrs) => { events.publish('container', action, id, attrs); },
  });
  const services: EngineServices = {
    containers, images: fakeImages, events, volumes,
    info: { id: 'TEST', root, socketPath: '', defaultRuntime: 'runc', runtimes: { runc: '/usr/sbin/runc' }, startedAt: new Date() },
  };
  server = createApiServer(buildRouter(services));
  sock = join(dir, 'api.sock');
  await new Promise<void>((r) => server.listen(sock, r));
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
  rmSync(dir, { recursive: true, force: true });
});

describe('volume routes: malformed input', () => {
  it('create', async () => {
    await expectError('POST', '/volumes/create', 400, "invalid JSON: Unexpected token 'o', \"not json\" is not valid JSON", 'not json');
    await expectError('POST', '/volumes/create', 400, 'invalid JSON: the volume create body must be a JSON object', '[1]');
    await expectError('POST', '/volumes/create', 400, 'invalid JSON: field Name must be a string', { Name: 5 });
    await expectError('POST', '/volumes/create', 400, 'invalid JSON: field Labels must be an object of strings', { Labels: { a: 1 } });
    await expectError('POST', '/volumes/create', 400, 'invalid JSON: field DriverOpts must be an object of strings', { DriverOpts: ['x'] });
    await expectError('POST', '/volumes/create', 400, 'create a: volume name is too short, names should be at least two alphanumeric characters', { Name: 'a' });
    await expectError('POST', '/volumes/create', 404, 'create vv: error looking up volume plugin nfs: plugin "nfs" not found', { Name: 'vv', Driver: 'nfs' });
  });

  it('list, inspect, remove, prune', async () => {
    await expectError('GET', '/volumes?filters=nope', 400, 'invalid filter: invalid character in filters JSON: nope');
    await expectError('GET', `/volumes?filters=${q({ color: ['red'] })}`, 400, "invalid filter 'color'");
    await expectError('GET', `/volumes?filters=${q({ dangling: ['maybe'] })}`, 400, "invalid filter 'dangling=maybe'");
    await expectError('GET', '/volumes/nope', 404, 'get nope: no such volume');
    await expectError('DELETE', '/volumes/nope', 404, 'get nope: no such volume');
    expect((await call('DELETE', '/volumes/nope?force=1')).status).toBe(204);
    await expectError('POST', `/volumes/prune?filters=${q({ dangling: ['true'] })}`, 400, "invalid filter 'dangling'");
  });
});

describe('volume routes', () => {
  it('create (201), inspect, list with filters, remove (204), events', async () => {
    const created = await call('POST', '/volumes/create', { Name: 'tsctv1', Labels: { team: 'a' } });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ Name: 'tsctv1', Driver: 'local', Scope: 'local', Labels: { team: 'a' }, Mountpoint: join(dir, 'root', 'volumes', 'tsctv1', '_data') });
    expect((await call('GET', '/volumes/tsctv1')).json).toEqual(created.json);
    const listed = (await call('GET', `/volumes?filters=${q({ label: ['team=a'] })}`)).json as { Volumes: Array<{ Name: string }>; Warnings: unknown };
    expect(listed.Volumes.map((v) => v.Name)).toEqual(['tsctv1']);
    expect((await call('DELETE', '/volumes/tsctv1')).status).toBe(204);
    expect(existsSync(join(dir, 'root', 'volumes', 'tsctv1'))).toBe(false);
    expect(events.history(0, Infinity).filter((e) => e.Type === 'volume').map((e) => `${e.Action} ${e.Actor.ID}`)).toEqual(['create tsctv1', 'destroy tsctv1']);
  });

  it('a container references its volumes: 409 while it exists, anonymous ones go with rm -v', async () => {
    await expectError('POST', '/containers/create', 400, 'Duplicate mount point: /x', { Image: 'busybox', HostConfig: { Binds: ['tsctv2:/x', '/tmp:/x'] } });
    await expectError('POST', '/containers/create', 404, 'No such container: nope', { Image: 'busybox', HostConfig: { VolumesFrom: ['nope'] } });
    await expectError('POST', '/containers/create', 400, 'invalid mount config for type "bind": bind source path does not exist: /no/such/dir', { Image: 'busybox', HostConfig: { Mounts: [{ Type: 'bind', Source: '/no/such/dir', Target: '/x' }] } });
    await expectError('POST', '/containers/create', 400, `create a b: "a b" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`, { Image: 'busybox', HostConfig: { Binds: ['a b:/x'] } });
    await expectError('POST', '/containers/create', 400, `invalid volume specification: '/tmp:rel': invalid mount config for type "bind": invalid mount path: 'rel' mount path must be absolute`, { Image: 'busybox', HostConfig: { Binds: ['/tmp:rel'] } });
    await expectError('POST', '/containers/create', 400, `invalid mount config for type "volume": invalid mount path: 'rel' mount path must be absolute`, { Image: 'busybox', HostConfig: { Mounts: [{ Type: 'volume', Source: 'v1', Target: 'rel' }] } });
    await expectError('POST', '/containers/create', 400, `invalid mount path: 'rel' mount path must be absolute`, { Image: 'busybox', HostConfig: { Tmpfs: { 'rel': '' } } });
    expect(volumes.list().Volumes).toEqual([]); // nothing half-made by the refused requests
    const c = await call('POST', '/containers/create', { Image: 'busybox', HostConfig: { Binds: ['tsctv2:/data:ro', '/tmp:/host'], Tmpfs: { '/run': 'size=1m' } } });
    expect(c.status).toBe(201);
    const id = (c.json as { Id: string }).Id;
    const mounts = ((await call('GET', `/containers/${id}/json`)).json as { Mounts: Array<Record<string, unknown>> }).Mounts;
    const anon = mounts.find((m) => m.Destination === '/imgvol')!.Name as string;
    expect(mounts).toEqual([
      { Type: 'volume', Name: 'tsctv2', Source: join(dir, 'root', 'volumes', 'tsctv2', '_data'), Destination: '/data', Driver: 'local', Mode: 'ro', RW: false, Propagation: '' },
      { Type: 'bind', Source: '/tmp', Destination: '/host', Mode: '', RW: true, Propagation: 'rprivate' },
      { Type: 'volume', Name: anon, Source: join(dir, 'root', 'volumes', anon, '_data'), Destination: '/imgvol', Driver: 'local', Mode: '', RW: true, Propagation: '' },
    ]);
    const summary = ((await call('GET', `/containers/json?all=1&filters=${q({ volume: ['tsctv2'] })}`)).json as Array<{ Id: string; Mounts: unknown[] }>);
    expect(summary.map((s) => s.Id)).toEqual([id]);
    await expectError('DELETE', '/volumes/tsctv2', 409, `remove tsctv2: volume is in use - [${id}]`);
    await expectError('DELETE', '/volumes/tsctv2?force=1', 409, `remove tsctv2: volume is in use - [${id}]`);
    const df = (await call('GET', '/system/df')).json as { Volumes: Array<{ Name: string; UsageData: { RefCount: number } }> };
    expect(df.Volumes.find((v) => v.Name === 'tsctv2')!.UsageData.RefCount).toBe(1);
    expect((await call('DELETE', `/containers/${id}?v=1`)).status).toBe(204);
    expect(volumes.has(anon)).toBe(false);
    expect(volumes.has('tsctv2')).toBe(true);
    const pruned = await call('POST', '/v1.41/volumes/prune');
    expect(pruned.json).toEqual({ VolumesDeleted: ['tsctv2'], SpaceReclaimed: 0 });
  });

  it('prune keeps named volumes for API 1.42+ unless all=true', async () => {
    await call('POST', '/volumes/create', { Name: 'tsctv3' });
    expect((await call('POST', '/v1.43/volumes/prune')).json).toEqual({ VolumesDeleted: [], SpaceReclaimed: 0 });
    expect((await call('POST', `/v1.43/volumes/prune?filters=${q({ all: ['true'] })}`)).json).toEqual({ VolumesDeleted: ['tsctv3'], SpaceReclaimed: 0 });
  });
});
