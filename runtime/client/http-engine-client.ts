// HttpEngineClient: the Docker Engine API over node `http` (a unix socket or
// TCP). One method per endpoint; streams are returned as async iterables so
// the caller decides how long to read.

import http from 'node:http';
import type { Duplex, Readable } from 'node:stream';
import { EngineApiError, EngineStreamError, EngineUnreachableError } from './errors.js';
import { resolveEngineHost, type EngineAddress } from './host.js';
import { demuxStream, jsonLines, demuxBuffer, type StreamFrame } from './streams.js';
import type {
  ContainerCreateRequest, ContainerCreateResponse, ContainerInspect, ContainerSummary, ContainerTopResponse,
  ContainerWaitResponse, EngineEvent, ExecCreateRequest, ExecInspect, Filters, ImageDeleteItem, ImageInspect,
  ImagePruneResponse, ImageSummary, InfoResponse, NetworkCreateRequest, NetworkInspect, ProgressMessage,
  VersionResponse, VolumeCreateRequest, VolumeInspect,
} from './types.js';
import type { ContainerPathStat, ContainerStats } from './stats-types.js';

export const CLIENT_API_VERSION = '1.41';

type Query = Record<string, string | number | boolean | undefined | null | Filters | string[]>;

export interface RequestOptions {
  query?: Query;
  body?: unknown;
  /** A raw body (a tar stream for load/import) instead of JSON. */
  rawBody?: Readable | Buffer;
  contentType?: string;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** Milliseconds; none by default (waits and follows may take forever). */
  timeoutMs?: number;
}

export interface EngineClientOptions {
  /** `unix:///run/tscompose/engine.sock`, `tcp://127.0.0.1:2375`; default from the environment. */
  host?: string;
  apiVersion?: string;
}

export interface LogsOptions {
  stdout?: boolean;
  stderr?: boolean;
  follow?: boolean;
  since?: number | string;
  until?: number | string;
  tail?: number | 'all';
  timestamps?: boolean;
  signal?: AbortSignal;
}

export interface BuildImageOptions {
  /** Path of the Dockerfile inside the context tar; default `Dockerfile`. */
  dockerfile?: string;
  /** `name:tag` names to give the result. */
  tags?: string[];
  /** `--build-arg`s; a null value takes the one of the environment of the builder (none in ours). */
  buildArgs?: Record<string, string | null>;
  labels?: Record<string, string>;
  target?: string;
  noCache?: boolean;
  pull?: boolean;
  /** Remove intermediate containers after a successful build (default true). */
  rm?: boolean;
  /** Always remove intermediate containers. */
  forceRm?: boolean;
  quiet?: boolean;
  networkMode?: string;
  platform?: string;
  /** Base64 JSON of registry credentials by host (X-Registry-Config). */
  registryConfig?: string;
  signal?: AbortSignal;
}

export interface AttachOptions { stdin?: boolean; stdout?: boolean; stderr?: boolean; stream?: boolean; logs?: boolean; detachKeys?: string }

/** A hijacked connection (attach, exec start): raw duplex socket plus what was already read. */
export interface HijackedStream { socket: Duplex; head: Buffer }

function encodeQuery(q: Query | undefined): string {
  if (!q) return '';
  const parts: string[] = [];
  for (const [k, v] of Object.entries(q)) {
    if (v === undefined || v === null) continue;
    let s: string;
    if (Array.isArray(v)) {
      for (const item of v) parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(item)}`);
      continue;
    } else if (typeof v === 'object') {
      if (Object.keys(v).length === 0) continue;
      s = JSON.stringify(v);
    } else if (typeof v === 'boolean') s = v ? '1' : '0';
    else s = String(v);
    parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(s)}`);
  }
  return parts.length ? `?${parts.join('&')}` : '';
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(typeof c === 'string' ? Buffer.from(c) : c);
  return Buffer.concat(chunks);
}

/** Docker sends `{"message": "..."}`; older engines and proxies plain text. */
export function errorMessageOf(body: Buffer, status: number): string {
  const text = body.toString('utf8').trim();
  if (!text) return `${status} ${http.STATUS_CODES[status] ?? 'error'}`;
  try {
    const j = JSON.parse(text) as { message?: unknown };
    if (j && typeof j.message === 'string') return j.message;
  } catch { /* plain text */ }
  return text;
}

export class HttpEngineClient {
  readonly address: EngineAddress;
  readonly apiVersion: string;
  private readonly agent: http.Agent;

  constructor(opts: EngineClientOptions = {}) {
    this.address = resolveEngineHost(opts.host);
    this.apiVersion = opts.apiVersion ?? CLIENT_API_VERSION;
    // No cap of our own: `--parallel` bounds what a command does at once, and calls that wait (stop, wait,
    // logs -f, attach, events) each hold a socket; 16 made `down` of 50 services stop them 16 at a time.
    this.agent = new http.Agent({ keepAlive: true });
  }

  close(): void { this.agent.destroy(); }

  private versioned(path: string): string {
    return path.startsWith('/_ping') ? path : `/v${this.apiVersion}${path}`;
  }

  private baseOptions(method: string, path: string, headers: Record<string, string>): http.RequestOptions {
    const base: http.RequestOptions = { method, path, headers: { Host: 'docker', ...headers }, agent: this.agent };
    if (this.address.kind === 'unix') base.socketPath = this.address.socketPath;
    else { base.host = this.address.host; base.port = this.address.port; }
    return base;
  }

  private unreachable(err: NodeJS.ErrnoException): Error {
    const code = err.code ?? 'EUNKNOWN';
    const detail =
      code === 'ENOENT' ? 'no socket there (is the engine running? `tscompose engine start`)'
      : code === 'ECONNREFUSED' ? 'connection refused (the engine is not running)'
      : code === 'EACCES' ? 'permission denied (run as root or join the socket\'s group)'
      : err.message;
    return new EngineUnreachableError(this.address.display, code, detail);
  }

  /** Sends a request and returns the response once its headers arrived; errors are thrown with the body read. */
  async raw(method: string, path: string, opts: RequestOptions = {}): Promise<http.IncomingMessage> {
    const full = this.versioned(path) + encodeQuery(opts.query);
    const headers: Record<string, string> = { ...opts.headers };
    let payload: Buffer | Readable | undefined;
    if (opts.rawBody !== undefined) {
      payload = opts.rawBody;
      headers['Content-Type'] = opts.contentType ?? 'application/x-tar';
    } else if (opts.body !== undefined) {
      payload = Buffer.from(JSON.stringify(opts.body));
      headers['Content-Type'] = 'application/json';
    }
    if (Buffer.isBuffer(payload)) headers['Content-Length'] = String(payload.length);
    return new Promise((resolve, reject) => {
      const req = http.request({ ...this.baseOptions(method, full, headers), signal: opts.signal }, (res) => {
        const status = res.statusCode ?? 0;
        if (status >= 400) {
          readAll(res).then(
            (body) => reject(new EngineApiError(status, method, path, errorMessageOf(body, status))),
            reject,
          );
          return;
        }
        resolve(res);
      });
      if (opts.timeoutMs) req.setTimeout(opts.timeoutMs, () => req.destroy(new Error(`${method} ${path}: no answer from the engine after ${opts.timeoutMs} ms`)));
      req.on('error', (err: NodeJS.ErrnoException) => reject(err.code && /^E(NOENT|CONNREFUSED|ACCES|CONNRESET)$/.test(err.code) && !req.reusedSocket ? this.unreachable(err) : err));
      if (payload === undefined) req.end();
      else if (Buffer.isBuffer(payload)) req.end(payload);
      else payload.pipe(req);
    });
  }

  async json<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const res = await this.raw(method, path, opts);
    const body = await readAll(res);
    if (body.length === 0) return undefined as T;
    const text = body.toString('utf8');
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new EngineApiError(res.statusCode ?? 0, method, path, `the engine answered with something that is not JSON: ${text.slice(0, 200)}`);
    }
  }

  async empty(method: string, path: string, opts: RequestOptions = {}): Promise<void> {
    const res = await this.raw(method, path, opts);
    await readAll(res);
  }

  /** Reads a JSON-lines progress stream to the end; an in-band error rejects. */
  async *progress(method: string, path: string, opts: RequestOptions = {}): AsyncGenerator<ProgressMessage> {
    const res = await this.raw(method, path, opts);
    for await (const msg of jsonLines<ProgressMessage>(res)) {
      if (msg.error || msg.errorDetail) throw new EngineStreamError(method, path, msg.errorDetail?.message ?? msg.error ?? 'error');
      yield msg;
    }
  }

  /** Opens a hijacked connection (`Upgrade: tcp`) for attach and exec start. */
  hijack(method: string, path: string, opts: RequestOptions = {}): Promise<HijackedStream> {
    const full = this.versioned(path) + encodeQuery(opts.query);
    const headers: Record<string, string> = { Connection: 'Upgrade', Upgrade: 'tcp', ...opts.headers };
    const body = opts.body !== undefined ? Buffer.from(JSON.stringify(opts.body)) : undefined;
    if (body) { headers['Content-Type'] = 'application/json'; headers['Content-Length'] = String(body.length); }
    return new Promise((resolve, reject) => {
      const req = http.request({ ...this.baseOptions(method, full, headers), agent: false });
      req.on('upgrade', (_res, socket, head) => resolve({ socket, head }));
      req.on('response', (res) => {
        const status = res.statusCode ?? 0;
        if (status >= 400) {
          readAll(res).then((b) => reject(new EngineApiError(status, method, path, errorMessageOf(b, status))), reject);
          return;
        }
        // An engine that answers 200 instead of 101 streams on the response itself.
        resolve({ socket: res.socket, head: Buffer.alloc(0) });
      });
      req.on('error', (err: NodeJS.ErrnoException) => reject(err.code === 'ENOENT' || err.code === 'ECONNREFUSED' ? this.unreachable(err) : err));
      req.end(body);
    });
  }

  // ---- stats and archives (docker stats, docker cp) ----

  /** One sample; `oneShot` skips the second sample dockerd takes to fill `precpu_stats` (about a second). */
  containerStats(id: string, opts: { oneShot?: boolean; signal?: AbortSignal } = {}): Promise<ContainerStats> {
    return this.json('GET', `/containers/${encodeURIComponent(id)}/stats`, { query: { stream: false, 'one-shot': opts.oneShot || undefined }, signal: opts.signal });
  }

  /** A sample a second until the signal aborts or the container goes. */
  async *containerStatsStream(id: string, opts: { signal?: AbortSignal } = {}): AsyncGenerator<ContainerStats> {
    const res = await this.raw('GET', `/containers/${encodeURIComponent(id)}/stats`, { query: { stream: true }, signal: opts.signal });
    try {
      for await (const s of jsonLines<ContainerStats>(res)) yield s;
    } catch (err) {
      if (!opts.signal?.aborted) throw err;
    } finally { res.destroy(); }
  }

  /** HEAD /archive: what is at `path` in the container (404: EngineApiError with Docker's message). */
  async statContainerPath(id: string, path: string): Promise<ContainerPathStat> {
    let res: http.IncomingMessage;
    try {
      res = await this.raw('HEAD', `/containers/${encodeURIComponent(id)}/archive`, { query: { path } });
    } catch (err) {
      // A HEAD answer has no body to carry the message.
      if (err instanceof EngineApiError && err.status === 404 && !/Could not find/.test(err.message)) {
        throw new EngineApiError(404, err.method, err.path, `Could not find the file ${path} in container ${id}`);
      }
      throw err;
    }
    res.resume();
    return decodePathStat(res.headers['x-docker-container-path-stat']);
  }

  /** GET /archive: a tar of `path` (its top entry named like the path's last component) and its stat. */
  async getContainerArchive(id: string, path: string, opts: { signal?: AbortSignal } = {}): Promise<{ stat: ContainerPathStat; tar: http.IncomingMessage }> {
    const res = await this.raw('GET', `/containers/${encodeURIComponent(id)}/archive`, { query: { path }, signal: opts.signal });
    return { stat: decodePathStat(res.headers['x-docker-container-path-stat']), tar: res };
  }

  /** PUT /archive: extracts a tar into the directory `path` of the container. */
  putContainerArchive(id: string, path: string, tar: Readable | Buffer, opts: { noOverwriteDirNonDir?: boolean; copyUIDGID?: boolean } = {}): Promise<void> {
    return this.empty('PUT', `/containers/${encodeURIComponent(id)}/archive`, {
      query: { path, noOverwriteDirNonDir: opts.noOverwriteDirNonDir || undefined, copyUIDGID: opts.copyUIDGID || undefined }, rawBody: tar,
    });
  }

  // ---- system ----
  async ping(): Promise<{ apiVersion?: string; osType?: string; experimental: boolean }> {
    const res = await this.raw('GET', '/_ping', { timeoutMs: 5000 });
    await readAll(res);
    return {
      apiVersion: res.headers['api-version'] as string | undefined,
      osType: res.headers['ostype'] as string | undefined,
      experimental: res.headers['docker-experimental'] === 'true',
    };
  }
  version(): Promise<VersionResponse> { return this.json('GET', '/version'); }
  info(): Promise<InfoResponse> { return this.json('GET', '/info'); }

  async *events(opts: { since?: number | string; until?: number | string; filters?: Filters; signal?: AbortSignal } = {}): AsyncGenerator<EngineEvent> {
    const res = await this.raw('GET', '/events', { query: { since: opts.since, until: opts.until, filters: opts.filters }, signal: opts.signal });
    try {
      yield* jsonLines<EngineEvent>(res);
    } catch (err) {
      if (opts.signal?.aborted) return;
      throw err;
    }
  }

  // ---- containers ----
  createContainer(body: ContainerCreateRequest, opts: { name?: string; platform?: string } = {}): Promise<ContainerCreateResponse> {
    return this.json('POST', '/containers/create', { query: { name: opts.name, platform: opts.platform }, body });
  }
  startContainer(id: string): Promise<void> { return this.empty('POST', `/containers/${encodeURIComponent(id)}/start`); }
  stopContainer(id: string, opts: { timeout?: number; signal?: string } = {}): Promise<void> {
    return this.empty('POST', `/containers/${encodeURIComponent(id)}/stop`, { query: { t: opts.timeout, signal: opts.signal } });
  }
  restartContainer(id: string, opts: { timeout?: number; signal?: string } = {}): Promise<void> {
    return this.empty('POST', `/containers/${encodeURIComponent(id)}/restart`, { query: { t: opts.timeout, signal: opts.signal } });
  }
  killContainer(id: string, signal?: string): Promise<void> {
    return this.empty('POST', `/containers/${encodeURIComponent(id)}/kill`, { query: { signal } });
  }
  waitContainer(id: string, condition: 'not-running' | 'next-exit' | 'removed' = 'not-running', signal?: AbortSignal): Promise<ContainerWaitResponse> {
    return this.json('POST', `/containers/${encodeURIComponent(id)}/wait`, { query: { condition }, signal });
  }
  inspectContainer(id: string): Promise<ContainerInspect> { return this.json('GET', `/containers/${encodeURIComponent(id)}/json`); }
  listContainers(opts: { all?: boolean; filters?: Filters; limit?: number; size?: boolean } = {}): Promise<ContainerSummary[]> {
    return this.json('GET', '/containers/json', { query: { all: opts.all, filters: opts.filters, limit: opts.limit, size: opts.size } });
  }
  removeContainer(id: string, opts: { force?: boolean; volumes?: boolean } = {}): Promise<void> {
    return this.empty('DELETE', `/containers/${encodeURIComponent(id)}`, { query: { force: opts.force, v: opts.volumes } });
  }
  renameContainer(id: string, name: string): Promise<void> {
    return this.empty('POST', `/containers/${encodeURIComponent(id)}/rename`, { query: { name } });
  }
  pauseContainer(id: string): Promise<void> { return this.empty('POST', `/containers/${encodeURIComponent(id)}/pause`); }
  unpauseContainer(id: string): Promise<void> { return this.empty('POST', `/containers/${encodeURIComponent(id)}/unpause`); }
  topContainer(id: string, psArgs?: string): Promise<ContainerTopResponse> {
    return this.json('GET', `/containers/${encodeURIComponent(id)}/top`, { query: { ps_args: psArgs } });
  }

  /** The raw logs response: multiplexed frames unless the container has a TTY. */
  async logsStream(id: string, opts: LogsOptions = {}): Promise<http.IncomingMessage> {
    return this.raw('GET', `/containers/${encodeURIComponent(id)}/logs`, {
      query: {
        stdout: opts.stdout ?? true, stderr: opts.stderr ?? true, follow: opts.follow, since: opts.since,
        until: opts.until, tail: opts.tail, timestamps: opts.timestamps,
      },
      signal: opts.signal,
    });
  }
  /** Log frames as they come; with `tty` the whole stream is one `stdout` stream. */
  async *logs(id: string, opts: LogsOptions & { tty?: boolean } = {}): AsyncGenerator<StreamFrame> {
    const res = await this.logsStream(id, opts);
    try {
      if (opts.tty) { for await (const c of res) yield { stream: 'stdout', data: c as Buffer }; }
      else yield* demuxStream(res);
    } catch (err) {
      if (opts.signal?.aborted) return;
      throw err;
    }
  }
  /** The logs so far, demultiplexed. */
  async logsText(id: string, opts: Omit<LogsOptions, 'follow'> = {}): Promise<{ stdout: string; stderr: string }> {
    const res = await this.logsStream(id, { ...opts, follow: false });
    const body = await readAll(res);
    const { stdout, stderr } = demuxBuffer(body);
    return { stdout: stdout.toString('utf8'), stderr: stderr.toString('utf8') };
  }
  attachContainer(id: string, opts: AttachOptions = {}): Promise<HijackedStream> {
    return this.hijack('POST', `/containers/${encodeURIComponent(id)}/attach`, {
      query: { stdin: opts.stdin, stdout: opts.stdout ?? true, stderr: opts.stderr ?? true, stream: opts.stream ?? true, logs: opts.logs, detachKeys: opts.detachKeys },
    });
  }

  /** The size of a container's TTY (rows, columns). */
  resizeContainer(id: string, rows: number, cols: number): Promise<void> {
    return this.empty('POST', `/containers/${encodeURIComponent(id)}/resize`, { query: { h: rows, w: cols } });
  }

  // ---- exec ----
  createExec(containerId: string, body: ExecCreateRequest): Promise<{ Id: string }> {
    return this.json('POST', `/containers/${encodeURIComponent(containerId)}/exec`, { body });
  }
  startExec(execId: string, opts: { Detach?: boolean; Tty?: boolean } = {}): Promise<HijackedStream> {
    return this.hijack('POST', `/exec/${encodeURIComponent(execId)}/start`, { body: { Detach: opts.Detach ?? false, Tty: opts.Tty ?? false } });
  }
  inspectExec(execId: string): Promise<ExecInspect> { return this.json('GET', `/exec/${encodeURIComponent(execId)}/json`); }
  /** The size of an exec's TTY (rows, columns); before start, its initial size. */
  resizeExec(execId: string, rows: number, cols: number): Promise<void> {
    return this.empty('POST', `/exec/${encodeURIComponent(execId)}/resize`, { query: { h: rows, w: cols } });
  }

  // ---- images ----
  pullImage(ref: string, opts: { platform?: string; auth?: string; signal?: AbortSignal } = {}): AsyncGenerator<ProgressMessage> {
    const { name, tag } = splitRef(ref);
    return this.progress('POST', '/images/create', {
      query: { fromImage: name, tag, platform: opts.platform },
      headers: opts.auth ? { 'X-Registry-Auth': opts.auth } : {},
      signal: opts.signal,
    });
  }
  importImage(tar: Readable | Buffer, opts: { repo?: string; tag?: string; changes?: string[]; message?: string } = {}): AsyncGenerator<ProgressMessage> {
    return this.progress('POST', '/images/create', {
      query: { fromSrc: '-', repo: opts.repo, tag: opts.tag, message: opts.message, changes: opts.changes },
      rawBody: tar,
    });
  }
  /**
   * `POST /build` (the classic builder): `context` is a tar of the build
   * context (packBuildContext), the answer a JSON-lines stream of
   * `{stream}` step output, `{aux: {ID}}` with the image id, and an error
   * line on failure (thrown as EngineStreamError with the builder's message).
   */
  buildImage(context: Readable | Buffer, opts: BuildImageOptions = {}): AsyncGenerator<ProgressMessage> {
    return this.progress('POST', '/build', {
      query: {
        dockerfile: opts.dockerfile, t: opts.tags, buildargs: opts.buildArgs ? JSON.stringify(opts.buildArgs) : undefined, labels: opts.labels ? JSON.stringify(opts.labels) : undefined,
        target: opts.target, nocache: opts.noCache || undefined, pull: opts.pull || undefined, rm: opts.rm ?? true, forcerm: opts.forceRm || undefined,
        q: opts.quiet || undefined, networkmode: opts.networkMode, platform: opts.platform,
      },
      rawBody: context,
      contentType: 'application/x-tar',
      headers: opts.registryConfig ? { 'X-Registry-Config': opts.registryConfig } : {},
      signal: opts.signal,
    });
  }
  listImages(opts: { all?: boolean; filters?: Filters } = {}): Promise<ImageSummary[]> {
    return this.json('GET', '/images/json', { query: { all: opts.all, filters: opts.filters } });
  }
  inspectImage(name: string): Promise<ImageInspect> { return this.json('GET', `/images/${encodeImageName(name)}/json`); }
  tagImage(name: string, repo: string, tag?: string): Promise<void> {
    return this.empty('POST', `/images/${encodeImageName(name)}/tag`, { query: { repo, tag } });
  }
  removeImage(name: string, opts: { force?: boolean; noprune?: boolean } = {}): Promise<ImageDeleteItem[]> {
    return this.json('DELETE', `/images/${encodeImageName(name)}`, { query: { force: opts.force, noprune: opts.noprune } });
  }
  loadImage(tar: Readable | Buffer, opts: { quiet?: boolean } = {}): AsyncGenerator<ProgressMessage> {
    return this.progress('POST', '/images/load', { query: { quiet: opts.quiet }, rawBody: tar });
  }
  /** A `docker save` tar of the named images. */
  saveImages(names: string[]): Promise<http.IncomingMessage> {
    return this.raw('GET', '/images/get', { query: { names } });
  }
  pruneImages(filters?: Filters): Promise<ImagePruneResponse> { return this.json('POST', '/images/prune', { query: { filters } }); }

  // ---- networks ----
  createNetwork(body: NetworkCreateRequest): Promise<{ Id: string; Warning?: string }> { return this.json('POST', '/networks/create', { body }); }
  listNetworks(filters?: Filters): Promise<NetworkInspect[]> { return this.json('GET', '/networks', { query: { filters } }); }
  inspectNetwork(id: string): Promise<NetworkInspect> { return this.json('GET', `/networks/${encodeURIComponent(id)}`); }
  removeNetwork(id: string): Promise<void> { return this.empty('DELETE', `/networks/${encodeURIComponent(id)}`); }
  connectNetwork(id: string, container: string, endpoint?: Record<string, unknown>): Promise<void> {
    return this.empty('POST', `/networks/${encodeURIComponent(id)}/connect`, { body: { Container: container, EndpointConfig: endpoint } });
  }
  disconnectNetwork(id: string, container: string, force = false): Promise<void> {
    return this.empty('POST', `/networks/${encodeURIComponent(id)}/disconnect`, { body: { Container: container, Force: force } });
  }
  /** Unused user networks (filters: label, label!, until); answers the names removed. */
  pruneNetworks(filters?: Filters): Promise<{ NetworksDeleted: string[] | null }> { return this.json('POST', '/networks/prune', { query: { filters } }); }

  // ---- volumes ----
  createVolume(body: VolumeCreateRequest): Promise<VolumeInspect> { return this.json('POST', '/volumes/create', { body }); }
  listVolumes(filters?: Filters): Promise<{ Volumes: VolumeInspect[] | null; Warnings: string[] | null }> { return this.json('GET', '/volumes', { query: { filters } }); }
  inspectVolume(name: string): Promise<VolumeInspect> { return this.json('GET', `/volumes/${encodeURIComponent(name)}`); }
  removeVolume(name: string, force = false): Promise<void> { return this.empty('DELETE', `/volumes/${encodeURIComponent(name)}`, { query: { force } }); }
  /** Unused anonymous volumes; `all=true` in the filters for named ones too (API 1.42+). */
  pruneVolumes(filters?: Filters): Promise<{ VolumesDeleted: string[] | null; SpaceReclaimed: number }> { return this.json('POST', '/volumes/prune', { query: { filters } }); }
  /** `GET /system/df`: volumes carry `UsageData` (Size, RefCount). */
  diskUsage(): Promise<{ LayersSize: number; Images: unknown[]; Containers: unknown[]; Volumes: VolumeInspect[]; BuildCache: unknown[] }> {
    return this.json('GET', '/system/df');
  }
}

/** Image names keep their slashes in the path (`/images/library/busybox/json`), as Docker's router allows. */
function encodeImageName(name: string): string {
  return name.split('/').map(encodeURIComponent).join('/');
}

/** `repo:tag` or `repo@digest` → pull query parts; a registry port (`host:5000/x`) is not a tag. */
export function splitRef(ref: string): { name: string; tag?: string } {
  const at = ref.indexOf('@');
  if (at >= 0) return { name: ref.slice(0, at), tag: ref.slice(at + 1) };
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  if (colon > slash) return { name: ref.slice(0, colon), tag: ref.slice(colon + 1) };
  return { name: ref };
}

/** `X-Docker-Container-Path-Stat`: base64 of JSON. */
export function decodePathStat(header: string | string[] | undefined): ContainerPathStat {
  const raw = Array.isArray(header) ? header[0] : header;
  if (!raw) throw new Error('the engine sent no X-Docker-Container-Path-Stat header');
  try {
    return JSON.parse(Buffer.from(raw, 'base64').toString('utf8')) as ContainerPathStat;
  } catch {
    throw new Error(`the engine sent an unreadable X-Docker-Container-Path-Stat header: ${raw.slice(0, 80)}`);
  }
}
