// ContainerManager: the lifecycle of every container of one engine —
// create, start (rootfs, bundle, monitor), stop/kill, wait, remove, logs —
// and the rebuild of that view from disk when the engine starts (containers
// whose monitor kept running while the engine was down are re-attached).
//
// Effects sit behind seams (ImageProvider, OciRuntime, MonitorLauncher) so
// the engine picks the implementations; this file holds the rules.

import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, watch, type FSWatcher } from 'node:fs';
import { rm } from 'node:fs/promises';
import { release } from 'node:os';
import { join, posix } from 'node:path';
import type {
  ContainerCreateRequest, ContainerInspect, ContainerSummary, ContainerTopResponse, ContainerWaitResponse, Filters, HostConfig,
} from '../client/types.js';
import { hostsFileContent, readHostResolvConf, resolvConfContent, writeInPlace } from './etc-files.js';
import { ContainerConflictError, ContainerError, ContainerNotFoundError, InvalidContainerConfigError, RuntimeFailureError } from './errors.js';
import { followLog, parseTimeParam, readLogEntries, timestampSeconds, type LogEntry } from './json-log.js';
import { commandOf, mergeImageConfig, type ImageRuntimeConfig } from './merge-config.js';
import type { MonitorLauncher } from './monitor.js';
import { ExecManager } from './exec-manager.js';
import { ContainerNetworking, networkModeOf } from './container-network.js';
import type { EndpointSettings } from '../client/types.js';
import { HealthChecker, type HealthTimers } from './health.js';
import { buildOciSpec, parseBind, parseSecurityOpt, effectiveCapabilities } from './oci-spec.js';
import { boundingCapabilities } from './host-capabilities.js';
import { hostDevices } from './host-devices.js';
import type { OciRuntime } from './oci-runtime.js';
import { isMounted, mountRootfs, prepareRootfsDirs, rootfsPaths, unmountRootfs } from './rootfs.js';
import { nextRestartDelay, shouldRestart } from './restart-policy.js';
import { hostArch } from './seccomp.js';
import { topOf } from './top.js';
import { resolveUserInRootfs } from './user.js';
import type { InspectMount, VolumeStore } from '../volumes/index.js';
import {
  attachContainerVolumes, detachContainerVolumes, mountsMatch, planContainerMounts, prepareContainerMounts, releaseContainerMounts,
} from './container-volumes-wiring.js';
import {
  mountPointsOf, newState, readRecord, recordPath, settleWrites, toInspect, toSummary, writeJsonAtomicAsync, type ContainerRecord,
} from './container-record.js';

/** What the manager needs from the image store. */
export interface ImageProvider {
  /** Resolves a reference (name, name:tag, id, id prefix); throws a 404-shaped error when unknown. */
  resolve(ref: string): Promise<{ id: string; config: ImageRuntimeConfig }>;
  /** Unpacked layer dirs of the image, lowest first. */
  layers(imageId: string): Promise<string[]>;
}

export type ContainerEventAction =
  | 'create' | 'start' | 'die' | 'stop' | 'kill' | 'destroy' | 'pause' | 'unpause' | 'rename' | 'restart' | 'attach' | 'oom'
  | 'exec_die' | `exec_create: ${string}` | `exec_start: ${string}` | `health_status: ${string}`;

export interface ContainerManagerOptions {
  stateRoot: string;
  images: ImageProvider;
  runtimes: Record<string, OciRuntime>;
  defaultRuntime: string;
  monitor: MonitorLauncher;
  emit: (action: ContainerEventAction, containerId: string, attributes: Record<string, string>) => void;
  initBinary?: string;
  /** Host folder of a named volume (volumes issue); undefined: named volumes are refused. */
  volumePath?: (name: string) => string;
  /** The volume store: mounts are planned by runtime/volumes (without it, Binds/Mounts are handled by the spec builder alone). */
  volumes?: VolumeStore;
  /** Poll period of the exit watcher's safety net (the fs watch is the fast path). */
  exitPollMs?: number;
  /** Parent cgroup of every container (`tscompose`): containers go in `/<parent>/<id>`. */
  cgroupParent?: string;
  /** Timers of the restart back-off (tests pass a fast clock). */
  setTimer?: (fn: () => void, ms: number) => NodeJS.Timeout;
  /** Timers of the health checks. */
  healthTimers?: HealthTimers;
  /** Networks and published ports; none: every container gets a netns with only `lo` (tests of the lifecycle alone). */
  networking?: ContainerNetworking;
}

export interface LogsRequest {
  stdout: boolean;
  stderr: boolean;
  follow: boolean;
  since?: string;
  until?: string;
  tail?: string;
  timestamps: boolean;
  signal?: AbortSignal;
}

export interface LogChunk { stream: 'stdout' | 'stderr'; data: Buffer }

interface ExitInfo { exitCode: number; signal?: string | null; finishedAt: string; oomKilled: boolean }

/** Docker's name rule. */
const NAME_RE = /^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

const SIGNALS: Record<string, number> = {
  SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGILL: 4, SIGTRAP: 5, SIGABRT: 6, SIGBUS: 7, SIGFPE: 8, SIGKILL: 9, SIGUSR1: 10,
  SIGSEGV: 11, SIGUSR2: 12, SIGPIPE: 13, SIGALRM: 14, SIGTERM: 15, SIGSTKFLT: 16, SIGCHLD: 17, SIGCONT: 18, SIGSTOP: 19,
  SIGTSTP: 20, SIGTTIN: 21, SIGTTOU: 22, SIGURG: 23, SIGXCPU: 24, SIGXFSZ: 25, SIGVTALRM: 26, SIGPROF: 27, SIGWINCH: 28,
  SIGIO: 29, SIGPWR: 30, SIGSYS: 31,
};

/** `TERM`, `SIGTERM`, `15` → `SIGTERM`; anything else is a 400. */
export function normalizeSignal(sig: string): string {
  const s = sig.trim().toUpperCase();
  if (/^\d+$/.test(s)) {
    const n = Number(s);
    const name = Object.keys(SIGNALS).find((k) => SIGNALS[k] === n);
    if (!name) throw new InvalidContainerConfigError(`Invalid signal: ${sig}`);
    return name;
  }
  const name = s.startsWith('SIG') ? s : `SIG${s}`;
  if (!(name in SIGNALS) && !/^SIGRTM(IN|AX)([+-]\d+)?$/.test(name)) throw new InvalidContainerConfigError(`Invalid signal: ${sig}`);
  return name;
}

/** Exit codes in words for error messages. */
export function describeExitCode(code: number): string {
  if (code === 137) return '137 (killed)';
  if (code === 143) return '143 (terminated)';
  if (code === 127) return '127 (command not found)';
  if (code === 126) return '126 (command cannot be run)';
  return String(code);
}

const CONTAINER_FILTERS = new Set(['id', 'name', 'label', 'status', 'exited', 'ancestor', 'before', 'since', 'volume', 'network', 'health', 'is-task', 'publish', 'expose']);

export class ContainerManager {
  private readonly byId = new Map<string, ContainerRecord>();
  private readonly exitWaiters = new Map<string, Array<(code: number) => void>>();
  private readonly removeWaiters = new Map<string, Array<() => void>>();
  private readonly watchers = new Map<string, { watcher?: FSWatcher; timer: NodeJS.Timeout }>();
  private readonly locks = new Map<string, Promise<unknown>>();
  /** Containers whose stop is waiting out its grace period: a SIGKILL must not queue behind it (Docker's kill does not). */
  private readonly stopping = new Set<string>();
  private readonly exitHandled = new Set<string>();
  private readonly restartTimers = new Map<string, NodeJS.Timeout>();
  /** Attach requests that came before start (docker run): connected to the monitor before the runtime starts the process. */
  private readonly pendingAttach = new Map<string, Array<(socketPath: string | undefined) => void>>();

  readonly execs: ExecManager;
  private readonly health: HealthChecker;

  constructor(private readonly opts: ContainerManagerOptions) {
    mkdirSync(this.containersRoot, { recursive: true, mode: 0o700 });
    this.execs = new ExecManager({
      find: (ref) => this.find(ref),
      dirOf: (id) => this.dirOf(id),
      runtimeOf: (rec) => this.opts.runtimes[rec.Runtime] ?? this.opts.runtimes[this.opts.defaultRuntime],
      execRelay: () => this.opts.monitor.execRelay,
      emit: (action, id, attrs) => {
        const rec = this.byId.get(id);
        this.opts.emit(action as ContainerEventAction, id, rec ? this.attrs(rec, attrs) : attrs);
      },
    });
    this.health = new HealthChecker(
      { run: (id, cmd, timeoutMs) => this.execs.runCaptured(id, cmd, timeoutMs) },
      (id, state, changed) => {
        const rec = this.byId.get(id);
        if (!rec || !rec.State.Running) return;
        rec.State = { ...rec.State, Health: state };
        this.persistLater(rec);
        if (changed) this.opts.emit(`health_status: ${state.Status}` as ContainerEventAction, id, this.attrs(rec));
      },
      opts.healthTimers,
    );
  }

  get containersRoot(): string { return join(this.opts.stateRoot, 'containers'); }
  dirOf(id: string): string { return join(this.containersRoot, id); }

  // ---- view ----

  /** Rebuilds the view from disk; containers still running are re-attached to. */
  async load(): Promise<{ restored: number; reattached: number }> {
    let restored = 0;
    let reattached = 0;
    for (const id of readdirSync(this.containersRoot)) {
      const dir = this.dirOf(id);
      if (!existsSync(recordPath(dir))) { rmSync(dir, { recursive: true, force: true }); continue; }
      let rec: ContainerRecord;
      try { rec = readRecord(dir); } catch { continue; }
      this.byId.set(rec.Id, rec);
      restored++;
      if (rec.State.Status === 'removing') { await this.removeNow(rec).catch(() => {}); continue; }
      if (rec.State.Running) {
        if (this.readExitFile(rec)) await this.handleExit(rec);
        else if (this.alive(rec.MonitorPid) || this.alive(rec.State.Pid)) { this.watchExit(rec); this.startHealth(rec); reattached++; }
        else await this.handleExit(rec, { exitCode: 255, finishedAt: new Date().toISOString(), oomKilled: false }, 'the container\'s monitor is gone; its exit status was lost');
      } else {
        await this.undoCutShortStart(rec);
        if (rec.State.Status !== 'exited' && rec.State.Status !== 'restarting') continue;
        const facts = { exitCode: rec.State.ExitCode, restartCount: rec.RestartCount, manuallyStopped: !!rec.ManuallyStopped, engineStart: true };
        if (shouldRestart(rec.HostConfig.RestartPolicy, facts)) this.scheduleRestart(rec, 0);
      }
    }
    return { restored, reattached };
  }

  /**
   * A container that is not running by its record, after an engine that died
   * in the middle of its start (or of the cleanup after its exit): its
   * monitor and process may be there, created or even running, with its
   * rootfs mounted. That start failed as far as any client knows, so they go
   * (the runtime's delete kills the process; the monitor ends with it); the
   * network's reconcile drops its endpoints. Cheap when there is nothing:
   * no runtime state, no mount.
   */
  private async undoCutShortStart(rec: ContainerRecord): Promise<void> {
    const paths = rootfsPaths(this.dirOf(rec.Id));
    await this.opts.runtimes[rec.Runtime]?.delete(rec.Id, true).catch(() => {});
    if (!isMounted(paths.merged)) return;
    await releaseContainerMounts(this.opts.volumes, rec);
    await unmountRootfs(paths).catch(() => {});
  }

  private alive(pid: number): boolean {
    if (!pid) return false;
    try { process.kill(pid, 0); return true; } catch (e) { return (e as NodeJS.ErrnoException).code === 'EPERM'; }
  }

  /** Full id, name (with or without `/`), or a unique id prefix — Docker's lookup order. */
  find(ref: string): ContainerRecord {
    const direct = this.byId.get(ref);
    if (direct) return direct;
    const name = ref.startsWith('/') ? ref : `/${ref}`;
    for (const r of this.byId.values()) if (r.Name === name) return r;
    if (/^[0-9a-f]+$/.test(ref)) {
      const matches = [...this.byId.values()].filter((r) => r.Id.startsWith(ref));
      if (matches.length === 1) return matches[0];
      if (matches.length > 1) throw new InvalidContainerConfigError(`multiple IDs found with provided prefix: ${ref}`);
    }
    throw new ContainerNotFoundError(ref);
  }

  all(): ContainerRecord[] { return [...this.byId.values()]; }

  /** The id of a container created from this image, if any (for image removal). */
  imageInUse(imageId: string): string | undefined {
    for (const r of this.byId.values()) if (r.Image === imageId) return r.Id;
    return undefined;
  }

  inspect(ref: string): ContainerInspect {
    const r = this.find(ref);
    return toInspect(r, this.dirOf(r.Id), this.opts.networking);
  }

  list(opts: { all?: boolean; limit?: number; filters?: Filters } = {}): ContainerSummary[] {
    const f = opts.filters ?? {};
    for (const key of Object.keys(f)) if (!CONTAINER_FILTERS.has(key)) throw new InvalidContainerConfigError(`invalid filter '${key}'`);
    for (const s of f.status ?? []) {
      if (!['created', 'restarting', 'running', 'removing', 'paused', 'exited', 'dead'].includes(s)) {
        throw new InvalidContainerConfigError(`invalid filter 'status=${s}'`);
      }
    }
    const showAll = opts.all || !!f.status?.length || !!f.exited?.length || (opts.limit ?? 0) > 0;
    let rows = [...this.byId.values()]
      .filter((r) => showAll || r.State.Running)
      .filter((r) => matchFilters(r, f))
      .sort((a, b) => Date.parse(b.Created) - Date.parse(a.Created));
    if (opts.limit && opts.limit > 0) rows = rows.slice(0, opts.limit);
    const now = Date.now();
    return rows.map((r) => toSummary(r, now, this.opts.networking));
  }

  // ---- create ----

  async create(name: string | undefined, body: ContainerCreateRequest): Promise<{ Id: string; Warnings: string[] }> {
    if (name !== undefined && name !== '' && !NAME_RE.test(name)) {
      throw new InvalidContainerConfigError(`Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
    }
    if (!body || typeof body !== 'object') throw new InvalidContainerConfigError('config cannot be empty in order to create a container');
    if (!body.Image) throw new InvalidContainerConfigError('Config.Image must be specified');
    const { HostConfig: hostConfigIn, NetworkingConfig: networkingConfig, ...config } = body;
    const hostConfig: HostConfig = { ...(hostConfigIn ?? {}) };
    const runtime = hostConfig.Runtime || this.opts.defaultRuntime;
    if (!this.opts.runtimes[runtime]) {
      throw new InvalidContainerConfigError(`unknown or invalid runtime name: ${runtime} (this engine has: ${Object.keys(this.opts.runtimes).join(', ')})`);
    }
    hostConfig.Runtime = runtime;
    if (!hostConfig.NetworkMode || hostConfig.NetworkMode === 'default') hostConfig.NetworkMode = 'bridge';
    if (hostConfig.RestartPolicy?.Name && !['no', 'always', 'unless-stopped', 'on-failure'].includes(hostConfig.RestartPolicy.Name)) {
      throw new InvalidContainerConfigError(`invalid restart policy: unknown policy '${hostConfig.RestartPolicy.Name}'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'`);
    }
    if (hostConfig.AutoRemove && hostConfig.RestartPolicy?.Name && hostConfig.RestartPolicy.Name !== 'no') {
      throw new InvalidContainerConfigError(`conflicting options: cannot specify both --restart and --rm`);
    }
    // Validate everything that does not need the rootfs now, so a bad request fails at create like Docker's.
    parseSecurityOpt(hostConfig.SecurityOpt);
    effectiveCapabilities(hostConfig);
    if (!this.opts.volumes) for (const b of hostConfig.Binds ?? []) parseBind(b);
    const endpointsIn = networkingConfig?.EndpointsConfig ?? undefined;
    if (endpointsIn !== undefined && (typeof endpointsIn !== 'object' || Array.isArray(endpointsIn))) {
      throw new InvalidContainerConfigError('NetworkingConfig.EndpointsConfig must be an object of network name to endpoint settings');
    }
    // The docker CLI names the primary network `default` (or by its mode) here: that is the NetworkMode's network.
    const endpoints = endpointsIn && Object.fromEntries(Object.entries(endpointsIn).map(([k, v]) => [k === 'default' ? hostConfig.NetworkMode as string : k, v]));
    if (endpoints && networkModeOf(hostConfig).kind !== 'network') delete endpoints[hostConfig.NetworkMode as string];
    this.opts.networking?.validateCreate(hostConfig, endpoints, config.ExposedPorts as Record<string, unknown> | undefined);
    const mode = networkModeOf(hostConfig);
    if (mode.kind === 'container') {
      const other = this.find(mode.ref);
      hostConfig.NetworkMode = `container:${other.Id}`;
    }
    for (const m of this.opts.volumes ? [] : hostConfig.Mounts ?? []) {
      if (m.Type === 'bind' && m.Source && posix.isAbsolute(m.Source) && !existsSync(m.Source) && !m.BindOptions?.CreateMountpoint) {
        throw new InvalidContainerConfigError(`invalid mount config for type "bind": bind source path does not exist: ${m.Source}`);
      }
    }
    const image = await this.opts.images.resolve(config.Image as string);
    const merged = mergeImageConfig(config, image.config);
    const volumes = this.opts.volumes;
    const mountPlan = volumes && planContainerMounts(volumes, hostConfig, merged, (ref) => { const c = this.find(ref); return { id: c.Id, mounts: mountPointsOf(c) as InspectMount[] }; });
    const { path, args } = commandOf(merged);

    const containerName = name ? (name.startsWith('/') ? name : `/${name}`) : `/${generateName(this)}`;
    for (const r of this.byId.values()) {
      if (r.Name === containerName) {
        throw new ContainerConflictError(`Conflict. The container name "${containerName}" is already in use by container "${r.Id}". You have to remove (or rename) that container to be able to reuse that name.`);
      }
    }
    const id = randomBytes(32).toString('hex');
    const dir = this.dirOf(id);
    mkdirSync(dir, { recursive: true, mode: 0o710 });
    const rec: ContainerRecord = {
      Id: id, Name: containerName, Created: new Date().toISOString(), Path: path, Args: args,
      Config: { ...merged, Hostname: merged.Hostname || id.slice(0, 12), Image: config.Image as string },
      HostConfig: hostConfig, Image: image.id, State: newState(), RestartCount: 0, Runtime: runtime, MonitorPid: 0,
      StartCount: 0, LogPath: join(dir, `${id}-json.log`), HostnamePath: join(dir, 'hostname'), HostsPath: join(dir, 'hosts'),
      ResolvConfPath: join(dir, 'resolv.conf'),
      ...(endpoints && Object.keys(endpoints).length ? { NetworkingConfig: { EndpointsConfig: endpoints } } : {}),
    };
    if (volumes && mountPlan) {
      try { await attachContainerVolumes(volumes, mountPlan, rec); } catch (err) { rmSync(dir, { recursive: true, force: true }); throw err; }
    }
    prepareRootfsDirs(dir);
    this.byId.set(id, rec);
    await this.persist(rec);
    this.opts.emit('create', id, this.attrs(rec));
    return { Id: id, Warnings: [] };
  }

  /** Writes the record (temp, fsync, rename, off the main thread); resolves once it is on disk. Writes of one record land in call order. */
  private persist(rec: ContainerRecord): Promise<void> {
    if (!this.byId.has(rec.Id)) return Promise.resolve();
    return writeJsonAtomicAsync(recordPath(this.dirOf(rec.Id)), rec);
  }

  /** persist from synchronous code (timers, callbacks): the same ordered write, not awaited. */
  private persistLater(rec: ContainerRecord): void {
    this.persist(rec).catch((e: Error) => process.stderr.write(`tscompose engine: container ${rec.Id.slice(0, 12)}: its state could not be written: ${e.message}\n`));
  }

  /** Resolves once the records written so far are on disk (the engine calls it when it stops). */
  flush(): Promise<void> {
    return settleWrites(this.containersRoot);
  }

  private attrs(rec: ContainerRecord, extra: Record<string, string> = {}): Record<string, string> {
    return { ...(rec.Config.Labels ?? {}), image: rec.Config.Image ?? rec.Image, name: rec.Name.slice(1), ...extra };
  }

  /** Serializes the lifecycle operations of one container. */
  private withLock<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(id) ?? Promise.resolve();
    const next = prev.catch(() => {}).then(fn);
    this.locks.set(id, next);
    void next.finally(() => { if (this.locks.get(id) === next) this.locks.delete(id); }).catch(() => {});
    return next;
  }

  // ---- start ----

  /** Returns false when it was already running (Docker answers 304). */
  start(ref: string): Promise<boolean> {
    const rec = this.find(ref);
    return this.withLock(rec.Id, async () => {
      if (rec.State.Status === 'removing') throw new ContainerConflictError(`container ${rec.Id} is marked for removal and cannot be started`);
      if (rec.State.Paused) throw new ContainerConflictError(`cannot start a paused container, try unpause instead`);
      if (rec.State.Running) return false;
      this.cancelRestart(rec);
      rec.ManuallyStopped = false;
      rec.RestartCount = 0;
      rec.RestartDelayMs = 0;
      try {
        await this.startNow(rec);
      } catch (err) {
        // docker run --rm waits for the removal: a container that cannot start goes too, as with dockerd.
        if (rec.HostConfig.AutoRemove) await this.removeNow(rec).catch(() => {});
        throw err;
      }
      return true;
    });
  }

  private async startNow(rec: ContainerRecord): Promise<void> {
    const dir = this.dirOf(rec.Id);
    const runtime = this.opts.runtimes[rec.Runtime] ?? this.opts.runtimes[this.opts.defaultRuntime];
    const paths = prepareRootfsDirs(dir);
    const hc = rec.HostConfig;
    const networking = this.opts.networking;
    const mode = networkModeOf(hc);
    let launched = false;
    try {
      let netnsPath: string | undefined;
      if (mode.kind === 'container') {
        const other = this.find(mode.ref);
        if (!other.State.Running || !other.State.Pid) throw new ContainerConflictError(`cannot join network of a non running container: ${other.Id}`);
        netnsPath = `/proc/${other.State.Pid}/ns/net`;
      }
      const layers = await this.opts.images.layers(rec.Image);
      writeInPlace(rec.HostnamePath, `${rec.Config.Hostname}\n`);
      writeInPlace(rec.HostsPath, hostsFileContent(rec.Config.Hostname ?? rec.Id.slice(0, 12), undefined, hc.ExtraHosts ?? []));
      writeInPlace(rec.ResolvConfPath, networking ? networking.resolvConf(hc) : resolvConfContent(readHostResolvConf(), hc.Dns ?? [], hc.DnsSearch ?? [], hc.DnsOptions ?? []));
      await mountRootfs(this.opts.stateRoot, paths, layers);
      const userMounts = await prepareContainerMounts(this.opts.volumes, rec, paths.merged);
      for (const b of userMounts ? [] : hc.Binds ?? []) {
        const p = parseBind(b);
        // Docker's -v creates a missing host directory (the long --mount syntax refuses instead, at create).
        if (!p.isVolume && !existsSync(p.source)) mkdirSync(p.source, { recursive: true, mode: 0o755 });
      }
      const user = resolveUserInRootfs(rec.Config.User ?? '', paths.merged, (hc.GroupAdd ?? []) as string[]);
      const spec = buildOciSpec({
        containerId: rec.Id, config: rec.Config, hostConfig: hc, rootfsPath: paths.merged, containerDir: dir, user,
        cgroupsPath: `/${this.opts.cgroupParent ?? 'tscompose'}/${rec.Id}`, arch: hostArch(), kernelRelease: release(), initBinary: this.opts.initBinary,
        volumePath: this.opts.volumePath, netnsPath, userMounts, rootfsPropagation: rec.RootfsPropagation,
        availableCapabilities: boundingCapabilities(), hostDevices: hc.Privileged ? hostDevices() : undefined,
      });
      const bundle = join(dir, 'bundle');
      mkdirSync(bundle, { recursive: true, mode: 0o700 });
      await writeJsonAtomicAsync(join(bundle, 'config.json'), spec);
      const exitFile = join(dir, 'exit.json');
      rmSync(exitFile, { force: true });
      rmSync(join(dir, 'init.pid'), { force: true });
      this.exitHandled.delete(rec.Id);
      // A container of the same id left in the runtime's state by an earlier run would make create fail.
      await runtime.delete(rec.Id, true).catch(() => {});
      const logOpts = hc.LogConfig?.Config ?? {};
      // Socket paths are limited to 107 bytes: a short name in a short folder.
      const attachSocket = this.opts.monitor.kind === 'tscrun' ? join(this.opts.stateRoot, 'sockets', `${rec.Id.slice(0, 16)}.sock`) : undefined;
      if (attachSocket) { mkdirSync(join(this.opts.stateRoot, 'sockets'), { recursive: true, mode: 0o700 }); rmSync(attachSocket, { force: true }); }
      const ready = await this.opts.monitor.launch({
        id: rec.Id, bundle, runtimePath: runtime.path, runtimeRoot: runtime.root, logPath: rec.LogPath,
        logMaxSize: parseSize(logOpts['max-size']), logMaxFile: logOpts['max-file'] ? Number(logOpts['max-file']) : undefined,
        exitFile, pidFile: join(dir, 'init.pid'), terminal: !!rec.Config.Tty, stdin: !!rec.Config.OpenStdin, stdinOnce: !!rec.Config.StdinOnce, attachSocket,
      });
      launched = true;
      rec.MonitorPid = ready.monitorPid;
      rec.AttachSocket = attachSocket;
      // The init process and its netns exist; the container's own process has not run yet.
      if (networking && (mode.kind === 'network' || mode.kind === 'none')) {
        try {
          rec.NetState = await networking.attach(rec, ready.pid);
        } catch (e) {
          // The fallback monitor has started the process already (`runc run`): one that is done by now took its netns with it,
          // and its exit is what the caller sees, as with a network it never needed.
          if (!ready.started || existsSync(`/proc/${ready.pid}/ns/net`)) throw e;
        }
      }
      const waiting = this.pendingAttach.get(rec.Id) ?? [];
      this.pendingAttach.delete(rec.Id);
      for (const w of waiting) w(attachSocket);
      if (waiting.length && attachSocket) await this.attachersSettled(rec.Id);
      if (!ready.started) await runtime.start(rec.Id);
      rec.StartCount++;
      rec.State = {
        ...rec.State, Status: 'running', Running: true, Paused: false, Restarting: false, OOMKilled: false, Dead: false,
        Pid: ready.pid, ExitCode: 0, Error: '', StartedAt: new Date().toISOString(),
      };
      await this.persist(rec);
      this.opts.emit('start', rec.Id, this.attrs(rec));
      this.startHealth(rec);
      // After the start event: a quick container may already have left its exit file.
      this.watchExit(rec);
    } catch (err) {
      for (const w of this.pendingAttach.get(rec.Id) ?? []) w(undefined);
      this.pendingAttach.delete(rec.Id);
      if (launched) await runtime.delete(rec.Id, true).catch(() => {});
      if (networking) await networking.detach(rec.Id).catch(() => {});
      rec.NetState = undefined;
      await releaseContainerMounts(this.opts.volumes, rec);
      await unmountRootfs(paths).catch(() => {});
      // `exec: "x": Permission denied` (C's strerror) as runc words it (Go's
      // `permission denied`): the docker CLI picks its exit code 126/127 from that text, case and all.
      const message = (err instanceof Error ? err.message : String(err)).replace(/(exec: "[^"]*": )([A-Z])(?=[a-z])/, (_m, head: string, c: string) => head + c.toLowerCase());
      if (err instanceof Error) err.message = message;
      const notFound = /executable file not found|no such file or directory/i.test(message);
      rec.State = { ...rec.State, Error: message, ExitCode: notFound ? 127 : /permission denied/i.test(message) ? 126 : 128 };
      await this.persist(rec);
      // Network errors (a port taken: 409, a bad static address: 400) keep their status.
      if (err instanceof Error && typeof (err as { statusCode?: unknown }).statusCode === 'number' && !(err instanceof ContainerError)) throw err;
      if (err instanceof ContainerError) {
        if (err instanceof RuntimeFailureError && notFound) throw new InvalidContainerConfigError(`failed to create task for container: ${message}`);
        throw err;
      }
      throw new RuntimeFailureError(message, 'start');
    }
  }

  /** Ports closed, networks left (idempotent: exit, then remove). */
  private async detachNetwork(rec: ContainerRecord): Promise<void> {
    if (!this.opts.networking) return;
    await this.opts.networking.detach(rec.Id).catch(() => {});
    if (rec.NetState) { rec.NetState = undefined; await this.persist(rec); }
  }

  /** After an engine restart: the ports of the containers still running open again on their recorded host ports. */
  async republishPorts(): Promise<string[]> {
    const warnings: string[] = [];
    if (!this.opts.networking) return warnings;
    for (const rec of this.byId.values()) {
      if (!rec.State.Running || !rec.NetState?.Ports.length) continue;
      try { await this.opts.networking.republish(rec); } catch (e) { warnings.push(`container ${rec.Name.slice(1)}: its ports could not be published again: ${(e as Error).message}`); }
    }
    return warnings;
  }

  /** Ids of the containers running now (for the network layer's reconcile). */
  runningIds(): Set<string> {
    return new Set([...this.byId.values()].filter((r) => r.State.Running).map((r) => r.Id));
  }

  /** `POST /networks/{id}/connect`: a running container joins now; a stopped one at its next start. */
  connectNetwork(ref: string, network: string, cfg: EndpointSettings | undefined): Promise<void> {
    const rec = this.find(ref);
    return this.withLock(rec.Id, async () => {
      const networking = this.opts.networking;
      if (!networking) throw new ContainerConflictError('this engine runs without networks');
      const net = networking.networks.find(network);
      if (!net) throw new InvalidContainerConfigError(`network ${network} not found`);
      const mode = networkModeOf(rec.HostConfig);
      if (mode.kind !== 'network') throw new ContainerConflictError(`container sharing network namespace with another container or host cannot be connected to any other network`);
      const primary = networking.networks.find(mode.name)?.id === net.id;
      const joined = networking.networksOf(rec).some((n) => networking.networks.find(n)?.id === net.id);
      if (rec.State.Running) {
        if (net.endpoints[rec.Id]) throw new ContainerConflictError(`endpoint with name ${rec.Name.slice(1)} already exists in network ${net.name}`);
        const [name, ep] = await networking.connectRunning(rec, rec.State.Pid, net.name, cfg);
        rec.NetState = { Networks: { ...(rec.NetState?.Networks ?? {}), [name]: ep }, Ports: rec.NetState?.Ports ?? [] };
      } else if (joined) {
        throw new ContainerConflictError(`endpoint with name ${rec.Name.slice(1)} already exists in network ${net.name}`);
      }
      if (!joined) rec.NetworkingConfig = { EndpointsConfig: { ...(rec.NetworkingConfig?.EndpointsConfig ?? {}), [net.name]: cfg ?? {} } };
      if (primary) rec.PrimaryDetached = false;
      await this.persist(rec);
    });
  }

  /** `POST /networks/{id}/disconnect`. */
  disconnectNetwork(ref: string, network: string, force: boolean): Promise<void> {
    const networking = this.opts.networking;
    if (!networking) return Promise.reject(new ContainerConflictError('this engine runs without networks'));
    let rec: ContainerRecord;
    try { rec = this.find(ref); } catch (e) {
      // Force: the container is gone already; what is left of it on the network goes.
      if (force && /^[0-9a-f]{12,64}$/.test(ref)) return networking.networks.disconnect(network, ref, true);
      throw e;
    }
    return this.withLock(rec.Id, async () => {
      const net = networking.networks.find(network);
      if (!net) throw new InvalidContainerConfigError(`network ${network} not found`);
      const mode = networkModeOf(rec.HostConfig);
      if (mode.kind === 'network' && networking.networks.find(mode.name)?.id === net.id && !force) {
        // Docker lets the primary network go too; the container keeps its mode name for the next start.
      }
      const cfgs = { ...(rec.NetworkingConfig?.EndpointsConfig ?? {}) };
      let had = false;
      for (const k of Object.keys(cfgs)) if (networking.networks.find(k)?.id === net.id) { delete cfgs[k]; had = true; }
      if (rec.State.Running) {
        await networking.networks.disconnect(net.id, rec.Id, force);
        if (rec.NetState) { const n = { ...rec.NetState.Networks }; delete n[net.name]; rec.NetState = { ...rec.NetState, Networks: n }; }
      } else if (!had && !(mode.kind === 'network' && networking.networks.find(mode.name)?.id === net.id) && !force) {
        throw new ContainerConflictError(`container ${rec.Id} is not connected to network ${net.name}`);
      }
      if (mode.kind === 'network' && networking.networks.find(mode.name)?.id === net.id && !rec.State.Running) rec.PrimaryDetached = true;
      rec.NetworkingConfig = { EndpointsConfig: cfgs };
      await this.persist(rec);
    });
  }

  private startHealth(rec: ContainerRecord): void {
    const h = this.health.start(rec.Id, rec.Config.Healthcheck);
    if (!h) return;
    rec.State = { ...rec.State, Health: h };
    this.persistLater(rec);
  }

  // ---- attach ----

  private readonly connecting = new Map<string, Promise<unknown>[]>();

  /** Waits (briefly) until the attachers handed the socket have connected, so the first output reaches them. */
  private async attachersSettled(id: string): Promise<void> {
    const list = this.connecting.get(id) ?? [];
    this.connecting.delete(id);
    await Promise.race([Promise.allSettled(list), new Promise((r) => setTimeout(r, 2000))]);
  }

  /**
   * A connection to the monitor's attach socket (multiplexed output frames
   * out, or raw bytes with a TTY; what is written goes to stdin). For a
   * container not started yet, resolves when it starts, before its process
   * runs. Undefined when the monitor has no attach socket (the fallback) or
   * the container went away: the caller then follows the log instead.
   */
  openAttach(ref: string, signal?: AbortSignal): Promise<net.Socket | undefined> {
    const rec = this.find(ref);
    const connect = (path: string): Promise<net.Socket | undefined> => {
      const attempt = (left: number): Promise<net.Socket | undefined> => new Promise((resolve) => {
        const sock = net.connect(path);
        sock.once('connect', () => resolve(sock));
        sock.once('error', () => {
          sock.destroy();
          if (left <= 0 || signal?.aborted) resolve(undefined);
          else setTimeout(() => void attempt(left - 1).then(resolve), 20);
        });
      });
      return attempt(50);
    };
    if (rec.State.Running) return rec.AttachSocket ? connect(rec.AttachSocket) : Promise.resolve(undefined);
    if (this.opts.monitor.kind !== 'tscrun') return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const list = this.pendingAttach.get(rec.Id) ?? [];
      const waiter = (path: string | undefined): void => {
        const p = path ? connect(path) : Promise.resolve(undefined);
        const c = this.connecting.get(rec.Id) ?? [];
        c.push(p);
        this.connecting.set(rec.Id, c);
        void p.then(resolve);
      };
      list.push(waiter);
      this.pendingAttach.set(rec.Id, list);
      signal?.addEventListener('abort', () => {
        const l = this.pendingAttach.get(rec.Id);
        if (l) this.pendingAttach.set(rec.Id, l.filter((x) => x !== waiter));
        resolve(undefined);
      }, { once: true });
    });
  }

  /** Whether attach goes through the monitor's socket for this container (else through the log). */
  attachesThroughMonitor(ref: string): boolean {
    const rec = this.find(ref);
    return rec.State.Running ? !!rec.AttachSocket : this.opts.monitor.kind === 'tscrun';
  }

  // ---- exit ----

  private readExitFile(rec: ContainerRecord): ExitInfo | undefined {
    try { return JSON.parse(readFileSync(join(this.dirOf(rec.Id), 'exit.json'), 'utf8')) as ExitInfo; } catch { return undefined; }
  }

  private watchExit(rec: ContainerRecord): void {
    this.unwatch(rec.Id);
    const check = (): void => {
      if (!rec.State.Running || this.exitHandled.has(rec.Id)) return;
      const info = this.readExitFile(rec);
      if (info) { void this.handleExit(rec, info); return; }
      if (!this.alive(rec.MonitorPid) && !this.alive(rec.State.Pid)) {
        // Give a monitor that just wrote its exit file a moment to be seen.
        setTimeout(() => {
          if (!rec.State.Running || this.exitHandled.has(rec.Id)) return;
          const late = this.readExitFile(rec);
          void this.handleExit(rec, late ?? { exitCode: 255, finishedAt: new Date().toISOString(), oomKilled: false },
            late ? undefined : 'the container\'s monitor is gone; its exit status was lost');
        }, 200);
      }
    };
    let watcher: FSWatcher | undefined;
    try {
      watcher = watch(this.dirOf(rec.Id), (_ev, file) => { if (file === 'exit.json') check(); });
      watcher.on('error', () => {});
    } catch { watcher = undefined; }
    const timer = setInterval(check, this.opts.exitPollMs ?? 1000);
    timer.unref();
    this.watchers.set(rec.Id, { watcher, timer });
    check();
  }

  private unwatch(id: string): void {
    const w = this.watchers.get(id);
    if (!w) return;
    w.watcher?.close();
    clearInterval(w.timer);
    this.watchers.delete(id);
  }

  private async handleExit(rec: ContainerRecord, info?: ExitInfo, error?: string): Promise<void> {
    if (this.exitHandled.has(rec.Id)) return;
    this.exitHandled.add(rec.Id);
    this.unwatch(rec.Id);
    this.health.stop(rec.Id);
    const exit = info ?? this.readExitFile(rec) ?? { exitCode: 255, finishedAt: new Date().toISOString(), oomKilled: false };
    rec.AttachSocket = undefined;
    rec.State = {
      ...rec.State, Status: 'exited', Running: false, Paused: false, Restarting: false, Pid: 0, ExitCode: exit.exitCode,
      OOMKilled: !!exit.oomKilled, Error: error ?? '', FinishedAt: normalizeTime(exit.finishedAt),
    };
    await this.persist(rec);
    // The events go out with the state change: a client that sees the container stopped may remove it at once.
    if (exit.oomKilled) this.opts.emit('oom', rec.Id, this.attrs(rec));
    this.opts.emit('die', rec.Id, this.attrs(rec, { exitCode: String(exit.exitCode) }));
    const runtime = this.opts.runtimes[rec.Runtime];
    const rootfs = rootfsPaths(this.dirOf(rec.Id));
    await runtime?.delete(rec.Id, true, true).catch(() => {});
    await this.detachNetwork(rec);
    await releaseContainerMounts(this.opts.volumes, rec);
    // Still mounted when the runtime does not unmount it (not tscrun) or its delete failed.
    await unmountRootfs(rootfs).catch(() => {});
    const waiters = this.exitWaiters.get(rec.Id) ?? [];
    this.exitWaiters.delete(rec.Id);
    for (const w of waiters) w(exit.exitCode);
    if (rec.HostConfig.AutoRemove && this.byId.has(rec.Id)) {
      await this.withLock(rec.Id, () => this.removeNow(rec)).catch(() => {});
      return;
    }
    const facts = { exitCode: exit.exitCode, restartCount: rec.RestartCount, manuallyStopped: !!rec.ManuallyStopped };
    if (this.byId.has(rec.Id) && shouldRestart(rec.HostConfig.RestartPolicy, facts)) {
      const ranMs = Date.parse(rec.State.FinishedAt) - Date.parse(rec.State.StartedAt);
      rec.RestartDelayMs = nextRestartDelay(rec.RestartDelayMs ?? 0, Number.isNaN(ranMs) ? 0 : ranMs);
      this.scheduleRestart(rec, rec.RestartDelayMs);
    }
  }

  /** Restart by policy after `delayMs`; the container shows `restarting` meanwhile. */
  private scheduleRestart(rec: ContainerRecord, delayMs: number): void {
    this.cancelRestart(rec);
    rec.State = { ...rec.State, Status: 'restarting', Restarting: true };
    this.persistLater(rec);
    const timer = (this.opts.setTimer ?? setTimeout)(() => {
      this.restartTimers.delete(rec.Id);
      void this.withLock(rec.Id, async () => {
        if (!this.byId.has(rec.Id) || rec.State.Running || !rec.State.Restarting) return;
        rec.RestartCount++;
        try {
          await this.startNow(rec);
        } catch {
          // startNow recorded the error in State.Error; the policy gets another try as after an exit.
          rec.State = { ...rec.State, Status: 'exited', Restarting: false };
          await this.persist(rec);
          if (shouldRestart(rec.HostConfig.RestartPolicy, { exitCode: rec.State.ExitCode, restartCount: rec.RestartCount, manuallyStopped: !!rec.ManuallyStopped })) {
            rec.RestartDelayMs = nextRestartDelay(rec.RestartDelayMs ?? 0, 0);
            this.scheduleRestart(rec, rec.RestartDelayMs);
          }
        }
      }).catch(() => {});
    }, delayMs);
    timer.unref?.();
    this.restartTimers.set(rec.Id, timer);
  }

  private cancelRestart(rec: ContainerRecord): void {
    const t = this.restartTimers.get(rec.Id);
    if (t) clearTimeout(t);
    this.restartTimers.delete(rec.Id);
    if (rec.State.Restarting) {
      rec.State = { ...rec.State, Status: 'exited', Restarting: false };
      this.persistLater(rec);
    }
  }

  private waitExit(rec: ContainerRecord, signal?: AbortSignal): Promise<number> {
    return new Promise((resolve, reject) => {
      const list = this.exitWaiters.get(rec.Id) ?? [];
      const w = (code: number): void => resolve(code);
      list.push(w);
      this.exitWaiters.set(rec.Id, list);
      signal?.addEventListener('abort', () => {
        const l = this.exitWaiters.get(rec.Id);
        if (l) this.exitWaiters.set(rec.Id, l.filter((x) => x !== w));
        reject(new ContainerError('wait cancelled'));
      }, { once: true });
    });
  }

  // ---- stop / kill / restart ----

  /** Returns false when it was not running (Docker answers 304). */
  stop(ref: string, opts: { timeout?: number; signal?: string } = {}): Promise<boolean> {
    const rec = this.find(ref);
    return this.withLock(rec.Id, async () => {
      this.stopping.add(rec.Id);
      try {
        return await this.stopNow(rec, opts);
      } finally {
        this.stopping.delete(rec.Id);
      }
    });
  }

  private async stopNow(rec: ContainerRecord, opts: { timeout?: number; signal?: string }): Promise<boolean> {
    rec.ManuallyStopped = true;
    if (!rec.State.Running) {
      if (!rec.State.Restarting) return false;
      this.cancelRestart(rec);
      await this.persist(rec);
      return true;
    }
    await this.persist(rec);
    const signal = normalizeSignal(opts.signal || rec.Config.StopSignal || 'SIGTERM');
    const timeout = opts.timeout ?? (typeof rec.Config.StopTimeout === 'number' ? rec.Config.StopTimeout : 10);
    const exited = this.waitExit(rec);
    const runtime = this.opts.runtimes[rec.Runtime];
    if (rec.State.Paused) await runtime.resume(rec.Id).catch(() => {});
    if (timeout !== 0) {
      this.opts.emit('kill', rec.Id, this.attrs(rec, { signal: String(SIGNALS[signal] ?? signal) }));
      if (!this.signalInit(rec, signal)) await runtime.kill(rec.Id, signal).catch(() => {});
    }
    const graceful = timeout < 0
      ? await exited.then(() => true)
      : await Promise.race([exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), timeout * 1000))]);
    if (!graceful) {
      this.opts.emit('kill', rec.Id, this.attrs(rec, { signal: '9' }));
      await runtime.kill(rec.Id, 'SIGKILL', true).catch(() => {});
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      if (rec.State.Running) await this.killByPid(rec);
      await exited;
    }
    this.opts.emit('stop', rec.Id, this.attrs(rec));
    return true;
  }

  /**
   * The stop signal straight to the container's init, as `runtime kill` would
   * send it, when that pid is still the container's (its cgroup path names the
   * container): a `stop` of many containers then spawns no runtime process per
   * container. False (the runtime is asked instead) for anything else.
   */
  private signalInit(rec: ContainerRecord, signal: string): boolean {
    const pid = rec.State.Pid;
    if (!pid || rec.State.Paused) return false;
    try {
      if (!readFileSync(`/proc/${pid}/cgroup`, 'utf8').includes(rec.Id)) return false;
      process.kill(pid, signal as NodeJS.Signals);
      return true;
    } catch {
      return false;
    }
  }

  /** Last resort when the runtime cannot signal (its state is gone): the init pid itself. */
  private async killByPid(rec: ContainerRecord): Promise<void> {
    if (rec.State.Pid) { try { process.kill(rec.State.Pid, 'SIGKILL'); } catch { /* already gone */ } }
  }

  kill(ref: string, signal = 'SIGKILL'): Promise<void> {
    const rec = this.find(ref);
    const sig = normalizeSignal(signal);
    const act = async () => {
      if (!rec.State.Running) throw new ContainerConflictError(`Container ${rec.Id} is not running`);
      if (rec.State.Paused && sig !== 'SIGKILL') throw new ContainerConflictError(`Container ${rec.Id} is paused. Unpause the container before stopping or killing`);
      if (sig === 'SIGKILL' || sig === normalizeSignal(rec.Config.StopSignal || 'SIGTERM')) { rec.ManuallyStopped = true; await this.persist(rec); }
      const exited = this.waitExit(rec);
      this.opts.emit('kill', rec.Id, this.attrs(rec, { signal: String(SIGNALS[sig] ?? sig) }));
      await this.opts.runtimes[rec.Runtime].kill(rec.Id, sig, sig === 'SIGKILL');
      if (sig === 'SIGKILL') await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      else exited.catch(() => {});
    };
    // A stop waiting out a long grace period holds the lock; SIGKILL is how a user cuts it short (a second Ctrl-C in `up`).
    return sig === 'SIGKILL' && this.stopping.has(rec.Id) ? act() : this.withLock(rec.Id, act);
  }

  restart(ref: string, opts: { timeout?: number; signal?: string } = {}): Promise<void> {
    const rec = this.find(ref);
    return this.withLock(rec.Id, async () => {
      await this.stopNow(rec, opts);
      rec.ManuallyStopped = false;
      await this.startNow(rec);
      this.opts.emit('restart', rec.Id, this.attrs(rec));
    });
  }

  // ---- wait ----

  async wait(ref: string, condition: string, signal?: AbortSignal): Promise<ContainerWaitResponse> {
    const rec = this.find(ref);
    if (!['not-running', 'next-exit', 'removed', ''].includes(condition)) {
      throw new InvalidContainerConfigError(`invalid condition: "${condition}"`);
    }
    if (condition === 'removed') {
      await new Promise<void>((resolve, reject) => {
        const list = this.removeWaiters.get(rec.Id) ?? [];
        list.push(resolve);
        this.removeWaiters.set(rec.Id, list);
        signal?.addEventListener('abort', () => reject(new ContainerError('wait cancelled')), { once: true });
      });
      return { StatusCode: rec.State.ExitCode, Error: null };
    }
    if ((condition === 'not-running' || condition === '') && !rec.State.Running) {
      return { StatusCode: rec.State.ExitCode, Error: null };
    }
    const code = await this.waitExit(rec, signal);
    return { StatusCode: code, Error: null };
  }

  // ---- pause ----

  pause(ref: string): Promise<void> {
    const rec = this.find(ref);
    return this.withLock(rec.Id, async () => {
      if (!rec.State.Running) throw new ContainerConflictError(`Container ${rec.Id} is not running`);
      if (rec.State.Paused) throw new ContainerConflictError(`Container ${rec.Id} is already paused`);
      await this.opts.runtimes[rec.Runtime].pause(rec.Id);
      rec.State = { ...rec.State, Paused: true, Status: 'paused' };
      await this.persist(rec);
      this.opts.emit('pause', rec.Id, this.attrs(rec));
    });
  }

  unpause(ref: string): Promise<void> {
    const rec = this.find(ref);
    return this.withLock(rec.Id, async () => {
      if (!rec.State.Paused) throw new ContainerConflictError(`Container ${rec.Id} is not paused`);
      await this.opts.runtimes[rec.Runtime].resume(rec.Id);
      rec.State = { ...rec.State, Paused: false, Status: 'running' };
      await this.persist(rec);
      this.opts.emit('unpause', rec.Id, this.attrs(rec));
    });
  }

  // ---- rename / remove ----

  rename(ref: string, newName: string): void {
    const rec = this.find(ref);
    if (!newName) throw new InvalidContainerConfigError('Neither old nor new names may be empty');
    if (!NAME_RE.test(newName)) throw new InvalidContainerConfigError(`Invalid container name (${newName}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
    const name = newName.startsWith('/') ? newName : `/${newName}`;
    if (name === rec.Name) throw new ContainerConflictError(`Renaming a container with the same name as its current name`);
    for (const r of this.byId.values()) {
      if (r.Name === name) throw new ContainerConflictError(`Conflict. The container name "${name}" is already in use by container "${r.Id}". You have to remove (or rename) that container to be able to reuse that name.`);
    }
    const old = rec.Name;
    rec.Name = name;
    this.persistLater(rec);
    this.opts.emit('rename', rec.Id, this.attrs(rec, { oldName: old }));
  }

  remove(ref: string, opts: { force?: boolean; volumes?: boolean } = {}): Promise<void> {
    const rec = this.find(ref);
    return this.withLock(rec.Id, async () => {
      if (!this.byId.has(rec.Id)) return;
      if (rec.State.Running) {
        if (!opts.force) {
          throw new ContainerConflictError(`You cannot remove a ${rec.State.Paused ? 'paused' : 'running'} container ${rec.Id}. Stop the container before attempting removal or force remove`);
        }
        const exited = this.waitExit(rec);
        const runtime = this.opts.runtimes[rec.Runtime];
        this.opts.emit('kill', rec.Id, this.attrs(rec, { signal: '9' }));
        if (rec.State.Paused) await runtime.resume(rec.Id).catch(() => {});
        await runtime.kill(rec.Id, 'SIGKILL', true).catch(() => this.killByPid(rec));
        await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
        if (rec.State.Running) { await this.killByPid(rec); await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]); }
        if (!this.byId.has(rec.Id)) return; // AutoRemove got there first
      }
      await this.removeNow(rec, { volumes: opts.volumes });
    });
  }

  /** `volumes` (rm -v) removes the anonymous volumes; `run --rm` does so by default, as with dockerd. */
  private async removeNow(rec: ContainerRecord, opts: { volumes?: boolean } = {}): Promise<void> {
    if (!this.byId.has(rec.Id)) return;
    const t = this.restartTimers.get(rec.Id);
    if (t) clearTimeout(t);
    this.restartTimers.delete(rec.Id);
    this.health.stop(rec.Id);
    rec.State = { ...rec.State, Status: 'removing' };
    await this.persist(rec);
    this.unwatch(rec.Id);
    const dir = this.dirOf(rec.Id);
    await this.opts.runtimes[rec.Runtime]?.delete(rec.Id, true, true).catch(() => {});
    await this.detachNetwork(rec);
    await unmountRootfs(rootfsPaths(dir));
    await detachContainerVolumes(this.opts.volumes, rec, opts.volumes ?? !!rec.HostConfig.AutoRemove);
    // Off the main thread too: a container's folder is many small files, and removing 50 at once blocked the engine for seconds.
    await settleWrites(dir);
    await rm(dir, { recursive: true, force: true });
    this.byId.delete(rec.Id);
    for (const w of this.pendingAttach.get(rec.Id) ?? []) w(undefined);
    this.pendingAttach.delete(rec.Id);
    this.opts.emit('destroy', rec.Id, this.attrs(rec));
    const waiters = this.removeWaiters.get(rec.Id) ?? [];
    this.removeWaiters.delete(rec.Id);
    for (const w of waiters) w();
  }

  // ---- logs / top ----

  /** Log chunks in order; with `follow`, until the container stops or the signal aborts. */
  async *logs(ref: string, req: LogsRequest): AsyncGenerator<LogChunk> {
    const rec = this.find(ref);
    const driver = rec.HostConfig.LogConfig?.Type;
    if (driver && driver !== 'json-file' && driver !== 'local') {
      throw new InvalidContainerConfigError(`configured logging driver does not support reading`);
    }
    const since = req.since ? parseTimeParam(req.since) : 0;
    const until = req.until ? parseTimeParam(req.until) : 0;
    const keep = (e: LogEntry): boolean => {
      if (e.stream === 'stdout' ? !req.stdout : !req.stderr) return false;
      const t = timestampSeconds(e.time);
      if (since && t < since) return false;
      if (until && t > until) return false;
      return true;
    };
    const render = (e: LogEntry): LogChunk => ({
      stream: e.stream, data: Buffer.from(req.timestamps ? `${e.time} ${e.log}` : e.log, 'utf8'),
    });
    const { entries, endOffset, inode } = await readLogEntries(rec.LogPath);
    let selected = entries.filter(keep);
    const tail = req.tail && req.tail !== 'all' ? Number(req.tail) : -1;
    if (tail >= 0 && !Number.isNaN(tail)) selected = tail === 0 ? [] : selected.slice(-tail);
    for (const e of selected) yield render(e);
    if (!req.follow || (until && until < Date.now() / 1000)) return;
    const startCount = rec.StartCount;
    const done = (): boolean => !rec.State.Running || rec.StartCount !== startCount || !this.byId.has(rec.Id);
    for await (const batch of followLog(rec.LogPath, endOffset, inode, done, req.signal)) {
      for (const e of batch) if (keep(e)) yield render(e);
    }
  }

  /** Output from now on (attach): follows the log while the container runs, or until it starts and stops when attached before start. */
  async *attachOutput(ref: string, want: { stdout: boolean; stderr: boolean }, signal?: AbortSignal): AsyncGenerator<LogChunk> {
    const rec = this.find(ref);
    let size = 0;
    let inode = 0;
    try { const st = statSync(rec.LogPath); size = st.size; inode = st.ino; } catch { /* no log yet */ }
    const startCount = rec.StartCount;
    const wasRunning = rec.State.Running;
    // Attached before start (docker run): follow through the next run; attached while running: until it stops.
    const done = (): boolean =>
      !this.byId.has(rec.Id) || (wasRunning ? !rec.State.Running || rec.StartCount !== startCount : rec.StartCount > startCount && !rec.State.Running);
    this.opts.emit('attach', rec.Id, this.attrs(rec));
    for await (const batch of followLog(rec.LogPath, size, inode, done, signal, 50)) {
      for (const e of batch) {
        if (e.stream === 'stdout' ? want.stdout : want.stderr) yield { stream: e.stream, data: Buffer.from(e.log, 'utf8') };
      }
    }
  }

  top(ref: string, psArgs?: string): Promise<ContainerTopResponse> {
    const rec = this.find(ref);
    if (!rec.State.Running) throw new ContainerConflictError(`Container ${rec.Id} is not running`);
    if (rec.State.Restarting) throw new ContainerConflictError(`Container ${rec.Id} is restarting, wait until the container is running`);
    return topOf(rec.State.Pid, psArgs);
  }

  /** Stops watching (engine shutdown); containers keep running under their monitors. */
  close(): void {
    for (const id of [...this.watchers.keys()]) this.unwatch(id);
    // Pending policy restarts are taken up again by the next engine (load() sees `restarting`).
    for (const t of this.restartTimers.values()) clearTimeout(t);
    this.restartTimers.clear();
    this.health.stopAll();
  }
}

function normalizeTime(t: string): string {
  return t && !Number.isNaN(Date.parse(t)) ? t : new Date().toISOString();
}

/** `10m`, `1g`, `512k`, `100` → bytes (log-opt max-size). */
export function parseSize(v: string | undefined): number | undefined {
  if (!v) return undefined;
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?$/i.exec(v.trim());
  if (!m) throw new InvalidContainerConfigError(`invalid log-opt max-size: "${v}"`);
  const mult = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }[m[2].toLowerCase() as '' | 'k' | 'm' | 'g' | 't'];
  return Math.round(Number(m[1]) * mult);
}

function matchFilters(r: ContainerRecord, f: Filters): boolean {
  const labels = r.Config.Labels ?? {};
  for (const l of f.label ?? []) {
    const i = l.indexOf('=');
    if (i < 0) { if (!(l in labels)) return false; }
    else if (labels[l.slice(0, i)] !== l.slice(i + 1)) return false;
  }
  if (f.name?.length && !f.name.some((n) => { try { return new RegExp(n).test(r.Name); } catch { return r.Name.includes(n); } })) return false;
  if (f.id?.length && !f.id.some((p) => r.Id.startsWith(p))) return false;
  if (f.status?.length && !f.status.includes(r.State.Status)) return false;
  if (f.exited?.length && (r.State.Status !== 'exited' || !f.exited.includes(String(r.State.ExitCode)))) return false;
  if (f.ancestor?.length && !f.ancestor.some((a) => a === r.Config.Image || r.Image === a || r.Image === `sha256:${a}` || r.Image.startsWith(`sha256:${a}`))) return false;
  if (f.volume?.length && !f.volume.some((v) => mountsMatch(r, v) ?? ((r.HostConfig.Binds ?? []).some((b) => b.split(':')[0] === v || b.split(':')[1] === v) || (r.HostConfig.Mounts ?? []).some((m) => m.Source === v || m.Target === v)))) return false;
  if (f.network?.length) {
    // By name or id of any network it is on or configured for (docker ps --filter network=NAME|ID).
    const live = Object.entries(r.NetState?.Networks ?? {});
    const refs = new Set([r.HostConfig.NetworkMode ?? 'bridge', ...Object.keys(r.NetworkingConfig?.EndpointsConfig ?? {}), ...live.map(([n]) => n)]);
    const ids = live.map(([, e]) => e.NetworkID);
    if (!f.network.some((n) => refs.has(n) || (n.length >= 12 && ids.some((id) => id.startsWith(n))))) return false;
  }
  return true;
}

const ADJECTIVES = ['admiring', 'bold', 'brave', 'calm', 'clever', 'eager', 'ecstatic', 'focused', 'gallant', 'happy', 'jolly', 'keen', 'nifty', 'quirky', 'sharp', 'vibrant', 'wizardly', 'zen'];
const NAMES = ['babbage', 'curie', 'darwin', 'euler', 'feynman', 'galileo', 'hopper', 'kepler', 'lovelace', 'newton', 'noether', 'pascal', 'ritchie', 'thompson', 'turing', 'wozniak'];

function generateName(m: ContainerManager): string {
  for (let i = 0; ; i++) {
    const a = ADJECTIVES[Math.floor(Math.random() * ADJECTIVES.length)];
    const n = NAMES[Math.floor(Math.random() * NAMES.length)];
    const name = i < 10 ? `${a}_${n}` : `${a}_${n}${i}`;
    if (!m.all().some((r) => r.Name === `/${name}`)) return name;
  }
}

