// The private dockerd of test/helpers/dockerd.ts keeps to itself and leaves
// nothing behind: its state under its own dir, its own containerd, a test
// subnet, published ports through docker-proxy, names resolved on a
// Compose-style network; and after stop() no process, mount, link, cgroup or
// file of it remains.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerdGate, links, listProcs, startDockerd, type PrivateDockerd } from '../../helpers/dockerd.js';
import { uniqueName } from '../../helpers/names.js';
import { mountsUnder, removeTree } from '../../helpers/tmp.js';
import { makeBusyboxRootfs, tarOf } from '../engine/helpers.js';
import { http } from '../examples/image-runner.js';

const DOCKER = ['/usr/local/bin/docker', '/usr/bin/docker'].find((p) => existsSync(p));
const gate = dockerdGate('the private dockerd helper test', [DOCKER ?? 'docker']);

describe.skipIf(gate.skip)('a private dockerd', () => {
  const name = uniqueName('tsct').slice(0, 10);
  let dir = '';
  let d: PrivateDockerd;
  let linksBefore: string[] = [];

  function docker(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      execFile(DOCKER!, ['-H', d.host, ...args], {
        timeout: 60_000, env: { ...process.env, DOCKER_CONFIG: path.join(dir, 'cli'), DOCKER_HOST: '', DOCKER_CONTEXT: '' },
      }, (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }));
    });
  }

  beforeAll(async () => {
    linksBefore = links();
    dir = mkdtempSync(path.join(tmpdir(), `${name}-`));
    d = await startDockerd({ dir: path.join(dir, 'd'), networking: 'bridges', cgroupParent: name });
    const tar = tarOf(makeBusyboxRootfs(path.join(dir, 'rootfs')), path.join(dir, 'busybox.tar'));
    const imp = await docker('import', tar, 'tsctref/busybox:1');
    expect(imp.stderr).toBe('');
  }, 120_000);

  afterAll(async () => {
    await d?.stop();
    if (dir) removeTree(dir);
  }, 120_000);

  it('keeps its state under its own dir and uses its own containerd', async () => {
    const info = JSON.parse((await docker('info', '--format', '{{json .}}')).stdout) as { DockerRootDir: string; Driver: string };
    expect(info.DockerRootDir).toBe(path.join(dir, 'd', 'data'));
    expect(info.Driver).toBe('overlay2');
    const argv = listProcs().find((p) => p.pid === d.processes().containerd[0])?.argv ?? [];
    expect(argv.join(' ')).toContain(path.join(dir, 'd', 'containerd', 'config.toml'));
  }, 30_000);

  it('serves a Compose-style network: a test subnet, names between containers, a published port on the host', async () => {
    expect((await docker('network', 'create', `${name}_default`)).code).toBe(0);
    const subnet = (await docker('network', 'inspect', '-f', '{{range .IPAM.Config}}{{.Subnet}}{{end}}', `${name}_default`)).stdout.trim();
    expect(subnet).toMatch(/^10\.214\.\d+\.0\/24$/);
    const web = await docker('run', '-d', '--name', `${name}-web`, '--network', `${name}_default`, '--network-alias', 'web', '-p', '127.0.0.1::8080',
      'tsctref/busybox:1', 'sh', '-c', 'mkdir /www; echo hello from web > /www/index.html; exec busybox httpd -f -p 8080 -h /www');
    expect(web.stderr).toBe('');
    const port = (await docker('port', `${name}-web`, '8080/tcp')).stdout.trim();
    expect(port).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(d.processes().proxies.length).toBe(1);
    let body = '';
    for (let i = 0; i < 50 && !body; i++) {
      body = await http('GET', `http://${port}/`).then((r) => r.body, () => '');
      if (!body) await new Promise((r) => setTimeout(r, 200));
    }
    expect(body).toBe('hello from web\n');
    const byName = await docker('run', '--rm', '--network', `${name}_default`, 'tsctref/busybox:1', 'busybox', 'wget', '-q', '-O', '-', 'http://web:8080/');
    expect(byName.stdout).toBe('hello from web\n');
  }, 60_000);

  it('stop() leaves no process, mount, link, cgroup or file behind', async () => {
    const ids = (await docker('ps', '-q', '--no-trunc')).stdout.trim().split('\n').filter(Boolean);
    expect(ids).toHaveLength(1);
    const bridge = `br-${(await docker('network', 'inspect', '-f', '{{.Id}}', `${name}_default`)).stdout.trim().slice(0, 12)}`;
    expect(links()).toContain(bridge);
    const own = d.processes();
    const notes = await d.stop();
    expect(notes.filter((n) => !/was created by dockerd|killed leftover containerd-shim/.test(n))).toEqual([]);
    expect(listProcs().filter((p) => p.argv.some((a) => a.includes(dir)) || [...own.dockerd, ...own.containerd, ...own.proxies].includes(p.pid))).toEqual([]);
    expect(mountsUnder(dir)).toEqual([]);
    expect(existsSync(path.join(dir, 'd'))).toBe(false);
    // Only its own bridge is checked by name: a benchmark's dockerd beside this test makes veth*/br-* links too.
    expect(links()).not.toContain(bridge);
    expect(links().filter((l) => !linksBefore.includes(l) && l.startsWith('docker'))).toEqual([]);
    expect(['memory', 'pids', 'cpu', 'unified'].map((c) => `/sys/fs/cgroup/${c}/${name}`).filter((p) => existsSync(p))).toEqual([]);
  }, 90_000);
});
