// The seam through which a health probe runs a command in a container, and
// its real implementation: the OCI runtime's `exec` (tscrun, runc or crun
// share the command line), output of both streams collected into one
// bounded buffer like Docker's probe buffer.

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAX_OUTPUT_BYTES } from './health-state.js';

export interface ExecRequest {
  containerId: string;
  argv: string[];
  /** Left out: the container's own (what the OCI runtime's exec defaults to, and what Docker uses for probes). */
  user?: string;
  workingDir?: string;
  /** Extra `KEY=value` entries on top of the container's environment. */
  env?: string[];
  /** Aborted when the probe timed out or the check was stopped: the process must be killed and run() settle. */
  signal?: AbortSignal;
}

export interface ExecResult {
  exitCode: number;
  /** stdout and stderr interleaved, at most MAX_OUTPUT_BYTES. */
  output: string;
  /** More output was produced than kept. */
  truncated?: boolean;
}

export interface ExecRunner {
  run(req: ExecRequest): Promise<ExecResult>;
}

export interface RuntimeExecRunnerOptions {
  /** The OCI runtime binary (`native/build/tscrun`, `runc`, `crun`). */
  runtimePath: string;
  /** Its `--root`: the engine's private state folder for that runtime. */
  runtimeRoot: string;
  /** Backstop: kill an exec still running after this long even if nobody aborts it. */
  hardTimeoutMs?: number;
  /** After an abort, how long the runtime's exec may take to exit before it is SIGKILLed too. */
  killGraceMs?: number;
}

/** Runs `<runtime> --root R exec --pid-file F ID argv…` (no tty, no stdin). */
export class RuntimeExecRunner implements ExecRunner {
  constructor(private readonly opts: RuntimeExecRunnerOptions) {}

  run(req: ExecRequest): Promise<ExecResult> {
    const pidFile = join(tmpdir(), `tscompose-exec-${randomBytes(6).toString('hex')}.pid`);
    const args = ['--root', this.opts.runtimeRoot, 'exec', '--pid-file', pidFile];
    if (req.user) args.push('--user', req.user);
    if (req.workingDir) args.push('--cwd', req.workingDir);
    for (const e of req.env ?? []) args.push('--env', e);
    args.push(req.containerId, ...req.argv);
    return new Promise<ExecResult>((resolve) => {
      const chunks: Buffer[] = [];
      let kept = 0;
      let truncated = false;
      const collect = (b: Buffer): void => {
        const room = MAX_OUTPUT_BYTES - kept;
        if (room > 0) { chunks.push(b.subarray(0, room)); kept += Math.min(room, b.length); }
        if (b.length > room) truncated = true;
      };
      const child = spawn(this.opts.runtimePath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout.on('data', collect);
      child.stderr.on('data', collect);
      const timers: NodeJS.Timeout[] = [];
      let settled = false;
      const finish = (exitCode: number, extra?: string): void => {
        if (settled) return;
        settled = true;
        for (const t of timers) clearTimeout(t);
        req.signal?.removeEventListener('abort', abort);
        // Aborted before the pid file existed: the process may have started since.
        if (aborted) killInner();
        rmSync(pidFile, { force: true });
        // A probe's grandchild may hold the pipes open after the probe died: do not wait for them.
        child.stdout.destroy();
        child.stderr.destroy();
        if (extra) collect(Buffer.from(extra));
        resolve({ exitCode, output: Buffer.concat(chunks).toString('utf8'), ...(truncated ? { truncated } : {}) });
      };
      let aborted = false;
      const killInner = (): void => {
        // Kill the process in the container itself: killing only the runtime's exec would orphan it there.
        try {
          const pid = Number(readFileSync(pidFile, 'utf8').trim());
          if (pid > 0) process.kill(pid, 'SIGKILL');
        } catch { /* not started yet, or already gone */ }
      };
      const abort = (): void => {
        aborted = true;
        killInner();
        try { child.kill('SIGTERM'); } catch { /* gone */ }
        const t = setTimeout(() => { try { child.kill('SIGKILL'); } catch { /* gone */ } }, this.opts.killGraceMs ?? 2000);
        t.unref();
        timers.push(t);
      };
      if (req.signal?.aborted) abort();
      else req.signal?.addEventListener('abort', abort, { once: true });
      if (this.opts.hardTimeoutMs) {
        const t = setTimeout(abort, this.opts.hardTimeoutMs);
        t.unref();
        timers.push(t);
      }
      child.on('error', (e) => finish(-1, `cannot run ${this.opts.runtimePath} exec: ${e.message}`));
      // 'exit', not 'close': output already read is kept, a lingering grandchild is not waited for.
      let exitCode: number | undefined;
      child.on('exit', (code, sig) => {
        exitCode = code ?? (sig ? 128 + signalNumber(sig) : -1);
        // The pipes normally close right after; a grandchild holding them gets 200 ms, then is left behind.
        const t = setTimeout(() => finish(exitCode ?? -1), 200);
        t.unref();
        timers.push(t);
      });
      child.on('close', () => { if (exitCode !== undefined) finish(exitCode); });
    });
  }
}

function signalNumber(sig: NodeJS.Signals): number {
  const table: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGTERM: 15, SIGSEGV: 11, SIGABRT: 6, SIGPIPE: 13 };
  return table[sig] ?? 0;
}
