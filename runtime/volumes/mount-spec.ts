// The Docker mount request shapes (`HostConfig.Mounts` entries, and `Binds`
// strings turned into the same shape) and their validation, with dockerd's
// error texts. Pure.

import { posix } from 'node:path';
import { InvalidVolumeConfigError } from './errors.js';

/** `HostConfig.Mounts[]` as the API sends it (a superset of the client's MountSpec). */
export interface MountRequest {
  Type: string;
  Source?: string;
  Target: string;
  ReadOnly?: boolean;
  Consistency?: string;
  BindOptions?: { Propagation?: string; NonRecursive?: boolean; CreateMountpoint?: boolean } | null;
  VolumeOptions?: {
    NoCopy?: boolean; Labels?: Record<string, string> | null; Subpath?: string;
    DriverConfig?: { Name?: string; Options?: Record<string, string> | null } | null;
  } | null;
  TmpfsOptions?: { SizeBytes?: number; Mode?: number; Options?: string[][] | null } | null;
}

export const PROPAGATIONS = ['private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave'];
const RW_MODES = ['ro', 'rw'];
const LABEL_MODES = ['z', 'Z'];
const COPY_MODES = ['nocopy'];
const CONSISTENCY_MODES = ['consistent', 'cached', 'delegated'];

/** Docker's rule for the mode part of `src:dst:mode`: known words, at most one of each kind. */
export function validMountMode(mode: string): boolean {
  if (mode === '') return true;
  const counts = [0, 0, 0, 0, 0];
  for (const o of mode.split(',')) {
    const kind = RW_MODES.includes(o) ? 0 : LABEL_MODES.includes(o) ? 1 : PROPAGATIONS.includes(o) ? 2 : COPY_MODES.includes(o) ? 3 : CONSISTENCY_MODES.includes(o) ? 4 : -1;
    if (kind < 0) return false;
    counts[kind]++;
  }
  return counts.every((c) => c <= 1);
}

export function modeIsReadWrite(mode: string): boolean {
  return validMountMode(mode) && !mode.split(',').includes('ro');
}

export class MountConfigError extends InvalidVolumeConfigError {}

function mountConfigError(type: string, detail: string): MountConfigError {
  return new MountConfigError(`invalid mount config for type "${type}": ${detail}`);
}

function absoluteError(p: string): string {
  return `invalid mount path: '${p}' mount path must be absolute`;
}

/**
 * dockerd's validateMountConfig. `checkBindSource` is false for Binds (a
 * missing host path is created there) and true for Mounts.
 */
export function validateMountRequest(m: MountRequest, checkBindSource: boolean, exists: (p: string) => boolean): void {
  const t = m.Type;
  if (t !== 'bind' && m.BindOptions) throw mountConfigError(t, 'field BindOptions must not be specified');
  if (t !== 'volume' && m.VolumeOptions) throw mountConfigError(t, 'field VolumeOptions must not be specified');
  if (t !== 'tmpfs' && m.TmpfsOptions) throw mountConfigError(t, 'field TmpfsOptions must not be specified');
  if (!m.Target) throw mountConfigError(t, 'field Target must not be empty');
  if (posix.normalize(m.Target) === '/' || posix.normalize(m.Target) === '//') throw mountConfigError(t, "invalid specification: destination can't be '/'");
  if (!posix.isAbsolute(m.Target)) throw mountConfigError(t, absoluteError(m.Target));
  switch (t) {
    case 'bind': {
      if (!m.Source) throw mountConfigError(t, 'field Source must not be empty');
      const prop = m.BindOptions?.Propagation;
      if (prop && !PROPAGATIONS.includes(prop)) throw mountConfigError(t, `invalid propagation mode: ${prop}`);
      if (!posix.isAbsolute(m.Source)) throw mountConfigError(t, absoluteError(m.Source));
      if (checkBindSource && !m.BindOptions?.CreateMountpoint && !exists(m.Source)) {
        throw mountConfigError(t, `bind source path does not exist: ${m.Source}`);
      }
      return;
    }
    case 'volume': {
      const sub = m.VolumeOptions?.Subpath;
      if (sub) {
        if (!m.Source) throw mountConfigError(t, 'must not set Subpath when using anonymous volumes');
        if (!isLocalPath(sub)) throw mountConfigError(t, 'subpath must be a relative path within the volume');
      }
      return;
    }
    case 'tmpfs': {
      if (m.Source) throw mountConfigError(t, 'field Source must not be specified');
      tmpfsDataOf(m.TmpfsOptions ?? undefined, !!m.ReadOnly);
      return;
    }
    default:
      throw mountConfigError(t, 'mount type unknown');
  }
}

/** Go's filepath.IsLocal: relative, not empty, never climbing out with `..`. */
export function isLocalPath(p: string): boolean {
  if (p === '' || posix.isAbsolute(p)) return false;
  const n = posix.normalize(p);
  return n !== '..' && !n.startsWith('../');
}

/** TmpfsOptions → the data string Docker builds: ro, mode=<octal>, size=<n>[kmg], exec/noexec. */
export function tmpfsDataOf(opt: MountRequest['TmpfsOptions'] | undefined, readOnly: boolean): string {
  const raw: string[] = [];
  if (readOnly) raw.push('ro');
  if (opt?.Mode) raw.push(`mode=${opt.Mode.toString(8)}`);
  if (opt?.SizeBytes) {
    let size = opt.SizeBytes;
    let suffix = '';
    for (const [s, d] of [['g', 2 ** 30], ['m', 2 ** 20], ['k', 2 ** 10]] as const) {
      if (size % d === 0) { size /= d; suffix = s; break; }
    }
    raw.push(`size=${size}${suffix}`);
  }
  for (const o of opt?.Options ?? []) {
    if (o.length < 1 || o.length > 2) throw new MountConfigError('invalid mount config for type "tmpfs": invalid option array length');
    if (o[0] !== 'exec' && o[0] !== 'noexec') throw new MountConfigError(`invalid mount config for type "tmpfs": invalid option: ${o[0]}`);
    raw.push(o.length === 1 ? o[0] : `${o[0]}=${o[1]}`);
  }
  return raw.join(',');
}

export interface ParsedBind {
  /** The request in the Mounts shape (type bind or volume; no Source for `-v /dst`). */
  spec: MountRequest;
  /** The mode part as written (`ro,z`), shown in inspect. */
  mode: string;
  copyData: boolean;
}

/** `HostConfig.Binds` entry: `dst`, `src:dst` or `src:dst:mode`. dockerd's ParseMountRaw. */
export function parseBind(raw: string): ParsedBind {
  const invalid = (): InvalidVolumeConfigError => new InvalidVolumeConfigError(`invalid volume specification: '${raw}'`);
  const arr = raw.split(':');
  if (arr[0] === '') throw invalid();
  let source = '';
  let target: string;
  let mode = '';
  if (arr.length === 1) target = arr[0];
  else if (arr.length === 2) {
    // `/foo:rw` is a destination with a mode: volumes cannot take one without a source.
    if (validMountMode(arr[1])) throw invalid();
    [source, target] = arr;
  } else if (arr.length === 3) [source, target, mode] = arr;
  else throw invalid();
  if (!validMountMode(mode)) throw new InvalidVolumeConfigError(`invalid mode: ${mode}`);
  const words = mode ? mode.split(',') : [];
  const spec: MountRequest = { Type: posix.isAbsolute(source) ? 'bind' : 'volume', Target: target, ReadOnly: !modeIsReadWrite(mode) };
  if (source) spec.Source = source;
  const nocopy = words.includes('nocopy');
  if (nocopy) spec.VolumeOptions = { NoCopy: true };
  const prop = words.find((w) => PROPAGATIONS.includes(w));
  if (prop) spec.BindOptions = { Propagation: prop };
  try {
    validateMountRequest(spec, false, () => true);
  } catch (err) {
    throw new InvalidVolumeConfigError(`invalid volume specification: '${raw}': ${(err as Error).message}`);
  }
  return { spec, mode, copyData: !nocopy };
}

/** `HostConfig.VolumesFrom` entry: `container[:ro|rw]`. */
export function parseVolumesFrom(raw: string): { container: string; mode: string } {
  if (raw === '') throw new InvalidVolumeConfigError('volumes-from specification cannot be an empty string');
  const i = raw.indexOf(':');
  const container = i < 0 ? raw : raw.slice(0, i);
  const mode = i < 0 ? '' : raw.slice(i + 1);
  if (mode === '') return { container, mode: 'rw' };
  const words = mode.split(',');
  // Propagation and copy modes come from the original mount, never from here.
  if (!validMountMode(mode) || words.some((w) => PROPAGATIONS.includes(w) || COPY_MODES.includes(w))) {
    throw new InvalidVolumeConfigError(`invalid mode: ${mode}`);
  }
  return { container, mode };
}

const TMPFS_FLAG_PAIRS: Array<[string, string]> = [
  ['ro', 'rw'], ['exec', 'noexec'], ['suid', 'nosuid'], ['dev', 'nodev'], ['sync', 'async'], ['atime', 'noatime'],
  ['diratime', 'nodiratime'], ['relatime', 'norelatime'], ['strictatime', 'nostrictatime'], ['mand', 'nomand'],
  ['dirsync', 'nodirsync'], ['iversion', 'noiversion'], ['lazytime', 'nolazytime'],
];
const TMPFS_DATA_KEYS = ['size', 'mode', 'uid', 'gid', 'nr_inodes', 'nr_blocks', 'mpol', 'huge', 'inode64', 'noswap'];
const SINGLE_FLAGS = [...PROPAGATIONS, 'remount', 'bind', 'rbind', 'unbindable', 'runbindable', 'defaults', 'inode64', 'noswap'];

/** dockerd's MergeTmpfsOptions: the last of a flag and its inverse wins; the last `key=value` of a key wins. */
export function mergeTmpfsOptions(options: readonly string[]): string[] {
  const out: string[] = [];
  const seenFlags = new Set<string>();
  const seenData = new Set<string>();
  for (let i = options.length - 1; i >= 0; i--) {
    const o = options[i];
    if (o === 'defaults' || o === '') continue;
    const pair = TMPFS_FLAG_PAIRS.find(([a, b]) => a === o || b === o);
    if (pair) {
      if (seenFlags.has(pair[0])) continue;
      seenFlags.add(pair[0]);
      out.push(o);
      continue;
    }
    if (SINGLE_FLAGS.includes(o)) {
      const group = PROPAGATIONS.includes(o) ? 'propagation' : o;
      if (seenFlags.has(group)) continue;
      seenFlags.add(group);
      out.push(o);
      continue;
    }
    const eq = o.indexOf('=');
    const key = eq < 0 ? o : o.slice(0, eq);
    if (eq < 0 || !TMPFS_DATA_KEYS.includes(key)) throw new InvalidVolumeConfigError(`invalid tmpfs option ["${o}"]`);
    if (seenData.has(key)) continue;
    seenData.add(key);
    out.push(o);
  }
  return out.reverse();
}
