// A build step's changes → a layer in the image store. The step ran on an
// overlay whose upper dir holds exactly what it changed, in overlay's own
// notation: a deleted path is a 0/0 character device, a folder replaced as
// a whole carries the `trusted.overlay.opaque=y` xattr. A layer tar says the
// same with `.wh.<name>` and `.wh..wh..opq` entries (the OCI image spec).
// Node cannot read xattrs, so GNU tar walks the upper dir (with only that
// xattr), and its stream is rewritten entry by entry into the layer tar,
// which goes into the content store (its digest is the layer's diff id) and
// is unpacked as a layer from there, like a pulled one.

import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { posix } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tarStream, { type Header } from 'tar-stream';

type Headers = Partial<Header> & { name: string };
import type { ImageStore } from '../images/index.js';
import { BuildError } from './errors.js';

export interface CommittedLayer {
  diffId: string;
  chainId: string;
  /** Bytes of the layer tar. */
  size: number;
}

const OPAQUE_XATTR = 'SCHILY.xattr.trusted.overlay.opaque';

/** The chain id of `diffId` on top of `parent` (OCI image spec: sha256 of "parent diffId"). */
export function chainIdOf(parent: string | null, diffId: string): string {
  return parent ? 'sha256:' + createHash('sha256').update(`${parent} ${diffId}`).digest('hex') : diffId;
}

/** The layer tar of an overlay upper dir, as a stream. */
export function upperDirTar(upperDir: string): Readable {
  const child = spawn('tar', ['--xattrs', `--xattrs-include=trusted.overlay.opaque`, '--numeric-owner', '-C', upperDir, '-cf', '-', '.'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const extract = tarStream.extract();
  const pack = tarStream.pack();
  // Overlay may link every whiteout to one inode: tar then writes the later ones as hard links to the first.
  const whiteouts = new Set<string>();
  const clean = (n: string): string => n.replace(/^\.\//, '').replace(/\/+$/, '');
  const put = (h: Headers, body?: Buffer): Promise<void> =>
    new Promise((res, rej) => pack.entry(h, body ?? '', (err) => (err ? rej(err) : res())));
  extract.on('entry', (h, stream, next) => {
    void (async () => {
      const name = clean(h.name);
      const base = { name, mode: h.mode, uid: h.uid, gid: h.gid, mtime: h.mtime };
      if (name === '' || name === '.') {
        stream.resume();
        return;
      }
      const whiteoutOf = (): Headers => ({
        name: posix.join(posix.dirname(name), `.wh.${posix.basename(name)}`), type: 'file', size: 0, mode: 0o644, uid: 0, gid: 0, mtime: h.mtime,
      });
      if (h.type === 'character-device' && !h.devmajor && !h.devminor) {
        whiteouts.add(name);
        stream.resume();
        await put(whiteoutOf());
      } else if (h.type === 'link' && whiteouts.has(clean(h.linkname ?? ''))) {
        stream.resume();
        await put(whiteoutOf());
      } else if (h.type === 'directory') {
        stream.resume();
        await put({ ...base, type: 'directory' });
        if ((h.pax as Record<string, string> | undefined)?.[OPAQUE_XATTR] === 'y') await put({ name: `${name}/.wh..wh..opq`, type: 'file', size: 0, mode: 0o644, uid: 0, gid: 0, mtime: h.mtime });
      } else if (h.type === 'file' || h.type === 'contiguous-file') {
        const sink = pack.entry({ ...base, type: 'file', size: h.size });
        await pipeline(stream, sink);
      } else if (h.type === 'symlink' || h.type === 'link') {
        stream.resume();
        await put({ ...base, type: h.type, linkname: h.type === 'link' ? clean(h.linkname ?? '') : h.linkname });
      } else if (h.type === 'character-device' || h.type === 'block-device' || h.type === 'fifo') {
        stream.resume();
        await put({ ...base, type: h.type, devmajor: h.devmajor, devminor: h.devminor });
      } else {
        stream.resume();
      }
    })().then(() => next(), (err: Error) => next(err));
  });
  extract.on('finish', () => pack.finalize());
  extract.on('error', (err) => pack.destroy(err));
  const exited = new Promise<void>((res, rej) => {
    child.on('error', (err: NodeJS.ErrnoException) => rej(new BuildError(err.code === 'ENOENT' ? 'GNU tar is needed to commit build steps (apt-get install tar)' : `tar: ${err.message}`)));
    child.on('close', (code) => (code === 0 ? res() : rej(new BuildError(`reading the changes of the step in ${upperDir}: ${stderr.trim() || `tar exited with ${code}`}`))));
  });
  exited.catch((err: Error) => pack.destroy(err));
  child.stdout.pipe(extract);
  return pack as unknown as Readable;
}

/**
 * Adds the changes in `upperDir` as a layer on `parentChainId`. The caller
 * pins what it gets back (`store.pin`) until an image references it.
 */
export async function commitUpperDir(store: ImageStore, upperDir: string, parentChainId: string | null, pin: (keys: string[]) => void): Promise<CommittedLayer> {
  const blob = await store.content.putStream(upperDirTar(upperDir), undefined, 'build layer');
  pin([blob.digest]);
  const diffId = blob.digest;
  const chainId = chainIdOf(parentChainId, diffId);
  pin([chainId]);
  await store.layers.unpack(chainId, diffId, parentChainId, createReadStream(store.content.path(blob.digest), { highWaterMark: 1 << 20 }), 'none', {
    blob: { digest: blob.digest, compression: 'none' },
  });
  return { diffId, chainId, size: blob.size };
}
