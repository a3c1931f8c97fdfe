import { describe, expect, it } from 'vitest';
import {
  HealthConfigError, goDuration, healthStatusSuffix, mergeHealthConfig, resolveHealthCheck, truncateOutput, validateHealthConfig,
} from '../../../runtime/containers/health/index.js';

const S = 1e9;

describe('health check config', () => {
  it('inherits the image check when the request has none', () => {
    const image = { Test: ['CMD-SHELL', 'curl -f localhost'], Interval: 5 * S, Retries: 5 };
    expect(mergeHealthConfig(undefined, image)).toEqual(image);
    expect(mergeHealthConfig(undefined, undefined)).toBeUndefined();
  });

  it('merges field by field like Docker: an empty Test takes the image\'s, set fields win', () => {
    const image = { Test: ['CMD', 'probe'], Interval: 5 * S, Timeout: 3 * S, Retries: 5, StartPeriod: 1 * S };
    expect(mergeHealthConfig({ Test: [], Interval: 7 * S }, image)).toEqual({
      Test: ['CMD', 'probe'], Interval: 7 * S, Timeout: 3 * S, Retries: 5, StartPeriod: 1 * S, StartInterval: undefined,
    });
    expect(mergeHealthConfig({ Test: ['NONE'] }, image)!.Test).toEqual(['NONE']);
    expect(resolveHealthCheck(mergeHealthConfig({ Test: ['NONE'] }, image))).toBeUndefined();
  });

  it('builds the argv: CMD as is, CMD-SHELL through /bin/sh -c or the container\'s Shell', () => {
    expect(resolveHealthCheck({ Test: ['CMD', 'pg_isready', '-U', 'x'] })!.argv).toEqual(['pg_isready', '-U', 'x']);
    expect(resolveHealthCheck({ Test: ['CMD-SHELL', 'test -f /a && echo ok'] })!.argv).toEqual(['/bin/sh', '-c', 'test -f /a && echo ok']);
    expect(resolveHealthCheck({ Test: ['CMD-SHELL', 'x'] }, ['/bin/bash', '-lc'])!.argv).toEqual(['/bin/bash', '-lc', 'x']);
    expect(resolveHealthCheck({ Test: ['WHAT', 'x'] })).toBeUndefined();
  });

  it('converts nanoseconds and fills Docker\'s defaults', () => {
    expect(resolveHealthCheck({ Test: ['CMD', 'x'], Interval: 1500_000_000, Timeout: 2 * S, StartPeriod: 10 * S, StartInterval: 2 * S, Retries: 7 }))
      .toMatchObject({ intervalMs: 1500, timeoutMs: 2000, startPeriodMs: 10_000, startIntervalMs: 2000, retries: 7 });
    expect(resolveHealthCheck({ Test: ['CMD', 'x'], Retries: 0 })).toMatchObject({ intervalMs: 30_000, timeoutMs: 30_000, retries: 3, startPeriodMs: 0, startIntervalMs: 5000 });
  });

  it('validates like the API, with its messages', () => {
    expect(() => validateHealthConfig({ Interval: 1000 })).toThrow(new HealthConfigError('Interval in Healthcheck cannot be less than 1ms'));
    expect(() => validateHealthConfig({ Timeout: 5 })).toThrow('Timeout in Healthcheck cannot be less than 1ms');
    expect(() => validateHealthConfig({ StartPeriod: 5 })).toThrow('StartPeriod in Healthcheck cannot be less than 1ms');
    expect(() => validateHealthConfig({ StartInterval: 5 })).toThrow('StartInterval in Healthcheck cannot be less than 1ms');
    expect(() => validateHealthConfig({ Retries: -1 })).toThrow('Retries in Healthcheck cannot be negative');
    expect(() => validateHealthConfig({ Test: ['CMD', 'x'], Interval: 0, Timeout: 1e6 })).not.toThrow();
    expect(() => validateHealthConfig(undefined)).not.toThrow();
  });

  it('prints durations as Go does', () => {
    expect(goDuration(30 * S)).toBe('30s');
    expect(goDuration(90 * S)).toBe('1m30s');
    expect(goDuration(1.5 * S)).toBe('1.5s');
    expect(goDuration(500e6)).toBe('500ms');
    expect(goDuration(3600 * S)).toBe('1h0m0s');
    expect(goDuration(0)).toBe('0s');
  });

  it('truncates at 4096 bytes without splitting a character', () => {
    expect(truncateOutput('short')).toBe('short');
    const s = 'a'.repeat(4095) + 'é' + 'zz';
    const out = truncateOutput(s);
    expect(out).toBe('a'.repeat(4095) + '...');
  });

  it('shows the status for docker ps', () => {
    expect(healthStatusSuffix(undefined)).toBe('');
    expect(healthStatusSuffix({ Status: 'starting', FailingStreak: 0, Log: [] })).toBe(' (health: starting)');
    expect(healthStatusSuffix({ Status: 'healthy', FailingStreak: 0, Log: [] })).toBe(' (healthy)');
  });
});
