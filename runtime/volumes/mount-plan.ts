// planMounts: from a container create request (Binds, Mounts, Tmpfs,
// VolumesFrom, ShmSize) and the image's VOLUME entries, the mounts the
// container gets — as OCI runtime-spec mounts, as Docker's inspect `Mounts`,
// and as the volumes to create or reference. Pure: facts about the host (does
// a bind source exist, another container's mounts, where a volume lives) come
// in through `MountPlanEnv`.
//
// Precedence is dockerd's: mounts inherited with VolumesFrom are overridden
// by Binds, then by Mounts; two Binds, a Bind and a Mount, or a Tmpfs entry
// and either on one path is an error; image VOLUMEs only fill paths nothing
// else mounts.

import { posix } from 'node:path';
import {
  mergeTmpfsOptions, parseBind, parseVolumesFrom, tmpfsDataOf, validateMountRequest, type MountRequest,
} from './mount-spec.js';
import { InvalidVolumeConfigError } from './errors.js';
import { randomVolumeName, validateVolumeName } from './names.js';

/** Docker's inspect `Mounts[]` entry. */
export interface InspectMount {
  Type: 'bind' | 'volume' | 'tmpfs';
  Name?: string;
  Source: string;
  Destination: string;
  Driver?: string;
  Mode: string;
  RW: boolean;
  Propagation: string;
}

export interface OciMount { destination: string; type: string; source: string; options: string[] }

export interface PlannedMount {
  type: 'bind' | 'volume' | 'tmpfs';
  destination: string;
  /** Host path for bind and volume (the volume's `_data`, plus Subpath); `tmpfs` for tmpfs. */
  source: string;
  readOnly: boolean;
  /** Bind propagation; '' for volumes (left to the runtime's default). */
  propagation: string;
  nonRecursive: boolean;
  volumeName?: string;
  /** Fill a volume from the image's content at `destination` when it is empty (Docker's copy-up). */
  copyUp: boolean;
  subpath?: string;
  /** Create a missing bind source at start (Binds and Mounts with CreateMountpoint). */
  createHostPath: boolean;
  /** Merged tmpfs options (flags and data). */
  tmpfsOptions?: string[];
  /** Where the mount came from: 'binds' | 'mounts' | 'tmpfs' | 'volumes-from' | 'image' | 'shm'. */
  origin: 'binds' | 'mounts' | 'tmpfs' | 'volumes-from' | 'image' | 'shm';
  /** Shown in inspect (HostConfig.Tmpfs and /dev/shm are not, like Docker). */
  inspect?: InspectMount;
}

export interface VolumeUse {
  name: string;
  anonymous: boolean;
  /** false for volumes inherited with VolumesFrom: they must exist already. */
  create: boolean;
  labels?: Record<string, string>;
  driverOpts?: Record<string, string>;
  driver?: string;
}

export interface MountPlan {
  /** Parents before children (fewest path components first), stable otherwise. */
  mounts: PlannedMount[];
  volumes: VolumeUse[];
  /** The user mounts of config.json, in mount order; they replace default mounts on the same path. */
  oci: OciMount[];
  /** inspect `Mounts`, sorted by destination. */
  inspect: InspectMount[];
  /** Set when a bind asks for shared or slave propagation: the rootfs must propagate too. */
  rootfsPropagation?: 'shared' | 'rslave';
}

export interface MountPlanInput {
  hostConfig: {
    Binds?: string[] | null;
    Mounts?: MountRequest[] | null;
    Tmpfs?: Record<string, string> | null;
    VolumesFrom?: string[] | null;
    ShmSize?: number | null;
    VolumeDriver?: string;
    IpcMode?: string;
  };
  /** `Config.Volumes` of the request merged with the image's. */
  imageVolumes?: Record<string, unknown> | null;
}

export interface MountPlanEnv {
  /** The host folder of a volume (VolumeStore.path). */
  volumePath(name: string): string;
  /** Names for anonymous volumes; random 64-hex by default. */
  newVolumeName?: () => string;
  /** Inspect `Mounts` of another container and its id (VolumesFrom); throws (404) when there is none. */
  containerMounts?: (ref: string) => { id: string; mounts: readonly InspectMount[] };
  /** Whether a host path exists (Mounts of type bind without CreateMountpoint must). */
  hostPathExists(path: string): boolean;
}

export const DEFAULT_SHM_SIZE = 64 * 1024 * 1024;
const TMPFS_DEFAULTS = ['noexec', 'nosuid', 'nodev', 'rprivate'];

function depth(p: string): number { return p.split('/').filter(Boolean).length; }
const clean = (p: string): string => posix.normalize(p).replace(/(.)\/$/, '$1');

function duplicate(dest: string): InvalidVolumeConfigError {
  return new InvalidVolumeConfigError(`Duplicate mount point: ${dest}`);
}

export function planMounts(input: MountPlanInput, env: MountPlanEnv): MountPlan {
  const hc = input.hostConfig;
  const newName = env.newVolumeName ?? randomVolumeName;
  const byDest = new Map<string, PlannedMount>();
  const explicit = new Set<string>();
  const volumes = new Map<string, VolumeUse>();
  const driver = hc.VolumeDriver || undefined;

  const tmpfsDests = new Set<string>();
  for (const dest of Object.keys(hc.Tmpfs ?? {})) {
    if (!posix.isAbsolute(dest)) throw new InvalidVolumeConfigError(`invalid mount path: '${dest}' mount path must be absolute`);
    if (clean(dest) === '/') throw new InvalidVolumeConfigError("invalid specification: destination can't be '/'");
    tmpfsDests.add(clean(dest));
  }

  const addVolume = (use: VolumeUse): void => {
    const known = volumes.get(use.name);
    if (!known) volumes.set(use.name, use);
    else if (use.create && !known.create) volumes.set(use.name, use);
  };

  // 1. VolumesFrom: overridable by everything after.
  for (const raw of hc.VolumesFrom ?? []) {
    const { container, mode } = parseVolumesFrom(raw);
    if (!env.containerMounts) throw new InvalidVolumeConfigError(`volumes_from ${container}: this engine cannot look up other containers' mounts here`);
    const other = env.containerMounts(container);
    const rw = !mode.split(',').includes('ro');
    for (const m of other.mounts) {
      // A tmpfs lives and dies with its container: there is nothing to share.
      if (m.Type === 'tmpfs') continue;
      const dest = clean(m.Destination);
      const isVolume = m.Type === 'volume' && !!m.Name;
      const pm: PlannedMount = {
        type: isVolume ? 'volume' : 'bind', destination: dest, source: isVolume ? env.volumePath(m.Name!) : m.Source,
        readOnly: !(m.RW && rw), propagation: m.Propagation || (isVolume ? '' : 'rprivate'), nonRecursive: false,
        copyUp: false, createHostPath: false, origin: 'volumes-from',
        inspect: { ...m, Destination: dest, RW: m.RW && rw, ...(isVolume ? { Source: env.volumePath(m.Name!) } : {}) },
      };
      if (isVolume) { pm.volumeName = m.Name; addVolume({ name: m.Name!, anonymous: false, create: false }); }
      byDest.set(dest, pm);
    }
  }

  const volumeMount = (spec: MountRequest, origin: 'binds' | 'mounts', mode: string, copyData: boolean): PlannedMount => {
    const anonymous = !spec.Source;
    const name = spec.Source || newName();
    if (!anonymous) validateVolumeName(name);
    const opts = spec.VolumeOptions ?? undefined;
    const specDriver = opts?.DriverConfig?.Name || driver;
    addVolume({
      name, anonymous, create: true,
      ...(opts?.Labels && Object.keys(opts.Labels).length ? { labels: { ...opts.Labels } } : {}),
      ...(opts?.DriverConfig?.Options && Object.keys(opts.DriverConfig.Options).length ? { driverOpts: { ...opts.DriverConfig.Options } } : {}),
      ...(specDriver ? { driver: specDriver } : {}),
    });
    const sub = opts?.Subpath;
    const base = env.volumePath(name);
    const dest = clean(spec.Target);
    return {
      type: 'volume', destination: dest, source: sub ? posix.join(base, sub) : base, readOnly: !!spec.ReadOnly, propagation: '',
      nonRecursive: false, volumeName: name, copyUp: copyData && !sub, ...(sub ? { subpath: posix.normalize(sub) } : {}), createHostPath: false, origin,
      inspect: { Type: 'volume', Name: name, Source: base, Destination: dest, Driver: specDriver ?? 'local', Mode: mode || 'z', RW: !spec.ReadOnly, Propagation: '' },
    };
  };

  // 2. Binds.
  const bindDests = new Set<string>();
  for (const raw of hc.Binds ?? []) {
    const { spec, mode, copyData } = parseBind(raw);
    const dest = clean(spec.Target);
    if (bindDests.has(dest) || tmpfsDests.has(dest)) throw duplicate(dest);
    bindDests.add(dest);
    let pm: PlannedMount;
    if (spec.Type === 'volume') pm = volumeMount(spec, 'binds', mode, copyData);
    else {
      const source = clean(spec.Source!);
      const propagation = spec.BindOptions?.Propagation || 'rprivate';
      pm = {
        type: 'bind', destination: dest, source, readOnly: !!spec.ReadOnly, propagation, nonRecursive: false, copyUp: false,
        createHostPath: true, origin: 'binds',
        inspect: { Type: 'bind', Source: source, Destination: dest, Mode: mode, RW: !spec.ReadOnly, Propagation: propagation },
      };
    }
    byDest.set(dest, pm);
    explicit.add(dest);
  }

  // 3. Mounts.
  for (const spec of hc.Mounts ?? []) {
    validateMountRequest(spec, true, env.hostPathExists);
    const dest = clean(spec.Target);
    if (bindDests.has(dest) || tmpfsDests.has(dest)) throw duplicate(spec.Target);
    bindDests.add(dest);
    let pm: PlannedMount;
    if (spec.Type === 'volume') pm = volumeMount(spec, 'mounts', '', !spec.VolumeOptions?.NoCopy);
    else if (spec.Type === 'bind') {
      const source = clean(spec.Source!);
      const propagation = spec.BindOptions?.Propagation || 'rprivate';
      pm = {
        type: 'bind', destination: dest, source, readOnly: !!spec.ReadOnly, propagation, nonRecursive: !!spec.BindOptions?.NonRecursive,
        copyUp: false, createHostPath: !!spec.BindOptions?.CreateMountpoint, origin: 'mounts',
        inspect: { Type: 'bind', Source: source, Destination: dest, Mode: '', RW: !spec.ReadOnly, Propagation: propagation },
      };
    } else {
      const data = tmpfsDataOf(spec.TmpfsOptions ?? undefined, !!spec.ReadOnly);
      pm = {
        type: 'tmpfs', destination: dest, source: 'tmpfs', readOnly: !!spec.ReadOnly, propagation: '', nonRecursive: false, copyUp: false,
        createHostPath: false, origin: 'mounts', tmpfsOptions: mergeTmpfsOptions([...TMPFS_DEFAULTS, ...(data ? data.split(',') : [])]),
        inspect: { Type: 'tmpfs', Source: '', Destination: dest, Mode: '', RW: !spec.ReadOnly, Propagation: '' },
      };
    }
    byDest.set(dest, pm);
    explicit.add(dest);
  }

  // 4. Tmpfs.
  for (const [rawDest, data] of Object.entries(hc.Tmpfs ?? {})) {
    const dest = clean(rawDest);
    const options = mergeTmpfsOptions([...TMPFS_DEFAULTS, ...(data ? data.split(',').map((s) => s.trim()) : [])]);
    byDest.set(dest, {
      type: 'tmpfs', destination: dest, source: 'tmpfs', readOnly: options.includes('ro'), propagation: '', nonRecursive: false,
      copyUp: false, createHostPath: false, origin: 'tmpfs', tmpfsOptions: options,
    });
    explicit.add(dest);
  }

  // 5. Image VOLUMEs: anonymous volumes where nothing else mounts.
  for (const rawDest of Object.keys(input.imageVolumes ?? {})) {
    const dest = clean(rawDest);
    if (!posix.isAbsolute(dest)) throw new InvalidVolumeConfigError(`invalid mount path: '${rawDest}' mount path must be absolute`);
    if (byDest.has(dest)) continue;
    const name = newName();
    addVolume({ name, anonymous: true, create: true, ...(driver ? { driver } : {}) });
    const source = env.volumePath(name);
    byDest.set(dest, {
      type: 'volume', destination: dest, source, readOnly: false, propagation: '', nonRecursive: false, volumeName: name, copyUp: true,
      createHostPath: false, origin: 'image',
      inspect: { Type: 'volume', Name: name, Source: source, Destination: dest, Driver: driver ?? 'local', Mode: '', RW: true, Propagation: '' },
    });
  }

  // 6. /dev/shm at ShmSize, unless the request mounts something there (or there is no IPC namespace to hold one).
  if (!byDest.has('/dev/shm') && hc.IpcMode !== 'none' && hc.IpcMode !== 'host') {
    const size = hc.ShmSize && hc.ShmSize > 0 ? hc.ShmSize : DEFAULT_SHM_SIZE;
    byDest.set('/dev/shm', {
      type: 'tmpfs', destination: '/dev/shm', source: 'shm', readOnly: false, propagation: '', nonRecursive: false, copyUp: false,
      createHostPath: false, origin: 'shm', tmpfsOptions: ['nosuid', 'noexec', 'nodev', 'mode=1777', `size=${size}`],
    });
  }

  const mounts = [...byDest.values()].sort((a, b) => depth(a.destination) - depth(b.destination));
  // Volumes inherited and then overridden are not used.
  const used = new Set(mounts.map((m) => m.volumeName).filter((n): n is string => !!n));
  let rootfsPropagation: MountPlan['rootfsPropagation'];
  for (const m of mounts) {
    if (m.type !== 'bind') continue;
    if (m.propagation === 'shared' || m.propagation === 'rshared') rootfsPropagation = 'shared';
    else if ((m.propagation === 'slave' || m.propagation === 'rslave') && !rootfsPropagation) rootfsPropagation = 'rslave';
  }
  const plan: MountPlan = {
    mounts,
    volumes: [...volumes.values()].filter((v) => used.has(v.name)),
    oci: mounts.map(toOciMount),
    inspect: mounts.filter((m) => m.inspect).map((m) => m.inspect!).sort((a, b) => a.Destination.localeCompare(b.Destination)),
  };
  if (rootfsPropagation) plan.rootfsPropagation = rootfsPropagation;
  return plan;
}

/** dockerd's conversion: bind/volume → a bind (`rbind` unless NonRecursive), `ro`, then propagation when set. */
export function toOciMount(m: PlannedMount): OciMount {
  if (m.type === 'tmpfs') return { destination: m.destination, type: 'tmpfs', source: m.source, options: [...(m.tmpfsOptions ?? [])] };
  const options = [m.nonRecursive ? 'bind' : 'rbind'];
  if (m.readOnly) options.push('ro');
  if (m.propagation) options.push(m.propagation);
  return { destination: m.destination, type: 'bind', source: m.source, options };
}
