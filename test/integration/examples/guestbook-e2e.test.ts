// The guestbook, end to end on our own engine, the way a user runs it:
// `up -d --wait` (network, named volume, MariaDB health check, the app
// waiting for it, a published port), real HTTP from the host, data that
// survives `down` + `up`, and `down -v` leaving no container, network or
// volume behind. Then the same stack driven by docker-compose 1.29 (Debian's,
// a real client written by others) with DOCKER_HOST on our socket.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireRoot } from '../../helpers/require-root.js';
import { BUILD_TIMEOUT_MS, ExampleStack } from './e2e-harness.js';
import { freePort, http } from './image-runner.js';

const gate = requireRoot(['runc', 'debootstrap', 'chroot', 'curl', 'docker-compose'], 'the guestbook end-to-end test');

describe.skipIf(gate.skip)('guestbook on the tscompose engine', () => {
  let webPort = 0;
  let stack: ExampleStack;

  beforeAll(async () => {
    webPort = await freePort();
    stack = new ExampleStack('guestbook', { WEB_PORT: String(webPort) });
    await stack.start();
  }, BUILD_TIMEOUT_MS + 60_000);

  afterAll(() => stack?.stop(), 120_000);

  it('up -d --wait brings db (healthy) then web, published on the host', async () => {
    const up = await stack.compose('up', '-d', '--wait');
    expect(up.stderr).toContain(`Container ${stack.project}-db-1  Healthy`);
    expect(up.code).toBe(0);
    const rows = await stack.ps();
    expect(rows.map((r) => [r.Service, r.State, r.Health]).sort()).toEqual([['db', 'running', 'healthy'], ['web', 'running', 'healthy']]);
  }, 240_000);

  it('serves the page and stores an entry over HTTP from the host', async () => {
    const post = await http('POST', `http://127.0.0.1:${webPort}/entries`, { type: 'application/json', data: JSON.stringify({ name: 'ada', message: `hello ${stack.project}` }) });
    expect(post.status).toBeLessThan(300);
    const page = await http('GET', `http://127.0.0.1:${webPort}/`);
    expect(page.status).toBe(200);
    expect(page.body).toContain(`hello ${stack.project}`);
  }, 60_000);

  it('keeps the entries in the named volume across down and up', async () => {
    expect((await stack.compose('down')).code).toBe(0);
    expect((await stack.compose('up', '-d', '--wait')).code).toBe(0);
    const page = await http('GET', `http://127.0.0.1:${webPort}/`);
    expect(page.body).toContain(`hello ${stack.project}`);
    const logs = await stack.compose('logs', '--no-color', 'web');
    expect(logs.stdout).toMatch(/web-1 +\| .*listening/);
  }, 240_000);

  it('down -v leaves no container, network or volume of the project', async () => {
    expect((await stack.compose('down', '-v')).code).toBe(0);
    expect(await stack.leftovers()).toEqual({ containers: [], networks: [], volumes: [] });
  }, 120_000);

  /**
   * docker-compose 1.29 on our socket, in a copy of the example without the
   * top-level `name:` it predates. Asynchronous: the engine answers from this
   * same process, so a synchronous spawn would starve it.
   */
  function dockerCompose(...args: string[]): Promise<{ code: number; out: string }> {
    const dcDir = path.join(stack.workDir, 'dc');
    if (!existsSync(dcDir)) {
      mkdirSync(dcDir, { recursive: true });
      writeFileSync(path.join(dcDir, 'docker-compose.yml'), readFileSync(stack.composeFile, 'utf8').replace(/^name: .*$/m, ''));
    }
    return new Promise((resolve) => {
      execFile('docker-compose', ['-p', `${stack.project}dc`, ...args], {
        cwd: dcDir, encoding: 'utf8', timeout: 180_000, maxBuffer: 16 << 20,
        env: { ...process.env, DOCKER_HOST: stack.host, WEB_PORT: String(webPort), COMPOSE_INTERACTIVE_NO_CLI: '1' },
      }, (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, out: `${stdout}${stderr}` }));
    });
  }

  it('docker-compose 1.29 runs the same stack on our engine: up, ps, exec, run --rm, logs, restart, stop, start, down -v', async () => {
    const up = await dockerCompose('up', '-d');
    expect(up.out).toContain('done');
    expect(up.code).toBe(0);
    await waitHealthy(`${stack.project}dc_web_1`);
    expect((await dockerCompose('ps')).out).toMatch(/_db_1 .*Up \(healthy\)/);
    const post = await http('POST', `http://127.0.0.1:${webPort}/entries`, { type: 'application/json', data: JSON.stringify({ name: 'dc', message: `via docker-compose ${stack.project}` }) });
    expect(post.status).toBeLessThan(300);
    expect((await dockerCompose('exec', '-T', 'db', 'sh', '-c', 'echo exec-ok')).out).toContain('exec-ok');
    expect((await dockerCompose('run', '--rm', '-T', 'web', 'node', '-e', 'console.log("run-ok")')).out).toContain('run-ok');
    expect((await dockerCompose('logs', '--no-color', 'web')).out).toContain(`entry 1 added by "dc"`);
    expect((await dockerCompose('restart', 'web')).code).toBe(0);
    expect((await dockerCompose('stop')).code).toBe(0);
    expect((await dockerCompose('start')).code).toBe(0);
    await waitHealthy(`${stack.project}dc_web_1`);
    expect((await http('GET', `http://127.0.0.1:${webPort}/`)).body).toContain(`via docker-compose ${stack.project}`);
    // The data lives in the named volume: it survives down + up, and down -v removes it.
    expect((await dockerCompose('down')).code).toBe(0);
    expect((await dockerCompose('up', '-d')).code).toBe(0);
    await waitHealthy(`${stack.project}dc_web_1`);
    expect((await http('GET', `http://127.0.0.1:${webPort}/`)).body).toContain(`via docker-compose ${stack.project}`);
    const down = await dockerCompose('down', '-v');
    expect(down.code).toBe(0);
    expect(down.out).toContain(`Removing volume ${stack.project}dc_db-data`);
  }, 400_000);

  async function waitHealthy(name: string): Promise<void> {
    const client = stack.client();
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
