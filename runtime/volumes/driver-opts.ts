// driver_opts of the `local` driver (type, device, o), checked like Docker's
// local driver, then narrowed to what this engine can mount: a tmpfs, or a
// bind of a host directory. Anything else (nfs, cifs, ext4 on a device…) is
// refused at create, not at first use, so `compose up` fails early and says why.

import { isAbsolute } from 'node:path';
import { InvalidVolumeConfigError } from './errors.js';

export type VolumeBacking =
  | { kind: 'plain' }
  /** A tmpfs mounted on `_data` while a container uses the volume; `options` goes to mount -o. */
  | { kind: 'tmpfs'; options: string }
  /** The host directory `device` bound on `_data` while a container uses the volume. */
  | { kind: 'bind'; device: string; options: string };

const VALID_OPTS = ['type', 'o', 'device', 'size'];
// Docker's rule: each option needs these others to be set too.
const MANDATORY: Record<string, string[]> = { device: ['type'], type: ['device'], o: ['device', 'type'] };

export function parseDriverOpts(volumeName: string, opts: Record<string, string> | null | undefined): VolumeBacking {
  const o = opts ?? {};
  const fail = (msg: string): never => { throw new InvalidVolumeConfigError(`create ${volumeName}: ${msg}`); };
  const keys = Object.keys(o);
  if (keys.length === 0) return { kind: 'plain' };
  for (const k of keys) if (!VALID_OPTS.includes(k)) fail(`invalid option: "${k}"`);
  if ('size' in o) fail('quota size requested but no quota support');
  for (const [k, needs] of Object.entries(MANDATORY)) {
    if (!(k in o)) continue;
    for (const n of needs) if (!(n in o)) fail(`missing required option: "${n}"`);
  }
  const type = o.type ?? '';
  const mountOpts = o.o ?? '';
  const words = mountOpts.split(',').map((s) => s.trim()).filter(Boolean);
  if (type === 'tmpfs') return { kind: 'tmpfs', options: words.join(',') };
  if (words.includes('bind') || words.includes('rbind')) {
    const device = o.device ?? '';
    if (!isAbsolute(device)) fail(`bind device must be an absolute host path, got "${device}"`);
    return { kind: 'bind', device, options: words.join(',') };
  }
  return fail(`volume type "${type}" is not supported by this engine: the local driver here mounts only type=tmpfs, or type=none with o=bind and device=/host/path`);
}
