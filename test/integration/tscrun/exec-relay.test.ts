// `tscrun exec-relay`: exec with a terminal for a caller that holds only
// pipes. It receives the pty master over a console socket from ANY runtime
// (runc and tscrun here), relays stdin/stdout, applies window sizes sent on
// the control fd (also before the pty exists), and exits with the process's
// code. It leaves no socket folder behind.
import { spawn } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import type { Writable } from 'node:stream';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { baseSpec, writeBundle } from '../../helpers/bundle.js';
import { runCleanups } from '../../helpers/cleanup.js';
import { uniqueName } from '../../helpers/names.js';
import { OciRuntime, type RuntimeName, runProcess } from '../../helpers/oci-runtime.js';
import { requireEnv } from '../../helpers/require-root.js';
import { TSCRUN_PATH } from '../../helpers/rootfs.js';
import { tempDir } from '../../helpers/tmp.js';

const gate = requireEnv({ root: true, binaries: ['runc', '/bin/busybox'], paths: [TSCRUN_PATH] }, 'exec-relay tests');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function runningContainer(rtName: RuntimeName): Promise<{ rt: OciRuntime; id: string; spec: ReturnType<typeof baseSpec> }> {
  const rt = OciRuntime.of(rtName);
  const id = uniqueName();
  const spec = baseSpec(['/bin/sleep', '1000']);
  const b = writeBundle(spec, { containerId: id });
  const c = await rt.create(id, b.dir, [], { outputFile: path.join(tempDir('out'), 'o') });
  if (c.code !== 0) throw new Error(`${rtName} create: ${c.stderr}`);
  const s = await rt.start(id);
  if (s.code !== 0) throw new Error(`${rtName} start: ${s.stderr}`);
  return { rt, id, spec };
}

interface Relay { out: () => string; err: () => string; stdin: Writable; control: Writable; exited: Promise<number | null> }

function relay(rt: OciRuntime, id: string, proc: Record<string, unknown>): Relay {
  const file = path.join(tempDir('proc'), 'process.json');
  writeFileSync(file, JSON.stringify(proc));
  const child = spawn(TSCRUN_PATH, ['exec-relay', '--runtime', rt.bin, '--runtime-root', rt.root, '--process', file, '--control-fd', '3', id], {
    stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  const exited = new Promise<number | null>((res) => child.on('close', (code) => { clearTimeout(timer); res(code); }));
  return { out: () => out, err: () => err, stdin: child.stdin, control: child.stdio[3] as Writable, exited };
}

async function until(what: string, cond: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !cond(); i++) await sleep(25);
  if (!cond()) throw new Error(`timed out waiting for ${what}`);
}

const relayFolders = () => readdirSync('/tmp').filter((f) => f.startsWith('tscexec-'));

describe.skipIf(gate.skip)('tscrun exec-relay', () => {
  afterEach(runCleanups);

  for (const rtName of ['runc', 'tscrun'] as const) {
    it(`${rtName}: an interactive shell on a pty: input, output, resize, exit code`, async () => {
      const before = relayFolders();
      const { rt, id, spec } = await runningContainer(rtName);
      const r = relay(rt, id, { ...spec.process, terminal: true, args: ['/bin/sh'], consoleSize: { height: 30, width: 100 } });
      r.control.write('resize 40 120\n'); // may well come before the pty exists
      r.stdin.write('tty; stty size\n');
      await until('tty and stty output', () => /\/dev\/pts\/\d+\r\n40 120\r\n/.test(r.out()));
      r.control.write('resize 25 90\n');
      await sleep(100);
      r.stdin.write('stty size; exit 3\n');
      expect(await r.exited).toBe(3);
      expect(r.out()).toMatch(/25 90\r\n/);
      expect(r.err()).toBe('');
      expect(relayFolders()).toEqual(before);
    });
  }

  it("the process gets default signal dispositions (the relay's ignored SIGPIPE is not inherited)", async () => {
    const { rt, id, spec } = await runningContainer('runc');
    const r = relay(rt, id, { ...spec.process, terminal: true, args: ['/bin/sh', '-c', 'grep SigIgn /proc/self/status'] });
    expect(await r.exited).toBe(0);
    const ignored = BigInt(`0x${/SigIgn:\s+([0-9a-f]+)/.exec(r.out())![1]}`);
    expect(ignored & (1n << 12n)).toBe(0n); // bit 12: SIGPIPE (13)
  });

  it('stdin EOF does not end the process; its exit ends the relay', async () => {
    const { rt, id, spec } = await runningContainer('runc');
    const r = relay(rt, id, { ...spec.process, terminal: true, args: ['/bin/sh', '-c', 'sleep 0.5; echo done'] });
    r.stdin.end();
    expect(await r.exited).toBe(0);
    expect(r.out()).toBe('done\r\n');
  });

  it("a process that never ran: the runtime's message and 126", async () => {
    const { rt, id, spec } = await runningContainer('tscrun');
    const r = relay(rt, id, { ...spec.process, terminal: true, args: ['/no/such/binary'] });
    expect(await r.exited).toBe(126);
    expect(r.err()).toMatch(/no\/such\/binary/);
  });

  it('rejects a bad command line with usage', async () => {
    const r = await runProcess(TSCRUN_PATH, ['exec-relay', '--process', 'x']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/usage: tscrun exec-relay/);
  });
});
