// Small stream helpers shared by load/import.
import { Readable } from 'node:stream';
import { detectCompression, type Compression } from './layer-store.js';

/** Reads the first bytes of `src` and gives back a stream that still starts with them. */
export async function peek(src: Readable, n = 8): Promise<{ head: Buffer; stream: Readable }> {
  const chunks: Buffer[] = [];
  let len = 0;
  const it = src[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  while (len < n) {
    const r = await it.next();
    if (r.done) break;
    const c = Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value);
    chunks.push(c);
    len += c.length;
  }
  const head = Buffer.concat(chunks);
  async function* rest(): AsyncGenerator<Buffer> {
    if (head.length) yield head;
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      yield Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value);
    }
  }
  return { head, stream: Readable.from(rest(), { objectMode: false }) };
}

export async function peekCompression(src: Readable): Promise<{ compression: Compression; stream: Readable }> {
  const { head, stream } = await peek(src, 4);
  return { compression: detectCompression(head), stream };
}
