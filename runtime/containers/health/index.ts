/**
 * Health checks, run by the engine (Docker's semantics, moby daemon/health.go).
 *
 * Wiring in the engine (ContainerManager / engine.ts):
 *
 * 1. Construct once:
 *      const health = new HealthMonitor({
 *        exec: new RuntimeExecRunner({ runtimePath: runtime.path, runtimeRoot: runtime.root }),
 *        onStatusChange: (id, status) => emit('health_status: ' + status, id, attrs),   // Docker's action text
 *        onExecEvent: (id, e) => emit(e.action + ': ' + e.command, id, attrs),          // optional, Docker does it
 *      });
 *    (one runner per OCI runtime if containers use several: pick by record.Runtime.)
 *
 * 2. At create: `validateHealthConfig(body.Healthcheck)`; a HealthConfigError is a 400
 *    with its message. Keep the merged config in the record's Config.Healthcheck:
 *    `mergeHealthConfig(userConfig.Healthcheck, image.Healthcheck)` (merge-config.ts
 *    today takes the image's only when the user gave none; Docker merges field by
 *    field — an empty Test inherits the image's).
 *
 * 3. After every start (startNow, after the `start` event; also for a policy restart,
 *    and for each running container reattached by load()):
 *      health.start(id, healthCheckOf(rec), healthStartOptionsOf(rec));
 *    (= resolveHealthCheck(rec.Config.Healthcheck, rec.Config.Shell), start period from
 *    State.StartedAt).
 *    It resets the status to `starting` (no event) and keeps the log. NONE or no
 *    Test: nothing runs and state() stays undefined.
 *
 * 4. On exit (handleExit, before `die`), on pause, and on stop: health.stop(id)
 *    (status becomes `unhealthy` as in Docker; the log stays for inspect). On unpause:
 *    health.start(id, check, { startedAtMs, previous: health.state(id) }).
 *    On remove: health.forget(id). On engine shutdown: await health.close().
 *
 * 5. Inspect: `State.Health = health.state(id)` when defined (leave it out otherwise:
 *    Docker omits Health for containers without a check). `docker ps` status:
 *    `statusText(...) + healthStatusSuffix(health.state(id))` while running
 *    (`Up 5 seconds (health: starting)`). The `health` list filter
 *    (`starting|healthy|unhealthy|none`) reads health.state(id)?.Status ?? 'none'.
 *
 * 6. Optional: persist health.state(id) into the record from onProbe so a restarted
 *    engine shows the last log (Docker checkpoints it best-effort); the status is
 *    reset to `starting` at reattach anyway.
 */
export { systemClock, FakeClock, type Clock, type TimerHandle } from './clock.js';
export {
  DEFAULT_INTERVAL_MS, DEFAULT_RETRIES, DEFAULT_START_INTERVAL_MS, DEFAULT_START_PERIOD_MS, DEFAULT_TIMEOUT_MS,
  HealthConfigError, goDuration, mergeHealthConfig, resolveHealthCheck, validateHealthConfig, type ResolvedHealthCheck,
} from './health-config.js';
export {
  MAX_LOG_ENTRIES, MAX_OUTPUT_BYTES, applyProbeResult, healthStatusSuffix, initialHealthState, nextProbeDelay, truncateOutput,
  type HealthLogEntry, type HealthState, type HealthStatus, type ProbeResult,
} from './health-state.js';
export { RuntimeExecRunner, type ExecRequest, type ExecResult, type ExecRunner, type RuntimeExecRunnerOptions } from './exec-runner.js';
export { HealthMonitor, type HealthMonitorOptions, type HealthProbeEvent, type HealthStartOptions } from './health-monitor.js';
export { healthCheckOf, healthStartOptionsOf } from './record-adapter.js';
