import { describe, expect, it } from 'vitest';
import { FakeClock, RestartManager, type ContainerControl } from '../../../runtime/containers/restart/index.js';

/** Records what the manager asks for; start() resolves (or fails) as told. */
class RecordingControl implements ContainerControl {
  log: string[] = [];
  starts: Array<{ id: string; at: number }> = [];
  failStart = false;
  constructor(private readonly clock: FakeClock) {}
  markRestarting(id: string, n: number): void { this.log.push(`restarting ${id} ${n}`); }
  async start(id: string): Promise<void> {
    this.starts.push({ id, at: this.clock.now() });
    this.log.push(`start ${id}`);
    if (this.failStart) throw new Error('rootfs is gone');
  }
  markStopped(id: string, error?: string): void { this.log.push(`stopped ${id}${error ? `: ${error}` : ''}`); }
}

function setup() {
  const clock = new FakeClock();
  const control = new RecordingControl(clock);
  const manager = new RestartManager({ control, clock });
  return { clock, control, manager };
}

const crash = (runningForMs = 20) => ({ exitCode: 1, stoppedByUser: false, runningForMs });

describe('RestartManager', () => {
  it('restarts after the back-off 100, 200, 400 ms … up to 60 s, counting restarts', async () => {
    const { clock, control, manager } = setup();
    manager.track('c', { Name: 'always' });
    const t0 = clock.now();
    const delays: number[] = [];
    for (let i = 0; i < 12; i++) {
      const d = manager.handleExit('c', crash());
      delays.push(d.delayMs);
      expect(manager.isPending('c')).toBe(true);
      await clock.advance(d.delayMs - 1);
      expect(control.starts).toHaveLength(i);
      await clock.advance(1);
      expect(control.starts).toHaveLength(i + 1);
    }
    expect(delays).toEqual([100, 200, 400, 800, 1600, 3200, 6400, 12800, 25600, 51200, 60000, 60000]);
    expect(control.starts[0].at - t0).toBe(100);
    expect(control.log.slice(0, 2)).toEqual(['restarting c 1', 'start c']);
    expect(control.log.at(-2)).toBe('restarting c 12');
  });

  it('resets the back-off after the container ran 10 s', async () => {
    const { clock, manager } = setup();
    manager.track('c', { Name: 'unless-stopped' });
    for (const d of [100, 200, 400]) { expect(manager.handleExit('c', crash()).delayMs).toBe(d); await clock.advance(d); }
    expect(manager.handleExit('c', crash(10_000)).delayMs).toBe(100);
  });

  it('on-failure:3 stops restarting after 3 restarts', async () => {
    const { clock, control, manager } = setup();
    manager.track('c', { Name: 'on-failure', MaximumRetryCount: 3 });
    const decisions = [];
    for (let i = 0; i < 4; i++) {
      const d = manager.handleExit('c', crash());
      decisions.push(d.restart);
      await clock.advance(60_000);
    }
    expect(decisions).toEqual([true, true, true, false]);
    expect(control.starts).toHaveLength(3);
    expect(manager.onExit('c', { exitCode: 0, stoppedByUser: false, runningForMs: 1 }).restart).toBe(false);
  });

  it('a RestartCount from the record counts toward the maximum (engine restarted in between)', () => {
    const { manager } = setup();
    manager.track('c', { Name: 'on-failure', MaximumRetryCount: 2 }, 2);
    expect(manager.onExit('c', crash()).restart).toBe(false);
  });

  it('a back-off kept in the record continues doubling after an engine restart', () => {
    const { manager } = setup();
    manager.track('c', { Name: 'always' }, 5, 3200);
    expect(manager.onExit('c', crash())).toMatchObject({ delayMs: 6400, restartCount: 6 });
    expect(manager.backoffOf('c')).toEqual({ lastDelayMs: 6400, restartCount: 6 });
  });

  it('a container stopped by the user is not restarted', async () => {
    const { clock, control, manager } = setup();
    manager.track('c', { Name: 'always' });
    expect(manager.handleExit('c', { exitCode: 143, stoppedByUser: true, runningForMs: 5000 }).restart).toBe(false);
    await clock.advance(120_000);
    expect(control.log).toEqual([]);
  });

  it('stop during the back-off cancels the restart and shows it exited', async () => {
    const { clock, control, manager } = setup();
    manager.track('c', { Name: 'always' });
    manager.handleExit('c', crash());
    expect(manager.cancel('c')).toBe(true);
    expect(manager.isPending('c')).toBe(false);
    await clock.advance(1000);
    expect(control.log).toEqual(['restarting c 1', 'stopped c']);
    expect(manager.cancel('c')).toBe(false);
  });

  it('remove during the back-off drops it silently', async () => {
    const { clock, control, manager } = setup();
    manager.track('c', { Name: 'always' });
    manager.handleExit('c', crash());
    manager.forget('c');
    await clock.advance(1000);
    expect(control.log).toEqual(['restarting c 1']);
    expect(clock.pending()).toEqual([]);
  });

  it('a manual start resets RestartCount and the back-off and cancels a pending restart', async () => {
    const { clock, control, manager } = setup();
    manager.track('c', { Name: 'on-failure', MaximumRetryCount: 1 });
    manager.handleExit('c', crash());
    await clock.advance(100);
    expect(manager.onExit('c', crash()).restart).toBe(false); // retries used up
    manager.resetForManualStart('c');
    const d = manager.handleExit('c', crash());
    expect(d).toMatchObject({ restart: true, delayMs: 100, restartCount: 1 });
    manager.resetForManualStart('c');
    await clock.advance(1000);
    expect(control.starts).toHaveLength(1);
  });

  it('a restart whose start fails leaves the container exited with the error', async () => {
    const { clock, control, manager } = setup();
    control.failStart = true;
    manager.track('c', { Name: 'always' });
    manager.handleExit('c', crash());
    await clock.advance(100);
    expect(control.log).toEqual(['restarting c 1', 'start c', 'stopped c: rootfs is gone']);
  });

  it('close drops every pending restart', async () => {
    const { clock, control, manager } = setup();
    manager.track('a', { Name: 'always' });
    manager.track('b', { Name: 'always' });
    manager.handleExit('a', crash());
    manager.handleExit('b', crash());
    manager.close();
    await clock.advance(1000);
    expect(control.starts).toEqual([]);
  });

  it('onEngineStart tracks the records and answers which to start', () => {
    const { manager } = setup();
    const decisions = manager.onEngineStart([
      { id: 'u', policy: { Name: 'unless-stopped' }, running: false, startedBefore: true, stoppedByUser: true, exitCode: 0, restartCount: 0 },
      { id: 'a', policy: { Name: 'always' }, running: false, startedBefore: true, stoppedByUser: true, exitCode: 0, restartCount: 4 },
    ]);
    expect(decisions.map((d) => [d.id, d.start])).toEqual([['u', false], ['a', true]]);
    expect(manager.onExit('a', crash()).restartCount).toBe(5);
  });
});
