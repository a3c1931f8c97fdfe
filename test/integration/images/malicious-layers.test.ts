// A corpus of hostile layers, each loaded as an image three ways (docker
// import, a `docker save` archive, an OCI archive). None may write outside
// its layer directory: a canary folder beside the store (whose absolute path
// the attacks aim at) must stay byte-for-byte the same, and the store must
// hold nothing but complete layers. Each case ends in a clear error or a safe
// result that is checked.
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ImageStore, LayerUnpackError } from '../../../runtime/images/index.js';
import { buildUnpacker, guard, missing } from './helpers/env.js';
import { getXattr, snapshot } from './helpers/fs-check.js';
import { makeTar, sha256, type TarEntry } from './helpers/tar.js';

const ok = guard(missing({ root: true }));

type Outcome = { error: RegExp } | { safe: (layer: string) => void };
interface Case {
  name: string;
  entries: (canary: string) => TarEntry[] | Promise<Buffer>;
  outcome: Outcome;
  allowDevices?: boolean;
}

const LONG = 'x'.repeat(200);

const corpus: Case[] = [
  { name: '../ name', entries: () => [{ name: '../escape', data: 'x' }], outcome: { error: /entry `\.\.\/escape`: path escapes the layer root/ } },
  { name: 'deep ../ name aimed at the canary', entries: (c) => [{ name: '../../../../../../../../..' + c + '/pwned', data: 'x' }], outcome: { error: /path escapes the layer root/ } },
  { name: 'a/../../ name', entries: () => [{ name: 'a/', type: 'directory' }, { name: 'a/../../escape', data: 'x' }], outcome: { error: /path escapes the layer root/ } },
  { name: 'bare .. entry', entries: () => [{ name: '..', type: 'directory' }], outcome: { error: /path escapes the layer root/ } },
  {
    name: 'absolute name lands inside the layer',
    entries: (c) => [{ name: c + '/pwned', data: 'inside' }],
    outcome: { safe: () => undefined },
  },
  {
    name: 'symlink to the canary, then a file through it',
    entries: (c) => [{ name: 'lnk', type: 'symlink', linkname: c }, { name: 'lnk/pwned', data: 'x' }],
    outcome: { error: /entry `lnk\/pwned`: parent directory cannot be created/ },
  },
  {
    name: 'relative symlink climbing out, then a file through it',
    entries: (c) => [{ name: 'up', type: 'symlink', linkname: '../../../../../../../../..' + c }, { name: 'up/pwned', data: 'x' }],
    outcome: { error: /parent directory cannot be created/ },
  },
  {
    name: 'symlink chain ending at /, then a file through it',
    entries: (c) => [
      { name: 'a', type: 'symlink', linkname: 'b' },
      { name: 'b', type: 'symlink', linkname: 'c' },
      { name: 'c', type: 'symlink', linkname: '/' },
      { name: 'a' + c + '/pwned', data: 'contained' },
    ],
    outcome: { safe: () => undefined },
  },
  {
    name: 'symlink .. chain (up -> ..) walked many times',
    entries: () => [{ name: 'up', type: 'symlink', linkname: '..' }, { name: 'up/up/up/up/up/escaped', data: 'contained' }],
    outcome: { safe: (l) => expect(readFileSync(join(l, 'escaped'), 'utf8')).toBe('contained') },
  },
  {
    name: 'symlink loop, then a file through it',
    entries: () => [{ name: 'loop', type: 'symlink', linkname: 'loop' }, { name: 'loop/x', data: 'x' }],
    outcome: { error: /entry `loop\/x`: .*(symbolic links|parent)/i },
  },
  {
    name: 'magic link /proc/self/root, then a file through it',
    entries: (c) => [{ name: 'p', type: 'symlink', linkname: '/proc/self/root' }, { name: 'p' + c + '/pwned', data: 'x' }],
    outcome: { error: /entry `p\/.*\/pwned`: create parent directory `p\/[^`]+` \(through a dangling symlink\)/ },
  },
  {
    name: 'hardlink to an absolute file outside',
    entries: (c) => [{ name: 'h', type: 'link', linkname: c + '/secret' }],
    outcome: { error: /hardlink target `.*\/secret` does not exist/ },
  },
  {
    name: 'hardlink climbing out with ../',
    entries: () => [{ name: 'h', type: 'link', linkname: '../../../../canary/secret' }],
    outcome: { error: /hardlink target `\.\.\/\.\.\/\.\.\/\.\.\/canary\/secret` escapes the layer root/ },
  },
  {
    name: 'hardlink to a symlink pointing out, then written through',
    entries: (c) => [
      { name: 's', type: 'symlink', linkname: c + '/secret' },
      { name: 'h', type: 'link', linkname: 's' },
      { name: 'h', data: 'replaced, not written through' },
    ],
    outcome: {
      safe: (l) => {
        expect(readlinkSync(join(l, 's'))).toMatch(/\/secret$/);
        expect(lstatSync(join(l, 'h')).isFile()).toBe(true);
      },
    },
  },
  {
    name: 'hardlink to a directory',
    entries: () => [{ name: 'd/', type: 'directory' }, { name: 'h', type: 'link', linkname: 'd' }],
    outcome: { error: /hardlink target `d` is a directory/ },
  },
  {
    name: 'character device when devices are not allowed',
    entries: () => [{ name: 'dev/', type: 'directory' }, { name: 'dev/mem', type: 'character-device', devmajor: 1, devminor: 1, mode: 0o666 }, { name: 'ok', data: 'x' }],
    outcome: { safe: (l) => expect(existsSync(join(l, 'dev/mem'))).toBe(false) },
  },
  {
    name: 'block device when devices are not allowed',
    entries: () => [{ name: 'sda', type: 'block-device', devmajor: 8, devminor: 0 }],
    outcome: { safe: (l) => expect(existsSync(join(l, 'sda'))).toBe(false) },
  },
  {
    name: 'device node when allowed (root): created inside the layer only',
    allowDevices: true,
    entries: () => [{ name: 'dev/', type: 'directory' }, { name: 'dev/null', type: 'character-device', devmajor: 1, devminor: 3, mode: 0o666 }],
    outcome: { safe: (l) => expect(lstatSync(join(l, 'dev/null')).isCharacterDevice()).toBe(true) },
  },
  { name: 'whiteout of ../x', entries: () => [{ name: '../.wh.x' }], outcome: { error: /path escapes the layer root/ } },
  { name: 'whiteout named .wh...', entries: () => [{ name: 'a/.wh...' }], outcome: { error: /entry `a\/\.wh\.\.\.`: invalid whiteout name/ } },
  { name: 'empty whiteout .wh.', entries: () => [{ name: '.wh.' }], outcome: { error: /invalid whiteout name/ } },
  {
    name: '.wh. names with slashes are directories, not whiteouts',
    entries: () => [{ name: 'x/.wh.foo/bar', data: 'plain' }],
    outcome: { safe: (l) => expect(readFileSync(join(l, 'x/.wh.foo/bar'), 'utf8')).toBe('plain') },
  },
  {
    name: 'whiteout through a symlinked parent stays inside',
    entries: (c) => [{ name: 'w', type: 'symlink', linkname: '/' }, { name: 'w' + c + '/.wh.secret' }],
    outcome: { safe: (l) => expect(lstatSync(join(l, 'w')).isSymbolicLink()).toBe(true) },
  },
  {
    name: 'opaque marker and overlay xattrs smuggled in PAX are dropped',
    entries: () => [
      { name: 'd/', type: 'directory', pax: { 'SCHILY.xattr.trusted.overlay.redirect': '/etc', 'SCHILY.xattr.user.ok': 'yes' } },
      { name: 'd/.wh..wh..opq' },
    ],
    outcome: {
      safe: (l) => {
        expect(getXattr(join(l, 'd'), 'trusted.overlay.redirect')).toBeUndefined();
        expect(getXattr(join(l, 'd'), 'trusted.overlay.opaque')).toBe('y');
        expect(getXattr(join(l, 'd'), 'user.ok')).toBe('yes');
      },
    },
  },
  { name: 'very long PAX name', entries: () => [{ name: Array.from({ length: 30 }, () => LONG).join('/'), data: 'x' }], outcome: { error: /name longer than 4095 bytes/ } },
  {
    name: 'long but legal GNU/PAX names',
    entries: () => [{ name: `${LONG}/${LONG}/${LONG}/file`, data: 'deep' }],
    outcome: { safe: (l) => expect(readFileSync(join(l, LONG, LONG, LONG, 'file'), 'utf8')).toBe('deep') },
  },
  {
    name: 'duplicate entries: the last one wins',
    entries: () => [{ name: 'f', data: 'first' }, { name: 'f', data: 'second', mode: 0o600 }],
    outcome: {
      safe: (l) => {
        expect(readFileSync(join(l, 'f'), 'utf8')).toBe('second');
        expect(lstatSync(join(l, 'f')).mode & 0o777).toBe(0o600);
      },
    },
  },
  {
    name: 'directory replaced by a symlink to the canary, then written through',
    entries: (c) => [
      { name: 'd/', type: 'directory' },
      { name: 'd/f', data: 'x' },
      { name: 'd', type: 'symlink', linkname: c },
      { name: 'd/pwned', data: 'x' },
    ],
    outcome: { error: /entry `d\/pwned`: parent directory cannot be created/ },
  },
  {
    name: 'file replaced by a directory and back',
    entries: () => [{ name: 'n', data: 'file' }, { name: 'n/', type: 'directory' }, { name: 'n/inner', data: 'in' }, { name: 'n', data: 'file again' }],
    outcome: { safe: (l) => expect(readFileSync(join(l, 'n'), 'utf8')).toBe('file again') },
  },
  {
    name: 'setuid and sticky bits are kept as Docker does',
    entries: () => [{ name: 'su', data: '#!', mode: 0o4755 }, { name: 'sg', data: '#!', mode: 0o2755 }, { name: 't/', type: 'directory', mode: 0o1777 }],
    outcome: {
      safe: (l) => {
        expect(lstatSync(join(l, 'su')).mode & 0o7777).toBe(0o4755);
        expect(lstatSync(join(l, 'sg')).mode & 0o7777).toBe(0o2755);
        expect(lstatSync(join(l, 't')).mode & 0o7777).toBe(0o1777);
      },
    },
  },
  { name: 'the root replaced by a symlink', entries: () => [{ name: './', type: 'symlink', linkname: '/etc' }], outcome: { error: /the layer root must be a directory/ } },
  {
    name: 'not a tar at all',
    entries: async () => Buffer.from('#!/bin/sh\nrm -rf /\n'.repeat(100)),
    outcome: { error: /invalid tar header checksum at offset 0/ },
  },
  {
    name: 'truncated in the middle of a file',
    entries: async () => (await makeTar([{ name: 'big', data: Buffer.alloc(100_000, 1) }])).subarray(0, 20_000),
    outcome: { error: /unexpected end of tar stream/ },
  },
];

describe.runIf(ok)('malicious layers never write outside the layer directory', () => {
  let base: string;
  let canary: string;
  let canaryBefore: string[];
  let n = 0;

  beforeAll(() => {
    buildUnpacker();
    base = mkdtempSync(join(tmpdir(), 'tsct-mal-'));
    canary = join(base, 'canary');
    mkdirSync(join(canary, 'sub'), { recursive: true });
    writeFileSync(join(canary, 'secret'), 'do not touch');
    writeFileSync(join(canary, 'sub', 'file'), 'nested');
    canaryBefore = snapshot(canary);
  });

  afterEach(() => {
    expect(snapshot(canary)).toEqual(canaryBefore);
    expect(readdirSync(base).sort()).toEqual(['canary', ...readdirSync(base).filter((x) => x.startsWith('store-'))].sort());
  });

  afterAll(() => {
    if (base) rmSync(base, { recursive: true, force: true });
  });

  const checkStore = (root: string) => {
    const images = join(root, 'images');
    expect(readdirSync(images).sort()).toEqual(['blobs', 'ingest', 'l', 'layers', 'oci-layout', 'repositories.json'].filter((x) => x !== 'repositories.json' || existsSync(join(images, x))));
    expect(readdirSync(join(images, 'ingest'))).toEqual([]);
    for (const l of readdirSync(join(images, 'layers'))) {
      expect(l).toMatch(/^[a-f0-9]{64}$/);
      expect(readdirSync(join(images, 'layers', l)).sort()).toEqual(['diff', 'layer.json']);
    }
    expect(readdirSync(root)).toEqual(['images']);
  };

  async function dockerSaveArchive(layer: Buffer): Promise<Buffer> {
    const diffId = sha256(layer);
    const config = JSON.stringify({ architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [diffId] } });
    const cfgHex = sha256(config).slice(7);
    return makeTar([
      { name: `${cfgHex}.json`, data: config },
      { name: 'l1/', type: 'directory' },
      { name: 'l1/layer.tar', data: layer },
      { name: 'manifest.json', data: JSON.stringify([{ Config: `${cfgHex}.json`, RepoTags: ['tsct/mal:latest'], Layers: ['l1/layer.tar'] }]) },
    ]);
  }

  async function ociArchive(layer: Buffer): Promise<Buffer> {
    const diffId = sha256(layer);
    const config = JSON.stringify({ architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [diffId] } });
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: diffId, size: layer.length }],
    });
    const index = JSON.stringify({
      schemaVersion: 2,
      manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: sha256(manifest), size: manifest.length, annotations: { 'io.containerd.image.name': 'docker.io/tsct/mal:oci' } }],
    });
    const blob = (d: string) => `blobs/sha256/${d.slice(7)}`;
    return makeTar([
      { name: 'oci-layout', data: '{"imageLayoutVersion":"1.0.0"}' },
      { name: blob(sha256(config)), data: config },
      { name: blob(diffId), data: layer },
      { name: blob(sha256(manifest)), data: manifest },
      { name: 'index.json', data: index },
    ]);
  }

  for (const c of corpus) {
    for (const via of ['import', 'docker-save', 'oci-archive'] as const) {
      it(`${c.name} (${via})`, async () => {
        const root = join(base, `store-${n++}`);
        const store = await ImageStore.open(root, { allowDevices: c.allowDevices ?? false });
        try {
          const made = c.entries(canary);
          const layer = Buffer.isBuffer(made) ? made : made instanceof Promise ? await made : await makeTar(made);
          const run = async () => {
            if (via === 'import') return [await store.importRootfs(Readable.from([layer]), { ref: 'tsct/mal:imp' })];
            return store.load(Readable.from([via === 'docker-save' ? await dockerSaveArchive(layer) : await ociArchive(layer)]));
          };
          if ('error' in c.outcome) {
            const p = run();
            await expect(p).rejects.toBeInstanceOf(LayerUnpackError);
            await expect(p).rejects.toThrow(c.outcome.error);
            expect(store.list()).toEqual([]);
            expect(readdirSync(join(root, 'images/layers'))).toEqual([]);
          } else {
            const imgs = await run();
            expect(imgs).toHaveLength(1);
            const [dir] = await store.rootfsLayers(imgs[0].Id);
            c.outcome.safe(dir);
          }
          checkStore(root);
        } finally {
          rmSync(root, { recursive: true, force: true });
        }
      });
    }
  }
});
