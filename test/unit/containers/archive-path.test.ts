// Looking `docker cp` paths up inside a container root (a temp dir here):
// links resolved inside it, `..` stopping at it, the last link followed only
// when asked; Go's FileMode bits; and the cp CLI's argument and rebase rules.

import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, lstatSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArchivePathError, goFileMode, lookupInRoot } from '../../../runtime/containers/archive-path.js';
import { splitCpArg } from '../../../compose/cli/commands/cp.js';
import { rebaseName } from '../../../compose/cli/local-archive.js';

let root = '';
let outside = '';

beforeAll(() => {
  const base = mkdtempSync(join(tmpdir(), 'tsct-archive-path-'));
  root = join(base, 'root');
  outside = join(base, 'outside');
  mkdirSync(join(root, 'etc'), { recursive: true });
  mkdirSync(join(root, 'data', 'sub'), { recursive: true });
  mkdirSync(outside);
  writeFileSync(join(root, 'etc', 'passwd'), 'inside\n');
  writeFileSync(join(outside, 'passwd'), 'outside\n');
  symlinkSync('/etc', join(root, 'abs'));
  symlinkSync('../../../../../../../../etc', join(root, 'data', 'climb'));
  symlinkSync(outside, join(root, 'hostpath'));
  symlinkSync('passwd', join(root, 'etc', 'rel'));
  symlinkSync('loop2', join(root, 'loop1'));
  symlinkSync('loop1', join(root, 'loop2'));
});

afterAll(() => { if (root) rmSync(join(root, '..'), { recursive: true, force: true }); });

const resolveTo = (path: string, followLast: boolean): string => {
  const r = lookupInRoot(root, path, followLast);
  try { return r.containerPath; } finally { r.close(); }
};

describe('lookupInRoot', () => {
  it('follows links inside the root: absolute ones restart at its /, .. stops there', () => {
    expect(resolveTo('/abs/passwd', false)).toBe('/etc/passwd');
    expect(resolveTo('/data/climb/passwd', false)).toBe('/etc/passwd');
    expect(resolveTo('/../../etc/passwd', false)).toBe('/etc/passwd');
    expect(resolveTo('/', false)).toBe('/');
  });

  it('never reaches outside: a link to a host path names the same path inside', () => {
    expect(() => lookupInRoot(root, '/hostpath/passwd', false)).toThrow(ArchivePathError);
    mkdirSync(join(root, outside), { recursive: true });
    writeFileSync(join(root, outside, 'passwd'), 'inside too\n');
    expect(resolveTo('/hostpath/passwd', false)).toBe(`${outside}/passwd`);
  });

  it('stops before the last link unless asked', () => {
    const link = lookupInRoot(root, '/etc/rel', false);
    expect(link.st.isSymbolicLink()).toBe(true);
    link.close();
    expect(resolveTo('/etc/rel', true)).toBe('/etc/passwd');
    expect(() => lookupInRoot(root, '/loop1', true)).toThrow(/too many levels/);
    expect(() => lookupInRoot(root, '/etc/passwd/x', false)).toThrow(ArchivePathError);
    expect(() => lookupInRoot(root, '/nope', false)).toThrow(/no such file/);
  });
});

describe('goFileMode', () => {
  it('sets Go\'s type bits', () => {
    chmodSync(join(root, 'data'), 0o1755);
    expect(goFileMode(lstatSync(join(root, 'data')))).toBe((2 ** 31 + (1 << 20) + 0o755) >>> 0);
    expect(goFileMode(lstatSync(join(root, 'abs'))) & (1 << 27)).not.toBe(0);
    chmodSync(join(root, 'etc', 'passwd'), 0o4644);
    expect(goFileMode(lstatSync(join(root, 'etc', 'passwd')))).toBe((1 << 23) + 0o644);
  });
});

describe('cp arguments', () => {
  it('tells a service path from a local one', () => {
    expect(splitCpArg('web:/etc/hosts')).toEqual({ service: 'web', path: '/etc/hosts' });
    expect(splitCpArg('./a:b')).toEqual({ path: './a:b' });
    expect(splitCpArg('/abs:x')).toEqual({ path: '/abs:x' });
    expect(splitCpArg('-')).toEqual({ path: '-' });
    expect(splitCpArg('plain')).toEqual({ path: 'plain' });
  });

  it('renames the top entry of a tar', () => {
    expect(rebaseName('data/', 'data', 'copy')).toBe('copy/');
    expect(rebaseName('data/sub/x', 'data', 'copy')).toBe('copy/sub/x');
    expect(rebaseName('database/x', 'data', 'copy')).toBe('database/x');
    expect(rebaseName('hello.txt', 'hello.txt', 'renamed')).toBe('renamed');
  });
});
