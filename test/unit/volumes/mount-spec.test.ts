import { describe, expect, it } from 'vitest';
import { mergeTmpfsOptions, parseBind, parseVolumesFrom, validateMountRequest, validMountMode } from '../../../runtime/volumes/mount-spec.js';

describe('parseBind (HostConfig.Binds)', () => {
  it('reads a host path bind with its mode', () => {
    expect(parseBind('/srv/data:/data:ro,rshared')).toEqual({
      spec: { Type: 'bind', Source: '/srv/data', Target: '/data', ReadOnly: true, BindOptions: { Propagation: 'rshared' } },
      mode: 'ro,rshared', copyData: true,
    });
  });
  it('reads a named volume, z/Z ignored, nocopy kept', () => {
    expect(parseBind('db:/var/lib/mysql:Z,nocopy')).toEqual({
      spec: { Type: 'volume', Source: 'db', Target: '/var/lib/mysql', ReadOnly: false, VolumeOptions: { NoCopy: true } },
      mode: 'Z,nocopy', copyData: false,
    });
  });
  it('reads a lone destination as an anonymous volume', () => {
    expect(parseBind('/cache').spec).toEqual({ Type: 'volume', Target: '/cache', ReadOnly: false });
  });
  it.each([
    ['/foo:rw', "invalid volume specification: '/foo:rw'"],
    [':/x', "invalid volume specification: ':/x'"],
    ['a:b:c:d', "invalid volume specification: 'a:b:c:d'"],
    ['/a:/b:bogus', 'invalid mode: bogus'],
    ['/a:/b:ro,rw', 'invalid mode: ro,rw'],
    ['/a:rel', `invalid volume specification: '/a:rel': invalid mount config for type "bind": invalid mount path: 'rel' mount path must be absolute`],
    ['vol:rel', `invalid volume specification: 'vol:rel': invalid mount config for type "volume": invalid mount path: 'rel' mount path must be absolute`],
    ['/a:/', `invalid volume specification: '/a:/': invalid mount config for type "bind": invalid specification: destination can't be '/'`],
    ['/a:/b:nocopy', `invalid volume specification: '/a:/b:nocopy': invalid mount config for type "bind": field VolumeOptions must not be specified`],
    ['vol:/b:rslave', `invalid volume specification: 'vol:/b:rslave': invalid mount config for type "volume": field BindOptions must not be specified`],
  ])('rejects %s', (raw, message) => {
    expect(() => parseBind(raw)).toThrow(message);
    try { parseBind(raw); } catch (e) { expect((e as Error).message).toBe(message); expect((e as { statusCode: number }).statusCode).toBe(400); }
  });
});

describe('mount modes', () => {
  it('allows one word of each kind', () => {
    expect(validMountMode('ro,z,rprivate,nocopy,cached')).toBe(true);
    expect(validMountMode('z,Z')).toBe(false);
    expect(validMountMode('shared,slave')).toBe(false);
  });
});

describe('parseVolumesFrom', () => {
  it('defaults to rw', () => expect(parseVolumesFrom('data')).toEqual({ container: 'data', mode: 'rw' }));
  it('takes ro', () => expect(parseVolumesFrom('data:ro')).toEqual({ container: 'data', mode: 'ro' }));
  it.each([
    ['', 'volumes-from specification cannot be an empty string'],
    ['data:rshared', 'invalid mode: rshared'],
    ['data:nocopy', 'invalid mode: nocopy'],
    ['data:xx', 'invalid mode: xx'],
  ])('rejects %j', (raw, message) => expect(() => parseVolumesFrom(raw)).toThrow(message));
});

describe('validateMountRequest (HostConfig.Mounts)', () => {
  const exists = (p: string): boolean => p === '/exists';
  it.each([
    [{ Type: 'bind', Source: '/x', Target: '/d' }, 'invalid mount config for type "bind": bind source path does not exist: /x'],
    [{ Type: 'bind', Source: 'rel', Target: '/d' }, `invalid mount config for type "bind": invalid mount path: 'rel' mount path must be absolute`],
    [{ Type: 'bind', Target: '/d' }, 'invalid mount config for type "bind": field Source must not be empty'],
    [{ Type: 'bind', Source: '/exists', Target: '' }, 'invalid mount config for type "bind": field Target must not be empty'],
    [{ Type: 'bind', Source: '/exists', Target: '/d', BindOptions: { Propagation: 'weird' } }, 'invalid mount config for type "bind": invalid propagation mode: weird'],
    [{ Type: 'volume', Target: '/d', VolumeOptions: { Subpath: 'a' } }, 'invalid mount config for type "volume": must not set Subpath when using anonymous volumes'],
    [{ Type: 'volume', Source: 'v1', Target: '/d', VolumeOptions: { Subpath: '../a' } }, 'invalid mount config for type "volume": subpath must be a relative path within the volume'],
    [{ Type: 'tmpfs', Source: 'x', Target: '/d' }, 'invalid mount config for type "tmpfs": field Source must not be specified'],
    [{ Type: 'tmpfs', Target: '/d', BindOptions: {} }, 'invalid mount config for type "tmpfs": field BindOptions must not be specified'],
    [{ Type: 'npipe', Target: '/d' }, 'invalid mount config for type "npipe": mount type unknown'],
  ])('rejects %j', (m, message) => expect(() => validateMountRequest(m, true, exists)).toThrow(message));
  it('accepts a missing bind source with CreateMountpoint', () => {
    expect(() => validateMountRequest({ Type: 'bind', Source: '/nope', Target: '/d', BindOptions: { CreateMountpoint: true } }, true, exists)).not.toThrow();
  });
});

describe('mergeTmpfsOptions', () => {
  it('lets the later of a flag pair and of a key win', () => {
    expect(mergeTmpfsOptions(['noexec', 'nosuid', 'nodev', 'rprivate', 'exec', 'size=1m', 'size=64m', 'mode=1777'])).toEqual(
      ['nosuid', 'nodev', 'rprivate', 'exec', 'size=64m', 'mode=1777'],
    );
  });
  it('refuses unknown data options', () => expect(() => mergeTmpfsOptions(['foo=bar'])).toThrow('invalid tmpfs option ["foo=bar"]'));
});
