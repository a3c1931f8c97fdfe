// The shape of `GET /containers/{id}/stats` (moby api/types/stats.go), in
// Docker's snake_case: what the docker CLI reads to draw `docker stats`.

export interface ThrottlingData { periods: number; throttled_periods: number; throttled_time: number }

export interface CpuUsage {
  /** Nanoseconds of CPU time, all cores. */
  total_usage: number;
  /** Per core (cgroup v1 only). */
  percpu_usage?: number[];
  usage_in_kernelmode: number;
  usage_in_usermode: number;
}

export interface CpuStats {
  cpu_usage: CpuUsage;
  /** Nanoseconds of CPU time of the whole host (from /proc/stat). */
  system_cpu_usage?: number;
  online_cpus?: number;
  throttling_data: ThrottlingData;
}

export interface MemoryStats {
  usage?: number;
  /** cgroup v1 only. */
  max_usage?: number;
  stats?: Record<string, number>;
  failcnt?: number;
  limit?: number;
}

export interface BlkioStatEntry { major: number; minor: number; op: string; value: number }

export interface BlkioStats {
  io_service_bytes_recursive: BlkioStatEntry[] | null;
  io_serviced_recursive: BlkioStatEntry[] | null;
  io_queue_recursive: BlkioStatEntry[] | null;
  io_service_time_recursive: BlkioStatEntry[] | null;
  io_wait_time_recursive: BlkioStatEntry[] | null;
  io_merged_recursive: BlkioStatEntry[] | null;
  io_time_recursive: BlkioStatEntry[] | null;
  sectors_recursive: BlkioStatEntry[] | null;
}

export interface PidsStats { current?: number; limit?: number }

export interface NetworkStats {
  rx_bytes: number; rx_packets: number; rx_errors: number; rx_dropped: number;
  tx_bytes: number; tx_packets: number; tx_errors: number; tx_dropped: number;
}

export interface ContainerStats {
  /** RFC 3339 with nanoseconds; `0001-01-01T00:00:00Z` for a container that does not run. */
  read: string;
  preread: string;
  pids_stats: PidsStats;
  blkio_stats: BlkioStats;
  num_procs: number;
  storage_stats: Record<string, never>;
  cpu_stats: CpuStats;
  precpu_stats: CpuStats;
  memory_stats: MemoryStats;
  /** With the leading slash, as dockerd sends it. */
  name: string;
  id: string;
  /** By interface, from the container's network namespace; absent with `network_mode: host`. */
  networks?: Record<string, NetworkStats>;
}

/** `X-Docker-Container-Path-Stat` of the archive endpoints, decoded. */
export interface ContainerPathStat {
  name: string;
  size: number;
  /** Go's os.FileMode bits: permission bits plus type bits (dir 1<<31, symlink 1<<27, …). */
  mode: number;
  /** RFC 3339. */
  mtime: string;
  linkTarget: string;
}
