// Container output to the terminal: each container's log stream split into
// lines and printed with its prefix, many containers at once (`up` attached,
// `logs -f`). Streams end when the container stops (follow) or at the end of
// the log, or when `signal` aborts.

import { StringDecoder } from 'node:string_decoder';
import { FrameDemuxer, LineSplitter, type HijackedStream } from '../../runtime/client/index.js';
import type { Engine } from './executor/engine-port.js';
import type { LogPrinter } from './ui/log-printer.js';

export interface FollowOptions {
  readonly follow?: boolean;
  readonly tail?: number | 'all';
  readonly since?: string;
  readonly until?: string;
  readonly timestamps?: boolean;
  readonly signal?: AbortSignal;
}

export async function printLogs(engine: Engine, containerNames: readonly string[], printer: LogPrinter, options: FollowOptions): Promise<void> {
  await Promise.all(containerNames.map((name) => printContainerLogs(engine, name, printer, options)));
}

/** One container's log, line by line, until its end (or the container's, with follow). */
export async function printContainerLogs(engine: Engine, name: string, printer: LogPrinter, options: FollowOptions): Promise<void> {
  const tty = (await engine.inspectContainer(name)).Config?.Tty ?? false;
  const splitters = { stdout: new LineSplitter(), stderr: new LineSplitter() };
  try {
    for await (const frame of engine.logs(name, { ...options, tty })) {
      if (frame.stream !== 'stdout' && frame.stream !== 'stderr') continue;
      for (const line of splitters[frame.stream].push(frame.data)) printer.line(name, line);
    }
  } catch (err) {
    if (!options.signal?.aborted) throw err;
  }
  for (const stream of ['stdout', 'stderr'] as const) for (const line of splitters[stream].end()) printer.line(name, line);
}

/**
 * One container's output as it is, stdout to stdout and stderr to stderr
 * (`run` in the foreground, like `docker compose run`): no prefix, no line
 * buffering, a character split across frames kept whole.
 */
export async function copyContainerOutput(engine: Engine, name: string, out: { stdout: (s: string) => void; stderr: (s: string) => void }, options: FollowOptions): Promise<void> {
  const tty = (await engine.inspectContainer(name)).Config?.Tty ?? false;
  const decoders = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };
  try {
    for await (const frame of engine.logs(name, { ...options, tty })) {
      if (frame.stream !== 'stdout' && frame.stream !== 'stderr') continue;
      const text = decoders[frame.stream].write(frame.data);
      if (text) out[frame.stream](text);
    }
  } catch (err) {
    if (!options.signal?.aborted) throw err;
  }
  for (const stream of ['stdout', 'stderr'] as const) {
    const rest = decoders[stream].end();
    if (rest) out[stream](rest);
  }
}

export interface HijackedOutput {
  readonly tty: boolean;
  readonly stdout: (data: Buffer) => void;
  readonly stderr: (data: Buffer) => void;
  /** Forwarded to the container while the stream is open (interactive exec/run). */
  readonly stdin?: NodeJS.ReadableStream;
}

/** Copies a hijacked exec/attach stream to our output until the engine closes it. */
export function pipeHijacked(stream: HijackedStream, output: HijackedOutput): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const demuxer = new FrameDemuxer();
    const take = (chunk: Buffer) => {
      if (output.tty) return output.stdout(chunk);
      for (const frame of demuxer.push(chunk)) (frame.stream === 'stderr' ? output.stderr : output.stdout)(frame.data);
    };
    try {
      if (stream.head.length > 0) take(stream.head);
    } catch (err) {
      reject(err);
      return;
    }
    if (output.stdin) output.stdin.pipe(stream.socket);
    stream.socket.on('data', (chunk: Buffer) => {
      try {
        take(chunk);
      } catch (err) {
        reject(err);
      }
    });
    stream.socket.on('error', reject);
    stream.socket.on('end', () => {
      if (output.stdin) output.stdin.unpipe(stream.socket);
      resolve();
    });
  });
}
