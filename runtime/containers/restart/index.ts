/**
 * Restart policies, applied by the engine (Docker's semantics, moby
 * daemon/internal/restartmanager and daemon/monitor.go).
 *
 * Wiring in the engine (ContainerManager / engine.ts):
 *
 * 1. Construct once: `const restarts = new RestartManager({ control })`, where
 *    `control` is implemented over ContainerManager:
 *      markRestarting(id, n): rec.RestartCount = n; rec.State = { ...exited state,
 *        Status: 'restarting', Restarting: true, Running: true (Docker keeps Running
 *        true while restarting), Pid: 0 }; persist.
 *      start(id): startNow(rec) under the container lock, WITHOUT resetting RestartCount
 *        or the user-stopped mark; emits `start` as usual (no `restart` event: Docker
 *        emits that only for `docker restart`).
 *      markStopped(id, error?): State back to `exited` (Restarting/Running false,
 *        Error = error ?? ''); persist; resolve `wait` callers waiting for not-running.
 *
 * 2. Record: `ManuallyStopped` (Docker's HasBeenManuallyStopped) — set by `stop` and
 *    by `kill` with SIGKILL or the stop signal (as dockerd's ExitOnNext), cleared by a
 *    manual `start`/`restart`. At create validate: `validateRestartPolicy(hc.RestartPolicy)`
 *    (RestartPolicyError → 400). `restarts.track(id, hc.RestartPolicy, rec.RestartCount)`
 *    at create and for every record in load().
 *
 * 3. handleExit, after the `die` event (Docker: `die` then, after the back-off,
 *    `start`) and the runtime delete/unmount:
 *      restarts.handleExit(id, exitReportOf(rec))
 *    (= { exitCode, stoppedByUser: rec.ManuallyStopped, runningForMs: FinishedAt - StartedAt })
 *    Exit waiters (`wait` with condition not-running) must resolve only when the
 *    decision is not to restart, or when markStopped runs; with condition next-exit
 *    they resolve on each exit. AutoRemove and a restart policy are exclusive (create
 *    refuses both), so the auto-remove path needs no change.
 *
 * 4. User actions: `stop`/`kill` on a restarting container → restarts.cancel(id) (it
 *    calls markStopped) and answer as for a stopped container; `start`/`restart` →
 *    restarts.resetForManualStart(id) and RestartCount = 0 before starting; `rm -f` →
 *    restarts.forget(id) (and await restarts.startInProgress(id) before tearing down);
 *    engine shutdown → restarts.close() (the back-off is not resumed; step 5 decides).
 *
 * 5. Engine start, after load() re-attached the running ones:
 *      for (const d of restarts.onEngineStart(records.map(engineStartRecordOf)))
 *        if (d.start) { restarts.resetForManualStart(d.id); clear user-stop; RestartCount = 0; start }
 *    with engineStartRecordOf(rec) = { id, policy: hc.RestartPolicy, running: State.Running
 *    && !Restarting, startedBefore: StartCount > 0, stoppedByUser: ManuallyStopped,
 *    exitCode: State.ExitCode, restartCount: RestartCount }. A container that was
 *    `restarting` when the engine died counts as stopped (its back-off is lost).
 *
 * 6. Inspect: `RestartCount` from the record; `State.Restarting`/Status `restarting`
 *    during the back-off; `docker ps`: `Restarting (137) 2 seconds ago` (already in
 *    statusText).
 */
export {
  INITIAL_DELAY_MS, MAX_DELAY_MS, RESET_AFTER_MS, RestartPolicyError, decideEngineStart, decideRestart, freshBackoff, nextDelay,
  parseRestartPolicy, policyName, validateRestartPolicy,
  type BackoffState, type EngineStartDecision, type EngineStartRecord, type ExitReport, type RestartDecision, type RestartPolicyName,
} from './restart-policy.js';
export { RestartManager, type ContainerControl, type RestartManagerOptions } from './restart-manager.js';
export { systemClock, FakeClock, type Clock } from '../health/clock.js';
export { engineStartRecordOf, exitReportOf } from './record-adapter.js';
