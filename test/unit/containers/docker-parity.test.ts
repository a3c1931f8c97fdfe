// What the dockerd reference suites (test/integration/reference/) found our
// engine doing differently from Docker 20.10, pinned here as the config.json
// dockerd hands to runc: the network sysctls of a private namespace, the
// primary group among the supplementary ones, and read-only /etc files under
// a read-only root.
import { describe, expect, it } from 'vitest';
import { buildOciSpec, type SpecInput } from '../../../runtime/containers/oci-spec.js';
import { parseGroup, parsePasswd, resolveUser } from '../../../runtime/containers/user.js';
import type { HostConfig } from '../../../runtime/client/types.js';

function spec(hostConfig: HostConfig, over: Partial<SpecInput> = {}) {
  return buildOciSpec({
    containerId: 'c0ffee'.padEnd(64, '0'),
    config: { Image: 'busybox', Cmd: ['sh'] },
    hostConfig,
    rootfsPath: '/state/c/rootfs',
    containerDir: '/state/c',
    user: { uid: 0, gid: 0 },
    cgroupsPath: '/tscompose/c',
    arch: 'amd64',
    kernelRelease: '6.1.0',
    ...over,
  });
}

const DOCKER_SYSCTLS = { 'net.ipv4.ip_unprivileged_port_start': '0', 'net.ipv4.ping_group_range': '0 2147483647' };

describe('network sysctls, as dockerd 20.10 sets them', () => {
  it('lets any user bind low ports and ping in a namespace of its own (bridge, user network, none)', () => {
    for (const mode of [undefined, 'default', 'bridge', 'proj_default', 'none']) {
      expect(spec({ NetworkMode: mode }).linux.sysctl).toEqual(DOCKER_SYSCTLS);
    }
  });

  it('leaves the host and a joined namespace alone', () => {
    expect(spec({ NetworkMode: 'host' }).linux.sysctl).toBeUndefined();
    expect(spec({ NetworkMode: 'container:abc' }).linux.sysctl).toBeUndefined();
    expect(spec({ NetworkMode: 'host', Sysctls: { 'kernel.msgmax': '1' } }).linux.sysctl).toEqual({ 'kernel.msgmax': '1' });
  });

  it('gives way to the request and to old kernels', () => {
    expect(spec({ Sysctls: { 'net.ipv4.ip_unprivileged_port_start': '1024' } }).linux.sysctl).toEqual({ ...DOCKER_SYSCTLS, 'net.ipv4.ip_unprivileged_port_start': '1024' });
    expect(spec({}, { kernelRelease: '4.9.0' }).linux.sysctl).toEqual({ 'net.ipv4.ping_group_range': '0 2147483647' });
  });
});

describe('user and groups, as dockerd 20.10 sets them', () => {
  const passwd = parsePasswd('root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\n');
  const groups = parseGroup('root:x:0:\napp:x:1000:\nwheel:x:10:app\n');

  it('lists the primary group first among the supplementary ones', () => {
    expect(resolveUser('', passwd, groups)).toEqual({ uid: 0, gid: 0, additionalGids: [0] });
    expect(resolveUser('1000', passwd, groups)).toEqual({ uid: 1000, gid: 1000, additionalGids: [1000, 10] });
    expect(resolveUser('app', passwd, groups)).toEqual({ uid: 1000, gid: 1000, additionalGids: [1000, 10] });
    expect(resolveUser('1000:10', passwd, groups)).toEqual({ uid: 1000, gid: 10, additionalGids: [10] });
  });
});

describe('/etc files under a read-only root', () => {
  it('are read-only too', () => {
    const etc = (s: ReturnType<typeof spec>) => s.mounts.filter((m) => m.destination.startsWith('/etc/')).map((m) => `${m.destination} ${m.options?.join(',')}`);
    expect(etc(spec({ ReadonlyRootfs: true }))).toEqual(['/etc/resolv.conf rbind,ro,rprivate', '/etc/hostname rbind,ro,rprivate', '/etc/hosts rbind,ro,rprivate']);
    expect(etc(spec({}))).toEqual(['/etc/resolv.conf rbind,rprivate', '/etc/hostname rbind,rprivate', '/etc/hosts rbind,rprivate']);
  });
});
