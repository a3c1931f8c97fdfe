// Docker's own daemon (Debian's dockerd 20.10) as a reference engine, private
// to one test or benchmark run: every path it owns sits under one temp dir
// (data root, exec root, pidfile, API socket, daemon.json), and it talks to a
// containerd of its own, started here with root, state, socket and plugin dir
// under the same dir. dockerd is given that containerd's socket on purpose:
// without `--containerd` it would use a system containerd found at
// /run/containerd/containerd.sock instead of starting its own.
//
// Networking is the part that could reach the host, so it is fenced in:
// no docker0 (`--bridge=none`), no iptables rules, no masquerade, no
// ip_forward change. Compose's user-defined bridges still work (containers
// on one bridge talk directly; the embedded DNS at 127.0.0.11 sets its rules
// inside each container's namespace), their subnets come from a test pool
// (10.214.0.0/16, never 172.17/16, apart from our engines' 10.213.0.0/16),
// and published ports go through docker-proxy when asked for
// (`networking: 'bridges'`). A benchmark that needs none of it asks for
// `networking: 'none'`.
//
// stop() removes everything: containers, networks (their br-* links) and
// volumes through the API, then dockerd and containerd by pid, shims and
// proxies still alive by pid, mounts under the dir, the dir, the cgroup
// parent, and the few host paths dockerd/containerd write outside their roots
// when this run created them (`/etc/docker/key.json`, `/run/docker/plugins`,
// `/run/containerd/s` for shim sockets). It returns what it found and did.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { HttpEngineClient } from '../../runtime/client/index.js';
import { uniqueName } from './names.js';
import { requireEnv, type Gate } from './require-root.js';
import { mountsUnder, removeTree } from './tmp.js';

export const DOCKERD = [process.env.TSCT_DOCKERD ?? '', '/usr/sbin/dockerd', '/usr/bin/dockerd'].find((p) => p && existsSync(p));
export const CONTAINERD = [process.env.TSCT_CONTAINERD ?? '', '/usr/bin/containerd', '/usr/sbin/containerd'].find((p) => p && existsSync(p));

/** The subnets a test dockerd hands out to Compose networks (its `--default-address-pool`). */
export const DOCKERD_TEST_POOL = 'base=10.214.0.0/16,size=24';

/**
 * Paths dockerd and containerd write outside the dirs they are given
 * (dockerd's trust key, its plugin socket dir, containerd's shim sockets).
 * Each is removed after a run only when the run created it.
 */
const HOST_PATHS = ['/etc/docker/key.json', '/run/docker', '/run/containerd', '/opt/containerd'];

/** Use as `describe.skipIf(gate.skip)`: skips where dockerd is not installed, fails in CI. */
export function dockerdGate(what = 'the dockerd reference tests', extraBinaries: string[] = []): Gate {
  return requireEnv({
    root: true,
    binaries: [DOCKERD ?? 'dockerd', CONTAINERD ?? 'containerd', 'containerd-shim-runc-v2', 'runc', 'docker-proxy', ...extraBinaries],
  }, what);
}

export interface DockerdOptions {
  /** A fresh directory that holds everything of this daemon; removed by stop(). */
  dir: string;
  /** `bridges`: Compose networks and published ports work; `none`: no networking beyond `--network none` (benchmarks). */
  networking: 'bridges' | 'none';
  /** The cgroup every container goes under (`--cgroup-parent`), removed by stop(); a unique `tsct…` name by default. */
  cgroupParent?: string;
  /** `--default-address-pool` for `networking: 'bridges'`. */
  addressPool?: string;
  /** How long to wait for the API socket to answer. */
  startTimeoutMs?: number;
  /** More dockerd flags (a benchmark's own address pool). */
  extraArgs?: string[];
}

export interface PrivateDockerd {
  readonly dir: string;
  /** The API socket path, and the same as a DOCKER_HOST value. */
  readonly socket: string;
  readonly host: string;
  readonly pid: number;
  readonly cgroupParent: string;
  exited(): boolean;
  /** The processes that make up the daemon side, by role (the containers' own processes are not counted). */
  processes(): Record<'dockerd' | 'containerd' | 'shims' | 'proxies', number[]>;
  /** The tail of dockerd's log, for error messages. */
  logTail(lines?: number): string;
  /** Removes everything the daemon made and stops it; returns what it found and did. Safe to call twice. */
  stop(): Promise<string[]>;
}

// ---- processes (shared with bench/engine.ts) ----------------------------------

export interface Proc {
  pid: number;
  ppid: number;
  comm: string;
  argv: string[];
  /** Start time in clock ticks since boot: with the pid, names one process even after pid reuse. */
  start: number;
}

export function listProcs(): Proc[] {
  const out: Proc[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const comm = stat.slice(stat.indexOf('(') + 1, close);
      const fields = stat.slice(close + 2).split(' ');
      const argv = readFileSync(`/proc/${e}/cmdline`, 'utf8').split('\0').filter(Boolean);
      out.push({ pid: Number(e), ppid: Number(fields[1]), comm, argv, start: Number(fields[19]) });
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

/** Processes whose command line names something under dir (state roots, sockets): what a run under dir started. */
export function procsMentioning(dir: string): Proc[] {
  return listProcs().filter((p) => p.pid !== process.pid && p.argv.some((a) => a.includes(dir)));
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits up to ms for the pids to exit; returns those still alive. */
export async function waitGone(pids: number[], ms: number): Promise<number[]> {
  const deadline = Date.now() + ms;
  let left = pids.filter(alive);
  while (left.length && Date.now() < deadline) {
    await sleep(100);
    left = left.filter(alive);
  }
  return left;
}

export function links(): string[] {
  const r = spawnSync('ip', ['-o', 'link'], { encoding: 'utf8' });
  return r.stdout.split('\n').map((l) => /^\d+:\s+([^:@]+)/.exec(l)?.[1]).filter((x): x is string => !!x).sort();
}

function ping(socket: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.request({ socketPath: socket, path: '/_ping', timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => { req.destroy(); resolve(false); });
    req.on('error', () => resolve(false));
    req.end();
  });
}

async function waitFor(check: () => boolean | Promise<boolean>, gone: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (gone()) return false;
    if (await check()) return true;
    await sleep(100);
  }
  return false;
}

function tail(file: string, lines: number): string {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/** A spawned daemon: its pid, whether it exited and how. */
function daemon(bin: string, args: string[], log: string) {
  const out = openSync(log, 'a');
  const child = spawn(bin, args, { stdio: ['ignore', out, out], cwd: '/' });
  closeSync(out);
  const state = { gone: false, status: '' };
  child.on('exit', (code, sig) => {
    state.gone = true;
    state.status = `exited ${sig ?? code}`;
  });
  child.on('error', (e) => {
    state.gone = true;
    state.status = e.message;
  });
  return { child, pid: child.pid ?? -1, state };
}

async function terminate(d: ReturnType<typeof daemon>, name: string, graceMs: number, notes: string[]): Promise<void> {
  if (d.state.gone || d.pid < 0) return;
  d.child.kill('SIGTERM');
  if ((await waitGone([d.pid], graceMs)).length) {
    notes.push(`${name} (pid ${d.pid}) ignored SIGTERM for ${graceMs / 1000} s: killed`);
    d.child.kill('SIGKILL');
    await waitGone([d.pid], 5000);
  }
}

function containerdConfig(root: string): string {
  // Plugins that would reach outside root or do work no test wants: CRI
  // (CNI, its own streaming server), and snapshotters this host lacks.
  const q = (s: string) => JSON.stringify(s);
  return [
    'version = 2',
    `root = ${q(path.join(root, 'root'))}`,
    `state = ${q(path.join(root, 'state'))}`,
    'disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs"]',
    '[grpc]',
    `  address = ${q(path.join(root, 'containerd.sock'))}`,
    '[debug]',
    '  level = "warn"',
    '[plugins."io.containerd.internal.v1.opt"]',
    `  path = ${q(path.join(root, 'opt'))}`,
    '',
  ].join('\n');
}

/** Starts a private containerd and a dockerd on it; see the top of this file. */
export async function startDockerd(opts: DockerdOptions): Promise<PrivateDockerd> {
  if (!DOCKERD) throw new Error('dockerd is not installed: apt-get install docker.io (scripts/install-deps.sh)');
  if (!CONTAINERD) throw new Error('containerd is not installed: apt-get install containerd (scripts/install-deps.sh)');
  const dir = path.resolve(opts.dir);
  const cgroupParent = opts.cgroupParent ?? uniqueName('tsctdk');
  const hostBefore = Object.fromEntries(HOST_PATHS.map((p) => [p, existsSync(p)]));
  const ctdRoot = path.join(dir, 'containerd');
  mkdirSync(ctdRoot, { recursive: true });
  writeFileSync(path.join(ctdRoot, 'config.toml'), containerdConfig(ctdRoot));
  const ctdSocket = path.join(ctdRoot, 'containerd.sock');
  const socket = path.join(dir, 'docker.sock');
  const log = path.join(dir, 'dockerd.log');
  const ctdLog = path.join(dir, 'containerd.log');
  writeFileSync(path.join(dir, 'daemon.json'), '{}\n');
  // A unique namespace too, so that even a shared containerd could not mix these containers with others.
  const namespace = `tsct-${path.basename(dir).toLowerCase().replace(/[^a-z0-9-]/g, '')}`;
  const net = opts.networking === 'bridges'
    ? ['--userland-proxy=true', '--default-address-pool', opts.addressPool ?? DOCKERD_TEST_POOL]
    : ['--userland-proxy=false'];
  const args = [
    '--data-root', path.join(dir, 'data'), '--exec-root', path.join(dir, 'exec'), '--pidfile', path.join(dir, 'docker.pid'),
    '-H', `unix://${socket}`, '--config-file', path.join(dir, 'daemon.json'),
    '--containerd', ctdSocket, '--containerd-namespace', namespace, '--containerd-plugins-namespace', `${namespace}-plugins`,
    '--bridge=none', '--iptables=false', '--ip6tables=false', '--ip-masq=false', '--ip-forward=false', ...net,
    '--cgroup-parent', `/${cgroupParent}`, '--storage-driver', 'overlay2', '--log-level', 'warn', ...(opts.extraArgs ?? []),
  ];

  const ctd = daemon(CONTAINERD, ['--config', path.join(ctdRoot, 'config.toml')], ctdLog);
  let dockerd: ReturnType<typeof daemon> | undefined;
  // Shims and proxies seen so far, by pid and start time: a pid reused by another process is never killed.
  const known = new Map<number, Proc>();
  const processes = () => {
    const procs = listProcs();
    const shims = procs.filter((p) => p.comm.startsWith('containerd-shim') && p.argv.some((a) => a.includes(dir)));
    const proxies = procs.filter((p) => dockerd && p.ppid === dockerd.pid && p.comm === 'docker-proxy');
    for (const p of [...shims, ...proxies]) known.set(p.pid, p);
    return {
      dockerd: dockerd && !dockerd.state.gone ? [dockerd.pid] : [],
      containerd: ctd.state.gone ? [] : [ctd.pid],
      shims: shims.map((p) => p.pid),
      proxies: proxies.map((p) => p.pid),
    };
  };
  const bridges = new Set<string>();
  let stopped: Promise<string[]> | undefined;

  const stopAll = async (): Promise<string[]> => {
    const notes: string[] = [];
    if (dockerd && !dockerd.state.gone && (await ping(socket))) notes.push(...(await removeObjects(socket, bridges)));
    processes();
    if (dockerd) await terminate(dockerd, 'dockerd', 20_000, notes);
    await terminate(ctd, 'containerd', 10_000, notes);
    // Shims and proxies may outlive their daemons (that is how live restore works): ours go by pid.
    const now = new Map(listProcs().map((p) => [p.pid, p]));
    const leftover = [...now.values()].filter((p) => p.pid !== process.pid && (p.argv.some((a) => a.includes(dir)) || known.get(p.pid)?.start === p.start));
    for (const p of leftover) {
      notes.push(`killed leftover ${p.comm} (pid ${p.pid})`);
      try { process.kill(p.pid, 'SIGKILL'); } catch { /* gone */ }
    }
    await waitGone(leftover.map((p) => p.pid), 5000);
    const mounts = mountsUnder(dir);
    if (mounts.length) notes.push(`mounts left under ${dir} (detached): ${mounts.length}`);
    removeTree(dir);
    for (const l of links().filter((x) => bridges.has(x))) {
      const r = spawnSync('ip', ['link', 'del', l], { encoding: 'utf8' });
      notes.push(r.status === 0 ? `dockerd left bridge ${l}: removed` : `cannot remove bridge ${l}: ${r.stderr.trim()}`);
    }
    notes.push(...(await removeCgroupTree(cgroupParent)));
    notes.push(...restoreHostPaths(hostBefore));
    return notes;
  };

  try {
    if (!(await waitFor(() => existsSync(ctdSocket), () => ctd.state.gone, 30_000))) {
      throw new Error(`containerd did not start (${ctd.state.status || 'no socket in 30 s'}): ${tail(ctdLog, 8) || 'no output'}`);
    }
    dockerd = daemon(DOCKERD, args, log);
    const d = dockerd;
    if (!(await waitFor(() => existsSync(socket) && ping(socket), () => d.state.gone, opts.startTimeoutMs ?? 60_000))) {
      throw new Error(`dockerd did not start (${d.state.status || 'no answer on its socket'}): ${tail(log, 8) || 'no output'}`);
    }
  } catch (e) {
    await stopAll();
    throw e;
  }
  const d = dockerd;
  processes();
  return {
    dir,
    socket,
    host: `unix://${socket}`,
    pid: d.pid,
    cgroupParent,
    exited: () => d.state.gone,
    processes,
    logTail: (lines = 20) => tail(log, lines),
    stop() {
      stopped ??= stopAll();
      return stopped;
    },
  };
}

/** Containers, networks and volumes through the API, before the daemon stops (it keeps them, and the bridges, otherwise). */
async function removeObjects(socket: string, bridges: Set<string>): Promise<string[]> {
  const notes: string[] = [];
  const client = new HttpEngineClient({ host: `unix://${socket}` });
  const attempt = async (what: string, fn: () => Promise<unknown>) => {
    try {
      await fn();
    } catch (e) {
      notes.push(`${what}: ${(e as Error).message}`);
    }
  };
  try {
    for (const c of await client.listContainers({ all: true }).catch(() => [])) {
      await attempt(`remove container ${c.Names?.[0] ?? c.Id}`, () => client.removeContainer(c.Id, { force: true, volumes: true }));
    }
    for (const n of await client.listNetworks().catch(() => [])) {
      if (['bridge', 'host', 'none'].includes(n.Name)) continue;
      if (n.Driver === 'bridge') bridges.add(n.Options?.['com.docker.network.bridge.name'] ?? `br-${n.Id.slice(0, 12)}`);
      await attempt(`remove network ${n.Name}`, () => client.removeNetwork(n.Id));
    }
    for (const v of (await client.listVolumes().catch(() => ({ Volumes: [] }))).Volumes ?? []) {
      await attempt(`remove volume ${v.Name}`, () => client.removeVolume(v.Name, true));
    }
  } finally {
    client.close();
  }
  return notes;
}

/** The containers' cgroup parent in every hierarchy, children first (runc may still be deleting: a few tries). */
async function removeCgroupTree(parent: string): Promise<string[]> {
  const roots = existsSync('/sys/fs/cgroup') ? readdirSync('/sys/fs/cgroup').map((c) => path.join('/sys/fs/cgroup', c, parent)) : [];
  for (let i = 0; i < 30; i++) {
    let left = 0;
    for (const p of roots.filter((x) => existsSync(x))) {
      for (const child of readdirSync(p, { withFileTypes: true }).filter((e) => e.isDirectory())) {
        try { rmdirSync(path.join(p, child.name)); } catch { /* still has processes */ }
      }
      try { rmdirSync(p); } catch { left++; }
    }
    if (!left) return [];
    await sleep(100);
  }
  return roots.filter((x) => existsSync(x)).map((p) => `cgroup left: ${p}`);
}

/** Removes the host paths this run created; directories only while empty (another daemon may be using them). */
function restoreHostPaths(before: Record<string, boolean>): string[] {
  const notes: string[] = [];
  for (const p of HOST_PATHS) {
    if (before[p] || !existsSync(p)) continue;
    if (p.endsWith('.json')) {
      // dockerd reads its key only at start (and makes one when there is none): another one running keeps working.
      rmSync(p, { force: true });
      notes.push(`${p} was created by dockerd: removed`);
      continue;
    }
    const removeEmpty = (d: string): boolean => {
      let empty = true;
      for (const e of readdirSync(d, { withFileTypes: true })) {
        if (!(e.isDirectory() && removeEmpty(path.join(d, e.name)))) empty = false;
      }
      if (!empty) return false;
      try {
        rmdirSync(d);
        return true;
      } catch {
        return false;
      }
    };
    notes.push(removeEmpty(p) ? `${p} was created by dockerd/containerd: removed` : `${p} was created during the run and is not empty: left`);
  }
  return notes;
}
