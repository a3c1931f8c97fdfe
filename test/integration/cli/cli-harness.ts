// What the CLI end-to-end tests share: a private engine (its own root,
// socket, cgroup parent, link prefix and the test address pool) with a
// busybox image imported, and the tscompose CLI run as a real process
// against it (`--host unix://…`), so exit codes, signals and stdout/stderr
// are the ones a user sees. The CLI is the built one (bin/tscompose.js →
// dist/) when dist/ is at least as new as the sources, else the same
// main() run from source through tsx, so a stale build never hides a fix.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { psJson } from '../../../compose/cli/commands/ps.js';
import { HttpEngineClient } from '../../../runtime/client/index.js';
import { Engine } from '../../../runtime/engine/engine.js';
import { firewallTableName } from '../../../runtime/networks/names.js';
import { REPO_ROOT } from '../../helpers/rootfs.js';
import { makeBusyboxRootfs, missingPrerequisite, removeCgroupParent, removeTestNetworks, tarOf, testNetworkOptions } from '../engine/helpers.js';

export { missingPrerequisite };

export interface CliResult {
  code: number;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

const BIN = path.join(REPO_ROOT, 'bin', 'tscompose.js');
const SOURCE_ENTRY = path.join(REPO_ROOT, 'test', 'integration', 'cli', 'cli-from-source.ts');

function newestMtime(dir: string, ext: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestMtime(p, ext));
    else if (e.name.endsWith(ext)) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

/** The command line that starts the CLI: the build when it is current, else the sources. */
export function cliEntry(): string[] {
  const built = path.join(REPO_ROOT, 'dist', 'compose', 'cli', 'main.js');
  const forced = process.env.TSCT_CLI;
  if (forced === 'dist') return [BIN];
  if (forced !== 'source' && existsSync(built)) {
    const builtAt = statSync(built).mtimeMs;
    const sourcesAt = Math.max(newestMtime(path.join(REPO_ROOT, 'compose'), '.ts'), newestMtime(path.join(REPO_ROOT, 'runtime'), '.ts'));
    if (builtAt >= sourcesAt) return [BIN];
  }
  return ['--import', pathToFileURL(path.join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href, SOURCE_ENTRY];
}

export interface SpawnOptions {
  /** Working directory (default: the stack's project folder). */
  cwd?: string;
  /** Extra environment (the child gets PATH and HOME only, besides these). */
  env?: Record<string, string>;
  /** Standard input text. */
  input?: string;
  /** Kill the CLI after this many ms (it then reports signal SIGKILL). */
  timeoutMs?: number;
  /** Leave out `--host` (the test passes its own). */
  noHost?: boolean;
}

/** A CLI process still running: its output so far, and its end. */
export interface RunningCli {
  readonly child: ChildProcess;
  readonly stdout: () => string;
  readonly stderr: () => string;
  readonly done: Promise<CliResult>;
  /** Resolves once stdout+stderr contain `text` (rejects after `timeoutMs` or when the process ends first). */
  waitFor(text: string | RegExp, timeoutMs?: number): Promise<void>;
}

export class CliStack {
  readonly project: string;
  readonly dir: string;
  readonly socket: string;
  readonly root: string;
  readonly net: { addressPools: { base: string; size: number }[]; networkLinkPrefix: string };
  private engine: Engine | undefined;
  private readonly entry = cliEntry();
  private readonly children = new Set<ChildProcess>();

  constructor() {
    this.project = `tsct${Math.random().toString(36).slice(2, 8)}`;
    this.dir = mkdtempSync(path.join(tmpdir(), `${this.project}-`));
    this.socket = path.join(this.dir, 'engine.sock');
    this.root = path.join(this.dir, 'root');
    this.net = testNetworkOptions(this.project);
  }

  get host(): string {
    return `unix://${this.socket}`;
  }

  /** A folder for compose files and binds. */
  get projectDir(): string {
    return path.join(this.dir, 'project');
  }

  /** Starts the engine and imports busybox as `busybox:latest`. */
  async start(): Promise<void> {
    mkdirSync(this.projectDir, { recursive: true });
    const rootfs = makeBusyboxRootfs(path.join(this.dir, 'rootfs'));
    const tar = tarOf(rootfs, path.join(this.dir, 'busybox.tar'));
    rmSync(rootfs, { recursive: true, force: true });
    this.engine = await Engine.start({ root: this.root, socketPath: this.socket, cgroupParent: this.project, log: () => {}, ...this.net });
    const client = this.client();
    try {
      for await (const _ of client.importImage(readFileSync(tar), {
        repo: 'busybox', tag: 'latest',
        changes: ['CMD ["sh"]', 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
      })) { /* progress */ }
    } finally {
      client.close();
    }
  }

  client(): HttpEngineClient {
    return new HttpEngineClient({ host: this.host });
  }

  /** Writes `compose.yaml` (or `name`) in the project folder and returns its path. */
  writeCompose(yaml: string, name = 'compose.yaml'): string {
    const p = path.join(this.projectDir, name);
    writeFileSync(p, yaml);
    return p;
  }

  /** Starts `tscompose --host … -p <project> ARGS` (no -p when args has one, or with `project: null`). */
  spawn(args: readonly string[], opts: SpawnOptions = {}): RunningCli {
    const full = [...this.entry, ...(opts.noHost ? [] : ['--host', this.host]), ...args];
    const child = spawn(process.execPath, full, {
      cwd: opts.cwd ?? this.projectDir,
      env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', HOME: this.dir, ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.children.add(child);
    let stdout = '';
    let stderr = '';
    const waiters = new Set<() => void>();
    child.stdout!.on('data', (d: Buffer) => { stdout += d.toString(); for (const w of waiters) w(); });
    child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); for (const w of waiters) w(); });
    child.stdin!.end(opts.input ?? '');
    const timer = opts.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs) : undefined;
    const done = new Promise<CliResult>((resolve) => {
      child.on('close', (code, signal) => {
        if (timer) clearTimeout(timer);
        this.children.delete(child);
        for (const w of waiters) w();
        resolve({ code: code ?? -1, signal, stdout, stderr });
      });
    });
    let ended = false;
    void done.then(() => { ended = true; });
    return {
      child,
      stdout: () => stdout,
      stderr: () => stderr,
      done,
      waitFor: (text, timeoutMs = 60_000) =>
        new Promise<void>((resolve, reject) => {
          const matches = () => (typeof text === 'string' ? (stdout + stderr).includes(text) : text.test(stdout + stderr));
          const check = () => {
            if (matches()) { waiters.delete(check); clearTimeout(t); resolve(); return; }
            if (ended || child.exitCode !== null || child.signalCode !== null) {
              waiters.delete(check); clearTimeout(t);
              reject(new Error(`the CLI ended before printing ${String(text)}:\n${stdout}\n${stderr}`));
            }
          };
          const t = setTimeout(() => { waiters.delete(check); reject(new Error(`no ${String(text)} after ${timeoutMs} ms:\n${stdout}\n${stderr}`)); }, timeoutMs);
          waiters.add(check);
          check();
        }),
    };
  }

  /** Runs the CLI to its end (killed after 90 s unless `timeoutMs` says otherwise). */
  run(args: readonly string[], opts: SpawnOptions = {}): Promise<CliResult> {
    return this.spawn(args, { timeoutMs: 90_000, ...opts }).done;
  }

  /** `run` with `-p <project> --progress plain` first: the usual way these tests call compose. */
  compose(...args: string[]): Promise<CliResult> {
    return this.run(['-p', this.project, '--progress', 'plain', ...args]);
  }

  /** `compose` that must succeed: its result, or an error with what it printed. */
  async ok(...args: string[]): Promise<CliResult> {
    const r = await this.compose(...args);
    if (r.code !== 0) throw new Error(`tscompose ${args.join(' ')} exited ${r.code}${r.signal ? ` (${r.signal})` : ''}:\n${r.stdout}\n${r.stderr}`);
    return r;
  }

  /** Container ids by name, for the project (stopped ones too). */
  async ids(): Promise<Record<string, string>> {
    return Object.fromEntries((await this.ps()).map((r) => [r.Name, r.ID]));
  }

  /** Removes the project's containers and networks through the API (between tests). */
  async reset(): Promise<void> {
    const client = this.client();
    try {
      for (const c of await client.listContainers({ all: true }).catch(() => [])) await client.removeContainer(c.Id, { force: true, volumes: true }).catch(() => {});
      for (const n of await client.listNetworks().catch(() => [])) if (n.Name.startsWith(this.project)) await client.removeNetwork(n.Id).catch(() => {});
      for (const v of (await client.listVolumes().catch(() => ({ Volumes: [] }))).Volumes ?? []) if (v.Name.startsWith(this.project)) await client.removeVolume(v.Name, true).catch(() => {});
    } finally {
      client.close();
    }
  }

  /**
   * The project's containers (one-offs too) as `ps -a --format json` shows
   * them, of one service or all, read through the API: the checks between
   * commands need no CLI process of their own (`ps` itself is tested apart).
   */
  async ps(service?: string): Promise<PsRow[]> {
    const client = this.client();
    try {
      const list = await client.listContainers({ all: true, filters: { label: [`com.docker.compose.project=${this.project}`] } });
      return list
        .filter((c) => service === undefined || c.Labels['com.docker.compose.service'] === service)
        .map((c) => psJson(c, Date.now()) as unknown as PsRow)
        .sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0));
    } finally {
      client.close();
    }
  }

  /** Every container of the engine, removed (between tests of a file). */
  async removeAllContainers(): Promise<void> {
    const client = this.client();
    try {
      for (const c of await client.listContainers({ all: true }).catch(() => [])) await client.removeContainer(c.Id, { force: true, volumes: true }).catch(() => {});
    } finally {
      client.close();
    }
  }

  /** Stops the engine and removes everything it and the tests made. */
  async stop(): Promise<void> {
    for (const c of this.children) c.kill('SIGKILL');
    await this.removeAllContainers();
    if (this.engine) {
      const client = this.client();
      try {
        for (const n of await client.listNetworks().catch(() => [])) if (n.Name.startsWith(this.project)) await client.removeNetwork(n.Id).catch(() => {});
        for (const v of (await client.listVolumes().catch(() => ({ Volumes: [] }))).Volumes ?? []) await client.removeVolume(v.Name, true).catch(() => {});
      } finally {
        client.close();
      }
    }
    await this.engine?.close();
    await removeTestNetworks(this.root, this.net.networkLinkPrefix).catch(() => {});
    await removeCgroupParent(this.project);
    const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4]).filter((m) => m?.startsWith(this.dir));
    for (const m of mounts.reverse()) spawnSync('umount', ['-l', m]);
    rmSync(this.dir, { recursive: true, force: true });
  }

  /**
   * What this engine has on the host: mounts under its folder, its links and
   * their addresses, its cgroups, the processes it started (monitors, their
   * containers, anything run from its folder), its nftables table. Other
   * work on the machine (other engineers' tests) never counts.
   */
  hostSnapshot(): HostSnapshot {
    const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n')
      .filter((l) => l.includes(this.dir))
      .map((l) => l.split(' ').slice(3, 5).join(' '))
      .sort();
    const ours = (l: string) => new RegExp(`^\\d+: ${this.net.networkLinkPrefix}`).test(l);
    const links = command('ip', ['-o', 'link']).split('\n').filter(ours).map((l) => l.replace(/^\d+: /, '').replace(/ qlen \d+/, '').split('\\')[0]!.replace(/<[^>]*>/, '').replace(/state \S+/, '').trim().split(/\s+/)[0]!).sort();
    // `name family address/prefix`: flags such as `tentative` change by themselves (IPv6 DAD).
    const addresses = command('ip', ['-o', 'addr']).split('\n').filter(ours).map((l) => l.replace(/^\d+: /, '').trim().split(/\s+/).slice(0, 3).join(' ')).sort();
    const cgroups: string[] = [];
    for (const ctrl of existsSync('/sys/fs/cgroup') ? readdirSync('/sys/fs/cgroup') : []) {
      const base = path.join('/sys/fs/cgroup', ctrl, this.project);
      if (!existsSync(base)) continue;
      const walk = (p: string, depth: number) => {
        cgroups.push(path.relative('/sys/fs/cgroup', p));
        if (depth === 0) return;
        for (const e of readdirSync(p, { withFileTypes: true })) if (e.isDirectory()) walk(path.join(p, e.name), depth - 1);
      };
      // The parent itself is the engine's, made once and kept (as dockerd keeps /docker); its children are the containers'.
      for (const e of readdirSync(base, { withFileTypes: true })) if (e.isDirectory()) walk(path.join(base, e.name), 1);
    }
    cgroups.sort();
    const processes: string[] = [];
    for (const pid of readdirSync('/proc')) {
      if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
      try {
        const status = readFileSync(`/proc/${pid}/status`, 'utf8');
        if (/^State:\s+Z/m.test(status) && /^PPid:\s+1$/m.test(status)) continue;
        const ppid = Number(/^PPid:\s+(\d+)$/m.exec(status)?.[1]);
        const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
        const cgroup = readFileSync(`/proc/${pid}/cgroup`, 'utf8');
        let where = '';
        for (const l of ['exe', 'cwd']) {
          try {
            where += ` ${readlinkSync(`/proc/${pid}/${l}`)}`;
          } catch {
            // a kernel thread, or gone
          }
        }
        if (ppid === process.pid || cmd.includes(this.dir) || where.includes(this.dir) || cgroup.includes(`/${this.project}/`)) processes.push(`${pid} ${cmd}`);
      } catch {
        // exited meanwhile
      }
    }
    processes.sort();
    const table = firewallTableName(this.root);
    const nft = existsSync('/usr/sbin/nft') ? command('nft', ['list', 'tables']).split('\n').filter((l) => l.includes(table)).sort() : [];
    return { mounts, links, addresses, cgroups, processes, nft };
  }
}

export interface HostSnapshot {
  mounts: string[];
  links: string[];
  addresses: string[];
  cgroups: string[];
  processes: string[];
  nft: string[];
}

export interface PsRow {
  ID: string;
  Name: string;
  Image: string;
  Command: string;
  Service: string;
  State: string;
  Status: string;
  Health: string;
  ExitCode: number;
  Ports: string;
  Publishers: { URL: string; TargetPort: number; PublishedPort: number; Protocol: string }[];
  Labels: Record<string, string>;
}

function command(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return r.stdout ?? '';
}

/** A TCP port on 127.0.0.1 nobody listens on now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/** Polls `probe` until it returns a value (not undefined) or the time is up. */
export async function eventually<T>(probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000, what = 'the condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** A temporary folder outside any stack (removed by the caller). */
export function tempDir(prefix: string): string {
  return mkdtempSync(path.join(tmpdir(), `${prefix}-`));
}
