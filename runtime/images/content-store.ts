// Content-addressed blobs under <images>/blobs/sha256/<hex>. Every blob is
// written to ingest/ first, hashed while it streams, fsynced, and renamed into
// place only when its digest is known (and matches the expected one), so a
// crash or a tampered download never leaves a wrong blob under a digest.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, promises as fsp, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import { DigestMismatchError, InvalidImageError } from './errors.js';

const DIGEST_RE = /^sha256:[a-f0-9]{64}$/;

export function assertDigest(d: string, what = 'digest'): void {
  if (!DIGEST_RE.test(d)) throw new InvalidImageError(`invalid ${what} "${d}": expected sha256:<64 hex>`);
}

export function sha256Digest(data: Buffer | string): string {
  return 'sha256:' + createHash('sha256').update(data).digest('hex');
}

/** Writes `data` to `path` atomically: temp file in the same dir, fsync, rename, fsync dir. */
export async function writeFileAtomic(path: string, data: Buffer | string): Promise<void> {
  const tmp = `${path}.tmp-${randomBytes(6).toString('hex')}`;
  const fh = await fsp.open(tmp, 'w', 0o644);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await fsp.rename(tmp, path);
  await fsyncDir(join(path, '..'));
}

export async function fsyncDir(dir: string): Promise<void> {
  const fh = await fsp.open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Counts and hashes bytes passing through. */
export class HashingStream extends Transform {
  readonly hash = createHash('sha256');
  bytes = 0;
  constructor(private readonly onBytes?: (n: number) => void) {
    // large buffers: fewer hand-offs between the socket, zlib and the unpacker's pipe
    super({ highWaterMark: 1 << 20 });
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null, data?: Buffer) => void): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    this.onBytes?.(this.bytes);
    cb(null, chunk);
  }
  digest(): string {
    return 'sha256:' + this.hash.digest('hex');
  }
}

export class ContentStore {
  readonly blobsDir: string;
  readonly ingestDir: string;

  constructor(readonly dir: string) {
    this.blobsDir = join(dir, 'blobs', 'sha256');
    this.ingestDir = join(dir, 'ingest');
  }

  async init(): Promise<void> {
    await fsp.mkdir(this.blobsDir, { recursive: true });
    // Partial downloads of a previous run: discarded (a pull restarts them).
    await fsp.rm(this.ingestDir, { recursive: true, force: true });
    await fsp.mkdir(this.ingestDir, { recursive: true });
  }

  path(digest: string): string {
    assertDigest(digest);
    return join(this.blobsDir, digest.slice(7));
  }

  has(digest: string): boolean {
    return existsSync(this.path(digest));
  }

  async size(digest: string): Promise<number> {
    return (await fsp.stat(this.path(digest))).size;
  }

  readBuffer(digest: string): Buffer {
    return readFileSync(this.path(digest));
  }

  readJson<T>(digest: string): T {
    const buf = this.readBuffer(digest);
    try {
      return JSON.parse(buf.toString('utf8')) as T;
    } catch {
      throw new InvalidImageError(`blob ${digest} is not valid JSON`);
    }
  }

  open(digest: string): Readable {
    return createReadStream(this.path(digest), { highWaterMark: 1 << 20 });
  }

  /** A fresh path under ingest/ for a download in progress. */
  ingestPath(): string {
    return join(this.ingestDir, randomBytes(12).toString('hex'));
  }

  /**
   * Moves a fully written ingest file into place as `digest` (already
   * verified by the caller). Existing blobs win: content is the same.
   */
  async commit(ingestFile: string, digest: string): Promise<void> {
    const dest = this.path(digest);
    if (existsSync(dest)) {
      await fsp.rm(ingestFile, { force: true });
      return;
    }
    await fsp.rename(ingestFile, dest);
  }

  /**
   * Stores a buffer, verifying it against `expected` when given. Returns its
   * digest. `sync: false` skips the fsync: for callers that flush the whole
   * store (syncfs) before anything refers to the blob.
   */
  async putBuffer(data: Buffer, expected?: string, what = 'blob', opts: { sync?: boolean } = {}): Promise<string> {
    const digest = sha256Digest(data);
    if (expected && digest !== expected) throw new DigestMismatchError(expected, digest, what);
    if (this.has(digest)) return digest;
    const tmp = this.ingestPath();
    const fh = await fsp.open(tmp, 'w', 0o644);
    try {
      await fh.writeFile(data);
      if (opts.sync !== false) await fh.sync();
    } finally {
      await fh.close();
    }
    await this.commit(tmp, digest);
    return digest;
  }

  /** Streams into the store; verifies against `expected` when given. */
  async putStream(src: Readable, expected?: string, what = 'blob', onBytes?: (n: number) => void): Promise<{ digest: string; size: number }> {
    const tmp = this.ingestPath();
    const hasher = new HashingStream(onBytes);
    const out = createWriteStream(tmp, { mode: 0o644 });
    try {
      await pipeline(src, hasher, out);
      const digest = hasher.digest();
      if (expected && digest !== expected) throw new DigestMismatchError(expected, digest, what);
      await syncFile(tmp);
      await this.commit(tmp, digest);
      return { digest, size: hasher.bytes };
    } catch (err) {
      await fsp.rm(tmp, { force: true });
      throw err;
    }
  }

  async delete(digest: string): Promise<void> {
    await fsp.rm(this.path(digest), { force: true });
  }

  async list(): Promise<string[]> {
    const names = await fsp.readdir(this.blobsDir);
    return names.filter((n) => /^[a-f0-9]{64}$/.test(n)).map((n) => 'sha256:' + n);
  }
}

export async function syncFile(path: string): Promise<void> {
  const fh = await fsp.open(path, 'r+');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
