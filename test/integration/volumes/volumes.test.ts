// The volume layer on the real kernel: tmpfs- and bind-backed volumes really
// mounted and unmounted, copy-up from an overlay rootfs keeping owners,
// modes, xattrs and symlinks without ever leaving the rootfs, and a real
// container (tscrun, else runc) writing into a named volume through the
// mounts planMounts/prepareMounts produce.
import { execFileSync } from 'node:child_process';
import {
  chmodSync, chownSync, existsSync, linkSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, statSync, symlinkSync, writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { baseSpec, writeBundle } from '../../helpers/bundle.js';
import { onCleanup, runCleanups } from '../../helpers/cleanup.js';
import { uniqueName } from '../../helpers/names.js';
import { OciRuntime, runtimeBinary } from '../../helpers/oci-runtime.js';
import { requireEnv } from '../../helpers/require-root.js';
import { tempDir } from '../../helpers/tmp.js';
import {
  VolumeStore, attachVolumes, copyUp, detachVolumes, ensureMountpoint, kernelMountHost, planMounts, prepareMounts, unmountVolumes,
} from '../../../runtime/volumes/index.js';

const gate = requireEnv({ root: true, binaries: ['mount', 'umount', 'cp', 'runc'], paths: ['/bin/busybox'] }, 'volume integration tests');

function mountLine(target: string): string | undefined {
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n').find((l) => l.split(' ')[4] === target);
}

// xattrs through python3 when the host has it (node has no xattr API); the check is skipped without it.
function setXattr(file: string, name: string, value: string): boolean {
  try {
    execFileSync('python3', ['-c', 'import os,sys; os.setxattr(sys.argv[1], sys.argv[2], sys.argv[3].encode(), follow_symlinks=False)', file, name, value]);
    return true;
  } catch {
    return false;
  }
}
function getXattr(file: string, name: string): string {
  return execFileSync('python3', ['-c', 'import os,sys; print(os.getxattr(sys.argv[1], sys.argv[2], follow_symlinks=False).decode())', file, name], { encoding: 'utf8' }).trim();
}

/** A store under a private state root; whatever is still mounted there is detached by tempDir's cleanup. */
function newStore(): VolumeStore {
  return VolumeStore.open({ stateRoot: tempDir('volroot') });
}

/** An "image" folder mounted as overlay lower dir, as the engine mounts a container's rootfs. */
function overlayRootfs(build: (image: string) => void): string {
  const base = tempDir('ovl');
  const [image, upper, work, merged] = ['image', 'upper', 'work', 'merged'].map((d) => path.join(base, d));
  for (const d of [image, upper, work, merged]) mkdirSync(d);
  build(image);
  execFileSync('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${image},upperdir=${upper},workdir=${work}`, merged]);
  onCleanup(`umount ${merged}`, () => { if (mountLine(merged)) execFileSync('umount', [merged]); });
  return merged;
}

describe.skipIf(gate.skip)('volumes on the real kernel', () => {
  afterEach(runCleanups);

  it('mounts a tmpfs driver_opts volume on first use and unmounts it after the last', async () => {
    const store = newStore();
    store.create({ Name: 'fast', DriverOpts: { type: 'tmpfs', device: 'tmpfs', o: 'size=8m,uid=1000,mode=0750' } });
    const data = store.path('fast');
    expect(mountLine(data)).toBeUndefined();
    await store.mount('fast', 'c1');
    await store.mount('fast', 'c2');
    const line = mountLine(data)!;
    expect(line).toMatch(/ - tmpfs tmpfs .*size=8192k/);
    expect(statSync(data).uid).toBe(1000);
    writeFileSync(path.join(data, 'f'), 'x');
    await store.unmount('fast', 'c1');
    expect(mountLine(data)).toBeDefined();
    await store.unmount('fast', 'c2');
    expect(mountLine(data)).toBeUndefined();
    expect(readdirSync(data)).toEqual([]);
    // Removing a volume while it is mounted unmounts first.
    await store.mount('fast', 'c3');
    await store.unmount('fast', 'c3');
    await store.mount('fast', 'c4');
    store.release('fast', 'c4');
    await store.remove('fast');
    expect(mountLine(data)).toBeUndefined();
    expect(existsSync(path.dirname(data))).toBe(false);
  });

  it('binds a host directory (type=none,o=bind) and leaves it intact on remove', async () => {
    const hostDir = tempDir('hostdir');
    writeFileSync(path.join(hostDir, 'existing'), 'host data');
    const store = newStore();
    store.create({ Name: 'hostdir', DriverOpts: { type: 'none', device: hostDir, o: 'bind' } });
    const data = await store.mount('hostdir', 'c1');
    expect(readFileSync(path.join(data, 'existing'), 'utf8')).toBe('host data');
    writeFileSync(path.join(data, 'new'), 'from volume');
    await store.unmount('hostdir', 'c1');
    expect(mountLine(data)).toBeUndefined();
    await store.remove('hostdir');
    expect(readdirSync(hostDir).sort()).toEqual(['existing', 'new']);
  });

  it('reports a clear error when the bind device is missing', async () => {
    const store = newStore();
    store.create({ Name: 'gone', DriverOpts: { type: 'none', device: '/nonexistent/tsct-volume-src', o: 'bind' } });
    await expect(store.mount('gone', 'c1')).rejects.toThrow(/failed to mount local volume: mount \/nonexistent\/tsct-volume-src:.*_data/);
    expect(store.mountedBy('gone')).toEqual([]);
  });

  it('copies the image content up into a new volume: owners, modes, xattrs, links; never out of the rootfs', async () => {
    let xattrs = false;
    const rootfs = overlayRootfs((image) => {
      mkdirSync(path.join(image, 'etc'));
      writeFileSync(path.join(image, 'etc/marker'), 'image etc');
      const app = path.join(image, 'srv/app');
      mkdirSync(path.join(app, 'sub'), { recursive: true });
      chmodSync(app, 0o750);
      chownSync(app, 1000, 1001);
      writeFileSync(path.join(app, 'secret'), 'top secret');
      chmodSync(path.join(app, 'secret'), 0o600);
      chownSync(path.join(app, 'secret'), 1000, 1001);
      writeFileSync(path.join(app, 'sub/exe'), '#!/bin/sh\n');
      chmodSync(path.join(app, 'sub/exe'), 0o4755);
      linkSync(path.join(app, 'secret'), path.join(app, 'hardlink'));
      symlinkSync('/etc', path.join(app, 'etc-link'));
      symlinkSync('../../../../../../etc/passwd', path.join(app, 'climb'));
      xattrs = setXattr(path.join(app, 'secret'), 'user.tsct', 'kept');
      // Mount targets reached through symlinks that point "out": they must land inside the rootfs.
      symlinkSync('/etc', path.join(image, 'escape'));
      symlinkSync('../../../../../etc', path.join(image, 'climber'));
      mkdirSync(path.join(image, 'var'));
      symlinkSync('/srv/app', path.join(image, 'var/data'));
    });
    const store = newStore();
    store.create({ Name: 'appdata' });
    const data = store.path('appdata');

    expect(await copyUp(rootfs, '/var/data', data)).toBe('copied');
    const st = statSync(data);
    expect([st.uid, st.gid, st.mode & 0o7777]).toEqual([1000, 1001, 0o750]);
    const secret = lstatSync(path.join(data, 'secret'));
    expect([secret.uid, secret.gid, secret.mode & 0o7777]).toEqual([1000, 1001, 0o600]);
    expect(lstatSync(path.join(data, 'sub/exe')).mode & 0o7777).toBe(0o4755);
    expect(lstatSync(path.join(data, 'hardlink')).ino).toBe(secret.ino);
    expect(readlinkSync(path.join(data, 'etc-link'))).toBe('/etc');
    expect(readlinkSync(path.join(data, 'climb'))).toBe('../../../../../../etc/passwd');
    if (xattrs) expect(getXattr(path.join(data, 'secret'), 'user.tsct')).toBe('kept');

    // A non-empty volume is never written to.
    writeFileSync(path.join(data, 'secret'), 'changed by the app');
    expect(await copyUp(rootfs, '/var/data', data)).toBe('not-empty');
    expect(readFileSync(path.join(data, 'secret'), 'utf8')).toBe('changed by the app');

    // /escape -> /etc and /climber -> ../../etc resolve to the image's /etc, never the host's.
    for (const target of ['/escape', '/climber', '/../../etc']) {
      store.create({ Name: `esc${target.length}` });
      const d = store.path(`esc${target.length}`);
      expect(await copyUp(rootfs, target, d)).toBe('copied');
      expect(readdirSync(d)).toEqual(['marker']);
    }
    // Nothing at the path in the image: nothing to copy.
    store.create({ Name: 'empty' });
    expect(await copyUp(rootfs, '/not/there', store.path('empty'))).toBe('nothing-in-image');
    // A file where the volume goes: Docker's error.
    await expect(copyUp(rootfs, '/etc/marker', store.path('empty'))).rejects.toThrow(`cannot mount volume over existing file, file exists ${rootfs}/etc/marker`);
  });

  it('creates mount points inside the rootfs only, through symlinks that point out', () => {
    const rootfs = overlayRootfs((image) => {
      symlinkSync('/etc', path.join(image, 'out'));
      symlinkSync('../../../../tmp', path.join(image, 'up'));
    });
    const hostProbe = `/etc/${uniqueName()}`;
    ensureMountpoint(rootfs, `/out/${path.basename(hostProbe)}`, 'directory');
    expect(existsSync(hostProbe)).toBe(false);
    expect(statSync(path.join(rootfs, 'etc', path.basename(hostProbe))).isDirectory()).toBe(true);
    ensureMountpoint(rootfs, '/up/file.sock', 'file');
    expect(statSync(path.join(rootfs, 'tmp/file.sock')).isFile()).toBe(true);
    expect(() => ensureMountpoint(rootfs, '/up/file.sock', 'directory')).toThrow(/it is a file/);
  });

  const runtimes = (['tscrun', 'runc'] as const).filter((n) => runtimeBinary(n));
  it.each(runtimes)('runs a container (%s) writing into a named volume; the data outlives the container but not volume rm', async (runtimeName) => {
    const rt = OciRuntime.of(runtimeName);
    const id = uniqueName();
    const store = newStore();
    const hostBind = path.join(tempDir('bindsrc'), 'created-by-binds');
    const spec = baseSpec(['/bin/sh', '-c', [
      'echo hello > /data/out',
      'cat /data/seed',
      'echo anon > /cache/x',
      'test -d /host && echo bind-ok',
      'echo tmp > /scratch/t && grep -q " /scratch tmpfs" /proc/mounts && echo tmpfs-ok',
      'echo nope > /ro/x 2>/dev/null || echo ro-ok',
      'touch /nocopy/probe; ls /nocopy',
    ].join('; ')]);
    const b = writeBundle(spec, { containerId: id });
    mkdirSync(path.join(b.rootfs, 'data'));
    writeFileSync(path.join(b.rootfs, 'data/seed'), 'from the image\n');
    mkdirSync(path.join(b.rootfs, 'nocopy'));
    writeFileSync(path.join(b.rootfs, 'nocopy/should-not-be-copied'), '');

    const plan = planMounts({
      hostConfig: {
        Binds: [`${id}-data:/data`, `${hostBind}:/host`, `${id}-nc:/nocopy:nocopy`],
        Mounts: [{ Type: 'volume', Source: `${id}-data`, Target: '/ro', ReadOnly: true }],
        Tmpfs: { '/scratch': 'size=1m' },
      },
      imageVolumes: { '/cache': {} },
    }, { volumePath: (n) => store.path(n), hostPathExists: existsSync });
    await attachVolumes(store, plan, id);
    const anon = plan.volumes.find((v) => v.anonymous)!.name;
    const prepared = await prepareMounts(store, plan.mounts, id, b.rootfs);
    // /ro is the same volume again: filled already by /data's copy-up.
    expect(prepared.copyUp).toEqual({ '/cache': 'nothing-in-image', '/data': 'copied', '/ro': 'not-empty' });
    expect(prepared.mounts.filter((m) => m.copyUp).map((m) => m.destination)).toEqual([]);
    expect(existsSync(hostBind)).toBe(true);
    spec.mounts.push(...prepared.oci);
    writeFileSync(path.join(b.dir, 'config.json'), JSON.stringify(spec));

    const r = await rt.run(id, b.dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split('\n').filter(Boolean)).toEqual(['from the image', 'bind-ok', 'tmpfs-ok', 'ro-ok', 'probe']);
    expect(readFileSync(path.join(store.path(`${id}-data`), 'out'), 'utf8')).toBe('hello\n');
    expect(readFileSync(path.join(store.path(anon), 'x'), 'utf8')).toBe('anon\n');
    await rt.delete(id, true);

    // Container removed (docker rm -v): the named volume keeps its data, the anonymous one goes.
    await unmountVolumes(store, plan.mounts, id);
    expect(await detachVolumes(store, plan.mounts, id, { removeAnonymous: true })).toEqual([anon]);
    expect(readFileSync(path.join(store.path(`${id}-data`), 'out'), 'utf8')).toBe('hello\n');
    expect(store.inspect(`${id}-data`).Name).toBe(`${id}-data`);
    await store.remove(`${id}-data`);
    await store.remove(`${id}-nc`);
    expect(existsSync(path.dirname(store.path(`${id}-data`)))).toBe(false);
    expect(store.list().Volumes).toEqual([]);
  });
});

describe.skipIf(gate.skip)('kernelMountHost', () => {
  it('answers isMounted for paths with spaces', async () => {
    const d = path.join(tempDir('mh'), 'with space');
    mkdirSync(d);
    await kernelMountHost.mount('tmpfs', d, 'tmpfs', 'size=1m');
    try {
      expect(kernelMountHost.isMounted(d)).toBe(true);
    } finally {
      await kernelMountHost.unmount(d);
    }
    expect(kernelMountHost.isMounted(d)).toBe(false);
    await runCleanups();
  });
});
