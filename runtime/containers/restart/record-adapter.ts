// From the engine's container record to what the restart rules read. The
// user-stopped mark is the record's ManuallyStopped (Docker's
// HasBeenManuallyStopped): set by stop and kill, cleared by a manual start.

import type { ContainerRecord } from '../container-record.js';
import type { EngineStartRecord, ExitReport } from './restart-policy.js';

export function engineStartRecordOf(rec: ContainerRecord): EngineStartRecord {
  return {
    id: rec.Id,
    policy: rec.HostConfig.RestartPolicy,
    // A container in its back-off when the engine went down is not running: the policy decides again.
    running: rec.State.Running && !rec.State.Restarting,
    startedBefore: rec.StartCount > 0,
    stoppedByUser: !!rec.ManuallyStopped,
    exitCode: rec.State.ExitCode,
    restartCount: rec.RestartCount,
  };
}

/** The exit as the policy sees it, from the record after handleExit stored ExitCode and FinishedAt. */
export function exitReportOf(rec: ContainerRecord): ExitReport {
  const ran = Date.parse(rec.State.FinishedAt) - Date.parse(rec.State.StartedAt);
  return {
    exitCode: rec.State.ExitCode,
    stoppedByUser: !!rec.ManuallyStopped,
    runningForMs: Number.isFinite(ran) && ran > 0 ? ran : 0,
  };
}
