// `tscompose engine start|stop|status` and the embedded default
// (ensureEngine): a detached engine process with a private root, and
// containers that keep running across `engine stop` and the next start.

import { spawn } from 'node:child_process';
import { createReadStream, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpEngineClient } from '../../../runtime/client/index.js';
import { engineCommand, ensureEngine } from '../../../runtime/engine/launcher.js';
import { lockHolder } from '../../../runtime/engine/lock-file.js';
import { nodeScriptArgs } from '../../../runtime/containers/node-script.js';
import { makeBusyboxRootfs, missingPrerequisite, tarOf, removeCgroupParent, removeTestNetworks } from './helpers.js';

const why = missingPrerequisite();
if (why && process.env.CI) throw new Error(`engine daemon tests cannot run: ${why}`);
const d = why ? describe.skip : describe;

let dir = '';
let root = '';
let sock = '';
const cgroupParent = `tsctd${Math.random().toString(36).slice(2, 8)}`;

async function cmd(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await engineCommand([...argv, '--root', root, '--socket', sock, '--cgroup-parent', cgroupParent], (s) => out.push(s), (s) => err.push(s));
  return { code, out: out.join('\n'), err: err.join('\n') };
}

d('engine start | stop | status', () => {
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'tsctd-'));
    root = join(dir, 'root');
    sock = join(dir, 'engine.sock');
  });

  afterAll(async () => {
    if (lockHolder(root)) {
      const c = new HttpEngineClient({ host: `unix://${sock}` });
      for (const x of await c.listContainers({ all: true }).catch(() => [])) await c.removeContainer(x.Id, { force: true }).catch(() => {});
      c.close();
      await cmd('stop');
    }
    if (root) await removeTestNetworks(root, 'tsc');
    await removeCgroupParent(cgroupParent);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('starts in the background, reports status, refuses a second engine', async () => {
    expect((await cmd('status')).code).toBe(3);
    const started = await cmd('start');
    expect(started.code).toBe(0);
    expect(started.out).toMatch(new RegExp(`^engine started \\(pid \\d+\\) on unix://${sock}, state in ${root}$`));
    const pid = lockHolder(root)!;
    expect(pid).toBeGreaterThan(0);
    expect((await cmd('status')).out).toBe(`engine running (pid ${pid}) on ${root}; socket unix://${sock} answers`);
    expect((await cmd('start')).out).toBe(`an engine is already running on ${root} (pid ${pid})`);
    // A second engine in the foreground on the same root says who holds it.
    const second = spawn(process.execPath, [...nodeScriptArgs(join(import.meta.dirname, '../../../runtime/engine/engine-main.ts')), '--root', root, '--socket', join(dir, 'other.sock')], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    second.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const code = await new Promise<number | null>((r) => second.on('exit', r));
    expect(code).toBe(1);
    expect(stderr).toContain(`another engine is running on ${root} (pid ${pid})`);
  });

  it('keeps containers running across stop and start, still controllable, logs flowing', async () => {
    const client = new HttpEngineClient({ host: `unix://${sock}` });
    try {
      const rootfs = makeBusyboxRootfs(join(dir, 'rootfs'));
      const tar = tarOf(rootfs, join(dir, 'busybox.tar'));
      for await (const _ of client.importImage(createReadStream(tar), { repo: 'tsctd/busybox', tag: '1' })) { /* progress */ }
      const { Id } = await client.createContainer({ Image: 'tsctd/busybox:1', Cmd: ['sh', '-c', 'i=0; while true; do i=$((i+1)); echo tick$i; sleep 0.2; done'] }, { name: 'tsctd-live' });
      await client.startContainer(Id);
      const pid = (await client.inspectContainer(Id)).State.Pid;

      const stopped = await cmd('stop');
      expect(stopped.out).toMatch(/^engine stopped \(pid \d+\); containers keep running/);
      expect(lockHolder(root)).toBeUndefined();
      expect(existsSync(sock)).toBe(false);
      await new Promise((r) => setTimeout(r, 500));
      process.kill(pid, 0); // alive with no engine

      // The embedded default: the next user of the socket starts the engine.
      expect(await ensureEngine({ host: `unix://${sock}`, root, cgroupParent })).toBe(sock);
      const after = await client.inspectContainer('tsctd-live');
      expect(after.State).toMatchObject({ Status: 'running', Pid: pid });
      expect((await client.listContainers()).map((c) => c.Id)).toEqual([Id]);
      const count = async () => (await client.logsText(Id)).stdout.split('\n').filter(Boolean).length;
      const before = await count();
      await new Promise((r) => setTimeout(r, 800));
      expect(await count()).toBeGreaterThan(before);
      await client.stopContainer(Id, { timeout: 1 });
      expect((await client.inspectContainer(Id)).State).toMatchObject({ Running: false, ExitCode: 137 });
      await client.removeContainer(Id);
    } finally {
      client.close();
    }
    expect((await cmd('stop')).code).toBe(0);
    expect((await cmd('stop')).out).toBe(`no engine is running on ${root}`);
  });
});
