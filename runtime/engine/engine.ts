// The engine: one process serving the Docker Engine API on a unix socket
// (and TCP only when asked), over the services of one state root.

import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ImageStore } from '../images/index.js';
import { ContainerManager } from '../containers/container-manager.js';
import { NodeFallbackMonitorLauncher, TscrunMonitorLauncher, type MonitorLauncher } from '../containers/monitor.js';
import { CliOciRuntime, type OciRuntime } from '../containers/oci-runtime.js';
import { createApiServer } from './api-server.js';
import { EventBus } from './event-bus.js';
import { imageProviderOf } from './image-provider.js';
import { acquireLock } from './lock-file.js';
import { Router } from './router.js';
import { buildRouter } from './routes/index.js';
import type { EngineServices, ImageBackend } from './services.js';

export const DEFAULT_ROOT = '/var/lib/tscompose';
export const DEFAULT_SOCKET = '/run/tscompose/engine.sock';

export interface EngineOptions {
  root?: string;
  socketPath?: string;
  /** `host:port` to listen on TCP as well (no TLS: only for trusted networks). */
  tcp?: string;
  /** Default OCI runtime: tscrun when built, else runc. */
  runtime?: string;
  /** `native` (tscrun monitor) or `node` (the fallback); default native when tscrun is built. */
  monitor?: 'native' | 'node';
  /** Registries reached over plain http besides loopback ones. */
  insecureRegistries?: string[];
  log?: (line: string) => void;
  /** Parent cgroup of the containers (default `tscompose`). */
  cgroupParent?: string;
  /** Tests: an image backend instead of the store under root. */
  images?: ImageBackend;
}

/** The checkout (or installed package) root: where native/build lives. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'native'))) return dir;
    dir = dirname(dir);
  }
  return resolve(dirname(fileURLToPath(import.meta.url)), '../..');
}

function which(cmd: string): string | undefined {
  for (const d of (process.env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin').split(':')) {
    const p = join(d, cmd);
    if (existsSync(p)) return p;
  }
  for (const d of ['/usr/sbin', '/usr/bin', '/sbin', '/bin']) if (existsSync(join(d, cmd))) return join(d, cmd);
  return undefined;
}

export function tscrunPath(): string { return join(packageRoot(), 'native', 'build', 'tscrun'); }

/** Whether the built tscrun has its `monitor` subcommand (it answers `monitor --help`). */
function tscrunMonitorWorks(path: string): boolean {
  if (!existsSync(path)) return false;
  const r = spawnSync(path, ['monitor', '--help'], { timeout: 3000, encoding: 'utf8' });
  return r.status === 0 || /--exit-file/.test(`${r.stdout}${r.stderr}`);
}

function engineId(root: string): string {
  const p = join(root, 'engine-id');
  try { return readFileSync(p, 'utf8').trim(); } catch { /* first start */ }
  const id = randomBytes(16).toString('hex').toUpperCase().replace(/(.{4})(?=.)/g, '$1:');
  writeFileSync(p, id + '\n');
  return id;
}

/** Refuses a socket another process answers on; removes one left by a dead engine. */
async function claimSocket(path: string): Promise<void> {
  mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
  if (!existsSync(path)) return;
  const answering = await new Promise<boolean>((resolve) => {
    const s = net.connect(path);
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
  if (answering) throw new Error(`the socket ${path} is already served by another engine; stop it or use another --socket`);
  unlinkSync(path);
}

export class Engine {
  private servers: http.Server[] = [];
  private releaseLock?: () => void;
  router = new Router();
  services!: EngineServices;
  containers!: ContainerManager;
  monitorKind: string = 'node';

  private constructor(readonly root: string, readonly socketPath: string, private readonly opts: EngineOptions) {}

  static async start(opts: EngineOptions = {}): Promise<Engine> {
    const root = resolve(opts.root ?? DEFAULT_ROOT);
    const socketPath = resolve(opts.socketPath ?? DEFAULT_SOCKET);
    mkdirSync(root, { recursive: true, mode: 0o711 });
    const engine = new Engine(root, socketPath, opts);
    engine.releaseLock = acquireLock(root);
    try {
      await engine.init();
      await engine.listen();
    } catch (err) {
      await engine.close();
      throw err;
    }
    return engine;
  }

  private async init(): Promise<void> {
    const opts = this.opts;
    const events = new EventBus();
    const runtimes: Record<string, OciRuntime> = {};
    const tscrun = tscrunPath();
    if (existsSync(tscrun)) runtimes.tscrun = new CliOciRuntime('tscrun', tscrun, join(this.root, 'runtime', 'tscrun'));
    for (const name of ['runc', 'crun']) {
      const p = which(name);
      if (p) runtimes[name] = new CliOciRuntime(name, p, join(this.root, 'runtime', name));
    }
    const defaultRuntime = opts.runtime ?? (runtimes.tscrun ? 'tscrun' : 'runc');
    if (!runtimes[defaultRuntime]) {
      throw new Error(`runtime "${defaultRuntime}" is not available: ${defaultRuntime === 'tscrun' ? 'build it with `make -C native`' : `install ${defaultRuntime}`} (found: ${Object.keys(runtimes).join(', ') || 'none'})`);
    }
    for (const r of Object.values(runtimes)) mkdirSync(r.root, { recursive: true, mode: 0o700 });
    const wantNative = opts.monitor ?? (process.env.TSCOMPOSE_MONITOR === 'node' ? 'node' : 'native');
    let monitor: MonitorLauncher;
    if (wantNative === 'native' && tscrunMonitorWorks(tscrun)) monitor = new TscrunMonitorLauncher(tscrun);
    else {
      if (opts.monitor === 'native') throw new Error(`the native monitor is not available: build tscrun with \`make -C native\``);
      monitor = new NodeFallbackMonitorLauncher();
    }
    this.monitorKind = monitor.kind;
    let containers: ContainerManager | undefined;
    const images = opts.images ?? await ImageStore.open(this.root, {
      insecureRegistries: opts.insecureRegistries,
      imageInUse: (id) => {
        const users = containers?.all().filter((c) => c.Image === id) ?? [];
        const user = users.find((c) => c.State.Running) ?? users[0];
        return user ? { containerId: user.Id, running: user.State.Running } : undefined;
      },
    });
    const initBinary = [join(packageRoot(), 'native', 'build', 'tsc-init')].find((p) => existsSync(p));
    containers = new ContainerManager({
      stateRoot: this.root, images: imageProviderOf(images), runtimes, defaultRuntime, monitor, initBinary, cgroupParent: opts.cgroupParent,
      emit: (action, id, attrs) => { events.publish('container', action, id, attrs); },
    });
    this.containers = containers;
    const { restored, reattached } = await containers.load();
    this.services = {
      containers, images, events,
      info: {
        id: engineId(this.root), root: this.root, socketPath: this.socketPath, defaultRuntime,
        runtimes: Object.fromEntries(Object.entries(runtimes).map(([k, v]) => [k, v.path])), startedAt: new Date(),
      },
    };
    this.router = buildRouter(this.services, { insecureRegistries: opts.insecureRegistries });
    this.log(`state ${this.root}: ${restored} container(s), ${reattached} still running and re-attached; runtime ${defaultRuntime}, ${monitor.kind} monitor`);
  }

  private log(line: string): void { (this.opts.log ?? ((l: string) => process.stderr.write(`tscompose engine: ${l}\n`)))(line); }

  private async listen(): Promise<void> {
    await claimSocket(this.socketPath);
    const server = this.makeServer();
    await new Promise<void>((res, rej) => { server.once('error', rej); server.listen(this.socketPath, () => { server.off('error', rej); res(); }); });
    chmodSync(this.socketPath, 0o660);
    this.servers.push(server);
    this.log(`listening on unix://${this.socketPath}`);
    if (this.opts.tcp) {
      const m = /^(?:tcp:\/\/)?(\[[^\]]+\]|[^:]+):(\d+)$/.exec(this.opts.tcp);
      if (!m) throw new Error(`invalid --tcp "${this.opts.tcp}": expected host:port`);
      const tcp = this.makeServer();
      await new Promise<void>((res, rej) => { tcp.once('error', rej); tcp.listen(Number(m[2]), m[1].replace(/^\[|\]$/g, ''), () => res()); });
      this.servers.push(tcp);
      this.log(`listening on tcp://${m[1]}:${m[2]} (no TLS, no authentication: anyone who can reach it controls this host)`);
    }
  }

  private makeServer(): http.Server {
    return createApiServer(this.router, (l) => this.log(l));
  }

  /** Stops serving. Containers keep running: their monitors do not depend on the engine. */
  async close(): Promise<void> {
    this.containers?.close();
    await Promise.all(this.servers.map((s) => new Promise<void>((r) => { s.close(() => r()); s.closeAllConnections(); })));
    this.servers = [];
    try { if (existsSync(this.socketPath)) unlinkSync(this.socketPath); } catch { /* already gone */ }
    this.releaseLock?.();
    this.releaseLock = undefined;
  }
}
