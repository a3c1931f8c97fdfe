// Docker's json-file log format: one JSON object per line,
//   {"log":"hello\n","stream":"stdout","time":"2024-01-01T00:00:00.000000000Z"}
// written by the monitor, read here for `logs` and `attach`. Rotation keeps
// FILE, FILE.1 … FILE.(N-1); readers go oldest first.

import { createWriteStream, existsSync, renameSync, statSync, type WriteStream } from 'node:fs';
import { open, readFile, stat } from 'node:fs/promises';

export interface LogEntry { log: string; stream: 'stdout' | 'stderr'; time: string }

/** Nanosecond-precision RFC 3339, as dockerd writes it. */
export function logTimestamp(date = new Date(), extraNanos = 0): string {
  const iso = date.toISOString(); // ...SS.mmmZ
  const nanos = String(date.getUTCMilliseconds() * 1_000_000 + extraNanos).padStart(9, '0');
  return `${iso.slice(0, 19)}.${nanos}Z`;
}

/** Unix seconds (with fraction) of an RFC 3339 timestamp with up to nanoseconds. */
export function timestampSeconds(time: string): number {
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(time);
  if (!m) return Date.parse(time) / 1000;
  const base = Date.parse(`${m[1]}${m[3]}`) / 1000;
  return base + (m[2] ? Number(`0.${m[2]}`) : 0);
}

/** Docker's `since`/`until`: unix seconds (`1700000000.123`), RFC 3339, or a duration before now (`10m`, `1h30m`). */
export function parseTimeParam(value: string, now = Date.now()): number {
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value);
  const dur = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+(?:\.\d+)?)s)?$/.exec(value);
  if (dur && value !== '') return now / 1000 - (Number(dur[1] ?? 0) * 3600 + Number(dur[2] ?? 0) * 60 + Number(dur[3] ?? 0));
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new Error(`invalid time "${value}": use unix seconds, RFC 3339 or a duration like 10m`);
  return timestampSeconds(value);
}

export function rotatedFiles(path: string, maxFiles = 10): string[] {
  const files: string[] = [];
  for (let i = maxFiles; i >= 1; i--) if (existsSync(`${path}.${i}`)) files.push(`${path}.${i}`);
  if (existsSync(path)) files.push(path);
  return files;
}

function parseLines(text: string): LogEntry[] {
  const out: LogEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    try { out.push(JSON.parse(line) as LogEntry); } catch { /* a torn last line while the monitor writes: skipped */ }
  }
  return out;
}

/** Every entry written so far, oldest first. */
export async function readLogEntries(path: string): Promise<{ entries: LogEntry[]; endOffset: number; inode: number }> {
  const entries: LogEntry[] = [];
  let endOffset = 0;
  let inode = 0;
  for (const file of rotatedFiles(path)) {
    const buf = await readFile(file).catch(() => Buffer.alloc(0));
    // Only complete lines count; the reader of a live file resumes after the last newline.
    const lastNl = buf.lastIndexOf(0x0a);
    entries.push(...parseLines(buf.subarray(0, lastNl + 1).toString('utf8')));
    if (file === path) {
      endOffset = lastNl + 1;
      inode = (await stat(file).catch(() => ({ ino: 0 }))).ino;
    }
  }
  return { entries, endOffset, inode };
}

/**
 * Follows a live log file from `offset`: yields batches of new entries until
 * `done()` says the writer has finished and nothing is left. Handles the
 * writer rotating the file (a new inode at the same path).
 */
export async function* followLog(path: string, offset: number, inode: number, done: () => boolean, signal?: AbortSignal, pollMs = 100): AsyncGenerator<LogEntry[]> {
  let pos = offset;
  let ino = inode;
  let pending: Buffer = Buffer.alloc(0);
  while (!signal?.aborted) {
    let st: { size: number; ino: number } | undefined;
    try { st = statSync(path); } catch { st = undefined; }
    if (st && ino && st.ino !== ino) { pos = 0; ino = st.ino; pending = Buffer.alloc(0); }
    if (st && !ino) ino = st.ino;
    if (st && st.size < pos) { pos = 0; pending = Buffer.alloc(0); }
    let grew = false;
    if (st && st.size > pos) {
      const fh = await open(path, 'r');
      try {
        const buf = Buffer.alloc(st.size - pos);
        const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
        pos += bytesRead;
        pending = Buffer.concat([pending, buf.subarray(0, bytesRead)]);
        grew = bytesRead > 0;
      } finally { await fh.close(); }
      const lastNl = pending.lastIndexOf(0x0a);
      if (lastNl >= 0) {
        const entries = parseLines(pending.subarray(0, lastNl + 1).toString('utf8'));
        pending = pending.subarray(lastNl + 1);
        if (entries.length) yield entries;
      }
    }
    if (!grew && done()) return;
    if (!grew) await new Promise((r) => setTimeout(r, pollMs));
  }
}

/** The writer side (used by the fallback monitor): rotation by size. */
export class JsonLogWriter {
  private out: WriteStream;
  private size: number;
  constructor(private readonly path: string, private readonly maxSize = 0, private readonly maxFiles = 1) {
    this.size = existsSync(path) ? statSync(path).size : 0;
    this.out = createWriteStream(path, { flags: 'a', mode: 0o640 });
  }
  write(stream: 'stdout' | 'stderr', text: string): void {
    const line = JSON.stringify({ log: text, stream, time: logTimestamp() }) + '\n';
    if (this.maxSize > 0 && this.size + line.length > this.maxSize && this.size > 0) this.rotate();
    this.out.write(line);
    this.size += Buffer.byteLength(line);
  }
  private rotate(): void {
    this.out.end();
    if (this.maxFiles > 1) {
      for (let i = this.maxFiles - 1; i >= 1; i--) {
        const from = i === 1 ? this.path : `${this.path}.${i - 1}`;
        if (existsSync(from)) renameSync(from, `${this.path}.${i}`);
      }
      this.out = createWriteStream(this.path, { flags: 'a', mode: 0o640 });
    } else {
      this.out = createWriteStream(this.path, { flags: 'w', mode: 0o640 });
    }
    this.size = 0;
  }
  close(): Promise<void> { return new Promise((r) => this.out.end(r)); }
}
