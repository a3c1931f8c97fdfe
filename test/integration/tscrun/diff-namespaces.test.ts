// Namespaces (new, joined by path, user with mappings, cgroup), hostname and
// domainname, sysctl. Each case runs under runc and tscrun; see diff-suite.ts.
import { execFileSync } from 'node:child_process';
import { expect } from 'vitest';
import { setNamespace } from '../../helpers/bundle.js';
import { onCleanup } from '../../helpers/cleanup.js';
import { type DiffCase, nsIdOf, type Observation } from '../../helpers/differential.js';
import { diffSuite } from '../../helpers/diff-suite.js';
import { uniqueName } from '../../helpers/names.js';

/** Cases tscrun does not pass yet, with the reason (shrink as it grows). */
const TSCRUN_KNOWN_GAPS: Record<string, string> = {
  'user and cgroup namespaces with all default mounts':
    'in a cgroup namespace runc mounts the v1 name=systemd hierarchy with source "systemd", tscrun with "cgroup" (cosmetic: the rest of the report matches)',
};

const cases: DiffCase[] = [
  {
    name: 'pid, mount, uts, ipc and net namespaces are new',
    args: ['ns', 'pid', 'cgroup'],
    check: (o) => {
      const ns = o.report.ns;
      for (const t of ['pid', 'mnt', 'uts', 'ipc', 'net']) expect(ns[t], t).toBe('new');
      for (const t of ['user', 'cgroup']) expect(ns[t], t).toBe('host');
    },
  },
  {
    name: 'cgroup namespace',
    args: ['ns', 'cgroup'],
    mutate: (s) => setNamespace(s, 'cgroup'),
    check: (o) => {
      expect(o.report.ns.cgroup).toBe('new');
      expect(o.report.cgroup).toMatch(/^\d+:pids:\/$/m);
    },
  },
  {
    name: 'network namespace joined by path',
    args: ['ns', 'read', '/proc/net/dev'],
    setup: () => {
      const name = uniqueName();
      execFileSync('ip', ['netns', 'add', name]);
      onCleanup(`ip netns del ${name}`, () => execFileSync('ip', ['netns', 'del', name]));
      return { netns: `/run/netns/${name}`, 'nsid:net': nsIdOf(`/run/netns/${name}`, 'net') };
    },
    mutate: (s, ctx) => setNamespace(s, 'network', ctx.netns),
    check: (o) => expect(o.report.ns.net).toBe('joined net'),
  },
  {
    name: 'user namespace with uid and gid mappings',
    args: ['ns', 'ids', 'caps', 'read', '/proc/self/uid_map', 'read', '/proc/self/gid_map', 'stat', '/bin/busybox'],
    mutate: (s) => {
      setNamespace(s, 'user');
      s.linux.uidMappings = [{ containerID: 0, hostID: 200000, size: 65536 }];
      s.linux.gidMappings = [{ containerID: 0, hostID: 200000, size: 65536 }];
      // sysfs and cgroupfs need the netns/cgroupns owned by the new user ns;
      // keep the case about the mapping itself.
      s.mounts = s.mounts.filter((m) => m.destination !== '/sys' && m.destination !== '/sys/fs/cgroup');
    },
    check: (o) => {
      expect(o.report.ns.user).toBe('new');
      expect(o.report['read:/proc/self/uid_map']).toMatch(/^\s*0\s+200000\s+65536$/);
      expect(o.report['stat:/bin/busybox'].uid).toBe(65534);
    },
  },
  {
    name: 'user and cgroup namespaces with all default mounts',
    args: ['all'],
    mutate: (s) => {
      setNamespace(s, 'user');
      setNamespace(s, 'cgroup');
      s.linux.uidMappings = [{ containerID: 0, hostID: 300000, size: 65536 }];
      s.linux.gidMappings = [{ containerID: 0, hostID: 300000, size: 65536 }];
    },
    check: (o) => {
      expect(o.exit).toBe(0);
      expect(o.report.ns.user).toBe('new');
      expect(o.report.mounts.some((m: { target: string }) => m.target === '/sys/fs/cgroup')).toBe(true);
    },
  },
  {
    // Order matters: a netns owned by the host's user namespace can only be
    // joined before the new user namespace is entered.
    name: 'new user namespace with a joined network namespace',
    args: ['ns', 'ids', 'read', '/proc/self/uid_map'],
    setup: () => {
      const name = uniqueName();
      execFileSync('ip', ['netns', 'add', name]);
      onCleanup(`ip netns del ${name}`, () => execFileSync('ip', ['netns', 'del', name]));
      return { netns: `/run/netns/${name}`, 'nsid:net': nsIdOf(`/run/netns/${name}`, 'net') };
    },
    mutate: (s, ctx) => {
      setNamespace(s, 'network', ctx.netns);
      setNamespace(s, 'user');
      s.linux.uidMappings = [{ containerID: 0, hostID: 400000, size: 65536 }];
      s.linux.gidMappings = [{ containerID: 0, hostID: 400000, size: 65536 }];
      // sysfs needs a netns owned by the container's user namespace.
      s.mounts = s.mounts.filter((m) => m.destination !== '/sys' && m.destination !== '/sys/fs/cgroup');
    },
    check: (o) => {
      expect(o.exit).toBe(0);
      expect(o.report.ns.net).toBe('joined net');
      expect(o.report.ns.user).toBe('new');
    },
  },
  {
    name: 'hostname and domainname',
    args: ['hostname', 'read', '/proc/sys/kernel/hostname'],
    mutate: (s) => {
      s.hostname = 'tsct-host';
      s.domainname = 'tsct.example';
    },
    check: (o) => {
      expect(o.report.hostname).toBe('tsct-host');
      // runc 1.1 ignores `domainname` (it arrived in runc 1.2); see ARGUED below.
      expect(o.report.domainname).toBe('(none)');
    },
  },
  {
    name: 'sysctl in the net and ipc namespaces',
    args: ['read', '/proc/sys/net/ipv4/ip_forward', 'read', '/proc/sys/kernel/shmmni', 'read', '/proc/sys/net/core/somaxconn'],
    mutate: (s) => {
      s.linux.sysctl = { 'net.ipv4.ip_forward': '1', 'kernel.shmmni': '1234', 'net.core.somaxconn': '999' };
    },
    check: (o) => {
      expect(o.report['read:/proc/sys/net/ipv4/ip_forward']).toBe('1');
      expect(o.report['read:/proc/sys/kernel/shmmni']).toBe('1234');
    },
  },
];

/**
 * Where tscrun must differ from Debian's runc 1.1.5, and why.
 * - domainname: the runtime spec (1.0.2+) says the runtime sets it in the uts
 *   namespace; runc 1.1 ignores the field and leaves "(none)". tscrun follows
 *   the spec (and runc 1.2): it must report the configured name.
 */
const ARGUED = {
  'hostname and domainname': {
    why: 'runc 1.1 ignores linux domainname; tscrun follows the runtime spec',
    adjust: (runc: Observation, tscrun: Observation) => {
      expect(tscrun.report.domainname).toBe('tsct.example');
      runc.lines[0] = { ...runc.lines[0], domainname: 'tsct.example' };
    },
  },
};

diffSuite('tscrun vs runc: namespaces', cases, TSCRUN_KNOWN_GAPS, { argued: ARGUED });
