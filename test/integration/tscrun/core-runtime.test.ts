// tscrun's own guarantees that a differential test against runc cannot show:
// the stages and their names, the sealed binary, errors carried over the sync
// socket, the state files, no fd leaking into the container, mount targets
// that stay inside the rootfs, and `exec`'s options.
import { existsSync, mkdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { baseSpec, writeBundle } from '../../helpers/bundle.js';
import { runCleanups } from '../../helpers/cleanup.js';
import { uniqueName } from '../../helpers/names.js';
import { OciRuntime, runtimeBinary } from '../../helpers/oci-runtime.js';
import { requireEnv } from '../../helpers/require-root.js';
import { TSCRUN_PATH } from '../../helpers/rootfs.js';
import { tempDir } from '../../helpers/tmp.js';

const gate = requireEnv({ root: true, paths: [runtimeBinary('tscrun') ?? TSCRUN_PATH] }, 'tscrun core tests');

const sh = (script: string) => baseSpec(['/bin/sh', '-c', script]);

describe.skipIf(gate.skip)('tscrun core', () => {
  afterEach(runCleanups);

  it('create leaves a named init blocked on exec.fifo, from a sealed binary; start/kill/delete clean up', async () => {
    const rt = OciRuntime.of('tscrun');
    const id = uniqueName();
    const b = writeBundle(sh('sleep 60'), { containerId: id });
    const pidFile = path.join(tempDir('pid'), 'pid');
    const out = path.join(tempDir('out'), 'out');
    const c = await rt.create(id, b.dir, ['--pid-file', pidFile], { outputFile: out });
    expect(c.code, readFileSync(out, 'utf8')).toBe(0);
    const st = await rt.state(id);
    expect(st.status).toBe('created');
    expect(Number(readFileSync(pidFile, 'utf8'))).toBe(st.pid);
    expect(existsSync(path.join(rt.stateDir(id), 'exec.fifo'))).toBe(true);
    expect(readFileSync(`/proc/${st.pid}/comm`, 'utf8').trim()).toBe('tscrun:[2:INIT]');
    // CVE-2019-5736: /proc/<init>/exe is a sealed memfd, not the file on disk.
    expect(readlinkSync(`/proc/${st.pid}/exe`)).toMatch(/^\/memfd:tscrun/);

    expect((await rt.start(id)).code).toBe(0);
    expect((await rt.state(id)).status).toBe('running');
    expect(existsSync(path.join(rt.stateDir(id), 'exec.fifo'))).toBe(false);
    expect((await rt.start(id)).stderr).toMatch(/it is running, not created/);
    const del = await rt.delete(id);
    expect(del.code).toBe(1);
    expect(del.stderr).toMatch(/not stopped: running/);

    expect((await rt.kill(id, 'KILL')).code).toBe(0);
    await rt.waitStatus(id, ['stopped']);
    expect((await rt.delete(id)).code).toBe(0);
    expect(existsSync(rt.stateDir(id))).toBe(false);
    // Gone, or a zombie of a pid 1 that reaps slowly (this sandbox's pid 1
    // is not an init).
    const stat = existsSync(`/proc/${st.pid}`) ? readFileSync(`/proc/${st.pid}/stat`, 'utf8') : '';
    expect(stat === '' || / Z /.test(stat)).toBe(true);
  });

  it("the init's error crosses the sync socket with the syscall, object and errno", async () => {
    const rt = OciRuntime.of('tscrun');
    const spec = sh('true');
    spec.mounts.push({ destination: '/data', type: 'bind', source: '/nonexistent-tsct', options: ['bind'] });
    const id = uniqueName();
    const r = await rt.run(id, writeBundle(spec, { containerId: id }).dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/bind mount source `\/nonexistent-tsct` \(for `\/data`\): No such file or directory/);
    expect(existsSync(rt.stateDir(id))).toBe(false);

    const spec2 = sh('true');
    spec2.process.rlimits = [{ type: 'RLIMIT_NOFILE', hard: 1 << 30, soft: 1 << 30 }];
    const id2 = uniqueName();
    const r2 = await rt.run(id2, writeBundle(spec2, { containerId: id2 }).dir);
    expect(r2.code).toBe(1);
    expect(r2.stderr).toMatch(/setrlimit RLIMIT_NOFILE to 1073741824: Operation not permitted \(the hard limit here is \d+\)/);
  });

  it('a sysctl outside the container\'s namespaces is refused, the host keeps its value', async () => {
    const rt = OciRuntime.of('tscrun');
    const before = readFileSync('/proc/sys/vm/swappiness', 'utf8');
    const spec = sh('true');
    spec.linux.sysctl = { 'vm.swappiness': before.trim() === '1' ? '2' : '1' };
    const id = uniqueName();
    const r = await rt.run(id, writeBundle(spec, { containerId: id }).dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('linux.sysctl `vm.swappiness` is not namespaced');
    expect(readFileSync('/proc/sys/vm/swappiness', 'utf8')).toBe(before);
  });

  it('no fd of the caller leaks into the container (CVE-2024-21626), cwd is inside', async () => {
    const rt = OciRuntime.of('tscrun');
    const id = uniqueName();
    const b = writeBundle(sh('ls /proc/self/fd | sort -n | tr "\\n" " "; echo; pwd'), { containerId: id });
    // Extra inherited fds (3, 4) without CLOEXEC, like a careless caller.
    const { spawnSync } = await import('node:child_process');
    const r = spawnSync(rt.bin, ['--root', rt.root, 'run', '--bundle', b.dir, id], {
      stdio: ['ignore', 'pipe', 'pipe', 'pipe', 'pipe'], encoding: 'utf8', timeout: 30_000,
    });
    rt.track(id);
    expect(r.status, r.stderr).toBe(0);
    const [fds, cwd] = r.stdout.trim().split('\n');
    // 0-2 and the fd `ls` itself opens on /proc/self/fd.
    expect(fds!.trim().split(' ').map(Number)).toEqual([0, 1, 2, 3]);
    expect(cwd).toBe('/');
  });

  it('a mount target that is a symlink out of the rootfs stays inside it (CVE-2021-30465)', async () => {
    const rt = OciRuntime.of('tscrun');
    const host = tempDir('victim');
    const spec = sh('ls /escape; touch /escape/x 2>&1; true');
    spec.root.readonly = false;
    spec.mounts.push({ destination: '/escape', type: 'tmpfs', source: 'tmpfs', options: ['nosuid'] });
    const id = uniqueName();
    const b = writeBundle(spec, { containerId: id });
    symlinkSync(host, path.join(b.rootfs, 'escape')); // absolute: the host's dir
    const r = await rt.run(id, b.dir);
    expect(r.code, r.stderr).toBe(0);
    // The tmpfs went onto <rootfs><host>, never onto the host directory.
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(` ${host} `);
    expect(existsSync(path.join(host, 'x'))).toBe(false);
    expect(existsSync(path.join(b.rootfs, host))).toBe(true);
  });

  it('exec joins the container: exit codes, env, cwd, user; 255 and the message when not found', async () => {
    const rt = OciRuntime.of('tscrun');
    const id = uniqueName();
    const b = writeBundle(sh('sleep 60'), { containerId: id });
    const out = path.join(tempDir('out'), 'out');
    expect((await rt.cmd(['run', '-d', '--bundle', b.dir, id], { outputFile: out })).code).toBe(0);
    rt.track(id);
    const e1 = await rt.cmd(['exec', id, 'sh', '-c', 'exit 7']);
    expect(e1.code).toBe(7);
    const e2 = await rt.cmd(['exec', '--cwd', '/tmp', '-e', 'TSCT=yes', '-u', '1000:1000', id, 'sh', '-c',
      'pwd; echo $TSCT; id -u; id -g; cat /proc/1/comm; hostname']);
    expect(e2.code, e2.stderr).toBe(0);
    expect(e2.stdout.trim().split('\n')).toEqual(['/tmp', 'yes', '1000', '1000', 'sleep', 'runc']);
    const e3 = await rt.cmd(['exec', id, 'no-such-cmd']);
    expect(e3.code).toBe(255);
    expect(e3.stderr).toContain('exec: "no-such-cmd": executable file not found in $PATH');
    const procFile = path.join(tempDir('proc'), 'process.json');
    writeFileSync(procFile, JSON.stringify({ args: ['sh', '-c', 'echo $A; exit 3'], env: ['A=from-process-json', 'PATH=/bin'], cwd: '/', user: { uid: 0, gid: 0 } }));
    const e4 = await rt.cmd(['exec', '--process', procFile, id]);
    expect(e4.code).toBe(3);
    expect(e4.stdout.trim()).toBe('from-process-json');
  });

  it('run forwards signals, exits with the code or 128+signal; --log json records errors', async () => {
    const rt = OciRuntime.of('tscrun');
    // pid 1 of a pid namespace only gets signals it handles: the script traps.
    const id = uniqueName();
    const b = writeBundle(sh('trap "exit 42" TERM; echo ready; while :; do sleep 0.1; done'), { containerId: id });
    let runPid = 0;
    const p = rt.run(id, b.dir, { onSpawn: (pid) => (runPid = pid) });
    await rt.waitStatus(id, ['running']);
    await new Promise((r) => setTimeout(r, 300)); // let the trap be set
    process.kill(runPid, 'SIGTERM');
    const r = await p;
    expect([r.code, r.signal]).toEqual([42, null]);
    expect(existsSync(rt.stateDir(id))).toBe(false);

    const id1 = uniqueName();
    const p1 = rt.run(id1, writeBundle(sh('sleep 60'), { containerId: id1 }).dir);
    await rt.waitStatus(id1, ['running']);
    expect((await rt.kill(id1, 'KILL')).code).toBe(0);
    expect((await p1).code).toBe(128 + 9);

    const log = path.join(tempDir('log'), 'log.json');
    const bad = sh('true');
    bad.process.args = ['no-such-cmd'];
    const id2 = uniqueName();
    const r2 = await rt.cmd(['--log', log, '--log-format', 'json', 'run', '--bundle', writeBundle(bad, { containerId: id2 }).dir, id2]);
    expect(r2.code).toBe(1);
    const line = JSON.parse(readFileSync(log, 'utf8').trim().split('\n').pop()!) as Record<string, string>;
    expect(line.level).toBe('error');
    expect(line.msg).toContain('executable file not found in $PATH');
    expect(line.time).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it('pause, resume, ps and kill --all act on the whole cgroup; a pid namespace can be joined by path', async () => {
    const rt = OciRuntime.of('tscrun');
    const id = uniqueName();
    const b = writeBundle(sh('sleep 60 & sleep 60 & wait'), { containerId: id });
    const out = path.join(tempDir('out'), 'out');
    expect((await rt.cmd(['run', '-d', '--bundle', b.dir, id], { outputFile: out })).code).toBe(0);
    rt.track(id);
    const st = await rt.state(id);
    let pids: number[] = [];
    for (let i = 0; i < 100 && pids.length < 3; i++) {
      pids = JSON.parse((await rt.cmd(['ps', '--format', 'json', id])).stdout) as number[];
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(pids).toContain(st.pid);
    expect(pids.length).toBe(3);

    expect((await rt.cmd(['pause', id])).code).toBe(0);
    expect((await rt.state(id)).status).toBe('paused');
    expect((await rt.cmd(['exec', id, 'true'])).stderr).toMatch(/it is paused/);
    expect((await rt.cmd(['resume', id])).code).toBe(0);
    expect((await rt.state(id)).status).toBe('running');

    // A second container in the first one's pid namespace sees its processes.
    const spec2 = sh('ps -o pid,comm | grep -c sleep');
    spec2.linux.namespaces = spec2.linux.namespaces.filter((n) => n.type !== 'pid');
    spec2.linux.namespaces.push({ type: 'pid', path: `/proc/${st.pid}/ns/pid` });
    const id2 = uniqueName();
    const r2 = await rt.run(id2, writeBundle(spec2, { containerId: id2 }).dir);
    expect(r2.code, r2.stderr).toBe(0);
    expect(r2.stdout.trim()).toBe('2');

    expect((await rt.kill(id, 'KILL', true)).code).toBe(0);
    await rt.waitStatus(id, ['stopped']);
    for (const pid of pids) {
      const stat = existsSync(`/proc/${pid}`) ? readFileSync(`/proc/${pid}/stat`, 'utf8') : '';
      expect(stat === '' || / Z /.test(stat)).toBe(true);
    }
    expect((await rt.delete(id)).code).toBe(0);
  });

  it('a new user namespace gets its mappings and root inside', async () => {
    const rt = OciRuntime.of('tscrun');
    const spec = sh('cat /proc/self/uid_map; id -u');
    spec.linux.namespaces.push({ type: 'user' });
    spec.linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    spec.linux.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    const id = uniqueName();
    const b = writeBundle(spec, { containerId: id });
    mkdirSync(path.join(b.rootfs, 'tmp'), { recursive: true });
    const r = await rt.run(id, b.dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n').map((l) => l.trim().split(/\s+/).join(' '))).toEqual(['0 100000 65536', '0']);
  });
});
