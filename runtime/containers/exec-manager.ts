// `exec`: another process in a running container, run by the OCI runtime's
// `exec --process FILE ID` with pipes the engine holds (so a client's stdin
// EOF reaches the process). The process spec starts from the container's own
// (capabilities, rlimits, seccomp come with the container) with the exec's
// command, env, cwd and user.
//
// With a TTY the runtime hands a pty master over a console socket, which Node
// cannot receive; `tscrun exec-relay` (native/src/exec-relay.h) takes it and
// relays it over the same three pipes, plus a fourth for "resize ROWS COLS"
// lines. A resize that comes before the relay runs (the docker CLI sends one
// right after start) becomes the pty's initial size.

import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import type { Writable } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ExecCreateRequest, ExecInspect } from '../client/types.js';
import { boundingCapabilities } from './host-capabilities.js';
import { ContainerConflictError, InvalidContainerConfigError, RuntimeFailureError } from './errors.js';
import { mergeEnv } from './merge-config.js';
import type { OciSpec } from './oci-types.js';
import type { ContainerRecord } from './container-record.js';
import type { OciRuntime } from './oci-runtime.js';
import { resolveUserInRootfs } from './user.js';

export class ExecNotFoundError extends Error {
  readonly statusCode = 404;
  constructor(id: string) { super(`No such exec instance: ${id}`); this.name = 'ExecNotFoundError'; }
}

interface ExecRecord {
  id: string;
  containerId: string;
  config: ExecCreateRequest;
  running: boolean;
  started: boolean;
  exitCode: number | null;
  pid: number;
  /** The TTY's size: the last resize, or ConsoleSize from create. */
  size?: { rows: number; cols: number };
  /** The relay's resize pipe while a TTY exec runs. */
  control?: Writable;
}

export interface ExecHost {
  find(ref: string): ContainerRecord;
  dirOf(id: string): string;
  runtimeOf(rec: ContainerRecord): OciRuntime;
  /** The `tscrun` binary whose `exec-relay` runs TTY execs; undefined without the native helper. */
  execRelay?(): string | undefined;
  emit(action: string, containerId: string, attributes: Record<string, string>): void;
}

export class ExecManager {
  private readonly execs = new Map<string, ExecRecord>();
  constructor(private readonly host: ExecHost) {}

  create(containerRef: string, body: ExecCreateRequest): { Id: string } {
    const rec = this.host.find(containerRef);
    if (!body || !Array.isArray(body.Cmd) || body.Cmd.length === 0) throw new InvalidContainerConfigError('No exec command specified');
    if (!rec.State.Running) throw new ContainerConflictError(`Container ${rec.Id} is not running`);
    if (rec.State.Paused) throw new ContainerConflictError(`Container ${rec.Id} is paused, unpause the container before exec`);
    if (body.Tty && !this.host.execRelay?.()) {
      throw new InvalidContainerConfigError('exec with a TTY (-t) needs the native helper: build it with `make -C native` (tscrun), or run without -t');
    }
    const id = randomBytes(32).toString('hex');
    const [rows, cols] = Array.isArray(body.ConsoleSize) ? body.ConsoleSize : [0, 0];
    const size = rows > 0 && cols > 0 ? { rows, cols } : undefined;
    this.execs.set(id, { id, containerId: rec.Id, config: body, running: false, started: false, exitCode: null, pid: 0, size });
    this.host.emit(`exec_create: ${body.Cmd.join(' ')}`, rec.Id, { execID: id });
    return { Id: id };
  }

  private get(id: string): ExecRecord {
    const e = this.execs.get(id);
    if (!e) throw new ExecNotFoundError(id);
    return e;
  }

  inspect(id: string): ExecInspect {
    const e = this.get(id);
    return {
      ID: e.id, Running: e.running, ExitCode: e.exitCode, ContainerID: e.containerId, Pid: e.pid,
      ProcessConfig: { entrypoint: e.config.Cmd[0], arguments: e.config.Cmd.slice(1), privileged: !!e.config.Privileged, tty: !!e.config.Tty, user: e.config.User ?? '' },
      OpenStdin: !!e.config.AttachStdin, OpenStdout: !!e.config.AttachStdout, OpenStderr: !!e.config.AttachStderr,
    };
  }

  /**
   * The TTY's size; before start it becomes the initial size. False when the
   * exec has no TTY (dockerd's answer to that is an error; the CLI ignores it).
   */
  resize(id: string, rows: number, cols: number): boolean {
    const e = this.get(id);
    if (!e.config.Tty) return false;
    e.size = { rows, cols };
    if (e.running && e.control?.writable) e.control.write(`resize ${rows} ${cols}\n`);
    return true;
  }

  /** Starts the process; the caller wires its stdio (raw pty bytes on stdout with a TTY). Resolves once it is spawned. */
  start(id: string): { child: ChildProcessWithoutNullStreams; exited: Promise<number>; config: ExecCreateRequest } {
    const e = this.get(id);
    if (e.started) throw new ContainerConflictError(`Error: Exec command ${id} has already run`);
    const rec = this.host.find(e.containerId);
    if (!rec.State.Running) throw new ContainerConflictError(`Container ${rec.Id} is not running`);
    e.started = true;
    const dir = join(this.host.dirOf(rec.Id), 'exec');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const processFile = join(dir, `${id.slice(0, 16)}.json`);
    writeFileSync(processFile, JSON.stringify(this.processSpec(rec, e.config, e.size)), { mode: 0o600 });
    const runtime = this.host.runtimeOf(rec);
    const relay = e.config.Tty ? this.host.execRelay?.() : undefined;
    let child: ChildProcessWithoutNullStreams;
    if (relay) {
      child = spawn(relay, ['exec-relay', '--runtime', runtime.path, '--runtime-root', runtime.root, '--process', processFile, '--control-fd', '3', rec.Id], {
        stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
      }) as unknown as ChildProcessWithoutNullStreams;
      e.control = child.stdio[3] as Writable;
      e.control.on('error', () => {});
    } else {
      child = spawn(runtime.path, ['--root', runtime.root, 'exec', '--process', processFile, rec.Id], { stdio: ['pipe', 'pipe', 'pipe'] });
    }
    e.running = true;
    e.pid = child.pid ?? 0;
    this.host.emit(`exec_start: ${e.config.Cmd.join(' ')}`, rec.Id, { execID: id });
    // The runtime says `exec failed: exec: "x": …` and exits 255 when the
    // command never ran; dockerd reports 126 then, as for any exec that could not start.
    let couldNotStart = false;
    child.stderr?.on('data', (d: Buffer) => { if (!couldNotStart && /exec failed: exec: "/.test(d.toString())) couldNotStart = true; });
    const exited = new Promise<number>((resolve) => {
      child.on('error', (err) => { e.running = false; e.exitCode = 126; rmSync(processFile, { force: true }); resolve(126); void err; });
      child.on('exit', async (code, signal) => {
        // The runtime's last words may still be in the pipe when it exits.
        if (code === 255 && !couldNotStart && child.stderr && !child.stderr.readableEnded) {
          await new Promise((r) => { child.stderr.once('end', r).once('close', r); setTimeout(r, 500).unref(); });
        }
        e.running = false;
        e.control?.destroy();
        e.control = undefined;
        e.exitCode = code === 255 && couldNotStart ? 126 : code ?? (signal ? 128 + (({ SIGKILL: 9, SIGTERM: 15, SIGINT: 2 } as Record<string, number>)[signal] ?? 0) : 255);
        rmSync(processFile, { force: true });
        this.host.emit('exec_die', rec.Id, { execID: id, exitCode: String(e.exitCode) });
        resolve(e.exitCode);
      });
    });
    return { child, exited, config: e.config };
  }

  /** Runs a command to completion with its output captured (health checks); a timeout kills it and gives -1. */
  runCaptured(containerRef: string, cmd: string[], timeoutMs: number): Promise<{ exitCode: number; output: string }> {
    const rec = this.host.find(containerRef);
    if (!rec.State.Running) return Promise.resolve({ exitCode: -1, output: `container ${rec.Id} is not running` });
    const dir = join(this.host.dirOf(rec.Id), 'exec');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const processFile = join(dir, `probe-${randomBytes(8).toString('hex')}.json`);
    writeFileSync(processFile, JSON.stringify(this.processSpec(rec, { Cmd: cmd })), { mode: 0o600 });
    const runtime = this.host.runtimeOf(rec);
    return new Promise((resolve) => {
      const child = spawn(runtime.path, ['--root', runtime.root, 'exec', '--process', processFile, rec.Id], { stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      const collect = (b: Buffer): void => { if (output.length < 8192) output += b.toString('utf8'); };
      child.stdout.on('data', collect);
      child.stderr.on('data', collect);
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        // The runtime passes SIGTERM on to the process; SIGKILL would only end the runtime.
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 1000).unref();
      }, timeoutMs);
      const done = (exitCode: number): void => {
        clearTimeout(timer);
        rmSync(processFile, { force: true });
        resolve(timedOut ? { exitCode: -1, output: `Health check exceeded timeout (${timeoutMs / 1000}s)` } : { exitCode, output });
      };
      child.on('error', (e) => { output += e.message; done(-1); });
      child.on('close', (code) => done(code ?? -1));
    });
  }

  private processSpec(rec: ContainerRecord, cfg: ExecCreateRequest, size?: { rows: number; cols: number }): OciSpec['process'] {
    let base: OciSpec;
    try {
      base = JSON.parse(readFileSync(join(this.host.dirOf(rec.Id), 'bundle', 'config.json'), 'utf8')) as OciSpec;
    } catch (err) {
      throw new RuntimeFailureError(`exec: cannot read the container's bundle: ${(err as Error).message}`, 'exec');
    }
    const proc = { ...base.process };
    proc.args = [...cfg.Cmd];
    proc.terminal = !!cfg.Tty && !!this.host.execRelay?.();
    if (proc.terminal && size) proc.consoleSize = { height: size.rows, width: size.cols };
    else delete proc.consoleSize;
    // dockerd gives a TTY exec TERM=xterm unless the exec's env says otherwise.
    proc.env = mergeEnv(proc.terminal ? mergeEnv(base.process.env, ['TERM=xterm']) : base.process.env, cfg.Env ?? []);
    if (cfg.WorkingDir) proc.cwd = cfg.WorkingDir;
    if (cfg.User) proc.user = resolveUserInRootfs(cfg.User, join(this.host.dirOf(rec.Id), 'rootfs'));
    if (cfg.Privileged) {
      const all = boundingCapabilities();
      proc.capabilities = { bounding: all, effective: all, permitted: all };
    }
    return proc;
  }
}
