// Pull: manifest (→ platform manifest), config, then the missing layers in
// parallel. Each layer is one pass: download → sha256 of the compressed
// bytes + copy to ingest/ → decompress → sha256 of the tar → tsc-unpack; the
// blob and the layer are committed only when both digests match.
import { closeSync, openSync, promises as fsp, writeSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { Transform } from 'node:stream';
import { DigestMismatchError, InvalidImageError } from './errors.js';
import { HashingStream, sha256Digest, assertDigest } from './content-store.js';
import { chainIds, compressionOfMediaType, type Compression } from './layer-store.js';
import { MANIFEST_ACCEPT, MT, parseManifest, parsePlatform, selectManifest, type Descriptor, type ImageManifest } from './manifest.js';
import { ProgressReporter } from './progress.js';
import { digestKey, familiarName, tagKey, type ImageReference } from './reference.js';
import { RegistryClient, isLoopbackHost, isRetryableError, readResponse, backoffMs } from './registry-client.js';
import { loadDockerCredentials } from './docker-config.js';
import type { ImageStore } from './image-store.js';
import type { ImageConfigBlob, PullOptions } from './types.js';

const MAX_MANIFEST = 4 << 20;
const MAX_CONFIG = 8 << 20;

/** Pulls `ref` into `store`; returns the image id. */
export async function pullImage(store: ImageStore, ref: ImageReference, opts: PullOptions): Promise<string> {
  const progress = new ProgressReporter(opts.onProgress);
  const insecure = isLoopbackHost(ref.domain) || (store.options.insecureRegistries ?? []).some((h) => h.toLowerCase() === ref.domain.toLowerCase());
  const auth = opts.auth ?? loadDockerCredentials(ref.domain, store.options.dockerConfigDir);
  const client = new RegistryClient({ host: ref.registryHost, insecure, auth, signal: opts.signal });
  const scope = `repository:${ref.path}:pull`;
  const repoPath = `/v2/${ref.path}`;
  const unpins: Array<() => void> = [];
  try {
    progress.status(`Pulling from ${ref.path}`, ref.digest ?? ref.tag);

    // 1. manifest (index → platform manifest)
    const top = await fetchManifest(client, repoPath, ref.digest ?? ref.tag!, scope, ref.digest);
    let manifest: ImageManifest;
    const parsed = parseManifest(top.body, top.contentType, `${ref.name}`);
    if (parsed.kind === 'index') {
      const pick: Descriptor = selectManifest(parsed.index, parsePlatform(opts.platform));
      const m = await fetchManifest(client, repoPath, pick.digest, scope, pick.digest);
      const inner = parseManifest(m.body, m.contentType, `${ref.name}@${pick.digest}`);
      if (inner.kind !== 'manifest') throw new InvalidImageError(`${ref.name}@${pick.digest}: an index inside an index is not supported`);
      manifest = inner.manifest;
      await store.content.putBuffer(m.body, pick.digest, 'manifest');
      unpins.push(store.pin([pick.digest]));
    } else {
      manifest = parsed.manifest;
    }
    // RepoDigests name what the user can pull again: the index digest when there was one
    const repoDigestValue = top.digest;
    await store.content.putBuffer(top.body, repoDigestValue, 'manifest');
    unpins.push(store.pin([repoDigestValue]));

    // 2. config
    const cfgDesc = manifest.config;
    assertDigest(cfgDesc.digest, 'config digest');
    unpins.push(store.pin([cfgDesc.digest]));
    if (!store.content.has(cfgDesc.digest)) {
      const res = await client.request('GET', `${repoPath}/blobs/${cfgDesc.digest}`, scope);
      const body = await readResponse(res, MAX_CONFIG);
      await store.content.putBuffer(body, cfgDesc.digest, 'image config');
    }
    const config = store.content.readJson<ImageConfigBlob>(cfgDesc.digest);
    const diffIds = config.rootfs?.diff_ids ?? [];
    if (diffIds.length !== manifest.layers.length) {
      throw new InvalidImageError(`${ref.name}: manifest has ${manifest.layers.length} layers but the config lists ${diffIds.length} diff_ids`);
    }
    const chain = chainIds(diffIds);
    unpins.push(store.pin(chain));
    const imageExisted = store.hasImage(cfgDesc.digest);

    // 3. layers
    const jobs: Array<() => Promise<void>> = [];
    manifest.layers.forEach((layer, i) => {
      assertDigest(layer.digest, 'layer digest');
      const id = layer.digest.slice(7, 19);
      if (store.layers.has(chain[i])) {
        progress.status('Already exists', id);
        return;
      }
      const compression = compressionOfMediaType(layer.mediaType);
      if (!compression || layer.mediaType === MT.dockerLayerForeign) {
        throw new InvalidImageError(`${ref.name}: layer ${layer.digest} has unsupported media type "${layer.mediaType}"`);
      }
      progress.status('Pulling fs layer', id);
      jobs.push(() => pullLayer(store, client, repoPath, scope, layer, compression, diffIds[i], chain[i], i > 0 ? chain[i - 1] : null, progress, opts.signal));
    });
    await runLimited(jobs, store.options.maxConcurrentDownloads ?? 3);
    if (jobs.length) await store.layers.sync();

    // 4. record
    const tags = ref.tag && !ref.digest ? [tagKey(ref)] : [];
    await store.registerImage(cfgDesc.digest, { tags, repoDigest: digestKey(ref.name, repoDigestValue), manifestDigest: repoDigestValue });
    progress.status(`Digest: ${repoDigestValue}`);
    const shown = ref.digest ? `${familiarName(ref.name)}@${ref.digest}` : tagKey(ref);
    progress.status(imageExisted && jobs.length === 0 ? `Status: Image is up to date for ${shown}` : `Status: Downloaded newer image for ${shown}`);
    return cfgDesc.digest;
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

/** Copies every chunk into an fd as it passes (the blob's ingest file). */
class TeeToFd extends Transform {
  constructor(private readonly fd: number) {
    super({ highWaterMark: 1 << 20 });
  }
  override _transform(chunk: Buffer, _e: BufferEncoding, cb: (err?: Error | null, data?: Buffer) => void): void {
    try {
      let off = 0;
      while (off < chunk.length) off += writeSync(this.fd, chunk, off);
      cb(null, chunk);
    } catch (err) {
      cb(err as Error);
    }
  }
}

async function pullLayer(
  store: ImageStore,
  client: RegistryClient,
  repoPath: string,
  scope: string,
  layer: Descriptor,
  compression: Compression,
  diffId: string,
  chainId: string,
  parent: string | null,
  progress: ProgressReporter,
  signal: AbortSignal | undefined,
): Promise<void> {
  const id = layer.digest.slice(7, 19);
  for (let attempt = 0; ; attempt++) {
    const ingest = store.content.ingestPath();
    const fd = openSync(ingest, 'w', 0o644);
    let closed = false;
    const closeFd = () => {
      if (!closed) {
        closed = true;
        closeSync(fd);
      }
    };
    try {
      const res: IncomingMessage = await client.request('GET', `${repoPath}/blobs/${layer.digest}`, scope);
      const total = Number(res.headers['content-length'] ?? layer.size) || layer.size;
      const hasher = new HashingStream((n) => progress.bytes('Downloading', id, n, total));
      const src = res.pipe(hasher).pipe(new TeeToFd(fd));
      res.on('error', (e) => src.destroy(e));
      hasher.on('error', (e) => src.destroy(e));
      await store.layers.unpack(chainId, diffId, parent, src, compression, {
        blob: { digest: layer.digest, compression },
        verify: async () => {
          const got = hasher.digest();
          if (got !== layer.digest) throw new DigestMismatchError(layer.digest, got, 'layer blob');
          progress.status('Verifying Checksum', id);
          progress.status('Download complete', id);
          closeFd();
          await store.content.commit(ingest, layer.digest);
          progress.bytes('Extracting', id, total, total, true);
        },
      });
      progress.status('Pull complete', id);
      return;
    } catch (err) {
      closeFd();
      await fsp.rm(ingest, { force: true });
      if (attempt >= 3 || !isRetryableError(err) || signal?.aborted) throw err;
      progress.status(`Retrying in ${Math.round(backoffMs(attempt) / 1000)} seconds`, id);
      await new Promise((r) => setTimeout(r, backoffMs(attempt)));
    } finally {
      closeFd();
    }
  }
}
