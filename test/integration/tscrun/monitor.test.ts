// `tscrun monitor`, the per-container conmon: it runs `<runtime> create` for
// ANY OCI runtime, detaches, writes Docker's json-file log (rotation, 16 KiB
// partial lines), serves an attach socket, reaps, and records the exit code,
// signal and OOM kill in an exit file. Most cases use runc as the runtime (the
// monitor must not depend on tscrun); one runs the same flow with tscrun.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { baseSpec, type OciSpec, writeBundle } from '../../helpers/bundle.js';
import { onCleanup, runCleanups } from '../../helpers/cleanup.js';
import { uniqueName } from '../../helpers/names.js';
import { OciRuntime, type RuntimeName, runProcess, runtimeBinary } from '../../helpers/oci-runtime.js';
import { requireEnv } from '../../helpers/require-root.js';
import { ensureProbe, TSCRUN_PATH } from '../../helpers/rootfs.js';
import { tempDir } from '../../helpers/tmp.js';

const gate = requireEnv({ root: true, binaries: ['runc', '/bin/busybox'], paths: [TSCRUN_PATH] }, 'monitor tests');

interface Started {
  id: string;
  rt: OciRuntime;
  log: string;
  exitFile: string;
  pid: number;
  monitorPid: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const alive = (pid: number) => existsSync(`/proc/${pid}`) && !/^\S+ \S+ Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/\(.*\)/, 'x'));

async function startMonitor(rtName: RuntimeName, spec: OciSpec, extra: string[] = [], start = true): Promise<Started> {
  const rt = OciRuntime.of(rtName);
  const id = uniqueName();
  const b = writeBundle(spec, { containerId: id });
  rt.track(id);
  const dir = tempDir('mon');
  const log = path.join(dir, 'ctr.log');
  const exitFile = path.join(dir, 'exit.json');
  const r = await runProcess(TSCRUN_PATH, [
    'monitor', '--id', id, '--bundle', b.dir, '--runtime', rt.bin, '--runtime-root', rt.root,
    '--log-path', log, '--exit-file', exitFile, ...extra,
  ]);
  if (r.code !== 0) throw new Error(`monitor exit ${r.code}: ${r.stderr}`);
  const ready = JSON.parse(r.stdout) as { pid: number; monitorPid: number };
  onCleanup(`kill monitor ${ready.monitorPid}`, () => {
    if (alive(ready.monitorPid)) process.kill(ready.monitorPid, 'SIGKILL');
  });
  if (start) {
    const s = await rt.start(id);
    if (s.code !== 0) throw new Error(`${rtName} start: ${s.stderr}`);
  }
  return { id, rt, log, exitFile, ...ready };
}

async function waitExit(m: Started, timeoutMs = 20_000): Promise<Record<string, unknown>> {
  const end = Date.now() + timeoutMs;
  while (!existsSync(m.exitFile)) {
    if (Date.now() > end) throw new Error(`no exit file after ${timeoutMs} ms`);
    await sleep(20);
  }
  // the monitor exits right after writing it
  for (let i = 0; i < 100 && alive(m.monitorPid); i++) await sleep(20);
  expect(alive(m.monitorPid)).toBe(false);
  return JSON.parse(readFileSync(m.exitFile, 'utf8')) as Record<string, unknown>;
}

interface Entry {
  log: string;
  stream: string;
  time: string;
}
const entries = (file: string): Entry[] =>
  readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Entry);

const sh = (script: string) => baseSpec(['/bin/sh', '-c', script]);

/** Sends commands to a monitor's control socket and reads `lines` answer lines. */
function control(sock: string, commands: string, lines: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const c = net.createConnection(sock);
    let got = '';
    c.on('connect', () => c.write(commands));
    c.on('data', (d: Buffer) => {
      got += d.toString();
      const all = got.split('\n').filter(Boolean);
      if (all.length >= lines) { c.destroy(); resolve(all); }
    });
    c.on('error', reject);
  });
}

describe.skipIf(gate.skip)('tscrun monitor', () => {
  afterEach(runCleanups);

  for (const rtName of ['runc', 'tscrun'] as const) {
    it(`${rtName}: logs stdout and stderr in Docker's json-file format and records the exit code`, async () => {
      if (!runtimeBinary(rtName)) throw new Error(`${rtName} missing`);
      const m = await startMonitor(rtName, sh('echo hello; echo "to err <&> \\"q\\" é" >&2; printf "no newline"; exit 3'));
      const ex = await waitExit(m);
      expect(ex).toMatchObject({ exitCode: 3, signal: null, oomKilled: false });
      expect(String(ex.finishedAt)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
      const raw = readFileSync(m.log, 'utf8');
      // byte-exact with dockerd: HTML-safe escapes, field order, 9-digit times
      expect(raw).toMatch(/^\{"log":"hello\\n","stream":"stdout","time":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z"\}\n/m);
      expect(raw).toContain('{"log":"to err \\u003c\\u0026\\u003e \\"q\\" é\\n","stream":"stderr","time":"');
      const e = entries(m.log);
      // two pipes: the order between streams is not defined, within one it is
      expect(e.filter((x) => x.stream === 'stdout').map((x) => x.log)).toEqual(['hello\n', 'no newline']);
      expect(e.filter((x) => x.stream === 'stderr').map((x) => x.log)).toEqual(['to err <&> "q" é\n']);
      expect((await m.rt.state(m.id)).status).toBe('stopped');
    });
  }

  it('detaches: own session, not our child, holds no fd but its own; reports its RSS', async () => {
    const m = await startMonitor('runc', sh('while true; do echo tick; sleep 0.05; done'), ['--log-max-size', '1k', '--log-max-file', '2']);
    await sleep(500); // measured while it logs and rotates
    const status = readFileSync(`/proc/${m.monitorPid}/status`, 'utf8');
    expect(Number(/PPid:\s+(\d+)/.exec(status)![1])).not.toBe(process.pid);
    const stat = readFileSync(`/proc/${m.monitorPid}/stat`, 'utf8').replace(/\(.*\)/, 'x').split(' ');
    expect(Number(stat[5])).not.toBe(Number(readFileSync('/proc/self/stat', 'utf8').replace(/\(.*\)/, 'x').split(' ')[5]));
    const fds = readdirSync(`/proc/${m.monitorPid}/fd`).map((fd) => readlinkSync(`/proc/${m.monitorPid}/fd/${fd}`));
    expect(fds.slice(0, 3)).toEqual(['/dev/null', '/dev/null', '/dev/null']);
    expect(fds.filter((f) => f.startsWith('/') && f !== '/dev/null')).toEqual([m.log]);
    expect(fds.length).toBeLessThanOrEqual(7); // stdio, signalfd, 2 pipes, log
    expect(readFileSync(`/proc/${m.monitorPid}/comm`, 'utf8').trim()).toBe('tscrun-monitor');
    const rss = Number(execFileSync('ps', ['-o', 'rss=', '-p', String(m.monitorPid)], { encoding: 'utf8' }).trim());
    const pss = Number(/Pss:\s+(\d+)/.exec(readFileSync(`/proc/${m.monitorPid}/smaps_rollup`, 'utf8'))![1]);
    console.log(`monitor RSS ${rss} KiB, PSS ${pss} KiB`);
    expect(pss).toBeLessThan(1024);
    expect(rss).toBeLessThan(1024); // the target: under 1 MiB RSS per monitor
    await m.rt.kill(m.id, 'KILL');
    expect(await waitExit(m)).toMatchObject({ exitCode: 137, signal: 'SIGKILL' });
  });

  it('splits lines longer than 16 KiB into partial entries like dockerd', async () => {
    const m = await startMonitor('runc', sh("head -c 40000 /dev/zero | tr '\\0' a; echo; echo short"));
    await waitExit(m);
    const e = entries(m.log);
    expect(e.map((x) => x.log.length)).toEqual([16384, 16384, 40000 - 32768 + 1, 6]);
    expect(e.slice(0, 3).map((x) => x.log).join('')).toBe('a'.repeat(40000) + '\n');
  });

  it('rotates at --log-max-size keeping --log-max-file files', async () => {
    const m = await startMonitor('runc', sh('i=0; while [ $i -lt 300 ]; do echo "line $i $(printf %060d 0)"; i=$((i+1)); done'),
      ['--log-max-size', '4k', '--log-max-file', '3']);
    await waitExit(m);
    expect(existsSync(`${m.log}.1`)).toBe(true);
    expect(existsSync(`${m.log}.2`)).toBe(true);
    expect(existsSync(`${m.log}.3`)).toBe(false);
    for (const f of [m.log, `${m.log}.1`, `${m.log}.2`]) expect(readFileSync(f).length).toBeLessThan(4096 + 200);
    const all = [`${m.log}.2`, `${m.log}.1`, m.log].flatMap((f) => entries(f).map((x) => x.log));
    const nums = all.map((l) => Number(/line (\d+)/.exec(l)![1]));
    expect(nums.at(-1)).toBe(299);
    expect(nums).toEqual([...nums].sort((a, b) => a - b)); // oldest file first, in order, none lost inside the window
    expect(nums.at(-1)! - nums[0]! + 1).toBe(nums.length);
  });

  it('a failing create reports the runtime error and exits non-zero, leaving nothing', async () => {
    const rt = OciRuntime.of('runc');
    const id = uniqueName();
    const spec = sh('true');
    spec.root.path = 'no-such-rootfs';
    const b = writeBundle(spec, { containerId: id });
    rt.track(id);
    const dir = tempDir('mon');
    const r = await runProcess(TSCRUN_PATH, ['monitor', '--id', id, '--bundle', b.dir, '--runtime', rt.bin, '--runtime-root',
      rt.root, '--log-path', path.join(dir, 'log'), '--exit-file', path.join(dir, 'exit')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^tscrun monitor: `\/\S*runc create` failed \(exit 1\): .*no-such-rootfs/);
    expect(existsSync(path.join(dir, 'exit'))).toBe(false);
  });

  it('--ready-fd: the ready JSON goes to that fd, stdout stays empty', async () => {
    const rt = OciRuntime.of('runc');
    const id = uniqueName();
    const b = writeBundle(sh('exit 0'), { containerId: id });
    rt.track(id);
    const dir = tempDir('mon');
    const child = spawn(TSCRUN_PATH, ['monitor', '--id', id, '--bundle', b.dir, '--runtime', rt.bin, '--runtime-root', rt.root,
      '--log-path', path.join(dir, 'log'), '--exit-file', path.join(dir, 'exit'), '--ready-fd', '3'],
    { stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
    let out = '';
    let ready = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    (child.stdio[3] as NodeJS.ReadableStream).on('data', (d: Buffer) => (ready += d.toString()));
    const code = await new Promise<number | null>((res) => child.on('close', (c) => res(c)));
    expect(code).toBe(0);
    expect(out).toBe('');
    const r = JSON.parse(ready) as { pid: number; monitorPid: number };
    onCleanup(`kill monitor ${r.monitorPid}`, () => alive(r.monitorPid) && process.kill(r.monitorPid, 'SIGKILL'));
    expect(r.pid).toBeGreaterThan(1);
    expect((await rt.start(id)).code).toBe(0);
    const m: Started = { id, rt, log: path.join(dir, 'log'), exitFile: path.join(dir, 'exit'), ...r };
    expect(await waitExit(m)).toMatchObject({ exitCode: 0, signal: null });
  });

  it('rejects a bad command line with usage', async () => {
    const r = await runProcess(TSCRUN_PATH, ['monitor', '--id', 'x']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--id, --bundle, --runtime, --log-path and --exit-file are required/);
    const r2 = await runProcess(TSCRUN_PATH, ['monitor', '--bogus']);
    expect(r2.stderr).toMatch(/unknown option `--bogus`/);
  });

  it('records an OOM kill from the memory cgroup', async () => {
    const spec = baseSpec(['/bin/tsc-probe', 'memhog', '512']);
    ensureProbe();
    const v1memsw = existsSync('/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes');
    const v2 = !existsSync('/sys/fs/cgroup/memory');
    spec.linux.resources = { memory: { limit: 32 << 20, ...(v1memsw || v2 ? { swap: 32 << 20 } : {}) } };
    const m = await startMonitor('runc', spec);
    expect(await waitExit(m)).toMatchObject({ exitCode: 137, signal: 'SIGKILL', oomKilled: true });
  });

  it('serves an attach socket: output frames out, stdin in', async () => {
    const sock = path.join(tempDir('att'), 'attach.sock');
    const m = await startMonitor('runc', sh('while read l; do echo "got $l"; echo "err $l" >&2; done; echo bye'),
      ['--stdin', '--attach-socket', sock], false);
    const c = net.createConnection(sock);
    await new Promise<void>((res, rej) => c.once('connect', () => res()).once('error', rej));
    let buf = Buffer.alloc(0);
    c.on('data', (d: Buffer) => (buf = Buffer.concat([buf, d])));
    expect((await m.rt.start(m.id)).code).toBe(0);
    c.write('one\ntwo\n');
    const parse = () => {
      const out: Array<[number, string]> = [];
      let off = 0;
      while (off + 8 <= buf.length) {
        const len = buf.readUInt32BE(off + 4);
        if (off + 8 + len > buf.length) break;
        out.push([buf[off]!, buf.subarray(off + 8, off + 8 + len).toString()]);
        off += 8 + len;
      }
      return (stream: number) => out.filter(([s]) => s === stream).map(([, t]) => t).join('');
    };
    for (let i = 0; i < 200 && !(parse()(1) === 'got one\ngot two\n' && parse()(2) === 'err one\nerr two\n'); i++) await sleep(25);
    expect(parse()(1)).toBe('got one\ngot two\n');
    expect(parse()(2)).toBe('err one\nerr two\n');
    c.destroy();
    await m.rt.kill(m.id, 'KILL');
    await waitExit(m);
    expect(entries(m.log).filter((e) => e.stream === 'stdout').map((e) => e.log)).toEqual(['got one\n', 'got two\n']);
    expect(existsSync(sock)).toBe(false);
  });

  it('--stdin-once: a client half-closing the attach socket ends the container stdin, output still flows', async () => {
    const sock = path.join(tempDir('att'), 'attach.sock');
    const m = await startMonitor('runc', sh('cat; echo done'), ['--stdin-once', '--attach-socket', sock], false);
    const c = net.createConnection(sock);
    await new Promise<void>((res, rej) => c.once('connect', () => res()).once('error', rej));
    let buf = Buffer.alloc(0);
    c.on('data', (d: Buffer) => (buf = Buffer.concat([buf, d])));
    const closed = new Promise<void>((res) => c.on('close', () => res()));
    expect((await m.rt.start(m.id)).code).toBe(0);
    c.end('abc\n'); // write, then shut down our writing side
    expect(await waitExit(m)).toMatchObject({ exitCode: 0 });
    await closed;
    let text = '';
    for (let off = 0; off + 8 <= buf.length; off += 8 + buf.readUInt32BE(off + 4)) {
      text += buf.subarray(off + 8, off + 8 + buf.readUInt32BE(off + 4)).toString();
    }
    expect(text).toBe('abc\ndone\n');
  });

  it('--control-socket: "resize ROWS COLS" sets the pty size (SIGWINCH), answered ok or error', async () => {
    const dir = tempDir('ctl');
    const ctl = path.join(dir, 'c.ctl');
    const spec = sh('trap "stty size; exit 0" WINCH; while true; do sleep 0.05; done');
    spec.process.terminal = true;
    const m = await startMonitor('runc', spec, ['--terminal', '--attach-socket', path.join(dir, 'a.sock'), '--control-socket', ctl]);
    await sleep(200); // the trap is set
    expect(await control(ctl, 'resize 12 34\nresize 0 5\nhello\n', 3)).toEqual(['ok', 'error usage: resize ROWS COLS', 'error unknown command']);
    expect(await waitExit(m)).toMatchObject({ exitCode: 0 });
    expect(entries(m.log).map((x) => x.log).join('')).toContain('12 34\r\n');
    expect(existsSync(ctl)).toBe(false);
  });

  it('--control-socket without a terminal: resize is refused', async () => {
    const ctl = path.join(tempDir('ctl'), 'c.ctl');
    const m = await startMonitor('runc', sh('sleep 30'), ['--control-socket', ctl]);
    expect(await control(ctl, 'resize 24 80\n', 1)).toEqual(['error the container has no terminal']);
    await m.rt.kill(m.id, 'KILL');
    await waitExit(m);
  });

  it('--terminal: receives the pty over --console-socket and logs it as stdout', async () => {
    const spec = sh('tty; echo done');
    spec.process.terminal = true;
    const m = await startMonitor('runc', spec, ['--terminal']);
    expect(await waitExit(m)).toMatchObject({ exitCode: 0 });
    const e = entries(m.log);
    expect(e.every((x) => x.stream === 'stdout')).toBe(true);
    expect(e.map((x) => x.log).join('')).toBe('/dev/pts/0\r\ndone\r\n');
  });
});
