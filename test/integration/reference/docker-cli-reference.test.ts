// The docker CLI on each engine, same commands, same assertions: what a
// process sees inside (groups, the low-port and ping sysctls of its own
// network namespace, a read-only root), the exit codes the CLI derives from
// the engine's errors (127, 126, 137), logs with their two streams apart,
// the command as `ps` lists it, a published port. Each of these once
// differed between our engine and dockerd 20.10.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerdGate } from '../../helpers/dockerd.js';
import { uniqueName } from '../../helpers/names.js';
import { dockerCli } from '../engine/helpers.js';
import { http } from '../examples/image-runner.js';
import { ENGINE_KINDS, importBusybox, startEngine, type ReferenceEngine } from './engines.js';

const DOCKER = [process.env.TSCT_DOCKER_CLI ?? '', '/usr/local/bin/docker', '/usr/bin/docker'].find((p) => p && existsSync(p));
const gate = dockerdGate('the docker CLI reference suite', [DOCKER ?? 'docker']);
const IMAGE = 'tsctref/busybox:1';

describe.skipIf(gate.skip).each(ENGINE_KINDS)('the docker CLI on %s', (kind) => {
  const name = uniqueName('tsct').slice(0, 10);
  let engine: ReferenceEngine;
  const { docker, ok } = dockerCli(DOCKER!, () => engine.host.replace(/^unix:\/\//, ''), () => path.join(engine.dir, 'docker-config'));
  const run = (...args: string[]) => docker(['run', '--rm', '--network', 'none', ...args]);

  beforeAll(async () => {
    engine = await startEngine(kind, name);
    await importBusybox(engine, IMAGE);
  }, 120_000);

  afterAll(async () => {
    const notes = await engine?.stop();
    if (notes?.length) console.error(`${kind} cleanup: ${notes.join('; ')}`);
  }, 120_000);

  it('the primary group is among the supplementary groups', async () => {
    expect((await run(IMAGE, 'id')).stdout).toBe('uid=0(root) gid=0(root) groups=0(root)\n');
    expect((await run('-u', 'app', IMAGE, 'id')).stdout).toBe('uid=1000(app) gid=1000(app) groups=10(wheel),1000(app)\n');
    expect((await run('-u', '1000:10', IMAGE, 'id')).stdout).toBe('uid=1000(app) gid=10(wheel) groups=10(wheel)\n');
  }, 60_000);

  it('any user may bind a low port and ping in the container\'s own network namespace', async () => {
    const r = await run('-u', '1000', IMAGE, 'sh', '-c', 'cat /proc/sys/net/ipv4/ip_unprivileged_port_start /proc/sys/net/ipv4/ping_group_range; busybox httpd -p 80 -h /tmp && echo bound 80');
    expect(r.stdout.replace(/\s+/g, ' ').trim()).toBe('0 0 2147483647 bound 80');
    // The request's own value wins.
    const own = await run('--sysctl', 'net.ipv4.ip_unprivileged_port_start=1024', IMAGE, 'cat', '/proc/sys/net/ipv4/ip_unprivileged_port_start');
    expect(own).toEqual({ code: 0, stdout: '1024\n', stderr: '' });
  }, 60_000);

  it('a read-only root keeps /etc/hosts, /etc/hostname and /etc/resolv.conf read-only', async () => {
    const r = await run('--read-only', IMAGE, 'sh', '-c', 'for f in hosts hostname resolv.conf; do (echo x >> /etc/$f) 2>/dev/null && echo $f writable || echo $f read-only; done');
    expect(r.stdout).toBe('hosts read-only\nhostname read-only\nresolv.conf read-only\n');
  }, 60_000);

  it('exit codes: 127 for a missing command, 126 for one that cannot run, the status otherwise', async () => {
    const missing = await run(IMAGE, 'nope');
    expect(missing.stderr).toContain('exec: "nope": executable file not found in $PATH');
    expect(missing.code).toBe(127);
    const denied = await run(IMAGE, '/etc/passwd');
    expect(denied.stderr).toContain('exec: "/etc/passwd": permission denied');
    expect(denied.code).toBe(126);
    expect((await run(IMAGE, 'sh', '-c', 'exit 3')).code).toBe(3);
  }, 60_000);

  it('exec: the command\'s status, 126 when it cannot start', async () => {
    await ok(['run', '-d', '--network', 'none', '--name', `${name}-exec`, IMAGE, 'sleep', '100']);
    expect((await docker(['exec', `${name}-exec`, 'sh', '-c', 'exit 7'])).code).toBe(7);
    const missing = await docker(['exec', `${name}-exec`, 'nope']);
    expect(`${missing.stdout}${missing.stderr}`).toContain('exec: "nope": executable file not found in $PATH');
    expect(missing.code).toBe(126);
    await ok(['rm', '-f', `${name}-exec`]);
  }, 60_000);

  it('stop -t 1 of a process that ignores SIGTERM ends in SIGKILL: 137', async () => {
    // PID 1 gets no default signal handlers: sleep ignores SIGTERM there.
    await ok(['run', '-d', '--network', 'none', '--name', `${name}-stop`, IMAGE, 'sleep', '100']);
    await ok(['stop', '-t', '1', `${name}-stop`]);
    expect((await ok(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', `${name}-stop`])).trim()).toBe('exited 137');
    await ok(['rm', `${name}-stop`]);
  }, 60_000);

  it('logs keep stdout and stderr apart; ps lists the command as dockerd does', async () => {
    await ok(['run', '--network', 'none', '--name', `${name}-logs`, IMAGE, 'sh', '-c', 'echo out; echo err >&2']);
    const logs = await docker(['logs', `${name}-logs`]);
    expect([logs.stdout, logs.stderr]).toEqual(['out\n', 'err\n']);
    const cmd = await ok(['ps', '-a', '--no-trunc', '--filter', `name=${name}-logs`, '--format', '{{.Command}}']);
    expect(cmd.trim()).toBe(`"sh -c 'echo out; echo err >&2'"`);
    expect((await ok(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', `${name}-logs`])).trim()).toBe('exited 0');
    await ok(['rm', `${name}-logs`]);
  }, 60_000);

  it('a port published on a user network answers from the host; peers resolve the container by name', async () => {
    await ok(['network', 'create', `${name}_net`]);
    await ok(['run', '-d', '--name', `${name}-web`, '--network', `${name}_net`, '-p', '127.0.0.1::8080', IMAGE,
      'sh', '-c', 'mkdir /www; echo hello from web > /www/index.html; exec busybox httpd -f -p 8080 -h /www']);
    const port = (await ok(['port', `${name}-web`, '8080/tcp'])).trim();
    expect(port).toMatch(/^127\.0\.0\.1:\d+$/);
    let body = '';
    for (let i = 0; i < 50 && !body; i++) {
      body = await http('GET', `http://${port}/`).then((r) => r.body, () => '');
      if (!body) await new Promise((r) => setTimeout(r, 200));
    }
    expect(body).toBe('hello from web\n');
    const peer = await docker(['run', '--rm', '--network', `${name}_net`, IMAGE, 'busybox', 'wget', '-q', '-O', '-', `http://${name}-web:8080/`]);
    expect(peer.stdout).toBe('hello from web\n');
    await ok(['rm', '-f', `${name}-web`]);
    await ok(['network', 'rm', `${name}_net`]);
  }, 60_000);

  it('a port published with no host address answers on IPv4 and IPv6 loopback', async () => {
    await ok(['network', 'create', `${name}_net6`]);
    await ok(['run', '-d', '--name', `${name}-any`, '--network', `${name}_net6`, '-p', '8080', IMAGE,
      'sh', '-c', 'mkdir /www; echo hello from any > /www/index.html; exec busybox httpd -f -p 8080 -h /www']);
    // dockerd lists 0.0.0.0:N and [::]:N; ours one dual-stack socket, listed as 0.0.0.0:N. Same port either way.
    const port = /:(\d+)$/m.exec(await ok(['port', `${name}-any`, '8080/tcp']))?.[1];
    expect(port).toMatch(/^\d+$/);
    for (const host of ['127.0.0.1', '[::1]']) {
      let body = '';
      for (let i = 0; i < 50 && !body; i++) {
        body = await http('GET', `http://${host}:${port}/`).then((r) => r.body, () => '');
        if (!body) await new Promise((r) => setTimeout(r, 200));
      }
      expect(`${host} ${body}`).toBe(`${host} hello from any\n`);
    }
    await ok(['rm', '-f', `${name}-any`]);
    await ok(['network', 'rm', `${name}_net6`]);
  }, 60_000);
});
