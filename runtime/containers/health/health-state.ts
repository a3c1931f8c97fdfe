// The pure rules of a health check: how one probe result moves the state
// (Docker's daemon/health.go handleProbeResult) and how long to wait before
// the next probe. No timers, no I/O: the monitor feeds results in.

import type { ResolvedHealthCheck } from './health-config.js';

export type HealthStatus = 'starting' | 'healthy' | 'unhealthy';

/** One probe as `docker inspect` shows it in State.Health.Log. */
export interface HealthLogEntry {
  Start: string;
  End: string;
  ExitCode: number;
  Output: string;
}

/** Docker's inspect State.Health. */
export interface HealthState {
  Status: HealthStatus;
  FailingStreak: number;
  Log: HealthLogEntry[];
}

/** Docker keeps the last five probes. */
export const MAX_LOG_ENTRIES = 5;
/** Docker keeps the first 4096 bytes of a probe's output, then `...`. */
export const MAX_OUTPUT_BYTES = 4096;

export function initialHealthState(previous?: HealthState): HealthState {
  // A restart resets status and streak but keeps the log, as dockerd's initHealthMonitor does.
  return { Status: 'starting', FailingStreak: 0, Log: previous ? [...previous.Log] : [] };
}

/** Cuts output to MAX_OUTPUT_BYTES of UTF-8 (never inside a character) and marks the cut with `...`. */
export function truncateOutput(output: string, alreadyTruncated = false): string {
  const buf = Buffer.from(output, 'utf8');
  if (buf.length <= MAX_OUTPUT_BYTES) return alreadyTruncated ? `${output}...` : output;
  let end = MAX_OUTPUT_BYTES;
  while (end > 0 && (buf[end] & 0xc0) === 0x80) end--; // back off continuation bytes
  return `${buf.subarray(0, end).toString('utf8')}...`;
}

export interface ProbeResult {
  startMs: number;
  endMs: number;
  exitCode: number;
  output: string;
}

/**
 * The state after one probe. Success resets the streak and makes it healthy;
 * a failure counts unless the container is still `starting` inside its start
 * period (measured from the container's start to the probe's start); the
 * streak reaching `retries` makes it unhealthy.
 */
export function applyProbeResult(state: HealthState, result: ProbeResult, check: ResolvedHealthCheck, containerStartedMs: number): HealthState {
  const entry: HealthLogEntry = {
    Start: new Date(result.startMs).toISOString(), End: new Date(result.endMs).toISOString(),
    ExitCode: result.exitCode, Output: result.output,
  };
  const log = [...state.Log, entry].slice(-MAX_LOG_ENTRIES);
  if (result.exitCode === 0) return { Status: 'healthy', FailingStreak: 0, Log: log };
  const inStartPeriod = state.Status === 'starting' && result.startMs - containerStartedMs < check.startPeriodMs;
  if (inStartPeriod) return { ...state, Log: log };
  const streak = state.FailingStreak + 1;
  return { Status: streak >= check.retries ? 'unhealthy' : state.Status, FailingStreak: streak, Log: log };
}

/**
 * Wait before the next probe (from the end of the last one, or from the
 * start): start_interval while still `starting` inside the start period,
 * else the interval.
 */
export function nextProbeDelay(state: HealthState, check: ResolvedHealthCheck, containerStartedMs: number, nowMs: number): number {
  if (nowMs - containerStartedMs >= check.startPeriodMs) return check.intervalMs;
  return state.Status === 'starting' ? check.startIntervalMs : check.intervalMs;
}

/** What `docker ps` appends to `Up 3 minutes`: ` (healthy)`, ` (health: starting)`. */
export function healthStatusSuffix(state: HealthState | undefined): string {
  if (!state) return '';
  return state.Status === 'starting' ? ' (health: starting)' : ` (${state.Status})`;
}
