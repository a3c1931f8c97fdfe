// crun 1.8 refuses to start on a v1/v2 hybrid host while a controller (here
// hugetlb) is bound to the cgroup2 mount. Mounting a v1 hugetlb hierarchy takes
// it off cgroup2. That move is refused (EBUSY) while cgroup2 has hugetlb
// enabled for children (`+hugetlb` in the root's cgroup.subtree_control, as
// a v2 runtime writes); then it is disabled for the duration and enabled again
// after. Done by the code that needs crun; undone only as far as it did it.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const UNIFIED = '/sys/fs/cgroup/unified';
const HUGETLB = '/sys/fs/cgroup/hugetlb';

function mountedAt(target: string): boolean {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .some((l) => l.split(' ')[4] === target);
}

function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function waitFor(pred: () => boolean, ms: number): boolean {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) return false;
    sleepMs(50);
  }
  return true;
}

function words(file: string): string[] {
  return readFileSync(file, 'utf8').trim().split(/\s+/);
}

function onCgroup2(): boolean {
  return words(path.join(UNIFIED, 'cgroup.controllers')).includes('hugetlb');
}

function removeEmptyCgroups(dir: string): void {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (!e.isDirectory()) continue;
    const child = path.join(dir, e.name);
    removeEmptyCgroups(child);
    try {
      rmdirSync(child); // fails (EBUSY) while processes are in it: left alone
    } catch {
      /* populated */
    }
  }
}

function tryMount(): string | undefined {
  try {
    execFileSync('mount', ['-t', 'cgroup', '-o', 'hugetlb', 'cgroup', HUGETLB], { stdio: 'pipe' });
    return undefined;
  } catch (e) {
    return String((e as { stderr?: Buffer }).stderr ?? (e as Error).message).trim();
  }
}

export interface HugetlbSetup {
  /** What was done, for reports. */
  note: string;
  undo: () => void;
}

export function detachHugetlbFromCgroup2(): HugetlbSetup {
  if (mountedAt(HUGETLB)) return { note: `nothing to do: a v1 hugetlb hierarchy is mounted at ${HUGETLB}`, undo: () => {} };
  if (!existsSync(path.join(UNIFIED, 'cgroup.controllers')) || !onCgroup2()) {
    return { note: 'nothing to do: hugetlb is not on cgroup2', undo: () => {} };
  }
  const steps: string[] = [];
  const subtree = path.join(UNIFIED, 'cgroup.subtree_control');
  let disabled = false;
  if (words(subtree).includes('hugetlb')) {
    try {
      writeFileSync(subtree, '-hugetlb');
      disabled = true;
      steps.push('disabled +hugetlb in cgroup2 root subtree_control');
    } catch (e) {
      return { note: `cannot take hugetlb off cgroup2 (${(e as Error).message}); crun 1.8 will refuse to run`, undo: () => {} };
    }
  }
  const made = !existsSync(HUGETLB);
  if (made) mkdirSync(HUGETLB);
  let err: string | undefined;
  // Child css of a just-disabled controller go away asynchronously.
  for (let i = 0; i < 10 && (err = tryMount()) !== undefined; i++) sleepMs(200);
  const restoreSubtree = () => {
    if (disabled) writeFileSync(subtree, '+hugetlb');
  };
  if (err !== undefined) {
    if (made) rmdirSync(HUGETLB);
    restoreSubtree();
    return { note: `cannot mount a v1 hugetlb hierarchy (${err}); crun 1.8 will refuse to run`, undo: () => {} };
  }
  steps.push(`mounted a v1 hugetlb hierarchy at ${HUGETLB}`);
  return {
    note: steps.join('; ') + ' (undone after)',
    undo: () => {
      // A container started meanwhile by anyone (any runtime joins every
      // mounted hierarchy) may still be in it: unmounting now would strand its
      // cgroup in a hierarchy nobody can see, so it stays mounted, and says so.
      removeEmptyCgroups(HUGETLB);
      const populated = readdirSync(HUGETLB, { withFileTypes: true }).filter((e) => e.isDirectory());
      if (populated.length > 0) {
        console.error(
          `hybrid-cgroup: left ${HUGETLB} mounted: cgroups of running containers are in it ` +
            `(${populated.map((e) => e.name).join(', ')}). Once they are gone: ` +
            `rmdir ${HUGETLB}/*; umount ${HUGETLB}; rmdir ${HUGETLB}` +
            (disabled ? `; echo +hugetlb > ${subtree}` : ''),
        );
        return;
      }
      // Runtimes create cgroups (and leave parents such as /tscompose) in every
      // mounted hierarchy. A v1 hierarchy with a child cgroup, even one just
      // removed and still dying, outlives its umount and keeps hugetlb off
      // cgroup2; a later mount + umount with no children ends it.
      for (let attempt = 0; attempt < 5; attempt++) {
        if (attempt > 0) {
          sleepMs(300);
          if (tryMount() !== undefined) continue;
        }
        removeEmptyCgroups(HUGETLB);
        sleepMs(100);
        execFileSync('umount', [HUGETLB]);
        if (waitFor(onCgroup2, 1000)) break;
      }
      if (made) rmdirSync(HUGETLB);
      // The kernel ends an unmounted hierarchy asynchronously.
      if (!waitFor(onCgroup2, 5000)) {
        console.error('hybrid-cgroup: the v1 hugetlb hierarchy outlived its umount (a cgroup is still in it)');
        return;
      }
      try {
        restoreSubtree();
      } catch (e) {
        console.error(`hybrid-cgroup: could not enable +hugetlb again in ${subtree}: ${(e as Error).message}`);
      }
    },
  };
}
