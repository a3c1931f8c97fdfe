import { describe, expect, it } from 'vitest';
import type { ContainerRecord } from '../../../runtime/containers/container-record.js';
import { healthCheckOf, healthStartOptionsOf } from '../../../runtime/containers/health/index.js';
import { engineStartRecordOf, exitReportOf } from '../../../runtime/containers/restart/index.js';

function record(over: Partial<ContainerRecord> = {}): ContainerRecord {
  return {
    Id: 'abc', Name: '/web', Created: '2026-01-01T00:00:00Z', Path: 'sh', Args: [], Image: 'sha256:1', Runtime: 'tscrun', MonitorPid: 0,
    Config: { Healthcheck: { Test: ['CMD-SHELL', 'true'], Interval: 2e9 }, Shell: ['/bin/ash', '-c'] },
    HostConfig: { RestartPolicy: { Name: 'unless-stopped' } },
    State: {
      Status: 'exited', Running: false, Paused: false, Restarting: false, OOMKilled: false, Dead: false, Pid: 0, ExitCode: 137, Error: '',
      StartedAt: '2026-01-01T00:00:00.000Z', FinishedAt: '2026-01-01T00:00:12.500Z',
    },
    RestartCount: 2, StartCount: 3, LogPath: '', HostnamePath: '', HostsPath: '', ResolvConfPath: '',
    ...over,
  } as ContainerRecord;
}

describe('record adapters', () => {
  it('reads the engine-start view of a record', () => {
    expect(engineStartRecordOf(record({ ManuallyStopped: true }))).toEqual({
      id: 'abc', policy: { Name: 'unless-stopped' }, running: false, startedBefore: true, stoppedByUser: true, exitCode: 137, restartCount: 2,
    });
    const restarting = record();
    restarting.State = { ...restarting.State, Running: true, Restarting: true, Status: 'restarting' };
    expect(engineStartRecordOf(restarting).running).toBe(false);
  });

  it('reads the exit report from the record', () => {
    expect(exitReportOf(record())).toEqual({ exitCode: 137, stoppedByUser: false, runningForMs: 12_500 });
  });

  it('reads the health check with the container\'s shell and its start time', () => {
    expect(healthCheckOf(record())!.argv).toEqual(['/bin/ash', '-c', 'true']);
    expect(healthStartOptionsOf(record())).toEqual({ startedAtMs: Date.parse('2026-01-01T00:00:00.000Z') });
  });
});
