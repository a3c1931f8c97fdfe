// VolumeStore: the named volumes of one engine, Docker's `local` driver.
//
// On disk, one folder per volume:
//   <root>/volumes/<name>/volume.json   metadata (written temp + fsync + rename)
//   <root>/volumes/<name>/_data         the content (Mountpoint), bound into containers
// A volume is born whole: its folder is built under a dot-name and renamed
// into place, so a crash never leaves half a volume, and two engines (or two
// `up`s) creating the same name at once both end with the one volume.
// The view is rebuilt from disk by `open()`.
//
// Two kinds of use are tracked, as Docker does:
//   references  containers created with the volume (`volume rm` is refused
//               while any remain) — from container create to container remove;
//   mounts      containers running with it — from start to stop. A volume with
//               driver_opts (tmpfs, bind) has its filesystem on `_data` only
//               while it has at least one mount.
// Both are persisted, so a restarted engine keeps refusing to remove a volume
// in use and does not unmount under a running container.

import { closeSync, fsyncSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { parseDriverOpts, type VolumeBacking } from './driver-opts.js';
import {
  InvalidVolumeConfigError, VolumeConflictError, VolumeDriverNotFoundError, VolumeInUseError, VolumeMountError, VolumeNotFoundError,
} from './errors.js';
import { kernelMountHost, type MountHost } from './host-mount.js';
import { ANONYMOUS_LABEL, randomVolumeName, validateVolumeName } from './names.js';

export interface VolumeCreateOptions {
  /** Empty or missing: an anonymous volume with a random 64-hex name. */
  Name?: string;
  Driver?: string;
  DriverOpts?: Record<string, string> | null;
  Labels?: Record<string, string> | null;
  /** A name chosen by the engine for an anonymous volume (image VOLUME, `-v /dst`): labelled anonymous all the same. */
  Anonymous?: boolean;
}

/** Docker's volume object (`GET /volumes/{name}`). */
export interface Volume {
  Name: string;
  Driver: string;
  Mountpoint: string;
  CreatedAt: string;
  Labels: Record<string, string> | null;
  Scope: 'local';
  Options: Record<string, string> | null;
  /** Only when asked (system df, `inspect(name, { usage: true })`); -1 where unknown. */
  UsageData?: { Size: number; RefCount: number };
}

export type VolumeFilters = Record<string, string[]>;

interface VolumeRecord {
  Name: string;
  Driver: string;
  CreatedAt: string;
  Labels: Record<string, string>;
  Options: Record<string, string>;
  /** Container ids that reference the volume (created with it). */
  References: string[];
  /** Container ids running with it mounted. */
  Mounts: string[];
}

const METADATA = 'volume.json';
const LIST_FILTERS = new Set(['name', 'label', 'dangling', 'driver']);
const PRUNE_FILTERS = new Set(['label', 'label!', 'all']);

/** RFC 3339 to the second, as Docker shows CreatedAt. */
function nowRfc3339(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, 'Z');
}

function writeJsonAtomic(path: string, value: unknown): void {
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(3).toString('hex')}`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, JSON.stringify(value, null, 1) + '\n');
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

function fsyncDir(path: string): void {
  try {
    const fd = openSync(path, 'r');
    try { fsyncSync(fd); } finally { closeSync(fd); }
  } catch { /* best effort: some filesystems refuse fsync on directories */ }
}

/** `true|1|false|0` as Docker's filters read booleans. */
function filterBool(key: string, values: string[]): boolean {
  const v = values[values.length - 1] ?? '';
  if (/^(true|1)$/i.test(v)) return true;
  if (/^(false|0)$/i.test(v)) return false;
  throw new InvalidVolumeConfigError(`invalid filter '${key}=${v}'`);
}

/** `label=k` (has k) or `label=k=v`. */
function labelMatches(labels: Record<string, string>, term: string): boolean {
  const eq = term.indexOf('=');
  if (eq < 0) return term in labels;
  const k = term.slice(0, eq);
  return k in labels && labels[k] === term.slice(eq + 1);
}

/** Docker matches `name` as a regular expression (an exact name is one too). */
function nameMatches(name: string, term: string): boolean {
  if (name === term) return true;
  try { return new RegExp(term).test(name); } catch { return name.includes(term); }
}

/** Apparent size of a tree, each inode once, symlinks not followed. */
export function treeSize(path: string): number {
  const seen = new Set<string>();
  let total = 0;
  const walk = (p: string): void => {
    let st;
    try { st = lstatSync(p, { bigint: false }); } catch { return; }
    if (st.isDirectory()) {
      let names: string[];
      try { names = readdirSync(p); } catch { return; }
      for (const n of names) walk(join(p, n));
      return;
    }
    const key = `${st.dev}:${st.ino}`;
    if (seen.has(key)) return;
    seen.add(key);
    total += st.size;
  };
  walk(path);
  return total;
}

export type VolumeEventAction = 'create' | 'destroy' | 'mount' | 'unmount';

export interface VolumeStoreOptions {
  /** The engine's state root: volumes live in `<stateRoot>/volumes`. */
  stateRoot: string;
  mountHost?: MountHost;
  now?: () => string;
  /** Docker's volume events (`docker events --filter type=volume`). */
  emit?: (action: VolumeEventAction, volumeName: string, attributes: Record<string, string>) => void;
}

export class VolumeStore {
  private readonly byName = new Map<string, VolumeRecord>();
  private readonly locks = new Map<string, Promise<unknown>>();
  private readonly host: MountHost;
  private readonly now: () => string;
  private readonly emit: NonNullable<VolumeStoreOptions['emit']>;
  readonly root: string;

  private constructor(opts: VolumeStoreOptions) {
    this.root = join(opts.stateRoot, 'volumes');
    this.host = opts.mountHost ?? kernelMountHost;
    this.now = opts.now ?? nowRfc3339;
    this.emit = opts.emit ?? (() => {});
  }

  /** Opens (creating if needed) the store and rebuilds the view from disk. */
  static open(opts: VolumeStoreOptions): VolumeStore {
    const store = new VolumeStore(opts);
    store.load();
    return store;
  }

  private load(): void {
    mkdirSync(this.root, { recursive: true, mode: 0o701 });
    for (const entry of readdirSync(this.root)) {
      const dir = join(this.root, entry);
      // Leftovers of a create or remove cut short: never a volume.
      if (entry.startsWith('.')) {
        // Still mounted (a crash between unmount and rm cannot cause this, a hand-made mount can): leave it be.
        try { this.removeTree(dir); } catch { /* reported when it is next touched */ }
        continue;
      }
      let rec: VolumeRecord;
      try {
        rec = JSON.parse(readFileSync(join(dir, METADATA), 'utf8')) as VolumeRecord;
      } catch {
        // A volume folder without metadata (copied in by hand, or from an older layout): adopt it as a plain volume.
        try { if (!lstatSync(join(dir, '_data')).isDirectory()) continue; } catch { continue; }
        rec = { Name: entry, Driver: 'local', CreatedAt: this.now(), Labels: {}, Options: {}, References: [], Mounts: [] };
        writeJsonAtomic(join(dir, METADATA), rec);
      }
      rec.References ??= [];
      rec.Mounts ??= [];
      this.byName.set(rec.Name, rec);
    }
  }

  /** The folder bound into containers (`Mountpoint`). */
  path(name: string): string { return join(this.root, name, '_data'); }

  has(name: string): boolean { return this.byName.has(name); }

  private get(name: string, op = 'get'): VolumeRecord {
    const rec = this.byName.get(name);
    if (!rec) throw new VolumeNotFoundError(name, op);
    return rec;
  }

  private persist(rec: VolumeRecord): void {
    if (this.byName.get(rec.Name) !== rec) return;
    writeJsonAtomic(join(this.root, rec.Name, METADATA), rec);
  }

  private withLock<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(name) ?? Promise.resolve();
    const next = prev.catch(() => {}).then(fn);
    this.locks.set(name, next);
    void next.finally(() => { if (this.locks.get(name) === next) this.locks.delete(name); }).catch(() => {});
    return next;
  }

  private toVolume(rec: VolumeRecord, usage = false): Volume {
    const v: Volume = {
      Name: rec.Name,
      Driver: rec.Driver,
      Mountpoint: this.path(rec.Name),
      CreatedAt: rec.CreatedAt,
      Labels: Object.keys(rec.Labels).length ? { ...rec.Labels } : null,
      Scope: 'local',
      Options: Object.keys(rec.Options).length ? { ...rec.Options } : null,
    };
    if (usage) {
      // A volume with mount options is not really local (Docker skips their size too).
      const size = Object.keys(rec.Options).length ? -1 : treeSize(this.path(rec.Name));
      v.UsageData = { Size: size, RefCount: rec.References.length };
    }
    return v;
  }

  // ---- CRUD ----

  /**
   * `POST /volumes/create`. Idempotent: an existing name gives the existing
   * volume (Docker's behaviour), unless asked for another driver. With
   * `reference`, the container id is recorded as a user in the same step.
   */
  create(opts: VolumeCreateOptions = {}, reference?: string): Volume {
    const anonymous = !opts.Name || !!opts.Anonymous;
    const name = opts.Name || randomVolumeName();
    const driver = opts.Driver || 'local';
    const existing = this.byName.get(name);
    if (existing) {
      if (existing.Driver !== driver) throw new VolumeConflictError(`create ${name}: volume name must be unique`);
      if (reference) this.use(name, reference);
      return this.toVolume(existing);
    }
    validateVolumeName(name);
    if (driver !== 'local') {
      throw new VolumeDriverNotFoundError(`create ${name}: error looking up volume plugin ${driver}: plugin "${driver}" not found`);
    }
    parseDriverOpts(name, opts.DriverOpts);
    const labels: Record<string, string> = { ...(opts.Labels ?? {}) };
    if (anonymous) labels[ANONYMOUS_LABEL] = '';
    const rec: VolumeRecord = {
      Name: name, Driver: driver, CreatedAt: this.now(), Labels: labels, Options: { ...(opts.DriverOpts ?? {}) },
      References: reference ? [reference] : [], Mounts: [],
    };
    const building = join(this.root, `.new-${name}-${randomBytes(4).toString('hex')}`);
    try {
      mkdirSync(join(building, '_data'), { recursive: true, mode: 0o755 });
      writeJsonAtomic(join(building, METADATA), rec);
      renameSync(building, join(this.root, name));
      fsyncDir(this.root);
    } catch (err) {
      rmSync(building, { recursive: true, force: true });
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOTEMPTY' || code === 'EEXIST') {
        // Another engine created it between our check and the rename: adopt theirs.
        const theirs = JSON.parse(readFileSync(join(this.root, name, METADATA), 'utf8')) as VolumeRecord;
        this.byName.set(name, theirs);
        if (reference) this.use(name, reference);
        return this.toVolume(theirs);
      }
      throw new VolumeMountError(`create ${name}: ${(err as Error).message}`);
    }
    this.byName.set(name, rec);
    this.emit('create', name, { driver });
    return this.toVolume(rec);
  }

  inspect(name: string, opts: { usage?: boolean } = {}): Volume {
    return this.toVolume(this.get(name), opts.usage);
  }

  list(opts: { filters?: VolumeFilters; usage?: boolean } = {}): { Volumes: Volume[]; Warnings: string[] } {
    const f = opts.filters ?? {};
    for (const key of Object.keys(f)) if (!LIST_FILTERS.has(key)) throw new InvalidVolumeConfigError(`invalid filter '${key}'`);
    const dangling = f.dangling?.length ? filterBool('dangling', f.dangling) : undefined;
    const rows = [...this.byName.values()].filter((r) => {
      if (f.name?.length && !f.name.some((t) => nameMatches(r.Name, t))) return false;
      if (f.driver?.length && !f.driver.includes(r.Driver)) return false;
      if (f.label?.length && !f.label.every((t) => labelMatches(r.Labels, t))) return false;
      if (dangling !== undefined && (r.References.length === 0) !== dangling) return false;
      return true;
    });
    rows.sort((a, b) => a.Name.localeCompare(b.Name));
    return { Volumes: rows.map((r) => this.toVolume(r, opts.usage)), Warnings: [] };
  }

  /** `DELETE /volumes/{name}`: 409 while a container references it; `force` only forgives a missing volume. */
  async remove(name: string, opts: { force?: boolean } = {}): Promise<void> {
    if (!this.byName.has(name)) {
      if (opts.force) return;
      throw new VolumeNotFoundError(name, 'get');
    }
    await this.withLock(name, async () => {
      const rec = this.byName.get(name);
      if (!rec) return;
      if (rec.References.length) throw new VolumeInUseError(name, rec.References);
      const dir = join(this.root, name);
      // Never delete through a live mount: that would empty the bound host directory or a running tmpfs.
      if (this.host.isMounted(this.path(name))) {
        try {
          await this.host.unmount(this.path(name));
        } catch (err) {
          throw new VolumeMountError(`remove ${name}: unmount ${this.path(name)}: ${(err as Error).message}`);
        }
      }
      const doomed = join(this.root, `.rm-${name}-${randomBytes(4).toString('hex')}`);
      renameSync(dir, doomed);
      this.byName.delete(name);
      this.removeTree(doomed);
      this.emit('destroy', name, { driver: rec.Driver });
    });
  }

  private removeTree(dir: string): void {
    // rm must never walk through a live mount into a host folder or a running tmpfs.
    const data = join(dir, '_data');
    if (this.host.isMounted(data)) throw new VolumeMountError(`${data} is still mounted; unmount it before removing the volume`);
    rmSync(dir, { recursive: true, force: true });
  }

  /**
   * `POST /volumes/prune`: removes volumes no container references. Filters
   * `label`, `label!`, and `all`: without `all=true` only anonymous volumes go
   * (API 1.42+); the route adds `all=true` for clients older than 1.42, as
   * dockerd does.
   */
  async prune(opts: { filters?: VolumeFilters } = {}): Promise<{ VolumesDeleted: string[]; SpaceReclaimed: number }> {
    const f = opts.filters ?? {};
    for (const key of Object.keys(f)) if (!PRUNE_FILTERS.has(key)) throw new InvalidVolumeConfigError(`invalid filter '${key}'`);
    const all = f.all?.length ? filterBool('all', f.all) : false;
    const deleted: string[] = [];
    let reclaimed = 0;
    for (const rec of [...this.byName.values()]) {
      if (rec.References.length) continue;
      if (!all && !(ANONYMOUS_LABEL in rec.Labels)) continue;
      if (f.label?.length && !f.label.every((t) => labelMatches(rec.Labels, t))) continue;
      if (f['label!']?.length && f['label!'].some((t) => labelMatches(rec.Labels, t))) continue;
      const size = Object.keys(rec.Options).length ? 0 : treeSize(this.path(rec.Name));
      try {
        await this.remove(rec.Name);
      } catch (err) {
        if (err instanceof VolumeInUseError || err instanceof VolumeNotFoundError) continue;
        throw err;
      }
      deleted.push(rec.Name);
      reclaimed += size;
    }
    return { VolumesDeleted: deleted, SpaceReclaimed: reclaimed };
  }

  // ---- references (create → remove of a container) ----

  use(name: string, containerId: string): void {
    const rec = this.get(name);
    if (rec.References.includes(containerId)) return;
    rec.References.push(containerId);
    this.persist(rec);
  }

  release(name: string, containerId: string): void {
    const rec = this.byName.get(name);
    if (!rec || !rec.References.includes(containerId)) return;
    rec.References = rec.References.filter((id) => id !== containerId);
    this.persist(rec);
  }

  references(name: string): string[] { return [...this.get(name).References]; }

  /** Whether the volume was created without a name (removed with its container on `rm -v`). */
  isAnonymous(name: string): boolean { return ANONYMOUS_LABEL in this.get(name).Labels; }

  /**
   * Drops references and mounts of containers that no longer exist (the
   * engine died between removing a container and releasing its volumes).
   * The engine calls it once its containers are loaded.
   */
  async reconcile(liveContainerIds: ReadonlySet<string>, runningContainerIds: ReadonlySet<string> = liveContainerIds): Promise<void> {
    for (const rec of this.byName.values()) {
      const refs = rec.References.filter((id) => liveContainerIds.has(id));
      const mounts = rec.Mounts.filter((id) => runningContainerIds.has(id));
      if (refs.length === rec.References.length && mounts.length === rec.Mounts.length) continue;
      rec.References = refs;
      const before = rec.Mounts.length;
      rec.Mounts = mounts;
      this.persist(rec);
      if (before > 0 && mounts.length === 0) await this.withLock(rec.Name, () => this.unmountBacking(rec)).catch(() => {});
    }
  }

  // ---- mounts (start → stop of a container) ----

  /** The backing filesystem of a volume with driver_opts. */
  backing(name: string): VolumeBacking { return parseDriverOpts(name, this.get(name).Options); }

  /**
   * A container starts with the volume: its tmpfs or bind is mounted on
   * `_data` if not yet. Returns the host path to bind into the container.
   */
  mount(name: string, containerId: string): Promise<string> {
    return this.withLock(name, async () => {
      const rec = this.get(name);
      const data = this.path(name);
      const backing = parseDriverOpts(name, rec.Options);
      if (backing.kind !== 'plain' && !this.host.isMounted(data)) {
        try {
          if (backing.kind === 'tmpfs') await this.host.mount('tmpfs', data, 'tmpfs', backing.options);
          else await this.host.mount(backing.device, data, 'none', backing.options);
        } catch (err) {
          const what = backing.kind === 'tmpfs' ? 'tmpfs' : backing.device;
          throw new VolumeMountError(`error while mounting volume '${data}': failed to mount local volume: mount ${what}:${data}: ${(err as Error).message}`);
        }
      }
      if (!rec.Mounts.includes(containerId)) {
        rec.Mounts.push(containerId);
        this.persist(rec);
      }
      this.emit('mount', name, { driver: rec.Driver, container: containerId });
      return data;
    });
  }

  /** A container stopped: the last one out unmounts the tmpfs or bind. */
  unmount(name: string, containerId: string): Promise<void> {
    return this.withLock(name, async () => {
      const rec = this.byName.get(name);
      if (!rec) return;
      if (rec.Mounts.includes(containerId)) {
        rec.Mounts = rec.Mounts.filter((id) => id !== containerId);
        this.persist(rec);
        this.emit('unmount', name, { driver: rec.Driver, container: containerId });
      }
      if (rec.Mounts.length === 0) await this.unmountBacking(rec);
    });
  }

  private async unmountBacking(rec: VolumeRecord): Promise<void> {
    const data = this.path(rec.Name);
    if (parseDriverOpts(rec.Name, rec.Options).kind === 'plain' || !this.host.isMounted(data)) return;
    try {
      await this.host.unmount(data);
    } catch (err) {
      throw new VolumeMountError(`unmount volume ${rec.Name} (${data}): ${(err as Error).message}`);
    }
  }

  mountedBy(name: string): string[] { return [...this.get(name).Mounts]; }
}
