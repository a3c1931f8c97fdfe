// Every route with malformed input: the exact status and message Docker's
// daemon would give. The services are the real container manager (no
// container is started) over a fake image backend and fake runtime.

import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContainerManager } from '../../../runtime/containers/container-manager.js';
import type { MonitorLauncher } from '../../../runtime/containers/monitor.js';
import type { OciRuntime } from '../../../runtime/containers/oci-runtime.js';
import { createApiServer } from '../../../runtime/engine/api-server.js';
import { EventBus } from '../../../runtime/engine/event-bus.js';
import { imageProviderOf } from '../../../runtime/engine/image-provider.js';
import { buildRouter } from '../../../runtime/engine/routes/index.js';
import type { EngineServices, ImageBackend } from '../../../runtime/engine/services.js';
import { ImageNotFoundError, type ImageRecord } from '../../../runtime/images/index.js';

const IMAGE_ID = 'sha256:' + 'a'.repeat(64);
const record: ImageRecord = {
  Id: IMAGE_ID, RepoTags: ['busybox:latest'], RepoDigests: [], Parent: '', Comment: '', Created: '2024-01-01T00:00:00Z', Author: '', DockerVersion: '',
  Architecture: 'amd64', Os: 'linux', Size: 100, VirtualSize: 100, Config: { Cmd: ['sh'], Env: ['PATH=/bin'], Labels: { 'org.example': 'img' } },
  RootFS: { Type: 'layers', Layers: [] }, Metadata: { LastTagTime: '' },
};
const fakeImages = {
  list: () => [record],
  inspect: (ref: string) => (['busybox', 'busybox:latest', IMAGE_ID, 'aaaa'].includes(ref) ? record : undefined),
  rootfsLayers: async () => ['/nonexistent'],
  config: () => record.Config,
  pull: async (ref: string) => { throw new ImageNotFoundError(ref); },
  tag: async () => {},
  remove: async () => ({ untagged: ['busybox:latest'], deleted: [IMAGE_ID] }),
  prune: async () => ({ ImagesDeleted: [], SpaceReclaimed: 0 }),
  load: async () => { throw Object.assign(new Error('archive has no manifest.json or index.json'), { statusCode: 400 }); },
  save: async () => {},
  importRootfs: async () => record,
} as unknown as ImageBackend;

const noRuntime: OciRuntime = {
  name: 'fake', path: '/bin/false', root: '/nonexistent',
  start: async () => {}, kill: async () => {}, delete: async () => {}, pause: async () => {}, resume: async () => {}, state: async () => undefined,
};
const noMonitor: MonitorLauncher = { kind: 'node', launch: async () => { throw new Error('no containers are started in unit tests'); } };

let dir: string;
let server: http.Server;
let sock: string;

interface Answer { status: number; body: string; json: unknown; headers: http.IncomingHttpHeaders }

function call(method: string, path: string, body?: string | object, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const h: Record<string, string> = { ...headers };
    if (payload !== undefined && !h['Content-Type']) h['Content-Type'] = 'application/json';
    const req = http.request({ socketPath: sock, method, path, headers: h }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => {
        let json: unknown;
        try { json = JSON.parse(text); } catch { json = undefined; }
        resolve({ status: res.statusCode ?? 0, body: text, json, headers: res.headers });
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}

async function expectError(method: string, path: string, status: number, message: string, body?: string | object, headers?: Record<string, string>): Promise<void> {
  const a = await call(method, path, body, headers);
  expect({ status: a.status, json: a.json }).toEqual({ status, json: { message } });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tsct-routes-'));
  const events = new EventBus();
  const containers = new ContainerManager({
    stateRoot: join(dir, 'root'), images: imageProviderOf(fakeImages), runtimes: { runc: noRuntime }, defaultRuntime: 'runc', monitor: noMonitor,
    emit: (action, id, attrs) => { events.publish('container', action, id, attrs); },
  });
  const services: EngineServices = {
    containers, images: fakeImages, events,
    info: { id: 'TEST', root: join(dir, 'root'), socketPath: '', defaultRuntime: 'runc', runtimes: { runc: '/usr/sbin/runc' }, startedAt: new Date() },
  };
  server = createApiServer(buildRouter(services));
  sock = join(dir, 'api.sock');
  await new Promise<void>((r) => server.listen(sock, r));
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
  rmSync(dir, { recursive: true, force: true });
});

describe('routing', () => {
  it('serves versioned and unversioned paths, and refuses unknown ones', async () => {
    expect((await call('GET', '/_ping')).body).toBe('OK');
    expect((await call('GET', '/v1.41/_ping')).status).toBe(200);
    expect((await call('GET', '/v1.30/version')).status).toBe(200);
    expect((await call('GET', '/version')).status).toBe(200);
    const head = await call('HEAD', '/_ping');
    expect(head.headers['api-version']).toBe('1.41');
    expect(head.headers['ostype']).toBe('linux');
    expect(head.headers['docker-experimental']).toBe('false');
    await expectError('GET', '/v1.41/nothing/here', 404, 'page not found');
    await expectError('GET', '/v1.99/version', 400, 'client version 1.99 is too new. Maximum supported API version is 1.51');
    await expectError('GET', '/v1.12/version', 400, 'client version 1.12 is too old. Minimum supported API version is 1.24, please upgrade your client to a newer version');
    await expectError('DELETE', '/v1.41/version', 405, 'method DELETE is not allowed on /version');
  });
});

describe('containers: malformed input', () => {
  it('create', async () => {
    await expectError('POST', '/containers/create', 400, 'config cannot be empty in order to create a container');
    await expectError('POST', '/containers/create', 400, "invalid JSON: Unexpected token 'o', \"not json\" is not valid JSON", 'not json');
    await expectError('POST', '/containers/create', 400, "unsupported Content-Type header (text/plain): must be 'application/json'", '{}', { 'Content-Type': 'text/plain' });
    await expectError('POST', '/containers/create', 400, 'invalid JSON: the container config must be an object', '[1]');
    await expectError('POST', '/containers/create', 400, 'Config.Image must be specified', {});
    await expectError('POST', '/containers/create?name=a%20b', 400, 'Invalid container name (a b), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed', { Image: 'busybox' });
    await expectError('POST', '/containers/create', 404, 'No such image: nope:latest', { Image: 'nope' });
    await expectError('POST', '/containers/create', 400, 'unknown or invalid runtime name: kata (this engine has: runc)', { Image: 'busybox', HostConfig: { Runtime: 'kata' } });
    await expectError('POST', '/containers/create', 400, "invalid restart policy: unknown policy 'sometimes'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'", { Image: 'busybox', HostConfig: { RestartPolicy: { Name: 'sometimes' } } });
    await expectError('POST', '/containers/create', 400, 'conflicting options: cannot specify both --restart and --rm', { Image: 'busybox', HostConfig: { AutoRemove: true, RestartPolicy: { Name: 'always' } } });
    await expectError('POST', '/containers/create', 400, 'invalid mount config for type "bind": bind source path does not exist: /no/such/dir', { Image: 'busybox', HostConfig: { Mounts: [{ Type: 'bind', Source: '/no/such/dir', Target: '/x' }] } });
    await expectError('POST', '/containers/create', 400, 'invalid --security-opt 1: "x=y"', { Image: 'busybox', HostConfig: { SecurityOpt: ['x=y'] } });
  });

  it('create, inspect, list, rename, remove (no start)', async () => {
    const created = await call('POST', '/v1.41/containers/create?name=web', { Image: 'busybox', Labels: { role: 'web' }, Env: ['A=1'] });
    expect(created.status).toBe(201);
    const id = (created.json as { Id: string }).Id;
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    await expectError('POST', '/containers/create?name=web', 409, `Conflict. The container name "/web" is already in use by container "${id}". You have to remove (or rename) that container to be able to reuse that name.`, { Image: 'busybox' });
    const inspect = (await call('GET', '/containers/web/json')).json as Record<string, any>;
    expect(inspect).toMatchObject({ Id: id, Name: '/web', Path: 'sh', Args: [], Image: IMAGE_ID, RestartCount: 0, Driver: 'overlay2' });
    expect(inspect.State).toEqual({ Status: 'created', Running: false, Paused: false, Restarting: false, OOMKilled: false, Dead: false, Pid: 0, ExitCode: 0, Error: '', StartedAt: '0001-01-01T00:00:00Z', FinishedAt: '0001-01-01T00:00:00Z' });
    expect(inspect.Config).toMatchObject({ Image: 'busybox', Env: ['PATH=/bin', 'A=1'], Cmd: ['sh'], Labels: { 'org.example': 'img', role: 'web' }, Hostname: id.slice(0, 12) });
    expect(inspect.HostConfig).toMatchObject({ NetworkMode: 'bridge', Runtime: 'runc' });
    expect((await call('GET', `/containers/${id.slice(0, 6)}/json`)).status).toBe(200);
    expect((await call('GET', '/containers/json')).json).toEqual([]);
    const all = (await call('GET', '/containers/json?all=1')).json as Array<Record<string, unknown>>;
    expect(all).toHaveLength(1);
    expect(all[0]).toMatchObject({ Id: id, Names: ['/web'], Image: 'busybox', ImageID: IMAGE_ID, Command: 'sh', State: 'created', Status: 'Created', Labels: { 'org.example': 'img', role: 'web' } });
    expect((await call('GET', `/containers/json?all=1&filters=${encodeURIComponent('{"label":["role=db"]}')}`)).json).toEqual([]);
    expect(((await call('GET', `/containers/json?all=1&filters=${encodeURIComponent('{"name":{"web":true}}')}`)).json as unknown[]).length).toBe(1);
    await expectError('POST', '/containers/web/rename', 400, 'Neither old nor new names may be empty');
    await expectError('POST', '/containers/web/rename?name=web', 409, 'Renaming a container with the same name as its current name');
    await expectError('POST', '/containers/web/rename?name=bad%2Fname', 400, 'Invalid container name (bad/name), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed');
    expect((await call('POST', '/containers/web/rename?name=web2')).status).toBe(204);
    expect((await call('GET', '/containers/web2/json')).status).toBe(200);
    await expectError('POST', `/containers/${id}/kill`, 409, `Container ${id} is not running`);
    await expectError('POST', `/containers/${id}/pause`, 409, `Container ${id} is not running`);
    await expectError('POST', `/containers/${id}/unpause`, 409, `Container ${id} is not paused`);
    await expectError('GET', `/containers/${id}/top`, 409, `Container ${id} is not running`);
    expect((await call('POST', `/containers/${id}/stop`)).status).toBe(304);
    await expectError('POST', `/containers/${id}/exec`, 400, 'No exec command specified', { Cmd: [] });
    await expectError('POST', `/containers/${id}/exec`, 409, `Container ${id} is not running`, { Cmd: ['ls'] });
    await expectError('GET', '/exec/nope/json', 404, 'No such exec instance: nope');
    await expectError('POST', '/exec/nope/start', 404, 'No such exec instance: nope', {});
    const waited = await call('POST', `/containers/${id}/wait`);
    expect(waited).toMatchObject({ status: 200, json: { StatusCode: 0, Error: null } });
    await expectError('POST', `/containers/${id}/wait?condition=sometime`, 400, 'invalid condition: "sometime"');
    await expectError('GET', `/containers/${id}/logs`, 400, 'Bad parameters: you must choose at least one stream');
    await expectError('GET', `/containers/${id}/logs?stdout=1&tail=many`, 400, 'invalid value for tail: "many"');
    await expectError('GET', `/containers/${id}/logs?stdout=1&since=yesterday`, 400, 'invalid time "yesterday": use unix seconds, RFC 3339 or a duration like 10m');
    const logs = await call('GET', `/containers/${id}/logs?stdout=1&stderr=1`);
    expect(logs.status).toBe(200);
    expect(logs.headers['content-type']).toBe('application/vnd.docker.multiplexed-stream');
    await expectError('POST', `/containers/${id}/stop?t=soon`, 400, 'invalid value for t: strconv.Atoi: parsing "soon": invalid syntax');
    await expectError('POST', `/containers/${id}/kill?signal=SIGNOPE`, 400, 'Invalid signal: SIGNOPE');
    await expectError('DELETE', `/containers/${id}?link=1`, 400, 'Conflict, cannot remove the default link name of the container');
    expect((await call('DELETE', `/containers/${id}`)).status).toBe(204);
    await expectError('GET', `/containers/${id}/json`, 404, `No such container: ${id}`);
  });

  it('every container route answers 404 for an unknown container', async () => {
    const routes: Array<[string, string]> = [
      ['GET', '/containers/ghost/json'], ['POST', '/containers/ghost/start'], ['POST', '/containers/ghost/stop'], ['POST', '/containers/ghost/restart'],
      ['POST', '/containers/ghost/kill'], ['POST', '/containers/ghost/wait'], ['GET', '/containers/ghost/logs?stdout=1'], ['GET', '/containers/ghost/top'],
      ['POST', '/containers/ghost/pause'], ['POST', '/containers/ghost/unpause'], ['POST', '/containers/ghost/rename?name=x'], ['DELETE', '/containers/ghost'],
      ['POST', '/containers/ghost/attach?stream=1&stdout=1'],
    ];
    for (const [m, p] of routes) await expectError(m, p, 404, 'No such container: ghost');
  });

  it('validates list filters', async () => {
    await expectError('GET', '/containers/json?filters=%7Bbad', 400, 'invalid filter: invalid character in filters JSON: {bad');
    await expectError('GET', `/containers/json?filters=${encodeURIComponent('{"colour":["red"]}')}`, 400, "invalid filter 'colour'");
    await expectError('GET', `/containers/json?filters=${encodeURIComponent('{"status":["sleeping"]}')}`, 400, "invalid filter 'status=sleeping'");
    await expectError('GET', `/containers/json?filters=${encodeURIComponent('{"label":"x"}')}`, 400, 'invalid filter: the value of "label" must be a list');
    await expectError('GET', '/containers/json?limit=x', 400, 'invalid value for limit: strconv.Atoi: parsing "x": invalid syntax');
  });
});

describe('images: malformed input', () => {
  it('answers Docker errors', async () => {
    await expectError('POST', '/images/create', 400, 'fromImage or fromSrc is required');
    await expectError('POST', '/images/create?fromSrc=http://example.com/x.tar', 400, 'importing from a URL is not supported: use fromSrc=- and send the tar in the body');
    await expectError('POST', '/images/create?fromImage=nope', 404, 'No such image: nope');
    await expectError('GET', '/images/nope/json', 404, 'No such image: nope');
    await expectError('GET', '/images/127.0.0.1:5000/team/app:v1/json', 404, 'No such image: 127.0.0.1:5000/team/app:v1');
    await expectError('POST', '/images/busybox/tag', 400, 'repository name must have at least one component');
    await expectError('POST', '/images/nope/tag?repo=x', 404, 'No such image: nope');
    await expectError('DELETE', '/images/nope', 404, 'No such image: nope');
    await expectError('GET', '/images/get', 400, 'no images named: use names=IMAGE');
    await expectError('GET', '/images/get?names=nope', 404, 'No such image: nope');
    await expectError('POST', '/images/load', 400, 'archive has no manifest.json or index.json', 'x', { 'Content-Type': 'application/x-tar' });
    await expectError('GET', `/images/json?filters=${encodeURIComponent('{"colour":["red"]}')}`, 400, "invalid filter 'colour'");
    await expectError('POST', `/images/prune?filters=${encodeURIComponent('{"colour":["red"]}')}`, 400, "invalid filter 'colour'");
  });

  it('lists, inspects, tags and removes', async () => {
    const list = (await call('GET', '/images/json')).json as Array<Record<string, unknown>>;
    expect(list[0]).toMatchObject({ Id: IMAGE_ID, RepoTags: ['busybox:latest'], Created: 1704067200, Containers: 0 });
    expect(((await call('GET', '/images/busybox/json')).json as Record<string, unknown>).Id).toBe(IMAGE_ID);
    expect((await call('POST', '/images/busybox/tag?repo=mine&tag=v1')).status).toBe(201);
    expect((await call('DELETE', '/images/busybox')).json).toEqual([{ Untagged: 'busybox:latest' }, { Deleted: IMAGE_ID }]);
    expect((await call('POST', '/images/prune')).json).toEqual({ ImagesDeleted: null, SpaceReclaimed: 0 });
  });
});

describe('system', () => {
  it('version and info', async () => {
    expect((await call('GET', '/version')).json).toMatchObject({ ApiVersion: '1.41', MinAPIVersion: '1.24', Os: 'linux', Platform: { Name: 'tscompose engine' } });
    expect((await call('GET', '/info')).json).toMatchObject({ ID: 'TEST', Images: 1, Driver: 'overlay2', OSType: 'linux', DefaultRuntime: 'runc', LoggingDriver: 'json-file' });
  });

  it('events: bad filters and times', async () => {
    await expectError('GET', `/events?filters=${encodeURIComponent('{"colour":["red"]}')}`, 400, "invalid filter 'colour'");
    await expectError('GET', '/events?since=20&until=10', 400, '`since` time cannot be after `until` time');
    const past = await call('GET', `/events?since=0&until=${(Date.now() / 1000).toFixed(3)}&filters=${encodeURIComponent('{"type":["container"]}')}`);
    expect(past.status).toBe(200);
    const actions = past.body.split('\n').filter(Boolean).map((l) => JSON.parse(l).Action);
    expect(actions).toEqual(['create', 'rename', 'destroy']);
  });

  it('auth needs credentials', async () => {
    await expectError('POST', '/auth', 400, 'username and password are required', {});
  });
});
