// `docker load` / `docker save` archives.
//
// load: every regular file of the archive goes into the content store as it
// streams by (no archive path is ever used as a filesystem path), then
// manifest.json (docker save) or index.json (OCI image layout) is read from
// there and the layers are unpacked from their blobs.
//
// save: writes what Docker 25 writes, loadable by old and new Docker and by
// OCI tools: blobs/sha256/<hex> (config, uncompressed layer tars, OCI
// manifests), index.json, oci-layout and the classic manifest.json.
import { createReadStream, promises as fsp } from 'node:fs';
import { posix } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { DigestMismatchError, InvalidImageError } from './errors.js';
import { chainIds, decompressor, detectCompression, type Compression } from './layer-store.js';
import { MT, parseManifest, hostPlatform, selectManifest, type ImageIndex, type ImageManifest } from './manifest.js';
import { ProgressReporter } from './progress.js';
import { parseReference, tagKey, referenceString } from './reference.js';
import { peekCompression } from './stream-util.js';
import { HashingStream, sha256Digest } from './content-store.js';
import type { ImageStore } from './image-store.js';
import type { ImageConfigBlob, PullProgress } from './types.js';

interface DockerManifestItem {
  Config: string;
  RepoTags?: string[] | null;
  Layers: string[];
}

function normalizeName(name: string): string {
  const n = posix.normalize('/' + name).slice(1);
  return n.replace(/\/$/, '');
}

async function blobCompression(store: ImageStore, digest: string): Promise<Compression> {
  const fh = await fsp.open(store.content.path(digest), 'r');
  try {
    const head = Buffer.alloc(4);
    const { bytesRead } = await fh.read(head, 0, 4, 0);
    return detectCompression(head.subarray(0, bytesRead));
  } finally {
    await fh.close();
  }
}

export async function loadArchive(store: ImageStore, input: Readable, onProgress?: (ev: PullProgress) => void): Promise<string[]> {
  const progress = new ProgressReporter(onProgress);
  const files = new Map<string, string>();
  const links = new Map<string, string>();
  const unpins: Array<() => void> = [];
  try {
    const { compression, stream } = await peekCompression(input);
    const dec = decompressor(compression);
    const ex = tar.extract();
    const sink = ex as unknown as Writable;
    const feeding = dec.stream ? pipeline(stream, dec.stream, sink) : pipeline(stream, sink);
    feeding.catch(() => undefined);
    for await (const entry of ex) {
      const name = normalizeName(entry.header.name);
      const type = entry.header.type;
      if (type === 'file' || type === 'contiguous-file') {
        const { digest } = await store.content.putStream(entry as unknown as Readable, undefined, `archive member ${name}`);
        unpins.push(store.pin([digest]));
        files.set(name, digest);
      } else {
        if (type === 'symlink' && entry.header.linkname) links.set(name, normalizeName(posix.join(posix.dirname(name), entry.header.linkname)));
        if (type === 'link' && entry.header.linkname) links.set(name, normalizeName(entry.header.linkname));
        entry.resume();
      }
    }
    await feeding;
    await dec.done;

    const lookup = (path: string, what: string): string => {
      let p = normalizeName(path);
      for (let i = 0; i < 16 && !files.has(p) && links.has(p); i++) p = links.get(p)!;
      const d = files.get(p);
      if (!d) throw new InvalidImageError(`invalid archive: ${what} "${path}" is not in the archive`);
      // blobs/sha256/<hex> names its own content
      const m = /^blobs\/sha256\/([a-f0-9]{64})$/.exec(p);
      if (m && d !== 'sha256:' + m[1]) throw new DigestMismatchError('sha256:' + m[1], d, `archive member ${p}`);
      return d;
    };

    const ids: string[] = [];
    if (files.has('manifest.json')) {
      const items = store.content.readJson<DockerManifestItem[]>(files.get('manifest.json')!);
      if (!Array.isArray(items)) throw new InvalidImageError('invalid archive: manifest.json is not a list');
      for (const item of items) {
        const cfgDigest = lookup(item.Config, 'config');
        const m = /^([a-f0-9]{64})\.json$/.exec(posix.basename(item.Config));
        if (m && cfgDigest !== 'sha256:' + m[1]) throw new DigestMismatchError('sha256:' + m[1], cfgDigest, 'image config');
        const layerDigests = (item.Layers ?? []).map((l) => lookup(l, 'layer'));
        const tags = (item.RepoTags ?? []).map((t) => tagKey(parseReference(t)));
        ids.push(await loadImage(store, progress, cfgDigest, layerDigests, tags, undefined));
      }
    } else if (files.has('index.json')) {
      const index = store.content.readJson<ImageIndex>(files.get('index.json')!);
      if (!Array.isArray(index.manifests)) throw new InvalidImageError('invalid archive: index.json has no manifests');
      for (const desc of index.manifests) {
        if (!store.content.has(desc.digest)) throw new InvalidImageError(`invalid archive: blob ${desc.digest} named in index.json is missing`);
        let manifest: ImageManifest;
        let manifestDigest = desc.digest;
        const parsed = parseManifest(store.content.readBuffer(desc.digest), desc.mediaType, `archive manifest ${desc.digest}`);
        if (parsed.kind === 'index') {
          const pick = selectManifest(parsed.index, hostPlatform());
          if (!store.content.has(pick.digest)) throw new InvalidImageError(`invalid archive: blob ${pick.digest} is missing`);
          const inner = parseManifest(store.content.readBuffer(pick.digest), pick.mediaType, `archive manifest ${pick.digest}`);
          if (inner.kind !== 'manifest') throw new InvalidImageError('invalid archive: nested indexes are not supported');
          manifest = inner.manifest;
          manifestDigest = pick.digest;
        } else {
          manifest = parsed.manifest;
        }
        for (const d of [manifest.config.digest, ...manifest.layers.map((l) => l.digest)]) {
          if (!store.content.has(d)) throw new InvalidImageError(`invalid archive: blob ${d} is missing`);
        }
        const tags: string[] = [];
        const name = desc.annotations?.['io.containerd.image.name'] ?? desc.annotations?.['org.opencontainers.image.ref.name'];
        if (name) {
          try {
            const ref = parseReference(name);
            // a bare tag ("latest") as ref.name means no repository: leave it untagged
            if (name.includes(':') || name.includes('/')) if (!ref.digest) tags.push(tagKey(ref));
          } catch {
            /* ref.name that is only a tag */
          }
        }
        ids.push(await loadImage(store, progress, manifest.config.digest, manifest.layers.map((l) => l.digest), tags, manifestDigest));
      }
    } else {
      throw new InvalidImageError('invalid archive: neither manifest.json (docker save) nor index.json (OCI layout) found');
    }
    for (const id of ids) {
      // one line per name, as `docker load` prints them
      const tags = store.tagsOf(id);
      if (tags.length === 0) progress.status(`Loaded image ID: ${id}`);
      for (const t of tags) progress.status(`Loaded image: ${t}`);
    }
    return ids;
  } finally {
    for (const u of unpins) u();
    await store.gc();
  }
}

async function loadImage(
  store: ImageStore,
  progress: ProgressReporter,
  cfgDigest: string,
  layerDigests: string[],
  tags: string[],
  manifestDigest: string | undefined,
): Promise<string> {
  const cfg = store.content.readJson<ImageConfigBlob>(cfgDigest);
  const diffIds = cfg.rootfs?.diff_ids;
  if (!Array.isArray(diffIds) || diffIds.length !== layerDigests.length) {
    throw new InvalidImageError(`invalid archive: image config ${cfgDigest} lists ${diffIds?.length ?? 0} diff_ids for ${layerDigests.length} layers`);
  }
  const chain = chainIds(diffIds);
  const unpin = store.pin(chain);
  try {
    for (let i = 0; i < chain.length; i++) {
      if (store.layers.has(chain[i])) continue;
      const blob = layerDigests[i];
      const compression = await blobCompression(store, blob);
      const id = blob.slice(7, 19);
      const total = await store.content.size(blob);
      // counted by a transform: a 'data' listener would start the flow before the unpacker is attached
      const src = createReadStream(store.content.path(blob), { highWaterMark: 1 << 20 }).pipe(new HashingStream((n) => progress.bytes('Loading layer', id, n, total)));
      await store.layers.unpack(chain[i], diffIds[i], i > 0 ? chain[i - 1] : null, src, compression, { blob: { digest: blob, compression } });
      progress.bytes('Loading layer', id, total, total, true);
    }
    await store.layers.sync();
    await store.registerImage(cfgDigest, { tags, manifestDigest });
    return cfgDigest;
  } finally {
    unpin();
  }
}

export interface SaveItem {
  id: string;
  tags: string[];
  manifestDigest?: string;
}

type HeaderArg = Partial<tar.Header> & { name: string };

function addEntry(pack: tar.Pack, header: HeaderArg, body?: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    pack.entry(header, body ?? Buffer.alloc(0), (err) => (err ? reject(err) : resolve()));
  });
}

export async function saveArchive(store: ImageStore, items: SaveItem[], out: Writable): Promise<void> {
  const pack = tar.pack();
  const piping = pipeline(pack as unknown as Readable, out);
  piping.catch(() => undefined);
  const mtime = new Date(0);
  const written = new Set<string>();
  const file = (name: string, data: Buffer) => addEntry(pack, { name, size: data.length, mode: 0o644, mtime, type: 'file' }, data);
  try {
    await addEntry(pack, { name: 'blobs', type: 'directory', mode: 0o755, mtime });
    await addEntry(pack, { name: 'blobs/sha256', type: 'directory', mode: 0o755, mtime });
    const manifestJson: DockerManifestItem[] = [];
    const indexEntries: ImageIndex['manifests'] = [];
    for (const item of items) {
      const cfgBuf = store.content.readBuffer(item.id);
      const cfg = JSON.parse(cfgBuf.toString('utf8')) as ImageConfigBlob;
      if (!written.has(item.id)) {
        await file(`blobs/sha256/${item.id.slice(7)}`, cfgBuf);
        written.add(item.id);
      }
      const chain = chainIds(cfg.rootfs.diff_ids);
      const layerPaths: string[] = [];
      const ociLayers: ImageManifest['layers'] = [];
      for (let i = 0; i < chain.length; i++) {
        const info = store.layers.get(chain[i]);
        const diffId = cfg.rootfs.diff_ids[i];
        if (!info?.blob || !store.content.has(info.blob.digest)) {
          throw new InvalidImageError(`cannot save image ${item.id.slice(7, 19)}: the source blob of layer ${diffId} is not in the store`);
        }
        const path = `blobs/sha256/${diffId.slice(7)}`;
        layerPaths.push(path);
        ociLayers.push({ mediaType: MT.ociLayer, digest: diffId, size: info.diffSize });
        if (written.has(diffId)) continue;
        written.add(diffId);
        const w = pack.entry({ name: path, size: info.diffSize, mode: 0o644, mtime, type: 'file' });
        const done = new Promise<void>((res, rej) => {
          w.on('finish', res);
          w.on('error', rej);
        });
        const dec = decompressor(info.blob.compression);
        const src = createReadStream(store.content.path(info.blob.digest), { highWaterMark: 1 << 20 });
        const sinkW = w as unknown as Writable;
        await (dec.stream ? pipeline(src, dec.stream, sinkW) : pipeline(src, sinkW));
        await dec.done;
        await done;
      }
      const manifest: ImageManifest = {
        schemaVersion: 2,
        mediaType: MT.ociManifest,
        config: { mediaType: MT.ociConfig, digest: item.id, size: cfgBuf.length },
        layers: ociLayers,
      };
      const mBuf = Buffer.from(JSON.stringify(manifest));
      const mDigest = sha256Digest(mBuf);
      if (!written.has(mDigest)) {
        await file(`blobs/sha256/${mDigest.slice(7)}`, mBuf);
        written.add(mDigest);
      }
      const base = { mediaType: MT.ociManifest, digest: mDigest, size: mBuf.length };
      if (item.tags.length === 0) indexEntries.push(base);
      for (const t of item.tags) {
        const ref = parseReference(t);
        indexEntries.push({ ...base, annotations: { 'io.containerd.image.name': referenceString(ref), 'org.opencontainers.image.ref.name': ref.tag ?? 'latest' } });
      }
      manifestJson.push({ Config: `blobs/sha256/${item.id.slice(7)}`, RepoTags: item.tags.length ? item.tags : null, Layers: layerPaths });
    }
    const index: ImageIndex = { schemaVersion: 2, mediaType: MT.ociIndex, manifests: indexEntries };
    await file('index.json', Buffer.from(JSON.stringify(index)));
    await file('manifest.json', Buffer.from(JSON.stringify(manifestJson)));
    await file('oci-layout', Buffer.from(JSON.stringify({ imageLayoutVersion: '1.0.0' })));
    pack.finalize();
  } catch (err) {
    pack.destroy(err as Error);
    throw err;
  }
  await piping;
}
