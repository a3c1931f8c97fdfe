// A recording, in-memory engine with the client's interface (FakeEngine,
// STYLE 9/19): enough state for the CLI to observe, plan and act on, and a
// call log for tests to check which API calls were made, in which order.

import { PassThrough } from 'node:stream';
import {
  EngineApiError,
  EngineStreamError,
  encodeFrame,
  type ContainerCreateRequest,
  type ContainerInspect,
  type ContainerSummary,
  type EngineEvent,
  type ImageInspect,
  type ImageSummary,
  type NetworkCreateRequest,
  type NetworkInspect,
  type ProgressMessage,
  type StreamFrame,
  type VolumeCreateRequest,
  type VolumeInspect,
} from '../../../runtime/client/index.js';
import type { Engine } from '../../../compose/cli/executor/engine-port.js';

export interface FakeContainer {
  id: string;
  name: string;
  body: ContainerCreateRequest;
  state: 'created' | 'running' | 'exited' | 'paused' | 'dead';
  exitCode: number;
  created: number;
  networks: string[];
  health?: string;
}

export interface FakeBehaviour {
  /** Health reported once started, by container name (absent: no healthcheck unless the body has one → healthy). */
  health?: Record<string, 'healthy' | 'unhealthy' | 'starting'>;
  /** Containers that exit right after start, with this code. */
  exitOnStart?: Record<string, number>;
  /** One-off (`run`) containers exit right after start with this code. */
  oneOffExitCode?: number;
  /** Log lines by container name. */
  output?: Record<string, { stream: 'stdout' | 'stderr'; line: string }[]>;
  /** Images pull can find. */
  pullable?: string[];
  /** Milliseconds each mutating call takes (to observe parallelism). */
  delayMs?: number;
  /** Start fails with this message, by container name. */
  startError?: Record<string, string>;
}

let counter = 0;
const hexId = () => (++counter).toString(16).padStart(12, '0').repeat(6).slice(0, 64);

export class FakeEngine implements Engine {
  readonly calls: string[] = [];
  readonly bodies = new Map<string, ContainerCreateRequest>();
  containers: FakeContainer[] = [];
  networks: NetworkInspect[] = [];
  volumes: VolumeInspect[] = [];
  images: { id: string; tags: string[]; labels?: Record<string, string> }[] = [];
  inFlight = 0;
  maxInFlight = 0;
  private clock = 1_700_000_000;

  constructor(readonly behaviour: FakeBehaviour = {}) {}

  addImage(tag: string, labels?: Record<string, string>): string {
    const id = `sha256:${hexId()}`;
    this.images.push({ id, tags: [tag.includes(':') ? tag : `${tag}:latest`], labels });
    return id;
  }

  private async mutate<T>(call: string, fn: () => T): Promise<T> {
    this.calls.push(call);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      if (this.behaviour.delayMs) await new Promise((r) => setTimeout(r, this.behaviour.delayMs));
      else await Promise.resolve();
      return fn();
    } finally {
      this.inFlight--;
    }
  }

  private find(idOrName: string): FakeContainer {
    const c = this.containers.find((x) => x.id === idOrName || x.name === idOrName || (idOrName.length >= 12 && x.id.startsWith(idOrName)));
    if (!c) throw new EngineApiError(404, 'GET', `/containers/${idOrName}`, `No such container: ${idOrName}`);
    return c;
  }

  private findImage(ref: string) {
    const full = ref.includes(':') || ref.startsWith('sha256:') ? ref : `${ref}:latest`;
    return this.images.find((i) => i.id === ref || i.tags.includes(full));
  }

  // ---- system ----
  async ping() { return { apiVersion: '1.41', osType: 'linux', experimental: false }; }
  async version() { return { Version: 'fake', ApiVersion: '1.41' } as Awaited<ReturnType<Engine['version']>>; }
  async *events(_opts: Parameters<Engine['events']>[0] = {}): AsyncGenerator<EngineEvent> {
    yield { Type: 'container', Action: 'start', Actor: { ID: 'abc', Attributes: { name: 'x' } }, scope: 'local', time: 1, timeNano: 1 };
  }

  // ---- containers ----
  createContainer(body: ContainerCreateRequest, opts: { name?: string } = {}) {
    return this.mutate(`createContainer ${opts.name}`, () => {
      const name = opts.name ?? hexId().slice(0, 12);
      if (this.containers.some((c) => c.name === name)) throw new EngineApiError(409, 'POST', '/containers/create', `Conflict. The container name "/${name}" is already in use`);
      if (!body.Image || !this.findImage(body.Image)) throw new EngineApiError(404, 'POST', '/containers/create', `No such image: ${body.Image}`);
      const id = hexId();
      const primary = Object.keys(body.NetworkingConfig?.EndpointsConfig ?? {});
      this.containers.push({ id, name, body, state: 'created', exitCode: 0, created: this.clock, networks: primary });
      this.bodies.set(name, body);
      return { Id: id, Warnings: [] };
    });
  }
  startContainer(id: string) {
    return this.mutate(`startContainer ${id}`, () => {
      const c = this.find(id);
      const failure = this.behaviour.startError?.[c.name];
      if (failure) throw new EngineApiError(500, 'POST', `/containers/${id}/start`, failure);
      const oneOff = c.body.Labels?.['com.docker.compose.oneoff'] === 'True' ? this.behaviour.oneOffExitCode : undefined;
      const exit = this.behaviour.exitOnStart?.[c.name] ?? oneOff;
      if (exit !== undefined) {
        c.state = 'exited';
        c.exitCode = exit;
        return;
      }
      c.state = 'running';
      c.health = this.behaviour.health?.[c.name] ?? (c.body.Healthcheck ? 'healthy' : undefined);
    });
  }
  stopContainer(id: string, opts: { timeout?: number; signal?: string } = {}) {
    const extra = [opts.timeout !== undefined ? `t=${opts.timeout}` : '', opts.signal ? `signal=${opts.signal}` : ''].filter(Boolean).join(' ');
    return this.mutate(`stopContainer ${this.nameOf(id)}${extra ? ` ${extra}` : ''}`, () => {
      const c = this.find(id);
      if (c.state === 'running' || c.state === 'paused') {
        c.state = 'exited';
        c.exitCode = opts.signal === 'SIGKILL' ? 137 : 0;
      }
      this.wake();
    });
  }
  restartContainer(id: string) {
    return this.mutate(`restartContainer ${this.nameOf(id)}`, () => {
      this.find(id).state = 'running';
    });
  }
  killContainer(id: string, signal?: string) {
    return this.mutate(`killContainer ${this.nameOf(id)}${signal ? ` ${signal}` : ''}`, () => {
      const c = this.find(id);
      if (c.state !== 'running') throw new EngineApiError(409, 'POST', `/containers/${id}/kill`, `Container ${c.id} is not running`);
      c.state = 'exited';
      c.exitCode = 137;
      this.wake();
    });
  }
  /** Resolves once the container is not running (it may be stopped, killed or exit later). */
  async waitContainer(id: string) {
    this.calls.push(`waitContainer ${this.nameOf(id)}`);
    const c = this.find(id);
    while (c.state === 'running' || c.state === 'paused') await new Promise<void>((r) => this.waiters.push(r));
    return { StatusCode: c.exitCode };
  }
  private waiters: (() => void)[] = [];
  private wake(): void {
    const waiting = this.waiters;
    this.waiters = [];
    for (const w of waiting) w();
  }
  /** Makes a running container exit with `code`, as if its process ended. */
  exit(name: string, code: number): void {
    const c = this.find(name);
    c.state = 'exited';
    c.exitCode = code;
    this.wake();
  }
  async inspectContainer(id: string): Promise<ContainerInspect> {
    const c = this.find(id);
    return {
      Id: c.id,
      Name: `/${c.name}`,
      Created: new Date(c.created * 1000).toISOString(),
      Path: c.body.Cmd?.[0] ?? '',
      Args: c.body.Cmd?.slice(1) ?? [],
      Image: this.findImage(c.body.Image!)?.id ?? '',
      State: {
        Status: c.state,
        Running: c.state === 'running',
        Paused: c.state === 'paused',
        Restarting: false,
        OOMKilled: false,
        Dead: false,
        Pid: c.state === 'running' ? 4242 : 0,
        ExitCode: c.exitCode,
        Error: '',
        StartedAt: '',
        FinishedAt: '',
        ...(c.health ? { Health: { Status: c.health, FailingStreak: 0, Log: [] } } : {}),
      },
      Config: c.body,
      HostConfig: c.body.HostConfig ?? {},
      Mounts: [],
      NetworkSettings: {
        Bridge: '', SandboxID: '', SandboxKey: '', IPAddress: '', Gateway: '', MacAddress: '',
        Ports: c.state === 'running' ? this.publishedPorts(c) : {},
        Networks: {},
      },
    } as unknown as ContainerInspect;
  }
  private publishedPorts(c: FakeContainer) {
    const out: Record<string, { HostIp: string; HostPort: string }[]> = {};
    let next = 32768;
    for (const [key, bindings] of Object.entries(c.body.HostConfig?.PortBindings ?? {})) {
      out[key] = (bindings ?? []).map((b) => ({ HostIp: b.HostIp || '0.0.0.0', HostPort: b.HostPort || String(next++) }));
    }
    return out;
  }
  async listContainers(opts: { all?: boolean; filters?: Record<string, string[]> } = {}): Promise<ContainerSummary[]> {
    this.calls.push(`listContainers${opts.filters ? ` ${JSON.stringify(opts.filters)}` : ''}`);
    return this.containers
      .filter((c) => opts.all || c.state === 'running')
      .filter((c) => (opts.filters?.label ?? []).every((f) => {
        const [k, v] = f.split('=');
        return v === undefined ? k in (c.body.Labels ?? {}) : c.body.Labels?.[k] === v;
      }))
      .map((c) => ({
        Id: c.id,
        Names: [`/${c.name}`],
        Image: c.body.Image!,
        ImageID: this.findImage(c.body.Image!)?.id ?? '',
        Command: [...(c.body.Entrypoint ?? ['/docker-entrypoint.sh']), ...(c.body.Cmd ?? ['start'])].join(' '),
        Created: c.created,
        Ports: c.state === 'running'
          ? Object.entries(this.publishedPorts(c)).flatMap(([key, bs]) => bs.map((b) => ({ IP: b.HostIp, PrivatePort: Number.parseInt(key, 10), PublicPort: Number(b.HostPort), Type: key.split('/')[1] })))
          : [],
        Labels: { ...(c.body.Labels ?? {}) },
        State: c.state,
        Status: c.state === 'running' ? `Up 2 minutes${c.health ? ` (${c.health})` : ''}` : c.state === 'exited' ? `Exited (${c.exitCode}) 1 minute ago` : 'Created',
        HostConfig: { NetworkMode: c.body.HostConfig?.NetworkMode ?? 'default' },
        NetworkSettings: { Networks: {} },
        Mounts: [],
      }));
  }
  removeContainer(id: string, opts: { force?: boolean; volumes?: boolean } = {}) {
    return this.mutate(`removeContainer ${this.nameOf(id)}${opts.volumes ? ' v' : ''}`, () => {
      const c = this.find(id);
      if (c.state === 'running' && !opts.force) throw new EngineApiError(409, 'DELETE', `/containers/${id}`, `cannot remove a running container ${c.id}: stop it first`);
      this.containers = this.containers.filter((x) => x !== c);
      c.state = 'exited';
      this.wake();
    });
  }
  renameContainer(id: string, name: string) {
    return this.mutate(`renameContainer ${this.nameOf(id)} ${name}`, () => {
      this.find(id).name = name;
    });
  }
  pauseContainer(id: string) {
    return this.mutate(`pauseContainer ${this.nameOf(id)}`, () => {
      this.find(id).state = 'paused';
    });
  }
  unpauseContainer(id: string) {
    return this.mutate(`unpauseContainer ${this.nameOf(id)}`, () => {
      this.find(id).state = 'running';
    });
  }
  async topContainer(id: string) {
    const c = this.find(id);
    return { Titles: ['UID', 'PID', 'PPID', 'C', 'STIME', 'TTY', 'TIME', 'CMD'], Processes: [['root', '4242', '4200', '0', '10:00', '?', '00:00:00', (c.body.Cmd ?? []).join(' ')]] };
  }
  async *logs(id: string, opts: { tail?: number | 'all' } = {}): AsyncGenerator<StreamFrame> {
    const c = this.find(id);
    const all = this.behaviour.output?.[c.name] ?? [];
    const shown = typeof opts.tail === 'number' ? all.slice(all.length - opts.tail) : all;
    for (const entry of shown) yield { stream: entry.stream, data: Buffer.from(`${entry.line}\n`) };
  }
  async attachContainer(id: string) {
    const c = this.find(id);
    const socket = new PassThrough();
    const frames = (this.behaviour.output?.[c.name] ?? []).map((e) => encodeFrame(e.stream, `${e.line}\n`));
    socket.end(Buffer.concat(frames));
    return { socket, head: Buffer.alloc(0) };
  }
  async createExec(containerId: string, body: { Cmd: string[] }) {
    this.calls.push(`createExec ${this.nameOf(containerId)} ${body.Cmd.join(' ')}`);
    return { Id: 'exec1' };
  }
  async startExec(_execId: string) {
    const socket = new PassThrough();
    socket.end(encodeFrame('stdout', 'exec output\n'));
    return { socket, head: Buffer.alloc(0) };
  }
  async inspectExec(execId: string) {
    return { ID: execId, Running: false, ExitCode: 3 } as Awaited<ReturnType<Engine['inspectExec']>>;
  }

  // ---- images ----
  async *pullImage(ref: string): AsyncGenerator<ProgressMessage> {
    this.calls.push(`pullImage ${ref}`);
    if (!(this.behaviour.pullable ?? []).includes(ref)) {
      throw new EngineStreamError('POST', '/images/create', `pull access denied for ${ref}, repository does not exist or may require 'docker login'`);
    }
    yield { status: 'Pulling from library' };
    this.addImage(ref);
    yield { status: `Downloaded newer image for ${ref}` };
  }
  /** Builds "succeed": the context tar is drained, the tags become images carrying the labels sent. */
  async *buildImage(context: NodeJS.ReadableStream | Buffer, opts: { tags?: string[]; labels?: Record<string, string>; dockerfile?: string } = {}): AsyncGenerator<ProgressMessage> {
    this.calls.push(`buildImage ${(opts.tags ?? []).join(',')}`);
    if (!Buffer.isBuffer(context)) for await (const _chunk of context) { /* drained */ }
    yield { stream: 'Step 1/1 : FROM scratch\n' };
    let id = '';
    for (const t of opts.tags ?? []) id = this.addImage(t, opts.labels);
    yield { aux: { ID: id } };
    yield { stream: `Successfully built ${id.slice(7, 19)}\n` };
  }
  async listImages(): Promise<ImageSummary[]> {
    return this.images.map((i) => ({ Id: i.id, ParentId: '', RepoTags: i.tags, RepoDigests: [], Created: 1_700_000_000, Size: 7_340_032, SharedSize: 0, Labels: i.labels ?? null, Containers: 0 }));
  }
  async inspectImage(name: string): Promise<ImageInspect> {
    const image = this.findImage(name);
    if (!image) throw new EngineApiError(404, 'GET', `/images/${name}/json`, `No such image: ${name}`);
    return { Id: image.id, RepoTags: image.tags, Size: 7_340_032, Created: '2026-01-01T00:00:00Z' } as unknown as ImageInspect;
  }
  removeImage(name: string) {
    return this.mutate(`removeImage ${name}`, () => {
      const image = this.findImage(name);
      if (!image) throw new EngineApiError(404, 'DELETE', `/images/${name}`, `No such image: ${name}`);
      this.images = this.images.filter((i) => i !== image);
      return [{ Untagged: name }];
    });
  }

  // ---- networks ----
  createNetwork(body: NetworkCreateRequest) {
    return this.mutate(`createNetwork ${body.Name}`, () => {
      if (this.networks.some((n) => n.Name === body.Name)) throw new EngineApiError(409, 'POST', '/networks/create', `network with name ${body.Name} already exists`);
      const id = hexId();
      this.networks.push({ Name: body.Name, Id: id, Labels: body.Labels ?? {}, Driver: body.Driver ?? 'bridge' } as NetworkInspect);
      return { Id: id };
    });
  }
  async listNetworks(): Promise<NetworkInspect[]> { return [...this.networks]; }
  removeNetwork(id: string) {
    return this.mutate(`removeNetwork ${id}`, () => {
      const before = this.networks.length;
      this.networks = this.networks.filter((n) => n.Name !== id && n.Id !== id);
      if (this.networks.length === before) throw new EngineApiError(404, 'DELETE', `/networks/${id}`, `network ${id} not found`);
    });
  }
  connectNetwork(id: string, container: string) {
    return this.mutate(`connectNetwork ${id} ${this.nameOf(container)}`, () => {
      this.find(container).networks.push(id);
    });
  }

  // ---- volumes ----
  createVolume(body: VolumeCreateRequest) {
    return this.mutate(`createVolume ${body.Name}`, () => {
      const v = { Name: body.Name!, Driver: body.Driver ?? 'local', Labels: body.Labels ?? {}, Mountpoint: '', CreatedAt: '', Scope: 'local', Options: null };
      this.volumes.push(v);
      return v;
    });
  }
  async listVolumes() { return { Volumes: [...this.volumes], Warnings: null }; }
  removeVolume(name: string) {
    return this.mutate(`removeVolume ${name}`, () => {
      this.volumes = this.volumes.filter((v) => v.Name !== name);
    });
  }

  /** Calls that change state, in order (what tests usually compare). */
  get mutations(): string[] {
    return this.calls.filter((c) => !c.startsWith('listContainers') && !c.startsWith('waitContainer') && !c.startsWith('createExec'));
  }

  private nameOf(idOrName: string): string {
    return this.containers.find((c) => c.id === idOrName || c.name === idOrName)?.name ?? idOrName;
  }
}
