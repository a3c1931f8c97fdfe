// The compose commands on our own engine (in-process, private root and
// socket): up, ps, logs, an attached up with --exit-code-from, stop, down.
// Services use network_mode: none until the engine serves networks.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../compose/cli/main.js';
import { setCliTestHooks } from '../../../compose/cli/session.js';
import { HttpEngineClient } from '../../../runtime/client/index.js';
import { Engine } from '../../../runtime/engine/engine.js';
import { makeBusyboxRootfs, missingPrerequisite, singleLayerImages } from '../engine/helpers.js';

const why = missingPrerequisite();
if (why && process.env.CI) throw new Error(`cli integration tests cannot run: ${why}`);
const d = why ? describe.skip : describe;

const prefix = `tsct${Math.random().toString(36).slice(2, 8)}`;
const YAML = `
services:
  db:
    image: busybox
    network_mode: none
    command: ["sh", "-c", "echo db ready; exec sleep 300"]
    stop_signal: SIGKILL
    healthcheck: {test: ["CMD", "true"], interval: 1s}
  app:
    image: busybox
    network_mode: none
    command: ["sh", "-c", "echo app says hi; exec sleep 300"]
    stop_signal: SIGKILL
    depends_on: {db: {condition: service_healthy}}
  sick:
    image: busybox
    network_mode: none
    command: ["sleep", "300"]
    stop_signal: SIGKILL
    healthcheck: {test: ["CMD", "false"], interval: 1s, retries: 1}
  needs_sick:
    image: busybox
    network_mode: none
    command: ["sleep", "300"]
    depends_on: {sick: {condition: service_healthy}}
  job:
    image: busybox
    network_mode: none
    command: ["sh", "-c", "echo job done; sleep 1; exit 3"]
`;

let dir = '';
let socket = '';
let engine: Engine | undefined;

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(['node', 'tscompose', '-f', '-', '-p', prefix, ...args], {
    stdout: (s) => (stdout += s),
    stderr: (s) => (stderr += s),
    cwd: dir,
    env: {},
    readStdin: () => YAML,
    writeFile: () => {},
  });
  return { code, stdout, stderr };
}

d('compose commands on the tscompose engine', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
    socket = join(dir, 'engine.sock');
    const layer = makeBusyboxRootfs(join(dir, 'layer'));
    engine = await Engine.start({ root: join(dir, 'root'), socketPath: socket, runtime: 'runc', monitor: 'node', images: singleLayerImages(layer), cgroupParent: prefix, log: () => {} });
    setCliTestHooks({ connect: async () => new HttpEngineClient({ host: `unix://${socket}` }), pollMs: 50 });
  });

  afterAll(async () => {
    setCliTestHooks({});
    if (socket) {
      const client = new HttpEngineClient({ host: `unix://${socket}` });
      for (const c of await client.listContainers({ all: true }).catch(() => [])) await client.removeContainer(c.Id, { force: true }).catch(() => {});
      client.close();
    }
    await engine?.close();
    for (const ctrl of readdirSync('/sys/fs/cgroup')) {
      const p = join('/sys/fs/cgroup', ctrl, prefix);
      if (existsSync(p)) {
        try {
          rmdirSync(p);
        } catch {
          // not empty: a container is still there
        }
      }
    }
    if (dir) {
      const mounts = execFileSync('sh', ['-c', `grep -o ' ${dir}[^ ]*' /proc/self/mountinfo || true`]).toString().trim().split('\n').filter(Boolean);
      for (const m of mounts.reverse()) {
        try {
          execFileSync('umount', ['-l', m.trim()]);
        } catch {
          // gone already
        }
      }
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('up -d starts db before app; a second up changes nothing and says they run', async () => {
    const up = await cli('up', '-d', 'db', 'app');
    expect(up.stderr).toContain(`Container ${prefix}-app-1  Started`);
    expect(up.code).toBe(0);
    const again = await cli('up', '-d', 'db', 'app');
    expect(again.code).toBe(0);
    expect(again.stderr).toBe(`Container ${prefix}-app-1  Running\nContainer ${prefix}-db-1  Running\n`);
  }, 60_000);

  it('--wait returns once db is healthy; an unhealthy dependency fails the up', async () => {
    const wait = await cli('up', '--wait', '--wait-timeout', '20', 'db');
    expect(wait.code).toBe(0);
    expect(wait.stderr).toContain(`Container ${prefix}-db-1  Healthy`);
    const sick = await cli('up', '-d', 'needs_sick');
    expect(sick.code).toBe(1);
    expect(sick.stderr.trim().split('\n').at(-1)).toBe(`dependency failed to start: container ${prefix}-sick-1 is unhealthy`);
    expect((await cli('rm', '-s', '-f', 'sick', 'needs_sick')).code).toBe(0);
  }, 60_000);

  it('ps and logs show the running services', async () => {
    const ps = await cli('ps', '--format', 'json');
    expect(ps.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { Service: string; State: string })).map((c) => `${c.Service} ${c.State}`)).toEqual(['app running', 'db running']);
    const logs = await cli('logs', '--no-log-prefix', 'db');
    expect(logs.stdout).toBe('db ready\n');
  }, 30_000);

  it('exec runs in the service container; top lists its processes', async () => {
    const exec = await cli('exec', '-T', 'app', 'sh', '-c', 'echo from exec; exit 4');
    expect(exec.stdout).toBe('from exec\n');
    expect(exec.code).toBe(4);
    const top = await cli('top', 'db');
    expect(top.stdout).toContain(`${prefix}-db-1\n`);
    expect(top.stdout).toContain('sleep 300');
  }, 30_000);

  it('attached up --exit-code-from returns the job status with its output', async () => {
    const r = await cli('up', '--exit-code-from', 'job', 'job');
    expect(r.code).toBe(3);
    expect(r.stdout).toContain('job-1  | job done\n');
    expect(r.stdout).toContain('job-1 exited with code 3\n');
  }, 60_000);

  it('down removes every container of the project', async () => {
    const r = await cli('down');
    expect(r.code).toBe(0);
    const client = new HttpEngineClient({ host: `unix://${socket}` });
    try {
      expect(await client.listContainers({ all: true, filters: { label: [`com.docker.compose.project=${prefix}`] } })).toEqual([]);
    } finally {
      client.close();
    }
  }, 60_000);
});
