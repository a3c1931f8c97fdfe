// Health checks and restart policies against real containers: busybox
// bundles run by native/build/tscrun under `tscrun monitor` (the engine's
// per-container monitor, which writes the exit file), each with a private
// --root. The health probe runs through the real RuntimeExecRunner
// (`tscrun exec`); the restart manager starts a SIGKILLed container again
// through a ContainerControl that relaunches the monitor, as the engine does.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  HealthMonitor, RuntimeExecRunner, resolveHealthCheck, type HealthStatus,
} from '../../../runtime/containers/health/index.js';
import { RestartManager, type ContainerControl, type RestartDecision } from '../../../runtime/containers/restart/index.js';
import { baseSpec, writeBundle } from '../../helpers/bundle.js';
import { onCleanup, runCleanups } from '../../helpers/cleanup.js';
import { uniqueName } from '../../helpers/names.js';
import { OciRuntime, runProcess } from '../../helpers/oci-runtime.js';
import { requireEnv } from '../../helpers/require-root.js';
import { TSCRUN_PATH } from '../../helpers/rootfs.js';
import { tempDir } from '../../helpers/tmp.js';

const gate = requireEnv({ root: true, binaries: ['runc', '/bin/busybox'], paths: [TSCRUN_PATH] }, 'health and restart tests');

const MS = 1e6; // nanoseconds per millisecond
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const alive = (pid: number) => existsSync(`/proc/${pid}`) && !/^\S+ \S+ Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/\(.*\)/, 'x'));

async function until<T>(what: string, fn: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(25);
  }
}

/** One container under its monitor, restartable: each start gets a fresh exit file. */
class MonitoredContainer {
  readonly id = uniqueName();
  readonly rt = OciRuntime.of('tscrun');
  readonly dir = tempDir('health');
  private readonly bundle: string;
  starts = 0;
  pid = 0;
  startedAt = 0;

  constructor(args: string[]) {
    const spec = baseSpec(args);
    spec.root.readonly = false; // `runc spec` makes it read-only; the probe's file goes in /tmp
    this.bundle = writeBundle(spec, { containerId: this.id }).dir;
    this.rt.track(this.id);
  }

  get exitFile(): string { return path.join(this.dir, `exit-${this.starts}.json`); }

  async start(): Promise<void> {
    // A stopped container of the same id is still in the runtime's state: create would refuse it.
    if (this.starts > 0) await this.rt.delete(this.id, true);
    this.starts++;
    const r = await runProcess(TSCRUN_PATH, [
      'monitor', '--id', this.id, '--bundle', this.bundle, '--runtime', this.rt.bin, '--runtime-root', this.rt.root,
      '--log-path', path.join(this.dir, 'ctr.log'), '--exit-file', this.exitFile,
    ]);
    if (r.code !== 0) throw new Error(`monitor exit ${r.code}: ${r.stderr}`);
    const ready = JSON.parse(r.stdout) as { pid: number; monitorPid: number };
    onCleanup(`kill monitor ${ready.monitorPid}`, () => { if (alive(ready.monitorPid)) process.kill(ready.monitorPid, 'SIGKILL'); });
    const s = await this.rt.start(this.id);
    if (s.code !== 0) throw new Error(`tscrun start: ${s.stderr}`);
    this.pid = ready.pid;
    this.startedAt = Date.now();
  }

  exit(): { exitCode: number; signal: string | null } | undefined {
    try { return JSON.parse(readFileSync(this.exitFile, 'utf8')) as { exitCode: number; signal: string | null }; } catch { return undefined; }
  }
}

describe.skipIf(gate.skip)('health checks on a real container', () => {
  afterEach(runCleanups);

  it('CMD-SHELL check through tscrun exec: unhealthy without the file, healthy once it exists', async () => {
    const c = new MonitoredContainer(['/bin/sh', '-c', 'sleep 600']);
    await c.start();
    const runner = new RuntimeExecRunner({ runtimePath: TSCRUN_PATH, runtimeRoot: c.rt.root, hardTimeoutMs: 20_000 });
    const events: HealthStatus[] = [];
    const monitor = new HealthMonitor({ exec: runner, onStatusChange: (_id, s) => events.push(s) });
    onCleanup('stop health monitor', () => monitor.close());
    const check = resolveHealthCheck({ Test: ['CMD-SHELL', 'test -f /tmp/ready && echo ready || { echo not yet >&2; exit 1; }'], Interval: 150 * MS, Timeout: 5000 * MS, Retries: 2 });
    expect(monitor.start(c.id, check, { startedAtMs: c.startedAt })).toBe(true);
    expect(monitor.state(c.id)!.Status).toBe('starting');

    const sick = await until('unhealthy', () => monitor.state(c.id)?.Status === 'unhealthy' && monitor.state(c.id)!);
    expect(sick.FailingStreak).toBe(2);
    expect(sick.Log[0]).toMatchObject({ ExitCode: 1, Output: 'not yet\n' });

    const touch = await runner.run({ containerId: c.id, argv: ['touch', '/tmp/ready'] });
    expect(touch).toEqual({ exitCode: 0, output: '' });
    const well = await until('healthy', () => monitor.state(c.id)?.Status === 'healthy' && monitor.state(c.id)!);
    expect(well.FailingStreak).toBe(0);
    expect(well.Log.at(-1)).toMatchObject({ ExitCode: 0, Output: 'ready\n' });
    expect(Date.parse(well.Log.at(-1)!.End)).toBeGreaterThanOrEqual(Date.parse(well.Log.at(-1)!.Start));
    expect(events).toEqual(['unhealthy', 'healthy']);
    monitor.stop(c.id);
    expect(monitor.state(c.id)!.Status).toBe('unhealthy');
  });

  it('a probe past its timeout is killed inside the container and logged as exit -1; output is capped', async () => {
    const c = new MonitoredContainer(['/bin/sh', '-c', 'sleep 600']);
    await c.start();
    const runner = new RuntimeExecRunner({ runtimePath: TSCRUN_PATH, runtimeRoot: c.rt.root });
    const big = await runner.run({ containerId: c.id, argv: ['/bin/sh', '-c', 'head -c 5000 /dev/zero | tr "\\0" x; echo; exit 3'] });
    expect(big.exitCode).toBe(3);
    expect(big.output).toBe('x'.repeat(4096));
    expect(big.truncated).toBe(true);

    const monitor = new HealthMonitor({ exec: runner });
    onCleanup('stop health monitor', () => monitor.close());
    monitor.start(c.id, resolveHealthCheck({ Test: ['CMD', 'sleep', '31'], Interval: 100 * MS, Timeout: 500 * MS, Retries: 1 }), { startedAtMs: c.startedAt });
    const st = await until('a timed-out probe', () => (monitor.state(c.id)?.Log.length ?? 0) > 0 && monitor.state(c.id)!);
    monitor.stop(c.id);
    expect(st.Status).toBe('unhealthy');
    expect(st.Log[0]).toMatchObject({ ExitCode: -1, Output: 'Health check exceeded timeout (500ms)' });
    const took = Date.parse(st.Log[0].End) - Date.parse(st.Log[0].Start);
    expect(took).toBeGreaterThanOrEqual(500);
    expect(took).toBeLessThan(3000);
    // The killed probe is gone from the container, not left behind.
    const ps = await until('the probe gone', async () => {
      const r = await runner.run({ containerId: c.id, argv: ['ps', '-o', 'args'] });
      return !r.output.includes('sleep 31') && r;
    }, 5000);
    expect(ps.output).toContain('sleep 600');
  });

  it('exec in a container that does not exist fails the probe with the runtime\'s message', async () => {
    const rt = OciRuntime.of('tscrun');
    const runner = new RuntimeExecRunner({ runtimePath: TSCRUN_PATH, runtimeRoot: rt.root });
    const r = await runner.run({ containerId: uniqueName(), argv: ['true'] });
    expect(r.exitCode).not.toBe(0);
    expect(r.output).toMatch(/tscrun exec failed|does not exist|no such/i);
  });
});

describe.skipIf(gate.skip)('restart policy on a real container', () => {
  afterEach(runCleanups);

  it('on-failure:2 restarts a SIGKILLed container twice with back-off, then leaves it exited', async () => {
    const c = new MonitoredContainer(['/bin/sh', '-c', 'sleep 600']);
    const log: string[] = [];
    const control: ContainerControl = {
      markRestarting: (id, n) => log.push(`restarting ${n}`),
      start: async () => { await c.start(); log.push(`start ${c.pid}`); },
      markStopped: (_id, err) => log.push(`stopped${err ? `: ${err}` : ''}`),
    };
    const restarts = new RestartManager({ control });
    onCleanup('close restart manager', () => restarts.close());
    restarts.track(c.id, { Name: 'on-failure', MaximumRetryCount: 2 }, 0);
    await c.start();

    const decisions: RestartDecision[] = [];
    const pids: number[] = [];
    for (let round = 0; round < 3; round++) {
      const pid = c.pid;
      pids.push(pid);
      expect((await c.rt.state(c.id)).status).toBe('running');
      process.kill(pid, 'SIGKILL');
      const exit = await until('the exit file', () => c.exit());
      expect(exit).toMatchObject({ exitCode: 137, signal: 'SIGKILL' });
      log.push('die 137');
      const killedAt = Date.now();
      const d = restarts.handleExit(c.id, { exitCode: exit.exitCode, stoppedByUser: false, runningForMs: killedAt - c.startedAt });
      decisions.push(d);
      if (!d.restart) break;
      await until('the restarted container', () => c.pid !== pid && c.pid, 15_000);
      expect(Date.now() - killedAt).toBeGreaterThanOrEqual(d.delayMs - 5);
      await until('running again', async () => (await c.rt.state(c.id)).status === 'running');
    }
    expect(decisions.map((d) => [d.restart, d.delayMs, d.restartCount])).toEqual([[true, 100, 1], [true, 200, 2], [false, 0, 2]]);
    expect(decisions[2].reason).toBe('on-failure: gave up after 2 restarts');
    expect(new Set(pids).size).toBe(3);
    expect(log.map((l) => l.replace(/start \d+/, 'start'))).toEqual([
      'die 137', 'restarting 1', 'start', 'die 137', 'restarting 2', 'start', 'die 137',
    ]);
    await sleep(500);
    expect(restarts.isPending(c.id)).toBe(false);
    expect((await c.rt.state(c.id)).status).toBe('stopped');
  });

  it('a container the user stops is not restarted by always', async () => {
    const c = new MonitoredContainer(['/bin/sh', '-c', 'trap "exit 0" TERM; sleep 600 & wait']);
    let starts = 0;
    const restarts = new RestartManager({ control: { markRestarting: () => {}, start: async () => { starts++; }, markStopped: () => {} } });
    restarts.track(c.id, { Name: 'always' });
    await c.start();
    await c.rt.kill(c.id, 'TERM');
    const exit = await until('the exit file', () => c.exit());
    const d = restarts.handleExit(c.id, { exitCode: exit.exitCode, stoppedByUser: true, runningForMs: Date.now() - c.startedAt });
    expect(d.restart).toBe(false);
    await sleep(300);
    expect(starts).toBe(0);
  });
});
