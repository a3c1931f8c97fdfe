// RestartManager: applies restart policies while the engine runs. It keeps
// each container's back-off and RestartCount, decides on every exit
// (restart-policy.ts) and, when the answer is yes, starts the container
// again through the injected ContainerControl after the back-off, timed by
// the injected Clock. A user's stop, kill, start or remove during the
// back-off cancels the pending start.

import type { RestartPolicy } from '../../client/types.js';
import { systemClock, type Clock, type TimerHandle } from '../health/clock.js';
import {
  decideEngineStart, decideRestart, freshBackoff, type BackoffState, type EngineStartDecision, type EngineStartRecord,
  type ExitReport, type RestartDecision,
} from './restart-policy.js';

/** What the manager may do to a container: the engine implements it over ContainerManager. */
export interface ContainerControl {
  /**
   * A restart was decided: persist RestartCount and show the container as
   * restarting (Docker: State.Restarting and Running true, Status `restarting`).
   */
  markRestarting(containerId: string, restartCount: number): void;
  /** Start it again (a policy start: RestartCount and the user-stop mark stay). Emits `start`. */
  start(containerId: string): Promise<void>;
  /** The pending restart was cancelled, or its start failed: show it exited again (Error set when given). */
  markStopped(containerId: string, error?: string): void;
}

export interface RestartManagerOptions {
  control: ContainerControl;
  clock?: Clock;
  /** Each decision, for the engine's log. */
  onDecision?: (containerId: string, decision: RestartDecision) => void;
}

interface Tracked {
  policy: RestartPolicy | undefined | null;
  backoff: BackoffState;
  pending?: TimerHandle;
  /** The start in progress after a back-off, if any. */
  starting?: Promise<void>;
}

export class RestartManager {
  private readonly clock: Clock;
  private readonly tracked = new Map<string, Tracked>();

  constructor(private readonly opts: RestartManagerOptions) {
    this.clock = opts.clock ?? systemClock;
  }

  /**
   * At create and engine load (restartCount and the last back-off from the
   * record), and when `docker update` changes the policy.
   */
  track(containerId: string, policy: RestartPolicy | undefined | null, restartCount = 0, lastDelayMs = 0): void {
    const t = this.tracked.get(containerId);
    if (t) t.policy = policy;
    else this.tracked.set(containerId, { policy, backoff: { lastDelayMs, restartCount } });
  }

  /** The back-off state to persist (the record's RestartDelayMs), so an engine restart keeps doubling. */
  backoffOf(containerId: string): BackoffState | undefined {
    const t = this.tracked.get(containerId);
    return t ? { ...t.backoff } : undefined;
  }

  /**
   * A manual start or restart (`docker start`/`restart`, and the engine-start
   * starts): cancels a pending restart and begins afresh — RestartCount 0 and
   * no back-off, as dockerd's ResetRestartManager(true). The engine sets the
   * record's RestartCount to 0 and clears its user-stopped mark.
   */
  resetForManualStart(containerId: string): void {
    const t = this.tracked.get(containerId);
    if (!t) return;
    this.clearPending(t);
    t.backoff = freshBackoff(0);
  }

  /**
   * The decision for an exit, without acting on it: it advances the
   * container's back-off and RestartCount as a restart would.
   */
  onExit(containerId: string, exit: ExitReport): RestartDecision {
    const t = this.tracked.get(containerId) ?? { policy: undefined, backoff: freshBackoff() };
    this.tracked.set(containerId, t);
    const { decision, backoff } = decideRestart(t.policy, t.backoff, exit);
    t.backoff = backoff;
    this.opts.onDecision?.(containerId, decision);
    return decision;
  }

  /**
   * onExit, then acts: on a restart, marks it restarting and schedules the
   * start after the back-off. Call after the `die` event went out.
   */
  handleExit(containerId: string, exit: ExitReport): RestartDecision {
    const decision = this.onExit(containerId, exit);
    if (!decision.restart) return decision;
    const t = this.tracked.get(containerId)!;
    this.clearPending(t);
    this.opts.control.markRestarting(containerId, decision.restartCount);
    t.pending = this.clock.setTimer(() => {
      t.pending = undefined;
      const p = this.opts.control.start(containerId).catch((e: unknown) => {
        // dockerd gives up when the restart itself fails: the container stays exited with the error.
        this.opts.control.markStopped(containerId, e instanceof Error ? e.message : String(e));
      }).finally(() => { if (t.starting === p) t.starting = undefined; });
      t.starting = p;
    }, decision.delayMs);
    return decision;
  }

  /** Whether a restart is waiting out its back-off. */
  isPending(containerId: string): boolean { return this.tracked.get(containerId)?.pending !== undefined; }

  /**
   * The user stopped or killed it (or is removing it) during the back-off:
   * the restart does not happen and the container shows exited. Returns
   * whether a restart was pending.
   */
  cancel(containerId: string): boolean {
    const t = this.tracked.get(containerId);
    if (!t || t.pending === undefined) return false;
    this.clearPending(t);
    this.opts.control.markStopped(containerId);
    return true;
  }

  /** The container was removed. */
  forget(containerId: string): void {
    const t = this.tracked.get(containerId);
    if (t) this.clearPending(t);
    this.tracked.delete(containerId);
  }

  /** A start that a back-off fired and that is still under way (so a remove can wait for it). */
  startInProgress(containerId: string): Promise<void> | undefined { return this.tracked.get(containerId)?.starting; }

  /** Engine shutdown: pending restarts are dropped (the engine's next start decides again from the records). */
  close(): void {
    for (const t of this.tracked.values()) this.clearPending(t);
  }

  /**
   * Which stopped containers to start now that the engine is up (pure; the
   * caller starts them as manual starts: resetForManualStart, RestartCount 0).
   */
  onEngineStart(records: readonly EngineStartRecord[]): EngineStartDecision[] {
    for (const r of records) this.track(r.id, r.policy, r.restartCount);
    return decideEngineStart(records);
  }

  private clearPending(t: Tracked): void {
    if (t.pending !== undefined) this.clock.clearTimer(t.pending);
    t.pending = undefined;
  }
}
