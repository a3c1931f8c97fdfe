// native/src/cgroup*.c through its test driver (native/test/cgroup-check.c):
// limits land in the right files of the right driver, processes are placed,
// frozen, counted, killed, OOM kills are counted, and destroy leaves nothing.
// The assertions follow the host's layout: v1 controllers (this machine's
// hybrid) or a pure cgroup v2 host. The v2 driver is also exercised on the
// hybrid's cgroup2 mount (no controllers there, so no limits: freeze, kill,
// placement and removal only).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { onCleanup, runCleanups } from '../../helpers/cleanup.js';
import { uniqueName } from '../../helpers/names.js';
import { requireEnv } from '../../helpers/require-root.js';
import { ensureProbe } from '../../helpers/rootfs.js';
import { tempDir } from '../../helpers/tmp.js';
import { buildDriver, removeDrivers } from './native-drivers.js';

const gate = requireEnv({ root: true, binaries: ['cc'], paths: ['/sys/fs/cgroup'] }, 'cgroup tests');

interface Layout {
  v1: Map<string, string>; // controller → mount point
  unified?: string;
}

function layout(): Layout {
  const v1 = new Map<string, string>();
  let unified: string | undefined;
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const [pre, post] = line.split(' - ');
    if (!pre || !post) continue;
    const mnt = pre.split(' ')[4]!;
    const [fstype, , superopts] = post.split(' ');
    if (fstype === 'cgroup2') unified = mnt;
    if (fstype === 'cgroup') for (const o of superopts!.split(',')) if (o !== 'rw' && o !== 'ro') v1.set(o, mnt);
  }
  return { v1, unified };
}

const L = layout();
const isV1 = L.v1.has('memory');
let bin = '';

function cg(args: string[], env: NodeJS.ProcessEnv = {}): { code: number | null; out: string; err: string } {
  const r = spawnSync(bin, args, { encoding: 'utf8', env: { ...process.env, ...env } });
  return { code: r.status, out: r.stdout.trim(), err: r.stderr.trim() };
}

function ok(args: string[], env: NodeJS.ProcessEnv = {}): string {
  const r = cg(args, env);
  if (r.code !== 0) throw new Error(`cgroup-check ${args.join(' ')}: ${r.err}`);
  return r.out;
}

/** Every directory a cgroup path has on this host (all v1 hierarchies + cgroup2). */
function dirsOf(p: string, v2only = false): string[] {
  const mounts = new Set<string>(v2only ? [] : L.v1.values());
  if (L.unified) mounts.add(L.unified);
  return [...mounts].map((m) => m + p);
}

/** Removes the test's top-level cgroup dir (what setup created above the leaf). */
function cleanupTop(top: string): void {
  onCleanup(`rmdir cgroup ${top}`, () => {
    for (const d of dirsOf(top)) if (existsSync(d)) rmdirSync(d);
  });
}

function config(dir: string, linux: Record<string, unknown>): string {
  const f = path.join(dir, 'config.json');
  writeFileSync(f, JSON.stringify({ ociVersion: '1.0.2', linux }));
  return f;
}

/** A child already placed in the cgroup, exec'd into cmd. */
function runIn(saved: string, cmd: string[], env: NodeJS.ProcessEnv = {}) {
  const child = spawn(bin, ['run', saved, ...cmd], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
  onCleanup(`kill ${child.pid}`, () => child.exitCode === null && child.signalCode === null && child.kill('SIGKILL'));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, out })),
  );
  return { pid: child.pid!, done };
}

const read = (f: string) => readFileSync(f, 'utf8').trim();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(gate.skip)('cgroups', () => {
  beforeAll(() => {
    bin = buildDriver('cgroup-check');
  });
  afterEach(runCleanups);
  afterAll(removeDrivers);

  it('applies memory, cpu, cpuset, pids and device limits in the files of the host driver', () => {
    const top = `/${uniqueName()}`;
    cleanupTop(top);
    const memsw = isV1 && existsSync(path.join(L.v1.get('memory')!, 'memory.memsw.limit_in_bytes'));
    const res = {
      memory: { limit: 64 << 20, reservation: 32 << 20, ...(memsw || !isV1 ? { swap: 128 << 20 } : {}) },
      cpu: { shares: 512, quota: 50000, period: 100000, cpus: '0', mems: '0' },
      pids: { limit: 42 },
      devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' }],
    };
    const saved = ok(['setup', 'c1', config(tempDir('cg'), { cgroupsPath: `${top}/c1`, resources: res })]);
    expect(saved).toBe(`v${isV1 ? 1 : 2}:${top}/c1`);
    const leaf = `${top}/c1`;
    if (isV1) {
      const at = (ctrl: string, f: string) => read(path.join(L.v1.get(ctrl)! + leaf, f));
      expect(at('memory', 'memory.limit_in_bytes')).toBe(String(64 << 20));
      expect(at('memory', 'memory.soft_limit_in_bytes')).toBe(String(32 << 20));
      if (memsw) expect(at('memory', 'memory.memsw.limit_in_bytes')).toBe(String(128 << 20));
      expect(at('cpu', 'cpu.shares')).toBe('512');
      expect(at('cpu', 'cpu.cfs_quota_us')).toBe('50000');
      expect(at('cpu', 'cpu.cfs_period_us')).toBe('100000');
      expect(at('cpuset', 'cpuset.cpus')).toBe('0');
      expect(at('cpuset', 'cpuset.mems')).toBe('0');
      expect(at('pids', 'pids.max')).toBe('42');
      const devices = at('devices', 'devices.list').split('\n');
      expect(devices).toContain('c 1:3 rwm');
      expect(devices).toContain('c 136:* rwm'); // the OCI default devices are allowed after the spec's rules
      expect(devices).not.toContain('a *:* rwm');
      // the hybrid's cgroup2 mount mirrors the path (like runc)
      if (L.unified) expect(existsSync(L.unified + leaf)).toBe(true);
    } else {
      const at = (f: string) => read(path.join(L.unified! + leaf, f));
      expect(at('memory.max')).toBe(String(64 << 20));
      expect(at('memory.low')).toBe(String(32 << 20));
      if (existsSync(path.join(L.unified! + leaf, 'memory.swap.max'))) expect(at('memory.swap.max')).toBe(String(64 << 20));
      expect(at('cpu.weight')).toBe('20'); // 1 + (512-2)*9999/262142, runc's conversion
      expect(at('cpu.max')).toBe('50000 100000');
      expect(at('cpuset.cpus')).toBe('0');
      expect(at('pids.max')).toBe('42');
    }
    ok(['destroy', saved]);
    for (const d of dirsOf(leaf)) expect(existsSync(d), d).toBe(false);
    ok(['destroy', saved]); // idempotent
  });

  it('places, freezes, thaws, lists and kills processes; destroy kills leftovers', async () => {
    const top = `/${uniqueName()}`;
    cleanupTop(top);
    const saved = ok(['setup', 'c2', config(tempDir('cg'), { cgroupsPath: `${top}/c2` })]);
    const a = runIn(saved, ['/bin/sleep', '60']);
    const b = runIn(saved, ['/bin/sleep', '60']);
    await sleep(200);
    expect(ok(['frompid', String(a.pid)])).toBe(saved);
    expect(ok(['pids', saved]).split('\n').map(Number).sort()).toEqual([a.pid, b.pid].sort());
    expect(ok(['frozen', saved])).toBe('false');
    ok(['freeze', saved, '1']);
    expect(ok(['frozen', saved])).toBe('true');
    ok(['freeze', saved, '0']);
    expect(ok(['frozen', saved])).toBe('false');
    ok(['kill', saved, '15']);
    expect((await a.done).signal).toBe('SIGTERM');
    expect((await b.done).signal).toBe('SIGTERM');
    const c = runIn(saved, ['/bin/sleep', '60']);
    await sleep(100);
    ok(['freeze', saved, '1']); // even a paused cgroup is emptied and removed
    ok(['destroy', saved]); // kills c first
    expect((await c.done).signal).toBe('SIGKILL');
    for (const d of dirsOf(`${top}/c2`)) expect(existsSync(d), d).toBe(false);
  });

  it('counts an OOM kill of a process over the memory limit', async () => {
    const top = `/${uniqueName()}`;
    cleanupTop(top);
    // swap = limit: no swap to escape to, so the kernel must kill
    const memsw = !isV1 || existsSync(path.join(L.v1.get('memory')!, 'memory.memsw.limit_in_bytes'));
    const mem = { limit: 32 << 20, ...(memsw ? { swap: 32 << 20 } : {}) };
    const saved = ok(['setup', 'c3', config(tempDir('cg'), { cgroupsPath: `${top}/c3`, resources: { memory: mem } })]);
    expect(ok(['oom', saved])).toBe('0 false');
    const hog = runIn(saved, [ensureProbe(), 'memhog', '512']);
    const r = await hog.done;
    expect(r.signal, r.out).toBe('SIGKILL');
    expect(ok(['oom', saved])).toMatch(/^[1-9]\d* true$/);
    ok(['destroy', saved]);
  });

  it('enforces the pids limit', async () => {
    const top = `/${uniqueName()}`;
    cleanupTop(top);
    const saved = ok(['setup', 'c4', config(tempDir('cg'), { cgroupsPath: `${top}/c4`, resources: { pids: { limit: 4 } } })]);
    const r = await runIn(saved, [ensureProbe(), 'forkbomb', '20']).done;
    expect(r.out).toMatch(/EAGAIN/);
    ok(['destroy', saved]);
  });

  it('maps cgroupsPath: absolute, relative, missing, systemd slice:prefix:name; refuses .. and /', () => {
    const id = uniqueName();
    const dir = tempDir('cg');
    const setup = (p: string | undefined) => ok(['setup', id, config(dir, p === undefined ? {} : { cgroupsPath: p })]);
    const check = (saved: string, want: string) => {
      expect(saved.slice(3)).toBe(want);
      ok(['destroy', saved]);
    };
    onCleanup('rmdir /tscompose if empty', () => {
      for (const d of dirsOf('/tscompose')) try { rmdirSync(d); } catch { /* in use or absent */ }
    });
    check(setup(undefined), `/tscompose/${id}`);
    check(setup(`${id}/rel`), `/tscompose/${id}/rel`);
    for (const d of dirsOf(`/tscompose/${id}`)) if (existsSync(d)) rmdirSync(d);
    cleanupTop(`/${id}.slice`);
    check(setup(`${id}.slice:pre:ctr`), `/${id}.slice/pre-ctr.scope`);
    check(setup(`${id}-sub.slice:pre:ctr`), `/${id}.slice/${id}-sub.slice/pre-ctr.scope`);
    for (const d of dirsOf(`/${id}.slice/${id}-sub.slice`)) if (existsSync(d)) rmdirSync(d);
    expect(cg(['setup', id, config(dir, { cgroupsPath: `/${id}/../etc` })]).err).toMatch(/must not contain `\.\.`/);
    expect(cg(['setup', id, config(dir, { cgroupsPath: '/' })]).err).toMatch(/root cgroup/);
    expect(cg(['setup', id, config(dir, { cgroupsPath: 'a:b' })]).err).toMatch(/bad systemd cgroupsPath/);
    expect(cg(['load', 'v3:/x']).err).toMatch(/bad saved cgroup/);
  });

  it('a bad limit names the file and value, and setup leaves nothing behind', () => {
    const top = `/${uniqueName()}`;
    cleanupTop(top);
    const r = cg(['setup', 'c5', config(tempDir('cg'), { cgroupsPath: `${top}/c5`, resources: { cpu: { cpus: '999' } } })]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(new RegExp(`cgroup \`${top}/c5\`: linux.resources.cpu: write \`999\` to \`.*${top}/c5/cpuset.cpus\`: `));
    for (const d of dirsOf(`${top}/c5`)) expect(existsSync(d), d).toBe(false);
  });

  const drivers = [...(isV1 ? ['v1'] : []), ...(L.unified ? ['v2'] : [])];
  const haveDevs = existsSync('/dev/loop-control') && existsSync('/dev/loop0');
  if (!haveDevs && process.env.CI) throw new Error('device rule tests need /dev/loop-control and /dev/loop0');
  for (const driver of drivers) {
    it.skipIf(!haveDevs)(`${driver}: device rules allow and deny like the v1 devices cgroup${driver === 'v2' ? ' (eBPF program)' : ''}`, async () => {
      const env = { TSC_CGROUP_DRIVER: driver };
      const top = `/${uniqueName()}`;
      cleanupTop(top);
      const script = [
        '( : < /dev/loop-control ) 2>/dev/null && echo lc-r-ok || echo lc-r-denied',
        '( : > /dev/loop-control ) 2>/dev/null && echo lc-w-ok || echo lc-w-denied',
        '( : < /dev/loop0 ) 2>/dev/null && echo loop0-ok || echo loop0-denied',
        'echo x > /dev/null && echo null-ok',
      ].join('; ');
      const cases: Array<[unknown[], string]> = [
        // deny all, then one read-only exception; the OCI defaults (null…) stay allowed
        [[{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 10, minor: 237, access: 'r' }],
          'lc-r-ok lc-w-denied loop0-denied null-ok'],
        // no deny-all: everything but the one denied access
        [[{ allow: false, type: 'c', major: 10, minor: 237, access: 'w' }], 'lc-r-ok lc-w-denied loop0-ok null-ok'],
      ];
      for (const [i, [devices, want]] of cases.entries()) {
        const saved = ok(['setup', 'd', config(tempDir('cg'), { cgroupsPath: `${top}/d${i}`, resources: { devices } })], env);
        const r = await runIn(saved, ['/bin/busybox', 'sh', '-c', script], env).done;
        expect(r.out.trim().split('\n').join(' '), JSON.stringify(devices)).toBe(want);
        ok(['destroy', saved], env);
      }
    });
  }

  it.skipIf(!isV1 || !L.unified)('the v2 driver on the hybrid cgroup2 mount: place, freeze, kill, remove', async () => {
    const env = { TSC_CGROUP_DRIVER: 'v2' };
    const top = `/${uniqueName()}`;
    cleanupTop(top);
    const saved = ok(['setup', 'c6', config(tempDir('cg'), { cgroupsPath: `${top}/c6` })], env);
    expect(saved).toBe(`v2:${top}/c6`);
    const a = runIn(saved, ['/bin/sleep', '60'], env);
    await sleep(200);
    expect(read(`${L.unified}${top}/c6/cgroup.procs`)).toBe(String(a.pid));
    expect(ok(['frompid', String(a.pid)], env)).toBe(saved);
    ok(['freeze', saved, '1'], env);
    expect(ok(['frozen', saved], env)).toBe('true');
    expect(read(`${L.unified}${top}/c6/cgroup.events`)).toMatch(/frozen 1/);
    ok(['freeze', saved, '0'], env);
    expect(ok(['frozen', saved], env)).toBe('false');
    ok(['destroy', saved], env); // cgroup.kill, then rmdir
    expect((await a.done).signal).toBe('SIGKILL');
    expect(existsSync(`${L.unified}${top}/c6`)).toBe(false);
  });
});
