// HealthMonitor: one probe loop per running container with a health check.
// It owns only timing and bookkeeping; the rules are in health-state.ts, the
// command runs through the injected ExecRunner and time through the Clock.
//
// Like dockerd: the first probe comes one interval (or start_interval inside
// the start period) after start; the next one an interval after the previous
// ended, so probes never overlap; a probe past its timeout is killed and
// logged as exit -1; stopping the loop aborts an in-flight probe and sets
// the status to unhealthy (Docker does so "for compatibility").

import { goDuration, type ResolvedHealthCheck } from './health-config.js';
import {
  applyProbeResult, initialHealthState, nextProbeDelay, truncateOutput, type HealthState, type HealthStatus,
} from './health-state.js';
import { systemClock, type Clock, type TimerHandle } from './clock.js';
import type { ExecRequest, ExecResult, ExecRunner } from './exec-runner.js';

/** How long a probe killed at its timeout may take to go away before the loop moves on anyway. */
const ABORT_SETTLE_MS = 10_000;

export interface HealthProbeEvent {
  /** `exec_create`, `exec_start`, `exec_die`, as Docker logs them for probes. */
  action: 'exec_create' | 'exec_start' | 'exec_die';
  /** Docker's action text carries the command: `exec_create: /bin/sh -c pg_isready`. */
  command: string;
  exitCode?: number;
}

export interface HealthMonitorOptions {
  exec: ExecRunner;
  clock?: Clock;
  /** Status changed (never called for an unchanged status): emit `health_status: <status>`. */
  onStatusChange?: (containerId: string, status: HealthStatus, state: HealthState) => void;
  /** After every probe (persist the state if wanted; Docker keeps it in memory between checkpoints). */
  onProbe?: (containerId: string, state: HealthState) => void;
  /** The exec events Docker also emits for each probe; optional. */
  onExecEvent?: (containerId: string, event: HealthProbeEvent) => void;
}

export interface HealthStartOptions {
  /** When the container started (ms); the start period counts from there. Default: now. */
  startedAtMs?: number;
  /** Health state kept from an earlier run (its log is kept, status and streak reset). */
  previous?: HealthState;
  /** Passed to the ExecRunner (Docker runs probes as Config.User in Config.WorkingDir). */
  user?: string;
  workingDir?: string;
  env?: string[];
}

interface Watch {
  containerId: string;
  check: ResolvedHealthCheck;
  opts: HealthStartOptions;
  startedAtMs: number;
  state: HealthState;
  timer?: TimerHandle;
  probe?: AbortController;
  /** Increases on every start: a result of an older run is dropped. */
  generation: number;
  active: boolean;
}

export class HealthMonitor {
  private readonly clock: Clock;
  private readonly watches = new Map<string, Watch>();
  private generations = 0;
  private readonly inflight = new Set<Promise<void>>();

  constructor(private readonly opts: HealthMonitorOptions) {
    this.clock = opts.clock ?? systemClock;
  }

  /**
   * Begins (or restarts) checking a container that has just started. The
   * state goes to `starting` (no event, as in Docker). With no check to run
   * (`NONE`, no Test), does nothing and returns false.
   */
  start(containerId: string, check: ResolvedHealthCheck | undefined, opts: HealthStartOptions = {}): boolean {
    const old = this.watches.get(containerId);
    if (old) this.halt(old);
    if (!check) { this.watches.delete(containerId); return false; }
    const w: Watch = {
      containerId, check, opts, startedAtMs: opts.startedAtMs ?? this.clock.now(),
      state: initialHealthState(opts.previous ?? old?.state), generation: ++this.generations, active: true,
    };
    this.watches.set(containerId, w);
    this.schedule(w);
    return true;
  }

  /** The container stopped (or is paused): no more probes; the status becomes unhealthy, the log stays. */
  stop(containerId: string): void {
    const w = this.watches.get(containerId);
    if (!w || !w.active) return;
    this.halt(w);
    w.state = { ...w.state, Status: 'unhealthy' };
  }

  /** The container is gone: drop everything about it. */
  forget(containerId: string): void {
    const w = this.watches.get(containerId);
    if (w) this.halt(w);
    this.watches.delete(containerId);
  }

  /** Docker's inspect State.Health; undefined when the container has no health check. */
  state(containerId: string): HealthState | undefined {
    const w = this.watches.get(containerId);
    return w ? { Status: w.state.Status, FailingStreak: w.state.FailingStreak, Log: w.state.Log.map((e) => ({ ...e })) } : undefined;
  }

  isChecking(containerId: string): boolean { return !!this.watches.get(containerId)?.active; }

  /** Engine shutdown: stops every loop (containers keep running; checks resume when the engine reattaches). */
  async close(): Promise<void> {
    for (const w of this.watches.values()) this.halt(w);
    await Promise.allSettled([...this.inflight]);
  }

  private halt(w: Watch): void {
    w.active = false;
    if (w.timer !== undefined) this.clock.clearTimer(w.timer);
    w.timer = undefined;
    w.probe?.abort();
    w.probe = undefined;
  }

  private schedule(w: Watch): void {
    const delay = nextProbeDelay(w.state, w.check, w.startedAtMs, this.clock.now());
    w.timer = this.clock.setTimer(() => {
      w.timer = undefined;
      const p = this.probe(w).finally(() => this.inflight.delete(p));
      this.inflight.add(p);
    }, delay);
  }

  private async probe(w: Watch): Promise<void> {
    const generation = w.generation;
    const current = (): boolean => w.active && w.generation === generation && this.watches.get(w.containerId) === w;
    const ac = new AbortController();
    w.probe = ac;
    const startMs = this.clock.now();
    const command = w.check.argv.join(' ');
    this.opts.onExecEvent?.(w.containerId, { action: 'exec_create', command });
    this.opts.onExecEvent?.(w.containerId, { action: 'exec_start', command });
    const req: ExecRequest = {
      containerId: w.containerId, argv: w.check.argv, signal: ac.signal,
      ...(w.opts.user ? { user: w.opts.user } : {}), ...(w.opts.workingDir ? { workingDir: w.opts.workingDir } : {}),
      ...(w.opts.env ? { env: w.opts.env } : {}),
    };
    const running: Promise<ExecResult> = this.opts.exec.run(req).catch((e: unknown) => ({
      exitCode: -1, output: e instanceof Error ? e.message : String(e),
    }));
    let timeoutTimer: TimerHandle | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => { timeoutTimer = this.clock.setTimer(() => resolve('timeout'), w.check.timeoutMs); });
    const first = await Promise.race([running, timedOut]);
    if (timeoutTimer !== undefined) this.clock.clearTimer(timeoutTimer);
    let exitCode: number;
    let output: string;
    if (first === 'timeout') {
      ac.abort();
      // Wait for the killed probe, so dying probes never pile up; but not forever.
      let settleTimer: TimerHandle | undefined;
      const late = await Promise.race([
        running, new Promise<undefined>((r) => { settleTimer = this.clock.setTimer(() => r(undefined), ABORT_SETTLE_MS); }),
      ]);
      if (settleTimer !== undefined) this.clock.clearTimer(settleTimer);
      const partial = late ? truncateOutput(late.output, !!late.truncated) : '';
      const base = `Health check exceeded timeout (${goDuration(w.check.timeoutNs)})`;
      exitCode = -1;
      output = partial ? `${base}: ${partial}` : base;
    } else {
      exitCode = first.exitCode;
      output = truncateOutput(first.output, !!first.truncated);
    }
    if (w.probe === ac) w.probe = undefined;
    this.opts.onExecEvent?.(w.containerId, { action: 'exec_die', command, exitCode });
    if (!current()) return; // stopped or restarted while probing: the result belongs to nobody
    const before = w.state.Status;
    w.state = applyProbeResult(w.state, { startMs, endMs: this.clock.now(), exitCode, output }, w.check, w.startedAtMs);
    this.opts.onProbe?.(w.containerId, this.state(w.containerId)!);
    if (w.state.Status !== before) this.opts.onStatusChange?.(w.containerId, w.state.Status, this.state(w.containerId)!);
    this.schedule(w);
  }
}
