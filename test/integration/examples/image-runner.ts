// Runs an example image without the engine: the image is loaded into a private
// ImageStore (the engine's own `images/load` code), its layers are stacked
// with overlayfs, and runc runs the image's Entrypoint+Cmd as the image config
// says (Env, User, WorkingDir). No network namespace: the container shares the
// host's, and tests give every server a 127.0.0.1 port of its own.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { dropNamespace, runcSpec, type OciMount } from '../../helpers/bundle.js';
import { onCleanup } from '../../helpers/cleanup.js';
import { uniqueName } from '../../helpers/names.js';
import { OciRuntime, readFileOr } from '../../helpers/oci-runtime.js';
import { tempDir } from '../../helpers/tmp.js';
import type { ImageStore } from '../../../runtime/images/index.js';

/** Docker's default capability set: what `docker run` gives a container. */
const DOCKER_CAPS = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
];

export interface RunOptions {
  /** Replaces the image's Cmd (the Entrypoint stays), like `docker run IMAGE ARGS`. */
  cmd?: string[];
  env?: Record<string, string>;
  /** host path → container path (read-write unless `ro`). */
  binds?: Array<{ source: string; target: string; ro?: boolean }>;
}

export interface Running {
  id: string;
  logFile: string;
  logs(): string;
  /** `runc exec`: runs a command in the container with the image's env. */
  exec(args: string[], timeoutMs?: number): Promise<{ code: number | null; stdout: string; stderr: string }>;
  stop(): Promise<void>;
}

export class ImageRunner {
  readonly runtime = OciRuntime.of('runc');

  constructor(private readonly store: ImageStore) {}

  async run(ref: string, opts: RunOptions = {}): Promise<Running> {
    const id = uniqueName();
    const cfg = this.store.config(ref);
    const layers = await this.store.rootfsLayers(ref);
    const dir = tempDir('img');
    chmodSync(dir, 0o755);
    for (const d of ['upper', 'work', 'rootfs']) mkdirSync(path.join(dir, d));
    const rootfs = path.join(dir, 'rootfs');
    const lower = [...layers].reverse().join(':');
    execFileSync('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${lower},upperdir=${dir}/upper,workdir=${dir}/work`, rootfs]);
    onCleanup(`umount ${rootfs}`, () => execFileSync('umount', ['-l', rootfs]));

    const spec = runcSpec();
    spec.root = { path: rootfs, readonly: false };
    spec.hostname = id;
    spec.process.terminal = false;
    spec.process.args = [...(cfg.Entrypoint ?? []), ...(opts.cmd ?? cfg.Cmd ?? [])];
    const env = new Map<string, string>();
    for (const kv of cfg.Env ?? []) { const i = kv.indexOf('='); env.set(kv.slice(0, i), kv.slice(i + 1)); }
    for (const [k, v] of Object.entries(opts.env ?? {})) env.set(k, v);
    spec.process.env = [...env].map(([k, v]) => `${k}=${v}`);
    spec.process.cwd = cfg.WorkingDir || '/';
    const [uid, gid] = (cfg.User || '0:0').split(':').map(Number);
    spec.process.user = { uid, gid: gid ?? uid };
    spec.process.capabilities = { bounding: DOCKER_CAPS, effective: DOCKER_CAPS, permitted: DOCKER_CAPS };
    if (uid !== 0) spec.process.capabilities = { bounding: DOCKER_CAPS };
    spec.process.noNewPrivileges = false;
    spec.process.rlimits = [{ type: 'RLIMIT_NOFILE', hard: 16384, soft: 16384 }];
    dropNamespace(spec, 'network');
    const mounts: OciMount[] = (opts.binds ?? []).map((b) => ({
      destination: b.target, type: 'bind', source: b.source, options: ['rbind', b.ro ? 'ro' : 'rw'],
    }));
    spec.mounts = [...spec.mounts.filter((m) => m.destination !== '/sys'), ...mounts];
    spec.linux.cgroupsPath = `/${id}`;
    writeFileSync(path.join(dir, 'config.json'), JSON.stringify(spec, null, 2));

    const logFile = path.join(dir, 'output.log');
    writeFileSync(logFile, '');
    const created = await this.runtime.create(id, dir, [], { outputFile: logFile });
    if (created.code !== 0) throw new Error(`runc create ${ref}: ${readFileOr(logFile)}${created.stderr}`);
    const started = await this.runtime.start(id);
    if (started.code !== 0) throw new Error(`runc start ${ref}: ${started.stderr}`);
    const runtime = this.runtime;
    return {
      id,
      logFile,
      logs: () => readFileSync(logFile, 'utf8'),
      exec: async (args, timeoutMs = 30_000) => {
        const r = await runtime.cmd(['exec', id, ...args], { timeoutMs });
        return { code: r.code, stdout: r.stdout, stderr: r.stderr };
      },
      stop: async () => {
        // As a container engine would: SIGTERM, a grace period, then SIGKILL.
        await runtime.kill(id, 'TERM');
        try { await runtime.waitStatus(id, ['stopped', 'gone'], 15_000); } catch { await runtime.kill(id, 'KILL'); }
        await runtime.waitStatus(id, ['stopped', 'gone'], 10_000);
        await runtime.delete(id, true);
      },
    };
  }
}

/** A free TCP port on 127.0.0.1 (the kernel picks it from the ephemeral range). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs: number, explain?: () => string): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) {
      throw new Error(`${what}: not ready after ${timeoutMs / 1000}s${last ? ` (last error: ${(last as Error).message})` : ''}${explain ? `\n--- container output ---\n${explain()}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

export interface HttpReply { status: number; headers: Record<string, string | string[] | undefined>; body: string }

export async function http(method: string, url: string, body?: { type: string; data: string }): Promise<HttpReply> {
  const res = await fetch(url, {
    method,
    redirect: 'manual',
    headers: body ? { 'content-type': body.type } : {},
    body: body?.data,
    signal: AbortSignal.timeout(10_000),
  });
  return { status: res.status, headers: Object.fromEntries(res.headers), body: await res.text() };
}
