// A minimal rootfs for runtime tests: busybox-static with its applet links, the
// static probe at /bin/tsc-probe, and just enough /etc for user lookups. Built
// once per content (busybox + probe bytes) into a cache dir, then hard-link
// copied per bundle so that what one container writes cannot reach another.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import {
  chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const PROBE_PATH = path.join(REPO_ROOT, 'native/build/tsc-probe');
export const TSCRUN_PATH = path.join(REPO_ROOT, 'native/build/tscrun');
export const BUSYBOX_PATH = '/bin/busybox';

const LAYOUT_VERSION = '1';

/** Builds native/build/tsc-probe when it is missing or older than its source. */
export function ensureProbe(): string {
  execFileSync('make', ['-s', '-C', path.join(REPO_ROOT, 'native'), 'build/tsc-probe'], { stdio: 'pipe' });
  if (!existsSync(PROBE_PATH)) throw new Error(`make did not produce ${PROBE_PATH}`);
  return PROBE_PATH;
}

const PASSWD = [
  'root:x:0:0:root:/root:/bin/sh',
  'tsct:x:1000:1000:tsct:/home/tsct:/bin/sh',
  'nobody:x:65534:65534:nobody:/nonexistent:/bin/false',
  '',
].join('\n');
const GROUP = ['root:x:0:', 'tty:x:5:', 'tsct:x:1000:', 'nogroup:x:65534:', ''].join('\n');

/** The cached, shared rootfs. Callers must not write into it: use copyRootfs. */
export function cachedRootfs(): string {
  const probe = ensureProbe();
  const h = createHash('sha256');
  h.update(LAYOUT_VERSION);
  h.update(readFileSync(BUSYBOX_PATH));
  h.update(readFileSync(probe));
  const key = h.digest('hex').slice(0, 16);
  const cacheRoot = path.join(os.tmpdir(), 'tsct-rootfs-cache');
  const dir = path.join(cacheRoot, key);
  if (existsSync(path.join(dir, 'bin/tsc-probe'))) return dir;

  mkdirSync(cacheRoot, { recursive: true });
  const building = `${dir}.building-${process.pid}`;
  rmSync(building, { recursive: true, force: true });
  for (const d of ['bin', 'sbin', 'usr/bin', 'usr/sbin', 'etc', 'proc', 'sys', 'dev', 'tmp', 'root', 'home/tsct', 'var', 'run', 'mnt']) {
    mkdirSync(path.join(building, d), { recursive: true });
  }
  chmodSync(path.join(building, 'tmp'), 0o1777);
  copyFileSync(BUSYBOX_PATH, path.join(building, 'bin/busybox'));
  chmodSync(path.join(building, 'bin/busybox'), 0o755);
  copyFileSync(probe, path.join(building, 'bin/tsc-probe'));
  chmodSync(path.join(building, 'bin/tsc-probe'), 0o755);
  const applets = execFileSync(BUSYBOX_PATH, ['--list-full'], { encoding: 'utf8' }).split('\n').filter(Boolean);
  for (const a of applets) {
    const target = path.join(building, a);
    if (existsSync(target)) continue;
    mkdirSync(path.dirname(target), { recursive: true });
    symlinkSync('/bin/busybox', target);
  }
  writeFileSync(path.join(building, 'etc/passwd'), PASSWD);
  writeFileSync(path.join(building, 'etc/group'), GROUP);
  writeFileSync(path.join(building, 'etc/hostname'), 'tsct\n');
  try {
    renameSync(building, dir);
  } catch {
    // Another process won the race with identical content.
    rmSync(building, { recursive: true, force: true });
  }
  // Older contents (a previous probe or busybox) are of no further use.
  for (const old of readdirSync(cacheRoot)) {
    if (old !== key && !old.includes('.building-')) rmSync(path.join(cacheRoot, old), { recursive: true, force: true });
  }
  return dir;
}

/** A private copy of the rootfs at dest (directories copied, files hard-linked). */
export function copyRootfs(dest: string): string {
  const src = cachedRootfs();
  execFileSync('cp', ['-al', src, dest]);
  return dest;
}
