// The image store: content-addressed blobs, names, shared unpacked layers.
// See index.ts for the on-disk layout.
import { existsSync, promises as fsp, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { ContentStore, writeFileAtomic } from './content-store.js';
import { ImageConflictError, ImageNotFoundError, InvalidImageError, InvalidReferenceError } from './errors.js';
import { LayerStore, chainIds, defaultUnpackBinary } from './layer-store.js';
import { digestKey, familiarName, parseReference, tagKey } from './reference.js';
import type {
  ImageConfig,
  ImageConfigBlob,
  ImageRecord,
  ImportOptions,
  PruneOptions,
  PruneResult,
  FetchResult,
  PullOptions,
  PullProgress,
  RemoveOptions,
  RemoveResult,
  StoreOptions,
} from './types.js';
import { fetchImage, pullImage } from './pull.js';
import { loadArchive, saveArchive } from './archive.js';
import { importRootfs } from './import.js';

/** What repositories.json holds about one image. */
export interface ImageMeta {
  id: string;
  /** Manifest digest (from a registry or an OCI archive). */
  manifestDigest?: string;
  /** Familiar `name@sha256:...` references. */
  repoDigests: string[];
  lastTagTime: string;
  added: string;
}

interface DbFile {
  version: 1;
  images: Record<string, ImageMeta>;
  /** Familiar `name:tag` → image id. */
  tags: Record<string, string>;
}

const HEX_PREFIX_RE = /^(?:sha256:)?([a-f0-9]{1,64})$/;

/** One row of `GET /images/{name}/history`, Docker's shape. */
export interface ImageHistoryEntry {
  Id: string;
  Created: number;
  CreatedBy: string;
  Tags: string[] | null;
  Size: number;
  Comment: string;
}

export class ImageStore {
  readonly dir: string;
  /** @internal */ readonly content: ContentStore;
  /** @internal */ readonly layers: LayerStore;
  private db: DbFile = { version: 1, images: {}, tags: {} };
  private readonly configs = new Map<string, ImageConfigBlob>();
  private saving: Promise<void> = Promise.resolve();
  /** Digests and chain ids a running pull/load has written but not yet recorded: GC leaves them. */
  private readonly pins = new Map<string, number>();

  private constructor(
    readonly root: string,
    readonly options: StoreOptions,
  ) {
    this.dir = join(root, 'images');
    this.content = new ContentStore(this.dir);
    this.layers = new LayerStore(join(this.dir, 'layers'), options.unpackBinary ?? defaultUnpackBinary(), options.allowDevices ?? true, options.durable ?? true);
  }

  /** Opens (creating if needed) the store under `<root>/images`, rebuilding its view from disk. */
  static async open(root: string, options: StoreOptions = {}): Promise<ImageStore> {
    const s = new ImageStore(root, options);
    await s.init();
    return s;
  }

  private async init(): Promise<void> {
    await fsp.mkdir(this.dir, { recursive: true });
    await this.content.init();
    await this.layers.init();
    const layoutFile = join(this.dir, 'oci-layout');
    if (!existsSync(layoutFile)) await writeFileAtomic(layoutFile, JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    const dbPath = join(this.dir, 'repositories.json');
    if (existsSync(dbPath)) {
      try {
        const parsed = JSON.parse(readFileSync(dbPath, 'utf8')) as DbFile;
        if (parsed.version === 1 && parsed.images && parsed.tags) this.db = parsed;
      } catch {
        throw new InvalidImageError(`${dbPath} is not valid JSON; move it away to start with an empty image index`);
      }
    }
    // Drop images whose config blob or layers are gone (a crash between steps, or hand edits).
    let changed = false;
    for (const id of Object.keys(this.db.images)) {
      let ok = this.content.has(id);
      if (ok) {
        try {
          const cfg = this.loadConfig(id);
          ok = chainIds(cfg.rootfs.diff_ids).every((c) => this.layers.has(c));
        } catch {
          ok = false;
        }
      }
      if (!ok) {
        delete this.db.images[id];
        changed = true;
      }
    }
    for (const [tag, id] of Object.entries(this.db.tags)) {
      if (!this.db.images[id]) {
        delete this.db.tags[tag];
        changed = true;
      }
    }
    if (changed) await this.persist();
    await this.gc();
  }

  // ---- internals used by pull/load/import ----

  /** @internal */ pin(keys: string[]): () => void {
    for (const k of keys) this.pins.set(k, (this.pins.get(k) ?? 0) + 1);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      for (const k of keys) {
        const n = (this.pins.get(k) ?? 1) - 1;
        if (n <= 0) this.pins.delete(k);
        else this.pins.set(k, n);
      }
    };
  }

  /** @internal */ loadConfig(id: string): ImageConfigBlob {
    let cfg = this.configs.get(id);
    if (!cfg) {
      cfg = this.content.readJson<ImageConfigBlob>(id);
      if (!cfg.rootfs || !Array.isArray(cfg.rootfs.diff_ids)) throw new InvalidImageError(`image config ${id} has no rootfs.diff_ids`);
      this.configs.set(id, cfg);
    }
    return cfg;
  }

  /**
   * @internal Records an image whose config blob and layers are in place,
   * giving it `tags` (familiar `name:tag`, moved from other images) and
   * `repoDigest`. Returns whether the image id was new.
   */
  async registerImage(id: string, opts: { tags?: string[]; repoDigest?: string; manifestDigest?: string }): Promise<boolean> {
    const now = new Date().toISOString();
    let meta = this.db.images[id];
    const isNew = !meta;
    if (!meta) {
      meta = { id, repoDigests: [], lastTagTime: now, added: now };
      this.db.images[id] = meta;
    }
    if (opts.manifestDigest) meta.manifestDigest = opts.manifestDigest;
    if (opts.repoDigest) {
      const name = opts.repoDigest.slice(0, opts.repoDigest.indexOf('@'));
      // one digest per repository, as Docker
      meta.repoDigests = meta.repoDigests.filter((d) => d.slice(0, d.indexOf('@')) !== name);
      meta.repoDigests.push(opts.repoDigest);
    }
    for (const t of opts.tags ?? []) {
      if (this.db.tags[t] !== id) meta.lastTagTime = now;
      this.db.tags[t] = id;
    }
    await this.persist();
    return isNew;
  }

  private persist(): Promise<void> {
    const snapshot = JSON.stringify(this.db, null, 1);
    this.saving = this.saving.catch(() => undefined).then(() => writeFileAtomic(join(this.dir, 'repositories.json'), snapshot));
    return this.saving;
  }

  // ---- public API ----

  /** Pulls `ref` (`nginx`, `127.0.0.1:5000/app:v1`, `name@sha256:...`); resolves to the image. */
  async pull(ref: string, opts: PullOptions = {}): Promise<ImageRecord> {
    const id = await pullImage(this, parseReference(ref), opts);
    return this.record(id);
  }

  /**
   * Downloads `ref`'s manifest, config and layer blobs into the content
   * store, each verified, without unpacking or recording an image (like
   * `skopeo copy`). A later `pull` unpacks the stored blobs instead of
   * downloading them; until then an image remove or prune may collect them.
   */
  async fetch(ref: string, opts: PullOptions = {}): Promise<FetchResult> {
    return fetchImage(this, parseReference(ref), opts);
  }

  /** Every image, newest first. */
  list(): ImageRecord[] {
    return Object.keys(this.db.images)
      .map((id) => this.record(id))
      .sort((a, b) => (b.Created || '').localeCompare(a.Created || ''));
  }

  /** By `name[:tag]`, `name@digest`, `sha256:<id>`, or an id prefix (unique). */
  inspect(refOrId: string): ImageRecord | undefined {
    const id = this.resolve(refOrId);
    return id ? this.record(id) : undefined;
  }

  /** The image id `refOrId` names, or undefined. */
  resolve(refOrId: string): string | undefined {
    const full = /^sha256:[a-f0-9]{64}$/.test(refOrId) ? refOrId : undefined;
    if (full) return this.db.images[full] ? full : undefined;
    let ref;
    try {
      ref = parseReference(refOrId);
    } catch {
      ref = undefined;
    }
    if (ref) {
      if (ref.digest) {
        const key = digestKey(ref.name, ref.digest);
        for (const m of Object.values(this.db.images)) if (m.repoDigests.includes(key)) return m.id;
        if (this.db.images[ref.digest] && !ref.tag) return undefined;
      } else {
        const id = this.db.tags[tagKey(ref)];
        if (id) return id;
      }
    }
    const m = HEX_PREFIX_RE.exec(refOrId);
    if (m) {
      const hits = Object.keys(this.db.images).filter((id) => id.startsWith('sha256:' + m[1]));
      if (hits.length === 1) return hits[0];
    }
    return undefined;
  }

  private mustResolve(refOrId: string): string {
    const id = this.resolve(refOrId);
    if (!id) throw new ImageNotFoundError(refOrId);
    return id;
  }

  /** @internal */ record(id: string): ImageRecord {
    const meta = this.db.images[id];
    const cfg = this.loadConfig(id);
    const chain = chainIds(cfg.rootfs.diff_ids);
    const size = chain.reduce((n, c) => n + (this.layers.get(c)?.size ?? 0), 0);
    const tags = Object.entries(this.db.tags)
      .filter(([, v]) => v === id)
      .map(([k]) => k)
      .sort();
    return {
      Id: id,
      RepoTags: tags,
      RepoDigests: [...(meta?.repoDigests ?? [])],
      Parent: '',
      Comment: cfg.comment ?? '',
      Created: cfg.created ?? '',
      Author: cfg.author ?? '',
      DockerVersion: typeof cfg.docker_version === 'string' ? cfg.docker_version : '',
      Architecture: cfg.architecture,
      ...(cfg.variant ? { Variant: cfg.variant } : {}),
      Os: cfg.os,
      Size: size,
      VirtualSize: size,
      Config: { ...(cfg.config ?? {}) },
      RootFS: { Type: 'layers', Layers: [...cfg.rootfs.diff_ids] },
      Metadata: { LastTagTime: meta?.lastTagTime ?? '' },
      ...(meta?.manifestDigest ? { ManifestDigest: meta.manifestDigest } : {}),
    };
  }

  /** Gives `source`'s image the name `target` (`repo[:tag]`), moving it from any other image. */
  async tag(source: string, target: string): Promise<void> {
    const id = this.mustResolve(source);
    const ref = parseReference(target);
    if (ref.digest) throw new InvalidReferenceError('refusing to create a tag with a digest reference');
    await this.registerImage(id, { tags: [tagKey(ref)] });
  }

  /** `docker rmi`: untags `refOrId` (by name) or the whole image (by id), deleting what is no longer referenced. */
  async remove(refOrId: string, opts: RemoveOptions = {}): Promise<RemoveResult> {
    const id = this.mustResolve(refOrId);
    const short = id.slice(7, 19);
    const meta = this.db.images[id];
    const tags = Object.keys(this.db.tags).filter((t) => this.db.tags[t] === id);
    const result: RemoveResult = { untagged: [], deleted: [] };
    const byId = HEX_PREFIX_RE.test(refOrId) && !tags.includes(safeTagKey(refOrId) ?? '') && !isDigestRef(refOrId, meta);
    const user = this.options.imageInUse?.(id);

    if (!byId) {
      // Untag this one name; the image goes only with its last name.
      const ref = parseReference(refOrId);
      if (ref.digest) {
        const key = digestKey(ref.name, ref.digest);
        meta.repoDigests = meta.repoDigests.filter((d) => d !== key);
        result.untagged.push(key);
      } else {
        const key = tagKey(ref);
        delete this.db.tags[key];
        result.untagged.push(key);
      }
      const left = tags.filter((t) => !result.untagged.includes(t));
      if (left.length > 0 || user) {
        await this.persist();
        return result;
      }
      for (const d of meta.repoDigests) result.untagged.push(d);
      meta.repoDigests = [];
    } else {
      if (user?.running) {
        throw new ImageConflictError(`conflict: unable to delete ${short} (cannot be forced) - image is being used by running container ${user.containerId.slice(0, 12)}`);
      }
      if (tags.length > 1 && !opts.force) {
        throw new ImageConflictError(`conflict: unable to delete ${short} (must be forced) - image is referenced in multiple repositories`);
      }
      if (user && !opts.force) {
        throw new ImageConflictError(`conflict: unable to delete ${short} (must be forced) - image is being used by stopped container ${user.containerId.slice(0, 12)}`);
      }
      for (const t of tags) {
        delete this.db.tags[t];
        result.untagged.push(t);
      }
      for (const d of meta.repoDigests) result.untagged.push(d);
      meta.repoDigests = [];
      if (user) {
        // forced with a stopped container: untag only, its layers stay for the container
        await this.persist();
        return result;
      }
    }
    delete this.db.images[id];
    this.configs.delete(id);
    await this.persist();
    result.deleted.push(id);
    const freed = await this.gc();
    result.deleted.push(...freed.layers);
    return result;
  }

  /** Removes dangling (or with `all`, unused) images and unreferenced layers/blobs. */
  async prune(opts: PruneOptions = {}): Promise<PruneResult> {
    const out: PruneResult = { ImagesDeleted: [], SpaceReclaimed: 0 };
    const f = opts.filters ?? {};
    let all = opts.all ?? false;
    if (f.dangling?.some((d) => d === 'false' || d === '0')) all = true;
    const untilMs = f.until?.length ? Math.min(...f.until.map(parseUntil)) : undefined;
    const before = await this.usage();
    for (const rec of this.list()) {
      if (!all && rec.RepoTags.length > 0) continue;
      if (this.options.imageInUse?.(rec.Id)) continue;
      const labels = (rec.Config.Labels ?? {}) as Record<string, string>;
      if (f.label && !f.label.every((l) => labelMatches(labels, l))) continue;
      if (f['label!'] && f['label!'].some((l) => labelMatches(labels, l))) continue;
      if (untilMs !== undefined && Date.parse(rec.Created || '1970-01-01T00:00:00Z') >= untilMs) continue;
      for (const t of rec.RepoTags) {
        delete this.db.tags[t];
        out.ImagesDeleted.push({ Untagged: t });
      }
      for (const d of rec.RepoDigests) out.ImagesDeleted.push({ Untagged: d });
      delete this.db.images[rec.Id];
      this.configs.delete(rec.Id);
      out.ImagesDeleted.push({ Deleted: rec.Id });
    }
    await this.persist();
    const freed = await this.gc();
    for (const l of freed.layers) out.ImagesDeleted.push({ Deleted: l });
    out.SpaceReclaimed = Math.max(0, before - (await this.usage()));
    return out;
  }

  private async usage(): Promise<number> {
    let n = 0;
    for (const l of this.layers.list()) n += l.size;
    for (const d of await this.content.list()) n += await this.content.size(d).catch(() => 0);
    return n;
  }

  /**
   * Mark and sweep: layers not in any image's chain and blobs that are no
   * image's config or manifest and no live layer's source are deleted.
   * Reference counts are derived, never stored, so they cannot drift.
   */
  async gc(): Promise<{ layers: string[]; blobs: string[] }> {
    const liveLayers = new Set<string>();
    const liveBlobs = new Set<string>();
    for (const id of Object.keys(this.db.images)) {
      liveBlobs.add(id);
      const m = this.db.images[id];
      if (m.manifestDigest) liveBlobs.add(m.manifestDigest);
      for (const d of m.repoDigests) liveBlobs.add(d.slice(d.indexOf('@') + 1));
      try {
        for (const c of chainIds(this.loadConfig(id).rootfs.diff_ids)) liveLayers.add(c);
      } catch {
        /* unreadable config: its layers are swept */
      }
    }
    const freedLayers: string[] = [];
    for (const l of this.layers.list()) {
      if (liveLayers.has(l.chainId) || this.pins.has(l.chainId)) {
        if (l.blob) liveBlobs.add(l.blob.digest);
        continue;
      }
      await this.layers.remove(l.chainId);
      freedLayers.push(l.chainId);
    }
    const freedBlobs: string[] = [];
    for (const d of await this.content.list()) {
      if (liveBlobs.has(d) || this.pins.has(d)) continue;
      await this.content.delete(d);
      freedBlobs.push(d);
    }
    return { layers: freedLayers, blobs: freedBlobs };
  }

  /** `docker load`: a `docker save` tar or an OCI image-layout archive (plain or gzip/zstd compressed). */
  async load(tarStream: Readable, onProgress?: (ev: PullProgress) => void): Promise<ImageRecord[]> {
    const ids = await loadArchive(this, tarStream, onProgress);
    return ids.map((id) => this.record(id));
  }

  /** `docker save`: writes the images named by `refs` as one archive (docker save + OCI layout in one). */
  async save(refs: string[], out: Writable): Promise<void> {
    // As `docker save`: `name:tag` saves that name, a bare `name` every tag of
    // that repository, an id the image without names. One entry per image.
    const byId = new Map<string, { id: string; tags: string[]; manifestDigest?: string }>();
    const add = (id: string, tags: string[]) => {
      const item = byId.get(id) ?? { id, tags: [], manifestDigest: this.db.images[id].manifestDigest };
      for (const t of tags) if (!item.tags.includes(t)) item.tags.push(t);
      byId.set(id, item);
    };
    for (const r of refs) {
      const id = this.mustResolve(r);
      const key = safeTagKey(r);
      if (!key || !this.db.tags[key]) {
        add(id, []);
        continue;
      }
      const bare = !/:[^/]+$/.test(r);
      if (bare) {
        const repo = key.slice(0, key.lastIndexOf(':'));
        for (const [t, tid] of Object.entries(this.db.tags)) if (t.slice(0, t.lastIndexOf(':')) === repo) add(tid, [t]);
      } else {
        add(id, [key]);
      }
    }
    await saveArchive(this, [...byId.values()], out);
  }

  /** `docker import`: a rootfs tar (plain or compressed) as a one-layer image. */
  async importRootfs(tarStream: Readable, opts: ImportOptions = {}): Promise<ImageRecord> {
    const id = await importRootfs(this, tarStream, opts);
    return this.record(id);
  }

  /**
   * Unpacked layer dirs of the image, lowest first. For overlay, lowerdir =
   * reversed, joined by ':'. The paths are the short links
   * `<root>/images/l/<16 hex>` (symlinks to `layers/<chain id>/diff`), so
   * relative to <root> each costs 26 bytes of the one-page mount options.
   */
  async rootfsLayers(imageId: string): Promise<string[]> {
    const id = this.mustResolve(imageId);
    const chain = chainIds(this.loadConfig(id).rootfs.diff_ids);
    return chain.map((c) => {
      if (!this.layers.has(c)) throw new InvalidImageError(`image ${id.slice(7, 19)}: layer ${c} is missing from the store; pull or load the image again`);
      return this.layers.shortLink(c);
    });
  }

  /**
   * `docker history`: the config's history, newest first, each non-empty
   * entry sized by its unpacked layer. Only the newest entry carries the
   * image id; the others read `<missing>` as with a pulled image on dockerd.
   */
  history(imageId: string): ImageHistoryEntry[] {
    const id = this.mustResolve(imageId);
    const cfg = this.loadConfig(id);
    const chain = chainIds(cfg.rootfs.diff_ids);
    const entries = cfg.history && cfg.history.length > 0 ? cfg.history : chain.map(() => ({}) as NonNullable<typeof cfg.history>[number]);
    let layer = 0;
    const out: ImageHistoryEntry[] = entries.map((h) => {
      const size = h.empty_layer ? 0 : (this.layers.get(chain[layer++] ?? '')?.size ?? 0);
      return {
        Id: '<missing>',
        Created: h.created ? Math.floor(Date.parse(h.created) / 1000) : 0,
        CreatedBy: h.created_by ?? '',
        Tags: null,
        Size: size,
        Comment: h.comment ?? '',
      };
    });
    out.reverse();
    if (out.length > 0) { out[0].Id = id; out[0].Tags = this.tagsOf(id).length > 0 ? this.tagsOf(id) : null; }
    return out;
  }

  /** The image's container config (Env, Cmd, Entrypoint, WorkingDir, User, ExposedPorts, Volumes, Labels, Healthcheck, StopSignal). */
  config(imageId: string): ImageConfig {
    const id = this.mustResolve(imageId);
    return { ...(this.loadConfig(id).config ?? {}) };
  }

  /** @internal tags of an image (familiar). */
  tagsOf(id: string): string[] {
    return Object.keys(this.db.tags).filter((t) => this.db.tags[t] === id);
  }

  /** @internal */ hasImage(id: string): boolean {
    return !!this.db.images[id];
  }
}

function safeTagKey(r: string): string | undefined {
  try {
    const ref = parseReference(r);
    return ref.digest ? undefined : tagKey(ref);
  } catch {
    return undefined;
  }
}

function isDigestRef(r: string, meta: ImageMeta | undefined): boolean {
  if (!r.includes('@') || !meta) return false;
  try {
    const ref = parseReference(r);
    return !!ref.digest && meta.repoDigests.includes(digestKey(ref.name, ref.digest));
  } catch {
    return false;
  }
}

function labelMatches(labels: Record<string, string>, filter: string): boolean {
  const i = filter.indexOf('=');
  if (i === -1) return filter in labels;
  return labels[filter.slice(0, i)] === filter.slice(i + 1);
}

/** Docker's `until`: unix seconds, RFC 3339, or a Go-ish duration (`24h`, `90m`). */
function parseUntil(v: string): number {
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v) * 1000;
  const dur = /^(\d+)(h|m|s)$/.exec(v);
  if (dur) return Date.now() - Number(dur[1]) * (dur[2] === 'h' ? 3600_000 : dur[2] === 'm' ? 60_000 : 1000);
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw new InvalidReferenceError(`invalid until filter "${v}"`);
  return t;
}

export { familiarName };
