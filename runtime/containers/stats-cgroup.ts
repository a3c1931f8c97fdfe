// Reading a container's resource usage from its cgroups, v1 or v2, the way
// dockerd reports it (moby daemon/stats_unix.go). Every parser here is pure
// (text in, numbers out) and reads through a `StatsFs`, so the unit tests
// feed fixture trees of both layouts.
//
// Where the cgroups are: /proc/<pid>/cgroup names the container's path per
// hierarchy, /proc/self/mountinfo where each hierarchy is mounted. On a
// hybrid host (v1 controllers plus a cgroup2 mount without controllers) the
// v1 controllers carry the numbers, as with runc and dockerd there.

import { posix } from 'node:path';
import type { BlkioStatEntry, BlkioStats, CpuStats, MemoryStats, NetworkStats, PidsStats } from '../client/stats-types.js';

/** File reads of the stats collector: undefined when the file is missing or unreadable. */
export interface StatsFs { read(path: string): string | undefined }

/** Where the cgroup hierarchies are mounted: v1 controller → mount point (and the mount's root), and the cgroup2 mount. */
export interface CgroupMounts {
  v1: Map<string, { mountPoint: string; root: string }>;
  v2?: { mountPoint: string; root: string };
}

/** Mount points of the cgroup hierarchies from a mountinfo text. */
export function parseCgroupMounts(mountinfo: string): CgroupMounts {
  const out: CgroupMounts = { v1: new Map() };
  for (const line of mountinfo.split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const left = line.slice(0, sep).split(' ');
    const [fstype, , superOpts = ''] = line.slice(sep + 3).split(' ');
    const root = unescapeMountinfo(left[3] ?? '/');
    const mountPoint = unescapeMountinfo(left[4] ?? '');
    if (fstype === 'cgroup2') { if (!out.v2) out.v2 = { mountPoint, root }; continue; }
    if (fstype !== 'cgroup') continue;
    for (const opt of superOpts.split(',')) {
      if (opt === 'rw' || opt === 'ro' || opt.includes('=')) continue;
      if (!out.v1.has(opt)) out.v1.set(opt, { mountPoint, root });
    }
  }
  return out;
}

function unescapeMountinfo(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** `/proc/<pid>/cgroup`: v1 controller → path, and the v2 path (the `0::` line). */
export function parseProcCgroup(text: string): { v1: Map<string, string>; v2?: string } {
  const v1 = new Map<string, string>();
  let v2: string | undefined;
  for (const line of text.split('\n')) {
    const first = line.indexOf(':');
    const second = line.indexOf(':', first + 1);
    if (first < 0 || second < 0) continue;
    const ctrls = line.slice(first + 1, second);
    const path = line.slice(second + 1);
    if (line.slice(0, first) === '0' && ctrls === '') { v2 = path; continue; }
    for (const c of ctrls.split(',')) if (c && !c.includes('=')) v1.set(c, path);
  }
  return { v1, v2 };
}

/** The directories to read: per v1 controller, or one v2 directory. */
export type CgroupDirs = { version: 1; dirs: Partial<Record<'memory' | 'cpu' | 'cpuacct' | 'pids' | 'blkio', string>> } | { version: 2; dir: string };

function under(mount: { mountPoint: string; root: string }, path: string): string {
  // A mount of a sub-tree (inside a cgroup namespace) shows paths relative to its root.
  const rel = mount.root !== '/' && (path === mount.root || path.startsWith(`${mount.root}/`)) ? path.slice(mount.root.length) : path;
  return posix.join(mount.mountPoint, rel || '/');
}

/** The container's cgroup directories: v1 when its memory or cpuacct controller is a v1 hierarchy, else v2. */
export function cgroupDirsOf(procCgroup: string, mounts: CgroupMounts): CgroupDirs | undefined {
  const pc = parseProcCgroup(procCgroup);
  const v1Dirs: Partial<Record<'memory' | 'cpu' | 'cpuacct' | 'pids' | 'blkio', string>> = {};
  for (const c of ['memory', 'cpu', 'cpuacct', 'pids', 'blkio'] as const) {
    const path = pc.v1.get(c);
    const mount = mounts.v1.get(c);
    if (path !== undefined && mount) v1Dirs[c] = under(mount, path);
  }
  if (v1Dirs.memory || v1Dirs.cpuacct) return { version: 1, dirs: v1Dirs };
  if (pc.v2 !== undefined && mounts.v2) return { version: 2, dir: under(mounts.v2, pc.v2) };
  return undefined;
}

// ---- small parsers ----

const num = (s: string | undefined): number => {
  const n = Number((s ?? '').trim());
  return Number.isFinite(n) ? n : 0;
};

/** `key value` lines (memory.stat, cpu.stat, cpuacct.stat) → a map. */
export function parseFlatKeyed(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v !== undefined && /^-?\d+$/.test(v)) out[k] = Number(v);
  }
  return out;
}

/** A single-number file; `max` (no limit) → undefined. */
export function parseSingle(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const t = text.trim();
  if (t === '' || t === 'max') return undefined;
  const n = Number(t);
  return Number.isFinite(n) ? n : undefined;
}

/** v1 blkio files: `8:0 Read 4096` lines (the `Total` line is left out, as dockerd does). */
export function parseBlkioV1(text: string | undefined): BlkioStatEntry[] {
  const out: BlkioStatEntry[] = [];
  for (const line of (text ?? '').split('\n')) {
    const f = line.trim().split(/\s+/);
    const m = /^(\d+):(\d+)$/.exec(f[0] ?? '');
    if (!m) continue;
    // blkio.sectors_recursive and the time files have no op column.
    if (f.length === 2) out.push({ major: Number(m[1]), minor: Number(m[2]), op: '', value: num(f[1]) });
    else if (f.length >= 3) out.push({ major: Number(m[1]), minor: Number(m[2]), op: f[1], value: num(f[2]) });
  }
  return out;
}

/** v2 io.stat: `8:0 rbytes=1 wbytes=2 rios=3 wios=4 …` → bytes and ops as dockerd's read/write entries. */
export function parseIoStatV2(text: string | undefined): { bytes: BlkioStatEntry[]; ios: BlkioStatEntry[] } {
  const bytes: BlkioStatEntry[] = [];
  const ios: BlkioStatEntry[] = [];
  for (const line of (text ?? '').split('\n')) {
    const f = line.trim().split(/\s+/);
    const m = /^(\d+):(\d+)$/.exec(f[0] ?? '');
    if (!m) continue;
    const kv: Record<string, number> = {};
    for (const p of f.slice(1)) { const [k, v] = p.split('='); kv[k] = num(v); }
    const dev = { major: Number(m[1]), minor: Number(m[2]) };
    bytes.push({ ...dev, op: 'read', value: kv.rbytes ?? 0 }, { ...dev, op: 'write', value: kv.wbytes ?? 0 });
    ios.push({ ...dev, op: 'read', value: kv.rios ?? 0 }, { ...dev, op: 'write', value: kv.wios ?? 0 });
  }
  return { bytes, ios };
}

/** /proc/<pid>/net/dev → per interface counters (loopback left out, as dockerd reports only the endpoints). */
export function parseNetDev(text: string): Record<string, NetworkStats> {
  const out: Record<string, NetworkStats> = {};
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim();
    const f = line.slice(colon + 1).trim().split(/\s+/).map(Number);
    if (!name || name === 'lo' || f.length < 16 || f.some((n) => !Number.isFinite(n))) continue;
    out[name] = {
      rx_bytes: f[0], rx_packets: f[1], rx_errors: f[2], rx_dropped: f[3],
      tx_bytes: f[8], tx_packets: f[9], tx_errors: f[10], tx_dropped: f[11],
    };
  }
  return out;
}

/** USER_HZ: the unit of /proc/stat and cpuacct.stat (100 on every Linux architecture we build for). */
const CLOCK_TICKS = 100;
const NS_PER_TICK = 1e9 / CLOCK_TICKS;

/** The host's CPU time in nanoseconds: the first line of /proc/stat (user … steal), as dockerd sums it. */
export function parseSystemCpuUsage(procStat: string): number | undefined {
  const line = procStat.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) return undefined;
  const f = line.trim().split(/\s+/).slice(1, 8).map(Number);
  return f.reduce((a, b) => a + (Number.isFinite(b) ? b : 0), 0) * NS_PER_TICK;
}

// ---- per version ----

export interface CgroupUsage { cpu: Omit<CpuStats, 'system_cpu_usage' | 'online_cpus'>; memory: MemoryStats; pids: PidsStats; blkio: BlkioStats }

const EMPTY_BLKIO: BlkioStats = {
  io_service_bytes_recursive: null, io_serviced_recursive: null, io_queue_recursive: null, io_service_time_recursive: null,
  io_wait_time_recursive: null, io_merged_recursive: null, io_time_recursive: null, sectors_recursive: null,
};

export function emptyBlkio(): BlkioStats { return { ...EMPTY_BLKIO }; }

/** Go's nil slice: an empty list is `null` in dockerd's JSON. */
const orNull = (l: BlkioStatEntry[]): BlkioStatEntry[] | null => (l.length ? l : null);

export function readCgroupV1(fs: StatsFs, dirs: Partial<Record<'memory' | 'cpu' | 'cpuacct' | 'pids' | 'blkio', string>>): CgroupUsage {
  const f = (ctrl: keyof typeof dirs, file: string): string | undefined => (dirs[ctrl] ? fs.read(posix.join(dirs[ctrl]!, file)) : undefined);
  const acct = parseFlatKeyed(f('cpuacct', 'cpuacct.stat') ?? '');
  const percpu = (f('cpuacct', 'cpuacct.usage_percpu') ?? '').trim().split(/\s+/).filter(Boolean).map(Number);
  const throttle = parseFlatKeyed(f('cpu', 'cpu.stat') ?? '');
  const cpu: CgroupUsage['cpu'] = {
    cpu_usage: {
      total_usage: parseSingle(f('cpuacct', 'cpuacct.usage')) ?? 0,
      ...(percpu.length ? { percpu_usage: percpu } : {}),
      usage_in_kernelmode: (acct.system ?? 0) * NS_PER_TICK,
      usage_in_usermode: (acct.user ?? 0) * NS_PER_TICK,
    },
    throttling_data: { periods: throttle.nr_periods ?? 0, throttled_periods: throttle.nr_throttled ?? 0, throttled_time: throttle.throttled_time ?? 0 },
  };
  const memory: MemoryStats = {};
  if (dirs.memory) {
    memory.usage = parseSingle(f('memory', 'memory.usage_in_bytes')) ?? 0;
    memory.max_usage = parseSingle(f('memory', 'memory.max_usage_in_bytes')) ?? 0;
    memory.stats = parseFlatKeyed(f('memory', 'memory.stat') ?? '');
    memory.failcnt = parseSingle(f('memory', 'memory.failcnt')) ?? 0;
    memory.limit = parseSingle(f('memory', 'memory.limit_in_bytes'));
  }
  const pids: PidsStats = {};
  const current = parseSingle(f('pids', 'pids.current'));
  if (current !== undefined) pids.current = current;
  const pidsMax = parseSingle(f('pids', 'pids.max'));
  if (pidsMax) pids.limit = pidsMax;
  // CFQ's counters when the scheduler keeps them, else the throttle layer's (what dockerd does through containerd's cgroups).
  const pick = (name: string): BlkioStatEntry[] => {
    const own = parseBlkioV1(f('blkio', `blkio.${name}`));
    return own.length ? own : parseBlkioV1(f('blkio', `blkio.throttle.${name}`));
  };
  const blkio: BlkioStats = dirs.blkio ? {
    io_service_bytes_recursive: orNull(pick('io_service_bytes_recursive')),
    io_serviced_recursive: orNull(pick('io_serviced_recursive')),
    io_queue_recursive: orNull(parseBlkioV1(f('blkio', 'blkio.io_queued_recursive'))),
    io_service_time_recursive: orNull(parseBlkioV1(f('blkio', 'blkio.io_service_time_recursive'))),
    io_wait_time_recursive: orNull(parseBlkioV1(f('blkio', 'blkio.io_wait_time_recursive'))),
    io_merged_recursive: orNull(parseBlkioV1(f('blkio', 'blkio.io_merged_recursive'))),
    io_time_recursive: orNull(parseBlkioV1(f('blkio', 'blkio.time_recursive'))),
    sectors_recursive: orNull(parseBlkioV1(f('blkio', 'blkio.sectors_recursive'))),
  } : emptyBlkio();
  return { cpu, memory, pids, blkio };
}

export function readCgroupV2(fs: StatsFs, dir: string): CgroupUsage {
  const f = (file: string): string | undefined => fs.read(posix.join(dir, file));
  const cpuStat = parseFlatKeyed(f('cpu.stat') ?? '');
  const cpu: CgroupUsage['cpu'] = {
    cpu_usage: {
      total_usage: (cpuStat.usage_usec ?? 0) * 1000,
      usage_in_kernelmode: (cpuStat.system_usec ?? 0) * 1000,
      usage_in_usermode: (cpuStat.user_usec ?? 0) * 1000,
    },
    throttling_data: { periods: cpuStat.nr_periods ?? 0, throttled_periods: cpuStat.nr_throttled ?? 0, throttled_time: (cpuStat.throttled_usec ?? 0) * 1000 },
  };
  const memory: MemoryStats = {};
  const current = parseSingle(f('memory.current'));
  if (current !== undefined) {
    memory.usage = current;
    memory.stats = parseFlatKeyed(f('memory.stat') ?? '');
    const events = parseFlatKeyed(f('memory.events') ?? '');
    if (events.oom !== undefined) memory.failcnt = events.oom;
    memory.limit = parseSingle(f('memory.max'));
  }
  const pids: PidsStats = {};
  const pc = parseSingle(f('pids.current'));
  if (pc !== undefined) pids.current = pc;
  const pm = parseSingle(f('pids.max'));
  if (pm) pids.limit = pm;
  const io = f('io.stat');
  // dockerd's v2 stats fill only the bytes (read/write per device).
  const blkio = io === undefined ? emptyBlkio() : { ...emptyBlkio(), io_service_bytes_recursive: orNull(parseIoStatV2(io).bytes) };
  return { cpu, memory, pids, blkio };
}
