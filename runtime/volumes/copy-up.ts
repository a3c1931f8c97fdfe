// Docker's copy-up: a volume mounted where the image has content starts with
// that content — owners, modes, times, xattrs, symlinks (as links, never
// followed), hard links, device nodes — the first time it is used while
// still empty. A volume with anything in it is never written to.
//
// The source is resolved inside the mounted container rootfs (in-root.ts) and
// handed to `cp -a` as /proc/<pid>/fd/<n>: cp copies the directory we opened,
// whatever happens to the path meanwhile, and -a (-P) copies links as links.

import { execFile } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { VolumeMountError } from './errors.js';
import { resolveInRoot } from './in-root.js';

export type CopyUpResult = 'copied' | 'not-empty' | 'nothing-in-image';

function cp(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('cp', args, { maxBuffer: 4 << 20 }, (err, _out, stderr) => (err ? reject(new Error((stderr || err.message).toString().trim())) : resolve()));
  });
}

/**
 * Fills `volumeData` from `<rootfs>/<destination>` if the volume is empty.
 * `rootfs` is the container's mounted root (before any volume is mounted
 * on it). Throws Docker's error when the image has a file there.
 */
export async function copyUp(rootfs: string, destination: string, volumeData: string): Promise<CopyUpResult> {
  if (readdirSync(volumeData).length > 0) return 'not-empty';
  const src = resolveInRoot(rootfs, destination);
  try {
    if (src.kind === 'missing') return 'nothing-in-image';
    if (src.kind !== 'directory') {
      throw new VolumeMountError(`cannot mount volume over existing file, file exists ${join(rootfs, destination)}`);
    }
    try {
      // `src/.` into an existing dir: the content, and the attributes of the folder itself (as Docker copies its owner and mode).
      await cp(['-a', '--', `${src.path}/.`, volumeData]);
    } catch (err) {
      // Half a copy would look like data next time: leave the volume empty instead.
      for (const n of readdirSync(volumeData)) rmSync(join(volumeData, n), { recursive: true, force: true });
      throw new VolumeMountError(`copy ${destination} of the image into volume ${volumeData}: ${(err as Error).message}`);
    }
    return 'copied';
  } finally {
    src.close();
  }
}
