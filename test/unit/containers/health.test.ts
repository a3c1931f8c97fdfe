import { describe, expect, it } from 'vitest';
import { applyProbe, healthCommand, HealthChecker, healthTimings, type HealthState, type HealthTimers } from '../../../runtime/containers/health.js';

describe('health check config', () => {
  it('turns Test into a command', () => {
    expect(healthCommand(undefined)).toBeUndefined();
    expect(healthCommand({ Test: ['NONE'] })).toBeUndefined();
    expect(healthCommand({ Test: ['CMD', 'curl', '-f', 'http://localhost'] })).toEqual(['curl', '-f', 'http://localhost']);
    expect(healthCommand({ Test: ['CMD-SHELL', 'pg_isready || exit 1'] })).toEqual(['/bin/sh', '-c', 'pg_isready || exit 1']);
  });
  it('reads nanosecond durations with Docker\'s defaults', () => {
    expect(healthTimings({})).toEqual({ intervalMs: 30000, timeoutMs: 30000, retries: 3, startPeriodMs: 0, startIntervalMs: 5000 });
    expect(healthTimings({ Interval: 2e9, Timeout: 1e9, Retries: 5, StartPeriod: 10e9, StartInterval: 5e8 })).toEqual({ intervalMs: 2000, timeoutMs: 1000, retries: 5, startPeriodMs: 10000, startIntervalMs: 500 });
  });
});

describe('probe results', () => {
  const starting: HealthState = { Status: 'starting', FailingStreak: 0, Log: [] };
  const entry = (code: number) => ({ Start: 's', End: 'e', ExitCode: code, Output: 'x' });
  it('follows dockerd', () => {
    expect(applyProbe(starting, entry(0), false, 3)).toMatchObject({ Status: 'healthy', FailingStreak: 0 });
    expect(applyProbe(starting, entry(1), true, 1)).toMatchObject({ Status: 'starting', FailingStreak: 0 });
    expect(applyProbe(starting, entry(1), false, 2)).toMatchObject({ Status: 'starting', FailingStreak: 1 });
    expect(applyProbe({ ...starting, FailingStreak: 1 }, entry(1), false, 2)).toMatchObject({ Status: 'unhealthy', FailingStreak: 2 });
    expect(applyProbe({ Status: 'healthy', FailingStreak: 0, Log: [] }, entry(1), true, 1)).toMatchObject({ Status: 'unhealthy', FailingStreak: 1 });
    let s = starting;
    for (let i = 0; i < 9; i++) s = applyProbe(s, entry(0), false, 3);
    expect(s.Log).toHaveLength(5);
  });
});

describe('HealthChecker', () => {
  it('probes on schedule and reports status changes', async () => {
    let now = 0;
    const pending: Array<{ at: number; fn: () => void }> = [];
    const clock: HealthTimers = { now: () => now, setTimeout: (fn, ms) => { const t = { at: now + ms, fn }; pending.push(t); return t; }, clearTimeout: (h) => { const i = pending.indexOf(h as never); if (i >= 0) pending.splice(i, 1); } };
    const codes = [1, 1, 0, 1, 1];
    const changes: string[] = [];
    const delays: number[] = [];
    const hc = new HealthChecker({ run: async () => ({ exitCode: codes.shift() ?? 0, output: '' }) }, (_id, st, changed) => { if (changed) changes.push(st.Status); }, clock);
    expect(hc.start('c1', { Test: ['CMD', 'check'], Interval: 10e9, Retries: 2, StartPeriod: 15e9, StartInterval: 1e9 })).toMatchObject({ Status: 'starting' });
    for (let i = 0; i < 5; i++) {
      const t = pending.shift()!;
      delays.push(t.at - now);
      now = t.at;
      t.fn();
      await new Promise((r) => setImmediate(r));
    }
    // start interval inside the start period, then the interval
    expect(delays).toEqual([1000, 1000, 1000, 10000, 10000]);
    expect(changes).toEqual(['healthy', 'unhealthy']);
    hc.stop('c1');
    expect(pending).toHaveLength(0);
  });
});
