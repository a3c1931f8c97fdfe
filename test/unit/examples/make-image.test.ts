// make-image.ts on a tiny rootfs: the archive has docker save's layout, the
// config carries the row of images.ts (User resolved to uid:gid), layers are
// sorted, skip /dev and /proc contents, keep hard links, and rebuilding gives
// the same digests.
import { createReadStream, linkSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tar from 'tar-stream';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImageSpec } from '../../../examples/images/images.js';
import { makeImage, MakeImageError, resolveOwner } from '../../../examples/images/make-image.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

async function readTar(source: NodeJS.ReadableStream | Buffer): Promise<Map<string, { type: string; linkname?: string | null; data: Buffer }>> {
  const out = new Map<string, { type: string; linkname?: string | null; data: Buffer }>();
  const ex = tar.extract();
  const done = (async () => {
    for await (const entry of ex) {
      const chunks: Buffer[] = [];
      for await (const c of entry) chunks.push(c as Buffer);
      out.set(entry.header.name, { type: entry.header.type ?? 'file', linkname: entry.header.linkname, data: Buffer.concat(chunks) });
    }
  })();
  if (Buffer.isBuffer(source)) ex.end(source);
  else source.pipe(ex);
  await done;
  return out;
}

describe('make-image', () => {
  let cache: string;
  const spec: ImageSpec = {
    ref: 'tsct/tiny:1',
    archive: 'tiny.tar',
    rootfs: 'node',
    add: [{ from: 'examples/queue/app', to: '/app' }],
    extra: [{ path: '/data', type: 'directory', owner: 'app', mode: 0o750 }],
    user: 'app',
    config: { Env: ['A=1'], Cmd: ['node', 'producer.js'], WorkingDir: '/app', ExposedPorts: ['8080/tcp'], Volumes: ['/data'] },
  };

  beforeAll(() => {
    cache = mkdtempSync(path.join(os.tmpdir(), 'tsct-make-image-'));
    const root = path.join(cache, 'rootfs', 'node');
    for (const d of ['etc', 'bin', 'dev', 'proc/1']) mkdirSync(path.join(root, d), { recursive: true });
    writeFileSync(path.join(root, 'etc/passwd'), 'root:x:0:0::/root:/bin/sh\napp:x:1234:2345::/app:/bin/false\n');
    writeFileSync(path.join(root, 'etc/group'), 'root:x:0:\napp:x:2345:\n');
    writeFileSync(path.join(root, 'bin/tool'), '#!/bin/sh\n', { mode: 0o755 });
    linkSync(path.join(root, 'bin/tool'), path.join(root, 'bin/tool2'));
    symlinkSync('tool', path.join(root, 'bin/sh'));
    writeFileSync(path.join(root, 'dev/null-ish'), 'x');
    writeFileSync(path.join(root, 'proc/1/status'), 'x');
    writeFileSync(path.join(root, '.tscompose-ok'), 'key');
  });
  afterAll(() => rmSync(cache, { recursive: true, force: true }));

  it('resolves users and groups from the rootfs', () => {
    const root = path.join(cache, 'rootfs', 'node');
    expect(resolveOwner(root, 'app')).toEqual({ uid: 1234, gid: 2345 });
    expect(resolveOwner(root, '1234:app')).toEqual({ uid: 1234, gid: 2345 });
    expect(resolveOwner(root, '77')).toEqual({ uid: 77, gid: 77 });
    expect(() => resolveOwner(root, 'nobody')).toThrow(MakeImageError);
  });

  it('writes a docker save archive with the config and two layers', async () => {
    const made = await makeImage(spec, cache, true);
    expect(made.cached).toBe(false);
    const files = await readTar(createReadStream(made.archive));
    const manifest = JSON.parse(files.get('manifest.json')!.data.toString()) as Array<{ Config: string; RepoTags: string[]; Layers: string[] }>;
    expect(manifest).toHaveLength(1);
    expect(manifest[0].RepoTags).toEqual(['tsct/tiny:1']);
    expect(manifest[0].Layers).toHaveLength(2);
    const top = manifest[0].Layers[1].split('/')[0];
    expect(JSON.parse(files.get('repositories')!.data.toString())).toEqual({ 'tsct/tiny': { 1: top } });

    const config = JSON.parse(files.get(manifest[0].Config)!.data.toString());
    expect(config.config).toMatchObject({
      User: '1234:2345', Env: ['A=1'], Cmd: ['node', 'producer.js'], WorkingDir: '/app',
      ExposedPorts: { '8080/tcp': {} }, Volumes: { '/data': {} },
    });
    expect(config.rootfs.diff_ids).toHaveLength(2);
    expect(config.history).toHaveLength(2);

    const base = await readTar(files.get(manifest[0].Layers[0])!.data);
    expect([...base.keys()]).toEqual(['bin/', 'bin/sh', 'bin/tool', 'bin/tool2', 'dev/', 'etc/', 'etc/group', 'etc/passwd', 'proc/']);
    expect(base.get('bin/sh')).toMatchObject({ type: 'symlink', linkname: 'tool' });
    expect(base.get('bin/tool2')).toMatchObject({ type: 'link', linkname: 'bin/tool' });

    const upper = await readTar(files.get(manifest[0].Layers[1])!.data);
    expect(upper.get('app/resp.js')?.data.toString()).toBe(readFileSync(path.join(REPO, 'examples/queue/app/resp.js'), 'utf8'));
    expect(upper.get('data/')?.type).toBe('directory');
  });

  it('is cached when nothing changed, and reproducible when forced', async () => {
    const first = readFileSync(path.join(cache, 'archives', 'tiny.tar'));
    expect((await makeImage(spec, cache)).cached).toBe(true);
    await makeImage(spec, cache, true);
    expect(readFileSync(path.join(cache, 'archives', 'tiny.tar')).equals(first)).toBe(true);
  });

  it('says which script makes a missing rootfs', async () => {
    await expect(makeImage({ ...spec, rootfs: 'redis' }, cache)).rejects.toThrow(/build-rootfs\.sh redis/);
  });
});
