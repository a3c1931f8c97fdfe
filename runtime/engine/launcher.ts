// What the CLI needs of the engine: `tscompose engine [start|stop|status]`
// (engineCommand) and the embedded default (ensureEngine): when nothing
// answers on the socket, start an engine in the background and wait for it.

import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseEngineHost } from '../client/host.js';
import { lockHolder } from './lock-file.js';
import { nodeScriptArgs } from '../containers/node-script.js';

export const DEFAULT_ROOT = '/var/lib/tscompose';
export const DEFAULT_SOCKET = '/run/tscompose/engine.sock';

export interface EngineArgs {
  action: 'run' | 'start' | 'stop' | 'status';
  root: string;
  socketPath: string;
  tcp?: string;
  runtime?: string;
  monitor?: 'native' | 'node';
  cgroupParent?: string;
  insecureRegistries: string[];
  /** Docker's certs.d for registry CAs and client certificates (default /etc/docker/certs.d). */
  certsDir?: string;
  /** dockerd's --default-address-pool, as given (`base=10.213.0.0/16,size=24`). */
  addressPools?: string[];
}

export class EngineUsageError extends Error {
  override readonly name = 'EngineUsageError';
}

const USAGE = `Usage: tscompose engine [start|stop|status] [options]

Runs the container engine (in the foreground without a subcommand).

Options:
  --root DIR                 state folder (default ${DEFAULT_ROOT})
  --socket PATH              unix socket to serve (default ${DEFAULT_SOCKET});
                             -H unix://PATH is accepted too
  --tcp HOST:PORT            also listen on TCP (no TLS: trusted networks only)
  --runtime tscrun|runc|crun default OCI runtime (tscrun when built)
  --monitor native|node      container monitor (native tscrun when built)
  --cgroup-parent NAME       parent cgroup of the containers (default tscompose)
  --insecure-registry HOST   pull from HOST over plain http (repeatable)
  --certs-dir DIR            registry CAs and client certs as DIR/HOST:PORT/ca.crt,
                             NAME.cert, NAME.key (default /etc/docker/certs.d)
  --default-address-pool base=CIDR,size=N
                             subnets of new networks (repeatable; default
                             172.17-31.0.0/16, then 192.168.0.0/16 in /20s)`;

export function parseEngineArgs(argv: readonly string[]): EngineArgs {
  const out: EngineArgs = { action: 'run', root: DEFAULT_ROOT, socketPath: DEFAULT_SOCKET, insecureRegistries: [] };
  const args = [...argv];
  if (args[0] && !args[0].startsWith('-')) {
    const a = args.shift()!;
    if (a !== 'start' && a !== 'stop' && a !== 'status' && a !== 'run') throw new EngineUsageError(`unknown engine command "${a}"\n\n${USAGE}`);
    out.action = a;
  }
  while (args.length) {
    const raw = args.shift()!;
    const [flag, inline] = raw.includes('=') ? [raw.slice(0, raw.indexOf('=')), raw.slice(raw.indexOf('=') + 1)] : [raw, undefined];
    const value = (): string => {
      const v = inline ?? args.shift();
      if (v === undefined || v === '') throw new EngineUsageError(`${flag} needs a value\n\n${USAGE}`);
      return v;
    };
    switch (flag) {
      case '--root': out.root = resolve(value()); break;
      case '--socket': out.socketPath = resolve(value()); break;
      case '-H': case '--host': {
        const addr = parseEngineHost(value());
        if (addr.kind !== 'unix') throw new EngineUsageError(`the engine serves a unix socket; use --tcp for TCP`);
        out.socketPath = addr.socketPath;
        break;
      }
      case '--tcp': out.tcp = value(); break;
      case '--runtime': {
        const r = value();
        if (!['tscrun', 'runc', 'crun'].includes(r)) throw new EngineUsageError(`--runtime must be tscrun, runc or crun, not "${r}"`);
        out.runtime = r;
        break;
      }
      case '--monitor': {
        const m = value();
        if (m !== 'native' && m !== 'node') throw new EngineUsageError(`--monitor must be native or node, not "${m}"`);
        out.monitor = m;
        break;
      }
      case '--insecure-registry': out.insecureRegistries.push(value()); break;
      case '--certs-dir': out.certsDir = resolve(value()); break;
      case '--default-address-pool': {
        const v = value();
        if (!/^base=\d+\.\d+\.\d+\.\d+\/\d+,size=\d+$/.test(v)) throw new EngineUsageError(`--default-address-pool must be base=CIDR,size=PREFIX (like base=10.213.0.0/16,size=24), not "${v}"`);
        (out.addressPools ??= []).push(v);
        break;
      }
      case '--cgroup-parent': {
        const c = value();
        if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(c)) throw new EngineUsageError(`--cgroup-parent must be a plain name ([a-zA-Z0-9_.-]), not "${c}"`);
        out.cgroupParent = c;
        break;
      }
      case '-h': case '--help': throw new EngineUsageError(USAGE);
      default: throw new EngineUsageError(`unknown option ${flag}\n\n${USAGE}`);
    }
  }
  return out;
}

/** The command line that gives back `a` (how a detached engine is started). */
export function toArgv(a: EngineArgs): string[] {
  const argv = ['--root', a.root, '--socket', a.socketPath];
  if (a.tcp) argv.push('--tcp', a.tcp);
  if (a.runtime) argv.push('--runtime', a.runtime);
  if (a.monitor) argv.push('--monitor', a.monitor);
  if (a.cgroupParent) argv.push('--cgroup-parent', a.cgroupParent);
  for (const r of a.insecureRegistries) argv.push('--insecure-registry', r);
  if (a.certsDir) argv.push('--certs-dir', a.certsDir);
  for (const p of a.addressPools ?? []) argv.push('--default-address-pool', p);
  return argv;
}

/** GET /_ping on a unix socket; true when an engine answered OK. */
export function pingSocket(socketPath: string, timeoutMs = 2000): Promise<boolean> {
  return new Promise((resolveP) => {
    const req = http.request({ socketPath, path: '/_ping', method: 'GET', timeout: timeoutMs }, (res) => {
      res.resume();
      resolveP(res.statusCode === 200);
    });
    req.on('timeout', () => { req.destroy(); resolveP(false); });
    req.on('error', () => resolveP(false));
    req.end();
  });
}

async function waitForPing(socketPath: string, timeoutMs: number, gaveUp: () => boolean): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await pingSocket(socketPath, 1000)) return true;
    if (gaveUp()) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

/**
 * Node flags of the engine process. A small young generation, as the CLI's
 * launcher has: node's default lets the heap grow by tens of MiB under a burst
 * of requests, and every process the engine spawns (tscrun, mount, tsc-net) is
 * a fork that copies the page tables of all of it — the larger the engine,
 * the slower each container starts and stops.
 */
export const ENGINE_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=2'];

/** The command that runs an engine in the foreground (node + this checkout's engine-main). */
function engineMainCommand(): { cmd: string; args: string[] } {
  const ts = import.meta.url.endsWith('.ts');
  const script = fileURLToPath(new URL(`./engine-main${ts ? '.ts' : '.js'}`, import.meta.url));
  return { cmd: process.execPath, args: [...ENGINE_NODE_FLAGS, ...nodeScriptArgs(script)] };
}

function tail(path: string, lines = 10): string {
  try { return readFileSync(path, 'utf8').trim().split('\n').slice(-lines).join('\n'); } catch { return ''; }
}

/** Starts an engine detached (its output to <root>/engine.log); resolves with its pid once it answers. */
export async function startDetached(a: EngineArgs, timeoutMs = 20_000): Promise<number> {
  mkdirSync(a.root, { recursive: true, mode: 0o711 });
  const logPath = join(a.root, 'engine.log');
  const fd = openSync(logPath, 'a', 0o640);
  const { cmd, args } = engineMainCommand();
  const child = spawn(cmd, [...args, ...toArgv(a)], { detached: true, stdio: ['ignore', fd, fd], cwd: '/' });
  closeSync(fd);
  let exited: number | null | undefined;
  child.on('exit', (code) => { exited = code; });
  child.unref();
  const ok = await waitForPing(a.socketPath, timeoutMs, () => exited !== undefined);
  if (!ok) {
    if (exited === undefined) { try { process.kill(child.pid!, 'SIGTERM'); } catch { /* gone */ } }
    const why = tail(logPath).split('\n').filter((l) => l.trim()).pop() ?? '';
    throw new Error(`the engine did not start${why ? `: ${why.replace(/^tscompose engine: /, '')}` : ''} (log: ${logPath})`);
  }
  return child.pid!;
}

async function stopEngine(root: string, timeoutMs = 15_000): Promise<number | undefined> {
  const pid = lockHolder(root);
  if (!pid) return undefined;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!lockHolder(root)) return pid;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`the engine (pid ${pid}) did not stop within ${timeoutMs / 1000} s`);
}

/** `tscompose engine ...`; returns the exit code. */
export async function engineCommand(argv: readonly string[], out: (s: string) => void = (s) => process.stdout.write(s + '\n'), err: (s: string) => void = (s) => process.stderr.write(s + '\n')): Promise<number> {
  let a: EngineArgs;
  try { a = parseEngineArgs(argv); } catch (e) {
    err((e as Error).message);
    return (e as Error).message.startsWith('Usage:') ? 0 : 2;
  }
  try {
    switch (a.action) {
      case 'run': {
        const { runEngineForeground } = await import('./engine-main.js');
        return await runEngineForeground(a);
      }
      case 'start': {
        const holder = lockHolder(a.root);
        if (holder) { out(`an engine is already running on ${a.root} (pid ${holder})`); return 0; }
        const pid = await startDetached(a);
        out(`engine started (pid ${pid}) on unix://${a.socketPath}, state in ${a.root}`);
        return 0;
      }
      case 'stop': {
        const pid = await stopEngine(a.root);
        out(pid ? `engine stopped (pid ${pid}); containers keep running and are re-attached at the next start` : `no engine is running on ${a.root}`);
        return 0;
      }
      case 'status': {
        const pid = lockHolder(a.root);
        const answers = existsSync(a.socketPath) && (await pingSocket(a.socketPath));
        if (pid) out(`engine running (pid ${pid}) on ${a.root}; socket unix://${a.socketPath} ${answers ? 'answers' : 'does not answer'}`);
        else out(`no engine is running on ${a.root}${answers ? ` (but something answers on ${a.socketPath})` : ''}`);
        return pid ? 0 : 3;
      }
    }
  } catch (e) {
    err(`tscompose engine: ${(e as Error).message}`);
    return 1;
  }
}

/**
 * The engine's socket path, starting an engine when nothing answers there
 * (the embedded default). A TCP host or a socket we did not start is only
 * checked, never started.
 */
export async function ensureEngine(opts: { host?: string; root?: string; cgroupParent?: string } = {}): Promise<string> {
  const host = opts.host ?? process.env.TSCOMPOSE_HOST ?? process.env.DOCKER_HOST ?? `unix://${DEFAULT_SOCKET}`;
  const addr = parseEngineHost(host);
  if (addr.kind !== 'unix') return addr.display;
  if (await pingSocket(addr.socketPath)) return addr.socketPath;
  const ours = addr.socketPath === DEFAULT_SOCKET || !!opts.root || !!process.env.TSCOMPOSE_HOST || !process.env.DOCKER_HOST;
  if (!ours) throw new Error(`nothing answers on ${addr.display} (DOCKER_HOST); start that engine, or unset DOCKER_HOST to use tscompose's own`);
  const root = resolve(opts.root ?? DEFAULT_ROOT);
  const holder = lockHolder(root);
  if (holder) {
    if (await waitForPing(addr.socketPath, 10_000, () => !lockHolder(root))) return addr.socketPath;
    throw new Error(`an engine (pid ${holder}) holds ${root} but does not answer on ${addr.socketPath}; check ${join(root, 'engine.log')}`);
  }
  await startDetached({ action: 'start', root, socketPath: addr.socketPath, insecureRegistries: [], cgroupParent: opts.cgroupParent });
  return addr.socketPath;
}
