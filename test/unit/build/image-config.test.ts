// The pure config helpers of build steps: EXPOSE ports, Go durations of
// HEALTHCHECK options, the healthcheck itself, ENV lookups, state ids.

import { describe, expect, test } from 'vitest';
import { parseDockerfile } from '../../../runtime/build/dockerfile-parser.js';
import { blobOf, envValue, exposedPorts, healthcheckOf, parseDuration, stateId } from '../../../runtime/build/image-config.js';

const fail = (reason: string): never => { throw new Error(reason); };

describe('image config helpers', () => {
  test('EXPOSE words', () => {
    expect(exposedPorts('80', fail)).toEqual(['80/tcp']);
    expect(exposedPorts('53/UDP', fail)).toEqual(['53/udp']);
    expect(exposedPorts('8000-8002/tcp', fail)).toEqual(['8000/tcp', '8001/tcp', '8002/tcp']);
    expect(() => exposedPorts('http', fail)).toThrow('invalid containerPort: http');
    expect(() => exposedPorts('9-3', fail)).toThrow('invalid port range: 9-3');
    expect(() => exposedPorts('70000', fail)).toThrow('invalid port range: 70000');
  });

  test('Go durations in nanoseconds', () => {
    expect(parseDuration('30s')).toBe(30e9);
    expect(parseDuration('1m30s')).toBe(90e9);
    expect(parseDuration('1.5h')).toBe(5400e9);
    expect(parseDuration('500ms')).toBe(5e8);
    expect(parseDuration('0')).toBe(0);
    expect(parseDuration('10')).toBeUndefined();
    expect(parseDuration('5x')).toBeUndefined();
  });

  test('HEALTHCHECK forms and options', () => {
    const ins = (text: string) => parseDockerfile(`FROM a\n${text}\n`).instructions[1];
    expect(healthcheckOf(ins('HEALTHCHECK NONE'), fail)).toEqual({ Test: ['NONE'] });
    expect(healthcheckOf(ins('HEALTHCHECK --interval=10s --start-period=1m --retries=2 CMD curl -f http://localhost/'), fail)).toEqual({
      Test: ['CMD-SHELL', 'curl -f http://localhost/'], Interval: 10e9, StartPeriod: 60e9, Retries: 2,
    });
    expect(healthcheckOf(ins('HEALTHCHECK CMD ["pg_isready", "-q"]'), fail)).toEqual({ Test: ['CMD', 'pg_isready', '-q'] });
    expect(() => healthcheckOf(ins('HEALTHCHECK --interval=soon CMD true'), fail)).toThrow('invalid --interval=soon: give a duration like 30s or 1m30s');
    expect(() => healthcheckOf(ins('HEALTHCHECK --timeout=10ns CMD true'), fail)).toThrow('--timeout cannot be less than 1ms');
    expect(() => healthcheckOf(ins('HEALTHCHECK --retries=x CMD true'), fail)).toThrow('invalid --retries=x: give a whole number');
  });

  test('ENV lookups and state ids', () => {
    expect(envValue(['A=1', 'B=x=y', 'C'], 'B')).toBe('x=y');
    expect(envValue(['C'], 'C')).toBe('');
    expect(envValue(undefined, 'A')).toBeUndefined();
    const state = { architecture: 'amd64', os: 'linux', diffIds: ['sha256:' + 'a'.repeat(64)], config: { Env: ['A=1'] }, history: [], created: '2026-01-01T00:00:00Z' };
    expect(blobOf(state)).toEqual({ architecture: 'amd64', os: 'linux', created: '2026-01-01T00:00:00Z', config: { Env: ['A=1'] }, rootfs: { type: 'layers', diff_ids: state.diffIds }, history: [] });
    expect(stateId(state)).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(stateId({ ...state })).toBe(stateId(state));
    expect(stateId({ ...state, created: '2026-01-02T00:00:00Z' })).not.toBe(stateId(state));
  });
});
