import { mkdirSync, mkdtempSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureMountpoint, resolveInRoot } from '../../../runtime/volumes/in-root.js';

let base: string;
let root: string;
let outside: string;

beforeEach(() => {
  base = mkdtempSync(join(tmpdir(), 'tsct-inroot-'));
  root = join(base, 'root');
  outside = join(base, 'outside');
  mkdirSync(join(root, 'etc'), { recursive: true });
  mkdirSync(outside);
  writeFileSync(join(root, 'etc/passwd'), 'inside');
  writeFileSync(join(outside, 'secret'), 'outside');
  symlinkSync(outside, join(root, 'abs-out'));
  symlinkSync('../outside', join(root, 'rel-out'));
  symlinkSync('/etc', join(root, 'etc-link'));
  symlinkSync('loop', join(root, 'loop'));
});
afterEach(() => rmSync(base, { recursive: true, force: true }));

function real(target: string): string | undefined {
  const e = resolveInRoot(root, target);
  try { return e.path ? readlinkSync(e.path) : undefined; } finally { e.close(); }
}

describe('resolveInRoot', () => {
  it('follows symlinks as the container would, inside the root', () => {
    expect(real('/etc-link/passwd')).toBe(join(root, 'etc/passwd'));
    expect(real('/../../../etc')).toBe(join(root, 'etc'));
    expect(real('/')).toBe(root);
  });
  it('never leaves the root through absolute or relative links', () => {
    // `abs-out` names a host path: inside the root that path does not exist.
    expect(real('/abs-out/secret')).toBeUndefined();
    // `../outside` climbs to `/` of the root and stops there.
    expect(real('/rel-out')).toBeUndefined();
    mkdirSync(join(root, 'outside'));
    expect(real('/rel-out')).toBe(join(root, 'outside'));
  });
  it('gives up on symlink loops', () => {
    expect(() => real('/loop')).toThrow('too many levels of symbolic links');
  });
  it('creates missing mount points inside the root only', () => {
    ensureMountpoint(root, '/abs-out/new/dir', 'directory');
    expect(statSync(join(root, base, 'outside/new/dir')).isDirectory()).toBe(true);
    expect(existsSync(join(outside, 'new'))).toBe(false);
    ensureMountpoint(root, '/etc-link/hosts.d/file', 'file');
    expect(statSync(join(root, 'etc/hosts.d/file')).isFile()).toBe(true);
    expect(() => ensureMountpoint(root, '/etc/passwd', 'directory')).toThrow('cannot mount a directory on /etc/passwd: it is a file');
    expect(() => ensureMountpoint(root, '/etc/passwd/x', 'directory')).toThrow('passwd is not a directory');
  });
});
