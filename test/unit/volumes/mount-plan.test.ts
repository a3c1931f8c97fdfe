import { describe, expect, it } from 'vitest';
import { planMounts, type InspectMount, type MountPlanEnv } from '../../../runtime/volumes/mount-plan.js';

function env(extra: Partial<MountPlanEnv> = {}): MountPlanEnv {
  let n = 0;
  return {
    volumePath: (name) => `/var/lib/tscompose/volumes/${name}/_data`,
    newVolumeName: () => `anon${++n}`.padEnd(64, '0'),
    hostPathExists: (p) => p.startsWith('/srv'),
    ...extra,
  };
}

const A1 = 'anon1'.padEnd(64, '0');
const A2 = 'anon2'.padEnd(64, '0');

describe('planMounts', () => {
  it('turns every kind of request into OCI mounts (golden)', () => {
    const plan = planMounts({
      hostConfig: {
        Binds: ['/srv/app:/app:ro', 'db:/var/lib/mysql', '/srv/sock:/run/sock:rshared', '/cache'],
        Mounts: [
          { Type: 'bind', Source: '/srv/conf', Target: '/etc/app', BindOptions: { NonRecursive: true } },
          { Type: 'volume', Source: 'logs', Target: '/var/log/app', ReadOnly: true, VolumeOptions: { NoCopy: true, Labels: { k: 'v' }, DriverConfig: { Options: { type: 'tmpfs', device: 'tmpfs', o: 'size=1m' } } } },
          { Type: 'tmpfs', Target: '/scratch', TmpfsOptions: { SizeBytes: 64 * 1024 * 1024, Mode: 0o1777 } },
        ],
        Tmpfs: { '/run': 'size=64m,mode=1777' },
        ShmSize: 128 * 1024 * 1024,
      },
      imageVolumes: { '/var/lib/mysql': {}, '/data': {} },
    }, env());
    expect(plan.oci).toEqual([
      { destination: '/app', type: 'bind', source: '/srv/app', options: ['rbind', 'ro', 'rprivate'] },
      { destination: '/cache', type: 'bind', source: `/var/lib/tscompose/volumes/${A1}/_data`, options: ['rbind'] },
      { destination: '/scratch', type: 'tmpfs', source: 'tmpfs', options: ['noexec', 'nosuid', 'nodev', 'rprivate', 'mode=1777', 'size=64m'] },
      { destination: '/run', type: 'tmpfs', source: 'tmpfs', options: ['noexec', 'nosuid', 'nodev', 'rprivate', 'size=64m', 'mode=1777'] },
      { destination: '/data', type: 'bind', source: `/var/lib/tscompose/volumes/${A2}/_data`, options: ['rbind'] },
      { destination: '/run/sock', type: 'bind', source: '/srv/sock', options: ['rbind', 'rshared'] },
      { destination: '/etc/app', type: 'bind', source: '/srv/conf', options: ['bind', 'rprivate'] },
      { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=134217728'] },
      { destination: '/var/lib/mysql', type: 'bind', source: '/var/lib/tscompose/volumes/db/_data', options: ['rbind'] },
      { destination: '/var/log/app', type: 'bind', source: '/var/lib/tscompose/volumes/logs/_data', options: ['rbind', 'ro'] },
    ]);
    expect(plan.rootfsPropagation).toBe('shared');
    expect(plan.volumes).toEqual([
      { name: 'db', anonymous: false, create: true },
      { name: A1, anonymous: true, create: true },
      { name: 'logs', anonymous: false, create: true, labels: { k: 'v' }, driverOpts: { type: 'tmpfs', device: 'tmpfs', o: 'size=1m' } },
      { name: A2, anonymous: true, create: true },
    ]);
    expect(plan.mounts.filter((m) => m.copyUp).map((m) => m.destination)).toEqual(['/cache', '/data', '/var/lib/mysql']);
    expect(plan.mounts.find((m) => m.destination === '/app')?.createHostPath).toBe(true);
    expect(plan.mounts.find((m) => m.destination === '/etc/app')?.createHostPath).toBe(false);
  });

  it('shows Docker\'s inspect Mounts (golden)', () => {
    const plan = planMounts({
      hostConfig: {
        Binds: ['/srv/app:/app:ro,Z', 'db:/db'],
        Mounts: [{ Type: 'volume', Source: 'v2', Target: '/v2' }, { Type: 'tmpfs', Target: '/t' }, { Type: 'bind', Source: '/srv/b', Target: '/b' }],
        Tmpfs: { '/run': '' },
      },
      imageVolumes: { '/data/': {} },
    }, env());
    expect(plan.inspect).toEqual([
      { Type: 'bind', Source: '/srv/app', Destination: '/app', Mode: 'ro,Z', RW: false, Propagation: 'rprivate' },
      { Type: 'bind', Source: '/srv/b', Destination: '/b', Mode: '', RW: true, Propagation: 'rprivate' },
      { Type: 'volume', Name: A1, Source: `/var/lib/tscompose/volumes/${A1}/_data`, Destination: '/data', Driver: 'local', Mode: '', RW: true, Propagation: '' },
      { Type: 'volume', Name: 'db', Source: '/var/lib/tscompose/volumes/db/_data', Destination: '/db', Driver: 'local', Mode: 'z', RW: true, Propagation: '' },
      { Type: 'tmpfs', Source: '', Destination: '/t', Mode: '', RW: true, Propagation: '' },
      { Type: 'volume', Name: 'v2', Source: '/var/lib/tscompose/volumes/v2/_data', Destination: '/v2', Driver: 'local', Mode: 'z', RW: true, Propagation: '' },
    ]);
  });

  it('inherits VolumesFrom, read-only on request, overridden by Binds', () => {
    const other: InspectMount[] = [
      { Type: 'volume', Name: 'shared', Source: '/x/shared/_data', Destination: '/shared', Driver: 'local', Mode: 'z', RW: true, Propagation: '' },
      { Type: 'bind', Source: '/srv/code', Destination: '/code', Mode: '', RW: true, Propagation: 'rprivate' },
      { Type: 'volume', Name: 'over', Source: '/x/over/_data', Destination: '/over', Driver: 'local', Mode: 'z', RW: true, Propagation: '' },
      { Type: 'tmpfs', Source: '', Destination: '/tmp', Mode: '', RW: true, Propagation: '' },
    ];
    const seen: string[] = [];
    const plan = planMounts({ hostConfig: { VolumesFrom: ['data:ro'], Binds: ['/srv/mine:/over'] } }, env({
      containerMounts: (ref) => { seen.push(ref); return { id: 'c1', mounts: other }; },
    }));
    expect(seen).toEqual(['data']);
    expect(plan.oci.filter((m) => m.destination !== '/dev/shm')).toEqual([
      { destination: '/shared', type: 'bind', source: '/var/lib/tscompose/volumes/shared/_data', options: ['rbind', 'ro'] },
      { destination: '/code', type: 'bind', source: '/srv/code', options: ['rbind', 'ro', 'rprivate'] },
      { destination: '/over', type: 'bind', source: '/srv/mine', options: ['rbind', 'rprivate'] },
    ]);
    expect(plan.volumes).toEqual([{ name: 'shared', anonymous: false, create: false }]);
    expect(plan.inspect.find((m) => m.Destination === '/shared')).toMatchObject({ RW: false, Mode: 'z' });
    expect(plan.mounts.every((m) => !m.copyUp)).toBe(true);
  });

  it('lets an explicit mount win over an image VOLUME and a user /dev/shm replace ShmSize', () => {
    const plan = planMounts({ hostConfig: { Binds: ['mine:/data'], Mounts: [{ Type: 'tmpfs', Target: '/dev/shm', TmpfsOptions: { SizeBytes: 1024 } }] }, imageVolumes: { '/data': {} } }, env());
    expect(plan.volumes.map((v) => v.name)).toEqual(['mine']);
    expect(plan.oci.filter((m) => m.destination === '/dev/shm')).toEqual([
      { destination: '/dev/shm', type: 'tmpfs', source: 'tmpfs', options: ['noexec', 'nosuid', 'nodev', 'rprivate', 'size=1k'] },
    ]);
  });

  it.each([
    [{ Binds: ['/srv/a:/data', 'v1:/data/'] }, 'Duplicate mount point: /data'],
    [{ Binds: ['/srv/a:/data'], Tmpfs: { '/data': '' } }, 'Duplicate mount point: /data'],
    [{ Binds: ['/srv/a:/data'], Mounts: [{ Type: 'volume', Source: 'v1', Target: '/data' }] }, 'Duplicate mount point: /data'],
    [{ Mounts: [{ Type: 'volume', Source: 'v1', Target: '/data' }, { Type: 'tmpfs', Target: '/data' }] }, 'Duplicate mount point: /data'],
    [{ Mounts: [{ Type: 'bind', Source: '/x', Target: '/data' }] }, 'invalid mount config for type "bind": bind source path does not exist: /x'],
    [{ Binds: ['x y:/data'] }, 'create x y: "x y" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path'],
    [{ Binds: ['./rel:/data'] }, 'create ./rel: "./rel" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path'],
    [{ Tmpfs: { run: '' } }, "invalid mount path: 'run' mount path must be absolute"],
    [{ Tmpfs: { '/run': 'bogus=1' } }, 'invalid tmpfs option ["bogus=1"]'],
  ])('rejects %j', (hostConfig, message) => {
    expect(() => planMounts({ hostConfig: hostConfig as never }, env())).toThrow(message);
  });

  it('needs a way to look up containers for VolumesFrom', () => {
    expect(() => planMounts({ hostConfig: { VolumesFrom: ['x'] } }, env())).toThrow(/volumes_from x/);
  });
});
