// The one seam through which the volume layer touches the mount table, so
// that the store's rules are unit-tested with a recording fake and the real
// kernel is exercised by the integration tests.

import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface MountHost {
  /** mount -t fstype -o options source target */
  mount(source: string, target: string, fstype: string, options: string): Promise<void>;
  unmount(target: string): Promise<void>;
  isMounted(target: string): boolean;
}

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, (err, _out, stderr) => (err ? reject(new Error((stderr || err.message).toString().trim())) : resolve()));
  });
}

/** mountinfo escapes spaces and such as octal. */
function unescape(p: string): string {
  return p.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

export const kernelMountHost: MountHost = {
  async mount(source, target, fstype, options) {
    const args = ['-t', fstype];
    if (options) args.push('-o', options);
    await run('mount', [...args, source, target]);
  },
  async unmount(target) {
    try {
      await run('umount', [target]);
    } catch (err) {
      // Busy: detach now; the kernel frees it once the last user lets go.
      if (this.isMounted(target)) await run('umount', ['-l', target]);
      else if (!/not mounted/.test((err as Error).message)) throw err;
    }
  },
  isMounted(target) {
    try {
      return readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((l) => {
        const t = l.split(' ')[4];
        return t !== undefined && unescape(t) === target;
      });
    } catch {
      return false;
    }
  },
};
