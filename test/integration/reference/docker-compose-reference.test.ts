// docker-compose 1.29 (Debian's: a real client written by others) drives the
// guestbook on each engine with the same steps and the same assertions: on
// Docker's own daemon this proves the suite, on ours it proves the engine.
// up -d, ps, HTTP from the host, exec, run --rm, logs, restart, stop, start,
// down + up keeping the named volume's data, down -v removing everything.
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerdGate } from '../../helpers/dockerd.js';
import { uniqueName } from '../../helpers/names.js';
import { REPO_ROOT } from '../../helpers/rootfs.js';
import { freePort, http } from '../examples/image-runner.js';
import { BUILD_TIMEOUT_MS, ENGINE_KINDS, exampleArchives, leftovers, loadArchives, startEngine, waitHealthy, type ReferenceEngine } from './engines.js';

const gate = dockerdGate('the docker-compose reference suite', ['docker-compose', 'debootstrap', 'chroot']);

describe.skipIf(gate.skip).each(ENGINE_KINDS)('docker-compose 1.29 runs the guestbook on %s', (kind) => {
  const project = uniqueName('tsct').slice(0, 10);
  let engine: ReferenceEngine;
  let webPort = 0;
  let workDir = '';

  beforeAll(async () => {
    const archives = await exampleArchives(['mariadb-10.11', 'guestbook-web-1']);
    engine = await startEngine(kind, project);
    await loadArchives(engine, archives);
    webPort = await freePort();
    // docker-compose 1.29 predates the top-level `name:`.
    workDir = path.join(engine.dir, 'guestbook');
    mkdirSync(workDir);
    writeFileSync(path.join(workDir, 'docker-compose.yml'), readFileSync(path.join(REPO_ROOT, 'examples/guestbook/compose.yaml'), 'utf8').replace(/^name: .*$/m, ''));
  }, BUILD_TIMEOUT_MS + 120_000);

  afterAll(async () => {
    const notes = await engine?.stop();
    if (notes?.length) console.error(`${kind} cleanup: ${notes.join('; ')}`);
  }, 180_000);

  /** Asynchronous: our engine answers from this same process, so a synchronous spawn would starve it. */
  function dockerCompose(...args: string[]): Promise<{ code: number; out: string }> {
    return new Promise((resolve) => {
      execFile('docker-compose', ['-p', project, ...args], {
        cwd: workDir, encoding: 'utf8', timeout: 180_000, maxBuffer: 16 << 20,
        env: { ...process.env, DOCKER_HOST: engine.host, WEB_PORT: String(webPort), COMPOSE_INTERACTIVE_NO_CLI: '1' },
      }, (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, out: `${stdout}${stderr}` }));
    });
  }

  const page = async () => (await http('GET', `http://127.0.0.1:${webPort}/`)).body;

  it('up -d creates the network, the volume and both containers; db turns healthy, web serves', async () => {
    const up = await dockerCompose('up', '-d');
    expect(up.out).toContain(`Creating network "${project}_default" with the default driver`);
    expect(up.out).toContain(`Creating volume "${project}_db-data" with default driver`);
    expect(up.out).toMatch(new RegExp(`Creating ${project}_web_1 .*done`));
    expect(up.code).toBe(0);
    await waitHealthy(engine, `${project}_web_1`);
    const ps = (await dockerCompose('ps')).out;
    expect(ps).toMatch(new RegExp(`${project}_db_1 .*Up \\(healthy\\)`));
    expect(ps).toMatch(new RegExp(`${project}_web_1 .*Up \\(healthy\\) .*0\\.0\\.0\\.0:${webPort}->8080/tcp`));
  }, 300_000);

  it('stores an entry over HTTP from the host through the published port', async () => {
    const post = await http('POST', `http://127.0.0.1:${webPort}/entries`, { type: 'application/json', data: JSON.stringify({ name: 'dc', message: `via docker-compose ${project}` }) });
    expect(post.status).toBe(201);
    expect(await page()).toContain(`via docker-compose ${project}`);
  }, 60_000);

  it('exec, run --rm and logs', async () => {
    const exec = await dockerCompose('exec', '-T', 'db', 'sh', '-c', 'echo exec-ok; exit 3');
    expect(exec.out).toContain('exec-ok');
    expect(exec.code).toBe(3);
    const run = await dockerCompose('run', '--rm', '-T', 'web', 'node', '-e', 'console.log("run-ok " + require("os").hostname().length)');
    expect(run.out).toContain('run-ok 12');
    expect(run.code).toBe(0);
    const logs = await dockerCompose('logs', '--no-color', 'web');
    expect(logs.out).toMatch(/web_1 +\| .*guestbook listening on \*:8080/);
    expect(logs.out).toContain('entry 1 added by "dc"');
    // run --rm removed its container.
    expect((await leftovers(engine, project)).containers.sort()).toEqual([`/${project}_db_1`, `/${project}_web_1`]);
  }, 180_000);

  it('restart, stop and start keep the service answering with its data', async () => {
    expect((await dockerCompose('restart', 'web')).code).toBe(0);
    await waitHealthy(engine, `${project}_web_1`);
    const stop = await dockerCompose('stop');
    expect(stop.code).toBe(0);
    expect((await dockerCompose('ps')).out).toMatch(new RegExp(`${project}_web_1 .*Exit`));
    expect((await dockerCompose('start')).code).toBe(0);
    await waitHealthy(engine, `${project}_web_1`);
    expect(await page()).toContain(`via docker-compose ${project}`);
  }, 240_000);

  it('keeps the data in the named volume across down and up; down -v removes everything', async () => {
    const down = await dockerCompose('down');
    expect(down.code).toBe(0);
    expect(down.out).toContain(`Removing network ${project}_default`);
    expect(await leftovers(engine, project)).toEqual({ containers: [], networks: [], volumes: [`${project}_db-data`] });
    expect((await dockerCompose('up', '-d')).code).toBe(0);
    await waitHealthy(engine, `${project}_web_1`);
    expect(await page()).toContain(`via docker-compose ${project}`);
    const downV = await dockerCompose('down', '-v');
    expect(downV.code).toBe(0);
    expect(downV.out).toContain(`Removing volume ${project}_db-data`);
    expect(await leftovers(engine, project)).toEqual({ containers: [], networks: [], volumes: [] });
  }, 300_000);
});
