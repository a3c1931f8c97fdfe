// The guestbook, end to end on our own engine, the way a user runs it:
// `up -d --wait` (network, named volume, MariaDB health check, the app
// waiting for it, a published port), real HTTP from the host, data that
// survives `down` + `up`, and `down -v` leaving no container, network or
// volume behind. Then the same stack driven by docker-compose 1.29 (Debian's,
// a real client written by others) with DOCKER_HOST on our socket. Images come from examples/images/build-all.sh (cached
// after the first build) and are loaded through the engine's API.
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../compose/cli/main.js';
import { setCliTestHooks } from '../../../compose/cli/session.js';
import { HttpEngineClient } from '../../../runtime/client/index.js';
import { Engine } from '../../../runtime/engine/engine.js';
import { requireRoot } from '../../helpers/require-root.js';
import { REPO_ROOT } from '../../helpers/rootfs.js';
import { removeTestNetworks, testNetworkOptions } from '../engine/helpers.js';
import { freePort, http } from './image-runner.js';

const gate = requireRoot(['runc', 'debootstrap', 'chroot', 'curl', 'docker-compose'], 'the guestbook end-to-end test');
const CACHE = process.env.TSCOMPOSE_EXAMPLES_CACHE ?? '/var/cache/tscompose-examples';
const BUILD_TIMEOUT_MS = 40 * 60_000;
const project = `tsct${Math.random().toString(36).slice(2, 8)}`;
const composeFile = path.join(REPO_ROOT, 'examples/guestbook/compose.yaml');

/** Builds the example images (cached) and loads them into the engine on `socket`. */
function buildAndLoad(socket: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(path.join(REPO_ROOT, 'examples/images/build-all.sh'), ['--load'], {
      timeout: BUILD_TIMEOUT_MS, maxBuffer: 64 << 20,
      env: { ...process.env, TSCOMPOSE_EXAMPLES_CACHE: CACHE, DOCKER_HOST: `unix://${socket}` },
    }, (err, stdout, stderr) => (err ? reject(new Error(`examples/images/build-all.sh --load failed: ${err.message}\n${stdout}\n${stderr}`.slice(-4000))) : resolve()));
  });
}

describe.skipIf(gate.skip)('guestbook on the tscompose engine', () => {
  let dir = '';
  let socket = '';
  let engine: Engine | undefined;
  let webPort = 0;
  const net = testNetworkOptions(project);

  async function compose(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    let stdout = '';
    let stderr = '';
    const code = await main(['node', 'tscompose', '-f', composeFile, '-p', project, '--progress', 'plain', ...args], {
      stdout: (s) => (stdout += s),
      stderr: (s) => (stderr += s),
      cwd: path.dirname(composeFile),
      env: { WEB_PORT: String(webPort) },
      readStdin: () => '',
      writeFile: () => {},
    });
    return { code, stdout, stderr };
  }

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), `${project}-`));
    socket = path.join(dir, 'engine.sock');
    webPort = await freePort();
    engine = await Engine.start({ root: path.join(dir, 'root'), socketPath: socket, cgroupParent: project, log: () => {}, ...net });
    setCliTestHooks({ connect: async () => new HttpEngineClient({ host: `unix://${socket}` }), pollMs: 200 });
    await buildAndLoad(socket);
  }, BUILD_TIMEOUT_MS + 60_000);

  afterAll(async () => {
    setCliTestHooks({});
    if (socket) {
      const client = new HttpEngineClient({ host: `unix://${socket}` });
      for (const c of await client.listContainers({ all: true }).catch(() => [])) await client.removeContainer(c.Id, { force: true, volumes: true }).catch(() => {});
      client.close();
    }
    await engine?.close();
    if (dir) await removeTestNetworks(path.join(dir, 'root'), net.networkLinkPrefix);
    for (const ctrl of readdirSync('/sys/fs/cgroup')) {
      const p = path.join('/sys/fs/cgroup', ctrl, project);
      if (existsSync(p)) {
        try {
          rmdirSync(p);
        } catch {
          // not empty: reported by the leak checks of the suite
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
  }, 120_000);

  it('up -d --wait brings db (healthy) then web, published on the host', async () => {
    const up = await compose('up', '-d', '--wait');
    expect(up.stderr).toContain(`Container ${project}-db-1  Healthy`);
    expect(up.code).toBe(0);
    const ps = await compose('ps', '--format', 'json');
    const rows = ps.stdout.trim().split('\n').map((l) => JSON.parse(l) as { Service: string; State: string; Health: string });
    expect(rows.map((r) => [r.Service, r.State, r.Health]).sort()).toEqual([['db', 'running', 'healthy'], ['web', 'running', 'healthy']]);
  }, 240_000);

  it('serves the page and stores an entry over HTTP from the host', async () => {
    const post = await http('POST', `http://127.0.0.1:${webPort}/entries`, { type: 'application/json', data: JSON.stringify({ name: 'ada', message: `hello ${project}` }) });
    expect(post.status).toBeLessThan(300);
    const page = await http('GET', `http://127.0.0.1:${webPort}/`);
    expect(page.status).toBe(200);
    expect(page.body).toContain(`hello ${project}`);
  }, 60_000);

  it('keeps the entries in the named volume across down and up', async () => {
    expect((await compose('down')).code).toBe(0);
    expect((await compose('up', '-d', '--wait')).code).toBe(0);
    const page = await http('GET', `http://127.0.0.1:${webPort}/`);
    expect(page.body).toContain(`hello ${project}`);
    const logs = await compose('logs', '--no-color', 'web');
    expect(logs.stdout).toMatch(/web-1 +\| .*listening/);
  }, 240_000);

  it('down -v leaves no container, network or volume of the project', async () => {
    expect((await compose('down', '-v')).code).toBe(0);
    const client = new HttpEngineClient({ host: `unix://${socket}` });
    try {
      const label = `com.docker.compose.project=${project}`;
      expect(await client.listContainers({ all: true, filters: { label: [label] } })).toEqual([]);
      const networks = await client.listNetworks();
      expect(networks.map((n) => n.Name).filter((n) => n.startsWith(project))).toEqual([]);
      const volumes = await client.listVolumes();
      expect((volumes.Volumes ?? []).map((v) => v.Name).filter((n) => n.startsWith(project))).toEqual([]);
    } finally {
      client.close();
    }
  }, 120_000);

  /**
   * docker-compose 1.29 on our socket, in a copy of the example without the
   * top-level `name:` it predates. Asynchronous: the engine answers from this
   * same process, so a synchronous spawn would starve it.
   */
  function dockerCompose(...args: string[]): Promise<{ code: number; out: string }> {
    const dcDir = path.join(dir, 'dc');
    if (!existsSync(dcDir)) {
      mkdirSync(dcDir, { recursive: true });
      writeFileSync(path.join(dcDir, 'docker-compose.yml'), readFileSync(composeFile, 'utf8').replace(/^name: .*$/m, ''));
    }
    return new Promise((resolve) => {
      execFile('docker-compose', ['-p', `${project}dc`, ...args], {
        cwd: dcDir, encoding: 'utf8', timeout: 180_000, maxBuffer: 16 << 20,
        env: { ...process.env, DOCKER_HOST: `unix://${socket}`, WEB_PORT: String(webPort), COMPOSE_INTERACTIVE_NO_CLI: '1' },
      }, (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, out: `${stdout}${stderr}` }));
    });
  }

  it('docker-compose 1.29 runs the same stack on our engine: up, ps, exec, run --rm, logs, restart, stop, start, down -v', async () => {
    const up = await dockerCompose('up', '-d');
    expect(up.out).toContain('done');
    expect(up.code).toBe(0);
    await waitHealthy(`${project}dc_web_1`);
    expect((await dockerCompose('ps')).out).toMatch(/_db_1 .*Up \(healthy\)/);
    const post = await http('POST', `http://127.0.0.1:${webPort}/entries`, { type: 'application/json', data: JSON.stringify({ name: 'dc', message: `via docker-compose ${project}` }) });
    expect(post.status).toBeLessThan(300);
    expect((await dockerCompose('exec', '-T', 'db', 'sh', '-c', 'echo exec-ok')).out).toContain('exec-ok');
    expect((await dockerCompose('run', '--rm', '-T', 'web', 'node', '-e', 'console.log("run-ok")')).out).toContain('run-ok');
    expect((await dockerCompose('logs', '--no-color', 'web')).out).toContain(`entry 1 added by "dc"`);
    expect((await dockerCompose('restart', 'web')).code).toBe(0);
    expect((await dockerCompose('stop')).code).toBe(0);
    expect((await dockerCompose('start')).code).toBe(0);
    await waitHealthy(`${project}dc_web_1`);
    expect((await http('GET', `http://127.0.0.1:${webPort}/`)).body).toContain(`via docker-compose ${project}`);
    // The data lives in the named volume: it survives down + up, and down -v removes it.
    expect((await dockerCompose('down')).code).toBe(0);
    expect((await dockerCompose('up', '-d')).code).toBe(0);
    await waitHealthy(`${project}dc_web_1`);
    expect((await http('GET', `http://127.0.0.1:${webPort}/`)).body).toContain(`via docker-compose ${project}`);
    const down = await dockerCompose('down', '-v');
    expect(down.code).toBe(0);
    expect(down.out).toContain(`Removing volume ${project}dc_db-data`);
  }, 400_000);

  async function waitHealthy(name: string): Promise<void> {
    const client = new HttpEngineClient({ host: `unix://${socket}` });
    try {
      for (let i = 0; i < 120; i++) {
        const c = await client.inspectContainer(name).catch(() => undefined);
        if (c?.State?.Health?.Status === 'healthy') return;
        await new Promise((r) => setTimeout(r, 500));
      }
      throw new Error(`${name} did not become healthy in 60 s`);
    } finally {
      client.close();
    }
  }
});
