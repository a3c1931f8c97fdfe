// `up -d` and `down` of whole stacks, tool against tool, each on its own
// engine: tscompose on our engine, docker-compose 1.29 on dockerd 20.10,
// podman-compose 1.0 on podman 4.3 (no daemon). Stacks: 1, 10 and 50 busybox
// services (a long-running shell that exits on SIGTERM, so that `down` is not
// a wait for stop timeouts) and the guestbook example (MariaDB with a health
// check + the web app that waits for it). Wall time of each command, RUNS
// times, interleaved with a rotating order; and the memory of each engine
// side with the stack up: our engine + its monitors, dockerd + containerd +
// its shims, podman's conmons + aardvark-dns.
//
//   npm run bench -- compose [RUNS] [STACKS] [TOOLS]
//     RUNS    3 by default
//     STACKS  1,10,50,guestbook by default (numbers are busybox stacks)
//     TOOLS   tscompose,docker-compose,podman-compose by default (those installed)
//
// Everything is private to the run: one temp dir holds every engine's state,
// sockets and config; the host is compared before and after and what the run
// left (links, netns, iptables chains of netavark, cgroups, paths) is removed.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeBusyboxRootfs, missingPrerequisite, tarOf } from '../test/integration/engine/helpers.js';
import { mountsUnder } from '../test/helpers/tmp.js';
import { uniqueName } from '../test/helpers/names.js';
import {
  cliOk, hostState, listProcs, memory, procsMentioning, r2, restoreHost, sleep, snapshotEngine, startDockerd, startOurs, sweepRunDir, waitGone,
  type Daemon, type HostState,
} from './engine.js';
import type { BenchModule } from './run.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const IMAGE = 'tsctbench/busybox:1';
const EXAMPLES_CACHE = process.env.TSCOMPOSE_EXAMPLES_CACHE ?? '/var/cache/tscompose-examples';
const GUESTBOOK_ARCHIVES = ['mariadb-10.11.tar', 'guestbook-web-1.tar'];
/** Address pools: ours the tests' pool; dockerd and podman pools of their own, so no engine takes another's subnets. */
const OUR_POOL = 'base=10.213.0.0/16,size=24';
const DOCKER_POOL = 'base=10.216.0.0/16,size=24';
const PODMAN_POOL = { base: '10.217.0.0/16', size: 24 };
/** Paths podman, conmon and netavark may create outside the private roots; removed after only when the run created them. */
const PODMAN_HOST_PATHS = ['/run/containers', '/run/libpod', '/dev/shm/libpod_lock', '/var/lib/containers/storage', '/etc/containers/networks'];

type ToolName = 'tscompose' | 'docker-compose' | 'podman-compose';
const TOOLS: ToolName[] = ['tscompose', 'docker-compose', 'podman-compose'];

interface Stack {
  name: string;
  file: string;
  services: number;
  /** Interpolated by the compose file (the guestbook's published port, per tool). */
  env: (tool: ToolName) => Record<string, string>;
}

interface CmdResult { code: number | null; ms: number; out: string }

interface Tool {
  name: ToolName;
  /** The compose command line for `args` on `stack`. */
  argv(stack: Stack, project: string, args: string[]): string[];
  env: NodeJS.ProcessEnv;
  /** Containers of the project that run now. */
  running(project: string): Promise<number>;
  /** Containers and networks the project still has (after `down`). */
  leftovers(project: string): Promise<string[]>;
  /** Untimed, after `down`: what the tool's `down` leaves and the next `up` must not find. */
  afterDown?(project: string): Promise<string[]>;
  /** Removes whatever the project has, also volumes (untimed; after a failure and at the end). */
  purge(project: string): Promise<void>;
  processes(): Record<string, number[]>;
  /** Host links the project's networks made (dockerd: `br-<id>`), to tell them from other daemons' after the run. */
  bridges?(project: string): Promise<string[]>;
  version: string;
  engine: string;
}

// ---- commands ---------------------------------------------------------------

function run(argv: string[], env: NodeJS.ProcessEnv, cwd: string, timeoutMs: number): Promise<CmdResult> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(argv[0], argv.slice(1), { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const add = (s: string): void => {
      out += s;
      if (out.length > 64_000) out = out.slice(-32_000);
    };
    child.stdout.setEncoding('utf8').on('data', add);
    child.stderr.setEncoding('utf8').on('data', add);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('exit', (code) => {
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      clearTimeout(timer);
      child.once('close', () => resolve({ code, ms, out }));
    });
  });
}

function tail(s: string, n = 600): string {
  const t = s.trim();
  return t.length > n ? `…${t.slice(-n)}` : t;
}

function apiGet<T>(sock: string, p: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath: sock, path: p, timeout: 30_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (s: string) => (body += s));
      res.on('end', () => {
        if ((res.statusCode ?? 500) >= 300) reject(new Error(`GET ${p}: ${res.statusCode} ${body.slice(0, 200)}`));
        else resolve(JSON.parse(body) as T);
      });
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${p}: no answer in 30 s`)));
    req.on('error', reject);
    req.end();
  });
}

const labelFilter = (project: string): string => encodeURIComponent(JSON.stringify({ label: [`com.docker.compose.project=${project}`] }));

/** running/leftovers/purge through the Docker API, for our engine and dockerd alike. */
function apiProbes(sock: string): Pick<Tool, 'running' | 'leftovers' | 'purge'> {
  type C = { Id: string; Names: string[]; State: string };
  type N = { Id: string; Name: string };
  type V = { Volumes: { Name: string; Labels: Record<string, string> | null }[] | null };
  const del = (p: string): Promise<void> => new Promise((resolve) => {
    const req = http.request({ socketPath: sock, path: p, method: 'DELETE', timeout: 60_000 }, (res) => { res.resume(); res.on('end', () => resolve()); });
    req.on('error', () => resolve());
    req.on('timeout', () => { req.destroy(); resolve(); });
    req.end();
  });
  return {
    async running(project) {
      return (await apiGet<C[]>(sock, `/containers/json?filters=${labelFilter(project)}`)).filter((c) => c.State === 'running').length;
    },
    async leftovers(project) {
      const cs = await apiGet<C[]>(sock, `/containers/json?all=1&filters=${labelFilter(project)}`);
      const ns = await apiGet<N[]>(sock, `/networks?filters=${labelFilter(project)}`);
      return [...cs.map((c) => `container ${c.Names[0] ?? c.Id}`), ...ns.map((n) => `network ${n.Name}`)];
    },
    async purge(project) {
      for (const c of await apiGet<C[]>(sock, `/containers/json?all=1&filters=${labelFilter(project)}`).catch(() => [])) await del(`/containers/${c.Id}?force=1&v=1`);
      for (const n of await apiGet<N[]>(sock, `/networks?filters=${labelFilter(project)}`).catch(() => [])) await del(`/networks/${n.Id}`);
      const vols = await apiGet<V>(sock, '/volumes').catch(() => ({ Volumes: [] }));
      for (const v of vols.Volumes ?? []) if (v.Labels?.['com.docker.compose.project'] === project) await del(`/volumes/${encodeURIComponent(v.Name)}`);
    },
  };
}

// ---- stacks -------------------------------------------------------------------

/** N services on the default network, each a shell that exits at once on SIGTERM (its `sleep` child dies with the pid namespace). */
export function busyboxStack(services: number): string {
  const lines = ['# Generated by bench/compose.ts: the same file for every tool.', 'services:'];
  for (let i = 1; i <= services; i++) {
    lines.push(
      `  s${i}:`,
      `    image: ${IMAGE}`,
      `    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]`,
      '    stop_grace_period: 2s',
    );
  }
  return lines.join('\n') + '\n';
}

function makeStacks(dir: string, names: string[], ports: Record<ToolName, number>): Stack[] {
  return names.map((name) => {
    const sdir = path.join(dir, name === 'guestbook' ? 'guestbook' : `s${name}`);
    mkdirSync(sdir, { recursive: true });
    const file = path.join(sdir, 'compose.yaml');
    if (name === 'guestbook') {
      // docker-compose 1.29's schema predates the top-level `name:`; the project name comes from -p for every tool anyway.
      const src = readFileSync(path.join(repo, 'examples', 'guestbook', 'compose.yaml'), 'utf8');
      writeFileSync(file, src.split('\n').filter((l) => !/^name:/.test(l)).join('\n'));
      return { name, file, services: 2, env: (t: ToolName) => ({ WEB_PORT: String(ports[t]) }) };
    }
    const n = Number(name);
    writeFileSync(file, busyboxStack(n));
    return { name: `${n}`, file, services: n, env: () => ({}) };
  });
}

// ---- tools ----------------------------------------------------------------------

function ourTool(d: Daemon, launcher: string, version: string): Tool {
  return {
    name: 'tscompose',
    engine: 'tscompose engine (node, tscrun monitors)',
    version,
    // As the launcher's shebang runs it (its node flags), from the snapshot.
    argv: (s, project, args) => [process.execPath, '--max-semi-space-size=2', launcher, '-f', s.file, '-p', project, '--progress', 'plain', ...args],
    env: { ...process.env, TSCOMPOSE_HOST: `unix://${d.sock}`, DOCKER_HOST: '', NO_COLOR: '1' },
    ...apiProbes(d.sock),
    processes: () => d.processes(),
  };
}

function dockerComposeTool(d: Daemon, cfg: string, version: string): Tool {
  return {
    async bridges(project) {
      return (await apiGet<{ Id: string }[]>(d.sock, `/networks?filters=${labelFilter(project)}`)).map((n) => `br-${n.Id.slice(0, 12)}`);
    },
    name: 'docker-compose',
    engine: 'dockerd 20.10 + containerd + containerd-shim-runc-v2',
    version,
    argv: (s, project, args) => ['docker-compose', '-f', s.file, '-p', project, '--no-ansi', ...args],
    env: { ...process.env, DOCKER_HOST: `unix://${d.sock}`, DOCKER_CONFIG: cfg, DOCKER_CONTEXT: '', COMPOSE_INTERACTIVE_NO_CLI: '1' },
    ...apiProbes(d.sock),
    processes: () => d.processes(),
  };
}

interface Podman {
  env: NodeJS.ProcessEnv;
  podman(args: string[], timeoutMs?: number): Promise<string>;
  /** aardvark-dns daemons that were running before the run (not ours). */
  aardvarkBefore: Set<number>;
  cgroupParent: string;
}

/**
 * Podman on private storage and config: containers.conf and storage.conf in
 * the temp dir (CONTAINERS_CONF, CONTAINERS_STORAGE_CONF), so that graph
 * root, run root, volumes, network configs, events and tmp all live there.
 * The host's limits: root lacks CAP_SYS_RESOURCE here, so podman's default
 * rlimits (nofile 1048576, nproc) would fail in runc; runc, not crun (crun 1.8
 * refuses this hybrid cgroup host); cgroupfs and file events (no systemd).
 */
function setUpPodman(tmp: string, cgroupParent: string): Podman {
  const dir = path.join(tmp, 'podman');
  mkdirSync(dir, { recursive: true });
  const storage = path.join(dir, 'storage.conf');
  const conf = path.join(dir, 'containers.conf');
  writeFileSync(storage, `[storage]\ndriver = "overlay"\ngraphroot = "${dir}/root"\nrunroot = "${dir}/runroot"\n`);
  writeFileSync(conf, [
    '[containers]',
    'log_driver = "k8s-file"',
    'default_ulimits = ["nofile=1024:20000", "nproc=8192:8192"]',
    '[network]',
    'network_backend = "netavark"',
    `network_config_dir = "${dir}/networks"`,
    `default_subnet_pools = [{"base" = "${PODMAN_POOL.base}", "size" = ${PODMAN_POOL.size}}]`,
    '[engine]',
    'cgroup_manager = "cgroupfs"',
    'events_logger = "file"',
    `events_logfile_path = "${dir}/events.log"`,
    'runtime = "runc"',
    `tmp_dir = "${dir}/tmp"`,
    `volume_path = "${dir}/volumes"`,
    `static_dir = "${dir}/static"`,
    '',
  ].join('\n'));
  const env = { ...process.env, CONTAINERS_CONF: conf, CONTAINERS_STORAGE_CONF: storage };
  const aardvarkBefore = new Set(listProcs().filter((p) => p.comm === 'aardvark-dns').map((p) => p.pid));
  return {
    env,
    aardvarkBefore,
    cgroupParent,
    async podman(args, timeoutMs = 300_000) {
      const r = await run(['podman', ...args], env, '/', timeoutMs);
      if (r.code !== 0) throw new Error(`podman ${args.join(' ')} exited ${r.code}: ${tail(r.out, 400)}`);
      return r.out;
    },
  };
}

function podmanTool(pm: Podman, tmp: string, version: string): Tool {
  const label = (project: string): string => `label=com.docker.compose.project=${project}`;
  const names = async (args: string[]): Promise<string[]> => (await pm.podman(args)).split('\n').map((l) => l.trim()).filter(Boolean);
  return {
    name: 'podman-compose',
    engine: 'podman 4.3 (no daemon: conmon per container, aardvark-dns per host)',
    version,
    // Every container in a cgroup parent of the run's (podman-compose passes --podman-run-args to `podman run`).
    argv: (s, project, args) => ['podman-compose', '-f', s.file, '-p', project, `--podman-run-args=--cgroup-parent=/${pm.cgroupParent}`, ...args],
    env: pm.env,
    async running(project) {
      return (await names(['ps', '--filter', label(project), '--format', '{{.Names}}'])).length;
    },
    async leftovers(project) {
      return [
        ...(await names(['ps', '-a', '--filter', label(project), '--format', '{{.Names}}'])).map((n) => `container ${n}`),
        ...(await names(['network', 'ls', '--filter', label(project), '--format', '{{.Name}}'])).map((n) => `network ${n}`),
      ];
    },
    // podman-compose 1.0's `down` removes the containers, not the project's network.
    async afterDown(project) {
      const nets = await names(['network', 'ls', '--filter', label(project), '--format', '{{.Name}}']);
      if (nets.length) await pm.podman(['network', 'rm', '-f', ...nets]);
      return nets;
    },
    async purge(project) {
      const cs = await names(['ps', '-a', '--filter', label(project), '--format', '{{.ID}}']).catch(() => []);
      if (cs.length) await pm.podman(['rm', '-f', '-t', '0', ...cs]).catch(() => '');
      const nets = await names(['network', 'ls', '--filter', label(project), '--format', '{{.Name}}']).catch(() => []);
      if (nets.length) await pm.podman(['network', 'rm', '-f', ...nets]).catch(() => '');
      const vols = await names(['volume', 'ls', '--filter', label(project), '--format', '{{.Name}}']).catch(() => []);
      if (vols.length) await pm.podman(['volume', 'rm', '-f', ...vols]).catch(() => '');
    },
    processes() {
      const procs = procsMentioning(tmp);
      return {
        conmon: procs.filter((p) => p.comm === 'conmon').map((p) => p.pid),
        'aardvark-dns': listProcs().filter((p) => p.comm === 'aardvark-dns' && p.argv.length && !pm.aardvarkBefore.has(p.pid)).map((p) => p.pid),
      };
    },
  };
}

// ---- measuring ------------------------------------------------------------------

function median(xs: number[]): number | null {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return r2(s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2);
}

interface Samples { upMs: number[]; downMs: number[]; failures: string[]; notes: Set<string>; memory?: ReturnType<typeof memory> }

async function upDown(tool: Tool, stack: Stack, project: string, samples: Samples | undefined, measureMemory: boolean, bridges: Set<string>): Promise<void> {
  const env = { ...tool.env, ...stack.env(tool.name) };
  const cwd = path.dirname(stack.file);
  const limit = 600_000;
  const up = await run(tool.argv(stack, project, ['up', '-d']), env, cwd, limit);
  let ok = up.code === 0;
  if (!ok) samples?.failures.push(`up -d exited ${up.code}: ${tail(up.out)}`);
  const running = ok ? await tool.running(project) : 0;
  if (ok && running !== stack.services) {
    ok = false;
    samples?.failures.push(`up -d returned with ${running} of ${stack.services} containers running: ${tail(up.out)}`);
  }
  if (ok) samples?.upMs.push(up.ms);
  if (up.code === 0 && tool.bridges) for (const b of await tool.bridges(project).catch(() => [])) bridges.add(b);
  if (ok && measureMemory && samples) {
    await sleep(2000);
    samples.memory = memory({ processes: () => tool.processes() });
  }
  const down = await run(tool.argv(stack, project, ['down']), env, cwd, limit);
  if (down.code !== 0) {
    samples?.failures.push(`down exited ${down.code}: ${tail(down.out)}`);
    ok = false;
  }
  const extra = down.code === 0 && tool.afterDown ? await tool.afterDown(project) : [];
  const left = await tool.leftovers(project);
  if (down.code === 0 && left.length) samples?.failures.push(`down left ${left.join(', ')}`);
  else if (down.code === 0 && ok) samples?.downMs.push(down.ms);
  if (extra.length) samples?.notes.add(`\`down\` left the network(s) ${extra.join(', ')} (podman-compose 1.0 does not remove networks): removed untimed before the next \`up\``);
  if (!ok || left.length) await tool.purge(project);
}

// ---- host cleanup ------------------------------------------------------------------

function iptablesChains(): string[] {
  const r = spawnSync('iptables-save', [], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.split('\n').filter((l) => /^:NETAVARK/.test(l)).map((l) => l.slice(1).split(' ')[0]) : [];
}

/** netavark's iptables chains (and the jumps to them) that did not exist before the run. */
function removeNetavarkRules(before: string[]): string[] {
  const notes: string[] = [];
  if (before.length) return iptablesChains().length > before.length ? ['netavark chains existed before the run: left as they are'] : [];
  for (const table of ['filter', 'nat']) {
    const r = spawnSync('iptables-save', ['-t', table], { encoding: 'utf8' });
    if (r.status !== 0) continue;
    const lines = r.stdout.split('\n');
    for (const l of lines.filter((x) => /^-A (?!NETAVARK)\S+ .*NETAVARK/.test(x))) {
      const d = spawnSync('sh', ['-c', `iptables -t ${table} ${l.replace(/^-A /, '-D ')}`], { encoding: 'utf8' });
      notes.push(d.status === 0 ? `iptables -t ${table}: removed netavark's jump (${l.slice(3, 60)}…)` : `cannot remove ${l}: ${d.stderr.trim()}`);
    }
    const chains = lines.filter((x) => /^:NETAVARK/.test(x)).map((x) => x.slice(1).split(' ')[0]);
    for (const c of chains) spawnSync('iptables', ['-t', table, '-F', c]);
    for (const c of chains) {
      const d = spawnSync('iptables', ['-t', table, '-X', c], { encoding: 'utf8' });
      notes.push(d.status === 0 ? `iptables -t ${table}: removed netavark's chain ${c}` : `cannot remove chain ${c}: ${d.stderr.trim()}`);
    }
  }
  return notes;
}

function netnsList(): string[] {
  try { return readdirSync('/run/netns'); } catch { return []; }
}

function podmanLinks(): string[] {
  const r = spawnSync('ip', ['-o', 'link'], { encoding: 'utf8' });
  return r.stdout.split('\n').map((l) => /^\d+:\s+([^:@]+)/.exec(l)?.[1]).filter((x): x is string => !!x && /^podman\d+$/.test(x));
}

/** A cgroup subtree, deepest first (podman nests libpod-<id> and conmon under its parent). */
function rmCgroupTree(p: string): boolean {
  try {
    for (const e of readdirSync(p, { withFileTypes: true })) if (e.isDirectory()) rmCgroupTree(path.join(p, e.name));
    rmdirSync(p);
    return true;
  } catch {
    return !existsSync(p);
  }
}

interface PodmanHost { paths: Record<string, boolean>; netns: string[]; links: string[]; chains: string[]; libpodParent: boolean; iptablesTables: string[] }

/** The iptables-nft tables (`ip filter`, `ip nat`) that exist: netavark's iptables calls create them. */
function iptablesTables(): string[] {
  const r = spawnSync('nft', ['list', 'tables'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.split('\n').map((l) => l.trim()).filter((l) => l === 'table ip filter' || l === 'table ip nat').map((l) => l.slice(9)) : [];
}

/** Tables that appeared during the run and hold no rule any more (only the empty base chains iptables made). */
function removeEmptyIptablesTables(before: string[]): string[] {
  const notes: string[] = [];
  for (const t of iptablesTables().filter((x) => !before.includes(x))) {
    const r = spawnSync('nft', ['list', 'table', 'ip', t], { encoding: 'utf8' });
    const rules = r.stdout.split('\n').map((l) => l.trim()).filter((l) => l && !/^(table|chain|type|\}|policy)/.test(l));
    if (r.status !== 0 || rules.length) {
      notes.push(`iptables table ip ${t} appeared during the run and holds rules: left`);
      continue;
    }
    const d = spawnSync('nft', ['delete', 'table', 'ip', t], { encoding: 'utf8' });
    notes.push(d.status === 0 ? `iptables table ip ${t} (empty) made by netavark: removed` : `cannot remove table ip ${t}: ${d.stderr.trim()}`);
  }
  return notes;
}

function podmanHostState(): PodmanHost {
  return {
    paths: Object.fromEntries(PODMAN_HOST_PATHS.map((p) => [p, existsSync(p)])),
    netns: netnsList(),
    links: podmanLinks(),
    chains: iptablesChains(),
    libpodParent: existsSync('/sys/fs/cgroup/memory/libpod_parent'),
    iptablesTables: iptablesTables(),
  };
}

function restorePodmanHost(before: PodmanHost, cgroupParent: string): string[] {
  const notes: string[] = [];
  for (const l of podmanLinks().filter((x) => !before.links.includes(x))) {
    const r = spawnSync('ip', ['link', 'del', l], { encoding: 'utf8' });
    notes.push(r.status === 0 ? `podman left link ${l}: removed` : `cannot remove link ${l}: ${r.stderr.trim()}`);
  }
  for (const n of netnsList().filter((x) => !before.netns.includes(x) && /^netns-/.test(x))) {
    spawnSync('umount', ['-l', `/run/netns/${n}`]);
    try { rmSync(`/run/netns/${n}`); notes.push(`podman left netns ${n}: removed`); } catch (e) { notes.push(`cannot remove netns ${n}: ${(e as Error).message}`); }
  }
  notes.push(...removeNetavarkRules(before.chains));
  notes.push(...removeEmptyIptablesTables(before.iptablesTables));
  for (const ctrl of readdirSync('/sys/fs/cgroup')) {
    const p = path.join('/sys/fs/cgroup', ctrl, cgroupParent);
    if (existsSync(p) && !rmCgroupTree(p)) notes.push(`cgroup left: ${p}`);
    const lp = path.join('/sys/fs/cgroup', ctrl, 'libpod_parent');
    if (!before.libpodParent && existsSync(lp)) notes.push(rmCgroupTree(lp) ? `podman made ${lp}: removed` : `cgroup left: ${lp}`);
  }
  for (const p of PODMAN_HOST_PATHS) {
    if (before.paths[p] || !existsSync(p)) continue;
    for (const m of mountsUnder(p).reverse()) spawnSync('umount', ['-l', m]);
    rmSync(p, { recursive: true, force: true });
    notes.push(`${p} was created by podman/netavark: removed`);
  }
  return notes;
}

// ---- the bench ------------------------------------------------------------------------

const ratio = (theirs: number | null | undefined, ours: number | null | undefined): number | null => (theirs && ours ? Math.round((theirs / ours) * 100) / 100 : null);

function version(argv: string[]): string {
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim().split('\n')[0] : '';
}

const bench: BenchModule = {
  description: '`up -d` and `down` of 1/10/50-service busybox stacks and the guestbook: tscompose (our engine) vs docker-compose 1.29 (dockerd) vs podman-compose (podman); engine-side memory with the stack up',
  async run(args) {
    const why = missingPrerequisite();
    if (why) throw new Error(`the compose benchmark ${why}`);
    if (!existsSync(path.join(repo, 'native', 'build', 'tscrun'))) throw new Error('native/build/tscrun is not built: run `npm run build` (or `make -C native`)');
    const runs = Number(args[0] ?? 3);
    const stackNames = (args[1] ?? '1,10,50,guestbook').split(',').filter(Boolean);
    const wanted = (args[2] ?? TOOLS.join(',')).split(',').filter(Boolean) as ToolName[];
    if (!(runs >= 1) || stackNames.some((s) => s !== 'guestbook' && !(Number(s) >= 1 && Number(s) <= 200)) || wanted.some((t) => !TOOLS.includes(t))) {
      throw new Error('usage: npm run bench -- compose [RUNS] [STACKS like 1,10,50,guestbook] [TOOLS like tscompose,docker-compose,podman-compose]');
    }
    const skipped: Record<string, string> = {};
    const has = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
    if (wanted.includes('docker-compose') && !has('docker-compose')) skipped['docker-compose'] = 'not installed (apt-get install docker-compose)';
    if (wanted.includes('docker-compose') && !has('docker')) skipped['docker-compose'] = 'needs the docker CLI to load images into dockerd (apt-get install docker.io)';
    if (wanted.includes('podman-compose') && !(has('podman-compose') && has('podman'))) skipped['podman-compose'] = 'not installed (sudo bash scripts/install-deps.sh --bench)';
    const guestbookArchives = GUESTBOOK_ARCHIVES.map((a) => path.join(EXAMPLES_CACHE, 'archives', a));
    if (stackNames.includes('guestbook') && guestbookArchives.some((a) => !existsSync(a))) {
      throw new Error(`the guestbook images are not in ${EXAMPLES_CACHE}/archives: run \`sudo examples/images/build-all.sh\` first, or leave guestbook out of STACKS`);
    }

    const before = hostState();
    const podmanBefore = podmanHostState();
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'tsctbc-'));
    const cfg = path.join(tmp, 'docker-config');
    mkdirSync(cfg);
    const cgOurs = uniqueName('tsctbce');
    const cgDocker = uniqueName('tsctbcd');
    const cgPodman = uniqueName('tsctbcp');
    const linkPrefix = `tsct${Math.random().toString(36).slice(2, 5).replace(/[^a-z0-9]/g, 'x')}`;
    const projectBase = `tsctbc${Math.random().toString(36).slice(2, 6).replace(/[^a-z0-9]/g, 'x')}`;
    const daemons: Daemon[] = [];
    const tools: Tool[] = [];
    const dockerBridges = new Set<string>();
    let pm: Podman | undefined;
    const notes: string[] = [];
    const result: Record<string, unknown> = {};
    try {
      // The CLI and the engine as JavaScript, transpiled from this checkout at the start: edits during the run change nothing.
      const app = path.join(tmp, 'app');
      const engineMain = snapshotEngine(app, ['runtime', 'compose']);
      cpSync(path.join(repo, 'schema'), path.join(app, 'schema'), { recursive: true });
      mkdirSync(path.join(app, 'bin'));
      const launcher = path.join(app, 'bin', 'tscompose.js');
      writeFileSync(launcher, readFileSync(path.join(repo, 'bin', 'tscompose.js'), 'utf8').replace('../dist/compose/cli/main.js', '../compose/cli/main.js'));
      const tar = tarOf(makeBusyboxRootfs(path.join(tmp, 'rootfs')), path.join(tmp, 'busybox.tar'));
      const needGuestbook = stackNames.includes('guestbook');

      for (const name of wanted) {
        if (skipped[name]) continue;
        const t0 = Date.now();
        try {
          if (name === 'tscompose') {
            const d = await startOurs(tmp, engineMain, cgOurs, linkPrefix, ['--default-address-pool', OUR_POOL]);
            daemons.push(d);
            await cliOk(d, cfg, ['import', tar, IMAGE]);
            if (needGuestbook) for (const a of guestbookArchives) await cliOk(d, cfg, ['load', '-i', a], 600_000);
            const v = `tscompose ${version([process.execPath, launcher, 'version', '--short']) || '?'}`;
            tools.push(ourTool(d, launcher, v));
          } else if (name === 'docker-compose') {
            const d = await startDockerd(tmp, cgDocker, ['--default-address-pool', DOCKER_POOL]);
            daemons.push(d);
            await cliOk(d, cfg, ['import', tar, IMAGE]);
            if (needGuestbook) for (const a of guestbookArchives) await cliOk(d, cfg, ['load', '-i', a], 600_000);
            tools.push(dockerComposeTool(d, cfg, version(['docker-compose', 'version', '--short'])));
          } else {
            pm = setUpPodman(tmp, cgPodman);
            await pm.podman(['import', tar, IMAGE]);
            if (needGuestbook) for (const a of guestbookArchives) await pm.podman(['load', '-i', a], 600_000);
            const pcv = /podman-compose?r? version\s+(\S+)/.exec(spawnSync('podman-compose', ['version'], { encoding: 'utf8', env: pm.env }).stdout)?.[1] ?? '?';
            tools.push(podmanTool(pm, tmp, `podman-compose ${pcv}, ${version(['podman', '--version'])}`));
          }
          notes.push(`${name}: engine ready and images loaded in ${r2((Date.now() - t0) / 1000)} s (not timed)`);
        } catch (e) {
          skipped[name] = (e as Error).message;
          console.error(`bench compose: ${name}: ${(e as Error).message}`);
        }
      }
      if (!tools.some((t) => t.name === 'tscompose')) throw new Error(`our engine did not start: ${skipped.tscompose ?? 'not selected'}`);

      const ports = { tscompose: 18181, 'docker-compose': 18182, 'podman-compose': 18183 } satisfies Record<ToolName, number>;
      const stacks = makeStacks(path.join(tmp, 'stacks'), stackNames, ports);
      const results: Record<string, Record<string, unknown>> = {};
      const loadAverage: Record<string, number[]> = { start: os.loadavg().map(r2) };
      for (const [si, stack] of stacks.entries()) {
        const project = `${projectBase}${stack.name === 'guestbook' ? 'gb' : stack.name}`;
        const samples = new Map<ToolName, Samples>(tools.map((t) => [t.name, { upMs: [], downMs: [], failures: [], notes: new Set() }]));
        // Warm-up, not counted: page cache, first network of the engine; the guestbook's database initializes its volume here.
        if (si === 0 || stack.name === 'guestbook') {
          for (const t of tools) {
            console.error(`bench compose: ${stack.name}: warm-up ${t.name}`);
            const w: Samples = { upMs: [], downMs: [], failures: [], notes: new Set() };
            await upDown(t, stack, project, w, false, dockerBridges);
            if (w.failures.length) samples.get(t.name)!.failures.push(`warm-up: ${w.failures[0]}`);
          }
        }
        for (let i = 0; i < runs; i++) {
          for (let k = 0; k < tools.length; k++) {
            const t = tools[(i + k) % tools.length];
            console.error(`bench compose: ${stack.name}: run ${i + 1}/${runs} ${t.name}`);
            await upDown(t, stack, project, samples.get(t.name)!, i === runs - 1, dockerBridges);
          }
        }
        for (const t of tools) {
          if (stack.name === 'guestbook') await run(t.argv(stack, project, ['down', '-v']), { ...t.env, ...stack.env(t.name) }, path.dirname(stack.file), 120_000);
          await t.purge(project);
        }
        const perTool: Record<string, unknown> = {};
        for (const t of tools) {
          const s = samples.get(t.name)!;
          perTool[t.name] = {
            upMedianMs: median(s.upMs), downMedianMs: median(s.downMs), upMs: s.upMs.map(r2), downMs: s.downMs.map(r2),
            memoryWithStackUp: s.memory, failures: s.failures, notes: [...s.notes],
          };
        }
        type P = { upMedianMs: number | null; downMedianMs: number | null; memoryWithStackUp?: { totalRssMiB: number; totalPssMiB: number | null } };
        const o = perTool.tscompose as P;
        const ratios: Record<string, number | null> = {};
        for (const peer of ['docker-compose', 'podman-compose'] as const) {
          const p = perTool[peer] as P | undefined;
          if (!p) continue;
          ratios[`up ${peer}/tscompose`] = ratio(p.upMedianMs, o.upMedianMs);
          ratios[`down ${peer}/tscompose`] = ratio(p.downMedianMs, o.downMedianMs);
          ratios[`memory rss tscompose/${peer}`] = ratio(o.memoryWithStackUp?.totalRssMiB, p.memoryWithStackUp?.totalRssMiB);
          ratios[`memory pss tscompose/${peer}`] = ratio(o.memoryWithStackUp?.totalPssMiB, p.memoryWithStackUp?.totalPssMiB);
        }
        results[stack.name === 'guestbook' ? 'guestbook' : `${stack.name} service${stack.services === 1 ? '' : 's'}`] = { services: stack.services, project, ...perTool, ratios };
        loadAverage[`after ${stack.name}`] = os.loadavg().map(r2);
      }

      type R = { ratios: Record<string, number | null> };
      const fifty = results['50 services'] as R | undefined;
      const met = (k: string, min: number): boolean | null => (fifty?.ratios[k] == null ? null : fifty.ratios[k]! >= min);
      const memMet = (peer: string): boolean | null => (fifty?.ratios[`memory rss tscompose/${peer}`] == null ? null : fifty.ratios[`memory rss tscompose/${peer}`]! < 1);
      Object.assign(result, {
        runsEach: runs,
        tools: Object.fromEntries(tools.map((t) => [t.name, { version: t.version, engine: t.engine }])),
        method: {
          timed: 'wall time of the whole compose command, spawn to exit (`up -d`: every container running, checked after; `down`: no container or network of the project left, checked after); medians of RUNS, the tools interleaved in a rotating order',
          stacks: 'N services of busybox `sh -c "trap \'exit 0\' TERM; sleep 3600 & wait"` on the default network, stop_grace_period 2s; the guestbook is examples/guestbook/compose.yaml without its top-level `name:` (docker-compose 1.29 predates it), its database volume initialized by an untimed warm-up and kept between runs',
          memory: 'VmRSS and Pss (smaps_rollup) summed over each engine side\'s own processes, not the containers\', 2 s after the last `up -d` of each stack',
          ours: 'node bin/tscompose.js (a transpiled snapshot of compose/ and runtime/) against `tscompose engine --runtime tscrun --monitor native` with a private root and socket',
          dockerd: 'dockerd 20.10 with its own containerd, private roots, --iptables=false --userland-proxy=false (no docker-proxy processes, no firewall rules)',
          podman: 'podman with private containers.conf/storage.conf (graph root, run root, networks, volumes under the temp dir), runc, cgroupfs, netavark (its iptables rules are removed after)',
          caveats: [
            'podman-compose 1.0 runs `podman run` once per container, one after the other, and sleeps 1 s after each: its `up -d` is bound by that sleep',
            'podman-compose 1.0 does not wait for `depends_on: condition: service_healthy`, and podman runs health checks through systemd timers, absent here: its guestbook `up -d` returns before the database is ready; tscompose and docker-compose wait for the health check',
          ],
        },
        results,
        targets: {
          'up -d of 50 services >= 3x faster than docker-compose': met('up docker-compose/tscompose', 3),
          'up -d of 50 services >= 3x faster than podman-compose': met('up podman-compose/tscompose', 3),
          'down of 50 services >= 3x faster than docker-compose': met('down docker-compose/tscompose', 3),
          'down of 50 services >= 3x faster than podman-compose': met('down podman-compose/tscompose', 3),
          'memory with 50 services up below dockerd + containerd + shims': memMet('docker-compose'),
          'memory with 50 services up below podman (conmons + aardvark-dns)': memMet('podman-compose'),
        },
        loadAverage,
      });
    } finally {
      for (const d of daemons) {
        const probe = apiProbes(d.sock);
        for (const s of stackNames) await probe.purge(`${projectBase}${s === 'guestbook' ? 'gb' : s}`).catch(() => undefined);
        notes.push(...(await d.stop()));
      }
      if (pm) {
        const r = await run(['podman', 'rm', '-a', '-f', '-t', '0'], pm.env, '/', 120_000);
        if (r.code !== 0) notes.push(`podman rm -a: ${tail(r.out, 200)}`);
        const nets = (await run(['podman', 'network', 'ls', '--format', '{{.Name}}'], pm.env, '/', 60_000)).out.split('\n').map((x) => x.trim()).filter((x) => x && x !== 'podman');
        if (nets.length) await run(['podman', 'network', 'rm', '-f', ...nets], pm.env, '/', 60_000);
        const reset = await run(['podman', 'system', 'reset', '-f'], pm.env, '/', 120_000);
        if (reset.code !== 0) notes.push(`podman system reset: ${tail(reset.out, 200)}`);
        const aardvark = listProcs().filter((p) => p.comm === 'aardvark-dns' && p.argv.length && !pm!.aardvarkBefore.has(p.pid));
        for (const p of aardvark) {
          notes.push(`stopped aardvark-dns (pid ${p.pid}) started by podman during the run`);
          try { process.kill(p.pid, 'SIGTERM'); } catch { /* gone */ }
        }
        await waitGone(aardvark.map((p) => p.pid), 5000);
      }
      await sweepRunDir(tmp, [cgOurs, cgDocker], notes);
      const podmanNotes = pm ? restorePodmanHost(podmanBefore, cgPodman) : [];
      // Bridges of this run's dockerd networks still there (a `down` that failed): removed. Other br-/veth links are
      // other Docker daemons' (tests beside the bench run dockerd too), which restoreHost cannot tell apart.
      const nowLinks = new Set(spawnSync('ip', ['-o', 'link'], { encoding: 'utf8' }).stdout.split('\n').map((l) => /^\d+:\s+([^:@]+)/.exec(l)?.[1]).filter(Boolean));
      const leftBridges = [...dockerBridges].filter((b) => nowLinks.has(b));
      for (const b of leftBridges) {
        const r = spawnSync('ip', ['link', 'del', b], { encoding: 'utf8' });
        notes.push(r.status === 0 ? `dockerd left bridge ${b}: removed` : `cannot remove bridge ${b}: ${r.stderr.trim()}`);
      }
      const host = restoreHost(before as HostState, linkPrefix);
      const hostNotes = host.notes.map((n) => n.replace(/^links left by this run: (.*)$/, (_m, l: string) => {
        const mine = l.split(', ').filter((x) => x.startsWith(linkPrefix) || dockerBridges.has(x));
        return mine.length ? `links left by this run: ${mine.join(', ')}` : `links of others appeared meanwhile (not this run's networks): ${l}`;
      }));
      const hostClean = hostNotes.every((n) => !/^links left by this run|cannot|holds rules: left/.test(n));
      const cgLeft = ['memory', 'pids', 'unified'].flatMap((c) => [cgOurs, cgDocker, cgPodman].map((g) => `/sys/fs/cgroup/${c}/${g}`)).filter((p) => existsSync(p));
      result.cleanup = {
        clean: hostClean && !cgLeft.length && !existsSync(tmp) && !procsMentioning(tmp).length && podmanNotes.every((n) => /removed|left as they are/.test(n)),
        notes: [...notes, ...podmanNotes, ...hostNotes, ...cgLeft.map((p) => `cgroup left: ${p}`)],
        linkPrefix,
      };
      result.skipped = skipped;
    }
    return result;
  },
};

export default bench;
