// Nothing leaks: after `down` the host has the same mounts, links,
// addresses, container cgroups, processes and nftables tables as before
// `up` — for a stack that uses what leaves traces (two networks, a named and
// an anonymous volume, a bind, tmpfs, a published port, a health check, an
// exec, a one-off run), after an interrupted attached `up`, and after an
// `up` that failed half way. Only what this file's engine made is compared
// (its folder, link prefix, cgroup parent and firewall table): other tests
// on the machine never count.

import { mkdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliStack, freePort, missingPrerequisite, type HostSnapshot } from './cli-harness.js';

const why = missingPrerequisite();
if (why && process.env.CI) throw new Error(`cli end-to-end tests cannot run: ${why}`);
const d = why ? describe.skip : describe;

const s = new CliStack();
const P = s.project;

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = net.connect(port, '127.0.0.1');
    c.once('connect', () => { c.destroy(); resolve(true); });
    c.once('error', () => resolve(false));
  });
}

/** The snapshot taken when the kernel has settled: a monitor or mount may take a moment to go after `down` returns. */
async function settledSnapshot(expected: HostSnapshot): Promise<HostSnapshot> {
  let now = s.hostSnapshot();
  for (let i = 0; i < 25 && JSON.stringify(now) !== JSON.stringify(expected); i++) {
    await new Promise((r) => setTimeout(r, 200));
    now = s.hostSnapshot();
  }
  return now;
}

d('nothing leaks after down', () => {
  let port = 0;
  beforeAll(async () => {
    await s.start();
    port = await freePort();
    mkdirSync(path.join(s.projectDir, 'site'), { recursive: true });
    writeFileSync(path.join(s.projectDir, 'site', 'index.html'), 'hello\n');
    s.writeCompose(`
services:
  web:
    image: busybox
    command: ["sh", "-c", "trap 'exit 0' TERM; echo web up; while true; do sleep 0.1; done"]
    ports: ["127.0.0.1:${port}:80"]
    volumes: [data:/data, ./site:/site:ro, /anon]
    tmpfs: [/scratch]
    networks: [front, back]
    healthcheck: {test: ["CMD", "true"], interval: 1s}
    stop_grace_period: 2s
    depends_on: {job: {condition: service_completed_successfully}}
  db:
    image: busybox
    command: ["sh", "-c", "trap 'exit 0' TERM; echo db up; while true; do sleep 0.1; done"]
    networks: [back]
    volumes: [data:/var/data]
  job:
    image: busybox
    command: ["sh", "-c", "echo job ran"]
    depends_on: {db: {condition: service_started}}
networks:
  front: {}
  back: {}
volumes:
  data: {}
`);
  });
  afterAll(async () => {
    await s.stop();
  });

  it('up --wait, exec, run, logs, then down -v: the host is as before', async () => {
    const before = s.hostSnapshot();
    const up = await s.ok('up', '--wait');
    expect(up.stderr).toContain(`Container ${P}-web-1  Healthy`);
    const during = s.hostSnapshot();
    // The stack did leave traces while it ran: the comparison below means something.
    expect(during.mounts.length).toBeGreaterThan(before.mounts.length);
    expect(during.links.length).toBeGreaterThan(before.links.length);
    expect(during.cgroups.length).toBeGreaterThan(0);
    expect(during.processes.length).toBeGreaterThan(0);
    expect(await canConnect(port)).toBe(true);

    expect((await s.ok('exec', '-T', 'web', 'sh', '-c', 'cat /site/index.html; echo x > /data/f; ls /scratch')).stdout).toBe('hello\n');
    expect((await s.ok('run', '--rm', '-T', 'db', 'cat', '/var/data/f')).stdout).toBe('x\n');
    await s.ok('logs');

    await s.ok('down', '-v');
    expect(await settledSnapshot(before)).toEqual(before);
    expect(await canConnect(port)).toBe(false);
    const client = s.client();
    try {
      expect(await client.listContainers({ all: true })).toEqual([]);
      expect(((await client.listVolumes()).Volumes ?? []).map((v) => v.Name)).toEqual([]);
      expect((await client.listNetworks()).map((n) => n.Name).filter((n) => n.startsWith(P))).toEqual([]);
    } finally {
      client.close();
    }
  });

  it('an attached up stopped with Ctrl-C, then down: the host is as before', async () => {
    const before = s.hostSnapshot();
    const up = s.spawn(['-p', P, '--progress', 'plain', 'up'], { timeoutMs: 90_000 });
    await up.waitFor('web-1  | web up');
    await up.waitFor('db-1   | db up');
    up.child.kill('SIGINT');
    expect((await up.done).code).toBe(130);
    await s.ok('down', '-v');
    expect(await settledSnapshot(before)).toEqual(before);
  });

  it('an up that failed half way (its port taken), then down: the host is as before', async () => {
    const before = s.hostSnapshot();
    const holder = net.createServer();
    await new Promise<void>((resolve, reject) => holder.once('error', reject).listen(port, '127.0.0.1', resolve));
    try {
      const up = await s.compose('up', '-d');
      expect(up.code).toBe(1);
      expect(up.stderr).toContain(`${port}`);
    } finally {
      await new Promise((r) => holder.close(r));
    }
    await s.ok('down', '-v');
    expect(await settledSnapshot(before)).toEqual(before);
  });
});
