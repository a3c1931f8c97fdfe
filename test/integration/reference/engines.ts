// The two engines the reference suites run the same steps on: ours (an
// in-process Engine on a private root and socket, test address pool and link
// prefix) and Docker's own daemon (test/helpers/dockerd.ts: a private
// dockerd + containerd). Both are reached the same way — a unix socket given
// as `--host`/DOCKER_HOST — and get the same images: the example archives
// `docker load`ed through the API, a busybox rootfs `docker import`ed.
// A suite written against ReferenceEngine therefore proves itself on dockerd
// and proves our engine against dockerd.
import { execFile } from 'node:child_process';
import { createReadStream, existsSync, mkdtempSync, readdirSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { HttpEngineClient } from '../../../runtime/client/index.js';
import { Engine } from '../../../runtime/engine/engine.js';
import { startDockerd, type PrivateDockerd } from '../../helpers/dockerd.js';
import { REPO_ROOT } from '../../helpers/rootfs.js';
import { mountsUnder, removeTree } from '../../helpers/tmp.js';
import { makeBusyboxRootfs, removeTestNetworks, tarOf, testNetworkOptions } from '../engine/helpers.js';

export type EngineKind = 'tscompose' | 'dockerd';
export const ENGINE_KINDS: EngineKind[] = ['tscompose', 'dockerd'];

const CACHE = process.env.TSCOMPOSE_EXAMPLES_CACHE ?? '/var/cache/tscompose-examples';
export const BUILD_TIMEOUT_MS = 40 * 60_000;

export interface ReferenceEngine {
  readonly kind: EngineKind;
  /** A folder of this engine's own for the suite's files (removed by stop). */
  readonly dir: string;
  /** `unix://…`: what `--host` and DOCKER_HOST get. */
  readonly host: string;
  client(): HttpEngineClient;
  /** Removes everything the engine made and stops it; returns notes on what it found. */
  stop(): Promise<string[]>;
}

/** Starts one engine of `kind`, private to the suite; `name` (tsct…) names its dir, cgroup parent and links. */
export async function startEngine(kind: EngineKind, name: string): Promise<ReferenceEngine> {
  const dir = mkdtempSync(path.join(tmpdir(), `${name}-${kind}-`));
  try {
    return kind === 'dockerd' ? await startReferenceDockerd(dir, name) : await startOurs(dir, name);
  } catch (e) {
    removeTree(dir);
    throw e;
  }
}

async function startReferenceDockerd(dir: string, name: string): Promise<ReferenceEngine> {
  const d: PrivateDockerd = await startDockerd({ dir: path.join(dir, 'd'), networking: 'bridges', cgroupParent: `${name}d` });
  return {
    kind: 'dockerd',
    dir,
    host: d.host,
    client: () => new HttpEngineClient({ host: d.host }),
    async stop() {
      const notes = await d.stop();
      removeTree(dir);
      return notes;
    },
  };
}

async function startOurs(dir: string, name: string): Promise<ReferenceEngine> {
  const socket = path.join(dir, 'engine.sock');
  const root = path.join(dir, 'root');
  const net = testNetworkOptions(name);
  const engine = await Engine.start({ root, socketPath: socket, cgroupParent: name, log: () => {}, ...net });
  const host = `unix://${socket}`;
  return {
    kind: 'tscompose',
    dir,
    host,
    client: () => new HttpEngineClient({ host }),
    async stop() {
      const notes: string[] = [];
      const client = new HttpEngineClient({ host });
      for (const c of await client.listContainers({ all: true }).catch(() => [])) {
        await client.removeContainer(c.Id, { force: true, volumes: true }).catch((e: Error) => notes.push(`remove ${c.Id}: ${e.message}`));
      }
      client.close();
      await engine.close();
      await removeTestNetworks(root, net.networkLinkPrefix);
      for (const ctrl of readdirSync('/sys/fs/cgroup')) {
        const p = path.join('/sys/fs/cgroup', ctrl, name);
        if (!existsSync(p)) continue;
        try {
          rmdirSync(p);
        } catch {
          notes.push(`cgroup left: ${p}`);
        }
      }
      const mounts = mountsUnder(dir);
      if (mounts.length) notes.push(`mounts left under ${dir} (detached): ${mounts.length}`);
      removeTree(dir);
      return notes;
    },
  };
}

/** Builds the example images when the cache lacks them (build-all.sh, cached), and returns the archive of each `name` (`guestbook-web-1`, `mariadb-10.11`, …). */
export function exampleArchives(names: string[]): Promise<string[]> {
  return new Promise((resolve, reject) => {
    execFile(path.join(REPO_ROOT, 'examples/images/build-all.sh'), [], {
      timeout: BUILD_TIMEOUT_MS, maxBuffer: 64 << 20, env: { ...process.env, TSCOMPOSE_EXAMPLES_CACHE: CACHE },
    }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`examples/images/build-all.sh failed: ${err.message}\n${stdout}\n${stderr}`.slice(-4000)));
      const files = names.map((n) => path.join(CACHE, 'archives', `${n}.tar`));
      const missing = files.filter((f) => !existsSync(f));
      return missing.length ? reject(new Error(`build-all.sh made no ${missing.join(', ')}`)) : resolve(files);
    });
  });
}

/** `docker load` of each archive, through the API (what build-all.sh --load does). */
export async function loadArchives(engine: ReferenceEngine, files: string[]): Promise<void> {
  const client = engine.client();
  try {
    for (const f of files) {
      for await (const m of client.loadImage(createReadStream(f), { quiet: true })) {
        const err = (m as { error?: string; errorDetail?: { message?: string } }).errorDetail?.message ?? (m as { error?: string }).error;
        if (err) throw new Error(`${engine.kind}: loading ${path.basename(f)}: ${err}`);
      }
    }
  } finally {
    client.close();
  }
}

/** `docker import` of a busybox rootfs (the host's busybox-static) as `ref` (`repo:tag`). */
export async function importBusybox(engine: ReferenceEngine, ref: string): Promise<void> {
  const rootfs = makeBusyboxRootfs(path.join(engine.dir, 'busybox-rootfs'));
  const tar = tarOf(rootfs, path.join(engine.dir, 'busybox.tar'));
  const [repo, tag] = ref.split(':');
  const client = engine.client();
  try {
    for await (const m of client.importImage(createReadStream(tar), { repo, tag })) {
      const err = (m as { errorDetail?: { message?: string } }).errorDetail?.message ?? (m as { error?: string }).error;
      if (err) throw new Error(`${engine.kind}: importing busybox: ${err}`);
    }
  } finally {
    client.close();
  }
}

/** What the engine still holds with the project's label or name prefix. */
export async function leftovers(engine: ReferenceEngine, project: string): Promise<{ containers: string[]; networks: string[]; volumes: string[] }> {
  const client = engine.client();
  try {
    const label = `com.docker.compose.project=${project}`;
    const containers = (await client.listContainers({ all: true, filters: { label: [label] } })).map((c) => c.Names?.[0] ?? c.Id);
    const networks = (await client.listNetworks()).map((n) => n.Name).filter((n) => n.startsWith(project));
    const volumes = ((await client.listVolumes()).Volumes ?? []).map((v) => v.Name).filter((n) => n.startsWith(project));
    return { containers, networks, volumes };
  } finally {
    client.close();
  }
}

/** Waits until the container's health check passes (both engines report it the same way in inspect). */
export async function waitHealthy(engine: ReferenceEngine, container: string, timeoutMs = 90_000): Promise<void> {
  const client = engine.client();
  try {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < deadline) {
      const c = await client.inspectContainer(container).catch(() => undefined);
      last = c?.State?.Health?.Status ?? c?.State?.Status ?? 'absent';
      if (last === 'healthy') return;
      await new Promise((r) => setTimeout(r, 500));
    }
    throw new Error(`${engine.kind}: ${container} did not become healthy in ${timeoutMs / 1000} s (last: ${last})`);
  } finally {
    client.close();
  }
}
