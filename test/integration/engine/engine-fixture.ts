// One engine for a test file: a private --root and socket under a mkdtemp
// dir, links named tsctXXXX…, containers under a cgroup parent of its own,
// an image imported through the docker CLI from a busybox rootfs that also
// holds the static probe (native/build/tsc-probe) and whatever the test adds.
// `teardown` removes every container, bridge, veth, cgroup and mount the
// engine made, then the dir.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HttpEngineClient } from '../../../runtime/client/index.js';
import { Engine, type EngineOptions } from '../../../runtime/engine/engine.js';
import { copyRootfs } from '../../helpers/rootfs.js';
import { dockerCli, missingPrerequisite, removeCgroupParent, removeTestNetworks, tarOf, testNetworkOptions, type DockerResult } from './helpers.js';

export const DOCKER = [process.env.TSCT_DOCKER_CLI ?? '', '/usr/local/bin/docker', '/usr/bin/docker'].find((p) => p && existsSync(p));

/** Why an engine test file cannot run here; under CI a reason throws instead (a failure, not a skip). */
export function engineTestGate(what: string): string | undefined {
  const why = missingPrerequisite() ?? (!DOCKER ? 'needs the docker CLI' : undefined);
  if (why && process.env.CI) throw new Error(`${what} cannot run: ${why}`);
  return why;
}

export function newPrefix(): string {
  return `tsct${Math.random().toString(36).slice(2, 8)}`;
}

export interface EngineFixture {
  prefix: string;
  dir: string;
  root: string;
  socket: string;
  image: string;
  linkPrefix: string;
  engine?: Engine;
  client: HttpEngineClient;
  docker: (args: string[], input?: string) => Promise<DockerResult>;
  ok: (args: string[], input?: string) => Promise<string>;
  /** The options the engine is started with. */
  engineOptions: () => EngineOptions;
  teardown: () => Promise<void>;
}

/**
 * Starts the engine and imports `${prefix}/img:1`; `prepare` may add files
 * to the rootfs (a copy: hard links into a shared cache, so replace, never
 * write into, existing files) before it is imported.
 */
export async function startEngineFixture(prefix: string, prepare?: (rootfs: string) => void): Promise<EngineFixture> {
  const dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
  const root = join(dir, 'root');
  const socket = join(dir, 'engine.sock');
  const netOpts = testNetworkOptions(prefix);
  const { docker, ok } = dockerCli(DOCKER!, () => socket, () => join(dir, 'docker-config'));
  const engineOptions = (): EngineOptions => ({ root, socketPath: socket, cgroupParent: prefix, log: () => {}, ...netOpts });
  const f: EngineFixture = {
    prefix, dir, root, socket, image: `${prefix}/img:1`, linkPrefix: netOpts.networkLinkPrefix,
    client: new HttpEngineClient({ host: `unix://${socket}` }), docker, ok, engineOptions,
    teardown: async () => {
      if (f.engine) {
        for (const c of await f.client.listContainers({ all: true }).catch(() => [])) await f.client.removeContainer(c.Id, { force: true }).catch(() => {});
      }
      f.client.close();
      await f.engine?.close();
      f.engine = undefined;
      await removeTestNetworks(root, netOpts.networkLinkPrefix).catch(() => {});
      await removeCgroupParent(prefix);
      unmountUnder(dir);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    const rootfs = copyRootfs(join(dir, 'rootfs'));
    prepare?.(rootfs);
    f.engine = await Engine.start(engineOptions());
    await ok(['import', tarOf(rootfs, join(dir, 'img.tar')), f.image]);
  } catch (e) {
    await f.teardown();
    throw e;
  }
  return f;
}

/** Mount points under `dir` in this mount namespace, deepest first. */
export function mountsUnder(dir: string): string[] {
  return execFileSync('sh', ['-c', `grep -o ' ${dir}/[^ ]*' /proc/self/mountinfo || true`]).toString().split('\n').map((m) => m.trim()).filter(Boolean).reverse();
}

export function unmountUnder(dir: string): void {
  for (const m of mountsUnder(dir)) { try { execFileSync('umount', ['-l', m]); } catch { /* gone */ } }
}

/** Links (bridges, veths) whose name starts with the test's prefix. */
export function linksWithPrefix(linkPrefix: string): string[] {
  return execFileSync('ip', ['-o', 'link']).toString().split('\n')
    .map((l) => /^\d+:\s+([^:@\s]+)/.exec(l)?.[1] ?? '').filter((n) => n.startsWith(linkPrefix));
}

/** GET / on 127.0.0.1:port with a fresh connection each time (no keep-alive). */
export function httpGet(port: number, agent: http.Agent | false = false): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', timeout: 10_000, agent }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => { body += c.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error(`GET http://127.0.0.1:${port}/ timed out`)));
  });
}

export async function retry<T>(fn: () => Promise<T>, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    try { return await fn(); } catch (e) { if (Date.now() > end) throw e; }
    await new Promise((r) => setTimeout(r, 200));
  }
}

export async function waitFor(what: string, cond: () => Promise<boolean> | boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}
