// Restart policies (`no`, `always`, `unless-stopped`, `on-failure[:N]`),
// decided as dockerd's restart manager does, and its back-off: 100 ms,
// doubling at each restart, back to 100 ms once a run lasted 10 s.

import type { RestartPolicy } from '../client/types.js';

export interface RestartFacts {
  exitCode: number;
  /** Restarts so far in this series. */
  restartCount: number;
  /** Stopped or killed through the API: only a daemon restart brings `always` back. */
  manuallyStopped: boolean;
  /** The engine is starting and restoring containers (not a container exit). */
  engineStart?: boolean;
}

export function shouldRestart(policy: RestartPolicy | undefined, f: RestartFacts): boolean {
  const name = policy?.Name ?? 'no';
  switch (name) {
    case 'always':
      return !f.manuallyStopped || !!f.engineStart;
    case 'unless-stopped':
      return !f.manuallyStopped;
    case 'on-failure': {
      if (f.manuallyStopped || f.exitCode === 0) return false;
      const max = policy?.MaximumRetryCount ?? 0;
      return max <= 0 || f.restartCount < max;
    }
    default:
      return false;
  }
}

export const RESTART_BASE_MS = 100;
export const RESTART_MAX_MS = 60_000;
/** A run at least this long resets the back-off. */
export const RESTART_RESET_AFTER_MS = 10_000;

/** Delay before the next restart, given the previous delay and how long the last run lasted. */
export function nextRestartDelay(previousMs: number, lastRunMs: number): number {
  if (previousMs <= 0 || lastRunMs >= RESTART_RESET_AFTER_MS) return RESTART_BASE_MS;
  return Math.min(previousMs * 2, RESTART_MAX_MS);
}
