// The host's device nodes, for a privileged container (Docker gives it every
// one of them, as runc's HostDevices lists them). The folders the runtime
// mounts itself (pts, shm, mqueue) and /dev/console (the container's own
// terminal when it has one) are left out.

import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { OciDevice } from './oci-types.js';

const SKIPPED_DIRS = new Set(['pts', 'shm', 'fd', 'mqueue', '.lxc', '.lxd-mounts', '.udev']);

export function hostDevices(dir = '/dev'): OciDevice[] {
  const out: OciDevice[] = [];
  let names: string[];
  try { names = readdirSync(dir); } catch { return out; }
  for (const name of names.sort()) {
    const path = join(dir, name);
    let st;
    try { st = lstatSync(path, { bigint: false }); } catch { continue; } // gone meanwhile
    if (st.isDirectory()) {
      if (!SKIPPED_DIRS.has(name)) out.push(...hostDevices(path));
      continue;
    }
    if (path === '/dev/console' || (!st.isCharacterDevice() && !st.isBlockDevice())) continue;
    // st.rdev as the kernel's new_encode_dev: major in bits 8-19, minor in bits 0-7 and 20-31.
    const major = (st.rdev >>> 8) & 0xfff;
    const minor = (st.rdev & 0xff) | ((st.rdev >>> 12) & 0xfff00);
    out.push({ path, type: st.isCharacterDevice() ? 'c' : 'b', major, minor, fileMode: st.mode & 0o7777, uid: st.uid, gid: st.gid });
  }
  return out;
}
