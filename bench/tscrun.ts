// tscrun against crun and runc: create+start+wait(+delete) of /bin/true in a
// fresh container with pid, mount, uts, ipc and net namespaces (`run` in the
// foreground does exactly that), RUNS times each, interleaved so that drift of
// the machine hits all three alike; then the RSS of `tscrun monitor` for 20
// running containers.
//
//   npm run bench -- tscrun [RUNS]
import { spawn } from 'node:child_process';
import { chmodSync, copyFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { baseSpec, writeBundle } from '../test/helpers/bundle.js';
import { runCleanups } from '../test/helpers/cleanup.js';
import { detachHugetlbFromCgroup2 } from '../test/helpers/hybrid-cgroup.js';
import { uniqueName } from '../test/helpers/names.js';
import { OciRuntime, type RuntimeName, runProcess, runtimeBinary } from '../test/helpers/oci-runtime.js';
import { tempDir } from '../test/helpers/tmp.js';
import type { BenchModule } from './run.js';

const NAMESPACES = ['pid', 'mount', 'uts', 'ipc', 'network'];
const MONITORED = 20;

function stats(ms: number[]) {
  const s = [...ms].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
  const r = (x: number) => Math.round(x * 100) / 100;
  return {
    runs: s.length,
    medianMs: r(q(50)),
    p95Ms: r(q(95)),
    minMs: r(s[0]),
    maxMs: r(s[s.length - 1]),
    meanMs: r(s.reduce((a, b) => a + b, 0) / s.length),
  };
}

/** Wall time of one `run` of /bin/true, from spawn to exit, in ms. */
function timedRun(rt: OciRuntime, bundle: string): Promise<{ ms: number; code: number | null; stderr: string }> {
  const id = uniqueName('tsctb');
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(rt.bin, ['--root', rt.root, 'run', '--bundle', bundle, id], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('exit', (code) => {
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      resolve({ ms, code, stderr });
    });
  });
}

/** A snapshot of the runtime binary: a rebuild during the run (make in
 * another shell) must not fail or change what is measured. */
let tscrunCopy: string | undefined;
function binaryOf(name: RuntimeName): string | undefined {
  const bin = runtimeBinary(name);
  if (name !== 'tscrun' || !bin) return bin;
  if (!tscrunCopy) {
    tscrunCopy = path.join(tempDir('bin'), 'tscrun');
    copyFileSync(bin, tscrunCopy);
    chmodSync(tscrunCopy, 0o755);
  }
  return tscrunCopy;
}

async function startup(runs: number) {
  const names: RuntimeName[] = ['tscrun', 'crun', 'runc'];
  const rts: OciRuntime[] = [];
  const skipped: Record<string, string> = {};
  const bundles = new Map<string, string>();
  for (const n of names) {
    const bin = binaryOf(n);
    if (!bin) {
      skipped[n] = n === 'tscrun' ? 'native/build/tscrun is not built (make -C native)' : `${n} is not installed`;
      continue;
    }
    const rt = new OciRuntime(n, bin);
    const spec = baseSpec(['/bin/true']);
    spec.linux.namespaces = NAMESPACES.map((type) => ({ type }));
    const b = writeBundle(spec, { containerId: uniqueName(`tsctb${n}`) });
    // Warm-up (page cache, first cgroup creation) and a check that it works.
    const first = await timedRun(rt, b.dir);
    if (first.code !== 0) {
      skipped[n] = `${n} run failed (exit ${first.code}): ${first.stderr.trim().slice(0, 300)}`;
      continue;
    }
    await timedRun(rt, b.dir);
    bundles.set(n, b.dir);
    rts.push(rt);
  }
  const times = new Map<string, number[]>(rts.map((r) => [r.name, []]));
  const failures = new Map<string, number>();
  for (let i = 0; i < runs; i++) {
    // Rotate the order so that no runtime always runs right after another.
    for (let k = 0; k < rts.length; k++) {
      const rt = rts[(i + k) % rts.length];
      const r = await timedRun(rt, bundles.get(rt.name)!);
      if (r.code === 0) times.get(rt.name)!.push(r.ms);
      else failures.set(rt.name, (failures.get(rt.name) ?? 0) + 1);
    }
  }
  const results: Record<string, unknown> = {};
  for (const rt of rts) results[rt.name] = { ...stats(times.get(rt.name)!), failures: failures.get(rt.name) ?? 0, binary: rt.bin };
  const med = (n: string) => (results[n] as { medianMs: number } | undefined)?.medianMs;
  const p95 = (n: string) => (results[n] as { p95Ms: number } | undefined)?.p95Ms;
  const ratio = (a?: number, b?: number) => (a && b ? Math.round((a / b) * 1000) / 1000 : null);
  return {
    namespaces: NAMESPACES,
    command: '/bin/true (busybox), foreground `run`: create + start + wait + delete',
    runsEach: runs,
    results,
    ratios: {
      tscrunOverCrunMedian: ratio(med('tscrun'), med('crun')),
      tscrunOverRuncMedian: ratio(med('tscrun'), med('runc')),
      tscrunOverCrunP95: ratio(p95('tscrun'), p95('crun')),
      crunOverRuncMedian: ratio(med('crun'), med('runc')),
    },
    target: 'tscrun median at or below crun median',
    targetMet: med('tscrun') !== undefined && med('crun') !== undefined ? med('tscrun')! <= med('crun')! : null,
    skipped,
  };
}

function rssKiB(pid: number): { rss: number; pss: number | null } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rss = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  let pss: number | null = null;
  try {
    pss = Number(/Pss:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? NaN);
  } catch {
    /* older kernels */
  }
  return { rss, pss };
}

async function monitorRss(): Promise<Record<string, unknown>> {
  const tscrun = binaryOf('tscrun');
  if (!tscrun) return { skipped: 'native/build/tscrun is not built' };
  const help = await runProcess(tscrun, ['monitor', '--help'], { timeoutMs: 5000 }).catch(() => undefined);
  if (!help || /unknown command|usage: tscrun (create|run)/i.test(help.stderr + help.stdout) && !/monitor/.test(help.stderr + help.stdout)) {
    return { skipped: 'tscrun has no monitor subcommand yet' };
  }
  // The monitor drives any runtime; tscrun's own when it works, runc otherwise.
  for (const runtimeName of ['tscrun', 'runc'] as RuntimeName[]) {
    const rtBin = binaryOf(runtimeName);
    if (!rtBin) continue;
    const rt = new OciRuntime(runtimeName, rtBin);
    const dir = tempDir('mon');
    const monitors: Array<{ id: string; monitorPid: number }> = [];
    let error = '';
    try {
      for (let i = 0; i < MONITORED; i++) {
        const id = uniqueName('tsctm');
        const spec = baseSpec(['/bin/sleep', '3600']);
        spec.linux.namespaces = NAMESPACES.map((type) => ({ type }));
        const b = writeBundle(spec, { containerId: id });
        rt.track(id);
        const r = await runProcess(
          tscrun,
          ['monitor', '--id', id, '--bundle', b.dir, '--runtime', rtBin, '--runtime-root', rt.root,
            '--log-path', path.join(dir, `${id}.log`), '--exit-file', path.join(dir, `${id}.exit`)],
          { timeoutMs: 20_000 },
        );
        const m = /"monitorPid"\s*:\s*(\d+)/.exec(r.stdout);
        if (r.code !== 0 || !m) {
          error = `monitor for ${id} failed (exit ${r.code}): ${(r.stderr || r.stdout).trim().slice(0, 300)}`;
          break;
        }
        monitors.push({ id, monitorPid: Number(m[1]) });
        const s = await rt.start(id);
        if (s.code !== 0) {
          error = `${runtimeName} start ${id} failed: ${s.stderr.trim().slice(0, 300)}`;
          break;
        }
      }
      if (!error) {
        await new Promise((r) => setTimeout(r, 500));
        const per = monitors.map((m) => rssKiB(m.monitorPid));
        const rss = per.map((p) => p.rss).sort((a, b) => a - b);
        const pss = per.map((p) => p.pss).filter((p): p is number => p !== null);
        return {
          runtime: runtimeName,
          containers: monitors.length,
          rssKiB: { median: rss[Math.floor(rss.length / 2)], max: rss[rss.length - 1], total: rss.reduce((a, b) => a + b, 0) },
          pssKiB: pss.length ? { total: pss.reduce((a, b) => a + b, 0), max: Math.max(...pss) } : null,
          target: 'under 1 MiB (1024 KiB) RSS per monitor',
          targetMet: rss[rss.length - 1] < 1024,
        };
      }
    } finally {
      for (const m of monitors) await rt.kill(m.id, 'KILL').catch(() => undefined);
      for (const m of monitors) await rt.delete(m.id, true).catch(() => undefined);
      // Monitors end once their container is gone; one that does not is ended here.
      await new Promise((r) => setTimeout(r, 300));
      for (const m of monitors) {
        try {
          process.kill(m.monitorPid, 0);
          process.kill(m.monitorPid, 'SIGKILL');
        } catch {
          /* already exited */
        }
      }
    }
    if (runtimeName === 'runc') return { skipped: error };
    console.error(`bench: monitor with tscrun as runtime: ${error}; trying runc`);
  }
  return { skipped: 'no runtime to monitor' };
}

const bench: BenchModule = {
  description: 'tscrun vs crun vs runc: create+start+wait of /bin/true (pid, mount, uts, ipc, net ns); monitor RSS for 20 containers',
  async run(args) {
    if (process.getuid?.() !== 0) throw new Error('the tscrun benchmark starts containers: run it as root');
    const runs = Number(args[0] ?? 50);
    const hugetlb = detachHugetlbFromCgroup2();
    try {
      const startupResult = await startup(runs);
      const monitor = await monitorRss();
      return { startup: startupResult, monitor, hostSetup: `for crun 1.8 on this hybrid host: ${hugetlb.note}` };
    } finally {
      await runCleanups().catch((e: unknown) => console.error(`bench: cleanup: ${(e as Error).message}`));
      hugetlb.undo();
    }
  },
};

export default bench;
