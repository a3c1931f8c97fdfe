// Drives an OCI runtime binary (runc, crun or tscrun) through its runc-style
// command line, each with a private --root so that tests never see, or touch,
// containers they did not create. Every container started is registered for
// forced removal.
import { spawn } from 'node:child_process';
import { existsSync, openSync, closeSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { onCleanup } from './cleanup.js';
import { findBinary } from './require-root.js';
import { TSCRUN_PATH } from './rootfs.js';
import { tempDir } from './tmp.js';

export interface ProcResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  ms: number;
}

export interface SpawnOpts {
  timeoutMs?: number;
  cwd?: string;
  /** stdout/stderr to a file instead of a pipe (needed by `create`: the
   * container keeps the runtime's stdio open after the runtime exits). */
  outputFile?: string;
  input?: string;
  env?: NodeJS.ProcessEnv;
  /** Called with the child's pid once started (to signal it). */
  onSpawn?: (pid: number) => void;
}

export function runProcess(bin: string, args: string[], opts: SpawnOpts = {}): Promise<ProcResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    let outFd: number | undefined;
    if (opts.outputFile) outFd = openSync(opts.outputFile, 'a');
    const child = spawn(bin, args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: [opts.input !== undefined ? 'pipe' : 'ignore', outFd ?? 'pipe', outFd ?? 'pipe'],
    });
    if (outFd !== undefined) closeSync(outFd);
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    if (opts.input !== undefined) child.stdin?.end(opts.input);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs ?? 30_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`cannot start ${bin}: ${e.message}`));
    });
    if (child.pid !== undefined) opts.onSpawn?.(child.pid);
    // 'close' waits for the pipes: the container's own output ends there too.
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut, ms: Date.now() - started });
    });
  });
}

export type RuntimeName = 'runc' | 'crun' | 'tscrun';

export function runtimeBinary(name: RuntimeName): string | undefined {
  if (name === 'tscrun') return process.env.TSCRUN ?? (existsSync(TSCRUN_PATH) ? TSCRUN_PATH : undefined);
  return findBinary(name);
}

export interface OciState {
  ociVersion: string;
  id: string;
  status: string;
  pid?: number;
  bundle: string;
  annotations?: Record<string, string>;
  [k: string]: unknown;
}

export class OciRuntime {
  readonly root: string;

  constructor(readonly name: RuntimeName, readonly bin: string, root?: string) {
    this.root = root ?? tempDir(`root-${name}`);
  }

  static of(name: RuntimeName): OciRuntime {
    const bin = runtimeBinary(name);
    if (!bin) throw new Error(`${name} is not installed (tscrun: run make -C native)`);
    return new OciRuntime(name, bin);
  }

  cmd(args: string[], opts: SpawnOpts = {}): Promise<ProcResult> {
    return runProcess(this.bin, ['--root', this.root, ...args], opts);
  }

  /** Registers forced removal of container id (kill + delete --force). */
  track(id: string): void {
    onCleanup(`${this.name} delete -f ${id}`, async () => {
      const st = await this.state(id).catch(() => undefined);
      if (!st) return;
      await this.cmd(['kill', id, 'KILL'], { timeoutMs: 10_000 }).catch(() => undefined);
      const r = await this.cmd(['delete', '--force', id], { timeoutMs: 20_000 });
      if (r.code !== 0 && (await this.state(id).catch(() => undefined))) {
        throw new Error(`${this.name} delete --force ${id} failed: ${r.stderr.trim()}`);
      }
    });
  }

  /** Foreground `run`: the container's stdout/stderr come back here. */
  run(id: string, bundle: string, opts: SpawnOpts = {}): Promise<ProcResult> {
    this.track(id);
    return this.cmd(['run', '--bundle', bundle, id], { timeoutMs: 60_000, ...opts });
  }

  create(id: string, bundle: string, extra: string[] = [], opts: SpawnOpts = {}): Promise<ProcResult> {
    this.track(id);
    return this.cmd(['create', '--bundle', bundle, ...extra, id], { timeoutMs: 30_000, ...opts });
  }

  start(id: string): Promise<ProcResult> {
    return this.cmd(['start', id]);
  }

  kill(id: string, signal = 'TERM', all = false): Promise<ProcResult> {
    return this.cmd(['kill', ...(all ? ['--all'] : []), id, signal]);
  }

  delete(id: string, force = false): Promise<ProcResult> {
    return this.cmd(['delete', ...(force ? ['--force'] : []), id]);
  }

  async state(id: string): Promise<OciState> {
    const r = await this.cmd(['state', id], { timeoutMs: 10_000 });
    if (r.code !== 0) throw new Error(`${this.name} state ${id}: exit ${r.code}: ${r.stderr.trim()}`);
    return JSON.parse(r.stdout) as OciState;
  }

  /** Polls `state` until status is one of `want` (or the container is gone). */
  async waitStatus(id: string, want: string[], timeoutMs = 15_000): Promise<string> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const st = await this.state(id).catch(() => undefined);
      const status = st?.status ?? 'gone';
      if (want.includes(status)) return status;
      if (Date.now() > end) throw new Error(`${this.name}: ${id} still ${status} after ${timeoutMs} ms (wanted ${want.join('/')})`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** What the runtime keeps for id under its --root (leak checks). */
  stateDir(id: string): string {
    return path.join(this.root, id);
  }
}

/** Probe output: the JSON lines the probe printed, parsed (non-JSON lines kept). */
export function probeLines(stdout: string): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  for (const raw of stdout.split('\n')) {
    const line = raw.replace(/\r$/, '').trim();
    if (!line) continue;
    try {
      out.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      out.push({ text: line });
    }
  }
  return out;
}

export function readFileOr(p: string, dflt = ''): string {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return dflt;
  }
}
