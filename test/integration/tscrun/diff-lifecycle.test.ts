// The runc command line as the engine drives it: create, state, start, exec,
// kill, delete, and a terminal handed over through --console-socket. Each
// scenario runs under runc and tscrun; the recorded steps (exit codes, state
// JSON, probe output) must match after normalization.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { baseSpec, writeBundle, type OciSpec } from '../../helpers/bundle.js';
import { onCleanup, runCleanups } from '../../helpers/cleanup.js';
import { type CaseCtx, normalizeLines, nsIdOf, PROBE, STRICT, tscrunAvailable } from '../../helpers/differential.js';
import { uniqueName } from '../../helpers/names.js';
import { OciRuntime, type OciState, probeLines, readFileOr, runProcess, type RuntimeName } from '../../helpers/oci-runtime.js';
import { requireEnv } from '../../helpers/require-root.js';
import { PROBE_PATH, TSCRUN_PATH } from '../../helpers/rootfs.js';
import { tempDir } from '../../helpers/tmp.js';

/** Scenarios tscrun does not pass yet, with the reason (shrink as it grows). */
const TSCRUN_KNOWN_GAPS: Record<string, string> = {};

type Record_ = { steps: Array<Record<string, unknown>> };

/** The OCI-defined part of `state` (runc adds rootfs, created, owner). */
function stateView(st: OciState | undefined, id: string, bundle: string): Record<string, unknown> {
  if (!st) return { state: 'none' };
  return {
    id: st.id === id ? '<id>' : st.id,
    status: st.status,
    // A stopped container's pid is 0 (runc) or the old one: neither is usable.
    pid: st.status === 'stopped' ? 'none' : typeof st.pid === 'number' && st.pid > 0 ? 'live' : st.pid ?? 'none',
    bundle: st.bundle === bundle ? '<bundle>' : st.bundle,
  };
}

async function stateOf(rt: OciRuntime, id: string): Promise<OciState | undefined> {
  return rt.state(id).catch(() => undefined);
}

async function waitFor(pred: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Starts `tsc-probe consock SOCK`: it takes the pty master a runtime sends
 * and copies what the container writes to it until the pty closes. */
async function consoleReceiver() {
  const sock = path.join(tempDir('sock'), 'console.sock');
  const recv = spawn(PROBE_PATH, ['consock', sock], { stdio: ['ignore', 'pipe', 'pipe'] });
  onCleanup(`stop consock ${recv.pid}`, () => {
    if (recv.exitCode === null) recv.kill('SIGKILL');
  });
  let got = '';
  let err = '';
  recv.stdout.setEncoding('utf8').on('data', (d: string) => (got += d));
  recv.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const done = new Promise<void>((res) => recv.on('close', () => res()));
  await waitFor(() => got.startsWith('ready\n'), 'the console socket');
  return {
    sock,
    /** Waits (up to ms) for the pty to close, then returns what came through. */
    async output(ms = 10_000): Promise<{ text: string; errors: string }> {
      await Promise.race([done, new Promise((r) => setTimeout(r, ms))]);
      if (recv.exitCode === null) recv.kill('SIGKILL');
      await done;
      return { text: got.slice('ready\n'.length), errors: err };
    },
  };
}

function runProcessIn(rt: OciRuntime, args: string[], outputFile: string) {
  return runProcess(rt.bin, ['--root', rt.root, ...args], { outputFile, timeoutMs: 20_000 });
}

interface Scenario {
  name: string;
  run: (rt: OciRuntime) => Promise<Record_>;
  check?: (r: Record_) => void;
}

function bundleFor(id: string, args: string[], mutate?: (s: OciSpec) => void) {
  const spec = baseSpec([PROBE, ...args]);
  mutate?.(spec);
  return writeBundle(spec, { containerId: id });
}

const scenarios: Scenario[] = [
  {
    name: 'create, state, start, exec, kill, delete',
    run: async (rt) => {
      const id = uniqueName();
      const b = bundleFor(id, ['pid', 'trap', '60']);
      const out = path.join(tempDir('out'), 'stdout');
      const steps: Array<Record<string, unknown>> = [];
      const step = async (name: string, args: string[]) => {
        const r = await rt.cmd(args, { timeoutMs: 20_000 });
        steps.push({ step: name, exit: r.code, state: stateView(await stateOf(rt, id), id, b.dir) });
        return r;
      };
      const created = await rt.create(id, b.dir, [], { outputFile: out });
      steps.push({ step: 'create', exit: created.code, stderr: created.code ? created.stderr : '', state: stateView(await stateOf(rt, id), id, b.dir) });
      if (created.code !== 0) return { steps };
      await step('start', ['start', id]);
      await waitFor(() => readFileSync(out, 'utf8').includes('trapping'), 'the probe to start');
      const pid = (await rt.state(id)).pid!;
      const ctx: CaseCtx = {};
      for (const n of readdirSync(`/proc/${pid}/ns`)) {
        if (!n.endsWith('_for_children')) ctx[`nsid:${n}`] = nsIdOf(`/proc/${pid}/ns/${n}`, n);
      }
      const ex = await rt.cmd(['exec', id, PROBE, 'ns', 'ids', 'caps', 'seccomp', 'cgroup', 'cwd', 'env', 'fds', 'exit', '7'], { timeoutMs: 20_000 });
      steps.push({ step: 'exec', exit: ex.code, out: normalizeLines(probeLines(ex.stdout), { id, bundle: b.dir, ctx }) });
      const k = await rt.kill(id, 'TERM');
      steps.push({ step: 'kill TERM', exit: k.code });
      await rt.waitStatus(id, ['stopped']);
      steps.push({ step: 'stopped', state: stateView(await stateOf(rt, id), id, b.dir) });
      await step('delete', ['delete', id]);
      const again = await rt.cmd(['delete', id]);
      steps.push({ step: 'delete again', exit: again.code });
      steps.push({ step: 'output', lines: probeLines(readFileSync(out, 'utf8')) });
      return { steps };
    },
    check: (r) => {
      const by = Object.fromEntries(r.steps.map((s) => [s.step, s]));
      expect(by.create).toMatchObject({ exit: 0, state: { status: 'created', pid: 'live' } });
      expect(by.start).toMatchObject({ exit: 0, state: { status: 'running' } });
      expect(by.exec).toMatchObject({ exit: 7 });
      const execNs = (by.exec.out as Array<Record<string, any>>)[0].ns;
      for (const t of ['mnt', 'pid', 'net', 'ipc', 'uts']) expect(execNs[t], t).toBe(`joined ${t}`);
      // No runtime fd may reach an exec'd process either (CVE-2024-21626).
      expect(Object.keys((by.exec.out as Array<Record<string, any>>)[0].fds)).toEqual(['0', '1', '2']);
      expect(by.stopped).toMatchObject({ state: { status: 'stopped' } });
      expect(by.delete).toMatchObject({ exit: 0, state: { state: 'none' } });
      expect(by['delete again'].exit).not.toBe(0);
      expect(by.output.lines).toEqual([{ pid: 1, ppid: 0 }, { trapping: true }, { signal: 15 }]);
    },
  },
  {
    name: 'run --detach',
    run: async (rt) => {
      const id = uniqueName();
      const b = bundleFor(id, ['pid', 'trap', '60']);
      const out = path.join(tempDir('out'), 'stdout');
      const steps: Array<Record<string, unknown>> = [];
      rt.track(id);
      const r = await rt.cmd(['run', '--detach', '--bundle', b.dir, id], { outputFile: out, timeoutMs: 20_000 });
      steps.push({ step: 'run --detach', exit: r.code, state: stateView(await stateOf(rt, id), id, b.dir) });
      await waitFor(() => readFileSync(out, 'utf8').includes('trapping'), 'the probe to start');
      steps.push({ step: 'kill TERM', exit: (await rt.kill(id, 'TERM')).code });
      await rt.waitStatus(id, ['stopped']);
      steps.push({ step: 'delete', exit: (await rt.delete(id)).code, state: stateView(await stateOf(rt, id), id, b.dir) });
      steps.push({ step: 'output', lines: probeLines(readFileSync(out, 'utf8')) });
      return { steps };
    },
    check: (r) => {
      expect(r.steps[0]).toMatchObject({ exit: 0, state: { status: 'running', pid: 'live' } });
      expect(r.steps[3]).toEqual({ step: 'output', lines: [{ pid: 1, ppid: 0 }, { trapping: true }, { signal: 15 }] });
    },
  },
  {
    name: 'delete --force of a running container',
    run: async (rt) => {
      const id = uniqueName();
      const b = bundleFor(id, ['sleep', '60']);
      const out = path.join(tempDir('out'), 'stdout');
      const steps: Array<Record<string, unknown>> = [];
      const c = await rt.create(id, b.dir, [], { outputFile: out });
      steps.push({ step: 'create', exit: c.code });
      const s = await rt.start(id);
      steps.push({ step: 'start', exit: s.code });
      const plain = await rt.delete(id);
      steps.push({ step: 'delete running', exit: plain.code, state: stateView(await stateOf(rt, id), id, b.dir) });
      const forced = await rt.delete(id, true);
      steps.push({ step: 'delete --force', exit: forced.code, state: stateView(await stateOf(rt, id), id, b.dir) });
      return { steps };
    },
    check: (r) => {
      expect(r.steps[2]).toMatchObject({ state: { status: 'running' } });
      expect(r.steps[2].exit).not.toBe(0);
      expect(r.steps[3]).toMatchObject({ exit: 0, state: { state: 'none' } });
    },
  },
  {
    name: 'terminal through --console-socket',
    run: async (rt) => {
      const id = uniqueName();
      const b = bundleFor(id, ['tty', 'fds', 'env'], (s) => {
        s.process.terminal = true;
      });
      const recv = await consoleReceiver();
      const steps: Array<Record<string, unknown>> = [];
      const c = await rt.create(id, b.dir, ['--console-socket', recv.sock]);
      steps.push({ step: 'create', exit: c.code, stderr: c.code ? c.stderr : '' });
      if (c.code === 0) {
        const s = await rt.start(id);
        steps.push({ step: 'start', exit: s.code });
        await recv.output();
        await rt.waitStatus(id, ['stopped']);
        steps.push({ step: 'delete', exit: (await rt.delete(id)).code });
      }
      const out = await recv.output(0);
      const lines = normalizeLines(probeLines(out.text), { id, bundle: b.dir, ctx: {} });
      steps.push({ step: 'pty output', lines, consockErrors: out.errors });
      return { steps };
    },
    check: (r) => {
      const out = r.steps.find((s) => s.step === 'pty output') as { lines: Array<Record<string, any>> };
      expect(out.lines[0].isatty).toEqual([true, true, true]);
      expect(out.lines[0].env).toContain('TERM=xterm');
    },
  },
  {
    name: 'exec with --user, --cwd, --env and with --process',
    run: async (rt) => {
      const id = uniqueName();
      const b = bundleFor(id, ['sleep', '60']);
      const steps: Array<Record<string, unknown>> = [];
      const c = await rt.create(id, b.dir, [], { outputFile: path.join(tempDir('out'), 'o') });
      steps.push({ step: 'create', exit: c.code });
      steps.push({ step: 'start', exit: (await rt.start(id)).code });
      const norm = (out: string) => normalizeLines(probeLines(out), { id, bundle: b.dir, ctx: {} });
      const flags = await rt.cmd(
        ['exec', '--user', '1000:1000', '--cwd', '/tmp', '--env', 'TSCT=1', id, PROBE, 'ids', 'cwd', 'env', 'caps', 'exit', '5'],
        { timeoutMs: 20_000 },
      );
      steps.push({ step: 'exec flags', exit: flags.code, out: norm(flags.stdout), stderr: flags.code === 5 ? '' : flags.stderr });
      const proc = {
        terminal: false,
        user: { uid: 1000, gid: 1000, additionalGids: [5] },
        args: [PROBE, 'ids', 'cwd', 'env', 'caps', 'seccomp'],
        env: ['PATH=/bin', 'FROM_PROCESS_JSON=yes'],
        cwd: '/home',
        capabilities: { bounding: ['CAP_KILL'], effective: ['CAP_KILL'], permitted: ['CAP_KILL'] },
        noNewPrivileges: true,
      };
      const pj = path.join(tempDir('proc'), 'process.json');
      writeFileSync(pj, JSON.stringify(proc));
      const viaJson = await rt.cmd(['exec', '--process', pj, id], { timeoutMs: 20_000 });
      steps.push({ step: 'exec --process', exit: viaJson.code, out: norm(viaJson.stdout), stderr: viaJson.code ? viaJson.stderr : '' });
      steps.push({ step: 'delete --force', exit: (await rt.delete(id, true)).code });
      return { steps };
    },
    check: (r) => {
      const [, , flags, json] = r.steps as Array<{ exit: number; out: Array<Record<string, any>> }>;
      expect(flags.exit).toBe(5);
      expect(flags.out[0]).toMatchObject({ uid: [1000, 1000, 1000], cwd: '/tmp' });
      expect(flags.out[0].env).toContain('TSCT=1');
      expect(json.exit).toBe(0);
      expect(json.out[0]).toMatchObject({ uid: [1000, 1000, 1000], groups: [5], cwd: '/home', no_new_privs: '1' });
      expect(json.out[0].env).toContain('FROM_PROCESS_JSON=yes');
    },
  },
  {
    name: 'create --pid-file, --log json, features, unknown ids',
    run: async (rt) => {
      const id = uniqueName();
      const dir = tempDir('misc');
      const b = bundleFor(id, ['sleep', '60']);
      const steps: Array<Record<string, unknown>> = [];
      const pidFile = path.join(dir, 'pid');
      const c = await rt.create(id, b.dir, ['--pid-file', pidFile], { outputFile: path.join(dir, 'o') });
      const st = await rt.state(id);
      steps.push({ step: 'create --pid-file', exit: c.code, pidFileMatchesState: readFileSync(pidFile, 'utf8').trim() === String(st.pid) });
      steps.push({ step: 'delete --force', exit: (await rt.delete(id, true)).code });

      // The engine reads the runtime's errors from --log in JSON (like runc).
      const log = path.join(dir, 'log.json');
      const badId = uniqueName();
      const bad = bundleFor(badId, ['exit', '0'], (s) => {
        s.mounts.push({ destination: '/mnt/x', type: 'bind', source: '/nonexistent/tsct-log', options: ['bind'] });
      });
      const r = await runProcessIn(rt, ['--log', log, '--log-format', 'json', 'create', '--bundle', bad.dir, badId], path.join(dir, 'o2'));
      const entries = readFileOr(log).split('\n').filter(Boolean).map((l) => {
        try {
          return JSON.parse(l) as Record<string, unknown>;
        } catch {
          return { notJson: l };
        }
      });
      const errors = entries.filter((e) => e.level === 'error');
      steps.push({
        step: 'failed create with --log json',
        exit: r.code,
        logIsJson: entries.length > 0 && entries.every((e) => !('notJson' in e)),
        errorNamesSource: errors.some((e) => String(e.msg).includes('/nonexistent/tsct-log')),
        errorKeys: [...new Set(errors.flatMap((e) => Object.keys(e)))].sort(),
      });

      for (const cmd of [['state'], ['start'], ['kill'], ['delete'], ['exec']]) {
        const args = cmd[0] === 'exec' ? [...cmd, 'tsctnosuchid', '/bin/true'] : cmd[0] === 'kill' ? [...cmd, 'tsctnosuchid', 'TERM'] : [...cmd, 'tsctnosuchid'];
        const u = await rt.cmd(args);
        // runc says "container does not exist" without the id; naming it is better.
        steps.push({ step: `${cmd[0]} of an unknown id`, exit: u.code, saysWhy: /tsctnosuchid|does not exist/.test(u.stderr), stdout: u.stdout });
      }
      const f = await rt.cmd(['features']);
      let features: Record<string, unknown> = {};
      try {
        features = JSON.parse(f.stdout) as Record<string, unknown>;
      } catch {
        /* compared below as missing keys */
      }
      steps.push({ step: 'features', exit: f.code, keys: ['ociVersionMin', 'ociVersionMax', 'mountOptions', 'linux'].filter((k) => k in features) });
      return { steps };
    },
    check: (r) => {
      expect(r.steps[0]).toMatchObject({ exit: 0, pidFileMatchesState: true });
      expect(r.steps[2]).toMatchObject({ logIsJson: true, errorNamesSource: true });
      for (const s of r.steps.filter((x) => String(x.step).includes('unknown id'))) {
        expect(s, String(s.step)).toMatchObject({ saysWhy: true, stdout: '' });
        expect(s.exit, String(s.step)).not.toBe(0);
      }
    },
  },
  {
    name: 'exec with a terminal',
    run: async (rt) => {
      const id = uniqueName();
      const b = bundleFor(id, ['sleep', '60']);
      const steps: Array<Record<string, unknown>> = [];
      const c = await rt.create(id, b.dir, [], { outputFile: path.join(tempDir('out'), 'o') });
      steps.push({ step: 'create', exit: c.code });
      steps.push({ step: 'start', exit: (await rt.start(id)).code });
      const recv = await consoleReceiver();
      const ex = await rt.cmd(['exec', '--tty', '--detach', '--console-socket', recv.sock, id, PROBE, 'tty', 'fds', 'pid'], { timeoutMs: 20_000 });
      steps.push({ step: 'exec --tty --detach', exit: ex.code, stderr: ex.code ? ex.stderr : '' });
      const out = await recv.output();
      steps.push({ step: 'pty output', lines: normalizeLines(probeLines(out.text), { id, bundle: b.dir, ctx: {} }) });
      steps.push({ step: 'delete --force', exit: (await rt.delete(id, true)).code });
      return { steps };
    },
    check: (r) => {
      const out = r.steps.find((s) => s.step === 'pty output') as { lines: Array<Record<string, any>> };
      expect(r.steps[2]).toMatchObject({ exit: 0 });
      expect(out.lines[0].isatty).toEqual([true, true, true]);
      expect(out.lines[0].pid).not.toBe(1);
    },
  },
];

const gate = requireEnv({ root: true, binaries: ['runc', 'busybox', 'make', 'cc'] }, 'lifecycle tests');
const tscGate = tscrunAvailable() ? { skip: false } : requireEnv({ paths: [TSCRUN_PATH] }, 'lifecycle tests under tscrun');
for (const n of Object.keys(TSCRUN_KNOWN_GAPS)) if (!scenarios.some((s) => s.name === n)) throw new Error(`known gap "${n}" names no scenario`);

describe.skipIf(gate.skip)('tscrun vs runc: lifecycle commands', () => {
  const runcSeen = new Map<string, Record_>();
  afterEach(runCleanups);
  const observeWith = async (name: RuntimeName, s: Scenario) => s.run(OciRuntime.of(name));
  const runcRecord = async (s: Scenario) => {
    if (!runcSeen.has(s.name)) {
      const r = await observeWith('runc', s);
      s.check?.(r);
      runcSeen.set(s.name, r);
    }
    return structuredClone(runcSeen.get(s.name)!);
  };

  describe.each(scenarios)('$name', (s) => {
    it('runc: the scenario behaves as the engine expects', async () => {
      await runcRecord(s);
    });
    const gap = TSCRUN_KNOWN_GAPS[s.name];
    const runIt = tscGate.skip || (gap !== undefined && !STRICT) ? it.skip : it;
    runIt(gap !== undefined ? `tscrun = runc [KNOWN GAP: ${gap}]` : 'tscrun = runc', async () => {
      const want = await runcRecord(s);
      const got = await observeWith('tscrun', s);
      expect(got).toEqual(want);
    });
  });
});
