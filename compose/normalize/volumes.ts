// Service mounts to compose-go's long form. The short syntax
// `SOURCE:TARGET:OPTIONS` is a bind when SOURCE looks like a path (`.`, `/`,
// `~`), a named volume otherwise, and an anonymous volume without SOURCE.

import { posix } from 'node:path';
import { isDict, toBool, ValueError, type Dict } from './values.js';

const PROPAGATIONS = new Set(['rprivate', 'private', 'rshared', 'shared', 'rslave', 'slave']);
const SELINUX = new Set(['z', 'Z']);

export type Mount = Dict & { type: string; target: string; source?: string };

function looksLikePath(source: string): boolean {
  return source.startsWith('.') || source.startsWith('/') || source.startsWith('~') || source.startsWith('\\\\') || /^[a-zA-Z]:/.test(source);
}

/** Splits on ':' except inside `${...}` (left by --no-interpolate) and after a Windows drive letter. */
function splitSpec(spec: string): string[] {
  const parts: string[] = [];
  let current = '';
  let depth = 0;
  for (let i = 0; i < spec.length; i++) {
    const c = spec[i];
    if (c === '$' && spec[i + 1] === '{') depth++;
    if (c === '}' && depth > 0) depth--;
    if (c === ':' && depth === 0 && !(current.length === 1 && /[a-zA-Z]/.test(current) && parts.length === 0 && /[\\/]/.test(spec[i + 1] ?? ''))) {
      parts.push(current);
      current = '';
      continue;
    }
    current += c;
  }
  parts.push(current);
  return parts;
}

export function parseVolumeSpec(spec: string): Mount {
  if (spec === '') throw new ValueError('invalid empty volume spec');
  const parts = splitSpec(spec);
  if (parts.some((p) => p === '')) throw new ValueError(`invalid volume ${JSON.stringify(spec)}: empty section between colons`);
  if (parts.length > 3) throw new ValueError(`invalid volume ${JSON.stringify(spec)}: too many colons`);
  const mount: Mount = { type: 'volume', target: '' };
  if (parts.length === 1) {
    mount.target = parts[0];
  } else {
    mount.source = parts[0];
    mount.target = parts[1];
  }
  let bind: Dict | undefined;
  let volume: Dict | undefined;
  if (parts.length === 3) {
    for (const option of parts[2].split(',')) {
      if (option === 'ro') mount.read_only = true;
      else if (option === 'rw') mount.read_only = false;
      else if (option === 'nocopy') volume = { nocopy: true };
      else if (PROPAGATIONS.has(option)) (bind ??= {}).propagation = option;
      else if (SELINUX.has(option)) (bind ??= {}).selinux = option;
      // Unknown options are ignored, as docker compose does.
    }
  }
  if (mount.source !== undefined && looksLikePath(mount.source)) {
    mount.type = 'bind';
    // The short syntax has always created a missing host directory.
    mount.bind = { ...(bind ?? {}), create_host_path: true };
  } else {
    mount.type = 'volume';
    mount.volume = volume ?? {};
  }
  if (mount.read_only === false) delete mount.read_only;
  return mount;
}

export function normalizeMount(item: unknown): Mount {
  const mount = typeof item === 'string' ? parseVolumeSpec(item) : longMount(item as Dict);
  if (mount.target) mount.target = posix.normalize(mount.target).replace(/(.)\/$/, '$1');
  return mount;
}

function longMount(item: Dict): Mount {
  const mount = { ...item } as Mount;
  if (mount.read_only !== undefined) mount.read_only = toBool(mount.read_only);
  if (isDict(mount.bind)) {
    const bind = { ...mount.bind };
    bind.create_host_path = bind.create_host_path === undefined ? true : toBool(bind.create_host_path);
    mount.bind = bind;
  }
  if (isDict(mount.volume)) {
    const volume = { ...mount.volume };
    if (volume.nocopy !== undefined) volume.nocopy = toBool(volume.nocopy);
    mount.volume = volume;
  }
  return mount;
}
