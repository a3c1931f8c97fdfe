// `docker stats`: one sample of a container's usage in dockerd's JSON shape
// (cgroup numbers from stats-cgroup.ts, network counters from the
// container's netns through /proc/<pid>/net/dev, the host's CPU time from
// /proc/stat), and the stream of samples a second apart.

import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import type { ContainerStats, CpuStats } from '../client/stats-types.js';
import { ZERO_TIME } from './container-record.js';
import {
  cgroupDirsOf, emptyBlkio, parseCgroupMounts, parseNetDev, parseSystemCpuUsage, readCgroupV1, readCgroupV2, type StatsFs,
} from './stats-cgroup.js';

/** The facts of one container that a sample needs. */
export interface StatsTarget {
  id: string;
  /** With the leading slash. */
  name: string;
  running: boolean;
  pid: number;
  /** `network_mode: host`: no per-container counters (dockerd sends none). */
  hostNetwork: boolean;
}

/** The host side of a sample; tests pass fixture trees. */
export interface StatsEnv {
  fs: StatsFs;
  now(): Date;
  /** Bytes of RAM: the limit shown when the container has none. */
  machineMemory: number;
  onlineCpus: number;
}

export const hostFs: StatsFs = {
  read(path: string): string | undefined {
    try { return readFileSync(path, 'utf8'); } catch { return undefined; }
  },
};

/** `0-1,3` → 3. */
export function countCpuList(list: string): number {
  let n = 0;
  for (const part of list.trim().split(',')) {
    const [a, b] = part.split('-').map(Number);
    if (Number.isFinite(a)) n += Number.isFinite(b) ? b - a + 1 : 1;
  }
  return n;
}

export function hostStatsEnv(): StatsEnv {
  const online = hostFs.read('/sys/devices/system/cpu/online');
  return { fs: hostFs, now: () => new Date(), machineMemory: totalmem(), onlineCpus: (online && countCpuList(online)) || cpus().length };
}

function zeroCpu(): CpuStats {
  return { cpu_usage: { total_usage: 0, usage_in_kernelmode: 0, usage_in_usermode: 0 }, throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 } };
}

/** What dockerd answers for a container that does not run: only the name and id carry anything. */
export function zeroStats(id: string, name: string): ContainerStats {
  return {
    read: ZERO_TIME, preread: ZERO_TIME, pids_stats: {}, blkio_stats: emptyBlkio(), num_procs: 0, storage_stats: {},
    cpu_stats: zeroCpu(), precpu_stats: zeroCpu(), memory_stats: {}, name, id,
  };
}

/** One sample, without a previous one (precpu empty, as dockerd's first sample and `one-shot`). */
export function sampleStats(t: StatsTarget, env: StatsEnv = hostStatsEnv()): ContainerStats {
  if (!t.running || !t.pid) return zeroStats(t.id, t.name);
  const procCgroup = env.fs.read(`/proc/${t.pid}/cgroup`);
  const mountinfo = env.fs.read('/proc/self/mountinfo');
  const dirs = procCgroup && mountinfo ? cgroupDirsOf(procCgroup, parseCgroupMounts(mountinfo)) : undefined;
  // The process is gone (it exited between the check and the read): as good as stopped.
  if (!dirs) return zeroStats(t.id, t.name);
  const usage = dirs.version === 1 ? readCgroupV1(env.fs, dirs.dirs) : readCgroupV2(env.fs, dirs.dir);
  const memory = { ...usage.memory };
  // No limit (or v1's "unlimited" 2^63-4096): the host's memory, as dockerd shows.
  if (memory.usage !== undefined && (memory.limit === undefined || memory.limit > env.machineMemory)) memory.limit = env.machineMemory;
  const procStat = env.fs.read('/proc/stat');
  const stats: ContainerStats = {
    read: env.now().toISOString(), preread: ZERO_TIME,
    pids_stats: usage.pids, blkio_stats: usage.blkio, num_procs: 0, storage_stats: {},
    cpu_stats: { ...usage.cpu, system_cpu_usage: procStat ? parseSystemCpuUsage(procStat) : undefined, online_cpus: env.onlineCpus },
    precpu_stats: zeroCpu(), memory_stats: memory, name: t.name, id: t.id,
  };
  if (!t.hostNetwork) {
    const netDev = env.fs.read(`/proc/${t.pid}/net/dev`);
    if (netDev !== undefined) stats.networks = parseNetDev(netDev);
  }
  return stats;
}

/** A sample with the one before it as `precpu_stats`/`preread`, from which the docker CLI computes CPU %. */
export function withPrevious(current: ContainerStats, previous: ContainerStats | undefined): ContainerStats {
  if (!previous) return current;
  return { ...current, preread: previous.read, precpu_stats: previous.cpu_stats };
}

const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done(): void { clearTimeout(t); signal?.removeEventListener('abort', done); resolve(); }
    signal?.addEventListener('abort', done, { once: true });
  });

/**
 * Samples a second apart until the signal aborts or `target()` says the
 * container is gone (undefined). The first comes at once.
 */
export async function* statsStream(
  target: () => StatsTarget | undefined, signal: AbortSignal, env: StatsEnv = hostStatsEnv(), intervalMs = 1000,
): AsyncGenerator<ContainerStats> {
  let previous: ContainerStats | undefined;
  while (!signal.aborted) {
    const t = target();
    if (!t) return;
    const s = sampleStats(t, env);
    yield withPrevious(s, t.running ? previous : undefined);
    previous = t.running && s.read !== ZERO_TIME ? s : undefined;
    await sleep(intervalMs, signal);
  }
}

/** `stream=false`: two samples a second apart so that CPU % can be computed (dockerd's default); `one-shot`: one. */
export async function statsOnce(t: () => StatsTarget | undefined, oneShot: boolean, signal: AbortSignal, env: StatsEnv = hostStatsEnv()): Promise<ContainerStats | undefined> {
  const first = t();
  if (!first) return undefined;
  const a = sampleStats(first, env);
  if (oneShot || !first.running) return a;
  await sleep(1000, signal);
  const second = t();
  if (!second) return undefined;
  return withPrevious(sampleStats(second, env), second.running ? a : undefined);
}
