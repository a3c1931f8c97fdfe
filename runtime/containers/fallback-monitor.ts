// A stand-in for `tscrun monitor` (native/src/monitor.h), in Node, for hosts
// where tscrun is not built yet. Same command line and the same files (json
// log, exit file), but it runs `<runtime> run` in the foreground instead of
// `create`: Node cannot become a child subreaper, and the foreground runtime
// is the only way for it to learn the exit status. So the container is
// already started when it reports ready ({"started":true}), and the engine
// must not call `<runtime> start`. It costs a Node process per container.

import { spawn } from 'node:child_process';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { JsonLogWriter, logTimestamp } from './json-log.js';

interface Args {
  id: string; bundle: string; runtime: string; runtimeRoot?: string; logPath: string; logMaxSize: number;
  logMaxFile: number; exitFile: string; pidFile: string;
}

function parseArgs(argv: string[]): Args {
  const get = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const need = (name: string): string => {
    const v = get(name);
    if (!v) { process.stderr.write(`fallback monitor: --${name} is required\n`); process.exit(2); }
    return v;
  };
  const exitFile = need('exit-file');
  return {
    id: need('id'), bundle: need('bundle'), runtime: need('runtime'), runtimeRoot: get('runtime-root'),
    logPath: need('log-path'), logMaxSize: Number(get('log-max-size') ?? 0), logMaxFile: Number(get('log-max-file') ?? 1),
    exitFile, pidFile: get('pid-file') ?? `${exitFile}.pid`,
  };
}

const PARTIAL_LIMIT = 16 * 1024;

/** Turns a byte stream into log entries: one per line, long lines split like dockerd. */
function lineLogger(log: JsonLogWriter, stream: 'stdout' | 'stderr'): { push(b: Buffer): void; flush(): void } {
  let pending: Buffer = Buffer.alloc(0);
  return {
    push(b: Buffer) {
      pending = pending.length ? Buffer.concat([pending, b]) : b;
      let nl: number;
      while ((nl = pending.indexOf(0x0a)) >= 0 || pending.length >= PARTIAL_LIMIT) {
        const end = nl >= 0 && nl < PARTIAL_LIMIT ? nl + 1 : PARTIAL_LIMIT;
        log.write(stream, pending.subarray(0, end).toString('utf8'));
        pending = pending.subarray(end);
      }
    },
    flush() { if (pending.length) log.write(stream, pending.toString('utf8')); pending = Buffer.alloc(0); },
  };
}

function writeExitFile(path: string, exitCode: number, signal: string | null): void {
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, JSON.stringify({ exitCode, signal, finishedAt: logTimestamp(), oomKilled: false }) + '\n');
  renameSync(tmp, path);
}

function main(): void {
  const a = parseArgs(process.argv.slice(2));
  for (const s of ['SIGHUP', 'SIGINT', 'SIGPIPE'] as const) process.on(s, () => {});
  const log = new JsonLogWriter(a.logPath, a.logMaxSize, a.logMaxFile);
  const rootArgs = a.runtimeRoot ? ['--root', a.runtimeRoot] : [];
  const child = spawn(a.runtime, [...rootArgs, 'run', '--bundle', a.bundle, '--pid-file', a.pidFile, a.id], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out = lineLogger(log, 'stdout');
  const err = lineLogger(log, 'stderr');
  let ready = false;
  let early = '';
  child.stdout.on('data', (b: Buffer) => out.push(b));
  child.stderr.on('data', (b: Buffer) => { if (!ready) early += b.toString('utf8'); err.push(b); });
  const checkReady = (): void => {
    if (ready || !existsSync(a.pidFile)) return;
    const pid = Number(readFileSync(a.pidFile, 'utf8').trim());
    if (!pid) return;
    ready = true;
    clearInterval(poll);
    process.stdout.write(JSON.stringify({ pid, monitorPid: process.pid, started: true }) + '\n');
    process.stdout.end();
    process.stderr.end();
  };
  const poll = setInterval(checkReady, 10);
  let closed = 0;
  let exitCode: number | null = null;
  let signal: string | null = null;
  const finish = (): void => {
    if (closed < 3) return;
    // A container quicker than the poll still left its pid file: it did start.
    checkReady();
    clearInterval(poll);
    out.flush(); err.flush();
    void log.close().then(() => {
      if (!ready) {
        process.stderr.write(`${a.runtime} run failed: ${early.trim() || `exit status ${exitCode}`}\n`);
        process.exitCode = 1;
        return;
      }
      const code = exitCode ?? 255;
      writeExitFile(a.exitFile, code, signal);
    });
  };
  child.stdout.on('close', () => { closed++; finish(); });
  child.stderr.on('close', () => { closed++; finish(); });
  child.on('exit', (code, sig) => {
    exitCode = code ?? (sig ? 128 + (({ SIGKILL: 9, SIGTERM: 15, SIGINT: 2 } as Record<string, number>)[sig] ?? 0) : 255);
    if (exitCode > 128) signal = ({ 137: 'SIGKILL', 143: 'SIGTERM', 130: 'SIGINT', 129: 'SIGHUP' } as Record<number, string>)[exitCode] ?? null;
    closed++; finish();
  });
  child.on('error', (e) => { early += e.message; });
}

main();
