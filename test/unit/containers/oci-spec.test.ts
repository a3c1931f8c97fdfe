// The OCI config.json builder: golden configs for the main shapes, exact
// errors for bad requests.

import { describe, expect, it } from 'vitest';
import { buildOciSpec, effectiveCapabilities, parseBind, parseSecurityOpt, type SpecInput } from '../../../runtime/containers/oci-spec.js';
import { DEFAULT_CAPABILITIES } from '../../../runtime/containers/defaults.js';
import type { OciSpec } from '../../../runtime/containers/oci-types.js';

const ID = 'c0ffee'.padEnd(64, '0');

function input(over: Partial<SpecInput> = {}): SpecInput {
  return {
    containerId: ID,
    config: { Image: 'busybox', Cmd: ['sh'], Env: ['PATH=/usr/bin:/bin'] },
    hostConfig: {},
    rootfsPath: '/state/containers/c0ffee/rootfs',
    containerDir: '/state/containers/c0ffee',
    user: { uid: 0, gid: 0 },
    cgroupsPath: '/tscompose/c0ffee',
    arch: 'amd64',
    kernelRelease: '6.1.0',
    ...over,
  };
}

/** The golden files keep the seccomp policy as a summary: its rules are tested on their own. */
function golden(spec: OciSpec): unknown {
  const s = structuredClone(spec);
  if (s.linux.seccomp) {
    const names = s.linux.seccomp.syscalls?.flatMap((x) => x.names) ?? [];
    (s.linux as Record<string, unknown>).seccomp = { defaultAction: s.linux.seccomp.defaultAction, defaultErrnoRet: s.linux.seccomp.defaultErrnoRet, architectures: s.linux.seccomp.architectures, rules: s.linux.seccomp.syscalls?.length, names: names.length };
  }
  return s;
}

describe('buildOciSpec', () => {
  it('default container (golden)', async () => {
    await expect(JSON.stringify(golden(buildOciSpec(input())), null, 2) + '\n').toMatchFileSnapshot('golden/default.json');
  });

  it('everything a create request can ask for (golden)', async () => {
    const spec = buildOciSpec(input({
      config: {
        Image: 'app', Entrypoint: ['/entry.sh'], Cmd: ['serve', '--port', '80'], Env: ['A=1'], WorkingDir: '/srv', Hostname: 'web', Domainname: 'example.org', Tty: true,
      },
      hostConfig: {
        Binds: ['/host/data:/data:ro', 'cache:/cache', '/host/logs:/var/log/app:rw,rshared'],
        Mounts: [{ Type: 'tmpfs', Target: '/scratch', TmpfsOptions: { SizeBytes: 1048576, Mode: 0o700 } }, { Type: 'bind', Source: '/host/conf', Target: '/etc/app', ReadOnly: true }],
        Tmpfs: { '/run': 'rw,exec,size=65536k' },
        CapAdd: ['NET_ADMIN', 'cap_sys_time'], CapDrop: ['MKNOD', 'CAP_NET_RAW'],
        ReadonlyRootfs: true, Memory: 256 * 1024 * 1024, MemorySwap: 512 * 1024 * 1024, NanoCpus: 1_500_000_000, CpuShares: 512, PidsLimit: 100,
        Ulimits: [{ Name: 'nofile', Soft: 1024, Hard: 2048 }], Sysctls: { 'net.core.somaxconn': '1024' }, Init: true, ShmSize: 128 * 1024 * 1024,
        SecurityOpt: ['no-new-privileges:true'], NetworkMode: 'host', OomScoreAdj: 100,
      },
      user: { uid: 1000, gid: 1000, additionalGids: [10] },
      initBinary: '/opt/tscompose/tsc-init',
      volumePath: (name) => `/state/volumes/${name}/_data`,
    }));
    await expect(JSON.stringify(golden(spec), null, 2) + '\n').toMatchFileSnapshot('golden/full.json');
  });

  it('privileged (golden): all caps, no seccomp, no masks, all devices, writable /sys', async () => {
    const spec = buildOciSpec(input({
      hostConfig: { Privileged: true },
      hostDevices: [{ path: '/dev/fuse', type: 'c', major: 10, minor: 229, fileMode: 0o666, uid: 0, gid: 0 }],
    }));
    await expect(JSON.stringify(golden(spec), null, 2) + '\n').toMatchFileSnapshot('golden/privileged.json');
    expect(spec.linux.seccomp).toBeUndefined();
    expect(spec.linux.maskedPaths).toBeUndefined();
    expect(spec.process.capabilities!.bounding).toContain('CAP_SYS_ADMIN');
  });

  it('has Docker\'s defaults', () => {
    const spec = buildOciSpec(input());
    expect(spec.process.capabilities!.bounding).toEqual([...DEFAULT_CAPABILITIES]);
    expect(spec.process.capabilities!.bounding).toHaveLength(14);
    expect(spec.linux.maskedPaths).toContain('/proc/interrupts');
    expect(spec.linux.readonlyPaths).toEqual(['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger']);
    expect(spec.mounts.map((m) => m.destination)).toEqual(['/proc', '/dev', '/dev/pts', '/sys', '/sys/fs/cgroup', '/dev/mqueue', '/dev/shm', '/etc/resolv.conf', '/etc/hostname', '/etc/hosts']);
    expect(spec.mounts.find((m) => m.destination === '/dev/shm')!.options).toContain('size=67108864');
    expect(spec.hostname).toBe(ID.slice(0, 12));
    expect(spec.process.env).toEqual(['PATH=/usr/bin:/bin', `HOSTNAME=${ID.slice(0, 12)}`]);
    expect(spec.process.noNewPrivileges).toBe(false);
    expect(spec.linux.namespaces.map((n) => n.type)).toEqual(['mount', 'pid', 'ipc', 'uts', 'network']);
    expect(spec.linux.seccomp!.defaultAction).toBe('SCMP_ACT_ERRNO');
  });

  it('adds PATH when neither image nor user set one', () => {
    const spec = buildOciSpec(input({ config: { Image: 'x', Cmd: ['true'], Env: [] } }));
    expect(spec.process.env[0]).toBe('PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin');
  });

  it('lets a user mount replace a default one and sorts parents first', () => {
    const spec = buildOciSpec(input({ hostConfig: { Binds: ['/a:/data/sub', '/b:/data', '/shm:/dev/shm'] } }));
    const dests = spec.mounts.map((m) => m.destination);
    expect(dests.filter((d) => d === '/dev/shm')).toHaveLength(1);
    expect(dests.indexOf('/data')).toBeLessThan(dests.indexOf('/data/sub'));
    expect(spec.mounts.find((m) => m.destination === '/dev/shm')!.source).toBe('/shm');
  });

  it('maps resources like Docker', () => {
    const r = (hc: SpecInput['hostConfig']) => buildOciSpec(input({ hostConfig: hc })).linux.resources!;
    expect(r({ Memory: 64 << 20 }).memory).toEqual({ limit: 64 << 20, swap: 128 << 20 });
    expect(r({ Memory: 64 << 20, MemorySwap: -1 }).memory).toEqual({ limit: 64 << 20, swap: -1 });
    expect(r({ NanoCpus: 500_000_000 }).cpu).toEqual({ period: 100000, quota: 50000 });
    expect(r({ PidsLimit: 0 }).pids).toBeUndefined();
    expect(r({ PidsLimit: -1 }).pids).toBeUndefined();
    expect(r({ PidsLimit: 20 }).pids).toEqual({ limit: 20 });
  });

  const bad: Array<[string, Partial<SpecInput>, string]> = [
    ['memory below 6MB', { hostConfig: { Memory: 1024 } }, 'Minimum memory limit allowed is 6MB'],
    ['swap below memory', { hostConfig: { Memory: 64 << 20, MemorySwap: 32 << 20 } }, 'Minimum memoryswap limit should be larger than memory limit, see usage'],
    ['swap without memory', { hostConfig: { MemorySwap: 64 << 20 } }, 'You should always set the Memory limit when using Memoryswap limit, see usage'],
    ['NanoCpus with CpuPeriod', { hostConfig: { NanoCpus: 1e9, CpuPeriod: 50000 } }, 'Conflicting options: Nano CPUs and CPU Period cannot both be set'],
    ['unknown capability', { hostConfig: { CapAdd: ['FLY'] } }, 'unknown capability: "CAP_FLY"'],
    ['relative bind target', { hostConfig: { Binds: ['/a:rel'] } }, `invalid volume specification: '/a:rel': invalid mount config for type "bind": invalid mount path: 'rel' mount path must be absolute`],
    ['bind without target', { hostConfig: { Binds: ['/only'] } }, `invalid volume specification: '/only'`],
    ['bad bind mode', { hostConfig: { Binds: ['/a:/b:rx'] } }, `invalid volume specification: '/a:/b:rx': invalid mode: rx`],
    ['bad volume name', { hostConfig: { Binds: ['a b:/x'] } }, `invalid volume specification: 'a b:/x': "a b" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`],
    ['named volume without volume support', { hostConfig: { Binds: ['data:/x'] } }, 'named volume "data" cannot be mounted: volumes are not available on this engine yet'],
    ['duplicate mount point', { hostConfig: { Binds: ['/a:/x', '/b:/x'] } }, 'Duplicate mount point: /x'],
    ['mount without target', { hostConfig: { Mounts: [{ Type: 'bind', Source: '/a', Target: '' }] } }, 'invalid mount config for type "bind": field Target must not be empty'],
    ['tmpfs mount with source', { hostConfig: { Mounts: [{ Type: 'tmpfs', Source: '/a', Target: '/t' }] } }, 'invalid mount config for type "tmpfs": field Source must not be specified'],
    ['unknown mount type', { hostConfig: { Mounts: [{ Type: 'npipe', Target: '/p' }] } }, 'invalid mount config: mount type "npipe" is not supported'],
    ['relative tmpfs', { hostConfig: { Tmpfs: { run: '' } } }, `invalid tmpfs mount: 'run' mount path must be absolute`],
    ['ulimit soft above hard', { hostConfig: { Ulimits: [{ Name: 'nofile', Soft: 10, Hard: 5 }] } }, 'ulimit soft limit must be less than or equal to hard limit: 10 > 5'],
    ['bad security opt', { hostConfig: { SecurityOpt: ['bogus=1'] } }, 'invalid --security-opt 1: "bogus=1"'],
    ['init without a binary', { hostConfig: { Init: true } }, 'init requested but no init binary is available on this engine (build native/: make -C native)'],
    ['no command', { config: { Image: 'x', Cmd: [] } }, 'No command specified'],
    ['seccomp profile that is not JSON', { hostConfig: { SecurityOpt: ['seccomp=/etc/x.json'] } }, "Decoding seccomp profile failed: the seccomp option must hold the profile's JSON content"],
  ];
  it.each(bad)('refuses %s', (_what, over, message) => {
    expect(() => buildOciSpec(input(over))).toThrow(message);
    try { buildOciSpec(input(over)); } catch (e) { expect((e as { statusCode: number }).statusCode).toBe(400); }
  });
});

describe('capabilities', () => {
  it('adds, drops and handles ALL like Docker', () => {
    expect(effectiveCapabilities({ CapDrop: ['ALL'], CapAdd: ['NET_BIND_SERVICE'] })).toEqual(['CAP_NET_BIND_SERVICE']);
    expect(effectiveCapabilities({ CapAdd: ['ALL'], CapDrop: ['SYS_ADMIN'] })).not.toContain('CAP_SYS_ADMIN');
    expect(effectiveCapabilities({ CapAdd: ['ALL'] })).toHaveLength(41);
    expect(effectiveCapabilities({ CapDrop: ['chown'] })).not.toContain('CAP_CHOWN');
  });
});

describe('parseBind and parseSecurityOpt', () => {
  it('parses binds', () => {
    expect(parseBind('/a:/b')).toEqual({ source: '/a', destination: '/b', readOnly: false, propagation: undefined, isVolume: false });
    expect(parseBind('vol:/b/:ro,z')).toEqual({ source: 'vol', destination: '/b/', readOnly: true, propagation: undefined, isVolume: true });
    expect(parseBind('/a:/b:rslave').propagation).toBe('rslave');
  });
  it('parses security options', () => {
    expect(parseSecurityOpt(['no-new-privileges'])).toMatchObject({ noNewPrivileges: true });
    expect(parseSecurityOpt(['no-new-privileges=false'])).toMatchObject({ noNewPrivileges: false });
    expect(parseSecurityOpt(['seccomp=unconfined', 'apparmor=unconfined', 'label=disable'])).toMatchObject({ seccomp: 'unconfined' });
    expect(parseSecurityOpt(['systempaths=unconfined'])).toMatchObject({ unmaskSystemPaths: true });
  });
});
