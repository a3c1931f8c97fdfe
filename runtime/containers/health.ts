// Health checks: Config.Healthcheck run inside the container (as an exec)
// every Interval, with Timeout, Retries, StartPeriod and StartInterval as
// dockerd interprets them; State.Health keeps the status, the failing streak
// and the last 5 results. Timers are injected so the rules test without time.

import type { HealthConfig } from '../client/types.js';

export interface HealthLogEntry { Start: string; End: string; ExitCode: number; Output: string }
export interface HealthState { Status: 'starting' | 'healthy' | 'unhealthy' | 'none'; FailingStreak: number; Log: HealthLogEntry[] }

const NS_PER_MS = 1_000_000;
export const HEALTH_DEFAULTS = { intervalMs: 30_000, timeoutMs: 30_000, retries: 3, startPeriodMs: 0, startIntervalMs: 5_000 };
const MAX_LOG = 5;
const MAX_OUTPUT = 4096;

/** The command to run, or undefined when there is no check (none configured, or NONE). */
export function healthCommand(h: HealthConfig | undefined): string[] | undefined {
  const test = h?.Test;
  if (!test || test.length === 0) return undefined;
  switch (test[0]) {
    case 'NONE': return undefined;
    case 'CMD': return test.length > 1 ? test.slice(1) : undefined;
    case 'CMD-SHELL': return test.length > 1 ? ['/bin/sh', '-c', test.slice(1).join(' ')] : undefined;
    default: return undefined;
  }
}

export function healthTimings(h: HealthConfig | undefined): typeof HEALTH_DEFAULTS {
  const ms = (ns: number | undefined, d: number): number => (ns && ns > 0 ? Math.round(ns / NS_PER_MS) : d);
  return {
    intervalMs: ms(h?.Interval, HEALTH_DEFAULTS.intervalMs),
    timeoutMs: ms(h?.Timeout, HEALTH_DEFAULTS.timeoutMs),
    retries: h?.Retries && h.Retries > 0 ? h.Retries : HEALTH_DEFAULTS.retries,
    startPeriodMs: ms(h?.StartPeriod, HEALTH_DEFAULTS.startPeriodMs),
    startIntervalMs: ms(h?.StartInterval, HEALTH_DEFAULTS.startIntervalMs),
  };
}

/**
 * The next state after one probe (dockerd's rules): a success makes it
 * healthy; a failure while still `starting` inside the start period does
 * not count; otherwise `retries` failures in a row make it unhealthy.
 */
export function applyProbe(state: HealthState, entry: HealthLogEntry, inStartPeriod: boolean, retries: number): HealthState {
  const log = [...state.Log, { ...entry, Output: entry.Output.slice(0, MAX_OUTPUT) }].slice(-MAX_LOG);
  if (entry.ExitCode === 0) return { Status: 'healthy', FailingStreak: 0, Log: log };
  if (inStartPeriod && state.Status === 'starting') return { ...state, Log: log };
  const streak = state.FailingStreak + 1;
  return { Status: streak >= retries ? 'unhealthy' : state.Status, FailingStreak: streak, Log: log };
}

export interface ProbeRunner {
  /** Runs the command in the container; exit code and combined output. Rejects on timeout with exit code -1 semantics left to the caller. */
  run(containerId: string, cmd: string[], timeoutMs: number): Promise<{ exitCode: number; output: string }>;
}

export interface HealthTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  now(): number;
}

export const realTimers: HealthTimers = {
  setTimeout: (fn, ms) => { const t = setTimeout(fn, ms); t.unref(); return t; },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
  now: () => Date.now(),
};

/** Runs the checks of running containers; `onChange` persists and emits `health_status`. */
export class HealthChecker {
  private readonly timers = new Map<string, unknown>();
  constructor(
    private readonly runner: ProbeRunner,
    private readonly onChange: (containerId: string, state: HealthState, statusChanged: boolean) => void,
    private readonly clock: HealthTimers = realTimers,
  ) {}

  /** Starts checking a container that just started; returns the initial state, or undefined without a check. */
  start(containerId: string, config: HealthConfig | undefined): HealthState | undefined {
    this.stop(containerId);
    const cmd = healthCommand(config);
    if (!cmd) return undefined;
    const t = healthTimings(config);
    const startedAt = this.clock.now();
    let state: HealthState = { Status: 'starting', FailingStreak: 0, Log: [] };
    const schedule = (): void => {
      const inStart = this.clock.now() - startedAt < t.startPeriodMs;
      const delay = inStart && state.Status === 'starting' ? Math.min(t.startIntervalMs, t.intervalMs) : t.intervalMs;
      this.timers.set(containerId, this.clock.setTimeout(() => void probe(), delay));
    };
    const probe = async (): Promise<void> => {
      if (!this.timers.has(containerId)) return;
      const start = new Date(this.clock.now()).toISOString();
      let exitCode: number;
      let output: string;
      try {
        ({ exitCode, output } = await this.runner.run(containerId, cmd, t.timeoutMs));
      } catch (err) {
        exitCode = -1;
        output = (err as Error).message;
      }
      if (!this.timers.has(containerId)) return;
      const inStart = this.clock.now() - startedAt < t.startPeriodMs;
      const next = applyProbe(state, { Start: start, End: new Date(this.clock.now()).toISOString(), ExitCode: exitCode, Output: output }, inStart, t.retries);
      const changed = next.Status !== state.Status;
      state = next;
      this.onChange(containerId, state, changed);
      schedule();
    };
    schedule();
    return state;
  }

  stop(containerId: string): void {
    const t = this.timers.get(containerId);
    if (t !== undefined) this.clock.clearTimeout(t);
    this.timers.delete(containerId);
  }

  stopAll(): void {
    for (const id of [...this.timers.keys()]) this.stop(id);
  }
}
