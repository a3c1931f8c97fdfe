// The stream formats of the Docker API.
//
// Multiplexed stdout/stderr (logs and attach without a TTY): frames of
//   [stream:u8, 0, 0, 0, size:u32be] payload[size]
// where stream is 0 stdin, 1 stdout, 2 stderr (3 is a systemerr from some
// engines). With a TTY the bytes are raw, no framing.
//
// JSON progress (pull, load, import, build): one JSON object per line.

export type StreamKind = 'stdin' | 'stdout' | 'stderr' | 'system';
export interface StreamFrame { stream: StreamKind; data: Buffer }

const KINDS: StreamKind[] = ['stdin', 'stdout', 'stderr', 'system'];

export class StreamFormatError extends Error {
  override readonly name = 'StreamFormatError';
}

/** Builds one frame (the engine side of the format). */
export function encodeFrame(stream: 'stdout' | 'stderr' | 'stdin' | 'system', data: Buffer | string): Buffer {
  const payload = typeof data === 'string' ? Buffer.from(data) : data;
  const header = Buffer.alloc(8);
  header[0] = KINDS.indexOf(stream);
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

/**
 * Splits a multiplexed byte stream into frames whatever the chunk
 * boundaries are: feed chunks with push(), get complete frames back.
 */
export class FrameDemuxer {
  private pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): StreamFrame[] {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const frames: StreamFrame[] = [];
    while (this.pending.length >= 8) {
      const kind = this.pending[0];
      if (kind > 3 || this.pending[1] !== 0 || this.pending[2] !== 0 || this.pending[3] !== 0) {
        throw new StreamFormatError(`not a multiplexed stream: frame header ${this.pending.subarray(0, 8).toString('hex')}`);
      }
      const size = this.pending.readUInt32BE(4);
      if (this.pending.length < 8 + size) break;
      frames.push({ stream: KINDS[kind], data: Buffer.from(this.pending.subarray(8, 8 + size)) });
      this.pending = this.pending.subarray(8 + size);
    }
    return frames;
  }

  /** Bytes of an incomplete frame left at the end of the stream (0 when the stream ended cleanly). */
  get leftover(): number { return this.pending.length; }
}

/** Demultiplexes a whole buffer (the body of a finished logs request). */
export function demuxBuffer(buf: Buffer): { stdout: Buffer; stderr: Buffer; frames: StreamFrame[] } {
  const d = new FrameDemuxer();
  const frames = d.push(buf);
  if (d.leftover) throw new StreamFormatError(`multiplexed stream ends inside a frame (${d.leftover} bytes left)`);
  return {
    stdout: Buffer.concat(frames.filter((f) => f.stream === 'stdout').map((f) => f.data)),
    stderr: Buffer.concat(frames.filter((f) => f.stream === 'stderr').map((f) => f.data)),
    frames,
  };
}

/** Splits a byte stream into lines whatever the chunk boundaries (UTF-8 safe: splits on bytes). */
export class LineSplitter {
  private pending: Buffer = Buffer.alloc(0);
  push(chunk: Buffer): string[] {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const lines: string[] = [];
    let nl: number;
    while ((nl = this.pending.indexOf(0x0a)) >= 0) {
      lines.push(this.pending.subarray(0, nl).toString('utf8').replace(/\r$/, ''));
      this.pending = this.pending.subarray(nl + 1);
    }
    return lines;
  }
  end(): string[] {
    const rest = this.pending.toString('utf8').trim();
    this.pending = Buffer.alloc(0);
    return rest ? [rest] : [];
  }
}

/** Parses one JSON line of a progress or events stream; blank lines give undefined. */
export function parseJsonLine<T>(line: string): T | undefined {
  const t = line.trim();
  if (!t) return undefined;
  try {
    return JSON.parse(t) as T;
  } catch {
    throw new StreamFormatError(`not a JSON line in the engine's stream: ${t.slice(0, 200)}`);
  }
}

/** Async iteration over the JSON lines of a readable byte stream. */
export async function* jsonLines<T>(source: AsyncIterable<Buffer | string>): AsyncGenerator<T> {
  const splitter = new LineSplitter();
  for await (const chunk of source) {
    for (const line of splitter.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk)) {
      const v = parseJsonLine<T>(line);
      if (v !== undefined) yield v;
    }
  }
  for (const line of splitter.end()) {
    const v = parseJsonLine<T>(line);
    if (v !== undefined) yield v;
  }
}

/** Async iteration over the frames of a multiplexed byte stream. */
export async function* demuxStream(source: AsyncIterable<Buffer>): AsyncGenerator<StreamFrame> {
  const d = new FrameDemuxer();
  for await (const chunk of source) yield* d.push(chunk);
  if (d.leftover) throw new StreamFormatError(`multiplexed stream ends inside a frame (${d.leftover} bytes left)`);
}
