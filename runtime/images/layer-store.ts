// Unpacked layers under <images>/layers/<chainid hex>/, shared by every
// image whose layer stack has that chain id. A layer is unpacked into
// layers/tmp-<random>/diff by the native helper (chrooted into it), its
// layer.json written, and the whole folder renamed into place: a folder named
// by a chain id is always complete; tmp-* folders are debris of a crash and
// are removed at open.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, promises as fsp, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Duplex, Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { createGunzip } from 'node:zlib';
import { HashingStream, fsyncDir, writeFileAtomic } from './content-store.js';
import { DigestMismatchError, ImageError, LayerUnpackError } from './errors.js';

export interface LayerInfo {
  chainId: string;
  diffId: string;
  parent: string | null;
  /** Bytes of regular-file data unpacked. */
  size: number;
  /** Length of the uncompressed tar (for `docker save`). */
  diffSize: number;
  entries: number;
  /** A stored blob whose (decompressed) content is this layer's tar: for `docker save`. */
  blob?: { digest: string; compression: Compression };
}

export interface UnpackCounts {
  entries: number;
  files: number;
  dirs: number;
  symlinks: number;
  hardlinks: number;
  devices: number;
  whiteouts: number;
  opaques: number;
  skipped: number;
  warnings: number;
  bytes: number;
  streamBytes: number;
}

export type Compression = 'gzip' | 'zstd' | 'none';

export interface UnpackOptions {
  /** Uncompressed bytes seen so far. */
  onBytes?: (n: number) => void;
  /** Run after the stream ended, before the layer is committed: checks the compressed digest and commits the blob. */
  verify?: () => Promise<void>;
  /** The stored blob the stream came from, remembered for `docker save`. */
  blob?: { digest: string; compression: Compression };
}

export function chainIds(diffIds: string[]): string[] {
  const out: string[] = [];
  for (const d of diffIds) {
    const prev = out[out.length - 1];
    out.push(prev ? 'sha256:' + createHash('sha256').update(`${prev} ${d}`).digest('hex') : d);
  }
  return out;
}

/** Compression from a blob's first bytes (media types lie in `docker save` archives). */
export function detectCompression(head: Buffer): Compression {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  return 'none';
}

export function compressionOfMediaType(mediaType: string): Compression | undefined {
  if (/(\.|\+)gzip$/.test(mediaType) || mediaType.endsWith('.tar.gzip') || mediaType === 'application/vnd.docker.image.rootfs.diff.tar.gzip') return 'gzip';
  if (mediaType.endsWith('+zstd') || mediaType.endsWith('.zstd')) return 'zstd';
  if (mediaType.endsWith('.tar') || mediaType.endsWith('layer.v1.tar')) return 'none';
  return undefined;
}

export function defaultUnpackBinary(): string {
  if (process.env.TSC_UNPACK) return process.env.TSC_UNPACK;
  // runtime/images/ (or dist/runtime/images/) → repository root → native/build
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const cand = join(dir, 'native', 'build', 'tsc-unpack');
    if (existsSync(cand)) return cand;
    dir = resolve(dir, '..');
  }
  return resolve(dirname(fileURLToPath(import.meta.url)), '../../native/build/tsc-unpack');
}

/** `program args…` as a stream stage: bytes in on stdin, out on stdout; `done` when it exited 0. */
function programStage(program: string, args: string[], what: string, missingHint: string): { stream: Duplex; done: Promise<void> } {
  const child = spawn(program, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<void>((res, rej) => {
    child.on('error', (err: NodeJS.ErrnoException) => rej(new ImageError(err.code === 'ENOENT' ? missingHint : `${what}: ${err.message}`)));
    child.on('close', (code) => (code === 0 ? res() : rej(new ImageError(`${what}: decompression failed: ${stderr.trim() || `exit ${code}`}`))));
  });
  done.catch(() => undefined);
  const stream = Duplex.from({ writable: child.stdin, readable: child.stdout });
  // an abandoned pipeline (unpacker refused the layer) must not leave the program behind
  stream.on('close', () => {
    if (!child.stdout.readableEnded && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return { stream, done };
}

/**
 * gzip: node's zlib (in the thread pool; ISA-L's igzip in a child process was
 * measured no faster here: what it saves in inflate, the extra pipe copies
 * cost). zstd: node 20's zlib has no zstd, so the `zstd` program (Debian's
 * `zstd` package, in scripts/install-deps.sh) decompresses in a child
 * process: it is several times faster than the pure-JS decoders.
 */
export function decompressor(kind: Compression): { stream: Duplex | null; done: Promise<void> } {
  if (kind === 'none') return { stream: null, done: Promise.resolve() };
  if (kind === 'gzip') return { stream: createGunzip({ chunkSize: 256 * 1024 }), done: Promise.resolve() };
  return programStage('zstd', ['-d', '-c', '-q'], 'zstd', 'zstd-compressed layer, but the `zstd` program is not installed (apt-get install zstd)');
}

export class LayerStore {
  private readonly layers = new Map<string, LayerInfo>();
  private readonly inflight = new Map<string, Promise<LayerInfo>>();

  constructor(
    readonly dir: string,
    readonly unpackBinary: string,
    readonly allowDevices: boolean,
    readonly durable = true,
  ) {}

  /** <images>/l: short symlinks to diff dirs, so an overlay lowerdir of many layers fits in a page. */
  get linksDir(): string {
    return join(this.dir, '..', 'l');
  }

  shortLink(chainId: string): string {
    return join(this.linksDir, chainId.slice(7, 23));
  }

  private async link(chainId: string): Promise<void> {
    const l = this.shortLink(chainId);
    const target = `../layers/${chainId.slice(7)}/diff`;
    try {
      if ((await fsp.readlink(l)) === target) return;
      await fsp.rm(l, { force: true });
    } catch {
      /* absent */
    }
    await fsp.symlink(target, l);
  }

  async init(): Promise<void> {
    await fsp.mkdir(this.dir, { recursive: true });
    await fsp.mkdir(this.linksDir, { recursive: true });
    for (const name of await fsp.readdir(this.dir)) {
      const p = join(this.dir, name);
      if (!/^[a-f0-9]{64}$/.test(name)) {
        if (name.startsWith('tmp-')) await fsp.rm(p, { recursive: true, force: true });
        continue;
      }
      try {
        const info = JSON.parse(readFileSync(join(p, 'layer.json'), 'utf8')) as LayerInfo;
        if (info.chainId === 'sha256:' + name) this.layers.set(info.chainId, info);
        else await fsp.rm(p, { recursive: true, force: true });
      } catch {
        await fsp.rm(p, { recursive: true, force: true });
      }
    }
    for (const name of await fsp.readdir(this.linksDir)) {
      const owner = [...this.layers.keys()].find((c) => c.slice(7, 23) === name);
      if (!owner) await fsp.rm(join(this.linksDir, name), { force: true });
    }
    for (const c of this.layers.keys()) await this.link(c);
  }

  get(chainId: string): LayerInfo | undefined {
    return this.layers.get(chainId);
  }

  has(chainId: string): boolean {
    return this.layers.has(chainId);
  }

  list(): LayerInfo[] {
    return [...this.layers.values()];
  }

  diffDir(chainId: string): string {
    return join(this.dir, chainId.slice(7), 'diff');
  }

  /**
   * Unpacks a (possibly compressed) layer stream as `chainId`. The
   * uncompressed stream must hash to `diffId`; on any failure nothing stays
   * under layers/. Concurrent calls for the same chain id share one unpack.
   */
  unpack(chainId: string, diffId: string, parent: string | null, src: Readable, compression: Compression, opts: UnpackOptions = {}): Promise<LayerInfo> {
    const existing = this.layers.get(chainId);
    if (existing) {
      src.resume();
      return Promise.resolve(existing);
    }
    const running = this.inflight.get(chainId);
    if (running) {
      src.resume();
      return running;
    }
    const p = this.doUnpack(chainId, diffId, parent, src, compression, opts).finally(() => this.inflight.delete(chainId));
    this.inflight.set(chainId, p);
    return p;
  }

  /**
   * A base layer whose diff id is learnt while unpacking (`docker import`):
   * its chain id is its diff id.
   */
  async unpackBase(src: Readable, compression: Compression, opts: UnpackOptions = {}): Promise<LayerInfo> {
    return this.doUnpack(undefined, undefined, null, src, compression, opts);
  }

  private async doUnpack(
    wantChainId: string | undefined,
    wantDiffId: string | undefined,
    parent: string | null,
    src: Readable,
    compression: Compression,
    opts: UnpackOptions,
  ): Promise<LayerInfo> {
    const tmp = join(this.dir, `tmp-${randomBytes(8).toString('hex')}`);
    const diff = join(tmp, 'diff');
    await fsp.mkdir(diff, { recursive: true, mode: 0o755 });
    try {
      const hasher = new HashingStream(opts.onBytes);
      const counts = await runUnpacker(this.unpackBinary, diff, this.allowDevices, src, compression, hasher, wantChainId ?? 'imported layer');
      const diffId = hasher.digest();
      // the compressed digest first: it is what the manifest names and what a user can look up
      await opts.verify?.();
      if (wantDiffId && diffId !== wantDiffId) throw new DigestMismatchError(wantDiffId, diffId, 'layer (uncompressed)');
      const chainId = wantChainId ?? diffId;
      const existing = this.layers.get(chainId);
      if (existing) {
        await fsp.rm(tmp, { recursive: true, force: true });
        return existing;
      }
      const info: LayerInfo = { chainId, diffId, parent, size: counts.bytes, diffSize: hasher.bytes, entries: counts.entries };
      if (opts.blob) info.blob = opts.blob;
      await writeFileAtomic(join(tmp, 'layer.json'), JSON.stringify(info));
      const dest = join(this.dir, chainId.slice(7));
      if (this.layers.has(chainId) || existsSync(dest)) {
        await fsp.rm(tmp, { recursive: true, force: true });
        const known = this.layers.get(chainId);
        if (known) return known;
      } else {
        await fsp.rename(tmp, dest);
        await fsyncDir(this.dir);
      }
      this.layers.set(chainId, info);
      await this.link(chainId);
      return info;
    } catch (err) {
      await fsp.rm(tmp, { recursive: true, force: true });
      throw err;
    }
  }

  /**
   * Makes every layer unpacked so far durable: one syncfs(2) for the whole
   * pull instead of one per layer. Callers do this before an image that
   * uses new layers is recorded; a crash before that leaves the new layers
   * unreferenced, and the GC at open removes them, so a half-written layer
   * is never reused.
   */
  async sync(): Promise<void> {
    if (!this.durable) return;
    await new Promise<void>((resolve, reject) => {
      const child = spawn(this.unpackBinary, ['--syncfs', this.dir], { stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      child.on('error', reject);
      child.on('close', (code) => (code === 0 ? resolve() : reject(new ImageError(err.trim() || `syncfs ${this.dir} failed`))));
    });
  }

  async remove(chainId: string): Promise<void> {
    const p = join(this.dir, chainId.slice(7));
    // Rename first so a crash mid-delete leaves a tmp-* folder (swept at open), not a half layer.
    const doomed = join(this.dir, `tmp-rm-${randomBytes(6).toString('hex')}`);
    this.layers.delete(chainId);
    await fsp.rm(this.shortLink(chainId), { force: true });
    try {
      await fsp.rename(p, doomed);
    } catch {
      return;
    }
    await fsp.rm(doomed, { recursive: true, force: true });
  }
}

/** Pipes src → decompress → hasher → tsc-unpack DEST. Errors of the helper win over EPIPE. */
export async function runUnpacker(
  binary: string,
  dest: string,
  allowDevices: boolean,
  src: Readable,
  compression: Compression,
  hasher: Transform,
  what: string,
): Promise<UnpackCounts> {
  const args = [...(allowDevices ? ['--devices'] : []), dest];
  const child = spawn(binary, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number>((res, rej) => {
    child.on('error', (err: NodeJS.ErrnoException) =>
      rej(new LayerUnpackError(err.code === 'ENOENT' ? `layer unpacker ${binary} not found: build it with \`make -C native\`` : `start ${binary}: ${err.message}`, what)),
    );
    child.on('close', (code, signal) => res(code ?? (signal ? 128 : 1)));
  });
  exited.catch(() => undefined);
  const dec = decompressor(compression);
  const stages: Array<NodeJS.ReadableStream | NodeJS.WritableStream | Duplex | Transform> = [src];
  if (dec.stream) stages.push(dec.stream);
  stages.push(hasher, child.stdin);
  let pipeErr: unknown;
  try {
    await (pipeline as (...s: unknown[]) => Promise<void>)(...stages);
    await dec.done;
  } catch (err) {
    pipeErr = err;
    // Stop the helper: its input is broken, whatever it has written is discarded with the tmp dir.
    if (child.exitCode === null) child.kill('SIGKILL');
  }
  const code = await exited;
  if (code !== 0 && stderr.trim()) {
    const lines = stderr.trim().split('\n').filter((l) => !l.includes(': warning: '));
    const msg = (lines[lines.length - 1] ?? stderr.trim()).replace(/^tsc-unpack: /, '');
    throw new LayerUnpackError(`unpack layer ${what.slice(0, 19)}: ${msg}`, what);
  }
  if (pipeErr) throw pipeErr;
  if (code !== 0) throw new LayerUnpackError(`unpack layer ${what.slice(0, 19)}: helper exited with ${code}`, what);
  try {
    return JSON.parse(stdout) as UnpackCounts;
  } catch {
    throw new LayerUnpackError(`unpack layer ${what.slice(0, 19)}: unexpected helper output ${JSON.stringify(stdout.slice(0, 200))}`, what);
  }
}
