import { describe, expect, it } from 'vitest';
import { mergeWeb } from './helpers.js';

describe('merge: command, entrypoint, healthcheck.test are replaced', () => {
  it('command', () => {
    expect(mergeWeb('command: [a, b]', 'command: [c]')).toEqual({ command: ['c'] });
  });
  it('command: string over list', () => {
    expect(mergeWeb('command: [a, b]', 'command: echo hi')).toEqual({ command: 'echo hi' });
  });
  it('entrypoint', () => {
    expect(mergeWeb('entrypoint: [/a]', 'entrypoint: [/b, -x]')).toEqual({ entrypoint: ['/b', '-x'] });
  });
  it('healthcheck.test is replaced while the rest of healthcheck merges', () => {
    expect(mergeWeb('healthcheck:\n  test: [CMD, a]\n  interval: 5s', 'healthcheck:\n  test: [CMD-SHELL, b]\n  retries: 3')).toEqual({
      healthcheck: { test: ['CMD-SHELL', 'b'], interval: '5s', retries: 3 },
    });
  });
});
