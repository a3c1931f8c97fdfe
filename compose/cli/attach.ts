// Container output to the terminal: each container's log stream split into
// lines and printed with its prefix, many containers at once (`up` attached,
// `logs -f`). Streams end when the container stops (follow) or at the end of
// the log, or when `signal` aborts.

import { LineSplitter } from '../../runtime/client/index.js';
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
  await Promise.all(
    containerNames.map(async (name) => {
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
    }),
  );
}
