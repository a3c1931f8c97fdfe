// The engine on this machine's kernel: a private --root and socket in a temp
// dir, a busybox image, containers driven through our client.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineApiError, HttpEngineClient, FrameDemuxer, type EngineEvent } from '../../../runtime/client/index.js';
import { Engine, packageRoot, tscrunPath } from '../../../runtime/engine/engine.js';
import { makeBusyboxRootfs, missingPrerequisite, singleLayerImages, removeCgroupParent, removeTestNetworks, testNetworkOptions } from './helpers.js';

const why = missingPrerequisite();
if (why && process.env.CI) throw new Error(`engine integration tests cannot run: ${why}`);
const d = why ? describe.skip : describe;

const prefix = `tsct${Math.random().toString(36).slice(2, 8)}`;
let dir = '';
let socket = '';
let root = '';
let layer = '';
let engine: Engine | undefined;
let client: HttpEngineClient;

let combo: { runtime: string; monitor: 'native' | 'node' } = { runtime: 'runc', monitor: 'node' };

async function startEngine(): Promise<Engine> {
  return Engine.start({ root, socketPath: socket, runtime: combo.runtime, monitor: combo.monitor, images: singleLayerImages(layer), cgroupParent: prefix, log: () => {}, ...testNetworkOptions(prefix) });
}

async function run(cmd: string[], extra: Record<string, unknown> = {}, name?: string): Promise<string> {
  const { Id } = await client.createContainer({ Image: 'busybox', Cmd: cmd, Labels: { [`${prefix}.test`]: '1' }, ...extra }, { name });
  await client.startContainer(Id);
  return Id;
}

async function waitFor(cond: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) { if (await cond()) return; await new Promise((r) => setTimeout(r, 50)); }
  throw new Error('condition not met in time');
}

// Every runtime and monitor this machine has: the same behaviour is expected of each.
// (crun is left out: it refuses this host's hybrid cgroups as soon as any cgroup v2 controller is enabled.)
const tscrunBuilt = existsSync(tscrunPath());
const combos: Array<{ runtime: string; monitor: 'native' | 'node' }> = [
  { runtime: 'runc', monitor: 'node' },
  ...(tscrunBuilt ? [{ runtime: 'runc', monitor: 'native' as const }, { runtime: 'tscrun', monitor: 'native' as const }] : []),
];

d.each(combos)('engine lifecycle ($runtime, $monitor monitor)', (c) => {
  beforeAll(async () => {
    combo = c;
    dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
    socket = join(dir, 'engine.sock');
    root = join(dir, 'root');
    layer = makeBusyboxRootfs(join(dir, 'layer'));
    engine = await startEngine();
    client = new HttpEngineClient({ host: `unix://${socket}` });
  });

  afterAll(async () => {
    if (client) {
      for (const c of await client.listContainers({ all: true }).catch(() => [])) await client.removeContainer(c.Id, { force: true }).catch(() => {});
      client.close();
    }
    await engine?.close();
    engine = undefined;
    if (root) await removeTestNetworks(root, testNetworkOptions(prefix).networkLinkPrefix);
    await removeCgroupParent(prefix);
    if (dir) {
      const mounts = execFileSync('sh', ['-c', `grep -o ' ${dir}[^ ]*' /proc/self/mountinfo || true`]).toString().trim().split('\n').filter(Boolean);
      for (const m of mounts.reverse()) { try { execFileSync('umount', ['-l', m.trim()]); } catch { /* gone */ } }
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('answers ping, version and info', async () => {
    const ping = await client.ping();
    expect(ping.apiVersion).toBe('1.41');
    expect(ping.osType).toBe('linux');
    const v = await client.version();
    expect(v.ApiVersion).toBe('1.41');
    const info = await client.info();
    expect(info.DockerRootDir).toBe(root);
    expect(info.DefaultRuntime).toBe(combo.runtime);
  });

  it('runs a container to completion: exit code, separate streams, inspect', async () => {
    const { Id } = await client.createContainer({ Image: 'busybox', Cmd: ['sh', '-c', 'echo out; echo err >&2; exit 3'] }, { name: `${prefix}-exit3` });
    const waited = client.waitContainer(Id, 'next-exit');
    await client.startContainer(Id);
    expect((await waited).StatusCode).toBe(3);
    const logs = await client.logsText(Id);
    expect(logs).toEqual({ stdout: 'out\n', stderr: 'err\n' });
    const i = await client.inspectContainer(Id);
    expect(i.Name).toBe(`/${prefix}-exit3`);
    expect(i.State).toMatchObject({ Status: 'exited', Running: false, ExitCode: 3, OOMKilled: false, Pid: 0 });
    expect(Date.parse(i.State.FinishedAt)).toBeGreaterThanOrEqual(Date.parse(i.State.StartedAt) - 1000);
    expect(i.Path).toBe('sh');
    expect(i.Args).toEqual(['-c', 'echo out; echo err >&2; exit 3']);
    expect(i.Config.Env).toContain('PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin');
    expect(i.HostConfig.NetworkMode).toBe('bridge');
    // wait on an exited container returns at once
    expect((await client.waitContainer(Id)).StatusCode).toBe(3);
    await client.removeContainer(Id);
    await expect(client.inspectContainer(Id)).rejects.toMatchObject({ status: 404, message: `No such container: ${Id}` });
  });

  it('sets up the container like Docker: hostname, /etc files, user, workdir, env, readonly rootfs, caps', async () => {
    const script = [
      'hostname', 'cat /etc/hostname', 'grep -c localhost /etc/hosts', 'id -u', 'pwd', 'echo $FOO',
      'touch /x 2>/dev/null && echo rw || echo ro', 'grep CapEff /proc/self/status', 'test -c /dev/null && echo devnull',
      'grep -q " /proc/keys " /proc/self/mountinfo && echo masked',
    ].join('; ');
    const id = await run(['sh', '-c', script], { Hostname: 'box1', User: 'app', WorkingDir: '/tmp', Env: ['FOO=bar'], HostConfig: { ReadonlyRootfs: true } });
    expect((await client.waitContainer(id)).StatusCode).toBe(0);
    const out = (await client.logsText(id)).stdout.split('\n');
    expect(out.slice(0, 6)).toEqual(['box1', 'box1', '2', '1000', '/tmp', 'bar']);
    expect(out[6]).toBe('ro');
    // A non-root user gets no effective capabilities.
    expect(out[7]).toMatch(/CapEff:\s+0000000000000000/);
    expect(out[8]).toBe('devnull');
    expect(out[9]).toBe('masked');
    const rootId = await run(['sh', '-c', 'grep CapEff /proc/self/status']);
    await client.waitContainer(rootId);
    // Docker's 14 default capabilities.
    expect((await client.logsText(rootId)).stdout).toMatch(/CapEff:\s+00000000a80425fb/);
  });

  it('mounts binds, tmpfs and applies sysctls and ulimits', async () => {
    const host = join(dir, 'bind-src');
    const script = 'cat /data/hello; touch /data/x 2>/dev/null && echo rw || echo ro; echo tmp > /scratch/t && cat /scratch/t; grep " /scratch " /proc/mounts | cut -d" " -f3; cat /proc/sys/net/core/somaxconn; ulimit -n';
    execFileSync('mkdir', ['-p', host]);
    execFileSync('sh', ['-c', `echo from-host > ${host}/hello`]);
    const id = await run(['sh', '-c', script], {
      HostConfig: {
        Binds: [`${host}:/data:ro`], Tmpfs: { '/scratch': 'size=1m' }, ReadonlyRootfs: true,
        Sysctls: { 'net.core.somaxconn': '321' }, Ulimits: [{ Name: 'nofile', Soft: 321, Hard: 321 }],
      },
    });
    expect((await client.waitContainer(id)).StatusCode).toBe(0);
    expect((await client.logsText(id)).stdout).toBe('from-host\nro\ntmp\ntmpfs\n321\n321\n');
  });

  it('reports Docker errors with their status codes', async () => {
    await expect(client.inspectContainer('nope-nope')).rejects.toMatchObject({ status: 404, message: 'No such container: nope-nope' });
    await expect(client.createContainer({ Image: 'busybox', Cmd: ['true'] }, { name: 'bad name!' })).rejects.toMatchObject({
      status: 400, message: 'Invalid container name (bad name!), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed',
    });
    await expect(client.createContainer({ Image: 'nosuchimage', Cmd: ['true'] })).rejects.toMatchObject({ status: 404, message: 'No such image: nosuchimage:latest' });
    const id = await run(['sleep', '30'], {}, `${prefix}-dup`);
    await expect(client.createContainer({ Image: 'busybox', Cmd: ['true'] }, { name: `${prefix}-dup` })).rejects.toMatchObject({ status: 409 });
    await expect(client.removeContainer(id)).rejects.toMatchObject({ status: 409 });
    // start on a running container is a 304, not an error
    await client.startContainer(id);
    await client.removeContainer(id, { force: true });
    await expect(client.inspectContainer(id)).rejects.toBeInstanceOf(EngineApiError);
    await expect(client.createContainer({ Image: 'busybox', Cmd: ['true'], HostConfig: { CapAdd: ['NOT_A_CAP'] } })).rejects.toMatchObject({ status: 400, message: 'unknown capability: "CAP_NOT_A_CAP"' });
    await expect(client.createContainer({ Image: 'busybox', Cmd: ['no-such-binary'] }).then((r) => client.startContainer(r.Id))).rejects.toMatchObject({ status: 400 });
  });

  it('stops gracefully, and with SIGKILL after the timeout', async () => {
    const graceful = await run(['sh', '-c', "trap 'exit 0' TERM; while true; do sleep 0.1; done"]);
    await new Promise((r) => setTimeout(r, 300));
    await client.stopContainer(graceful, { timeout: 5 });
    expect((await client.inspectContainer(graceful)).State).toMatchObject({ Running: false, ExitCode: 0 });
    // sh as pid 1 ignores SIGTERM without a trap: the timeout then SIGKILL decide
    const stubborn = await run(['sleep', '60']);
    const t0 = Date.now();
    await client.stopContainer(stubborn, { timeout: 1 });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    expect((await client.inspectContainer(stubborn)).State).toMatchObject({ Running: false, ExitCode: 137 });
    // stopping a stopped container is a no-op (304)
    await client.stopContainer(stubborn, { timeout: 1 });
  });

  it('lists with filters', async () => {
    const a = await run(['sleep', '30'], { Labels: { [`${prefix}.role`]: 'web' } }, `${prefix}-web`);
    const b = await run(['true'], { Labels: { [`${prefix}.role`]: 'job' } }, `${prefix}-job`);
    await client.waitContainer(b);
    const byLabel = await client.listContainers({ all: true, filters: { label: [`${prefix}.role=web`] } });
    expect(byLabel.map((c) => c.Id)).toEqual([a]);
    expect(byLabel[0]).toMatchObject({ Names: [`/${prefix}-web`], State: 'running', Image: 'busybox', Command: 'sleep 30' });
    expect(byLabel[0].Status).toMatch(/^Up /);
    const running = await client.listContainers({ filters: { label: [`${prefix}.role`] } });
    expect(running.map((c) => c.Id)).toEqual([a]);
    const exited = await client.listContainers({ all: true, filters: { status: ['exited'], name: [`${prefix}-job`] } });
    expect(exited.map((c) => c.Id)).toEqual([b]);
    expect(exited[0].Status).toMatch(/^Exited \(0\) /);
    expect((await client.listContainers({ all: true, filters: { id: [a.slice(0, 10)] } })).map((c) => c.Id)).toEqual([a]);
    await expect(client.listContainers({ filters: { bogus: ['1'] } })).rejects.toMatchObject({ status: 400, message: "invalid filter 'bogus'" });
    await client.removeContainer(a, { force: true });
    await client.removeContainer(b);
  });

  it('follows logs while the container runs, with tail and timestamps', async () => {
    const id = await run(['sh', '-c', 'for i in 1 2 3 4 5; do echo line$i; sleep 0.2; done']);
    const seen: string[] = [];
    for await (const f of client.logs(id, { follow: true })) seen.push(f.data.toString());
    expect(seen.join('')).toBe('line1\nline2\nline3\nline4\nline5\n');
    expect((await client.logsText(id, { tail: 2 })).stdout).toBe('line4\nline5\n');
    const ts = (await client.logsText(id, { tail: 1, timestamps: true })).stdout;
    expect(ts).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z line5\n$/);
  });

  it('attaches before start and gets the whole output (docker run)', async () => {
    const { Id } = await client.createContainer({ Image: 'busybox', Cmd: ['sh', '-c', 'echo a; echo b >&2; echo c'] });
    const { socket: s, head } = await client.attachContainer(Id, { stream: true, stdout: true, stderr: true });
    const demux = new FrameDemuxer();
    const frames = demux.push(head);
    const ended = new Promise<void>((r) => { s.on('data', (b: Buffer) => frames.push(...demux.push(b))); s.on('end', () => r()); });
    await client.startContainer(Id);
    await ended;
    expect(frames.filter((f) => f.stream === 'stdout').map((f) => f.data.toString()).join('')).toBe('a\nc\n');
    expect(frames.filter((f) => f.stream === 'stderr').map((f) => f.data.toString()).join('')).toBe('b\n');
  });

  it.runIf(c.monitor === 'native')('attaches stdin and a TTY through the monitor', async () => {
    const { Id } = await client.createContainer({ Image: 'busybox', Cmd: ['sh', '-c', 'read line; echo got:$line'], OpenStdin: true, AttachStdin: true });
    const { socket: s, head } = await client.attachContainer(Id, { stream: true, stdin: true, stdout: true, stderr: true });
    const demux = new FrameDemuxer();
    const frames = demux.push(head);
    const ended = new Promise<void>((r) => { s.on('data', (b: Buffer) => frames.push(...demux.push(b))); s.on('close', () => r()); });
    await client.startContainer(Id);
    s.write('hello\n');
    await ended;
    expect(frames.map((f) => f.data.toString()).join('')).toBe('got:hello\n');
    expect((await client.waitContainer(Id)).StatusCode).toBe(0);

    const tty = await client.createContainer({ Image: 'busybox', Cmd: ['sh', '-c', 'tty; echo err >&2'], Tty: true });
    const t = await client.attachContainer(tty.Id, { stream: true, stdout: true, stderr: true });
    const raw: Buffer[] = [t.head];
    const done = new Promise<void>((r) => { t.socket.on('data', (b: Buffer) => raw.push(b)); t.socket.on('close', () => r()); });
    await client.startContainer(tty.Id);
    await done;
    // A TTY has one stream and no framing; the terminal turns \n into \r\n.
    expect(Buffer.concat(raw).toString()).toBe('/dev/pts/0\r\nerr\r\n');
    const logs = await client.logsStream(tty.Id, { stdout: true, stderr: true });
    const body: Buffer[] = [];
    for await (const b of logs) body.push(b as Buffer);
    expect(Buffer.concat(body).toString()).toBe('/dev/pts/0\r\nerr\r\n');
  });

  it('applies resource limits, and reports an OOM kill', async () => {
    const limits = await run(['sh', '-c', 'cat /sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/cpu/cpu.cfs_quota_us 2>/dev/null || cat /sys/fs/cgroup/pids.max /sys/fs/cgroup/memory.max /sys/fs/cgroup/cpu.max'], {
      HostConfig: { PidsLimit: 50, Memory: 64 * 1024 * 1024, MemorySwap: 64 * 1024 * 1024, NanoCpus: 500_000_000 },
    });
    expect((await client.waitContainer(limits)).StatusCode).toBe(0);
    expect((await client.logsText(limits)).stdout.split('\n').slice(0, 3)).toEqual(['50', String(64 * 1024 * 1024), '50000']);
    if (c.monitor !== 'native') return; // the fallback monitor cannot see the OOM counter
    const hog = await run(['sh', '-c', 'x=$(head -c 200000000 /dev/zero | tr "\\0" a); echo survived'], {
      HostConfig: { Memory: 16 * 1024 * 1024, MemorySwap: 16 * 1024 * 1024 },
    });
    const code = (await client.waitContainer(hog)).StatusCode;
    const state = (await client.inspectContainer(hog)).State;
    expect(state.OOMKilled).toBe(true);
    expect([137, 1]).toContain(code);
  });

  it('kills, pauses, unpauses, renames and shows top', async () => {
    const id = await run(['sh', '-c', 'sleep 1000 & sleep 1000 & wait'], {}, `${prefix}-ctl`);
    await waitFor(async () => (await client.topContainer(id)).Processes.length === 3);
    const top = await client.topContainer(id);
    expect(top.Titles).toContain('PID');
    expect(top.Processes.map((p) => p[top.Titles.indexOf('CMD')]).sort()).toEqual(['sh -c sleep 1000 & sleep 1000 & wait', 'sleep 1000', 'sleep 1000']);
    await client.pauseContainer(id);
    expect((await client.inspectContainer(id)).State).toMatchObject({ Status: 'paused', Paused: true, Running: true });
    await expect(client.pauseContainer(id)).rejects.toMatchObject({ status: 409 });
    await client.unpauseContainer(id);
    expect((await client.inspectContainer(id)).State.Status).toBe('running');
    await client.renameContainer(id, `${prefix}-ctl2`);
    expect((await client.inspectContainer(`${prefix}-ctl2`)).Id).toBe(id);
    await client.killContainer(id, 'SIGKILL');
    await waitFor(async () => !(await client.inspectContainer(id)).State.Running);
    expect((await client.inspectContainer(id)).State.ExitCode).toBe(137);
    await expect(client.killContainer(id)).rejects.toMatchObject({ status: 409, message: `Container ${id} is not running` });
    await client.removeContainer(id);
  });

  it('restarts by policy with back-off, and leaves a stopped container alone', async () => {
    const failing = await run(['sh', '-c', 'echo run; exit 2'], { HostConfig: { RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 2 } } });
    await waitFor(async () => {
      const i = await client.inspectContainer(failing);
      return i.RestartCount === 2 && i.State.Status === 'exited';
    }, 15_000);
    expect((await client.logsText(failing)).stdout).toBe('run\nrun\nrun\n');
    expect((await client.inspectContainer(failing)).State.ExitCode).toBe(2);

    const always = await run(['sh', '-c', 'echo up; sleep 0.2'], { HostConfig: { RestartPolicy: { Name: 'always' } } });
    await waitFor(async () => (await client.inspectContainer(always)).RestartCount >= 2, 15_000);
    await client.stopContainer(always, { timeout: 1 });
    const stopped = await client.inspectContainer(always);
    expect(stopped.State).toMatchObject({ Running: false, Restarting: false, Status: 'exited' });
    await new Promise((r) => setTimeout(r, 800));
    expect((await client.inspectContainer(always)).State.Running).toBe(false);
    await client.removeContainer(always);
    await client.removeContainer(failing);
  });

  it('runs health checks: starting, healthy, unhealthy', async () => {
    const hc = (test: string[]) => ({ Test: test, Interval: 200e6, Timeout: 2e9, Retries: 2 });
    const good = await run(['sh', '-c', 'sleep 0.5; touch /tmp/ready; sleep 60'], { Healthcheck: hc(['CMD-SHELL', 'test -f /tmp/ready']) });
    expect((await client.inspectContainer(good)).State.Health?.Status).toBe('starting');
    await waitFor(async () => (await client.inspectContainer(good)).State.Health?.Status === 'healthy', 15_000);
    const bad = await run(['sleep', '60'], { Healthcheck: hc(['CMD', 'false']) });
    await waitFor(async () => (await client.inspectContainer(bad)).State.Health?.Status === 'unhealthy', 15_000);
    const h = (await client.inspectContainer(bad)).State.Health!;
    expect(h.FailingStreak).toBeGreaterThanOrEqual(2);
    expect((h.Log[0] as { ExitCode: number }).ExitCode).toBe(1);
    await client.removeContainer(good, { force: true });
    await client.removeContainer(bad, { force: true });
  });

  it('removes AutoRemove containers after exit (wait condition removed)', async () => {
    const { Id } = await client.createContainer({ Image: 'busybox', Cmd: ['sh', '-c', 'exit 7'], HostConfig: { AutoRemove: true } });
    const removed = client.waitContainer(Id, 'removed');
    await client.startContainer(Id);
    expect((await removed).StatusCode).toBe(7);
    await expect(client.inspectContainer(Id)).rejects.toMatchObject({ status: 404 });
  });

  it('streams events with filters', async () => {
    const ac = new AbortController();
    const got: EngineEvent[] = [];
    const reader = (async () => {
      for await (const ev of client.events({ filters: { type: ['container'], label: [`${prefix}.ev=1`] }, signal: ac.signal })) {
        got.push(ev);
        if (ev.Action === 'destroy') break;
      }
    })();
    await new Promise((r) => setTimeout(r, 100));
    const id = await run(['true'], { Labels: { [`${prefix}.ev`]: '1' } });
    await client.waitContainer(id);
    await client.removeContainer(id);
    await reader;
    ac.abort();
    expect(got.map((e) => e.Action)).toEqual(['create', 'start', 'die', 'destroy']);
    expect(got[2].Actor.Attributes.exitCode).toBe('0');
  });

  it('keeps containers running across an engine restart, with logs still flowing', async () => {
    const id = await run(['sh', '-c', 'i=0; while true; do i=$((i+1)); echo tick$i; sleep 0.2; done'], {}, `${prefix}-live`);
    await waitFor(async () => (await client.logsText(id)).stdout.includes('tick2'));
    const pid = (await client.inspectContainer(id)).State.Pid;
    await engine!.close();
    engine = undefined;
    await new Promise((r) => setTimeout(r, 600));
    process.kill(pid, 0); // still alive while no engine runs
    engine = await startEngine();
    const after = await client.inspectContainer(id);
    expect(after.State).toMatchObject({ Running: true, Pid: pid });
    const before = (await client.logsText(id)).stdout.split('\n').filter(Boolean).length;
    await waitFor(async () => (await client.logsText(id)).stdout.split('\n').filter(Boolean).length > before + 2);
    await client.stopContainer(id, { timeout: 1 });
    expect((await client.inspectContainer(id)).State).toMatchObject({ Running: false, ExitCode: 137 });
  });

  it('notices a container that ended while the engine was down', async () => {
    const id = await run(['sh', '-c', 'sleep 1; exit 5']);
    await engine!.close();
    engine = undefined;
    await new Promise((r) => setTimeout(r, 1800));
    engine = await startEngine();
    expect((await client.inspectContainer(id)).State).toMatchObject({ Status: 'exited', ExitCode: 5 });
  });

  it.runIf(existsSync(join(packageRoot(), 'native/build/tsc-init')))('runs tsc-init as pid 1 with init: true, which forwards SIGTERM', async () => {
    const id = await run(['sh', '-c', 'cat /proc/1/cmdline | tr "\\0" " "; echo; exec sleep 60'], { HostConfig: { Init: true } });
    await waitFor(async () => (await client.logsText(id)).stdout.includes('\n'));
    expect((await client.logsText(id)).stdout).toMatch(/^\/sbin\/docker-init -- sh -c /);
    const t0 = Date.now();
    await client.stopContainer(id, { timeout: 10 });
    // sleep as a child of the init dies of the forwarded SIGTERM at once (no 10 s SIGKILL wait).
    expect(Date.now() - t0).toBeLessThan(5000);
    expect((await client.inspectContainer(id)).State.ExitCode).toBe(143);
  });

  it('refuses a second engine on the same root', async () => {
    await expect(Engine.start({ root, socketPath: join(dir, 'other.sock'), runtime: 'runc', images: singleLayerImages(layer), log: () => {} }))
      .rejects.toThrow(`another engine is running on ${root} (pid ${process.pid})`);
    expect(engine!.monitorKind).toBe(c.monitor === 'native' ? 'tscrun' : 'node');
  });
});
