// Polls a container's inspect until it meets a condition: healthy
// (service_healthy), exited 0 (service_completed_successfully), or running /
// healthy (`up --wait`). Polling at docker compose's 500ms; the clock is
// injected so tests do not sleep.

import { EngineApiError } from '../../../runtime/client/index.js';
import type { Clock } from './clock.js';
import type { Engine } from './engine-port.js';
import { exitCodeInWords } from './errors.js';

export type AwaitGoal = 'healthy' | 'completed' | 'ready';

export type AwaitOutcome =
  | { readonly ok: true; readonly status: 'Healthy' | 'Exited' | 'Running' }
  | { readonly ok: false; readonly reason: string; readonly exitCode?: number };

export interface AwaitOptions {
  readonly clock: Clock;
  readonly pollMs?: number;
  /** Absolute time (clock.now()) to give up at; none: wait as long as the container lives. */
  readonly deadline?: number;
  readonly signal?: AbortSignal;
}

export async function awaitContainer(engine: Engine, containerName: string, goal: AwaitGoal, options: AwaitOptions): Promise<AwaitOutcome> {
  const pollMs = options.pollMs ?? 500;
  for (;;) {
    let info;
    try {
      info = await engine.inspectContainer(containerName);
    } catch (err) {
      if (err instanceof EngineApiError && err.isNotFound) return { ok: false, reason: 'was removed' };
      throw err;
    }
    const state = info.State;
    const health = state.Health?.Status;
    if (goal === 'completed') {
      if (state.Status === 'exited' || state.Status === 'dead') {
        return state.ExitCode === 0 ? { ok: true, status: 'Exited' } : { ok: false, reason: `exited with code ${exitCodeInWords(state.ExitCode)}`, exitCode: state.ExitCode };
      }
    } else {
      if (state.Status === 'exited' || state.Status === 'dead') {
        return { ok: false, reason: `exited (${exitCodeInWords(state.ExitCode)})`, exitCode: state.ExitCode };
      }
      // Like docker compose, judge by the container's config: an engine may
      // leave State.Health out until the first check has run.
      const test = info.Config?.Healthcheck?.Test;
      const hasHealthcheck = health !== undefined || (test !== undefined && test.length > 0 && test[0] !== 'NONE');
      if (goal === 'healthy' && !hasHealthcheck) {
        return { ok: false, reason: 'has no healthcheck configured' };
      }
      if (health === 'healthy') return { ok: true, status: 'Healthy' };
      if (health === 'unhealthy') return { ok: false, reason: 'is unhealthy' };
      if (goal === 'ready' && !hasHealthcheck && state.Status === 'running') return { ok: true, status: 'Running' };
    }
    if (options.deadline !== undefined && options.clock.now() >= options.deadline) {
      return { ok: false, reason: `is not ${goal === 'completed' ? 'done' : goal === 'healthy' ? 'healthy' : 'ready'} in time (state ${state.Status}${health ? `, ${health}` : ''})` };
    }
    await options.clock.sleep(pollMs, options.signal);
  }
}
