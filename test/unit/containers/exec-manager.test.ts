// ExecManager's bookkeeping without a runtime: what a TTY exec needs, and
// resizes that come before start (the docker CLI sends one right after it).
import { describe, expect, it } from 'vitest';
import { InvalidContainerConfigError } from '../../../runtime/containers/errors.js';
import { ExecManager, ExecNotFoundError, type ExecHost } from '../../../runtime/containers/exec-manager.js';
import type { ContainerRecord } from '../../../runtime/containers/container-record.js';

function host(relay: string | undefined): ExecHost {
  const rec = { Id: 'c'.repeat(64), State: { Running: true, Paused: false } } as unknown as ContainerRecord;
  return {
    find: () => rec, dirOf: () => '/nonexistent', runtimeOf: () => { throw new Error('no runtime in unit tests'); },
    execRelay: () => relay, emit: () => {},
  };
}

describe('ExecManager', () => {
  it('refuses a TTY exec without the native relay, saying how to get it', () => {
    const m = new ExecManager(host(undefined));
    expect(() => m.create('c', { Cmd: ['sh'], Tty: true })).toThrow(InvalidContainerConfigError);
    expect(() => m.create('c', { Cmd: ['sh'], Tty: true })).toThrow(/make -C native/);
    expect(m.create('c', { Cmd: ['sh'] }).Id).toMatch(/^[0-9a-f]{64}$/);
  });

  it('takes a TTY exec with the relay; resize before start is kept, a non-TTY exec has nothing to resize', () => {
    const m = new ExecManager(host('/x/tscrun'));
    const { Id } = m.create('c', { Cmd: ['sh'], Tty: true, ConsoleSize: [24, 80] });
    expect(m.inspect(Id)).toMatchObject({ Running: false, ExitCode: null, ProcessConfig: { tty: true, entrypoint: 'sh' } });
    expect(m.resize(Id, 40, 120)).toBe(true);
    const plain = m.create('c', { Cmd: ['true'] }).Id;
    expect(m.resize(plain, 40, 120)).toBe(false);
    expect(() => m.resize('nope', 1, 1)).toThrow(ExecNotFoundError);
  });
});
