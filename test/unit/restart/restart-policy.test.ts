import { describe, expect, it } from 'vitest';
import {
  decideEngineStart, decideRestart, freshBackoff, nextDelay, parseRestartPolicy, validateRestartPolicy, type EngineStartRecord,
} from '../../../runtime/containers/restart/index.js';

const fail = (exitCode = 1, runningForMs = 50) => ({ exitCode, stoppedByUser: false, runningForMs });

describe('restart policy rules', () => {
  it('parses the CLI and compose spelling', () => {
    expect(parseRestartPolicy('always')).toEqual({ Name: 'always', MaximumRetryCount: 0 });
    expect(parseRestartPolicy('on-failure:3')).toEqual({ Name: 'on-failure', MaximumRetryCount: 3 });
    expect(parseRestartPolicy('no')).toEqual({ Name: 'no', MaximumRetryCount: 0 });
    expect(() => parseRestartPolicy('always:3')).toThrow("invalid restart policy format: 'always:3'");
    expect(() => parseRestartPolicy('on-failure:x')).toThrow("maximum retry count must be a number, got 'x'");
    expect(() => parseRestartPolicy('sometimes')).toThrow("invalid restart policy: unknown policy 'sometimes'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'");
  });

  it('validates with Docker\'s messages', () => {
    expect(() => validateRestartPolicy({ Name: 'always', MaximumRetryCount: 2 })).toThrow("invalid restart policy: maximum retry count can only be used with 'on-failure'");
    expect(() => validateRestartPolicy({ Name: 'no', MaximumRetryCount: -1 })).toThrow("can only be used with 'on-failure' and cannot be negative");
    expect(() => validateRestartPolicy({ Name: 'on-failure', MaximumRetryCount: -1 })).toThrow('invalid restart policy: maximum retry count cannot be negative');
    expect(() => validateRestartPolicy({ Name: '', MaximumRetryCount: 5 })).not.toThrow();
  });

  it('back-off: 100 ms doubling up to a minute, reset after a run of 10 s', () => {
    const seq: number[] = [];
    let last = 0;
    for (let i = 0; i < 12; i++) { last = nextDelay(last, 50); seq.push(last); }
    expect(seq).toEqual([100, 200, 400, 800, 1600, 3200, 6400, 12800, 25600, 51200, 60000, 60000]);
    expect(nextDelay(60000, 10_000)).toBe(100);
    expect(nextDelay(60000, 9_999)).toBe(60000);
  });

  it('always and unless-stopped restart on any exit; no never does', () => {
    for (const Name of ['always', 'unless-stopped'] as const) {
      expect(decideRestart({ Name }, freshBackoff(), fail(0)).decision).toMatchObject({ restart: true, delayMs: 100, restartCount: 1 });
    }
    expect(decideRestart({ Name: 'no' }, freshBackoff(), fail(1)).decision.restart).toBe(false);
    expect(decideRestart(undefined, freshBackoff(), fail(1)).decision.restart).toBe(false);
  });

  it('on-failure restarts only non-zero exits, up to MaximumRetryCount', () => {
    const policy = { Name: 'on-failure' as const, MaximumRetryCount: 3 };
    expect(decideRestart(policy, freshBackoff(), fail(0)).decision).toMatchObject({ restart: false, reason: 'on-failure: exited with 0' });
    let b = freshBackoff();
    const out: boolean[] = [];
    for (let i = 0; i < 5; i++) {
      const r = decideRestart(policy, b, fail(137));
      b = r.backoff;
      out.push(r.decision.restart);
    }
    expect(out).toEqual([true, true, true, false, false]);
    expect(b.restartCount).toBe(3);
    expect(decideRestart(policy, b, fail(1)).decision.reason).toBe('on-failure: gave up after 3 restarts');
    // 0 means no limit
    expect(decideRestart({ Name: 'on-failure', MaximumRetryCount: 0 }, { lastDelayMs: 0, restartCount: 1000 }, fail(1)).decision.restart).toBe(true);
  });

  it('a stop or kill by the user is never undone, whatever the policy', () => {
    for (const Name of ['always', 'unless-stopped', 'on-failure'] as const) {
      const d = decideRestart({ Name }, freshBackoff(), { exitCode: 137, stoppedByUser: true, runningForMs: 5 }).decision;
      expect(d).toMatchObject({ restart: false, reason: 'stopped by the user: the policy does not undo that' });
    }
  });

  it('at engine start: always even after a user stop, unless-stopped only if not, on-failure on failure with retries left', () => {
    const base: Omit<EngineStartRecord, 'id' | 'policy'> = { running: false, startedBefore: true, stoppedByUser: false, exitCode: 0, restartCount: 0 };
    const records: EngineStartRecord[] = [
      { ...base, id: 'always-stopped', policy: { Name: 'always' }, stoppedByUser: true },
      { ...base, id: 'unless-stopped-stopped', policy: { Name: 'unless-stopped' }, stoppedByUser: true },
      { ...base, id: 'unless-stopped-died', policy: { Name: 'unless-stopped' }, exitCode: 137 },
      { ...base, id: 'on-failure-1', policy: { Name: 'on-failure', MaximumRetryCount: 2 }, exitCode: 1, restartCount: 1 },
      { ...base, id: 'on-failure-exhausted', policy: { Name: 'on-failure', MaximumRetryCount: 2 }, exitCode: 1, restartCount: 2 },
      { ...base, id: 'on-failure-0', policy: { Name: 'on-failure' }, exitCode: 0 },
      { ...base, id: 'no', policy: { Name: 'no' }, exitCode: 1 },
      { ...base, id: 'running', policy: { Name: 'always' }, running: true },
      { ...base, id: 'never-started', policy: { Name: 'always' }, startedBefore: false },
    ];
    expect(Object.fromEntries(decideEngineStart(records).map((d) => [d.id, d.start]))).toEqual({
      'always-stopped': true, 'unless-stopped-stopped': false, 'unless-stopped-died': true, 'on-failure-1': true,
      'on-failure-exhausted': false, 'on-failure-0': false, no: false, running: false, 'never-started': false,
    });
  });
});
