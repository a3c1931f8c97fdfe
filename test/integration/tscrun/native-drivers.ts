// Builds the small C test drivers of native/test/ (json-check, cgroup-check,
// seccomp-check) against native/src with ASan+UBSan, so that the tests of the
// parser, the cgroup code and the seccomp compiler also catch memory errors.
// One build per driver per test run, into a temp dir removed at cleanup.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../../helpers/rootfs.js';

const NATIVE = path.join(REPO_ROOT, 'native');
const SOURCES: Record<string, string[]> = {
  'json-check': ['test/json-check.c', 'src/json.c', 'src/error.c'],
  'cgroup-check': ['test/cgroup-check.c', 'src/cgroup.c', 'src/cgroup-v1.c', 'src/cgroup-v2.c', 'src/cgroup-v2-devices.c', 'src/json.c', 'src/error.c'],
  'seccomp-check': ['test/seccomp-check.c', 'src/seccomp.c', 'src/seccomp-tab.c', 'src/json.c', 'src/error.c'],
};

let dir: string | undefined;
const built = new Map<string, string>();

export function buildDriver(name: keyof typeof SOURCES & string): string {
  const have = built.get(name);
  if (have) return have;
  dir ??= mkdtempSync(path.join(os.tmpdir(), 'tsct-drivers-'));
  const out = path.join(dir, name);
  execFileSync(
    'cc',
    ['-std=gnu11', '-Wall', '-Wextra', '-Werror', '-D_GNU_SOURCE', '-O1', '-g', '-fsanitize=address,undefined',
      '-fno-sanitize-recover=undefined', '-Isrc', '-o', out, ...SOURCES[name]!],
    { cwd: NATIVE, stdio: 'pipe' },
  );
  built.set(name, out);
  return out;
}

export function removeDrivers(): void {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
  built.clear();
}
