// Networks and published ports end to end: the real docker CLI against our
// engine (a private --root, a test address pool 10.213.0.0/16, links named
// tsctXXXX…): user networks, reachability by name, isolation between
// networks, -p to 127.0.0.1, docker port, network rm of a network in use,
// and nothing left in the kernel afterwards.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../../runtime/engine/engine.js';
import { firewallTableName } from '../../../runtime/networks/index.js';
import { makeBusyboxRootfs, missingPrerequisite, removeCgroupParent, removeTestNetworks, tarOf, testNetworkOptions, dockerCli, type DockerResult } from './helpers.js';

const DOCKER = [process.env.TSCT_DOCKER_CLI ?? '', '/usr/local/bin/docker', '/usr/bin/docker'].find((p) => p && existsSync(p));
const why = missingPrerequisite() ?? (!DOCKER ? 'needs the docker CLI' : undefined);
if (why && process.env.CI) throw new Error(`docker network tests cannot run: ${why}`);
const d = why ? describe.skip : describe;

const prefix = `tsct${Math.random().toString(36).slice(2, 8)}`;
const netOpts = testNetworkOptions(prefix);
let dir = '';
let sock = '';
let root = '';
let engine: Engine | undefined;
const image = `${prefix}/net:1`;

type Result = DockerResult;
const { docker, ok } = dockerCli(DOCKER!, () => sock, () => join(dir, 'docker-config'));

/** A port nobody listens on now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => { const p = (s.address() as net.AddressInfo).port; s.close(() => resolve(p)); });
  });
}

function httpGet(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => { body += c.toString(); });
      res.on('end', () => resolve(body));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
  });
}

async function retry<T>(fn: () => Promise<T>, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    try { return await fn(); } catch (e) { if (Date.now() > end) throw e; }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** An HTTP GET from inside a container with busybox nc (busybox-static's wget crashes outside a full distribution). */
function httpFrom(container: string, host: string, port: number): Promise<Result> {
  return docker(['exec', container, 'sh', '-c', `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 3 ${host} ${port}`]);
}

async function httpBodyFrom(container: string, host: string, port: number): Promise<string> {
  const r = await httpFrom(container, host, port);
  if (r.code !== 0 || !r.stdout.includes('\r\n\r\n')) throw new Error(`GET http://${host}:${port}/ from ${container}: exit ${r.code} ${r.stderr}`);
  return r.stdout.slice(r.stdout.indexOf('\r\n\r\n') + 4);
}

function ourLinks(): string[] {
  return execFileSync('ip', ['-o', 'link']).toString().split('\n').filter((l) => l.includes(netOpts.networkLinkPrefix));
}

d('networks and published ports through the docker CLI', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
    sock = join(dir, 'engine.sock');
    root = join(dir, 'root');
    const rootfs = makeBusyboxRootfs(join(dir, 'rootfs'));
    for (const a of ['httpd', 'nc', 'ping', 'ip']) if (!existsSync(join(rootfs, 'bin', a))) symlinkSync('busybox', join(rootfs, 'bin', a));
    mkdirSync(join(rootfs, 'www'));
    writeFileSync(join(rootfs, 'www', 'index.html'), 'hello from tscompose\n');
    engine = await Engine.start({ root, socketPath: sock, cgroupParent: prefix, log: () => {}, ...netOpts });
    await ok(['import', tarOf(rootfs, join(dir, 'net.tar')), image]);
  });

  afterAll(async () => {
    if (sock && engine) {
      const ids = (await docker(['ps', '-aq'])).stdout.split('\n').filter(Boolean);
      if (ids.length) await docker(['rm', '-f', ...ids]);
    }
    await engine?.close();
    if (root) await removeTestNetworks(root, netOpts.networkLinkPrefix);
    await removeCgroupParent(prefix);
    if (dir) {
      const mounts = execFileSync('sh', ['-c', `grep -o ' ${dir}[^ ]*' /proc/self/mountinfo || true`]).toString().trim().split('\n').filter(Boolean);
      for (const m of mounts.reverse()) { try { execFileSync('umount', ['-l', m.trim()]); } catch { /* gone */ } }
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('lists the predefined networks and refuses to remove them', async () => {
    const names = (await ok(['network', 'ls', '--format', '{{.Name}} {{.Driver}}'])).trim().split('\n').sort();
    expect(names).toEqual(['bridge bridge', 'host host', 'none null']);
    const subnet = (await ok(['network', 'inspect', 'bridge', '--format', '{{(index .IPAM.Config 0).Subnet}}'])).trim();
    expect(subnet).toMatch(/^10\.213\.\d+\.0\/24$/);
    const r = await docker(['network', 'rm', 'bridge']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('bridge is a pre-defined network and cannot be removed');
  });

  it('creates user networks; containers reach each other by name, not across networks', async () => {
    const id = (await ok(['network', 'create', '--label', `${prefix}=1`, `${prefix}_front`])).trim();
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    const dup = await docker(['network', 'create', `${prefix}_front`]);
    expect(dup.code).not.toBe(0);
    expect(dup.stderr).toContain(`network with name ${prefix}_front already exists`);
    // A subnet asked for (another test run may hold one: a few tries at random ones).
    let third = 0;
    for (let i = 0; i < 8 && !third; i++) {
      const t = 100 + Math.floor(Math.random() * 150);
      const r = await docker(['network', 'create', '--subnet', `10.213.${t}.0/24`, `${prefix}_back`]);
      if (r.code === 0) third = t;
      else expect(r.stderr).toContain('overlaps');
    }
    expect((await ok(['network', 'inspect', `${prefix}_back`, '--format', '{{(index .IPAM.Config 0).Subnet}} {{(index .IPAM.Config 0).Gateway}}'])).trim())
      .toBe(`10.213.${third}.0/24 10.213.${third}.1`);
    expect((await ok(['network', 'ls', '--filter', `label=${prefix}=1`, '--format', '{{.Name}}'])).trim()).toBe(`${prefix}_front`);

    await ok(['run', '-d', '--network', `${prefix}_front`, '--name', `${prefix}a`, '--network-alias', 'web', image, 'httpd', '-f', '-p', '8080', '-h', '/www']);
    await ok(['run', '-d', '--network', `${prefix}_front`, '--name', `${prefix}b`, image, 'sleep', '600']);
    await ok(['run', '-d', '--network', `${prefix}_back`, '--ip', `10.213.${third}.77`, '--name', `${prefix}c`, image, 'sleep', '600']);

    // By name through the bind-mounted hosts file.
    const ipA = (await ok(['inspect', `${prefix}a`, '--format', `{{(index .NetworkSettings.Networks "${prefix}_front").IPAddress}}`])).trim();
    expect(ipA).toMatch(/^10\.213\.\d+\.\d+$/);
    const pingA = await retry(() => ok(['exec', `${prefix}b`, 'ping', '-c1', '-W2', `${prefix}a`]));
    expect(pingA).toContain(`PING ${prefix}a (${ipA})`);
    expect(await ok(['exec', `${prefix}b`, 'ping', '-c1', '-W2', 'web'])).toContain(`(${ipA})`);
    await ok(['run', '-d', '--network', `${prefix}_front`, '--link', `${prefix}a:linked`, '--name', `${prefix}l`, image, 'sleep', '600']);
    expect(await retry(() => ok(['exec', `${prefix}l`, 'ping', '-c1', '-W2', 'linked']))).toContain(`(${ipA})`);
    await ok(['rm', '-f', `${prefix}l`]);
    expect(await retry(() => httpBodyFrom(`${prefix}b`, `${prefix}a`, 8080))).toBe('hello from tscompose\n');
    expect(await httpBodyFrom(`${prefix}b`, 'web', 8080)).toBe('hello from tscompose\n');
    expect(await ok(['exec', `${prefix}b`, 'cat', '/etc/hosts'])).toMatch(new RegExp(`${ipA.replace(/\./g, '\\.')}\\s.*${prefix}a`));

    // c is on another network: no name, and no route to a's address either.
    expect((await docker(['exec', `${prefix}c`, 'ping', '-c1', '-W1', `${prefix}a`])).code).not.toBe(0);
    expect((await httpFrom(`${prefix}c`, ipA, 8080)).code).not.toBe(0);
    expect((await ok(['exec', `${prefix}c`, 'ip', '-o', '-4', 'addr', 'show', 'eth0'])).trim()).toContain(`inet 10.213.${third}.77/24`);

    expect((await ok(['ps', '--filter', `network=${prefix}_front`, '--format', '{{.Names}}'])).trim().split('\n').sort()).toEqual([`${prefix}a`, `${prefix}b`]);
    // The network shows its containers; in use it cannot go.
    const members = JSON.parse(await ok(['network', 'inspect', `${prefix}_front`, '--format', '{{json .Containers}}'])) as Record<string, { Name: string }>;
    expect(Object.values(members).map((m) => m.Name).sort()).toEqual([`${prefix}a`, `${prefix}b`]);
    const rm = await docker(['network', 'rm', `${prefix}_front`]);
    expect(rm.code).not.toBe(0);
    expect(rm.stderr).toContain('has active endpoints');

    // connect: c joins front too and then reaches a by name.
    await ok(['network', 'connect', `${prefix}_front`, `${prefix}c`]);
    expect(await retry(() => ok(['exec', `${prefix}c`, 'ping', '-c1', '-W2', `${prefix}a`]))).toContain(`(${ipA})`);
    expect(await httpBodyFrom(`${prefix}c`, `${prefix}a`, 8080)).toBe('hello from tscompose\n');
    await ok(['network', 'disconnect', `${prefix}_front`, `${prefix}c`]);
    expect((await docker(['exec', `${prefix}c`, 'ping', '-c1', '-W1', `${prefix}a`])).code).not.toBe(0);

    await ok(['rm', '-f', `${prefix}a`, `${prefix}b`, `${prefix}c`]);
    await ok(['network', 'rm', `${prefix}_front`, `${prefix}_back`]);
    expect((await docker(['network', 'inspect', `${prefix}_front`])).code).not.toBe(0);
  });

  it('publishes ports to the host; docker port shows them; a port taken fails the start', async () => {
    const port = await freePort();
    const id = (await ok(['run', '-d', '-p', `127.0.0.1:${port}:80`, '--name', `${prefix}web`, image, 'httpd', '-f', '-p', '80', '-h', '/www'])).trim();
    expect(await retry(() => httpGet(port))).toBe('hello from tscompose\n');
    expect((await ok(['port', `${prefix}web`])).trim()).toBe(`80/tcp -> 127.0.0.1:${port}`);
    const ports = JSON.parse(await ok(['inspect', id, '--format', '{{json .NetworkSettings.Ports}}']));
    expect(ports).toEqual({ '80/tcp': [{ HostIp: '127.0.0.1', HostPort: String(port) }] });
    expect((await ok(['inspect', id, '--format', '{{.HostConfig.NetworkMode}} {{.NetworkSettings.IPAddress}}'])).trim()).toMatch(/^bridge 10\.213\.\d+\.\d+$/);
    expect((await ok(['ps', '--format', '{{.Ports}}', '--filter', `name=${prefix}web`])).trim()).toBe(`127.0.0.1:${port}->80/tcp`);

    const taken = await docker(['run', '-d', '-p', `127.0.0.1:${port}:80`, '--name', `${prefix}web2`, image, 'httpd', '-f', '-p', '80', '-h', '/www']);
    expect(taken.code).not.toBe(0);
    expect(taken.stderr).toMatch(new RegExp(`driver failed programming external connectivity on endpoint ${prefix}web2 \\([0-9a-f]{64}\\): Bind for 127\\.0\\.0\\.1:${port} failed: port is already allocated`));
    expect((await ok(['inspect', `${prefix}web2`, '--format', '{{.State.Running}}'])).trim()).toBe('false');
    // A port another program holds: the kernel's words.
    const squatter = net.createServer();
    await new Promise<void>((r) => squatter.listen(0, '127.0.0.1', () => r()));
    const held = (squatter.address() as net.AddressInfo).port;
    try {
      const busy = await docker(['run', '-d', '-p', `127.0.0.1:${held}:80`, '--name', `${prefix}web3`, image, 'httpd', '-f', '-p', '80', '-h', '/www']);
      expect(busy.code).not.toBe(0);
      expect(busy.stderr).toContain(`Error starting userland proxy: listen tcp4 127.0.0.1:${held}: bind: address already in use`);
    } finally {
      squatter.close();
    }
    await ok(['rm', '-f', `${prefix}web3`]);
    // The first one still serves.
    expect(await httpGet(port)).toBe('hello from tscompose\n');

    await ok(['stop', '-t', '1', `${prefix}web`]);
    await expect(httpGet(port)).rejects.toThrow();
    await ok(['rm', '-f', `${prefix}web`, `${prefix}web2`]);
  });

  it('an engine restart keeps the containers on their networks and opens their ports again on the same host ports', async () => {
    const port = await freePort();
    await ok(['network', 'create', `${prefix}_keep`]);
    await ok(['run', '-d', '-p', `127.0.0.1:${port}:80`, '--network', `${prefix}_keep`, '--name', `${prefix}srv`, image, 'httpd', '-f', '-p', '80', '-h', '/www']);
    await ok(['run', '-d', '--network', `${prefix}_keep`, '--name', `${prefix}cli`, image, 'sleep', '600']);
    expect(await retry(() => httpGet(port))).toBe('hello from tscompose\n');
    await engine!.close();
    await expect(httpGet(port)).rejects.toThrow();
    engine = await Engine.start({ root, socketPath: sock, cgroupParent: prefix, log: () => {}, ...netOpts });
    expect(await retry(() => httpGet(port))).toBe('hello from tscompose\n');
    expect(await httpBodyFrom(`${prefix}cli`, `${prefix}srv`, 80)).toBe('hello from tscompose\n');
    expect((await ok(['port', `${prefix}srv`, '80'])).trim()).toBe(`127.0.0.1:${port}`);
    const rm = await docker(['network', 'rm', `${prefix}_keep`]);
    expect(rm.stderr).toContain('has active endpoints');
    await ok(['rm', '-f', `${prefix}srv`, `${prefix}cli`]);
    await ok(['network', 'rm', `${prefix}_keep`]);
  });

  it('writes hosts, resolv.conf and hostname from the run options; -P publishes the exposed ports', async () => {
    const gw = (await ok(['network', 'inspect', 'bridge', '--format', '{{(index .IPAM.Config 0).Gateway}}'])).trim();
    const hosts = await ok(['run', '--rm', '--hostname', 'box', '--add-host', 'gw:host-gateway', '--add-host', 'db.local:10.9.8.7', image, 'cat', '/etc/hosts']);
    expect(hosts).toMatch(new RegExp(`^${gw.replace(/\./g, '\\.')}\\s+gw$`, 'm'));
    expect(hosts).toMatch(/^10\.9\.8\.7\s+db\.local$/m);
    expect(hosts).toMatch(/^10\.213\.\d+\.\d+\s+box\b/m);
    const resolv = await ok(['run', '--rm', '--dns', '10.1.2.3', '--dns-search', 'example.test', '--dns-option', 'ndots:2', image, 'cat', '/etc/resolv.conf']);
    expect(resolv).toContain('nameserver 10.1.2.3');
    expect(resolv).not.toMatch(/nameserver (?!10\.1\.2\.3)/);
    expect(resolv).toContain('search example.test');
    expect(resolv).toContain('options ndots:2');
    const id = (await ok(['run', '-d', '-P', '--expose', '80', image, 'httpd', '-f', '-p', '80', '-h', '/www'])).trim();
    const mapped = (await ok(['port', id, '80/tcp'])).trim().split('\n')[0]!;
    const m = /^0\.0\.0\.0:(\d+)$/.exec(mapped);
    expect(m, mapped).not.toBeNull();
    expect(await retry(() => httpGet(Number(m![1])))).toBe('hello from tscompose\n');
    await ok(['rm', '-f', id]);
  });

  it('host and none modes, and container:<name>', async () => {
    const none = await ok(['run', '--rm', '--network', 'none', image, 'ip', '-o', 'link']);
    expect(none).toContain('lo');
    expect(none).not.toContain('eth0');
    await ok(['run', '-d', '--name', `${prefix}base`, image, 'sleep', '600']);
    const shared = await ok(['run', '--rm', '--network', `container:${prefix}base`, image, 'ip', '-o', '-4', 'addr', 'show', 'eth0']);
    const ip = (await ok(['inspect', `${prefix}base`, '--format', '{{.NetworkSettings.IPAddress}}'])).trim();
    expect(shared).toContain(`inet ${ip}/`);
    const hostLinks = await ok(['run', '--rm', '--network', 'host', image, 'cat', '/proc/net/dev']);
    expect(hostLinks).toContain(netOpts.networkLinkPrefix);
    await ok(['rm', '-f', `${prefix}base`]);
  });

  it('leaves no veths once the containers are gone, and nothing at all once the networks are', async () => {
    expect(ourLinks().filter((l) => l.includes(`${netOpts.networkLinkPrefix}v`))).toEqual([]);
    // Only the predefined bridge is left (it stays, as docker0 does).
    expect(ourLinks().length).toBe(1);
    await engine?.close();
    engine = undefined;
    await removeTestNetworks(root, netOpts.networkLinkPrefix);
    expect(ourLinks()).toEqual([]);
    const tables = execFileSync('sh', ['-c', 'nft list tables 2>/dev/null || true']).toString();
    expect(tables).not.toContain(firewallTableName(root));
  });
});
