// Launching a container's monitor: the monitor runs the OCI runtime with
// its own stdio, writes the json-file log and the exit file, and outlives
// the engine. The engine's side of the protocol in native/src/monitor.h:
//
//   engine (ContainerManager.startNow)         tscrun monitor          runtime / container
//     │ spawn `tscrun monitor --id --bundle ─────▶ │ fork, setsid,
//     │   --runtime --log-path --exit-file          │ subreaper, pipes/pty
//     │   --pid-file --attach-socket [--terminal]   │ `<runtime> create` ──────▶ created
//     │ ◀── stdout {"pid":N,"monitorPid":M} ─────── │ (P0 exits 0; stderr + exit 1 on failure)
//     │ connect attach clients waiting since `attach` (docker run attaches before start)
//     │ `<runtime> start ID` ──────────────────────────────────────────────▶ process runs
//     │                                             │ output → <id>-json.log, → attach clients
//     │ POST /containers/{id}/resize: connect to the --control-socket,
//     │   "resize ROWS COLS\n" ──────────────────────▶ │ TIOCSWINSZ on the pty ──────▶ SIGWINCH
//     │ ◀── "ok\n" | "error <why>\n"                 │
//     │ fs.watch(<dir>) + 1 s poll                  │ init exits: drain, then exit.json
//     │ ◀── exit.json {"exitCode","signal","finishedAt","oomKilled"} (atomic rename)
//     │ state exited, `die` event, `<runtime> delete`, unmount rootfs
//
// The fallback (no tscrun built) runs `<runtime> run` in the foreground
// instead and answers {"started":true}: the engine then skips `start`.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { RuntimeFailureError } from './errors.js';
import { nodeScriptArgs } from './node-script.js';

export interface MonitorRequest {
  id: string;
  bundle: string;
  runtimePath: string;
  runtimeRoot: string;
  logPath: string;
  logMaxSize?: number;
  logMaxFile?: number;
  exitFile: string;
  pidFile: string;
  terminal?: boolean;
  stdin?: boolean;
  /** Docker's StdinOnce: a client that half-closes the attach socket ends the container's stdin. */
  stdinOnce?: boolean;
  /** Also serves the control socket (controlSocketFor) for resizes. */
  attachSocket?: string;
}

/** `started`: the monitor already started the container (the fallback does); else call the runtime's start. */
export interface MonitorReady { pid: number; monitorPid: number; started: boolean }

export interface MonitorLauncher {
  readonly kind: 'tscrun' | 'node';
  /** `tscrun`, whose `exec-relay` runs an exec with a TTY; undefined without the native helper. */
  readonly execRelay?: string;
  launch(req: MonitorRequest): Promise<MonitorReady>;
}

function monitorArgs(req: MonitorRequest): string[] {
  const args = [
    '--id', req.id, '--bundle', req.bundle, '--runtime', req.runtimePath, '--runtime-root', req.runtimeRoot,
    '--log-path', req.logPath, '--exit-file', req.exitFile, '--pid-file', req.pidFile,
  ];
  if (req.logMaxSize) args.push('--log-max-size', String(req.logMaxSize));
  if (req.logMaxFile) args.push('--log-max-file', String(req.logMaxFile));
  if (req.terminal) args.push('--terminal');
  if (req.stdin) args.push(req.stdinOnce ? '--stdin-once' : '--stdin');
  if (req.attachSocket) args.push('--attach-socket', req.attachSocket, '--control-socket', controlSocketFor(req.attachSocket));
  return args;
}

/** Reads the first line the monitor prints; its stderr explains a failure. */
function awaitReady(command: string, args: string[], keepChild: boolean): Promise<MonitorReady> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let out = '';
    let err = '';
    let settled = false;
    const done = (fn: () => void): void => { if (!settled) { settled = true; fn(); } };
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString('utf8');
      const nl = out.indexOf('\n');
      if (nl < 0) return;
      try {
        const ready = JSON.parse(out.slice(0, nl)) as Partial<MonitorReady>;
        done(() => resolve({ pid: Number(ready.pid), monitorPid: Number(ready.monitorPid), started: !!ready.started }));
      } catch {
        done(() => reject(new RuntimeFailureError(`the container monitor printed something unexpected: ${out.slice(0, 200)}`, 'monitor')));
      }
      if (keepChild) { child.stdout.destroy(); child.stderr.destroy(); child.unref(); }
    });
    child.stderr.on('data', (b: Buffer) => { err += b.toString('utf8'); });
    child.on('error', (e) => done(() => reject(new RuntimeFailureError(`cannot start the container monitor ${command}: ${e.message}`, 'monitor'))));
    child.on('close', (code) => done(() => reject(new RuntimeFailureError(err.trim() || `the container monitor exited with status ${code} before the container was created`, 'create', code ?? undefined))));
    if (!keepChild) child.unref();
  });
}

export class TscrunMonitorLauncher implements MonitorLauncher {
  readonly kind = 'tscrun' as const;
  readonly execRelay: string;
  constructor(private readonly tscrunPath: string) { this.execRelay = tscrunPath; }
  launch(req: MonitorRequest): Promise<MonitorReady> {
    return awaitReady(this.tscrunPath, ['monitor', ...monitorArgs(req)], false);
  }
}

export class NodeFallbackMonitorLauncher implements MonitorLauncher {
  readonly kind = 'node' as const;
  launch(req: MonitorRequest): Promise<MonitorReady> {
    if (req.terminal) {
      return Promise.reject(new RuntimeFailureError('a TTY (-t) needs the native monitor: build it with `make -C native` (tscrun)', 'monitor'));
    }
    const script = fileURLToPath(new URL(`./fallback-monitor${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url));
    return awaitReady(process.execPath, [...nodeScriptArgs(script), ...monitorArgs(req)], true);
  }
}

/** Whether a tscrun binary at this path has the monitor subcommand. */
export function tscrunHasMonitor(path: string): boolean {
  return existsSync(path);
}

/** The monitor's control socket beside its attach socket (same short folder: socket paths are limited to 107 bytes). */
export function controlSocketFor(attachSocket: string): string {
  return `${attachSocket.replace(/\.sock$/, '')}.ctl`;
}

/** Thrown when the monitor answered a control command with an error. */
export class MonitorControlError extends Error {
  constructor(readonly command: string, readonly reason: string) {
    super(`the container monitor refused \`${command}\`: ${reason}`);
    this.name = 'MonitorControlError';
  }
}

/**
 * Sets a container's terminal size through its monitor's control socket.
 * Resolves false when no monitor listens there (the container is gone, or
 * its monitor predates the control socket): a resize is then moot.
 */
export function resizeThroughMonitor(controlSocket: string, rows: number, cols: number, timeoutMs = 5000): Promise<boolean> {
  const command = `resize ${rows} ${cols}`;
  return new Promise((resolve, reject) => {
    const sock = net.connect(controlSocket);
    let answer = '';
    const timer = setTimeout(() => { sock.destroy(); resolve(false); }, timeoutMs);
    const finish = (fn: () => void): void => { clearTimeout(timer); sock.destroy(); fn(); };
    sock.on('connect', () => sock.write(`${command}\n`));
    sock.on('data', (b: Buffer) => {
      answer += b.toString('utf8');
      const nl = answer.indexOf('\n');
      if (nl < 0) return;
      const line = answer.slice(0, nl);
      if (line === 'ok') finish(() => resolve(true));
      else finish(() => reject(new MonitorControlError(command, line.replace(/^error /, ''))));
    });
    sock.on('error', () => finish(() => resolve(false)));
    sock.on('close', () => finish(() => resolve(false)));
  });
}
