import { describe, expect, it } from 'vitest';
import { nextRestartDelay, shouldRestart } from '../../../runtime/containers/restart-policy.js';

describe('restart policy', () => {
  const f = { exitCode: 1, restartCount: 0, manuallyStopped: false };
  it('decides like dockerd', () => {
    expect(shouldRestart(undefined, f)).toBe(false);
    expect(shouldRestart({ Name: 'no' }, f)).toBe(false);
    expect(shouldRestart({ Name: 'always' }, { ...f, exitCode: 0 })).toBe(true);
    expect(shouldRestart({ Name: 'always' }, { ...f, manuallyStopped: true })).toBe(false);
    expect(shouldRestart({ Name: 'always' }, { ...f, manuallyStopped: true, engineStart: true })).toBe(true);
    expect(shouldRestart({ Name: 'unless-stopped' }, { ...f, manuallyStopped: true, engineStart: true })).toBe(false);
    expect(shouldRestart({ Name: 'unless-stopped' }, { ...f, exitCode: 0 })).toBe(true);
    expect(shouldRestart({ Name: 'on-failure' }, { ...f, exitCode: 0 })).toBe(false);
    expect(shouldRestart({ Name: 'on-failure' }, { ...f, restartCount: 100 })).toBe(true);
    expect(shouldRestart({ Name: 'on-failure', MaximumRetryCount: 2 }, { ...f, restartCount: 1 })).toBe(true);
    expect(shouldRestart({ Name: 'on-failure', MaximumRetryCount: 2 }, { ...f, restartCount: 2 })).toBe(false);
    expect(shouldRestart({ Name: 'on-failure' }, { ...f, manuallyStopped: true })).toBe(false);
  });
  it('backs off from 100 ms, doubling to a minute, reset by a 10 s run', () => {
    expect(nextRestartDelay(0, 0)).toBe(100);
    expect(nextRestartDelay(100, 50)).toBe(200);
    expect(nextRestartDelay(400, 9_999)).toBe(800);
    expect(nextRestartDelay(800, 10_000)).toBe(100);
    expect(nextRestartDelay(51_200, 0)).toBe(60_000);
    expect(nextRestartDelay(60_000, 0)).toBe(60_000);
  });
});
