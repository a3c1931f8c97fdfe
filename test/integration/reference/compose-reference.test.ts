// The tscompose CLI, driven exactly as a user would with `--host`, on each
// engine with the same steps and assertions: on Docker's own daemon this
// proves the suite (and that tscompose drives a real Docker), on ours it
// proves the engine. Two stacks: a busybox one (health checks, a failing
// dependency, a service reached by name across the project network and
// through a published port, exec, top, run --rm, an attached up with
// --exit-code-from, down) and the three examples: the guestbook (up --wait,
// HTTP, data across down/up, down -v), the proxy (nginx in front of it, only
// nginx published) and the queue (Redis, an API, two worker replicas).
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../compose/cli/main.js';
import { setCliTestHooks } from '../../../compose/cli/session.js';
import { dockerdGate } from '../../helpers/dockerd.js';
import { uniqueName } from '../../helpers/names.js';
import { REPO_ROOT } from '../../helpers/rootfs.js';
import { freePort, http, waitFor } from '../examples/image-runner.js';
import { BUILD_TIMEOUT_MS, ENGINE_KINDS, exampleArchives, importBusybox, leftovers, loadArchives, startEngine, type ReferenceEngine } from './engines.js';

const gate = dockerdGate('the tscompose reference suite', ['debootstrap', 'chroot']);
const BUSYBOX = 'tsctref/busybox:1';

interface CliResult { code: number; stdout: string; stderr: string }
interface PsRow { Name: string; Service: string; State: string; Health: string; Publishers: { TargetPort: number; PublishedPort: number; Protocol: string }[] }

/**
 * `tscompose --host <engine> -p <project> …` in-process, through the CLI's
 * own connection code (no test hook): the same path `tscompose --host
 * unix:///var/run/docker.sock` takes. DOCKER_HOST is set for the duration
 * too, so that a daemon that died would be an error here, never a reason
 * for the launcher to start an engine of ours on its socket.
 */
function cliFor(engine: () => ReferenceEngine, project: string, files: { file: string; stdin?: string; env?: Record<string, string> }) {
  return async (...args: string[]): Promise<CliResult> => {
    let stdout = '';
    let stderr = '';
    const e = engine();
    const saved = process.env.DOCKER_HOST;
    process.env.DOCKER_HOST = e.host;
    try {
      const code = await main(['node', 'tscompose', '--host', e.host, '-f', files.file, '-p', project, '--progress', 'plain', ...args], {
        stdout: (s) => (stdout += s),
        stderr: (s) => (stderr += s),
        cwd: files.file === '-' ? e.dir : path.dirname(files.file),
        env: { ...files.env },
        readStdin: () => files.stdin ?? '',
        writeFile: () => {},
      });
      return { code, stdout, stderr };
    } finally {
      if (saved === undefined) delete process.env.DOCKER_HOST;
      else process.env.DOCKER_HOST = saved;
    }
  };
}

const psRows = (r: CliResult): PsRow[] => r.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as PsRow);

describe.skipIf(gate.skip).each(ENGINE_KINDS)('tscompose --host on %s', (kind) => {
  let engine: ReferenceEngine;

  beforeAll(async () => {
    const archives = await exampleArchives(['mariadb-10.11', 'guestbook-web-1', 'nginx-1.22', 'redis-7.0', 'queue-app-1']);
    engine = await startEngine(kind, uniqueName('tsct').slice(0, 10));
    await importBusybox(engine, BUSYBOX);
    await loadArchives(engine, archives);
    // Health checks are polled: a short interval keeps the waits short on both engines.
    setCliTestHooks({ pollMs: 200 });
  }, BUILD_TIMEOUT_MS + 120_000);

  afterAll(async () => {
    setCliTestHooks({});
    const notes = await engine?.stop();
    if (notes?.length) console.error(`${kind} cleanup: ${notes.join('; ')}`);
  }, 180_000);

  describe('a busybox stack', () => {
    const project = uniqueName('tsct').slice(0, 10);
    let dbPort = 0;
    let cli: ReturnType<typeof cliFor>;

    beforeAll(async () => {
      dbPort = await freePort();
      const yaml = `
services:
  db:
    image: ${BUSYBOX}
    command: ["sh", "-c", "echo db ready; mkdir -p /www; echo hello from db > /www/index.html; exec busybox httpd -f -p 8080 -h /www"]
    stop_signal: SIGKILL
    ports: ["127.0.0.1:${dbPort}:8080"]
    healthcheck: {test: ["CMD", "true"], interval: 1s}
  app:
    image: ${BUSYBOX}
    command: ["sh", "-c", "echo app says hi; exec sleep 300"]
    stop_signal: SIGKILL
    depends_on: {db: {condition: service_healthy}}
  sick:
    image: ${BUSYBOX}
    command: ["sleep", "300"]
    stop_signal: SIGKILL
    healthcheck: {test: ["CMD", "false"], interval: 1s, retries: 1}
  needs_sick:
    image: ${BUSYBOX}
    command: ["sleep", "300"]
    depends_on: {sick: {condition: service_healthy}}
  job:
    image: ${BUSYBOX}
    network_mode: none
    command: ["sh", "-c", "echo job done; sleep 1; exit 3"]
  locked:
    image: ${BUSYBOX}
    network_mode: none
    read_only: true
    command: ["true"]
`;
      cli = cliFor(() => engine, project, { file: '-', stdin: yaml });
    });

    it('up -d starts db before app; a second up changes nothing and says they run', async () => {
      const up = await cli('up', '-d', 'db', 'app');
      expect(up.stderr).toContain(`Network ${project}_default  Created`);
      expect(up.stderr).toContain(`Container ${project}-app-1  Started`);
      expect(up.stderr.indexOf(`Container ${project}-db-1  Healthy`)).toBeLessThan(up.stderr.indexOf(`Container ${project}-app-1  Started`));
      expect(up.code).toBe(0);
      const again = await cli('up', '-d', 'db', 'app');
      expect(again.code).toBe(0);
      expect(again.stderr).toBe(`Container ${project}-app-1  Running\nContainer ${project}-db-1  Running\n`);
    }, 90_000);

    it('--wait returns once db is healthy; an unhealthy dependency fails the up', async () => {
      const wait = await cli('up', '--wait', '--wait-timeout', '30', 'db');
      expect(wait.code).toBe(0);
      expect(wait.stderr).toContain(`Container ${project}-db-1  Healthy`);
      const sick = await cli('up', '-d', 'needs_sick');
      expect(sick.code).toBe(1);
      expect(sick.stderr.trim().split('\n').at(-1)).toBe(`dependency failed to start: container ${project}-sick-1 is unhealthy`);
      expect((await cli('rm', '-s', '-f', 'sick', 'needs_sick')).code).toBe(0);
    }, 90_000);

    it('ps and logs show the running services and the published port', async () => {
      const rows = psRows(await cli('ps', '--format', 'json'));
      expect(rows.map((c) => `${c.Service} ${c.State} ${c.Health}`)).toEqual(['app running ', 'db running healthy']);
      expect(rows.find((r) => r.Service === 'db')?.Publishers).toContainEqual(expect.objectContaining({ TargetPort: 8080, PublishedPort: dbPort, Protocol: 'tcp' }));
      const logs = await cli('logs', '--no-log-prefix', 'db');
      expect(logs.stdout).toBe('db ready\n');
      const port = await cli('port', 'db', '8080');
      expect(port.stdout.trim()).toBe(`127.0.0.1:${dbPort}`);
    }, 30_000);

    it('app reaches db by service name on the project network, and the host through the published port', async () => {
      const byName = await cli('exec', '-T', 'app', 'busybox', 'wget', '-q', '-O', '-', 'http://db:8080/');
      expect(byName.stdout).toBe('hello from db\n');
      expect(byName.code).toBe(0);
      const fromHost = await http('GET', `http://127.0.0.1:${dbPort}/`);
      expect(fromHost.body).toBe('hello from db\n');
    }, 30_000);

    it('exec returns the command status; top lists the processes', async () => {
      const exec = await cli('exec', '-T', 'app', 'sh', '-c', 'echo from exec; exit 4');
      expect(exec.stdout).toBe('from exec\n');
      expect(exec.code).toBe(4);
      const top = await cli('top', 'app');
      expect(top.stdout).toContain(`${project}-app-1\n`);
      expect(top.stdout).toContain('sleep 300');
    }, 30_000);

    it('the process gets what Docker gives it: groups, low ports for any user, the command as dockerd lists it', async () => {
      expect((await cli('exec', '-T', 'app', 'id')).stdout).toBe('uid=0(root) gid=0(root) groups=0(root)\n');
      expect((await cli('exec', '-T', '-u', 'app', 'app', 'id')).stdout).toBe('uid=1000(app) gid=1000(app) groups=10(wheel),1000(app)\n');
      // Docker sets net.ipv4.ip_unprivileged_port_start=0 in a container's own network namespace.
      const low = await cli('exec', '-T', '-u', 'app', 'app', 'sh', '-c', 'busybox httpd -p 81 -h /tmp && echo bound 81');
      expect(low.stdout).toBe('bound 81\n');
      const rows = psRows(await cli('ps', '--format', 'json', 'app'));
      expect((rows[0] as PsRow & { Command: string }).Command).toBe(`"sh -c 'echo app says hi; exec sleep 300'"`);
    }, 30_000);

    it('a read-only root keeps /etc/hosts read-only too; a command that cannot run exits 126', async () => {
      const ro = await cli('run', '--rm', '-T', 'locked', 'sh', '-c', 'echo x >> /etc/hosts || echo hosts read-only');
      expect(ro.stdout).toContain('hosts read-only\n');
      const streams = await cli('run', '--rm', '-T', 'locked', 'sh', '-c', 'echo out; echo err >&2');
      expect([streams.stdout, streams.stderr]).toEqual(['out\n', expect.stringContaining('err\n')]);
      // The engine's error in runc's words (the docker CLI makes 126 of it); --rm removes the one-off that never ran.
      const denied = await cli('run', '--rm', '-T', 'app', '/etc/passwd');
      expect(denied.stderr).toContain('exec: "/etc/passwd": permission denied');
      expect(denied.code).not.toBe(0);
    }, 60_000);

    it('run --rm runs a one-off container and removes it', async () => {
      const run = await cli('run', '--rm', '-T', 'app', 'sh', '-c', 'echo one-off $(hostname | wc -c); exit 5');
      expect(run.stdout).toBe('one-off 13\n');
      expect(run.code).toBe(5);
      expect((await leftovers(engine, project)).containers.sort()).toEqual([`/${project}-app-1`, `/${project}-db-1`]);
    }, 60_000);

    it('attached up --exit-code-from returns the job status with its output', async () => {
      const r = await cli('up', '--exit-code-from', 'job', 'job');
      expect(r.code).toBe(3);
      expect(r.stdout).toContain('job-1  | job done\n');
      expect(r.stdout).toContain('job-1 exited with code 3\n');
    }, 60_000);

    it('down removes every container and the network', async () => {
      const r = await cli('down');
      expect(r.code).toBe(0);
      expect(r.stderr).toContain(`Network ${project}_default  Removed`);
      expect(await leftovers(engine, project)).toEqual({ containers: [], networks: [], volumes: [] });
    }, 60_000);
  });

  describe('the guestbook example', () => {
    const project = uniqueName('tsct').slice(0, 10);
    let webPort = 0;
    let cli: ReturnType<typeof cliFor>;

    beforeAll(async () => {
      webPort = await freePort();
      cli = cliFor(() => engine, project, { file: path.join(REPO_ROOT, 'examples/guestbook/compose.yaml'), env: { WEB_PORT: String(webPort) } });
    });

    it('up -d --wait brings db (healthy) then web, published on the host', async () => {
      const up = await cli('up', '-d', '--wait');
      expect(up.stderr).toContain(`Container ${project}-db-1  Healthy`);
      expect(up.code).toBe(0);
      const rows = psRows(await cli('ps', '--format', 'json'));
      expect(rows.map((r) => [r.Service, r.State, r.Health]).sort()).toEqual([['db', 'running', 'healthy'], ['web', 'running', 'healthy']]);
      expect(rows.find((r) => r.Service === 'web')?.Publishers).toContainEqual(expect.objectContaining({ TargetPort: 8080, PublishedPort: webPort }));
    }, 300_000);

    it('serves the page and stores an entry over HTTP from the host', async () => {
      const post = await http('POST', `http://127.0.0.1:${webPort}/entries`, { type: 'application/json', data: JSON.stringify({ name: 'ada', message: `hello ${project}` }) });
      expect(post.status).toBe(201);
      const page = await http('GET', `http://127.0.0.1:${webPort}/`);
      expect(page.status).toBe(200);
      expect(page.body).toContain(`hello ${project}`);
    }, 60_000);

    it('exec and run reach the database by service name', async () => {
      const exec = await cli('exec', '-T', 'db', 'sh', '-c', 'mariadb -u guestbook -pguestbook guestbook -N -e "SELECT COUNT(*) FROM entries"');
      expect(exec.stdout.trim()).toBe('1');
      const run = await cli('run', '--rm', '--no-deps', '-T', 'web', 'node', '-e', 'require("dns").lookup("db", (e, a) => console.log(e ? "no db" : "db resolves"))');
      expect(run.stdout).toBe('db resolves\n');
      expect(run.code).toBe(0);
    }, 120_000);

    it('keeps the entries in the named volume across down and up', async () => {
      expect((await cli('down')).code).toBe(0);
      expect(await leftovers(engine, project)).toEqual({ containers: [], networks: [], volumes: [`${project}_db-data`] });
      expect((await cli('up', '-d', '--wait')).code).toBe(0);
      const page = await http('GET', `http://127.0.0.1:${webPort}/`);
      expect(page.body).toContain(`hello ${project}`);
      const logs = await cli('logs', '--no-color', 'web');
      expect(logs.stdout).toMatch(/web-1 +\| .*listening/);
    }, 300_000);

    it('down -v leaves no container, network or volume of the project', async () => {
      const down = await cli('down', '-v');
      expect(down.code).toBe(0);
      expect(down.stderr).toContain(`Volume ${project}_db-data  Removed`);
      expect(await leftovers(engine, project)).toEqual({ containers: [], networks: [], volumes: [] });
    }, 120_000);
  });

  describe('the proxy example', () => {
    const project = uniqueName('tsct').slice(0, 10);
    let port = 0;
    let cli: ReturnType<typeof cliFor>;
    const url = (p: string) => `http://127.0.0.1:${port}${p}`;

    beforeAll(async () => {
      port = await freePort();
      cli = cliFor(() => engine, project, { file: path.join(REPO_ROOT, 'examples/proxy/compose.yaml'), env: { PROXY_PORT: String(port) } });
    });

    it('up -d --wait: db and web healthy, then nginx, the only one published; an entry goes through nginx', async () => {
      const up = await cli('up', '-d', '--wait');
      expect(up.code, up.stderr).toBe(0);
      const rows = psRows(await cli('ps', '--format', 'json'));
      expect(rows.map((r) => [r.Service, r.State, r.Health]).sort()).toEqual([['db', 'running', 'healthy'], ['proxy', 'running', ''], ['web', 'running', 'healthy']]);
      // dockerd lists 0.0.0.0 and :: as two publishers of one port, ours one dual-stack socket: the same ports either way.
      expect([...new Set(rows.flatMap((r) => r.Publishers.filter((p) => p.PublishedPort).map((p) => `${r.Service} ${p.PublishedPort}->${p.TargetPort}`)))]).toEqual([`proxy ${port}->80`]);
      const health = await waitFor('nginx', async () => {
        const r = await http('GET', url('/nginx-health'));
        return r.status === 200 ? r : undefined;
      }, 30_000);
      expect(health.body).toBe('ok\n');
      const post = await http('POST', url('/entries'), { type: 'application/json', data: JSON.stringify({ name: 'grace', message: `proxied ${project}` }) });
      expect(post.status).toBe(201);
      expect(post.headers['x-served-via']).toBe('nginx');
      const page = await http('GET', url('/'));
      expect(page.body).toContain(`proxied ${project}`);
      const logs = await cli('logs', '--no-color', 'proxy');
      expect(logs.stdout).toMatch(/proxy-1 +\| .*"POST \/entries HTTP\/1\.1" 201/);
    }, 300_000);

    it('down -v leaves no container, network or volume of the project', async () => {
      expect((await cli('down', '-v')).code).toBe(0);
      expect(await leftovers(engine, project)).toEqual({ containers: [], networks: [], volumes: [] });
    }, 120_000);
  });

  describe('the queue example', () => {
    const project = uniqueName('tsct').slice(0, 10);
    let port = 0;
    let cli: ReturnType<typeof cliFor>;
    const url = (p: string) => `http://127.0.0.1:${port}${p}`;

    beforeAll(async () => {
      port = await freePort();
      cli = cliFor(() => engine, project, { file: path.join(REPO_ROOT, 'examples/queue/compose.yaml'), env: { API_PORT: String(port) } });
    });

    it('up -d --wait: redis healthy, the api and two workers; jobs posted from the host are done by the workers', async () => {
      const up = await cli('up', '-d', '--wait');
      expect(up.code, up.stderr).toBe(0);
      const rows = psRows(await cli('ps', '--format', 'json'));
      expect(rows.map((r) => `${r.Name} ${r.State}`).sort()).toEqual([`${project}-api-1 running`, `${project}-redis-1 running`, `${project}-worker-1 running`, `${project}-worker-2 running`]);
      const ids: number[] = [];
      for (let i = 0; i < 4; i++) {
        const r = await waitFor('POST /jobs', async () => {
          const res = await http('POST', url('/jobs'), { type: 'application/json', data: JSON.stringify({ text: `job ${i} has five words` }) });
          return res.status === 202 ? res : undefined;
        }, 30_000);
        ids.push((JSON.parse(r.body) as { id: number }).id);
      }
      for (const id of ids) {
        const job = await waitFor(`job ${id}`, async () => {
          const job = JSON.parse((await http('GET', url(`/jobs/${id}`))).body) as { status: string; worker?: string; result?: { words: number } };
          return job.status === 'done' || job.status === 'failed' ? job : undefined;
        }, 30_000);
        expect(job.status).toBe('done');
        expect(job.result?.words).toBe(5);
        expect(job.worker).toBeTruthy();
      }
    }, 300_000);

    it('down -v leaves no container, network or volume of the project', async () => {
      expect((await cli('down', '-v')).code).toBe(0);
      expect(await leftovers(engine, project)).toEqual({ containers: [], networks: [], volumes: [] });
    }, 120_000);
  });
});
