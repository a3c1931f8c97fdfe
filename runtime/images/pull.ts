// Pull: manifest (→ platform manifest), config, then the missing layers in
// parallel. Each layer is one pass: download → sha256 of the compressed
// bytes + copy to ingest/ → decompress → sha256 of the tar → tsc-unpack; the
// blob and the layer are committed only when both digests match. A layer
// whose blob is already stored (an earlier fetch) is unpacked from it.
// Fetch: the same download of every blob into the content store, verified,
// with nothing unpacked or recorded (what `skopeo copy` does).
//
// Transport: plain http for loopback registries and those listed insecure
// (https without verification when such a registry only speaks https, as
// Docker does); verified https otherwise, trusting the CAs of Docker's
// certs.d folder for the registry (registry-tls.ts) besides the system's.
import { close, fsync, openSync, promises as fsp, writev } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { Transform, Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { DigestMismatchError, InvalidImageError } from './errors.js';
import { HashingStream, assertDigest, fsyncDir, sha256Digest } from './content-store.js';
import { chainIds, compressionOfMediaType, type Compression } from './layer-store.js';
import { MANIFEST_ACCEPT, MT, parseManifest, parsePlatform, selectManifest, type Descriptor, type ImageManifest } from './manifest.js';
import { ProgressReporter } from './progress.js';
import { digestKey, familiarName, tagKey, type ImageReference } from './reference.js';
import { certsDirOf, loadRegistryTls } from './registry-tls.js';
import { RegistryClient, isLoopbackHost, isRetryableError, readResponse, backoffMs } from './registry-client.js';
import { loadDockerCredentials } from './docker-config.js';
import type { ImageStore } from './image-store.js';
import type { FetchResult, ImageConfigBlob, PullOptions } from './types.js';

const MAX_MANIFEST = 4 << 20;
const closeAsync = promisify(close);
const fsyncAsync = promisify(fsync);
const MAX_CONFIG = 8 << 20;

/** What resolving a reference against its registry gives: the image's manifest and config, in the store. */
interface Resolved {
  client: RegistryClient;
  repoPath: string;
  scope: string;
  manifest: ImageManifest;
  /** The digest a user can pull again: the index's when there was one. */
  repoDigest: string;
  configDigest: string;
  diffIds: string[];
  chain: string[];
  /** Whether a manifest or config blob was new to the store. */
  wroteBlobs: boolean;
}

function openClient(store: ImageStore, ref: ImageReference, opts: PullOptions): RegistryClient {
  const host = ref.registryHost;
  const certsDir = certsDirOf(store.options.certsDir);
  const tls = loadRegistryTls(certsDir, host);
  // A registry listed as insecure is always tried over plain http first (https without verification if it
  // insists on TLS); a loopback one too, unless its certs.d folder says it has TLS with a CA of its own.
  const listed = (store.options.insecureRegistries ?? []).some((h) => h.toLowerCase() === ref.domain.toLowerCase() || h.toLowerCase() === host.toLowerCase());
  const insecure = listed || (!tls && isLoopbackHost(ref.domain));
  const auth = opts.auth ?? loadDockerCredentials(ref.domain, store.options.dockerConfigDir);
  return new RegistryClient({ host, insecure, tls, certsDir, auth, signal: opts.signal });
}

/**
 * Manifest (an index resolved to this platform's manifest) and config,
 * stored and pinned. `syncBlobs: false` when the caller flushes the store
 * (syncfs) before recording anything that refers to them.
 */
async function resolveImage(
  store: ImageStore,
  client: RegistryClient,
  ref: ImageReference,
  opts: PullOptions,
  unpins: Array<() => void>,
  syncBlobs: boolean,
): Promise<Resolved> {
  const sync = { sync: syncBlobs };
  let wrote = false;
  const put = async (body: Buffer, digest: string, what: string) => {
    if (store.content.has(digest)) return;
    await store.content.putBuffer(body, digest, what, sync);
    wrote = true;
  };
  const scope = `repository:${ref.path}:pull`;
  const repoPath = `/v2/${ref.path}`;
  const top = await fetchManifest(client, repoPath, ref.digest ?? ref.tag!, scope, ref.digest);
  let manifest: ImageManifest;
  const parsed = parseManifest(top.body, top.contentType, `${ref.name}`);
  if (parsed.kind === 'index') {
    const pick: Descriptor = selectManifest(parsed.index, parsePlatform(opts.platform));
    const m = await fetchManifest(client, repoPath, pick.digest, scope, pick.digest);
    const inner = parseManifest(m.body, m.contentType, `${ref.name}@${pick.digest}`);
    if (inner.kind !== 'manifest') throw new InvalidImageError(`${ref.name}@${pick.digest}: an index inside an index is not supported`);
    manifest = inner.manifest;
    unpins.push(store.pin([pick.digest]));
    await put(m.body, pick.digest, 'manifest');
  } else {
    manifest = parsed.manifest;
  }
  unpins.push(store.pin([top.digest]));
  await put(top.body, top.digest, 'manifest');

  const cfgDesc = manifest.config;
  assertDigest(cfgDesc.digest, 'config digest');
  unpins.push(store.pin([cfgDesc.digest]));
  if (!store.content.has(cfgDesc.digest)) {
    const res = await client.request('GET', `${repoPath}/blobs/${cfgDesc.digest}`, scope);
    const body = await readResponse(res, MAX_CONFIG);
    await put(body, cfgDesc.digest, 'image config');
  }
  const config = store.content.readJson<ImageConfigBlob>(cfgDesc.digest);
  const diffIds = config.rootfs?.diff_ids ?? [];
  if (diffIds.length !== manifest.layers.length) {
    throw new InvalidImageError(`${ref.name}: manifest has ${manifest.layers.length} layers but the config lists ${diffIds.length} diff_ids`);
  }
  for (const layer of manifest.layers) assertDigest(layer.digest, 'layer digest');
  return { client, repoPath, scope, manifest, repoDigest: top.digest, configDigest: cfgDesc.digest, diffIds, chain: chainIds(diffIds), wroteBlobs: wrote };
}

function layerCompression(ref: ImageReference, layer: Descriptor): Compression {
  const compression = compressionOfMediaType(layer.mediaType);
  if (!compression || layer.mediaType === MT.dockerLayerForeign) {
    throw new InvalidImageError(`${ref.name}: layer ${layer.digest} has unsupported media type "${layer.mediaType}"`);
  }
  return compression;
}

/** Pulls `ref` into `store`; returns the image id. */
export async function pullImage(store: ImageStore, ref: ImageReference, opts: PullOptions): Promise<string> {
  const progress = new ProgressReporter(opts.onProgress);
  const client = openClient(store, ref, opts);
  const unpins: Array<() => void> = [];
  try {
    progress.status(`Pulling from ${ref.path}`, ref.digest ?? ref.tag);
    // the manifest and config blobs are made durable by the syncfs below, with the layers
    const r = await resolveImage(store, client, ref, opts, unpins, false);
    unpins.push(store.pin(r.chain));
    const imageExisted = store.hasImage(r.configDigest);

    const jobs: Array<() => Promise<void>> = [];
    r.manifest.layers.forEach((layer, i) => {
      const id = layer.digest.slice(7, 19);
      if (store.layers.has(r.chain[i])) {
        progress.status('Already exists', id);
        return;
      }
      const compression = layerCompression(ref, layer);
      const parent = i > 0 ? r.chain[i - 1] : null;
      unpins.push(store.pin([layer.digest]));
      if (store.content.has(layer.digest)) {
        // fetched before (`fetchImage`), or the blob of a layer since removed: no download
        progress.status('Download complete', id);
        jobs.push(async () => {
          await store.layers.unpack(r.chain[i], r.diffIds[i], parent, store.content.open(layer.digest), compression, { blob: { digest: layer.digest, compression } });
          progress.status('Pull complete', id);
        });
        return;
      }
      progress.status('Pulling fs layer', id);
      jobs.push(async () => {
        await downloadLayer(store, r, layer, progress, opts.signal, async (src, verify) => {
          await store.layers.unpack(r.chain[i], r.diffIds[i], parent, src, compression, { blob: { digest: layer.digest, compression }, verify });
        });
      });
    });
    await runLimited(jobs, store.options.maxConcurrentDownloads ?? 3);
    if (jobs.length || r.wroteBlobs) await store.layers.sync();

    const tags = ref.tag && !ref.digest ? [tagKey(ref)] : [];
    await store.registerImage(r.configDigest, { tags, repoDigest: digestKey(ref.name, r.repoDigest), manifestDigest: r.repoDigest });
    progress.status(`Digest: ${r.repoDigest}`);
    const shown = ref.digest ? `${familiarName(ref.name)}@${ref.digest}` : tagKey(ref);
    progress.status(imageExisted && jobs.length === 0 ? `Status: Image is up to date for ${shown}` : `Status: Downloaded newer image for ${shown}`);
    return r.configDigest;
  } finally {
    for (const u of unpins) u();
    client.close();
  }
}

/**
 * Downloads `ref`'s manifest, config and layer blobs into the content store,
 * each verified against its digest, without unpacking anything or recording
 * an image (what `skopeo copy` does). A later pull of the same image unpacks
 * the stored blobs instead of downloading them; until then the next garbage
 * collection (image remove or prune) may delete them.
 */
export async function fetchImage(store: ImageStore, ref: ImageReference, opts: PullOptions): Promise<FetchResult> {
  const progress = new ProgressReporter(opts.onProgress);
  const client = openClient(store, ref, opts);
  const unpins: Array<() => void> = [];
  try {
    progress.status(`Pulling from ${ref.path}`, ref.digest ?? ref.tag);
    const r = await resolveImage(store, client, ref, opts, unpins, store.layers.durable);
    const layers = r.manifest.layers.map((l) => l.digest);
    unpins.push(store.pin(layers));
    let downloaded = 0;
    const seen = new Set<string>();
    const jobs: Array<() => Promise<void>> = [];
    for (const layer of r.manifest.layers) {
      const id = layer.digest.slice(7, 19);
      layerCompression(ref, layer);
      if (store.content.has(layer.digest) || seen.has(layer.digest)) {
        progress.status('Already exists', id);
        continue;
      }
      seen.add(layer.digest);
      progress.status('Pulling fs layer', id);
      jobs.push(async () => {
        downloaded += await downloadLayer(store, r, layer, progress, opts.signal, null);
      });
    }
    await runLimited(jobs, store.options.maxConcurrentDownloads ?? 3);
    // the blobs were fsynced before their rename; this makes the renames durable
    if ((jobs.length || r.wroteBlobs) && store.layers.durable) await fsyncDir(store.content.blobsDir);
    progress.status(`Digest: ${r.repoDigest}`);
    return { manifestDigest: r.repoDigest, configDigest: r.configDigest, layers, downloaded };
  } finally {
    for (const u of unpins) u();
    client.close();
  }
}

async function fetchManifest(
  client: RegistryClient,
  repoPath: string,
  reference: string,
  scope: string,
  expectDigest: string | undefined,
): Promise<{ body: Buffer; contentType: string | undefined; digest: string }> {
  const res = await client.request('GET', `${repoPath}/manifests/${reference}`, scope, { Accept: MANIFEST_ACCEPT });
  const body = await readResponse(res, MAX_MANIFEST);
  const digest = sha256Digest(body);
  if (expectDigest && digest !== expectDigest) throw new DigestMismatchError(expectDigest, digest, 'manifest');
  const header = res.headers['docker-content-digest'];
  if (!expectDigest && typeof header === 'string' && header.startsWith('sha256:') && header !== digest) {
    throw new DigestMismatchError(header, digest, 'manifest');
  }
  return { body, contentType: res.headers['content-type'], digest };
}

/** Runs jobs with at most `limit` at once; the first failure stops new jobs and is thrown after the running ones end. */
async function runLimited(jobs: Array<() => Promise<void>>, limit: number): Promise<void> {
  let next = 0;
  let failure: unknown;
  const worker = async () => {
    while (next < jobs.length && failure === undefined) {
      const job = jobs[next++];
      try {
        await job();
      } catch (err) {
        failure ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, jobs.length) }, worker));
  if (failure !== undefined) throw failure;
}

/** Writes every byte of `bufs` at the fd's offset (regular files rarely take less, but may). */
async function writeAllAsync(fd: number, bufs: Buffer[]): Promise<void> {
  let rest = bufs;
  while (rest.length) {
    let n = await new Promise<number>((res, rej) => writev(fd, rest, (err, written) => (err ? rej(err) : res(written))));
    while (rest.length && n >= rest[0].length) {
      n -= rest[0].length;
      rest = rest.slice(1);
    }
    if (n > 0) rest = [rest[0].subarray(n), ...rest.slice(1)];
  }
}

/**
 * The end of a download that is only stored (fetch). Writes go through the
 * thread pool, several chunks per writev, so that a write held up by the
 * kernel's dirty-page throttling stalls this download only, not the event
 * loop that feeds the others.
 */
class FdSink extends Writable {
  private current: Promise<void> = Promise.resolve();

  constructor(private readonly fd: number) {
    super({ highWaterMark: 4 << 20 });
  }
  override _writev(chunks: Array<{ chunk: Buffer }>, cb: (err?: Error | null) => void): void {
    const w = writeAllAsync(
      this.fd,
      chunks.map((c) => c.chunk),
    );
    this.current = w.then(
      () => undefined,
      () => undefined,
    );
    w.then(() => cb(), cb);
  }
  /** Resolves when no write is in flight: only then may the fd be closed (its number could be reused). */
  settled(): Promise<void> {
    return this.current;
  }
}

/**
 * Copies every chunk into an fd as it passes (the blob's ingest file) and
 * hands it on at once; the writes, in order, go through the thread pool like
 * FdSink's. The stream ends only once every byte is written; past 8 MiB of
 * writes in flight it waits for them (the disk sets the pace then).
 */
class TeeToFd extends Transform {
  private writes: Promise<void> = Promise.resolve();
  private inFlight = 0;
  private failed: Error | null = null;

  constructor(private readonly fd: number) {
    super({ highWaterMark: 1 << 20 });
  }
  override _transform(chunk: Buffer, _e: BufferEncoding, cb: (err?: Error | null, data?: Buffer) => void): void {
    if (this.failed) return cb(this.failed);
    this.inFlight += chunk.length;
    this.writes = this.writes.then(() =>
      this.failed
        ? undefined
        : writeAllAsync(this.fd, [chunk]).then(
            () => {
              this.inFlight -= chunk.length;
            },
            (err: Error) => {
              this.failed = err;
            },
          ),
    );
    if (this.inFlight > 8 << 20) void this.writes.then(() => cb(this.failed, chunk));
    else cb(null, chunk);
  }
  override _flush(cb: (err?: Error | null) => void): void {
    void this.writes.then(() => cb(this.failed));
  }
  /** Resolves when no write is in flight (also after an error): only then may the fd be closed. */
  settled(): Promise<void> {
    return this.writes;
  }
}

/**
 * Downloads one layer blob in a single pass: the response is hashed and
 * copied into an ingest file as it arrives, and (for a pull) the same chunks
 * go on to `consume` (decompress → diff-id hash → unpacker), so the blob is
 * never read back. `verify`, run by the consumer once the stream ended,
 * checks the digest and moves the blob into place; with no consumer (fetch)
 * that happens here, after an fsync when the store is durable. Retries the
 * whole layer on network errors. Returns the bytes downloaded.
 */
async function downloadLayer(
  store: ImageStore,
  r: Resolved,
  layer: Descriptor,
  progress: ProgressReporter,
  signal: AbortSignal | undefined,
  consume: ((src: Readable, verify: () => Promise<void>) => Promise<void>) | null,
): Promise<number> {
  const id = layer.digest.slice(7, 19);
  for (let attempt = 0; ; attempt++) {
    const ingest = store.content.ingestPath();
    const fd = openSync(ingest, 'w', 0o644);
    let writer: FdSink | TeeToFd | undefined;
    let closing: Promise<void> | undefined;
    // never while a write is in flight: the fd number could be reused by then
    const closeFd = () =>
      (closing ??= (async () => {
        await writer?.settled();
        await closeAsync(fd);
      })());
    try {
      const res: IncomingMessage = await r.client.request('GET', `${r.repoPath}/blobs/${layer.digest}`, r.scope);
      const total = Number(res.headers['content-length'] ?? layer.size) || layer.size;
      const hasher = new HashingStream((n) => progress.bytes('Downloading', id, n, total));
      const check = () => {
        const got = hasher.digest();
        if (got !== layer.digest) throw new DigestMismatchError(layer.digest, got, 'layer blob');
        progress.status('Verifying Checksum', id);
        progress.status('Download complete', id);
      };
      if (consume) {
        const tee = (writer = new TeeToFd(fd));
        const src = res.pipe(hasher).pipe(tee);
        res.on('error', (e) => src.destroy(e));
        hasher.on('error', (e) => src.destroy(e));
        await consume(src, async () => {
          check();
          await closeFd();
          await store.content.commit(ingest, layer.digest);
          progress.bytes('Extracting', id, total, total, true);
        });
        progress.status('Pull complete', id);
      } else {
        const sink = (writer = new FdSink(fd));
        await pipeline(res, hasher, sink);
        check();
        // in the thread pool: a 50 MB fsync must not hold up the other downloads
        if (store.layers.durable) await fsyncAsync(fd);
        await closeFd();
        await store.content.commit(ingest, layer.digest);
      }
      return hasher.bytes;
    } catch (err) {
      await closeFd().catch(() => undefined);
      await fsp.rm(ingest, { force: true });
      if (attempt >= 3 || !isRetryableError(err) || signal?.aborted) throw err;
      progress.status(`Retrying in ${Math.round(backoffMs(attempt) / 1000)} seconds`, id);
      await new Promise((res) => setTimeout(res, backoffMs(attempt)));
    } finally {
      await closeFd().catch(() => undefined);
    }
  }
}
