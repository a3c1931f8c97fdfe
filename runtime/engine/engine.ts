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
import { Builder } from '../build/index.js';
import { ContainerManager } from '../containers/container-manager.js';
import { ContainerNetworking } from '../containers/container-network.js';
import { NetworkManager, PortProxy, type AddressPool } from '../networks/index.js';
import { VolumeStore } from '../volumes/index.js';
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
  /** Docker's certs.d for registry CAs (`<dir>/<host:port>/ca.crt`); default env TSCOMPOSE_CERTS_D, else /etc/docker/certs.d. */
  certsDir?: string;
  log?: (line: string) => void;
  /** Parent cgroup of the containers (default `tscompose`). */
  cgroupParent?: string;
  /** Tests: an image backend instead of the store under root. */
  images?: ImageBackend;
  /** Where the subnets of new networks come from (dockerd's --default-address-pool); default Docker's 172.17-31/16, 192.168/16. */
  addressPools?: AddressPool[];
  /** Prefix of the bridges and veths (`tsc`: tscb…, tscv…); tests use their own. */
  networkLinkPrefix?: string;
}

/** dockerd's `--default-address-pool base=10.213.0.0/16,size=24` (several separated by `;` in the environment variable). */
export function parseAddressPool(text: string): AddressPool {
  const fields = Object.fromEntries(text.split(',').map((kv) => kv.trim().split('=').map((x) => x.trim())));
  const size = Number(fields.size);
  if (!fields.base || !/^\d+\.\d+\.\d+\.\d+\/\d+$/.test(fields.base) || !Number.isInteger(size)) {
    throw new Error(`invalid default address pool "${text}": expected base=CIDR,size=PREFIX like base=10.213.0.0/16,size=24`);
  }
  return { base: fields.base, size };
}

/** TSCOMPOSE_DEFAULT_ADDRESS_POOL (`base=…,size=…;base=…,size=…`) when set. */
export function addressPoolsFromEnv(env: NodeJS.ProcessEnv = process.env): AddressPool[] | undefined {
  const v = env.TSCOMPOSE_DEFAULT_ADDRESS_POOL;
  return v ? v.split(';').filter((x) => x.trim()).map(parseAddressPool) : undefined;
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
  networks?: NetworkManager;
  private proxy?: PortProxy;
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
      certsDir: opts.certsDir,
      imageInUse: (id) => {
        const users = containers?.all().filter((c) => c.Image === id) ?? [];
        const user = users.find((c) => c.State.Running) ?? users[0];
        return user ? { containerId: user.Id, running: user.State.Running } : undefined;
      },
    });
    const initBinary = [join(packageRoot(), 'native', 'build', 'tsc-init')].find((p) => existsSync(p));
    const networks = new NetworkManager({
      root: this.root, pools: opts.addressPools ?? addressPoolsFromEnv(), linkPrefix: opts.networkLinkPrefix ?? process.env.TSCOMPOSE_NETWORK_PREFIX,
      warn: (m) => this.log(`warning: ${m}`),
    });
    await networks.load();
    this.networks = networks;
    const nat = networks.natStatus();
    if (nat.warning) this.log(`warning: ${nat.warning}`);
    const proxy = new PortProxy();
    this.proxy = proxy;
    const volumes = VolumeStore.open({ stateRoot: this.root, emit: (action, name, attrs) => { events.publish('volume', action, name, attrs); } });
    containers = new ContainerManager({
      stateRoot: this.root, images: imageProviderOf(images), runtimes, defaultRuntime, monitor, initBinary, cgroupParent: opts.cgroupParent,
      emit: (action, id, attrs) => { events.publish('container', action, id, attrs); },
      volumes, networking: new ContainerNetworking(networks, proxy),
    });
    this.containers = containers;
    const { restored, reattached } = await containers.load();
    await networks.reconcile(containers.runningIds());
    for (const w of await containers.republishPorts()) this.log(`warning: ${w}`);
    const all = containers.all();
    await volumes.reconcile(new Set(all.map((c) => c.Id)), new Set(all.filter((c) => c.State.Running).map((c) => c.Id)));
    // The builder needs the store itself (it adds layers); a test image backend has none.
    const builder = images instanceof ImageStore
      ? new Builder({ store: images, containers, root: this.root, emit: (action, id, attrs) => { events.publish('image', action, id, attrs); } })
      : undefined;
    this.services = {
      containers, images, events, volumes, networks, builder,
      info: {
        id: engineId(this.root), root: this.root, socketPath: this.socketPath, defaultRuntime,
        runtimes: Object.fromEntries(Object.entries(runtimes).map(([k, v]) => [k, v.path])), startedAt: new Date(),
      },
    };
    this.router = buildRouter(this.services, { insecureRegistries: opts.insecureRegistries, certsDir: opts.certsDir });
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
    // Container records are written off the main thread: the last ones land before the engine goes.
    await this.containers?.flush();
    // The published ports close with the engine (a userland proxy); the next engine opens them again.
    await this.proxy?.closeAll();
    // Test runs (TSCOMPOSE_EPHEMERAL_NETWORKS=1, set by vitest.config.ts): an engine left with no running
    // container takes its bridges and firewall table with it, so no test leaves kernel objects behind.
    if (process.env.TSCOMPOSE_EPHEMERAL_NETWORKS === '1' && this.networks && this.containers && this.containers.runningIds().size === 0) {
      await this.networks.destroyAll().catch((e: Error) => this.log(`warning: networks of ${this.root} not removed: ${e.message}`));
    }
    await Promise.all(this.servers.map((s) => new Promise<void>((r) => { s.close(() => r()); s.closeAllConnections(); })));
    this.servers = [];
    try { if (existsSync(this.socketPath)) unlinkSync(this.socketPath); } catch { /* already gone */ }
    this.releaseLock?.();
    this.releaseLock = undefined;
  }
}
