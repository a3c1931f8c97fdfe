// The engine's side of the monitor's control socket: where it is, and the
// one-line request/answer of a resize (against a stand-in monitor).
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { controlSocketFor, MonitorControlError, resizeThroughMonitor } from '../../../runtime/containers/monitor.js';

let dir = '';
let server: net.Server | undefined;
afterEach(async () => {
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A stand-in monitor that answers each line with `answer(line)`. */
async function standIn(answer: (line: string) => string): Promise<{ path: string; lines: string[] }> {
  dir = mkdtempSync(join(tmpdir(), 'tsct-ctl-'));
  const path = join(dir, 'x.ctl');
  const lines: string[] = [];
  server = net.createServer((c) => {
    let buf = '';
    c.on('data', (b: Buffer) => {
      buf += b.toString();
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        lines.push(line);
        c.write(`${answer(line)}\n`);
      }
    });
  });
  await new Promise<void>((r) => server!.listen(path, () => r()));
  return { path, lines };
}

describe('monitor control socket', () => {
  it('sits beside the attach socket', () => {
    expect(controlSocketFor('/run/x/sockets/0123456789abcdef.sock')).toBe('/run/x/sockets/0123456789abcdef.ctl');
  });

  it('resize sends one line and resolves true on "ok"', async () => {
    const m = await standIn(() => 'ok');
    expect(await resizeThroughMonitor(m.path, 24, 80)).toBe(true);
    expect(m.lines).toEqual(['resize 24 80']);
  });

  it('an "error" answer is an error naming the command and the reason', async () => {
    const m = await standIn(() => 'error the container has no terminal');
    await expect(resizeThroughMonitor(m.path, 24, 80)).rejects.toThrow(new MonitorControlError('resize 24 80', 'the container has no terminal'));
  });

  it('no monitor listening: false (nothing to resize)', async () => {
    expect(await resizeThroughMonitor('/nonexistent/x.ctl', 24, 80)).toBe(false);
  });
});
