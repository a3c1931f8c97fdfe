// Real traffic between containers of our engine, and from the host to a
// published port: two compose projects (tscompose itself, the same file
// under two project names) reach their own services by name and nothing of
// the other project; a peer recreated with a new address shows up with it in
// the others' hosts files (and is reached there); a published port serves
// 1,000 sequential and 100 concurrent HTTP requests without an error.
// Reachability by name and isolation of two plain networks are in
// docker-networks.test.ts.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../compose/cli/main.js';
import { setCliTestHooks } from '../../../compose/cli/session.js';
import { HttpEngineClient } from '../../../runtime/client/index.js';
import { engineTestGate, httpGet, newPrefix, retry, startEngineFixture, type EngineFixture } from './engine-fixture.js';

const why = engineTestGate('network traffic tests');
const d = why ? describe.skip : describe;

let f: EngineFixture;

/** The body of GET http://host:port/ from inside a container, with busybox nc (busybox-static's wget needs a full distribution). */
async function httpFrom(container: string, host: string, port = 80): Promise<string> {
  const r = await f.docker(['exec', container, 'sh', '-c', `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 3 ${host} ${port}`]);
  if (r.code !== 0 || !r.stdout.includes('\r\n\r\n')) throw new Error(`GET http://${host}:${port}/ from ${container}: exit ${r.code} ${r.stderr}`);
  return r.stdout.slice(r.stdout.indexOf('\r\n\r\n') + 4);
}

async function ipOn(container: string, network: string): Promise<string> {
  return (await f.ok(['inspect', container, '--format', `{{(index .NetworkSettings.Networks "${network}").IPAddress}}`])).trim();
}

/** The address a hosts file gives `name` (the first line naming it), or undefined. */
function hostsEntry(hosts: string, name: string): string | undefined {
  for (const line of hosts.split('\n')) {
    const [ip, ...names] = line.trim().split(/\s+/);
    if (ip && !ip.startsWith('#') && names.includes(name)) return ip;
  }
  return undefined;
}

d('traffic between containers and from the host', () => {
  beforeAll(async () => {
    f = await startEngineFixture(newPrefix(), (rootfs) => {
      mkdirSync(join(rootfs, 'www'));
      writeFileSync(join(rootfs, 'www', 'index.html'), 'hello from tscompose\n');
    });
  });

  afterAll(async () => {
    setCliTestHooks({});
    await f?.teardown();
  });

  it('two compose projects: each reaches its own services by name, nothing of the other', async () => {
    const yaml = `
services:
  web:
    image: ${f.image}
    command: ["sh", "-c", "mkdir -p /srv && echo \${TAG} > /srv/index.html && exec httpd -f -p 80 -h /srv"]
    stop_signal: SIGKILL
  client:
    image: ${f.image}
    command: ["sleep", "600"]
    stop_signal: SIGKILL
`;
    setCliTestHooks({ connect: async () => new HttpEngineClient({ host: `unix://${f.socket}` }), pollMs: 50 });
    const compose = async (project: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
      let stdout = '';
      let stderr = '';
      const code = await main(['node', 'tscompose', '-f', '-', '-p', project, ...args], {
        stdout: (s) => (stdout += s), stderr: (s) => (stderr += s), cwd: f.dir, env: { TAG: `content of ${project}` }, readStdin: () => yaml, writeFile: () => {},
      });
      return { code, stdout, stderr };
    };
    const [a, b] = [`${f.prefix}a`, `${f.prefix}b`];
    try {
      for (const p of [a, b]) {
        const up = await compose(p, 'up', '-d');
        expect(up.code, up.stderr).toBe(0);
      }
      // Each project's client gets its own project's web by the service name.
      for (const p of [a, b]) {
        expect(await retry(() => httpFrom(`${p}-client-1`, 'web'))).toBe(`content of ${p}\n`);
        expect(await httpFrom(`${p}-client-1`, `${p}-web-1`)).toBe(`content of ${p}\n`);
      }
      // Across projects: no name, and no route to the other web's address.
      const webB = await ipOn(`${b}-web-1`, `${b}_default`);
      expect(webB).toMatch(/^10\.213\.\d+\.\d+$/);
      expect(await ipOn(`${a}-web-1`, `${a}_default`)).not.toBe(webB);
      expect(hostsEntry(await f.ok(['exec', `${a}-client-1`, 'cat', '/etc/hosts']), `${b}-web-1`)).toBeUndefined();
      expect((await f.docker(['exec', `${a}-client-1`, 'ping', '-c1', '-W1', `${b}-web-1`])).code).not.toBe(0);
      expect((await f.docker(['exec', `${a}-client-1`, 'ping', '-c1', '-W1', webB])).code).not.toBe(0);
      await expect(httpFrom(`${a}-client-1`, webB)).rejects.toThrow();
      // The same the other way round.
      const webA = await ipOn(`${a}-web-1`, `${a}_default`);
      await expect(httpFrom(`${b}-client-1`, webA)).rejects.toThrow();
    } finally {
      for (const p of [a, b]) await compose(p, 'down', '-t', '0');
    }
    expect((await f.ok(['ps', '-aq'])).trim()).toBe('');
  });

  it('a peer recreated with a new address: the others\' hosts files show the new one, and traffic goes there', async () => {
    const net = `${f.prefix}_re`;
    // A subnet of our own choosing (another test run may hold one: a few tries at random ones).
    let third = 0;
    for (let i = 0; i < 8 && !third; i++) {
      const t = 100 + Math.floor(Math.random() * 150);
      if ((await f.docker(['network', 'create', '--subnet', `10.213.${t}.0/24`, net])).code === 0) third = t;
    }
    expect(third).toBeGreaterThan(0);
    const peer = `${f.prefix}-peer`;
    const watcher = `${f.prefix}-watcher`;
    await f.ok(['run', '-d', '--network', net, '--ip', `10.213.${third}.10`, '--name', peer, f.image, 'httpd', '-f', '-p', '80', '-h', '/www']);
    await f.ok(['run', '-d', '--network', net, '--name', watcher, f.image, 'sleep', '600']);
    expect(hostsEntry(await f.ok(['exec', watcher, 'cat', '/etc/hosts']), peer)).toBe(`10.213.${third}.10`);
    expect(await retry(() => httpFrom(watcher, peer))).toBe('hello from tscompose\n');

    await f.ok(['rm', '-f', peer]);
    expect(hostsEntry(await f.ok(['exec', watcher, 'cat', '/etc/hosts']), peer)).toBeUndefined();
    await f.ok(['run', '-d', '--network', net, '--ip', `10.213.${third}.20`, '--name', peer, f.image, 'httpd', '-f', '-p', '80', '-h', '/www']);
    const hosts = await f.ok(['exec', watcher, 'cat', '/etc/hosts']);
    expect(hostsEntry(hosts, peer)).toBe(`10.213.${third}.20`);
    expect(hosts).not.toContain(`10.213.${third}.10`);
    expect(await ipOn(peer, net)).toBe(`10.213.${third}.20`);
    expect(await f.ok(['exec', watcher, 'ping', '-c1', '-W2', peer])).toContain(`(10.213.${third}.20)`);
    expect(await retry(() => httpFrom(watcher, peer))).toBe('hello from tscompose\n');
    // And the recreated peer knows the watcher.
    expect(hostsEntry(await f.ok(['exec', peer, 'cat', '/etc/hosts']), watcher)).toBe(await ipOn(watcher, net));

    await f.ok(['rm', '-f', peer, watcher]);
    await f.ok(['network', 'rm', net]);
  });

  it('a published port serves 1,000 sequential and 100 concurrent requests from the host without an error', async () => {
    const name = `${f.prefix}-srv`;
    await f.ok(['run', '-d', '-p', '127.0.0.1::80', '--name', name, f.image, 'httpd', '-f', '-p', '80', '-h', '/www']);
    const mapped = (await f.ok(['port', name, '80/tcp'])).trim();
    const m = /^127\.0\.0\.1:(\d+)$/.exec(mapped);
    expect(m, mapped).not.toBeNull();
    const port = Number(m![1]);
    expect((await retry(() => httpGet(port))).body).toBe('hello from tscompose\n');

    const failures: string[] = [];
    const check = (r: { status: number; body: string }, what: string): void => {
      if (r.status !== 200 || r.body !== 'hello from tscompose\n') failures.push(`${what}: ${r.status} ${JSON.stringify(r.body.slice(0, 80))}`);
    };
    // One connection per request (no keep-alive agent): 1,000 connections through the proxy.
    for (let i = 0; i < 1000; i++) {
      try { check(await httpGet(port, false), `request ${i}`); } catch (e) { failures.push(`request ${i}: ${(e as Error).message}`); }
    }
    expect(failures).toEqual([]);
    const concurrent = await Promise.allSettled(Array.from({ length: 100 }, () => httpGet(port, false)));
    concurrent.forEach((r, i) => {
      if (r.status === 'rejected') failures.push(`concurrent ${i}: ${(r.reason as Error).message}`);
      else check(r.value, `concurrent ${i}`);
    });
    expect(failures).toEqual([]);
    // The server is still the one and only: no restarts, nothing lost.
    expect((await f.client.inspectContainer(name)).State).toMatchObject({ Running: true, Restarting: false });
    await f.ok(['rm', '-f', name]);
  });
});
