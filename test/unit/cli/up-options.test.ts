// `up` flags -> the planner's options.
import { describe, expect, test } from 'vitest';
import { reconcileOptionsOf } from '../../../compose/cli/commands/up.js';
import { parseScale } from '../../../compose/cli/commands/options.js';

describe('up flags', () => {
  test('map onto ReconcileOptions', () => {
    expect(
      reconcileOptionsOf(['web'], { deps: false, forceRecreate: true, removeOrphans: true, scale: ['web=3'], build: true, pull: 'always', start: false, timeout: 5 }, true),
    ).toEqual({
      services: ['web'],
      noDeps: true,
      forceRecreate: true,
      noRecreate: false,
      alwaysRecreateDeps: undefined,
      renewAnonVolumes: undefined,
      removeOrphans: true,
      scale: { web: 3 },
      build: 'always',
      pull: 'always',
      noStart: true,
      timeout: 5,
    });
  });

  test('--no-build only when typed; --build and --no-build default to the policy', () => {
    expect(reconcileOptionsOf([], { build: false }, true).build).toBe('never');
    expect(reconcileOptionsOf([], { build: true }, false).build).toBeUndefined();
  });

  test('conflicting and malformed flags are one sentence each', () => {
    expect(() => reconcileOptionsOf([], { forceRecreate: true, recreate: false }, false)).toThrow('--force-recreate and --no-recreate are incompatible: use one of them');
    expect(() => parseScale(['web'])).toThrow('--scale takes SERVICE=NUMBER, like --scale web=3, not "web"');
    expect(() => reconcileOptionsOf([], { pull: 'sometimes' }, false)).toThrow('--pull takes always, missing or never, not "sometimes"');
  });
});
