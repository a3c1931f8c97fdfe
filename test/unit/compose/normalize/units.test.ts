import { describe, expect, it } from 'vitest';
import { canonicalDuration, parseBytes } from '../../../../compose/normalize/units.js';
import { web } from './helpers.js';

describe('durations and sizes', () => {
  it.each([
    ['10s', '10s'],
    ['90s', '1m30s'],
    ['1m30s', '1m30s'],
    ['500ms', '500ms'],
    ['1.5s', '1.5s'],
    ['2h', '2h0m0s'],
    ['1d', '24h0m0s'],
    ['0', '0s'],
    ['100us', '100µs'],
  ])('duration %s -> %s', (input, expected) => {
    expect(canonicalDuration(input)).toBe(expected);
  });

  it.each([
    ['64m', 67108864],
    ['1g', 1073741824],
    ['1gb', 1073741824],
    ['1GiB', 1073741824],
    ['512k', 524288],
    ['1.5g', 1610612736],
    ['100', 100],
  ])('size %s -> %d', (input, expected) => {
    expect(parseBytes(input)).toBe(expected);
  });

  it('service sizes print as strings of digits (compose-go UnitBytes); stop_grace_period', () => {
    expect(web('shm_size: 64m\nmem_limit: 1g\nmemswap_limit: -1\nstop_grace_period: 1m\nulimits:\n  nproc: 65535\n  nofile:\n    soft: 20000\n    hard: 40000')).toMatchObject({
      shm_size: '67108864',
      mem_limit: '1073741824',
      memswap_limit: '-1',
      stop_grace_period: '1m0s',
      ulimits: { nproc: 65535, nofile: { soft: 20000, hard: 40000 } },
    });
  });

  it('booleans written as strings', () => {
    expect(web('init: "true"\nprivileged: "false"\ntty: true\nread_only: "1"')).toMatchObject({ init: true, tty: true, read_only: true });
    expect(web('privileged: "false"').privileged).toBeUndefined();
  });
});
