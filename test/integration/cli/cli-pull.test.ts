// Pulling, end to end: `pull`, `up --pull missing|always|never`,
// pull_policy, and `down --rmi all`, against a real registry (Debian's
// docker-registry, without auth) on 127.0.0.1 that the test fills with a
// busybox image it pushes itself.

import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliStack, freePort, missingPrerequisite } from './cli-harness.js';
import { makeBusyboxRootfs, tarOf } from '../engine/helpers.js';

const REGISTRY = '/usr/bin/docker-registry';
const why = missingPrerequisite() ?? (existsSync(REGISTRY) ? undefined : 'needs docker-registry');
if (why && process.env.CI) throw new Error(`cli pull tests cannot run: ${why}`);
const d = why ? describe.skip : describe;

const s = new CliStack();
const P = s.project;
let registry: ChildProcess | undefined;
let host = '';

const sha256 = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

function request(method: string, url: string, body?: Buffer, headers: Record<string, string> = {}): Promise<{ status: number; location?: string; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers: { 'Content-Length': String(body?.length ?? 0), ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, location: res.headers.location, text: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function pushBlob(repo: string, data: Buffer): Promise<string> {
  const digest = sha256(data);
  const start = await request('POST', `http://${host}/v2/${repo}/blobs/uploads/`);
  if (start.status !== 202) throw new Error(`blob upload start: ${start.status} ${start.text}`);
  const url = new URL(start.location!, `http://${host}`);
  url.searchParams.set('digest', digest);
  const put = await request('PUT', url.toString(), data, { 'Content-Type': 'application/octet-stream' });
  if (put.status !== 201) throw new Error(`blob upload: ${put.status} ${put.text}`);
  return digest;
}

/** Pushes a one-layer image made of `tar` with `cmd`, as repo:tag. */
async function pushImage(repo: string, tag: string, tar: Buffer, cmd: string[]): Promise<string> {
  const layer = gzipSync(tar);
  const layerDigest = await pushBlob(repo, layer);
  const config = Buffer.from(JSON.stringify({
    architecture: 'amd64', os: 'linux', created: new Date().toISOString(),
    config: { Cmd: cmd, Env: ['PATH=/usr/sbin:/usr/bin:/sbin:/bin'] },
    rootfs: { type: 'layers', diff_ids: [sha256(tar)] },
  }));
  const configDigest = await pushBlob(repo, config);
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
    config: { mediaType: 'application/vnd.docker.container.image.v1+json', size: config.length, digest: configDigest },
    layers: [{ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', size: layer.length, digest: layerDigest }],
  }));
  const put = await request('PUT', `http://${host}/v2/${repo}/manifests/${tag}`, manifest, { 'Content-Type': 'application/vnd.docker.distribution.manifest.v2+json' });
  if (put.status !== 201) throw new Error(`manifest: ${put.status} ${put.text}`);
  return configDigest;
}

async function startRegistry(): Promise<void> {
  const dir = path.join(s.dir, 'registry');
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  host = `127.0.0.1:${port}`;
  const config = path.join(dir, 'config.yml');
  writeFileSync(config, [
    'version: 0.1', 'log:', '  level: error', '  accesslog:', '    disabled: true',
    'storage:', '  filesystem:', `    rootdirectory: ${dir}/storage`, '  delete:', '    enabled: true',
    'http:', `  addr: ${host}`, '  secret: tsct', '',
  ].join('\n'));
  registry = spawn(REGISTRY, ['serve', config], { stdio: 'ignore' });
  const deadline = Date.now() + 20_000;
  for (;;) {
    const status = await request('GET', `http://${host}/v2/`).then((r) => r.status, () => 0);
    if (status === 200) return;
    if (Date.now() > deadline || registry.exitCode !== null) throw new Error(`docker-registry did not start on ${host}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

d('pulling images through compose', () => {
  let tar: Buffer;
  let ref = '';
  beforeAll(async () => {
    await s.start();
    await startRegistry();
    tar = readFileSync(tarOf(makeBusyboxRootfs(path.join(s.dir, 'pushed')), path.join(s.dir, 'pushed.tar')));
    ref = `${host}/tsct/box:1`;
    await pushImage('tsct/box', '1', tar, ['echo', 'version one']);
  });
  afterAll(async () => {
    if (registry && registry.exitCode === null) {
      const exited = new Promise((r) => registry!.once('exit', r));
      registry.kill('SIGTERM');
      await exited;
    }
    await s.stop();
  });

  const imageIds = async () => {
    const client = s.client();
    try {
      return (await client.listImages()).filter((i) => (i.RepoTags ?? []).includes(ref)).map((i) => i.Id);
    } finally {
      client.close();
    }
  };

  it('pull fetches the service images; up --pull never then runs without the registry being asked', async () => {
    s.writeCompose(`services:\n  box: {image: "${ref}"}\n`);
    const pull = await s.ok('pull');
    expect(pull.stderr).toContain(`Image ${ref}  Pulling`);
    expect(pull.stderr).toContain(`Image ${ref}  Pulled`);
    expect(await imageIds()).toHaveLength(1);
    const up = await s.ok('up', '--pull', 'never');
    expect(up.stdout).toContain('box-1  | version one\n');
  });

  it('up --pull missing keeps the local image; --pull always fetches the new one and recreates', async () => {
    s.writeCompose(`services:\n  box: {image: "${ref}"}\n`);
    const v2 = await pushImage('tsct/box', '1', tar, ['echo', 'version two']);
    const missing = await s.ok('up', '--pull', 'missing');
    expect(missing.stderr).not.toContain('Pulling');
    expect(missing.stdout).toContain('box-1  | version one\n');
    const always = await s.ok('up', '--pull', 'always');
    expect(always.stderr).toContain(`Image ${ref}  Pulled`);
    expect(always.stderr).toContain(`Container ${P}-box-1  Recreate`);
    expect(always.stdout).toContain('box-1  | version two\n');
    expect(await imageIds()).toEqual([v2]);
  });

  it('pull_policy: always in the file pulls on every up; missing images with policy missing are pulled', async () => {
    s.writeCompose(`services:\n  box: {image: "${ref}", pull_policy: always}\n`);
    const up = await s.ok('up', '-d');
    expect(up.stderr).toContain(`Image ${ref}  Pulled`);
    await s.ok('down', '--rmi', 'all');
    expect(await imageIds()).toEqual([]);
    s.writeCompose(`services:\n  box: {image: "${ref}"}\n`);
    const again = await s.ok('up', '-d');
    expect(again.stderr).toContain(`Image ${ref}  Pulled`);
  });

  it('down --rmi all removes the pulled image; pull of an unknown tag names it', async () => {
    s.writeCompose(`services:\n  box: {image: "${ref}"}\n`);
    await s.ok('up', '-d');
    const down = await s.ok('down', '--rmi', 'all');
    expect(down.stderr).toContain(`Image ${ref}  Removed`);
    expect(await imageIds()).toEqual([]);
    s.writeCompose(`services:\n  box: {image: "${host}/tsct/box:nope"}\n`);
    const missing = await s.compose('pull');
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim().split('\n').at(-1)).toMatch(new RegExp(`^service "box": pulling image ${host.replace(/\./g, '\\.')}/tsct/box:nope failed: `));
    const ignored = await s.compose('pull', '--ignore-pull-failures');
    expect(ignored.code).toBe(0);
    expect(ignored.stderr).toContain('WARN service "box": pulling image');
  });
});
