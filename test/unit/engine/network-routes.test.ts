// The /networks routes and the network side of container create, over a real
// NetworkManager whose kernel is recorded (RecordingNetlink, no firewall): no
// bridge is made and no container is started. Docker's statuses, shapes and
// messages, malformed input first.

import type http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpEngineClient } from '../../../runtime/client/http-engine-client.js';
import { ContainerManager } from '../../../runtime/containers/container-manager.js';
import { ContainerNetworking } from '../../../runtime/containers/container-network.js';
import { createApiServer } from '../../../runtime/engine/api-server.js';
import { addressPoolsFromEnv, parseAddressPool } from '../../../runtime/engine/engine.js';
import { EventBus } from '../../../runtime/engine/event-bus.js';
import { imageProviderOf } from '../../../runtime/engine/image-provider.js';
import { parseEngineArgs } from '../../../runtime/engine/launcher.js';
import { buildRouter } from '../../../runtime/engine/routes/index.js';
import type { EngineServices } from '../../../runtime/engine/services.js';
import { NetworkManager, PortProxy, RecordingNetlink } from '../../../runtime/networks/index.js';
import { apiCaller, busyboxImages, noMonitor, noRuntime } from './route-harness.js';

const { backend: fakeImages } = busyboxImages({ ExposedPorts: { '80/tcp': {} } });

let dir: string;
let server: http.Server;
let sock: string;
let networks: NetworkManager;
const events = new EventBus();

const { call, expectError } = apiCaller(() => sock);

const q = (filters: object): string => encodeURIComponent(JSON.stringify(filters));

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tsct-netroutes-'));
  const root = join(dir, 'root');
  networks = new NetworkManager({
    root, pools: [{ base: '10.213.0.0/16', size: 24 }], linkPrefix: 'tsctu', hostLockPath: join(dir, 'ipam.lock'), mtu: 1500,
    hostResolvConf: () => 'nameserver 10.0.0.53\n', ipv6Available: () => false, warn: () => {},
  }, new RecordingNetlink(), null);
  await networks.load();
  const containers = new ContainerManager({
    stateRoot: root, images: imageProviderOf(fakeImages), runtimes: { runc: noRuntime }, defaultRuntime: 'runc', monitor: noMonitor,
    networking: new ContainerNetworking(networks, new PortProxy()),
    emit: (action, id, attrs) => { events.publish('container', action, id, attrs); },
  });
  const services: EngineServices = {
    containers, images: fakeImages, events, networks,
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

describe('networks: malformed input', () => {
  it('create refuses bodies that are not a network config', async () => {
    await expectError('POST', '/networks/create', 400, 'network create: the request body is empty');
    await expectError('POST', '/networks/create', 400, 'network create: the request body must be a JSON object', '[1]');
    const bad = await call('POST', '/networks/create', '{');
    expect(bad.status).toBe(400);
    expect((bad.json as { message: string }).message).toMatch(/^invalid JSON: /);
    await expectError('POST', '/networks/create', 400, 'network name is required', {});
    await expectError('POST', '/networks/create', 400, 'invalid Name: expected a string', { Name: 5 });
    await expectError('POST', '/networks/create', 400, 'invalid Internal: expected a boolean', { Name: 'x', Internal: 'yes' });
    await expectError('POST', '/networks/create', 400, 'invalid Labels: expected an object of strings', { Name: 'x', Labels: { a: 1 } });
    await expectError('POST', '/networks/create', 400, 'invalid IPAM.Config: expected a list of objects', { Name: 'x', IPAM: { Config: {} } });
    await expectError('POST', '/networks/create', 400, 'invalid IPAM.Config Subnet: expected a string', { Name: 'x', IPAM: { Config: [{ Subnet: 10 }] } });
    await expectError('POST', '/networks/create', 400, 'invalid network name "bad name": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed', { Name: 'bad name' });
    await expectError('POST', '/networks/create', 400, 'network driver "overlay" is not supported: use bridge (the default)', { Name: 'x', Driver: 'overlay' });
    await expectError('POST', '/networks/create', 409, 'only one instance of "host" network is allowed', { Name: 'x', Driver: 'host' });
  });

  it('connect and disconnect refuse bodies without a container', async () => {
    await expectError('POST', '/networks/bridge/connect', 400, 'network connect: the request body is empty');
    await expectError('POST', '/networks/bridge/connect', 400, 'network connect: Container must name a container', {});
    await expectError('POST', '/networks/bridge/connect', 400, 'network connect: EndpointConfig must be an object', { Container: 'x', EndpointConfig: [] });
    await expectError('POST', '/networks/bridge/connect', 400, 'network connect: EndpointConfig.Aliases must be a list of strings', { Container: 'x', EndpointConfig: { Aliases: 'a' } });
    await expectError('POST', '/networks/bridge/connect', 404, 'No such container: nope', { Container: 'nope' });
    await expectError('POST', '/networks/nonet/connect', 404, 'network nonet not found', { Container: 'x' });
    await expectError('POST', '/networks/bridge/disconnect', 400, 'network disconnect: Force must be a boolean', { Container: 'x', Force: 'yes' });
    await expectError('POST', '/networks/bridge/disconnect', 404, 'No such container: nope', { Container: 'nope' });
  });

  it('inspect, remove and list answer Docker\'s errors', async () => {
    await expectError('GET', '/networks/nonet', 404, 'network nonet not found');
    await expectError('DELETE', '/networks/nonet', 404, 'network nonet not found');
    await expectError('DELETE', '/networks/bridge', 403, 'bridge is a pre-defined network and cannot be removed');
    await expectError('DELETE', '/networks/none', 403, 'none is a pre-defined network and cannot be removed');
    await expectError('GET', `/networks?filters=${q({ color: ['red'] })}`, 400, "invalid filter 'color'");
    await expectError('GET', '/networks?filters=nojson', 400, 'invalid filter: invalid character in filters JSON: nojson');
    await expectError('POST', `/networks/prune?filters=${q({ driver: ['bridge'] })}`, 400, "invalid filter 'driver'");
  });
});

describe('networks: create, list, inspect, remove, prune', () => {
  it('has the predefined networks', async () => {
    const list = (await call('GET', '/networks')).json as Array<{ Name: string; Driver: string }>;
    expect(list.map((n) => `${n.Name}/${n.Driver}`).sort()).toEqual(['bridge/bridge', 'host/host', 'none/null']);
  });

  it('creates, finds by name, id and id prefix, filters, refuses duplicates, removes', async () => {
    const created = await call('POST', '/networks/create', { Name: 'front', Labels: { team: 'a' }, IPAM: { Config: [{ Subnet: '10.213.200.0/24', Gateway: '10.213.200.254' }] } });
    expect(created.status).toBe(201);
    const id = (created.json as { Id: string; Warning: string }).Id;
    expect(created.json).toEqual({ Id: id, Warning: '' });
    for (const ref of ['front', id, id.slice(0, 12)]) {
      const got = await call('GET', `/networks/${ref}`);
      expect(got.status).toBe(200);
      expect(got.json).toMatchObject({ Name: 'front', Id: id, Driver: 'bridge', Scope: 'local', Labels: { team: 'a' }, IPAM: { Config: [{ Subnet: '10.213.200.0/24', Gateway: '10.213.200.254' }] } });
    }
    await expectError('POST', '/networks/create', 409, 'network with name front already exists', { Name: 'front' });
    const names = async (f: object): Promise<string[]> => ((await call('GET', `/networks?filters=${q(f)}`)).json as Array<{ Name: string }>).map((n) => n.Name).sort();
    expect(await names({ label: ['team=a'] })).toEqual(['front']);
    expect(await names({ name: ['fro'] })).toEqual(['front']);
    expect(await names({ type: ['custom'] })).toEqual(['front']);
    expect(await names({ driver: ['null'] })).toEqual(['none']);
    expect(await names({ dangling: ['true'] })).toEqual(['front']);
    expect(await names({ id: [id.slice(0, 10)] })).toEqual(['front']);
    expect((await call('DELETE', `/networks/${id.slice(0, 12)}`)).status).toBe(204);
    await expectError('GET', '/networks/front', 404, 'network front not found');
  });

  it('prunes unused user networks only', async () => {
    await call('POST', '/networks/create', { Name: 'old1' });
    await call('POST', '/networks/create', { Name: 'old2', Labels: { keep: '1' } });
    const pruned = await call('POST', `/networks/prune?filters=${q({ 'label!': ['keep'] })}`);
    expect(pruned).toMatchObject({ status: 200, json: { NetworksDeleted: ['old1'] } });
    expect((await call('DELETE', '/networks/old2')).status).toBe(204);
  });
});

describe('containers: the network side of create and inspect', () => {
  it('refuses unknown networks and bad network settings at create', async () => {
    await expectError('POST', '/containers/create', 404, 'network nonet not found', { Image: 'busybox', HostConfig: { NetworkMode: 'nonet' } });
    await expectError('POST', '/containers/create', 404, 'network other not found', { Image: 'busybox', NetworkingConfig: { EndpointsConfig: { other: {} } } });
    await expectError('POST', '/containers/create', 400, 'invalid extra_hosts entry "nocolon": expected host:ip or host=ip', { Image: 'busybox', HostConfig: { ExtraHosts: ['nocolon'] } });
    await expectError('POST', '/containers/create', 400, 'invalid port 80/sctpx: expected PORT or PORT/tcp or PORT/udp', { Image: 'busybox', HostConfig: { PortBindings: { '80/sctpx': [{ HostPort: '8080' }] } } });
    await expectError('POST', '/containers/create', 400, 'invalid host port 99999 for 80/tcp: expected a port or a range like 8000-8010', { Image: 'busybox', HostConfig: { PortBindings: { '80/tcp': [{ HostPort: '99999' }] } } });
    await expectError('POST', '/containers/create', 404, 'No such container: ghost', { Image: 'busybox', HostConfig: { NetworkMode: 'container:ghost' } });
  });

  it('stores NetworkMode and the endpoints; inspect and list show the configured networks', async () => {
    await call('POST', '/networks/create', { Name: 'back' });
    const a = await call('POST', '/containers/create?name=netc', {
      Image: 'busybox', HostConfig: { PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '8080' }] } },
      NetworkingConfig: { EndpointsConfig: { default: { Aliases: ['x'] }, back: { Aliases: ['db'], IPAMConfig: { IPv4Address: '10.213.9.9' } } } },
    });
    expect(a.status).toBe(201);
    const ins = (await call('GET', '/containers/netc/json')).json as { HostConfig: { NetworkMode: string }; NetworkSettings: { Networks: Record<string, { Aliases: string[] | null; NetworkID: string; IPAddress: string }>; Ports: unknown } };
    expect(ins.HostConfig.NetworkMode).toBe('bridge');
    expect(Object.keys(ins.NetworkSettings.Networks).sort()).toEqual(['back', 'bridge']);
    expect(ins.NetworkSettings.Networks.back).toMatchObject({ Aliases: ['db'], IPAddress: '', NetworkID: networks.find('back')!.id });
    expect(ins.NetworkSettings.Ports).toEqual({ '80/tcp': null });
    const list = (await call('GET', `/containers/json?all=1&filters=${q({ name: ['netc'] })}`)).json as Array<{ NetworkSettings: { Networks: object }; Ports: unknown[] }>;
    expect(Object.keys(list[0]!.NetworkSettings.Networks).sort()).toEqual(['back', 'bridge']);
    expect(list[0]!.Ports).toEqual([{ PrivatePort: 80, Type: 'tcp' }]);
    // A stopped container: connect stores the endpoint for its next start; disconnect takes it back.
    expect((await call('POST', '/networks/create', { Name: 'third' })).status).toBe(201);
    expect((await call('POST', '/networks/third/connect', { Container: 'netc', EndpointConfig: { Aliases: ['t'] } })).status).toBe(200);
    await expectError('POST', '/networks/third/connect', 409, 'endpoint with name netc already exists in network third', { Container: 'netc' });
    expect(Object.keys(((await call('GET', '/containers/netc/json')).json as typeof ins).NetworkSettings.Networks).sort()).toEqual(['back', 'bridge', 'third']);
    expect((await call('POST', '/networks/third/disconnect', { Container: 'netc' })).status).toBe(200);
    expect(Object.keys(((await call('GET', '/containers/netc/json')).json as typeof ins).NetworkSettings.Networks).sort()).toEqual(['back', 'bridge']);
    // A network a container is configured for is not "in use" until it runs: Docker removes it too.
    expect((await call('DELETE', '/containers/netc')).status).toBe(204);
  });

  it('host and none modes take no other networks', async () => {
    await expectError('POST', '/containers/create', 400, 'conflicting options: network mode "host" cannot be combined with other networks',
      { Image: 'busybox', HostConfig: { NetworkMode: 'host' }, NetworkingConfig: { EndpointsConfig: { back: {} } } });
    const h = await call('POST', '/containers/create', { Image: 'busybox', HostConfig: { NetworkMode: 'host' }, NetworkingConfig: { EndpointsConfig: { host: {} } } });
    expect(h.status).toBe(201);
    const id = (h.json as { Id: string }).Id;
    const ins = (await call('GET', `/containers/${id}/json`)).json as { HostConfig: { NetworkMode: string }; NetworkSettings: { Networks: object } };
    expect(ins.HostConfig.NetworkMode).toBe('host');
    expect(ins.NetworkSettings.Networks).toEqual({});
    expect((await call('DELETE', `/containers/${id}`)).status).toBe(204);
  });
});

describe('engine options for address pools', () => {
  it('parses dockerd\'s --default-address-pool and the environment variable', () => {
    expect(parseAddressPool('base=10.213.0.0/16,size=24')).toEqual({ base: '10.213.0.0/16', size: 24 });
    expect(() => parseAddressPool('10.0.0.0/8')).toThrow('invalid default address pool "10.0.0.0/8": expected base=CIDR,size=PREFIX like base=10.213.0.0/16,size=24');
    expect(addressPoolsFromEnv({ TSCOMPOSE_DEFAULT_ADDRESS_POOL: 'base=10.1.0.0/16,size=24;base=10.2.0.0/16,size=20' })).toEqual([{ base: '10.1.0.0/16', size: 24 }, { base: '10.2.0.0/16', size: 20 }]);
    expect(addressPoolsFromEnv({})).toBeUndefined();
    expect(parseEngineArgs(['--default-address-pool', 'base=10.9.0.0/16,size=24']).addressPools).toEqual(['base=10.9.0.0/16,size=24']);
    expect(() => parseEngineArgs(['--default-address-pool', 'x'])).toThrow('--default-address-pool must be base=CIDR,size=PREFIX (like base=10.213.0.0/16,size=24), not "x"');
  });
});

describe('the client\'s network methods', () => {
  it('create, list, inspect, prune and remove through HttpEngineClient', async () => {
    const client = new HttpEngineClient({ host: `unix://${sock}` });
    try {
      const { Id } = await client.createNetwork({ Name: 'viaclient', Labels: { via: 'client' } });
      expect((await client.inspectNetwork('viaclient')).Id).toBe(Id);
      expect((await client.listNetworks({ label: ['via=client'] })).map((n) => n.Name)).toEqual(['viaclient']);
      await expect(client.removeNetwork('bridge')).rejects.toThrow('bridge is a pre-defined network and cannot be removed');
      expect(await client.pruneNetworks({ label: ['via=client'] })).toEqual({ NetworksDeleted: ['viaclient'] });
      await expect(client.inspectNetwork('viaclient')).rejects.toThrow('network viaclient not found');
    } finally {
      client.close();
    }
  });
});
