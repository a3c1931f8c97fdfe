// The acceptance test of the engine: the real docker CLI, pointed at our
// socket with -H, with no Docker daemon anywhere: pull (from a registry on
// 127.0.0.1 with basic auth), images, run --rm, run -d, ps, logs -f, stop,
// inspect, rm -f, rmi, load, save, import.

import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../../runtime/engine/engine.js';
import { Pusher, startRegistry, type TestRegistry } from '../images/helpers/registry.js';
import { makeBusyboxRootfs, missingPrerequisite, tarOf, removeCgroupParent, removeTestNetworks, testNetworkOptions, dockerCli } from './helpers.js';

const DOCKER = [process.env.TSCT_DOCKER_CLI ?? '', '/usr/local/bin/docker', '/usr/bin/docker'].find((p) => p && existsSync(p));
const why = missingPrerequisite() ?? (!DOCKER ? 'needs the docker CLI' : !existsSync('/usr/bin/docker-registry') ? 'needs docker-registry' : undefined);
if (why && process.env.CI) throw new Error(`docker CLI tests cannot run: ${why}`);
const d = why ? describe.skip : describe;

const prefix = `tsct${Math.random().toString(36).slice(2, 8)}`;
let dir = '';
let sock = '';
let engine: Engine | undefined;
let registry: TestRegistry | undefined;

const { docker, ok } = dockerCli(DOCKER!, () => sock, () => join(dir, 'docker-config'));

d('the docker CLI against our engine', () => {
  let busyboxTar = '';
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
    sock = join(dir, 'engine.sock');
    const rootfs = makeBusyboxRootfs(join(dir, 'rootfs'));
    busyboxTar = tarOf(rootfs, join(dir, 'busybox.tar'));
    // The default runtime: tscrun with its monitor when built, else runc.
    engine = await Engine.start({ root: join(dir, 'root'), socketPath: sock, cgroupParent: prefix, log: () => {}, ...testNetworkOptions(prefix) });
    registry = await startRegistry();
    await new Pusher(registry).image('tsct/busybox', '1', [readFileSync(busyboxTar)], {
      compress: (b) => gzipSync(b), config: { Cmd: ['sh'], Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'] },
    });
  });

  afterAll(async () => {
    if (sock && engine) {
      const ids = (await docker(['ps', '-aq'])).stdout.split('\n').filter(Boolean);
      if (ids.length) await docker(['rm', '-f', ...ids]);
    }
    await engine?.close();
    if (dir) await removeTestNetworks(join(dir, 'root'), testNetworkOptions(prefix).networkLinkPrefix);
    await registry?.stop();
    await removeCgroupParent(prefix);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('reports our engine as the server', async () => {
    const out = await ok(['version', '--format', '{{.Server.Platform.Name}} {{.Server.APIVersion}}']);
    expect(out.trim()).toBe('tscompose engine 1.41');
  });

  it('imports a rootfs tar and lists it', async () => {
    const out = await ok(['import', busyboxTar, `${prefix}/imp:1`]);
    expect(out.trim()).toMatch(/^sha256:[0-9a-f]{64}$/);
    const images = await ok(['images', '--format', '{{.Repository}}:{{.Tag}}']);
    expect(images.split('\n')).toContain(`${prefix}/imp:1`);
  });

  it('run --rm prints the output, returns the exit code, and leaves nothing', async () => {
    expect(await ok(['run', '--rm', `${prefix}/imp:1`, 'echo', 'hi'])).toBe('hi\n');
    const failed = await docker(['run', '--rm', `${prefix}/imp:1`, 'sh', '-c', 'echo oops >&2; exit 3']);
    expect(failed).toMatchObject({ code: 3, stdout: '' });
    expect(failed.stderr).toBe('oops\n');
    expect((await ok(['ps', '-aq'])).trim()).toBe('');
  });

  it('logs in and pulls from a registry on 127.0.0.1 with basic auth', async () => {
    const denied = await docker(['login', '-u', registry!.user, '--password-stdin', registry!.host], 'wrong\n');
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toMatch(/401/);
    await ok(['login', '-u', registry!.user, '--password-stdin', registry!.host], `${registry!.password}\n`);
    const out = await ok(['pull', `${registry!.host}/tsct/busybox:1`]);
    expect(out).toMatch(/Pull complete|Already exists/);
    expect(out).toMatch(/Digest: sha256:[0-9a-f]{64}/);
    expect(out).toContain(`Status: Downloaded newer image for ${registry!.host}/tsct/busybox:1`);
    const images = await ok(['images', '--format', '{{.Repository}}:{{.Tag}}']);
    expect(images.split('\n')).toContain(`${registry!.host}/tsct/busybox:1`);
  });

  it('run -d, ps, logs -f, inspect, stop, rm -f', async () => {
    const image = `${registry!.host}/tsct/busybox:1`;
    const id = (await ok(['run', '-d', '--name', `${prefix}-tick`, image, 'sh', '-c', 'for i in 1 2 3; do echo tick$i; sleep 0.3; done'])).trim();
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    const ps = await ok(['ps', '--format', '{{.Names}} {{.Image}} {{.Status}}']);
    expect(ps).toMatch(new RegExp(`^${prefix}-tick ${image.replace(/[.]/g, '\\.')} Up `, 'm'));
    expect(await ok(['logs', '-f', `${prefix}-tick`])).toBe('tick1\ntick2\ntick3\n');
    const state = await ok(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}} {{.Name}} {{.Config.Image}}', `${prefix}-tick`]);
    expect(state.trim()).toBe(`exited 0 /${prefix}-tick ${image}`);

    const sleeper = (await ok(['run', '-d', image, 'sleep', '60'])).trim();
    const t0 = Date.now();
    await ok(['stop', '-t', '1', sleeper]);
    expect(Date.now() - t0).toBeLessThan(8000);
    expect((await ok(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', sleeper])).trim()).toBe('exited 137');
    const running = (await ok(['run', '-d', image, 'sleep', '60'])).trim();
    await ok(['rm', '-f', running, sleeper, id]);
    expect((await ok(['ps', '-aq'])).trim()).toBe('');
    const missing = await docker(['inspect', running]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`No such object: ${running}`);
  });

  it('run --rm of a missing command fails with 127 and removes the container', async () => {
    const r = await docker(['run', '--rm', `${prefix}/imp:1`, 'no-such-command']);
    expect(r.code).toBe(127);
    expect(r.stderr).toContain('executable file not found');
    expect((await ok(['ps', '-aq'])).trim()).toBe('');
  });

  it('run -t gives the container a terminal', async () => {
    expect(await ok(['run', '--rm', '-t', `${prefix}/imp:1`, 'tty'])).toBe('/dev/pts/0\r\n');
  });

  it('top, pause, unpause, rename, restart, kill, wait, logs --tail, events', async () => {
    const image = `${prefix}/imp:1`;
    const since = Math.floor(Date.now() / 1000) - 1;
    const id = (await ok(['run', '-d', '--name', `${prefix}-ctl`, image, 'sh', '-c', 'echo one; echo two; echo three; exec sleep 600'])).trim();
    const top = await ok(['top', `${prefix}-ctl`]);
    expect(top).toMatch(/^UID\s+PID\s+PPID/);
    expect(top).toContain('sleep 600');
    await ok(['pause', `${prefix}-ctl`]);
    expect((await ok(['inspect', '-f', '{{.State.Status}}', id])).trim()).toBe('paused');
    await ok(['unpause', `${prefix}-ctl`]);
    await ok(['rename', `${prefix}-ctl`, `${prefix}-ctl2`]);
    expect((await ok(['logs', '--tail', '2', `${prefix}-ctl2`]))).toBe('two\nthree\n');
    expect((await ok(['logs', '-t', '--tail', '1', `${prefix}-ctl2`]))).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z three\n$/);
    await ok(['restart', '-t', '0', `${prefix}-ctl2`]);
    expect((await ok(['inspect', '-f', '{{.State.Running}}', id])).trim()).toBe('true');
    const waited = docker(['wait', id]);
    await ok(['kill', '-s', 'KILL', id]);
    expect((await waited).stdout.trim()).toBe('137');
    const until = Math.ceil(Date.now() / 1000) + 1;
    const events = await ok(['events', '--since', String(since), '--until', String(until), '--filter', `container=${id}`, '--format', '{{.Action}}']);
    expect(events.split('\n').filter(Boolean)).toEqual(expect.arrayContaining(['create', 'start', 'pause', 'unpause', 'rename', 'restart', 'kill', 'die']));
    await ok(['rm', id]);
  });

  it('exec: output, exit code, user, stdin', async () => {
    const id = (await ok(['run', '-d', `${prefix}/imp:1`, 'sleep', '600'])).trim();
    const r = await docker(['exec', id, 'sh', '-c', 'echo out; echo err >&2; exit 5']);
    expect(r).toMatchObject({ code: 5, stdout: 'out\n', stderr: 'err\n' });
    expect(await ok(['exec', '-u', 'app', '-w', '/tmp', '-e', 'X=1', id, 'sh', '-c', 'id -u; pwd; echo $X'])).toBe('1000\n/tmp\n1\n');
    expect(await ok(['exec', '-i', id, 'wc', '-l'], 'a\nb\nc\n')).toMatch(/^\s*3\n$/);
    expect(await ok(['exec', '-t', id, 'tty'])).toMatch(/^\/dev\/pts\/\d+\r\n$/);
    await ok(['rm', '-f', id]);
  });

  it('save, rmi, load round-trip', async () => {
    const image = `${prefix}/imp:1`;
    const idBefore = (await ok(['inspect', '-f', '{{.Id}}', image])).trim();
    const saved = join(dir, 'saved.tar');
    await ok(['save', '-o', saved, image]);
    expect(statSync(saved).size).toBeGreaterThan(100_000);
    const rmi = await ok(['rmi', image]);
    expect(rmi).toContain(`Untagged: ${image}`);
    expect((await docker(['inspect', image])).code).toBe(1);
    const loaded = await ok(['load', '-i', saved]);
    expect(loaded).toContain(`Loaded image: ${image}`);
    expect((await ok(['inspect', '-f', '{{.Id}}', image])).trim()).toBe(idBefore);
    expect(await ok(['run', '--rm', image, 'cat', '/etc/hostname'])).toMatch(/^[0-9a-f]{12}\n$/);
  });

  it('refuses to remove an image a container uses', async () => {
    const image = `${prefix}/imp:1`;
    const id = (await ok(['create', image, 'true'])).trim();
    const r = await docker(['rmi', image]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/container [0-9a-f]{12} is using its referenced image|conflict/);
    await ok(['rm', id]);
  });
});
