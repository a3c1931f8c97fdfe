// The engine's `delete` through a runtime's CLI: tscrun gets the containers
// asked for while one of its `delete` processes runs in the next process
// (containers exiting together cost a few processes, not one each); other
// runtimes get one process per container and no tscrun-only flag. The
// runtimes here are shell scripts that log their arguments.

import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliOciRuntime } from '../../../runtime/containers/oci-runtime.js';

let base = '';

beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), 'tsct-oci-delete-'));
});

afterAll(() => {
  rmSync(base, { recursive: true, force: true });
});

/** A fake runtime named `name` in its own folder: logs each call's arguments after `--root R`, then exits `code`. */
function fakeRuntime(name: string, code = 0): { rt: CliOciRuntime; calls: () => string[][] } {
  const dir = mkdtempSync(join(base, `${name}-`));
  const log = join(dir, 'calls.log');
  const bin = join(dir, name);
  writeFileSync(bin, `#!/bin/sh\nshift 2\necho "$*" >> '${log}'\nsleep 0.2\n${code ? `echo 'delete: it failed' >&2\n` : ''}exit ${code}\n`);
  chmodSync(bin, 0o755);
  const root = join(dir, 'state');
  for (const id of ['a', 'b', 'c', 'd']) mkdirSync(join(root, id), { recursive: true });
  const calls = (): string[][] => {
    try {
      return readFileSync(log, 'utf8').trim().split('\n').filter(Boolean).map((l) => l.split(' '));
    } catch {
      return [];
    }
  };
  return { rt: new CliOciRuntime(name, bin, root), calls };
}

describe('CliOciRuntime.delete', () => {
  it('tscrun: the deletes asked for meanwhile go together in the next process', async () => {
    const { rt, calls } = fakeRuntime('tscrun');
    const first = rt.delete('a', true, true);
    // Let the first process start, then ask for three more while it runs.
    await new Promise((r) => setTimeout(r, 50));
    await Promise.all([first, rt.delete('b', true, true), rt.delete('c', true, true), rt.delete('d', true, true)]);
    expect(calls()).toEqual([
      ['delete', '--force', '--umount-rootfs', 'a'],
      ['delete', '--force', '--umount-rootfs', 'b', 'c', 'd'],
    ]);
  });

  it('tscrun: deletes with other flags are not mixed', async () => {
    const { rt, calls } = fakeRuntime('tscrun');
    await Promise.all([rt.delete('a', true), rt.delete('b', true, true)]);
    expect(calls().sort()).toEqual([
      ['delete', '--force', '--umount-rootfs', 'b'],
      ['delete', '--force', 'a'],
    ]);
  });

  it('tscrun: a failed process fails its batch with the runtime\'s words', async () => {
    const { rt } = fakeRuntime('tscrun', 1);
    const all = [rt.delete('a', true), rt.delete('b', true)];
    for (const p of all) await expect(p).rejects.toThrow(/tscrun delete failed: .*it failed/);
  });

  it('a container without state is not deleted (no process)', async () => {
    const { rt, calls } = fakeRuntime('tscrun');
    await rt.delete('nosuch', true, true);
    expect(calls()).toEqual([]);
  });

  it('other runtimes: one process per container, no --umount-rootfs', async () => {
    const { rt, calls } = fakeRuntime('runc');
    await Promise.all([rt.delete('a', true, true), rt.delete('b', true, true)]);
    expect(calls().sort()).toEqual([
      ['delete', '--force', 'a'],
      ['delete', '--force', 'b'],
    ]);
  });
});
