import { describe, expect, it } from 'vitest';
import { errorsOf, web } from './helpers.js';

describe('healthcheck', () => {
  it('string test runs in a shell; durations in Go spelling', () => {
    expect(web('healthcheck:\n  test: curl -f http://localhost\n  interval: 90s\n  timeout: 500ms\n  retries: "3"\n  start_period: 1h\n  start_interval: 1m30s').healthcheck).toEqual({
      test: ['CMD-SHELL', 'curl -f http://localhost'],
      timeout: '500ms',
      interval: '1m30s',
      retries: 3,
      start_period: '1h0m0s',
      start_interval: '1m30s',
    });
  });

  it('list test kept; disable', () => {
    expect(web('healthcheck:\n  test: ["CMD", "true"]').healthcheck).toEqual({ test: ['CMD', 'true'] });
    expect(web('healthcheck:\n  disable: true').healthcheck).toEqual({ disable: true });
  });

  it('a test not starting with CMD, CMD-SHELL or NONE', () => {
    expect(errorsOf('services:\n  web:\n    image: x\n    healthcheck:\n      test: ["curl", "x"]\n')).toEqual([
      'services.web.healthcheck.test must start either by "CMD", "CMD-SHELL" or "NONE"',
    ]);
  });

  it('a duration without unit', () => {
    expect(errorsOf('services:\n  web:\n    image: x\n    healthcheck:\n      interval: "10"\n')).toEqual([
      'services.web.healthcheck: invalid duration "10": use a number with a unit, like "10s", "1m30s" or "500ms"',
    ]);
  });
});
