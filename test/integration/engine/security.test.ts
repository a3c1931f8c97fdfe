// What a container run by our engine can and cannot do, seen from inside it
// by the static probe (native/build/tsc-probe) and a tiny static program that
// tries io_uring_setup and an AF_VSOCK socket: Docker's 14 capabilities,
// masked and read-only /proc and /sys paths, the default seccomp profile,
// no-new-privileges, its own pid, mount and network namespaces; and what
// --privileged, --cap-add/--cap-drop and --read-only change (exactly that).
// Everything goes through the real docker CLI against an in-process engine;
// where dockerd is installed, the same probe runs under a private one too.

import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL_CAPABILITIES, DEFAULT_CAPABILITIES, DEFAULT_MASKED_PATHS, DEFAULT_READONLY_PATHS } from '../../../runtime/containers/defaults.js';
import { dockerdGate, startDockerd, type PrivateDockerd } from '../../helpers/dockerd.js';
import { DOCKER, engineTestGate, newPrefix, startEngineFixture, type EngineFixture } from './engine-fixture.js';

const why = engineTestGate('engine security tests');
const d = why ? describe.skip : describe;
const dockerdWhy = why ?? (dockerdGate('the dockerd comparison of the security tests').skip ? 'needs dockerd and containerd' : undefined);

const EPERM = 1;
/** Writes a per-netns sysctl with the value it already has: harmless, and refused on a read-only /proc/sys. */
const SYSCTL_REWRITE = 'v=$(cat /proc/sys/net/ipv4/ip_forward) && echo $v > /proc/sys/net/ipv4/ip_forward';

/** A static program for the two syscalls Docker's profile refuses that the probe does not try. */
const SYSCALLS_C = `
#include <errno.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
int main(void) {
  long r = syscall(425 /* io_uring_setup */, 1, NULL);
  int uring = r < 0 ? errno : 0;
  int s = socket(40 /* AF_VSOCK */, SOCK_STREAM, 0);
  int vsock = s < 0 ? errno : 0;
  printf("{\\"io_uring_setup\\":%d,\\"vsock\\":%d}\\n", uring, vsock);
  return 0;
}
`;

/** The hex mask /proc/<pid>/status shows for a set of capability names. */
function capMask(names: readonly string[]): string {
  let m = 0n;
  for (const n of names) {
    const bit = (ALL_CAPABILITIES as readonly string[]).indexOf(n);
    if (bit < 0) throw new Error(`unknown capability ${n}`);
    m |= 1n << BigInt(bit);
  }
  return m.toString(16).padStart(16, '0');
}

function hostStatus(field: string): string {
  return new RegExp(`^${field}:\\s*(\\S+)$`, 'm').exec(readFileSync('/proc/self/status', 'utf8'))![1]!;
}

type Caps = Record<'CapInh' | 'CapPrm' | 'CapEff' | 'CapBnd' | 'CapAmb', string>;
interface PathState { stat?: string; type?: string; read?: string; entries?: number | string; write?: string }
interface Report {
  caps: Caps;
  masked: Record<string, PathState>;
  readonly: Record<string, PathState>;
  seccomp: string;
  no_new_privs: string;
  mounts: Array<{ target: string; fstype: string; opts: string[] }>;
  [k: string]: unknown;
}

let f: EngineFixture;

type Probed = Report & { syscalls: { io_uring_setup: number; vsock: number } };

/** Runs the probe (then the syscall program) in a fresh container with `runArgs`, on our engine or through another `run`. */
async function probe(runArgs: string[], reports: string[] = ['caps', 'masked', 'readonly', 'seccomp', 'mounts'], ok: (args: string[]) => Promise<string> = (a) => f.ok(a)): Promise<Probed> {
  const out = await ok(['run', '--rm', ...runArgs, f.image, 'sh', '-c', `/bin/tsc-probe ${reports.join(' ')} && /bin/tsct-syscalls`]);
  const [line, syscalls] = out.trim().split('\n');
  const report = JSON.parse(line!) as Report;
  // Where each mount comes from names the container (its id): what it mounts where, with which options, is what counts.
  if (report.mounts) report.mounts = report.mounts.map(({ target, fstype, opts }) => ({ target, fstype, opts }));
  return { ...report, syscalls: JSON.parse(syscalls!) };
}

/** A masked path reads as nothing: absent on this kernel, /dev/null (files), or an empty read-only tmpfs (directories). */
function expectMasked(path: string, s: PathState): void {
  if (s.stat === 'ENOENT') return;
  if (s.type === 'dir') {
    expect(s.entries ?? s.read, path).toBe(s.entries === undefined ? 'EACCES' : 0);
    expect(s.write, path).toBe('EROFS');
  } else {
    expect(s.type, path).toBe('chr'); // /dev/null: writes go nowhere
    expect(s.read, path).toBe('empty');
  }
}

d('security seen from inside a container of our engine', () => {
  let defaults: Awaited<ReturnType<typeof probe>>;

  beforeAll(async () => {
    f = await startEngineFixture(newPrefix(), addSyscallProgram);
    defaults = await probe([]);
  });

  afterAll(async () => { await f?.teardown(); });

  it('has exactly Docker\'s 14 capabilities in the bounding, permitted and effective sets, none inheritable or ambient', () => {
    expect(DEFAULT_CAPABILITIES.length).toBe(14);
    const want = capMask(DEFAULT_CAPABILITIES);
    expect(want).toBe('00000000a80425fb');
    expect(defaults.caps).toEqual({ CapInh: '0000000000000000', CapPrm: want, CapEff: want, CapBnd: want, CapAmb: '0000000000000000' });
  });

  it('masks /proc and /sys paths and makes /proc/sys, /proc/sysrq-trigger and friends read-only', async () => {
    for (const [p, s] of Object.entries(defaults.masked)) expectMasked(p, s);
    for (const [p, s] of Object.entries(defaults.readonly)) {
      if (s.stat === 'ENOENT') continue;
      // The root of /proc/sys refuses a write with EACCES before the mount is asked (proc_sys_permission).
      expect(s.write, p).toBe(p === '/proc/sys' ? 'EACCES' : 'EROFS');
    }
    // Each masked or read-only path that exists is a mount of its own.
    const targets = new Set(defaults.mounts.map((m) => m.target));
    for (const [p, s] of [...Object.entries(defaults.masked), ...Object.entries(defaults.readonly)]) {
      if (s.stat !== 'ENOENT') expect(targets.has(p), `${p} is mounted over`).toBe(true);
    }
    for (const m of defaults.mounts.filter((x) => (DEFAULT_READONLY_PATHS as string[]).includes(x.target))) expect(m.opts, m.target).toContain('ro');
    expect(defaults.readonly['/proc/sys']!.read).toBe('ok'); // readable, not writable
    // The rest of current moby's list, beyond what the probe walks: /proc/interrupts (and each of the list) reads empty.
    const extra = JSON.parse(await f.ok(['run', '--rm', f.image, '/bin/tsc-probe', ...DEFAULT_MASKED_PATHS.flatMap((p) => ['read', p])])) as Record<string, string | { error: string }>;
    expect(extra['read:/proc/interrupts']).toBe('');
    for (const p of DEFAULT_MASKED_PATHS) {
      const v = extra[`read:${p}`];
      if (typeof v === 'string') expect(v, p).toBe('');
      else expect(['ENOENT', 'EISDIR', 'EACCES'], `${p}: ${v?.error}`).toContain(v?.error);
    }
    // A write to the read-only /proc/sys fails (the container's own netns sysctl, written with the value it has).
    const w = await f.docker(['run', '--rm', f.image, 'sh', '-c', SYSCTL_REWRITE]);
    expect(w.code).not.toBe(0);
    expect(w.stderr).toMatch(/Read-only file system/);
    expect(DEFAULT_READONLY_PATHS).toContain('/proc/sysrq-trigger');
  });

  it('runs under the default seccomp profile: io_uring_setup and AF_VSOCK sockets refused with EPERM', () => {
    expect(defaults.seccomp).toBe('2');
    expect(defaults.no_new_privs).toBe('0');
    expect(defaults.syscalls).toEqual({ io_uring_setup: EPERM, vsock: EPERM });
    // The same program on the host gets past the filter (the kernel's own answers).
    const host = hostSyscalls();
    expect(host.io_uring_setup).not.toBe(EPERM);
    expect(host.vsock).not.toBe(EPERM);
  });

  it('--security-opt no-new-privileges sets no_new_privs and changes nothing else', async () => {
    const r = await probe(['--security-opt', 'no-new-privileges']);
    expect(r.no_new_privs).toBe('1');
    expect({ ...r, no_new_privs: '0' }).toEqual(defaults);
  });

  it('sees only its own processes', async () => {
    expect(JSON.parse(await f.ok(['run', '--rm', f.image, '/bin/tsc-probe', 'pid']))).toEqual({ pid: 1, ppid: 0 });
    const out = await f.ok(['run', '--rm', f.image, 'sh', '-c', `ls /proc | grep -E '^[0-9]+$' | sort -n | tr '\\n' ' '; echo; test -e /proc/${process.pid} && echo SEES-HOST || echo ok; kill -0 ${process.pid} 2>&1 || true`]);
    const [pids, seen, kill] = out.split('\n');
    const listed = pids!.trim().split(' ').map(Number);
    // sh (1), ls, grep, sort, tr: nothing else, and all of them its own.
    expect(listed[0]).toBe(1);
    expect(listed.length).toBeLessThanOrEqual(6);
    expect(Math.max(...listed)).toBeLessThan(50);
    expect(seen).toBe('ok');
    expect(kill).toMatch(/No such process/);
    // The host's pid 1 is not the container's: its command line is the container's sh.
    expect((await f.ok(['run', '--rm', f.image, 'cat', '/proc/1/cmdline'])).replace(/\0/g, ' ').trim()).toBe('cat /proc/1/cmdline');
  });

  it('sees only its own mounts', () => {
    const targets = defaults.mounts.map((m) => m.target);
    const allowed = /^(\/|\/proc(\/.*)?|\/sys(\/.*)?|\/dev(\/(pts|mqueue|shm|console|null|zero|full|random|urandom|tty))?|\/etc\/(hosts|hostname|resolv\.conf))$/;
    for (const t of targets) expect(t, `mount ${t} in the container`).toMatch(allowed);
    expect(defaults.mounts.find((m) => m.target === '/')!.fstype).toBe('overlay');
    // None of the host's own mount points (its /work, /run/netns, test dirs, ...) shows up.
    const hostOnly = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4]).filter((t): t is string => !!t && !allowed.test(t));
    expect(hostOnly.length).toBeGreaterThan(0);
    for (const t of hostOnly) expect(targets).not.toContain(t);
  });

  it('sees only its own network: lo and eth0, not the host\'s interfaces', async () => {
    const names = (await f.ok(['run', '--rm', f.image, 'sh', '-c', 'ls /sys/class/net']))
      .split(/\s+/).filter(Boolean).sort();
    expect(names).toEqual(['eth0', 'lo']);
    const dev = await f.ok(['run', '--rm', f.image, 'cat', '/proc/net/dev']);
    const devNames = dev.split('\n').slice(2).map((l) => l.split(':')[0]!.trim()).filter(Boolean).sort();
    expect(devNames).toEqual(['eth0', 'lo']);
    const hostLinks = execFileSync('ls', ['/sys/class/net']).toString().split(/\s+/).filter((n) => n && n !== 'lo' && n !== 'eth0');
    for (const n of hostLinks) expect(dev).not.toContain(`${n}:`);
    // Its eth0 is a veth of ours (Docker's 02:42 MACs), not the host's eth0.
    const mac = (await f.ok(['run', '--rm', f.image, 'cat', '/sys/class/net/eth0/address'])).trim();
    expect(mac).toMatch(/^02:42:/);
    let hostMac = '';
    try { hostMac = readFileSync('/sys/class/net/eth0/address', 'utf8').trim(); } catch { /* the host has no eth0 */ }
    expect(mac).not.toBe(hostMac);
    // Its 127.0.0.1 is its own: a server on the host's loopback is out of reach.
    const server = net.createServer((c) => c.end('host loopback\n'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    try {
      const port = (server.address() as net.AddressInfo).port;
      const r = await f.docker(['run', '--rm', f.image, 'sh', '-c', `nc -w 2 127.0.0.1 ${port} </dev/null`]);
      expect(r.stdout).not.toContain('host loopback');
      expect(r.code).not.toBe(0);
    } finally {
      server.close();
    }
  });

  it('--privileged: every capability the host has, nothing masked, /proc/sys writable, no seccomp, the host\'s devices', async () => {
    const r = await probe(['--privileged'], ['caps', 'masked', 'readonly', 'seccomp', 'mounts', 'devices', 'read', '/proc/interrupts']);
    const hostBnd = hostStatus('CapBnd');
    expect(r.caps).toMatchObject({ CapPrm: hostBnd, CapEff: hostBnd, CapBnd: hostBnd });
    expect(r['read:/proc/interrupts']).toMatch(/CPU0/);
    // Nothing is mounted over the masked or read-only paths: the kernel's own files.
    const covered = r.mounts.map((m) => m.target).filter((t) => [...DEFAULT_MASKED_PATHS, ...DEFAULT_READONLY_PATHS].includes(t));
    expect(covered).toEqual([]);
    if (r.masked['/proc/timer_list']!.stat !== 'ENOENT') expect(r.masked['/proc/timer_list']!.read).toBe('data');
    // (This kernel may lack some of them, /proc/sysrq-trigger included: what exists is writable as far as the mount goes.)
    for (const [p, st] of Object.entries(r.readonly)) if (st.stat !== 'ENOENT') expect(st.write, p).not.toBe('EROFS');
    expect((await f.docker(['run', '--rm', '--privileged', f.image, 'sh', '-c', SYSCTL_REWRITE])).code).toBe(0);
    expect(r.seccomp).toBe('0');
    expect(r.syscalls).toEqual(hostSyscalls());
    // The host's device nodes (those directly in /dev) are all there; an unprivileged container has only the standard ones.
    const standard = ['null', 'zero', 'full', 'random', 'urandom', 'tty', 'pts', 'ptmx', 'shm'];
    const hostNodes = readdirSync('/dev').filter((n) => {
      try { const st = statSync(join('/dev', n)); return n !== 'console' && (st.isCharacterDevice() || st.isBlockDevice()); } catch { return false; }
    });
    const devices = Object.keys(r.devices as Record<string, unknown>);
    expect(devices).toEqual(expect.arrayContaining([...standard, ...hostNodes]));
    const plain = Object.keys((await probe([], ['devices'])).devices as Record<string, unknown>);
    expect(plain).toEqual(expect.arrayContaining(standard));
    const extraHostNodes = hostNodes.filter((n) => !standard.includes(n) && !['console', 'ptmx', 'tty'].includes(n));
    expect(extraHostNodes.length).toBeGreaterThan(0);
    for (const n of extraHostNodes) expect(plain, `/dev/${n} in an unprivileged container`).not.toContain(n);
  });

  it('--cap-add NET_ADMIN and --cap-drop CHOWN change exactly those bits', async () => {
    const add = await probe(['--cap-add', 'NET_ADMIN']);
    const withNetAdmin = capMask([...DEFAULT_CAPABILITIES, 'CAP_NET_ADMIN']);
    expect(withNetAdmin).toBe('00000000a80435fb');
    expect(add.caps).toEqual({ ...defaults.caps, CapPrm: withNetAdmin, CapEff: withNetAdmin, CapBnd: withNetAdmin });
    expect({ ...add, caps: defaults.caps }).toEqual(defaults);
    // And the capability works: the container may now change its own links.
    expect((await f.docker(['run', '--rm', '--cap-add', 'NET_ADMIN', f.image, 'ip', 'link', 'set', 'lo', 'mtu', '1500'])).code).toBe(0);
    expect((await f.docker(['run', '--rm', f.image, 'ip', 'link', 'set', 'lo', 'mtu', '1500'])).code).not.toBe(0);

    const drop = await probe(['--cap-drop', 'CHOWN']);
    const withoutChown = capMask(DEFAULT_CAPABILITIES.filter((c) => c !== 'CAP_CHOWN'));
    expect(withoutChown).toBe('00000000a80425fa');
    expect(drop.caps).toEqual({ ...defaults.caps, CapPrm: withoutChown, CapEff: withoutChown, CapBnd: withoutChown });
    expect({ ...drop, caps: defaults.caps }).toEqual(defaults);
    const chown = await f.docker(['run', '--rm', '--cap-drop', 'CHOWN', f.image, 'sh', '-c', 'touch /tmp/x && chown 1000 /tmp/x']);
    expect(chown.code).not.toBe(0);
    expect(chown.stderr).toMatch(/Operation not permitted/);
  });

  it('--read-only makes / read-only and nothing else', async () => {
    const ro = await probe(['--read-only'], ['mounts', 'mkdir', '/newdir']);
    expect(ro.mounts.find((m) => m.target === '/')!.opts).toContain('ro');
    expect(ro['mkdir']).toEqual({ '/newdir': 'EROFS' });
    const rw = await probe([], ['mounts', 'mkdir', '/newdir']);
    expect(rw.mounts.find((m) => m.target === '/')!.opts).toContain('rw');
    expect(rw['mkdir']).toEqual({ '/newdir': 'ok' });
    expect(ro.mounts.map((m) => m.target)).toEqual(rw.mounts.map((m) => m.target));
  });

  it('runc given the same engine-made bundle shows the same defaults', async () => {
    const r = await probe(['--runtime', 'runc']);
    expect(r.caps).toEqual(defaults.caps);
    expect(r.masked).toEqual(defaults.masked);
    expect(r.readonly).toEqual(defaults.readonly);
    expect([r.seccomp, r.no_new_privs]).toEqual([defaults.seccomp, defaults.no_new_privs]);
    expect(r.syscalls).toEqual(defaults.syscalls);
  });
});

/** What the syscall program gets on the host, with no filter. */
function hostSyscalls(): { io_uring_setup: number; vsock: number } {
  return JSON.parse(execFileSync(join(f.dir, 'rootfs', 'bin', 'tsct-syscalls')).toString()) as { io_uring_setup: number; vsock: number };
}

/** The rootfs of the image with the syscall program: built once, imported into both engines. */
function addSyscallProgram(rootfs: string): void {
  const src = join(rootfs, 'tmp', 'syscalls.c');
  writeFileSync(src, SYSCALLS_C);
  execFileSync('cc', ['-static', '-O1', '-o', join(rootfs, 'bin', 'tsct-syscalls'), src]);
  chmodSync(join(rootfs, 'bin', 'tsct-syscalls'), 0o755);
  execFileSync('rm', ['-f', src]);
}

// The same probe under Debian's dockerd 20.10 (a private one, test/helpers/dockerd.ts), where it is installed.
// Differences are only where current moby moved on since 20.10 and we follow it: /proc/interrupts and
// /sys/devices/virtual/powercap masked, io_uring and AF_VSOCK refused by the seccomp profile.
(dockerdWhy ? describe.skip : describe)('security compared with dockerd', () => {
  let dockerd: PrivateDockerd | undefined;
  const viaDockerd = (args: string[]): Promise<string> => new Promise((resolve, reject) => {
    execFile(DOCKER!, ['-H', dockerd!.host, ...args], { timeout: 60_000, env: { ...process.env, DOCKER_CONFIG: join(f.dir, 'docker-config'), DOCKER_HOST: '', DOCKER_CONTEXT: '' } },
      (err, stdout, stderr) => (err ? reject(new Error(`dockerd: docker ${args.join(' ')}: ${stderr}`)) : resolve(stdout)));
  });

  beforeAll(async () => {
    f = await startEngineFixture(newPrefix(), addSyscallProgram);
    dockerd = await startDockerd({ dir: join(f.dir, 'dockerd'), networking: 'none', cgroupParent: `${f.prefix}dk` });
    await viaDockerd(['import', join(f.dir, 'img.tar'), f.image]);
  }, 180_000);

  afterAll(async () => {
    await dockerd?.stop();
    await f?.teardown();
  }, 180_000);

  it('gives the same capabilities, read-only paths, seccomp mode and no-new-privileges', async () => {

    for (const args of [['--network', 'none'], ['--network', 'none', '--cap-add', 'NET_ADMIN', '--cap-drop', 'CHOWN'], ['--network', 'none', '--security-opt', 'no-new-privileges']]) {
      const ours = await probe(args);
      const theirs = await probe(args, undefined, viaDockerd);
      // 20.10.14+ leaves the inheritable set empty, as current moby and we do.
      expect(ours.caps, args.join(' ')).toEqual(theirs.caps);
      expect(ours.readonly, args.join(' ')).toEqual(theirs.readonly);
      expect([ours.seccomp, ours.no_new_privs]).toEqual([theirs.seccomp, theirs.no_new_privs]);
      // 20.10's profile still allows io_uring and AF_VSOCK sockets; current moby's, and ours, refuse them.
      expect(theirs.syscalls).toEqual(hostSyscalls());
      expect(ours.syscalls).toEqual({ io_uring_setup: EPERM, vsock: EPERM });
      const { ['/sys/devices/virtual/powercap']: oursPowercap, ...oursMasked } = ours.masked;
      const { ['/sys/devices/virtual/powercap']: theirsPowercap, ...theirsMasked } = theirs.masked;
      expect(oursMasked).toEqual(theirsMasked);
      if (theirsPowercap?.stat !== 'ENOENT') expect(oursPowercap).toMatchObject({ type: 'dir', entries: 0 });
      // The mount points are the same, plus the masks 20.10 does not make yet.
      const newer = new Set(['/proc/interrupts', '/sys/devices/virtual/powercap']);
      expect(ours.mounts.map((m) => m.target).filter((t) => !newer.has(t)).sort()).toEqual(theirs.mounts.map((m) => m.target).sort());
    }
  });

  it('--privileged: the same capabilities where the host has them all; where it lacks some, dockerd cannot start it and we give what there is', async () => {
    const ours = JSON.parse(await f.ok(['run', '--rm', '--privileged', '--network', 'none', f.image, '/bin/tsc-probe', 'caps'])) as { caps: Caps };
    const theirs = await viaDockerd(['run', '--rm', '--privileged', '--network', 'none', f.image, '/bin/tsc-probe', 'caps']).then(
      (out) => (JSON.parse(out) as { caps: Caps }).caps, (e: Error) => e.message);
    expect(ours.caps.CapBnd).toBe(hostStatus('CapBnd'));
    if (hostStatus('CapBnd') === capMask(ALL_CAPABILITIES)) expect(ours.caps).toEqual(theirs);
    else expect(theirs).toMatch(/unable to apply caps: operation not permitted/);
  });
});
