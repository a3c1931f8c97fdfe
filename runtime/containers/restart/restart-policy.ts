// Restart policies by Docker's rules (moby daemon/internal/restartmanager,
// daemon/monitor.go, daemon/daemon.go restore), as pure functions: parse and
// validate a policy, decide what an exit means, decide what an engine start
// means. The scheduling lives in restart-manager.ts.

import { InvalidContainerConfigError } from '../errors.js';
import type { RestartPolicy } from '../../client/types.js';

export type RestartPolicyName = 'no' | 'always' | 'unless-stopped' | 'on-failure';

/** First back-off delay; it doubles on each restart. */
export const INITIAL_DELAY_MS = 100;
/** The back-off never exceeds a minute. */
export const MAX_DELAY_MS = 60_000;
/** A container that ran this long starts its back-off over. */
export const RESET_AFTER_MS = 10_000;

/** A 400 at create: it is an InvalidContainerConfigError, so the API answers with its message as is. */
export class RestartPolicyError extends InvalidContainerConfigError {}

/** `no`, `always`, `unless-stopped`, `on-failure`, `on-failure:5` (the CLI and compose spelling). */
export function parseRestartPolicy(text: string): RestartPolicy {
  const [name, count, ...rest] = text.trim().split(':');
  if (rest.length || (count !== undefined && name !== 'on-failure')) {
    throw new RestartPolicyError(`invalid restart policy format: '${text}'; use 'no', 'always', 'unless-stopped' or 'on-failure[:max-retries]'`);
  }
  const policy = { Name: (name === '' ? 'no' : name) as RestartPolicy['Name'], MaximumRetryCount: 0 };
  if (count !== undefined) {
    if (!/^\d+$/.test(count)) throw new RestartPolicyError(`invalid restart policy format: maximum retry count must be a number, got '${count}'`);
    policy.MaximumRetryCount = Number(count);
  }
  validateRestartPolicy(policy);
  return policy;
}

/** Docker's ValidateRestartPolicy; the messages are the API's 400 texts. */
export function validateRestartPolicy(policy: RestartPolicy | undefined | null): void {
  if (!policy) return;
  const max = policy.MaximumRetryCount ?? 0;
  switch (policy.Name) {
    case 'always': case 'unless-stopped': case 'no':
      if (max !== 0) {
        throw new RestartPolicyError(`invalid restart policy: maximum retry count can only be used with 'on-failure'${max < 0 ? ' and cannot be negative' : ''}`);
      }
      return;
    case 'on-failure':
      if (max < 0) throw new RestartPolicyError('invalid restart policy: maximum retry count cannot be negative');
      return;
    case '': case undefined:
      return; // older clients send an empty name for "no"
    default:
      throw new RestartPolicyError(`invalid restart policy: unknown policy '${String(policy.Name)}'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'`);
  }
}

export function policyName(policy: RestartPolicy | undefined | null): RestartPolicyName {
  const n = policy?.Name;
  return n === 'always' || n === 'unless-stopped' || n === 'on-failure' ? n : 'no';
}

/** How a container ended, as the engine saw it. */
export interface ExitReport {
  exitCode: number;
  /** `docker stop`/`kill` (or a remove) ended it: no policy undoes that. */
  stoppedByUser: boolean;
  /** From start to exit. */
  runningForMs: number;
}

export interface RestartDecision {
  restart: boolean;
  /** Back-off before the start (0 when not restarting). */
  delayMs: number;
  /** Why, in words, for logs and tests. */
  reason: string;
  /** RestartCount after this decision (+1 when restarting). */
  restartCount: number;
}

/** What a restart policy remembers between exits. */
export interface BackoffState {
  /** The last delay handed out; 0 before the first restart or after a reset. */
  lastDelayMs: number;
  /** Docker's RestartCount: policy restarts since the last manual start. */
  restartCount: number;
}

export const freshBackoff = (restartCount = 0): BackoffState => ({ lastDelayMs: 0, restartCount });

/** 100 ms, then doubled each time up to a minute; back to 100 ms after a run of 10 s or more. */
export function nextDelay(lastDelayMs: number, runningForMs: number): number {
  const last = runningForMs >= RESET_AFTER_MS ? 0 : lastDelayMs;
  return last === 0 ? INITIAL_DELAY_MS : Math.min(last * 2, MAX_DELAY_MS);
}

/** The decision on an exit while the engine runs, and the state to keep for the next one. */
export function decideRestart(policy: RestartPolicy | undefined | null, backoff: BackoffState, exit: ExitReport): { decision: RestartDecision; backoff: BackoffState } {
  const delay = nextDelay(backoff.lastDelayMs, exit.runningForMs);
  const name = policyName(policy);
  const no = (reason: string): { decision: RestartDecision; backoff: BackoffState } => ({
    decision: { restart: false, delayMs: 0, reason, restartCount: backoff.restartCount },
    backoff: { ...backoff, lastDelayMs: delay },
  });
  if (name === 'no') return no('restart policy is "no"');
  if (exit.stoppedByUser) return no('stopped by the user: the policy does not undo that');
  if (name === 'on-failure') {
    if (exit.exitCode === 0) return no('on-failure: exited with 0');
    const max = policy?.MaximumRetryCount ?? 0;
    if (max > 0 && backoff.restartCount >= max) return no(`on-failure: gave up after ${max} restart${max === 1 ? '' : 's'}`);
  }
  const restartCount = backoff.restartCount + 1;
  const why = name === 'on-failure' ? `on-failure: exited with ${exit.exitCode}` : `${name}: exited with ${exit.exitCode}`;
  return {
    decision: { restart: true, delayMs: delay, reason: `${why}, restart ${restartCount} in ${delay} ms`, restartCount },
    backoff: { lastDelayMs: delay, restartCount },
  };
}

/** What the engine knows of a container when it starts. */
export interface EngineStartRecord {
  id: string;
  policy: RestartPolicy | undefined | null;
  /** Still running under its monitor (reattached): nothing to do. */
  running: boolean;
  /** Only containers that were started at least once are started by a policy (Docker's HasBeenStartedBefore). */
  startedBefore: boolean;
  stoppedByUser: boolean;
  exitCode: number;
  restartCount: number;
}

export interface EngineStartDecision { id: string; start: boolean; reason: string }

/**
 * At engine start: `always` starts every stopped container that ran before,
 * even one the user stopped (as dockerd does); `unless-stopped` only those
 * the user did not stop; `on-failure` those that failed, were not stopped
 * by the user and have retries left. These starts count as manual starts
 * (dockerd resets RestartCount and the user-stopped mark).
 */
export function decideEngineStart(records: readonly EngineStartRecord[]): EngineStartDecision[] {
  return records.map((r) => {
    const name = policyName(r.policy);
    const d = (start: boolean, reason: string): EngineStartDecision => ({ id: r.id, start, reason });
    if (r.running) return d(false, 'still running');
    if (name === 'no') return d(false, 'restart policy is "no"');
    if (!r.startedBefore) return d(false, 'never started');
    if (name === 'always') return d(true, 'always');
    if (r.stoppedByUser) return d(false, `${name}: stopped by the user`);
    if (name === 'unless-stopped') return d(true, 'unless-stopped: not stopped by the user');
    if (r.exitCode === 0) return d(false, 'on-failure: exited with 0');
    const max = r.policy?.MaximumRetryCount ?? 0;
    if (max > 0 && r.restartCount >= max) return d(false, `on-failure: gave up after ${max} restarts`);
    return d(true, `on-failure: exited with ${r.exitCode}`);
  });
}
