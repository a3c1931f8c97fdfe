// Cgroup placement and limits as seen from inside the container. This host is
// a v1/v2 hybrid with every controller on v1 (cgroup2 at /sys/fs/cgroup/unified
// holds none), so the limits here are v1's; the probe reads the v2 files as
// well and the same cases hold on a v2 host. Each case runs under runc and
// tscrun; see diff-suite.ts.
import { expect } from 'vitest';
import type { DiffCase } from '../../helpers/differential.js';
import { diffSuite } from '../../helpers/diff-suite.js';

/** Cases tscrun does not pass yet, with the reason (shrink as it grows). */
const TSCRUN_KNOWN_GAPS: Record<string, string> = {};

const MiB = 1024 * 1024;

const cases: DiffCase[] = [
  {
    name: 'placed in its cgroupsPath in every hierarchy',
    args: ['cgroup'],
    check: (o) => {
      for (const c of ['memory', 'pids', 'cpu', 'cpuset', 'devices', 'freezer', 'blkio']) {
        expect(o.report.cgroup).toMatch(new RegExp(`^\\d+:[a-z,]*${c}[a-z,]*:/<id>$`, 'm'));
      }
    },
  },
  {
    name: 'memory limit, reservation and swap',
    args: ['cgroup'],
    mutate: (s) => {
      s.linux.resources!.memory = { limit: 64 * MiB, reservation: 32 * MiB, swap: 96 * MiB, swappiness: 10 };
    },
    check: (o) => {
      const l = o.report.cgroup_limits;
      expect(l['memory/memory.limit_in_bytes']).toBe(String(64 * MiB));
      expect(l['memory/memory.memsw.limit_in_bytes']).toBe(String(96 * MiB));
      expect(l['memory/memory.soft_limit_in_bytes']).toBe(String(32 * MiB));
    },
  },
  {
    name: 'cpu shares, quota and period',
    args: ['cgroup'],
    mutate: (s) => {
      s.linux.resources!.cpu = { shares: 512, quota: 50000, period: 100000 };
    },
    check: (o) => {
      const l = o.report.cgroup_limits;
      expect(l['cpu/cpu.shares']).toBe('512');
      expect(l['cpu/cpu.cfs_quota_us']).toBe('50000');
    },
  },
  {
    name: 'cpuset cpus and mems',
    args: ['cgroup'],
    mutate: (s) => {
      s.linux.resources!.cpu = { cpus: '0', mems: '0' };
    },
    check: (o) => expect(o.report.cgroup_limits['cpuset/cpuset.cpus']).toBe('0'),
  },
  {
    name: 'pids limit',
    args: ['cgroup', 'forkbomb', '50'],
    mutate: (s) => {
      s.linux.resources!.pids = { limit: 10 };
    },
    check: (o) => {
      expect(o.report.cgroup_limits['pids/pids.max']).toBe('10');
      expect(o.lines[1]).toEqual({ forkbomb: { forked: 9, errno: 'EAGAIN' } });
    },
  },
];

diffSuite('tscrun vs runc: cgroups', cases, TSCRUN_KNOWN_GAPS);
