// Volumes end to end with the real docker CLI against our engine: named
// volumes that outlive containers, copy-up from the image, binds, tmpfs,
// anonymous volumes (`-v /path`, image VOLUME) removed by `rm -v`, and the
// `docker volume` commands with Docker's errors.

import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../../runtime/engine/engine.js';
import { makeBusyboxRootfs, missingPrerequisite, tarOf, removeCgroupParent, removeTestNetworks, testNetworkOptions, dockerCli } from './helpers.js';

const DOCKER = [process.env.TSCT_DOCKER_CLI ?? '', '/usr/local/bin/docker', '/usr/bin/docker'].find((p) => p && existsSync(p));
const why = missingPrerequisite() ?? (!DOCKER ? 'needs the docker CLI' : undefined);
if (why && process.env.CI) throw new Error(`docker volume tests cannot run: ${why}`);
const d = why ? describe.skip : describe;

const prefix = `tsct${Math.random().toString(36).slice(2, 8)}`;
const image = `${prefix}/vol:1`;
// Volumes do not depend on networking: no network, so these tests need no bridge.
const NONET = ['--network', 'none'];
let dir = '';
let sock = '';
let engine: Engine | undefined;

const { docker, ok } = dockerCli(DOCKER!, () => sock, () => join(dir, 'docker-config'));

d('docker volumes against our engine', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
    sock = join(dir, 'engine.sock');
    const rootfs = makeBusyboxRootfs(join(dir, 'rootfs'));
    mkdirSync(join(rootfs, 'seed'));
    writeFileSync(join(rootfs, 'seed', 'from-image'), 'seeded\n');
    engine = await Engine.start({ root: join(dir, 'root'), socketPath: sock, cgroupParent: prefix, log: () => {}, ...testNetworkOptions(prefix) });
    await ok(['import', '--change', 'VOLUME /imgvol', tarOf(rootfs, join(dir, 'rootfs.tar')), image]);
  });

  afterAll(async () => {
    if (sock && engine) {
      const ids = (await docker(['ps', '-aq'])).stdout.split('\n').filter(Boolean);
      if (ids.length) await docker(['rm', '-f', '-v', ...ids]);
      const vols = (await docker(['volume', 'ls', '-q'])).stdout.split('\n').filter(Boolean);
      if (vols.length) await docker(['volume', 'rm', '-f', ...vols]);
    }
    await engine?.close();
    await removeCgroupParent(prefix);
    // The engine's predefined bridge outlives it, as docker0 does.
    if (dir) await removeTestNetworks(join(dir, 'root'), testNetworkOptions(prefix).networkLinkPrefix);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('keeps a named volume\'s data across containers', async () => {
    expect((await ok(['volume', 'create', `${prefix}a`])).trim()).toBe(`${prefix}a`);
    await ok(['run', '--rm', ...NONET, '-v', `${prefix}a:/data`, image, 'sh', '-c', 'echo hi > /data/f']);
    expect(await ok(['run', '--rm', ...NONET, '-v', `${prefix}a:/data`, image, 'cat', '/data/f'])).toBe('hi\n');
    const v = JSON.parse(await ok(['volume', 'inspect', `${prefix}a`]))[0];
    expect(v).toMatchObject({ Name: `${prefix}a`, Driver: 'local', Scope: 'local' });
    expect(readFileSync(join(v.Mountpoint, 'f'), 'utf8')).toBe('hi\n');
  });

  it('copies the image\'s content into an empty volume, never over data', async () => {
    expect(await ok(['run', '--rm', ...NONET, '-v', `${prefix}seed:/seed`, image, 'cat', '/seed/from-image'])).toBe('seeded\n');
    await ok(['run', '--rm', ...NONET, '-v', `${prefix}seed:/seed`, image, 'sh', '-c', 'echo mine > /seed/from-image']);
    expect(await ok(['run', '--rm', ...NONET, '-v', `${prefix}seed:/seed`, image, 'cat', '/seed/from-image'])).toBe('mine\n');
    // An anonymous volume is filled the same way.
    expect(await ok(['run', '--rm', ...NONET, '-v', '/seed', image, 'cat', '/seed/from-image'])).toBe('seeded\n');
  });

  it('mounts a host directory and a tmpfs, shown in inspect', async () => {
    const host = join(dir, 'hostdir');
    mkdirSync(host);
    writeFileSync(join(host, 'in'), 'from host\n');
    const id = (await ok(['create', ...NONET, '-v', `${host}:/mnt`, '--tmpfs', '/run', image, 'sh', '-c', 'cat /mnt/in; echo out > /mnt/out; grep " /run " /proc/mounts'])).trim();
    const mounts = JSON.parse(await ok(['inspect', '--format', '{{json .Mounts}}', id]));
    // Sorted by destination, like Docker; the image's VOLUME gets an anonymous volume.
    expect(mounts).toEqual([expect.objectContaining({ Type: 'volume', Destination: '/imgvol', Driver: 'local', RW: true }),
      { Type: 'bind', Source: host, Destination: '/mnt', Mode: '', RW: true, Propagation: 'rprivate' }]);
    const out = await ok(['start', '-a', id]);
    expect(out).toMatch(/^from host\ntmpfs \/run tmpfs rw,nosuid,nodev,noexec/);
    expect(readFileSync(join(host, 'out'), 'utf8')).toBe('out\n');
    await ok(['rm', '-v', id]);
  });

  it('removes anonymous volumes with rm -v, keeps named ones', async () => {
    const id = (await ok(['create', ...NONET, '-v', '/anon', '-v', `${prefix}kept:/kept`, image, 'true'])).trim();
    const mounts = JSON.parse(await ok(['inspect', '--format', '{{json .Mounts}}', id])) as Array<{ Name?: string; Destination: string }>;
    const anon = mounts.filter((m) => m.Destination !== '/kept').map((m) => m.Name!);
    expect(anon).toHaveLength(2); // -v /anon and the image's VOLUME /imgvol
    for (const n of anon) expect(n).toMatch(/^[0-9a-f]{64}$/);
    expect((await ok(['volume', 'ls', '-q', '--filter', 'dangling=false'])).split('\n')).toEqual(expect.arrayContaining([...anon, `${prefix}kept`]));
    expect((await ok(['ps', '-aq', '--no-trunc', '--filter', `volume=${prefix}kept`])).trim()).toBe(id);
    await ok(['rm', '-v', id]);
    for (const n of anon) expect((await docker(['volume', 'inspect', n])).stderr).toContain('no such volume');
    await ok(['volume', 'inspect', `${prefix}kept`]);
  });

  it('shares volumes with --volumes-from, read-only when asked', async () => {
    const src = (await ok(['create', ...NONET, '-v', `${prefix}a:/data`, image, 'true'])).trim();
    expect(await ok(['run', '--rm', ...NONET, '--volumes-from', `${src}:ro`, image, 'sh', '-c', 'cat /data/f; touch /data/g 2>/dev/null && echo rw || echo ro'])).toBe('hi\nro\n');
    await ok(['rm', '-v', src]);
    await ok(['volume', 'inspect', `${prefix}a`]);
  });

  it('mounts a tmpfs-backed local volume while a container uses it, and only then', async () => {
    await ok(['volume', 'create', '--opt', 'type=tmpfs', '--opt', 'device=tmpfs', '--opt', 'o=size=1m', `${prefix}t`]);
    const data = JSON.parse(await ok(['volume', 'inspect', `${prefix}t`]))[0].Mountpoint as string;
    const mounted = (): boolean => readFileSync('/proc/mounts', 'utf8').split('\n').some((l) => l.split(' ')[1] === data);
    const id = (await ok(['run', '-d', ...NONET, '-v', `${prefix}t:/t`, image, 'sh', '-c', 'echo x > /t/f; grep " /t " /proc/mounts | cut -d" " -f3; sleep 60'])).trim();
    expect(mounted()).toBe(true);
    await ok(['stop', '-t', '0', id]);
    expect((await ok(['logs', id])).trim()).toBe('tmpfs');
    expect(mounted()).toBe(false);
    await ok(['rm', id]);
    await ok(['volume', 'rm', `${prefix}t`]);
  });

  it('run --rm takes its anonymous volumes along, and --mount works too', async () => {
    const before = (await ok(['volume', 'ls', '-q'])).split('\n').filter(Boolean);
    expect(await ok(['run', '--rm', ...NONET, '-v', '/anon', '--mount', `type=volume,src=${prefix}m,dst=/m`, image, 'sh', '-c', 'echo x > /anon/f; echo m > /m/f; cat /m/f'])).toBe('m\n');
    const after = (await ok(['volume', 'ls', '-q'])).split('\n').filter(Boolean);
    expect(after.filter((n) => !before.includes(n))).toEqual([`${prefix}m`]);
  });

  it('keeps volumes and their data across an engine restart', async () => {
    await engine!.close();
    engine = await Engine.start({ root: join(dir, 'root'), socketPath: sock, cgroupParent: prefix, log: () => {}, ...testNetworkOptions(prefix) });
    expect(await ok(['run', '--rm', ...NONET, '-v', `${prefix}a:/data`, image, 'cat', '/data/f'])).toBe('hi\n');
    expect(JSON.parse(await ok(['volume', 'inspect', `${prefix}m`]))[0].Name).toBe(`${prefix}m`);
  });

  it('refuses to remove a volume in use, with Docker\'s message', async () => {
    const id = (await ok(['create', ...NONET, '-v', `${prefix}busy:/b`, image, 'true'])).trim();
    const r = await docker(['volume', 'rm', `${prefix}busy`]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`remove ${prefix}busy: volume is in use - [${id}]`);
    const missing = await docker(['volume', 'rm', `${prefix}nope`]);
    expect(missing.stderr).toContain(`no such volume`);
    await ok(['rm', '-v', id]);
    await ok(['volume', 'rm', `${prefix}busy`]);
  });

  it('lists with filters and prunes', async () => {
    await ok(['volume', 'create', '--label', `${prefix}=yes`, `${prefix}lab`]);
    expect((await ok(['volume', 'ls', '-q', '--filter', `label=${prefix}=yes`])).trim()).toBe(`${prefix}lab`);
    expect((await ok(['volume', 'ls', '-q', '--filter', `name=${prefix}lab`])).trim()).toBe(`${prefix}lab`);
    // Our API is 1.41: prune takes named volumes too (1.42 made that `-a`).
    const out = await ok(['volume', 'prune', '-f', '--filter', `label=${prefix}=yes`]);
    expect(out).toContain(`${prefix}lab`);
    expect((await docker(['volume', 'inspect', `${prefix}lab`])).code).not.toBe(0);
    const df = await ok(['system', 'df', '--format', '{{.Type}}']);
    expect(df.split('\n')).toContain('Local Volumes');
  });
});
