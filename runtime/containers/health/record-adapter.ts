// From the engine's container record to what the health monitor runs.

import type { ContainerRecord } from '../container-record.js';
import { resolveHealthCheck, type ResolvedHealthCheck } from './health-config.js';
import type { HealthStartOptions } from './health-monitor.js';

/** The check of a created container (Config.Healthcheck already merged with the image's at create). */
export function healthCheckOf(rec: ContainerRecord): ResolvedHealthCheck | undefined {
  return resolveHealthCheck(rec.Config.Healthcheck, rec.Config.Shell);
}

/** Start options for a container that has just started (or was reattached). */
export function healthStartOptionsOf(rec: ContainerRecord): HealthStartOptions {
  const started = Date.parse(rec.State.StartedAt);
  return Number.isFinite(started) ? { startedAtMs: started } : {};
}
