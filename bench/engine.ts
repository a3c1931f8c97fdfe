// Our engine against dockerd, driven by the same docker CLI: wall time of
// `docker run --rm --network none IMAGE true` (spawn to exit of the CLI),
// RUNS times each, interleaved; then the memory of each daemon side idle and
// with N running containers (`sleep 3600`): our engine + its monitors against
// dockerd + containerd + its shims (VmRSS, and Pss from smaps_rollup).
//
//   npm run bench -- engine [N] [RUNS]     # N=20 containers, RUNS=20 by default
//
// Both daemons are private to the run: state, sockets and pidfiles under one
// temp dir, their own cgroup parents; dockerd with no bridge, no iptables and
// no ip forwarding, its containerd started by itself. Everything is removed at
// the end and the host is checked (links, sysctls, known paths) before/after.
import { spawn, spawnSync } from 'node:child_process';
import {
  copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmdirSync, rmSync, symlinkSync, writeFileSync,
} from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { makeBusyboxRootfs, missingPrerequisite, removeCgroupParent, tarOf } from '../test/integration/engine/helpers.js';
import { mountsUnder, removeTree } from '../test/helpers/tmp.js';
import { uniqueName } from '../test/helpers/names.js';
import { firewallTableName } from '../runtime/networks/names.js';
import { ENGINE_NODE_FLAGS } from '../runtime/engine/launcher.js';
import { alive, links, listProcs, procsMentioning, startDockerd as startPrivateDockerd, waitGone, type Proc } from '../test/helpers/dockerd.js';
import type { BenchModule } from './run.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DOCKER = [process.env.TSCT_DOCKER_CLI ?? '', '/usr/local/bin/docker', '/usr/bin/docker'].find((p) => p && existsSync(p));
const IMAGE = 'tsctbench/busybox:1';

/** Paths a Docker daemon may create outside its --data-root/--exec-root; removed after only when the run created them. */
export const HOST_PATHS = ['/run/tscompose', '/etc/docker/key.json', '/run/containerd', '/opt/containerd', '/run/docker', '/run/docker.sock', '/var/run/docker.pid', '/var/lib/docker', '/var/lib/containerd', '/var/lib/docker-engine'];
const SYSCTLS = ['net/ipv4/ip_forward', 'net/ipv4/conf/all/forwarding', 'net/ipv6/conf/all/forwarding', 'net/ipv4/conf/all/route_localnet', 'net/bridge/bridge-nf-call-iptables', 'net/bridge/bridge-nf-call-ip6tables'];

export type Peer = 'tscompose' | 'dockerd';

export interface Daemon {
  peer: Peer;
  sock: string;
  pid: number;
  exited: () => boolean;
  /** The processes that make up this side, by role (the containers' own processes are not counted). */
  processes(): Record<string, number[]>;
  stop(): Promise<string[]>;
}

export const r2 = (x: number) => Math.round(x * 100) / 100;
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function stats(ms: number[]) {
  const s = [...ms].sort((a, b) => a - b);
  if (!s.length) return { runs: 0 };
  const q = (p: number) => s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
  return { runs: s.length, medianMs: r2(q(50)), p95Ms: r2(q(95)), minMs: r2(s[0]), maxMs: r2(s[s.length - 1]), meanMs: r2(s.reduce((a, b) => a + b, 0) / s.length) };
}

// ---- processes ----------------------------------------------------------

// Shared with the dockerd reference tests (test/helpers/dockerd.ts).
export { alive, links, listProcs, procsMentioning, waitGone, type Proc };

/**
 * The end of a run's private dir: anything still naming it (a monitor, a shim,
 * a conmon) was started by this run and is killed, the run's cgroup parents
 * go, mounts left under it are named in `notes`, then the dir is removed.
 */
export async function sweepRunDir(tmp: string, cgroupParents: string[], notes: string[]): Promise<void> {
  const stray = procsMentioning(tmp);
  for (const p of stray) {
    notes.push(`killed stray ${p.comm} (pid ${p.pid})`);
    try { process.kill(p.pid, 'SIGKILL'); } catch { /* gone */ }
  }
  await waitGone(stray.map((p) => p.pid), 5000);
  for (const cg of cgroupParents) await removeCgroupParent(cg);
  const mounts = mountsUnder(tmp);
  if (mounts.length) notes.push(`mounts left under ${tmp} (detached): ${mounts.join(', ')}`);
  removeTree(tmp);
}

export interface Mem { rssKiB: number; pssKiB: number | null }

export function memOf(pid: number): Mem | undefined {
  try {
    const rss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);
    let pss: number | null = null;
    try {
      pss = Number(/^Pss:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? NaN);
    } catch {
      /* not readable */
    }
    return { rssKiB: rss, pssKiB: Number.isNaN(pss) ? null : pss };
  } catch {
    return undefined;
  }
}

export function memory(d: Pick<Daemon, 'processes'>) {
  const roles = d.processes();
  const byRole: Record<string, { count: number; rssKiB: number; pssKiB: number | null }> = {};
  let rss = 0;
  let pss: number | null = 0;
  for (const [role, pids] of Object.entries(roles)) {
    let rr = 0;
    let pp: number | null = 0;
    let n = 0;
    for (const pid of pids) {
      const m = memOf(pid);
      if (!m) continue;
      n++;
      rr += m.rssKiB;
      pp = pp === null || m.pssKiB === null ? null : pp + m.pssKiB;
    }
    byRole[role] = { count: n, rssKiB: rr, pssKiB: pp };
    rss += rr;
    pss = pss === null || pp === null ? null : pss + pp;
  }
  return { totalRssMiB: r2(rss / 1024), totalPssMiB: pss === null ? null : r2(pss / 1024), byRole };
}

// ---- docker CLI -----------------------------------------------------------

export interface CliResult { code: number | null; ms: number; stdout: string; stderr: string }

export function dockerCli(sock: string, cfg: string, args: string[], timeoutMs = 60_000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(DOCKER!, ['-H', `unix://${sock}`, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, DOCKER_CONFIG: cfg, DOCKER_HOST: '', DOCKER_CONTEXT: '', DOCKER_CLI_HINTS: 'false' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('exit', (code) => {
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      clearTimeout(timer);
      child.once('close', () => resolve({ code, ms, stdout, stderr }));
    });
  });
}

export async function cliOk(d: Daemon, cfg: string, args: string[], timeoutMs?: number): Promise<string> {
  const r = await dockerCli(d.sock, cfg, args, timeoutMs);
  if (r.code !== 0) throw new Error(`${d.peer}: docker ${args.join(' ')} exited ${r.code}: ${r.stderr.trim().slice(0, 400)}`);
  return r.stdout;
}

function ping(sock: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.request({ socketPath: sock, path: '/_ping', timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => { req.destroy(); resolve(false); });
    req.on('error', () => resolve(false));
    req.end();
  });
}

async function waitPing(sock: string, exited: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (exited()) return false;
    if (existsSync(sock) && (await ping(sock))) return true;
    await sleep(100);
  }
  return false;
}

export function logTail(file: string, lines = 8): string {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

// ---- our engine -------------------------------------------------------------

/**
 * A snapshot of the engine as JavaScript, in `dir`: runtime/**.ts (and the
 * other `trees`, e.g. compose/ for the CLI) transpiled (no type check) beside a copy of native/build, with package.json and
 * node_modules linked from the checkout. Plain node then runs it as
 * `tscompose engine` does from dist, without tsx in the measured process and
 * unaffected by edits or rebuilds during the run.
 */
export function snapshotEngine(dir: string, trees: string[] = ['runtime']): string {
  const opts: ts.CompilerOptions = { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, esModuleInterop: true };
  const walk = (rel: string): void => {
    for (const e of readdirSync(path.join(repo, rel), { withFileTypes: true })) {
      const r = path.join(rel, e.name);
      if (e.isDirectory()) walk(r);
      else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') && !e.name.endsWith('.d.ts')) {
        const out = ts.transpileModule(readFileSync(path.join(repo, r), 'utf8'), { compilerOptions: opts, fileName: r });
        mkdirSync(path.join(dir, rel), { recursive: true });
        writeFileSync(path.join(dir, r.replace(/\.ts$/, '.js')), out.outputText);
      } else if (e.name.endsWith('.json')) {
        mkdirSync(path.join(dir, rel), { recursive: true });
        copyFileSync(path.join(repo, r), path.join(dir, r));
      }
    }
  };
  for (const t of trees) walk(t);
  copyFileSync(path.join(repo, 'package.json'), path.join(dir, 'package.json'));
  symlinkSync(path.join(repo, 'node_modules'), path.join(dir, 'node_modules'));
  mkdirSync(path.join(dir, 'native', 'build'), { recursive: true });
  for (const e of readdirSync(path.join(repo, 'native', 'build'), { withFileTypes: true })) {
    if (e.isFile()) copyFileSync(path.join(repo, 'native', 'build', e.name), path.join(dir, 'native', 'build', e.name));
  }
  return path.join(dir, 'runtime', 'engine', 'engine-main.js');
}

/**
 * The engine makes its default `bridge` network at start (as dockerd makes
 * docker0 without --bridge=none) and keeps it after it stops: its links
 * (named by linkPrefix) and its nftables table (named by its root) are
 * removed here, with what was found.
 */
export function removeOurNetworking(root: string, linkPrefix: string): string[] {
  const notes: string[] = [];
  for (const l of links().filter((x) => x.startsWith(linkPrefix))) {
    const r = spawnSync('ip', ['link', 'del', l], { encoding: 'utf8' });
    notes.push(r.status === 0 ? `our engine left link ${l}: removed` : `cannot remove link ${l}: ${r.stderr.trim()}`);
  }
  const table = firewallTableName(root);
  if (spawnSync('nft', ['list', 'table', 'inet', table], { stdio: 'ignore' }).status === 0) {
    const r = spawnSync('nft', ['delete', 'table', 'inet', table], { encoding: 'utf8' });
    notes.push(r.status === 0 ? `our engine left nftables table inet ${table}: removed` : `cannot remove nftables table ${table}: ${r.stderr.trim()}`);
  }
  return notes;
}

/** `extraArgs`: more engine flags (the compose bench gives it a test address pool). */
export async function startOurs(tmp: string, main: string, cgroupParent: string, linkPrefix: string, extraArgs: string[] = []): Promise<Daemon> {
  const root = path.join(tmp, 'ours');
  const sock = path.join(tmp, 'ours.sock');
  const log = path.join(tmp, 'ours.log');
  mkdirSync(root, { recursive: true });
  const child = spawn(process.execPath, [...ENGINE_NODE_FLAGS, main, '--root', root, '--socket', sock, '--runtime', 'tscrun', '--monitor', 'native', '--cgroup-parent', cgroupParent, ...extraArgs], {
    stdio: ['ignore', 'ignore', 'pipe'], cwd: '/', env: { ...process.env, TSCOMPOSE_NETWORK_PREFIX: linkPrefix },
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (s: string) => {
    stderr += s;
    writeFileSync(log, stderr);
  });
  let gone = false;
  child.on('exit', () => (gone = true));
  const pid = child.pid!;
  if (!(await waitPing(sock, () => gone, 30_000))) {
    if (!gone) child.kill('SIGKILL');
    await waitGone([pid], 5000);
    removeOurNetworking(root, linkPrefix);
    throw new Error(`our engine did not start: ${stderr.trim().slice(-500) || 'no output'}`);
  }
  return {
    peer: 'tscompose',
    sock,
    pid,
    exited: () => gone,
    processes() {
      const procs = procsMentioning(tmp);
      return {
        engine: [pid],
        monitors: procs.filter((p) => p.argv[1] === 'monitor' && path.basename(p.argv[0]) === 'tscrun').map((p) => p.pid),
      };
    },
    async stop() {
      const notes: string[] = [];
      if (!gone) child.kill('SIGTERM');
      if ((await waitGone([pid], 15_000)).length) {
        notes.push(`our engine (pid ${pid}) ignored SIGTERM for 15 s: killed`);
        child.kill('SIGKILL');
      }
      notes.push(...removeOurNetworking(root, linkPrefix));
      return notes;
    },
  };
}

// ---- dockerd ----------------------------------------------------------------

/**
 * dockerd private to the run (test/helpers/dockerd.ts: its own containerd,
 * state and sockets under tmp, no bridge, no iptables, no ip forwarding, no
 * userland proxy). `extraArgs`: more dockerd flags (the compose bench gives it
 * an address pool of its own).
 */
export async function startDockerd(tmp: string, cgroupParent: string, extraArgs: string[] = []): Promise<Daemon> {
  const d = await startPrivateDockerd({ dir: path.join(tmp, 'dockerd'), networking: 'none', cgroupParent, extraArgs });
  return {
    peer: 'dockerd',
    sock: d.socket,
    pid: d.pid,
    exited: d.exited,
    processes() {
      const { dockerd, containerd, shims } = d.processes();
      return { dockerd, containerd, shims };
    },
    stop: () => d.stop(),
  };
}

// ---- host checks --------------------------------------------------------------

function sysctls(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const s of SYSCTLS) {
    try { out[s] = readFileSync(`/proc/sys/${s}`, 'utf8').trim(); } catch { /* absent */ }
  }
  return out;
}

export interface HostState { links: string[]; sysctls: Record<string, string>; paths: Record<string, boolean>; cgroupDocker: boolean }

export function hostState(): HostState {
  return {
    links: links(),
    sysctls: sysctls(),
    paths: Object.fromEntries(HOST_PATHS.map((p) => [p, existsSync(p)])),
    cgroupDocker: existsSync('/sys/fs/cgroup/memory/docker'),
  };
}

/** Undoes what the run changed on the host (only that), and says what it found. */
export function restoreHost(before: HostState, linkPrefix: string): { clean: boolean; notes: string[] } {
  const notes: string[] = [];
  const now = hostState();
  const added = now.links.filter((l) => !before.links.includes(l));
  const removed = before.links.filter((l) => !now.links.includes(l));
  const ours = added.filter((l) => l.startsWith(linkPrefix) || l.startsWith('docker') || l.startsWith('veth') || l.startsWith('br-'));
  if (ours.length) notes.push(`links left by this run: ${ours.join(', ')}`);
  // Tests running beside the bench make and remove their own links (other prefixes).
  if (added.length > ours.length) notes.push(`links of others appeared meanwhile: ${added.filter((l) => !ours.includes(l)).join(', ')}`);
  if (removed.length) notes.push(`links of others disappeared meanwhile: ${removed.join(', ')}`);
  const otherBridges = now.links.filter((l) => /^tsc[a-z0-9]*b/.test(l));
  for (const [k, v] of Object.entries(before.sysctls)) {
    if (now.sysctls[k] !== v && /forwarding|ip_forward/.test(k) && otherBridges.length) {
      // Another engine's bridges (tests running beside the bench) may need it.
      notes.push(`sysctl ${k} changed ${v} -> ${now.sysctls[k]} during the run; left so, as other engines' bridges exist (${otherBridges.slice(0, 3).join(', ')}...)`);
    } else if (now.sysctls[k] !== v) {
      notes.push(`sysctl ${k} changed ${v} -> ${now.sysctls[k]}: restored`);
      try { writeFileSync(`/proc/sys/${k}`, v); } catch (e) { notes.push(`cannot restore ${k}: ${(e as Error).message}`); }
    }
  }
  for (const p of HOST_PATHS) {
    if (before.paths[p] || !existsSync(p)) continue;
    if (p === '/run/tscompose') {
      // Shared by every engine on the host (its ipam lock): removed only when empty.
      try {
        rmdirSync(p);
        notes.push(`${p} was created by our engine: removed`);
      } catch {
        notes.push(`${p} was created during the run and is not empty: left`);
      }
      continue;
    }
    notes.push(`${p} was created by dockerd/containerd: removed`);
    rmSync(p, { recursive: true, force: true });
  }
  if (!before.cgroupDocker && now.cgroupDocker) notes.push('/sys/fs/cgroup/memory/docker appeared');
  return { clean: !ours.length && notes.every((n) => /(removed|restored|meanwhile: .*)$/.test(n)), notes };
}

// ---- phases ---------------------------------------------------------------

async function containersOf(d: Daemon, cfg: string): Promise<string[]> {
  return (await cliOk(d, cfg, ['ps', '-aq', '--no-trunc'])).split('\n').filter(Boolean);
}

export async function removeAll(d: Daemon, cfg: string): Promise<void> {
  const ids = await containersOf(d, cfg).catch(() => []);
  for (let i = 0; i < ids.length; i += 25) await dockerCli(d.sock, cfg, ['rm', '-f', ...ids.slice(i, i + 25)], 120_000);
}

async function timing(daemons: Daemon[], cfg: string, runs: number) {
  const argv = ['run', '--rm', '--network', 'none', IMAGE, 'true'];
  const times = new Map<Peer, number[]>(daemons.map((d) => [d.peer, []]));
  const failures = new Map<Peer, string[]>(daemons.map((d) => [d.peer, []]));
  // Two warm-up runs each (page cache, first cgroup, lazy init), not counted.
  for (const d of daemons) for (let i = 0; i < 2; i++) await cliOk(d, cfg, argv);
  for (let i = 0; i < runs; i++) {
    for (let k = 0; k < daemons.length; k++) {
      const d = daemons[(i + k) % daemons.length];
      const r = await dockerCli(d.sock, cfg, argv);
      if (r.code === 0) times.get(d.peer)!.push(r.ms);
      else failures.get(d.peer)!.push(`exit ${r.code}: ${r.stderr.trim().slice(0, 200)}`);
    }
  }
  return Object.fromEntries(daemons.map((d) => [d.peer, { ...stats(times.get(d.peer)!), failures: failures.get(d.peer)!.length, firstFailure: failures.get(d.peer)![0] }]));
}

/** The floor under every CLI command: process start, API version negotiation, one small request (`docker version`). */
async function cliFloor(daemons: Daemon[], cfg: string, runs: number) {
  const times = new Map<Peer, number[]>(daemons.map((d) => [d.peer, []]));
  for (let i = 0; i < runs; i++) {
    for (let k = 0; k < daemons.length; k++) {
      const d = daemons[(i + k) % daemons.length];
      const r = await dockerCli(d.sock, cfg, ['version', '--format', '{{.Server.Version}}']);
      if (r.code === 0) times.get(d.peer)!.push(r.ms);
    }
  }
  return Object.fromEntries(daemons.map((d) => [d.peer, stats(times.get(d.peer)!)]));
}

async function withContainers(d: Daemon, cfg: string, n: number) {
  const t0 = Date.now();
  for (let i = 0; i < n; i++) await cliOk(d, cfg, ['run', '-d', '--network', 'none', IMAGE, 'sleep', '3600']);
  const startSeconds = r2((Date.now() - t0) / 1000);
  const perContainerStartMs = r2((Date.now() - t0) / n);
  const running = (await cliOk(d, cfg, ['ps', '-q'])).split('\n').filter(Boolean).length;
  await sleep(2000);
  const mem = memory(d);
  const t1 = Date.now();
  await removeAll(d, cfg);
  return { running, startAllSeconds: startSeconds, meanRunDetachedMs: perContainerStartMs, removeAllSeconds: r2((Date.now() - t1) / 1000), ...mem };
}

async function serverVersion(d: Daemon, cfg: string): Promise<Record<string, unknown>> {
  const v = JSON.parse(await cliOk(d, cfg, ['version', '--format', '{{json .Server}}'])) as Record<string, unknown>;
  return { platform: (v.Platform as { Name?: string } | undefined)?.Name, version: v.Version, apiVersion: v.ApiVersion, components: (v.Components as Array<{ Name: string; Version: string }> | undefined)?.map((c) => `${c.Name} ${c.Version}`) };
}

const ratio = (a?: number | null, b?: number | null) => (a && b ? Math.round((a / b) * 1000) / 1000 : null);

const bench: BenchModule = {
  description: 'our engine vs dockerd 20.10 through the docker CLI: `docker run --rm --network none busybox true` wall time; daemon-side RSS/PSS idle and with N running containers',
  async run(args) {
    const why = missingPrerequisite() ?? (!DOCKER ? 'needs the docker CLI' : undefined);
    if (why) throw new Error(`the engine benchmark ${why}`);
    const n = Number(args[0] ?? 20);
    const runs = Number(args[1] ?? 20);
    if (!(n >= 1 && n <= 500) || !(runs >= 1)) throw new Error('usage: npm run bench -- engine [N containers, 1-500] [RUNS]');

    const before = hostState();
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'tsctbe-'));
    const cfg = path.join(tmp, 'docker-config');
    mkdirSync(cfg);
    const cgOurs = uniqueName('tsctbe');
    const cgDocker = uniqueName('tsctbd');
    const linkPrefix = `tsct${Math.random().toString(36).slice(2, 5).replace(/[^a-z0-9]/g, 'x')}`;
    const daemons: Daemon[] = [];
    const skipped: Record<string, string> = {};
    const notes: string[] = [];
    const result: Record<string, unknown> = { containers: n, runsEach: runs, command: `docker run --rm --network none ${IMAGE} true`, cli: '' };
    try {
      result.cli = spawnSync(DOCKER!, ['--version'], { encoding: 'utf8' }).stdout.trim();
      const tar = tarOf(makeBusyboxRootfs(path.join(tmp, 'rootfs')), path.join(tmp, 'busybox.tar'));
      let main = '';
      if (!existsSync(path.join(repo, 'native', 'build', 'tscrun'))) skipped.tscompose = 'native/build/tscrun is not built: run `make -C native`';
      else main = snapshotEngine(path.join(tmp, 'app'));
      result.oursRunsAs = `node ${ENGINE_NODE_FLAGS.join(' ')} runtime/engine/engine-main.js (a transpiled snapshot of runtime/, no tsx; the flags of \`tscompose engine\`) --runtime tscrun --monitor native`;
      for (const [peer, start] of [['tscompose', () => startOurs(tmp, main, cgOurs, linkPrefix)], ['dockerd', () => startDockerd(tmp, cgDocker)]] as const) {
        if (skipped[peer]) continue;
        try {
          const t0 = Date.now();
          const d = await start();
          daemons.push(d);
          notes.push(`${peer} answered /_ping after ${r2((Date.now() - t0) / 1000)} s`);
        } catch (e) {
          skipped[peer] = (e as Error).message;
          console.error(`bench engine: ${peer}: ${(e as Error).message}`);
        }
      }
      if (!daemons.length) throw new Error(`no daemon started: ${JSON.stringify(skipped)}`);
      // The same rootfs tar imported into both: one identical busybox layer.
      for (const d of daemons) await cliOk(d, cfg, ['import', tar, IMAGE]);
      const versions: Record<string, unknown> = {};
      for (const d of daemons) versions[d.peer] = await serverVersion(d, cfg);
      await sleep(1000);
      const idle: Record<string, unknown> = {};
      for (const d of daemons) idle[d.peer] = memory(d);
      console.error(`bench engine: timing ${runs} runs each of ${daemons.map((d) => d.peer).join(' and ')}`);
      const loadBefore = os.loadavg().map(r2);
      const startup = await timing(daemons, cfg, runs);
      const floor = await cliFloor(daemons, cfg, 10);
      await sleep(1000);
      const idleAfterRuns: Record<string, unknown> = {};
      for (const d of daemons) idleAfterRuns[d.peer] = memory(d);
      const loaded: Record<string, unknown> = {};
      for (const d of daemons) {
        console.error(`bench engine: ${n} containers on ${d.peer}`);
        loaded[d.peer] = await withContainers(d, cfg, n);
      }
      type S = { medianMs?: number; p95Ms?: number };
      type M = { totalRssMiB: number; totalPssMiB: number | null };
      const o = startup.tscompose as S | undefined;
      const k = startup.dockerd as S | undefined;
      const mem = (x: Record<string, unknown>, p: Peer) => x[p] as M | undefined;
      Object.assign(result, {
        versions,
        runStartup: startup,
        cliFloorVersion: floor,
        loadAverage: { beforeTiming: loadBefore, afterTiming: os.loadavg().map(r2), note: '1/5/15-minute load of the 2-core machine: other work running beside the bench' },
        memoryIdle: idle,
        memoryIdleAfterRuns: idleAfterRuns,
        memoryWithContainers: loaded,
        ratios: {
          dockerdOverOursMedian: ratio(k?.medianMs, o?.medianMs),
          dockerdOverOursP95: ratio(k?.p95Ms, o?.p95Ms),
          oursOverDockerdMedian: ratio(o?.medianMs, k?.medianMs),
          idleRssOursOverDockerd: ratio(mem(idle, 'tscompose')?.totalRssMiB, mem(idle, 'dockerd')?.totalRssMiB),
          idlePssOursOverDockerd: ratio(mem(idle, 'tscompose')?.totalPssMiB, mem(idle, 'dockerd')?.totalPssMiB),
          loadedRssOursOverDockerd: ratio(mem(loaded, 'tscompose')?.totalRssMiB, mem(loaded, 'dockerd')?.totalRssMiB),
          loadedPssOursOverDockerd: ratio(mem(loaded, 'tscompose')?.totalPssMiB, mem(loaded, 'dockerd')?.totalPssMiB),
        },
        target: 'our `docker run --rm` median at least 2x faster than dockerd (dockerdOverOursMedian >= 2)',
        targetMet: o?.medianMs && k?.medianMs ? k.medianMs / o.medianMs >= 2 : null,
      });
    } finally {
      for (const d of daemons) {
        await removeAll(d, cfg).catch((e: unknown) => notes.push(`${d.peer}: removing containers: ${(e as Error).message}`));
        notes.push(...(await d.stop()));
      }
      await sweepRunDir(tmp, [cgOurs, cgDocker], notes);
      const host = restoreHost(before, linkPrefix);
      const cgLeft = ['memory', 'pids', 'unified'].flatMap((c) => [cgOurs, cgDocker].map((g) => `/sys/fs/cgroup/${c}/${g}`)).filter((p) => existsSync(p));
      result.cleanup = {
        clean: host.clean && !cgLeft.length && !existsSync(tmp) && !procsMentioning(tmp).length,
        notes: [...notes, ...host.notes, ...cgLeft.map((p) => `cgroup left: ${p}`)],
        linkPrefix,
        linksBefore: before.links,
      };
      result.skipped = skipped;
      result.tmp = tmp;
    }
    return result;
  },
};

export default bench;
