import { describe, expect, it } from 'vitest';
import {
  FakeClock, HealthMonitor, resolveHealthCheck, type ExecRequest, type ExecResult, type ExecRunner, type HealthStatus,
} from '../../../runtime/containers/health/index.js';

const S = 1e9; // nanoseconds per second, the API's unit

/** A scripted exec: each probe takes `durationMs` of fake time and answers from `script` (the last answer repeats). */
class FakeExec implements ExecRunner {
  calls: ExecRequest[] = [];
  aborted = 0;
  constructor(private readonly clock: FakeClock, public script: Array<Partial<ExecResult> & { durationMs?: number; hang?: boolean }>) {}
  run(req: ExecRequest): Promise<ExecResult> {
    this.calls.push(req);
    const step = this.script[Math.min(this.calls.length - 1, this.script.length - 1)];
    return new Promise((resolve) => {
      const done = (): void => resolve({ exitCode: step.exitCode ?? 0, output: step.output ?? '', truncated: step.truncated });
      req.signal?.addEventListener('abort', () => { this.aborted++; resolve({ exitCode: 137, output: step.output ?? '' }); });
      if (!step.hang) this.clock.setTimer(done, step.durationMs ?? 10);
    });
  }
}

function setup(script: ConstructorParameters<typeof FakeExec>[1], config: Parameters<typeof resolveHealthCheck>[0]) {
  const clock = new FakeClock();
  const exec = new FakeExec(clock, script);
  const events: Array<[string, HealthStatus]> = [];
  const monitor = new HealthMonitor({ exec, clock, onStatusChange: (id, s) => events.push([id, s]) });
  const check = resolveHealthCheck(config)!;
  return { clock, exec, events, monitor, check };
}

describe('HealthMonitor', () => {
  it('starts as starting and is healthy after the first passing probe, one interval after start', async () => {
    const { clock, exec, events, monitor, check } = setup([{ exitCode: 0, output: 'ok\n' }], { Test: ['CMD', 'true'], Interval: 2 * S });
    monitor.start('c1', check);
    expect(monitor.state('c1')).toEqual({ Status: 'starting', FailingStreak: 0, Log: [] });
    await clock.advance(1999);
    expect(exec.calls).toHaveLength(0);
    await clock.advance(1 + 10);
    expect(exec.calls.map((c) => c.argv)).toEqual([['true']]);
    const st = monitor.state('c1')!;
    expect(st.Status).toBe('healthy');
    expect(st.Log).toEqual([{ Start: new Date(clock.now() - 10).toISOString(), End: new Date(clock.now()).toISOString(), ExitCode: 0, Output: 'ok\n' }]);
    expect(events).toEqual([['c1', 'healthy']]);
  });

  it('uses Docker defaults: first probe after 30 s', async () => {
    const { clock, exec, monitor, check } = setup([{ exitCode: 0 }], { Test: ['CMD-SHELL', 'exit 0'] });
    expect(check).toMatchObject({ argv: ['/bin/sh', '-c', 'exit 0'], intervalMs: 30_000, timeoutMs: 30_000, retries: 3, startPeriodMs: 0, startIntervalMs: 5000 });
    monitor.start('c', check);
    await clock.advance(29_999);
    expect(exec.calls).toHaveLength(0);
    await clock.advance(100);
    expect(exec.calls).toHaveLength(1);
  });

  it('becomes unhealthy after Retries consecutive failures, and healthy again on success', async () => {
    const { clock, events, monitor, check } = setup(
      [{ exitCode: 1 }, { exitCode: 1 }, { exitCode: 1 }, { exitCode: 0 }],
      { Test: ['CMD', 'check'], Interval: 1 * S, Retries: 3 },
    );
    monitor.start('c', check);
    await clock.advance(1010);
    expect(monitor.state('c')).toMatchObject({ Status: 'starting', FailingStreak: 1 });
    await clock.advance(1010);
    expect(monitor.state('c')).toMatchObject({ Status: 'starting', FailingStreak: 2 });
    await clock.advance(1010);
    expect(monitor.state('c')).toMatchObject({ Status: 'unhealthy', FailingStreak: 3 });
    await clock.advance(1010);
    expect(monitor.state('c')).toMatchObject({ Status: 'healthy', FailingStreak: 0 });
    expect(events.map((e) => e[1])).toEqual(['unhealthy', 'healthy']);
  });

  it('a healthy container stays healthy until the streak reaches Retries; events only on change', async () => {
    const { clock, events, monitor, check } = setup(
      [{ exitCode: 0 }, { exitCode: 0 }, { exitCode: 2 }, { exitCode: 0 }, { exitCode: 1 }, { exitCode: 1 }],
      { Test: ['CMD', 'x'], Interval: 1 * S, Retries: 2 },
    );
    monitor.start('c', check);
    await clock.advance(1010 * 4);
    expect(monitor.state('c')).toMatchObject({ Status: 'healthy', FailingStreak: 0 });
    await clock.advance(1010);
    expect(monitor.state('c')).toMatchObject({ Status: 'healthy', FailingStreak: 1 });
    await clock.advance(1010);
    expect(monitor.state('c')).toMatchObject({ Status: 'unhealthy', FailingStreak: 2 });
    expect(events.map((e) => e[1])).toEqual(['healthy', 'unhealthy']);
  });

  it('ignores failures during the start period, probing every start_interval there', async () => {
    const { clock, exec, monitor, check } = setup(
      [{ exitCode: 1, durationMs: 0 }],
      { Test: ['CMD', 'x'], Interval: 10 * S, StartPeriod: 5 * S, StartInterval: 1 * S, Retries: 1 },
    );
    monitor.start('c', check);
    await clock.advance(4500);
    expect(exec.calls).toHaveLength(4); // at 1, 2, 3, 4 s
    expect(monitor.state('c')).toMatchObject({ Status: 'starting', FailingStreak: 0 });
    expect(monitor.state('c')!.Log).toHaveLength(4);
    await clock.advance(500); // probe at 5 s: start period over, it counts
    expect(exec.calls).toHaveLength(5);
    expect(monitor.state('c')).toMatchObject({ Status: 'unhealthy', FailingStreak: 1 });
    await clock.advance(9_999); // back to the normal interval
    expect(exec.calls).toHaveLength(5);
    await clock.advance(1);
    expect(exec.calls).toHaveLength(6);
  });

  it('a success inside the start period ends the start interval', async () => {
    const { clock, exec, monitor, check } = setup(
      [{ exitCode: 0, durationMs: 0 }],
      { Test: ['CMD', 'x'], Interval: 10 * S, StartPeriod: 60 * S, StartInterval: 1 * S },
    );
    monitor.start('c', check);
    await clock.advance(1000);
    expect(monitor.state('c')!.Status).toBe('healthy');
    await clock.advance(9_000);
    expect(exec.calls).toHaveLength(1);
    await clock.advance(1_000);
    expect(exec.calls).toHaveLength(2);
  });

  it('the start period counts from the container start, not from monitor start', async () => {
    const { clock, monitor, check } = setup([{ exitCode: 1, durationMs: 0 }], { Test: ['CMD', 'x'], Interval: 1 * S, StartPeriod: 5 * S, Retries: 1 });
    monitor.start('c', check, { startedAtMs: clock.now() - 10_000 });
    await clock.advance(1000);
    expect(monitor.state('c')).toMatchObject({ Status: 'unhealthy', FailingStreak: 1 });
  });

  it('kills a probe past its timeout and logs it as exit -1 with Docker\'s message', async () => {
    const { clock, exec, monitor, check } = setup([{ hang: true, output: 'partial' }], { Test: ['CMD', 'sleep', '100'], Interval: 1 * S, Timeout: 2 * S, Retries: 1 });
    monitor.start('c', check);
    await clock.advance(1000 + 2000);
    expect(exec.aborted).toBe(1);
    const st = monitor.state('c')!;
    expect(st).toMatchObject({ Status: 'unhealthy', FailingStreak: 1 });
    expect(st.Log[0]).toMatchObject({ ExitCode: -1, Output: 'Health check exceeded timeout (2s): partial' });
  });

  it('default timeout message reads (30s); a probe that cannot run counts as a failure with its error', async () => {
    const clock = new FakeClock();
    let n = 0;
    const exec: ExecRunner = {
      run: (req) => n++ === 0
        ? new Promise((resolve) => req.signal?.addEventListener('abort', () => resolve({ exitCode: 137, output: '' })))
        : Promise.reject(new Error('container is not running')),
    };
    const monitor = new HealthMonitor({ exec, clock });
    monitor.start('c', resolveHealthCheck({ Test: ['CMD', 'x'], Interval: 1 * S }));
    await clock.advance(31_000);
    expect(monitor.state('c')!.Log[0]).toMatchObject({ ExitCode: -1, Output: 'Health check exceeded timeout (30s)' });
    await clock.advance(1000);
    expect(monitor.state('c')!.Log[1]).toMatchObject({ ExitCode: -1, Output: 'container is not running' });
  });

  it('keeps the last 5 log entries and truncates output to 4096 bytes with ...', async () => {
    const big = 'x'.repeat(5000);
    const script = [1, 2, 3, 4, 5, 6, 7].map((i) => ({ exitCode: i === 7 ? 0 : i, output: i === 7 ? big : `run ${i}` }));
    const { clock, monitor, check } = setup(script, { Test: ['CMD', 'x'], Interval: 1 * S, Retries: 100 });
    monitor.start('c', check);
    await clock.advance(1010 * 7);
    const log = monitor.state('c')!.Log;
    expect(log).toHaveLength(5);
    expect(log.map((e) => e.ExitCode)).toEqual([3, 4, 5, 6, 0]);
    expect(log[4].Output).toBe('x'.repeat(4096) + '...');
  });

  it('marks output the runner already cut with ...', async () => {
    const { clock, monitor, check } = setup([{ exitCode: 0, output: 'abc', truncated: true }], { Test: ['CMD', 'x'], Interval: 1 * S });
    monitor.start('c', check);
    await clock.advance(1010);
    expect(monitor.state('c')!.Log[0].Output).toBe('abc...');
  });

  it('probes never overlap: the next interval counts from the end of the previous probe', async () => {
    const { clock, exec, monitor, check } = setup([{ exitCode: 0, durationMs: 3000 }], { Test: ['CMD', 'x'], Interval: 1 * S });
    monitor.start('c', check);
    await clock.advance(1000 + 3000 + 999);
    expect(exec.calls).toHaveLength(1);
    await clock.advance(1);
    expect(exec.calls).toHaveLength(2);
  });

  it('stop ends probing (status unhealthy like dockerd, log kept); a restart resets to starting', async () => {
    const { clock, exec, events, monitor, check } = setup([{ exitCode: 0 }], { Test: ['CMD', 'x'], Interval: 1 * S });
    monitor.start('c', check);
    await clock.advance(1010);
    expect(monitor.state('c')!.Status).toBe('healthy');
    monitor.stop('c');
    expect(monitor.isChecking('c')).toBe(false);
    expect(monitor.state('c')).toMatchObject({ Status: 'unhealthy', FailingStreak: 0 });
    await clock.advance(10_000);
    expect(exec.calls).toHaveLength(1);
    expect(clock.pending()).toEqual([]);
    monitor.start('c', check);
    expect(monitor.state('c')).toMatchObject({ Status: 'starting', FailingStreak: 0 });
    expect(monitor.state('c')!.Log).toHaveLength(1);
    await clock.advance(1010);
    expect(monitor.state('c')!.Status).toBe('healthy');
    expect(events.map((e) => e[1])).toEqual(['healthy', 'healthy']);
  });

  it('stop during a probe aborts it and drops its result', async () => {
    const { clock, exec, monitor, check } = setup([{ exitCode: 0, durationMs: 5000 }], { Test: ['CMD', 'x'], Interval: 1 * S });
    monitor.start('c', check);
    await clock.advance(2000);
    expect(exec.calls).toHaveLength(1);
    monitor.stop('c');
    await clock.advance(10_000);
    expect(exec.aborted).toBe(1);
    expect(monitor.state('c')!.Log).toEqual([]);
    monitor.forget('c');
    expect(monitor.state('c')).toBeUndefined();
  });

  it('NONE, an empty Test or no config run nothing', async () => {
    const { clock, exec, monitor } = setup([{ exitCode: 0 }], undefined);
    expect(monitor.start('a', resolveHealthCheck({ Test: ['NONE'] }))).toBe(false);
    expect(monitor.start('b', resolveHealthCheck({ Test: [] }))).toBe(false);
    expect(monitor.start('c', resolveHealthCheck(undefined))).toBe(false);
    await clock.advance(120_000);
    expect(exec.calls).toHaveLength(0);
    expect(monitor.state('a')).toBeUndefined();
  });

  it('passes user, workdir and env to the runner', async () => {
    const { clock, exec, monitor, check } = setup([{ exitCode: 0 }], { Test: ['CMD', 'x'], Interval: 1 * S });
    monitor.start('c', check, { user: '1000', workingDir: '/app', env: ['A=1'] });
    await clock.advance(1010);
    expect(exec.calls[0]).toMatchObject({ containerId: 'c', argv: ['x'], user: '1000', workingDir: '/app', env: ['A=1'] });
  });

  it('reports exec events per probe when asked', async () => {
    const clock = new FakeClock();
    const seen: string[] = [];
    const monitor = new HealthMonitor({
      clock, exec: new FakeExec(clock, [{ exitCode: 3 }]),
      onExecEvent: (_id, e) => seen.push(`${e.action}: ${e.command}${e.exitCode !== undefined ? ` (${e.exitCode})` : ''}`),
    });
    monitor.start('c', resolveHealthCheck({ Test: ['CMD-SHELL', 'test -f /ready'], Interval: 1 * S }));
    await clock.advance(1010);
    expect(seen).toEqual(['exec_create: /bin/sh -c test -f /ready', 'exec_start: /bin/sh -c test -f /ready', 'exec_die: /bin/sh -c test -f /ready (3)']);
  });

  it('close stops every loop', async () => {
    const { clock, exec, monitor, check } = setup([{ exitCode: 0 }], { Test: ['CMD', 'x'], Interval: 1 * S });
    monitor.start('a', check);
    monitor.start('b', check);
    await monitor.close();
    await clock.advance(5000);
    expect(exec.calls).toHaveLength(0);
  });
});
