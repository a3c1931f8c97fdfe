// `docker stats` and `docker cp` with the real docker CLI against our
// engine, plus the raw API for what the CLI does not show: the stats JSON
// of dockerd, the path-stat header, and tars that try to write outside the
// container (`../`, absolute names, links of the tar or of the container
// pointing out, hardlinks to host files).

import { execFileSync, spawn } from 'node:child_process';
import http from 'node:http';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tar from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpEngineClient } from '../../../runtime/client/index.js';
import { Engine } from '../../../runtime/engine/engine.js';
import { dockerCli, makeBusyboxRootfs, missingPrerequisite, removeCgroupParent, removeTestNetworks, tarOf, testNetworkOptions } from './helpers.js';

const DOCKER = [process.env.TSCT_DOCKER_CLI ?? '', '/usr/local/bin/docker', '/usr/bin/docker'].find((p) => p && existsSync(p));
const why = missingPrerequisite() ?? (!DOCKER ? 'needs the docker CLI' : undefined);
if (why && process.env.CI) throw new Error(`docker stats/cp tests cannot run: ${why}`);
const d = why ? describe.skip : describe;

const prefix = `tsct${Math.random().toString(36).slice(2, 8)}`;
const image = `${prefix}/cp:1`;
const NONET = ['--network', 'none'];
let dir = '';
let sock = '';
let engine: Engine | undefined;

const { docker, ok } = dockerCli(DOCKER!, () => sock, () => join(dir, 'docker-config'));

interface Answer { status: number; headers: http.IncomingHttpHeaders; body: Buffer }

function api(method: string, path: string, body?: Buffer): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath: sock, method, path: `/v1.41${path}`, headers: body ? { 'Content-Type': 'application/x-tar', 'Content-Length': body.length } : {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

type Entry = { name: string; type?: 'file' | 'directory' | 'symlink' | 'link'; body?: string; linkname?: string };

async function tarOfEntries(entries: Entry[]): Promise<Buffer> {
  const pack = tar.pack();
  for (const e of entries) {
    const h = { name: e.name, type: e.type ?? 'file', linkname: e.linkname, mode: e.type === 'directory' ? 0o755 : 0o644 };
    if (e.body !== undefined) pack.entry(h, e.body); else pack.entry(h);
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

d('docker stats and docker cp against our engine', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
    sock = join(dir, 'engine.sock');
    const rootfs = makeBusyboxRootfs(join(dir, 'rootfs'));
    mkdirSync(join(rootfs, 'data', 'sub'), { recursive: true });
    writeFileSync(join(rootfs, 'data', 'hello.txt'), 'hello from the image\n');
    writeFileSync(join(rootfs, 'data', 'sub', 'deep.txt'), 'deep\n');
    engine = await Engine.start({ root: join(dir, 'root'), socketPath: sock, cgroupParent: prefix, log: () => {}, ...testNetworkOptions(prefix) });
    await ok(['import', tarOf(rootfs, join(dir, 'rootfs.tar')), image]);
  }, 120_000);

  afterAll(async () => {
    if (sock && engine) {
      const ids = (await docker(['ps', '-aq'])).stdout.split('\n').filter(Boolean);
      if (ids.length) await docker(['rm', '-f', '-v', ...ids]);
      const vols = (await docker(['volume', 'ls', '-q'])).stdout.split('\n').filter(Boolean);
      if (vols.length) await docker(['volume', 'rm', '-f', ...vols]);
    }
    await engine?.close();
    await removeCgroupParent(prefix);
    if (dir) await removeTestNetworks(join(dir, 'root'), testNetworkOptions(prefix).networkLinkPrefix);
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  // ---- stats ----

  it('gives dockerd\'s stats JSON for a running container (two samples, one-shot, a memory limit)', async () => {
    const name = `${prefix}-st`;
    await ok(['run', '-d', '--name', name, '-m', '64m', image, 'sh', '-c', 'while :; do :; done']);
    const r = await api('GET', `/containers/${name}/stats?stream=false`);
    expect(r.status).toBe(200);
    const s = JSON.parse(r.body.toString());
    expect(s.name).toBe(`/${name}`);
    expect(s.id).toMatch(/^[0-9a-f]{64}$/);
    expect(Date.parse(s.read)).toBeGreaterThan(Date.parse(s.preread));
    expect(s.cpu_stats.cpu_usage.total_usage).toBeGreaterThan(s.precpu_stats.cpu_usage.total_usage);
    expect(s.cpu_stats.system_cpu_usage).toBeGreaterThan(s.precpu_stats.system_cpu_usage);
    expect(s.cpu_stats.online_cpus).toBeGreaterThan(0);
    expect(s.cpu_stats.throttling_data).toEqual(expect.objectContaining({ periods: expect.any(Number) }));
    expect(s.memory_stats.usage).toBeGreaterThan(0);
    expect(s.memory_stats.limit).toBe(64 * 1024 * 1024);
    expect(typeof s.memory_stats.stats).toBe('object');
    expect(s.pids_stats.current).toBeGreaterThanOrEqual(1);
    expect(s.blkio_stats).toHaveProperty('io_service_bytes_recursive');
    const one = JSON.parse((await api('GET', `/containers/${name}/stats?stream=false&one-shot=true`)).body.toString());
    expect(one.precpu_stats.cpu_usage.total_usage).toBe(0);
    expect(one.preread).toBe('0001-01-01T00:00:00Z');
    const cli = JSON.parse(await ok(['stats', '--no-stream', '--format', '{{json .}}', name]));
    expect(cli).toMatchObject({ Name: name, PIDs: expect.stringMatching(/^[1-9]/) });
    expect(cli.MemUsage).toMatch(/ \/ 64MiB$/);
    expect(Number.parseFloat(cli.CPUPerc)).toBeGreaterThan(1);
    await ok(['rm', '-f', name]);
  }, 120_000);

  it('counts the container\'s network traffic by interface', async () => {
    const name = `${prefix}-net`;
    await ok(['run', '-d', '--name', name, image, 'sleep', '600']);
    const s = JSON.parse((await api('GET', `/containers/${name}/stats?stream=false&one-shot=true`)).body.toString());
    expect(Object.keys(s.networks)).toEqual(['eth0']);
    expect(s.networks.eth0).toEqual(expect.objectContaining({ rx_bytes: expect.any(Number), tx_packets: expect.any(Number), rx_dropped: expect.any(Number) }));
    expect(s.networks.lo).toBeUndefined();
    await ok(['rm', '-f', name]);
  }, 120_000);

  it('gives zeroed stats for a stopped container, like dockerd', async () => {
    const name = `${prefix}-stopped`;
    await ok(['create', ...NONET, '--name', name, image, 'true']);
    const s = JSON.parse((await api('GET', `/containers/${name}/stats?stream=false`)).body.toString());
    expect(s).toMatchObject({ read: '0001-01-01T00:00:00Z', name: `/${name}`, memory_stats: {}, pids_stats: {}, cpu_stats: { cpu_usage: { total_usage: 0 } } });
    const cli = JSON.parse(await ok(['stats', '--no-stream', '--format', '{{json .}}', name]));
    expect(cli).toMatchObject({ Name: name, CPUPerc: '0.00%', PIDs: '0' });
    expect((await api('GET', '/containers/nosuch/stats?stream=false')).status).toBe(404);
    // Every container, stopped ones included.
    expect(await ok(['stats', '--no-stream', '-a', '--format', '{{.Name}}'])).toContain(name);
    await ok(['rm', name]);
  }, 60_000);

  it('streams a sample a second with docker stats', async () => {
    const name = `${prefix}-stream`;
    await ok(['run', '-d', ...NONET, '--name', name, image, 'sleep', '600']);
    const out = await new Promise<string>((resolve) => {
      const child = spawn(DOCKER!, ['-H', `unix://${sock}`, 'stats', '--format', '{{.Name}} {{.PIDs}}', name], {
        env: { ...process.env, DOCKER_CONFIG: join(dir, 'docker-config'), DOCKER_HOST: '', DOCKER_CONTEXT: '' },
      });
      let text = '';
      child.stdout.on('data', (b: Buffer) => { text += b.toString(); });
      // The CLI takes SIGTERM as a request to stop its streams and goes on drawing: it is killed.
      setTimeout(() => child.kill('SIGKILL'), 4500);
      child.on('close', () => resolve(text));
    });
    // The CLI redraws the table for every sample it reads.
    expect(out.split(`${name} 1`).length - 1).toBeGreaterThanOrEqual(2);
    // The typed client: one sample, and a stream read until aborted.
    const client = new HttpEngineClient({ host: `unix://${sock}` });
    try {
      expect((await client.containerStats(name, { oneShot: true })).pids_stats.current).toBe(1);
      const abort = new AbortController();
      const reads: string[] = [];
      for await (const s of client.containerStatsStream(name, { signal: abort.signal })) {
        reads.push(s.read);
        if (reads.length === 2) abort.abort();
      }
      expect(reads).toHaveLength(2);
      expect(Date.parse(reads[1])).toBeGreaterThan(Date.parse(reads[0]));
    } finally { client.close(); }
    await ok(['rm', '-f', name]);
  }, 60_000);

  // ---- cp ----

  it('copies files and directories out of a running and a stopped container', async () => {
    const name = `${prefix}-cpout`;
    await ok(['run', '-d', ...NONET, '--name', name, image, 'sh', '-c', 'echo live > /tmp/live.txt; sleep 600']);
    const out = join(dir, 'out1');
    mkdirSync(out);
    await ok(['exec', name, 'cat', '/tmp/live.txt']);
    await ok(['cp', `${name}:/tmp/live.txt`, join(out, 'live.txt')]);
    expect(readFileSync(join(out, 'live.txt'), 'utf8')).toBe('live\n');
    await ok(['cp', `${name}:/data`, out]);
    expect(readFileSync(join(out, 'data', 'sub', 'deep.txt'), 'utf8')).toBe('deep\n');
    await ok(['cp', `${name}:/data/.`, join(out, 'flat')]);
    expect(readFileSync(join(out, 'flat', 'hello.txt'), 'utf8')).toBe('hello from the image\n');
    // /etc/hosts is the engine's file bind-mounted in the container.
    await ok(['cp', `${name}:/etc/hostname`, join(out, 'hostname')]);
    expect(readFileSync(join(out, 'hostname'), 'utf8').trim()).toMatch(/^[0-9a-f]{12}$/);
    await ok(['stop', '-t', '1', name]);
    await ok(['cp', `${name}:/tmp/live.txt`, join(out, 'after-stop.txt')]);
    expect(readFileSync(join(out, 'after-stop.txt'), 'utf8')).toBe('live\n');
    const missing = await docker(['cp', `${name}:/nope`, out]);
    expect(missing.code).not.toBe(0);
    // The 20.10 CLI words a 404 of its stat request itself.
    expect(missing.stderr).toMatch(new RegExp(`Could not find the file /nope in container ${name}|No such container:path: ${name}:/nope`));
    await ok(['rm', name]);
  }, 120_000);

  it('copies into a running container, into a stopped one\'s volume and bind, and from stdin', async () => {
    const name = `${prefix}-cpin`;
    const host = join(dir, 'bind');
    mkdirSync(host);
    await ok(['run', '-d', ...NONET, '--name', name, '-v', `${prefix}vol:/vol`, '-v', `${host}:/bind`, image, 'sleep', '600']);
    const src = join(dir, 'src');
    mkdirSync(join(src, 'tree', 'inner'), { recursive: true });
    writeFileSync(join(src, 'tree', 'inner', 'a.txt'), 'A\n');
    writeFileSync(join(src, 'one.txt'), 'one\n');
    await ok(['cp', join(src, 'tree'), `${name}:/tmp/`]);
    expect(await ok(['exec', name, 'cat', '/tmp/tree/inner/a.txt'])).toBe('A\n');
    await ok(['cp', join(src, 'one.txt'), `${name}:/vol/renamed.txt`]);
    expect(await ok(['exec', name, 'cat', '/vol/renamed.txt'])).toBe('one\n');
    await ok(['stop', '-t', '1', name]);
    await ok(['cp', join(src, 'one.txt'), `${name}:/bind/`]);
    expect(readFileSync(join(host, 'one.txt'), 'utf8')).toBe('one\n');
    await ok(['cp', join(src, 'tree'), `${name}:/vol/tree2`]);
    await ok(['cp', '-', `${name}:/tmp`], (await tarOfEntries([{ name: 'fromstdin.txt', body: 'stdin\n' }])).toString('latin1'));
    await ok(['start', name]);
    expect(await ok(['exec', name, 'cat', '/vol/tree2/inner/a.txt', '/tmp/fromstdin.txt'])).toBe('A\nstdin\n');
    // A directory is never replaced by a file (the docker CLI asks noOverwriteDirNonDir).
    mkdirSync(join(src, 'clash'));
    writeFileSync(join(src, 'clash', 'tree'), 'x');
    const clash = await docker(['cp', join(src, 'clash', 'tree'), `${name}:/tmp/`]);
    expect(clash.code).not.toBe(0);
    expect(clash.stderr).toContain('cannot overwrite directory');
    expect(await ok(['exec', name, 'cat', '/tmp/tree/inner/a.txt'])).toBe('A\n');
    await ok(['rm', '-f', name]);
  }, 120_000);

  it('gives the path stat header on HEAD and GET, and dockerd\'s errors', async () => {
    const name = `${prefix}-stat`;
    await ok(['create', ...NONET, '--name', name, image, 'true']);
    const r = await api('HEAD', `/containers/${name}/archive?path=/data/hello.txt`);
    expect(r.status).toBe(200);
    const st = JSON.parse(Buffer.from(String(r.headers['x-docker-container-path-stat']), 'base64').toString());
    expect(st).toMatchObject({ name: 'hello.txt', size: 21, linkTarget: '' });
    expect(st.mode & 0o777).toBe(0o644);
    const dirStat = JSON.parse(Buffer.from(String((await api('HEAD', `/containers/${name}/archive?path=/data`)).headers['x-docker-container-path-stat']), 'base64').toString());
    expect(dirStat.mode >>> 31).toBe(1);
    const link = JSON.parse(Buffer.from(String((await api('HEAD', `/containers/${name}/archive?path=/bin/sh`)).headers['x-docker-container-path-stat']), 'base64').toString());
    expect(link).toMatchObject({ name: 'sh', linkTarget: '/bin/busybox' });
    expect((await api('HEAD', `/containers/${name}/archive?path=/nope`)).status).toBe(404);
    const missing = await api('GET', `/containers/${name}/archive?path=/nope`);
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.body.toString()).message).toBe(`Could not find the file /nope in container ${name}`);
    expect((await api('GET', `/containers/${name}/archive?path=`)).status).toBe(400);
    expect((await api('PUT', `/containers/${name}/archive?path=/data/hello.txt`, await tarOfEntries([{ name: 'x', body: 'x' }]))).status).toBe(400);
    expect((await api('GET', `/containers/nosuch/archive?path=/`)).status).toBe(404);
    await ok(['rm', name]);
  }, 60_000);

  it('never writes outside the container, whatever the tar or the container holds', async () => {
    const name = `${prefix}-evil`;
    const canary = join(dir, 'canary');
    mkdirSync(canary);
    writeFileSync(join(canary, 'keep'), 'host\n');
    // Links in the container that point at host paths (absolute, and climbing with ..).
    await ok(['run', '-d', ...NONET, '--name', name, image, 'sh', '-c',
      `ln -s ${canary} /tmp/out; ln -s ../../../../../../../..${canary} /tmp/climb; mkdir -p ${canary}; echo inside > ${canary}/keep; sleep 600`]);
    for (let i = 0; i < 50 && (await docker(['exec', name, 'sh', '-c', 'test -L /tmp/climb'])).code !== 0; i++) await new Promise((r) => setTimeout(r, 100));
    const tries: Array<{ path: string; entries: Entry[] }> = [
      { path: '/tmp', entries: [{ name: '../../../../../../../..' + canary + '/dotdot', body: 'x' }] },
      { path: '/tmp', entries: [{ name: `${canary}/absolute`, body: 'x' }] },
      { path: '/tmp', entries: [{ name: 'esc', type: 'symlink', linkname: canary }, { name: 'esc/via-tar-link', body: 'x' }] },
      { path: '/tmp', entries: [{ name: 'hl', type: 'link', linkname: `${canary}/keep` }] },
      { path: '/tmp/out', entries: [{ name: 'via-container-link', body: 'x' }] },
      { path: '/tmp/climb', entries: [{ name: 'via-climbing-link', body: 'x' }] },
      { path: '/tmp', entries: [{ name: 'out/through-link', body: 'x' }] },
    ];
    for (const t of tries) await api('PUT', `/containers/${name}/archive?path=${encodeURIComponent(t.path)}`, await tarOfEntries(t.entries));
    // Refused at the first entry, with megabytes still to come: a 400, not a hung request.
    const big = await api('PUT', '/containers/' + name + '/archive?path=/tmp', await tarOfEntries([{ name: '../../../../x', body: 'x' }, { name: 'big', body: 'a'.repeat(16 << 20) }]));
    expect(big.status).toBe(400);
    expect(JSON.parse(big.body.toString()).message).toMatch(/extracting the archive: entry `\.\.\/\.\.\/\.\.\/\.\.\/x`/);
    expect(execFileSync('ls', ['-A', canary]).toString()).toBe('keep\n');
    expect(readFileSync(join(canary, 'keep'), 'utf8')).toBe('host\n');
    expect(statSync(join(canary, 'keep')).nlink).toBe(1);
    // What did land, landed inside the container.
    expect(await ok(['exec', name, 'cat', `${canary}/via-container-link`, `${canary}/via-climbing-link`])).toBe('xx');
    // Reading follows links inside the container too: /tmp/out/keep is the container's file.
    const got = await api('GET', `/containers/${name}/archive?path=${encodeURIComponent('/tmp/out/keep')}`);
    expect(got.status).toBe(200);
    expect(got.body.toString('latin1')).toContain('inside\n');
    expect(got.body.toString('latin1')).not.toContain('host\n');
    await ok(['rm', '-f', name]);
  }, 120_000);
});
