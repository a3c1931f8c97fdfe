// The stats collector on fixture trees of a cgroup v1 (hybrid) host and a
// cgroup v2 host: the numbers land where dockerd puts them.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  cgroupDirsOf, parseBlkioV1, parseCgroupMounts, parseIoStatV2, parseNetDev, parseProcCgroup, parseSingle, parseSystemCpuUsage,
} from '../../../runtime/containers/stats-cgroup.js';
import { countCpuList, sampleStats, statsStream, withPrevious, zeroStats, type StatsEnv } from '../../../runtime/containers/stats.js';

const FIXTURES = join(import.meta.dirname, '../../fixtures/cgroup-stats');
const ID = `c0ffee${'0'.repeat(58)}`;

function env(layout: 'v1' | 'v2', now = new Date('2026-01-02T03:04:05.678Z')): StatsEnv {
  return {
    fs: { read: (p) => { try { return readFileSync(join(FIXTURES, layout, p), 'utf8'); } catch { return undefined; } } },
    now: () => now, machineMemory: 2 * 1024 ** 3, onlineCpus: 2,
  };
}

const target = { id: ID, name: '/web', running: true, pid: 4242, hostNetwork: false };

describe('cgroup locations', () => {
  it('finds v1 controllers (cpu and cpuacct mounted apart) on a hybrid host', () => {
    const mounts = parseCgroupMounts(readFileSync(join(FIXTURES, 'v1/proc/self/mountinfo'), 'utf8'));
    expect(mounts.v1.get('memory')).toEqual({ mountPoint: '/sys/fs/cgroup/memory', root: '/' });
    expect(mounts.v1.has('name=systemd')).toBe(false);
    expect(mounts.v2).toEqual({ mountPoint: '/sys/fs/cgroup/unified', root: '/' });
    const dirs = cgroupDirsOf(readFileSync(join(FIXTURES, 'v1/proc/4242/cgroup'), 'utf8'), mounts);
    expect(dirs).toEqual({
      version: 1,
      dirs: {
        memory: `/sys/fs/cgroup/memory/tscompose/${ID}`, cpu: `/sys/fs/cgroup/cpu/tscompose/${ID}`, cpuacct: `/sys/fs/cgroup/cpuacct/tscompose/${ID}`,
        pids: `/sys/fs/cgroup/pids/tscompose/${ID}`, blkio: `/sys/fs/cgroup/blkio/tscompose/${ID}`,
      },
    });
  });

  it('uses the unified hierarchy on a v2 host, and co-mounted v1 controllers', () => {
    const v2 = parseCgroupMounts(readFileSync(join(FIXTURES, 'v2/proc/self/mountinfo'), 'utf8'));
    expect(cgroupDirsOf(`0::/tscompose/${ID}\n`, v2)).toEqual({ version: 2, dir: `/sys/fs/cgroup/tscompose/${ID}` });
    const co = parseCgroupMounts('32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n35 31 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n');
    expect(cgroupDirsOf('3:cpu,cpuacct:/a\n2:memory:/a\n', co)).toMatchObject({ version: 1, dirs: { cpu: '/sys/fs/cgroup/cpu,cpuacct/a', cpuacct: '/sys/fs/cgroup/cpu,cpuacct/a', memory: '/sys/fs/cgroup/memory/a' } });
  });

  it('maps paths of a sub-tree mount (cgroup namespace) and parses /proc/<pid>/cgroup', () => {
    const m = parseCgroupMounts('41 31 0:38 /ns /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n');
    expect(cgroupDirsOf('0::/ns/x\n', m)).toEqual({ version: 2, dir: '/sys/fs/cgroup/x' });
    expect(parseProcCgroup('12:cpu,cpuacct:/a\n1:name=systemd:/b\n0::/c\n')).toEqual({ v1: new Map([['cpu', '/a'], ['cpuacct', '/a']]), v2: '/c' });
    expect(cgroupDirsOf('0::/x\n', { v1: new Map() })).toBeUndefined();
  });
});

describe('parsers', () => {
  it('reads single values, "max" as no limit', () => {
    expect(parseSingle('42\n')).toBe(42);
    expect(parseSingle('max\n')).toBeUndefined();
    expect(parseSingle(undefined)).toBeUndefined();
  });

  it('reads v1 blkio lines without the Total line, and v2 io.stat as read/write', () => {
    expect(parseBlkioV1('8:0 Read 10\n8:0 Total 10\nTotal 10\n')).toEqual([{ major: 8, minor: 0, op: 'Read', value: 10 }, { major: 8, minor: 0, op: 'Total', value: 10 }]);
    expect(parseBlkioV1('8:16 24\n')).toEqual([{ major: 8, minor: 16, op: '', value: 24 }]);
    expect(parseIoStatV2('8:0 rbytes=1 wbytes=2 rios=3 wios=4\n').bytes).toEqual([{ major: 8, minor: 0, op: 'read', value: 1 }, { major: 8, minor: 0, op: 'write', value: 2 }]);
  });

  it('reads /proc/net/dev without lo, and the host CPU time from /proc/stat', () => {
    expect(parseNetDev(readFileSync(join(FIXTURES, 'v1/proc/4242/net/dev'), 'utf8'))).toEqual({
      eth0: { rx_bytes: 1296, rx_packets: 16, rx_errors: 1, rx_dropped: 2, tx_bytes: 726, tx_packets: 9, tx_errors: 3, tx_dropped: 4 },
    });
    // user nice system idle iowait irq softirq = 100+5+50+1000+10+0+3 ticks of 10 ms.
    expect(parseSystemCpuUsage('cpu  100 5 50 1000 10 0 3 2 0 0\n')).toBe(1168 * 1e7);
    expect(countCpuList('0-1,3\n')).toBe(3);
  });
});

describe('samples', () => {
  it('gives dockerd\'s shape on cgroup v1', () => {
    const s = sampleStats(target, env('v1'));
    expect(s).toMatchObject({
      read: '2026-01-02T03:04:05.678Z', preread: '0001-01-01T00:00:00Z', name: '/web', id: ID, num_procs: 0,
      pids_stats: { current: 3 },
      cpu_stats: {
        cpu_usage: { total_usage: 2_500_000_000, percpu_usage: [1_500_000_000, 1_000_000_000], usage_in_usermode: 1_800_000_000, usage_in_kernelmode: 600_000_000 },
        system_cpu_usage: 1168 * 1e7, online_cpus: 2, throttling_data: { periods: 10, throttled_periods: 3, throttled_time: 4_500_000 },
      },
      precpu_stats: { cpu_usage: { total_usage: 0 } },
      // v1's "unlimited" becomes the host's memory, as dockerd shows it.
      memory_stats: { usage: 8_388_608, max_usage: 9_437_184, failcnt: 0, limit: 2 * 1024 ** 3, stats: { total_inactive_file: 4096, rss: 7_000_000 } },
      networks: { eth0: { rx_bytes: 1296, tx_bytes: 726 } },
    });
    expect(s.pids_stats.limit).toBeUndefined();
    // CFQ's own file only has "Total": the throttle layer's counters are used.
    expect(s.blkio_stats.io_service_bytes_recursive).toContainEqual({ major: 8, minor: 0, op: 'Read', value: 4096 });
    expect(s.blkio_stats.io_serviced_recursive).toContainEqual({ major: 8, minor: 0, op: 'Write', value: 2 });
    expect(s.blkio_stats.sectors_recursive).toEqual([{ major: 8, minor: 0, op: '', value: 24 }]);
    expect(s.blkio_stats.io_queue_recursive).toBeNull();
  });

  it('gives dockerd\'s shape on cgroup v2', () => {
    const s = sampleStats(target, env('v2'));
    expect(s).toMatchObject({
      pids_stats: { current: 3, limit: 100 },
      cpu_stats: {
        cpu_usage: { total_usage: 2_500_000_000, usage_in_usermode: 1_800_000_000, usage_in_kernelmode: 700_000_000 },
        throttling_data: { periods: 10, throttled_periods: 3, throttled_time: 4_500_000 },
      },
      memory_stats: { usage: 8_388_608, limit: 67_108_864, failcnt: 1, stats: { inactive_file: 4096, anon: 7_000_000, pgfault: 1200 } },
    });
    expect(s.cpu_stats.cpu_usage.percpu_usage).toBeUndefined();
    expect(s.memory_stats.max_usage).toBeUndefined();
    expect(s.blkio_stats.io_service_bytes_recursive).toEqual([
      { major: 8, minor: 0, op: 'read', value: 4096 }, { major: 8, minor: 0, op: 'write', value: 8192 },
      { major: 253, minor: 1, op: 'read', value: 512 }, { major: 253, minor: 1, op: 'write', value: 0 },
    ]);
    expect(s.blkio_stats.io_serviced_recursive).toBeNull();
  });

  it('leaves networks out with network_mode host, and zeroes a stopped or vanished container', () => {
    expect(sampleStats({ ...target, hostNetwork: true }, env('v1')).networks).toBeUndefined();
    const z = zeroStats(ID, '/web');
    expect(sampleStats({ ...target, running: false }, env('v1'))).toEqual(z);
    expect(sampleStats({ ...target, pid: 999 }, env('v1'))).toEqual(z);
    expect(z).toMatchObject({ read: '0001-01-01T00:00:00Z', memory_stats: {}, pids_stats: {}, cpu_stats: { cpu_usage: { total_usage: 0 }, throttling_data: { periods: 0 } } });
    expect(JSON.parse(JSON.stringify(z)).blkio_stats.io_service_bytes_recursive).toBeNull();
  });

  it('chains samples: precpu and preread come from the previous one', async () => {
    const a = sampleStats(target, env('v1', new Date('2026-01-01T00:00:00Z')));
    const b = withPrevious(sampleStats(target, env('v1', new Date('2026-01-01T00:00:01Z'))), a);
    expect(b.preread).toBe('2026-01-01T00:00:00.000Z');
    expect(b.precpu_stats).toEqual(a.cpu_stats);
    const abort = new AbortController();
    const seen = [];
    let calls = 0;
    for await (const s of statsStream(() => (++calls <= 3 ? target : undefined), abort.signal, env('v1'), 1)) seen.push(s);
    expect(seen).toHaveLength(3);
    expect(seen[0].precpu_stats.cpu_usage.total_usage).toBe(0);
    expect(seen[1].precpu_stats.cpu_usage.total_usage).toBe(2_500_000_000);
  });
});
