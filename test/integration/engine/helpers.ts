// Shared setup of the engine integration tests: root check, a busybox rootfs
// built from the host's busybox-static, and an image backend that serves it
// as a one-layer image when the real image store cannot import yet.

import { execFile, execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmdirSync, symlinkSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import type { ImageBackend } from '../../../runtime/engine/services.js';
import type { ImageRecord } from '../../../runtime/images/index.js';
import { NetworkManager, type AddressPool } from '../../../runtime/networks/index.js';

export const BUSYBOX = ['/bin/busybox', '/usr/bin/busybox'].find((p) => existsSync(p));

/** Why these tests cannot run here, or undefined when they can. Under CI a reason is a failure, not a skip. */
export function missingPrerequisite(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root';
  if (!BUSYBOX) return 'needs busybox-static';
  if (!existsSync('/usr/sbin/runc') && !existsSync('/usr/bin/runc')) return 'needs runc';
  return undefined;
}

const APPLETS = ['sh', 'echo', 'cat', 'ls', 'sleep', 'true', 'false', 'id', 'hostname', 'ps', 'env', 'printf', 'seq', 'yes', 'head', 'kill', 'mount', 'pwd', 'touch', 'rm', 'mkdir', 'grep', 'wc', 'top', 'date', 'uname', 'whoami', 'tty', 'tr', 'read'];

/** A minimal rootfs: busybox, its applets, /etc/passwd and /etc/group. */
export function makeBusyboxRootfs(dir: string): string {
  for (const d of ['bin', 'etc', 'tmp', 'root', 'home/app']) mkdirSync(join(dir, d), { recursive: true });
  chmodSync(join(dir, 'tmp'), 0o1777);
  copyFileSync(BUSYBOX!, join(dir, 'bin', 'busybox'));
  chmodSync(join(dir, 'bin', 'busybox'), 0o755);
  for (const a of APPLETS) if (!existsSync(join(dir, 'bin', a))) symlinkSync('busybox', join(dir, 'bin', a));
  writeFileSync(join(dir, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n');
  writeFileSync(join(dir, 'etc', 'group'), 'root:x:0:\napp:x:1000:\nwheel:x:10:app\nnogroup:x:65534:\n');
  return dir;
}

/** A tar of the rootfs (for import tests). */
export function tarOf(dir: string, out: string): string {
  execFileSync('tar', ['-C', dir, '-cf', out, '.']);
  return out;
}

/** One image whose single layer is `layerDir`. */
export function singleLayerImages(layerDir: string, name = 'busybox:latest', config: ImageRecord['Config'] = { Cmd: ['sh'], Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'] }): ImageBackend {
  const id = 'sha256:' + 'b'.repeat(64);
  const record: ImageRecord = {
    Id: id, RepoTags: [name], RepoDigests: [], Parent: '', Comment: '', Created: new Date().toISOString(), Author: '', DockerVersion: '',
    Architecture: 'amd64', Os: 'linux', Size: 0, VirtualSize: 0, Config: config, RootFS: { Type: 'layers', Layers: [] }, Metadata: { LastTagTime: '' },
  };
  const match = (ref: string): boolean => ref === name || `${ref}:latest` === name || ref === id || id.startsWith(`sha256:${ref}`) || `docker.io/library/${name}` === ref;
  const unsupported = (): never => { throw new Error('not supported by the test image backend'); };
  return {
    pull: unsupported, tag: unsupported, remove: unsupported, prune: unsupported, load: unsupported, save: unsupported, importRootfs: unsupported,
    list: () => [record],
    inspect: (ref: string) => (match(ref) ? record : undefined),
    rootfsLayers: async () => [layerDir],
    config: () => record.Config,
  } as unknown as ImageBackend;
}

/**
 * Removes the parent cgroup the test's engine put its containers in, in
 * every hierarchy, with any container cgroup (64-hex names: ours) left
 * empty under it. Retries a little: the runtime may still be deleting.
 */
export async function removeCgroupParent(parent: string): Promise<void> {
  for (let attempt = 0; attempt < 20; attempt++) {
    let left = 0;
    for (const ctrl of existsSync('/sys/fs/cgroup') ? readdirSync('/sys/fs/cgroup') : []) {
      const p = join('/sys/fs/cgroup', ctrl, parent);
      if (!existsSync(p)) continue;
      for (const child of readdirSync(p)) {
        if (/^[0-9a-f]{64}$/.test(child)) { try { rmdirSync(join(p, child)); } catch { /* still has processes */ } }
      }
      try { rmdirSync(p); } catch { left++; }
    }
    if (!left) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Engine options that keep a test's networks apart: a test pool (never 172.17/16) and link names of its own (`tsctXXXX` + b/v). */
export function testNetworkOptions(prefix: string): { addressPools: AddressPool[]; networkLinkPrefix: string } {
  return { addressPools: [{ base: '10.213.0.0/16', size: 24 }], networkLinkPrefix: `tsct${prefix.replace(/^tsct/, '').slice(0, 4)}`.toLowerCase() };
}

/** Deletes every bridge, veth and firewall table the engine on `root` made (the predefined bridge stays after an engine stops, as docker0 does). */
export async function removeTestNetworks(root: string, linkPrefix: string): Promise<void> {
  if (!existsSync(join(root, 'networks'))) return;
  const m = new NetworkManager({ root, linkPrefix, predefined: false, pools: [{ base: '10.213.0.0/16', size: 24 }], warn: () => {} });
  await m.load();
  await m.destroyAll();
}

export interface DockerResult { code: number; stdout: string; stderr: string }

/**
 * The docker CLI `cli` against the engine on `socket()`, with a config folder
 * of its own (`configDir()`) and no DOCKER_HOST/context from the environment.
 * `ok` throws with the CLI's stderr on a non-zero exit.
 */
export function dockerCli(cli: string, socket: () => string, configDir: () => string) {
  function docker(args: string[], input?: string): Promise<DockerResult> {
    return new Promise((resolve) => {
      const child = execFile(cli, ['-H', `unix://${socket()}`, ...args], {
        timeout: 60_000, env: { ...process.env, DOCKER_CONFIG: configDir(), DOCKER_HOST: '', DOCKER_CONTEXT: '' },
      }, (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
        resolve({ code, stdout: stdout.toString(), stderr: stderr.toString() });
      });
      if (input !== undefined) child.stdin?.end(input);
    });
  }
  async function ok(args: string[], input?: string): Promise<string> {
    const r = await docker(args, input);
    if (r.code !== 0) throw new Error(`docker ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
    return r.stdout;
  }
  return { docker, ok };
}
