// The commands end to end through `main`, on a FakeEngine: what they call,
// what they print, how they exit.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { runCli, seededEngine, THREE_TIER } from './helpers.js';

describe('up', () => {
  test('up -d creates and starts the project, plain progress on stderr', async () => {
    const engine = seededEngine();
    const r = await runCli(engine, THREE_TIER, ['up', '-d']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('Container app-db-1  Healthy\n');
    expect(r.stderr).toContain('Container app-web-1  Started\n');
    expect(engine.containers.map((c) => `${c.name} ${c.state}`).sort()).toEqual(['app-api-1 running', 'app-db-1 running', 'app-web-1 running']);
  });

  test('a second up -d changes nothing', async () => {
    const engine = seededEngine();
    await runCli(engine, THREE_TIER, ['up', '-d']);
    const before = engine.mutations.length;
    const r = await runCli(engine, THREE_TIER, ['up', '-d']);
    expect(r.code).toBe(0);
    expect(engine.mutations.slice(before)).toEqual([]);
  });

  test('--progress json prints one event per line', async () => {
    const engine = seededEngine();
    const r = await runCli(engine, 'services:\n  w: {image: busybox}\n', ['--progress', 'json', 'up', '-d']);
    expect(r.stderr.trim().split('\n').map((l) => JSON.parse(l).status)).toEqual(['Creating', 'Created', 'Creating', 'Created', 'Starting', 'Started']);
  });

  test('--scale and --no-start', async () => {
    const engine = seededEngine();
    const r = await runCli(engine, 'services:\n  w: {image: busybox}\n', ['up', '--no-start', '--scale', 'w=2']);
    expect(r.code).toBe(0);
    expect(engine.containers.map((c) => `${c.name} ${c.state}`)).toEqual(['app-w-1 created', 'app-w-2 created']);
  });

  test('an unhealthy dependency exits 1 with docker compose\'s message', async () => {
    const engine = seededEngine({ health: { 'app-db-1': 'unhealthy' } });
    const r = await runCli(engine, THREE_TIER, ['up', '-d']);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n').at(-1)).toBe('dependency failed to start: container app-db-1 is unhealthy');
  });

  test('a port already in use names the service, the container and the fix', async () => {
    const engine = seededEngine({ startError: { 'app-web-1': 'driver failed programming external connectivity: Bind for 0.0.0.0:8080 failed: port is already allocated' } });
    const r = await runCli(engine, THREE_TIER, ['up', '-d']);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n').at(-1)).toBe(
      'service "web": starting container app-web-1 failed: driver failed programming external connectivity: Bind for 0.0.0.0:8080 failed: port is already allocated; free that port, or publish another one under ports: of service "web"',
    );
  });

  test('a missing image names the service and the fix', async () => {
    const engine = seededEngine();
    const r = await runCli(engine, 'services:\n  web: {image: nosuch/image:1}\n', ['up', '-d']);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n').at(-1)).toBe(
      'service "web": pulling image nosuch/image:1 failed: pull access denied for nosuch/image:1, repository does not exist or may require \'docker login\'',
    );
  });

  test('attached up with --exit-code-from exits with that service\'s code', async () => {
    const engine = seededEngine({
      exitOnStart: { 'app-test-1': 3 },
      output: { 'app-test-1': [{ stream: 'stdout', line: 'running tests' }, { stream: 'stderr', line: '1 failed' }], 'app-db-1': [{ stream: 'stdout', line: 'ready' }] },
    });
    const yaml = 'services:\n  db: {image: busybox}\n  test: {image: busybox, depends_on: [db]}\n';
    const r = await runCli(engine, yaml, ['up', '--exit-code-from', 'test']);
    expect(r.code).toBe(3);
    expect(r.stdout).toContain('Attaching to db-1, test-1\n');
    expect(r.stdout).toContain('test-1  | running tests\n');
    expect(r.stdout).toContain('test-1  | 1 failed\n');
    expect(r.stdout).toContain('db-1    | ready\n');
    expect(r.stdout).toContain('test-1 exited with code 3\n');
    // Then the stop board, dependents first, as docker compose shows it.
    expect(r.stderr.slice(r.stderr.indexOf('Aborting on container exit...\n'))).toBe(
      'Aborting on container exit...\nContainer app-test-1  Stopping\nContainer app-test-1  Stopped\nContainer app-db-1  Stopping\nContainer app-db-1  Stopped\n',
    );
    expect(engine.containers.find((c) => c.name === 'app-db-1')?.state).toBe('exited');
  });

  test('attached up stops everything on Ctrl-C and exits 130', async () => {
    const engine = seededEngine();
    const yaml = 'services:\n  db: {image: busybox}\n  web: {image: busybox, depends_on: [db]}\n';
    const running = runCli(engine, yaml, ['up']);
    while (!engine.calls.includes('waitContainer app-web-1') || !engine.calls.includes('waitContainer app-db-1')) await new Promise((r) => setTimeout(r, 1));
    process.emit('SIGINT');
    const r = await running;
    expect(r.code).toBe(130);
    expect(r.stderr).toContain('Gracefully stopping... (press Ctrl+C again to force)\n');
    const stops = engine.mutations.filter((c) => c.startsWith('stopContainer'));
    expect(stops).toEqual(['stopContainer app-web-1', 'stopContainer app-db-1']);
    expect(process.listenerCount('SIGINT')).toBe(0);
  });

  test('--no-attach and --attach choose whose output is shown', async () => {
    const behaviour = { exitOnStart: { 'app-db-1': 0, 'app-job-1': 0 }, output: { 'app-db-1': [{ stream: 'stdout' as const, line: 'db says' }], 'app-job-1': [{ stream: 'stdout' as const, line: 'job says' }] } };
    const yaml = 'services:\n  db: {image: busybox}\n  job: {image: busybox}\n';
    const skipDb = await runCli(seededEngine(behaviour), yaml, ['up', '--no-attach', 'db']);
    expect(skipDb.stdout).toBe('Attaching to job-1\njob-1  | job says\njob-1 exited with code 0\n');
    const onlyDb = await runCli(seededEngine(behaviour), yaml, ['up', '--attach', 'db', '--no-log-prefix']);
    expect(onlyDb.stdout).toBe('Attaching to db-1\ndb says\ndb-1 exited with code 0\n');
  });

  test('attaching to containers that were already running shows only new output', async () => {
    const engine = seededEngine({ output: { 'app-db-1': [{ stream: 'stdout', line: 'old line' }] } });
    const yaml = 'services:\n  db: {image: busybox}\n';
    await runCli(engine, yaml, ['up', '-d']);
    const running = runCli(engine, yaml, ['up']);
    while (!engine.calls.includes('waitContainer app-db-1')) await new Promise((r) => setTimeout(r, 1));
    engine.exit('app-db-1', 0);
    const r = await running;
    expect(r.stdout).toBe('Attaching to db-1\ndb-1 exited with code 0\n');
  });

  test('Ctrl-C while waiting for a dependency cancels the up with 130', async () => {
    const engine = seededEngine({ health: { 'app-db-1': 'starting' } });
    const running = runCli(engine, THREE_TIER, ['up', '-d']);
    while (!engine.calls.includes('startContainer app-db-1')) await new Promise((r) => setTimeout(r, 1));
    process.emit('SIGINT');
    const r = await running;
    expect(r.code).toBe(130);
    expect(r.stderr.trim().split('\n').at(-1)).toBe('canceled: the project is partly up; run tscompose up again, or tscompose down');
    expect(engine.calls).not.toContain('startContainer app-api-1');
  });

  test('--abort-on-container-exit stops the others when one exits and returns its code', async () => {
    const engine = seededEngine();
    const yaml = 'services:\n  db: {image: busybox}\n  job: {image: busybox}\n';
    const running = runCli(engine, yaml, ['up', '--abort-on-container-exit']);
    while (!engine.calls.includes('waitContainer app-job-1')) await new Promise((r) => setTimeout(r, 1));
    engine.exit('app-job-1', 2);
    const r = await running;
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('job-1 exited with code 2\n');
    expect(engine.containers.find((c) => c.name === 'app-db-1')?.state).toBe('exited');
  });

  test('missing images are pulled first, then the project is planned again', async () => {
    const engine = seededEngine({ pullable: ['redis:7'] });
    const r = await runCli(engine, 'services:\n  cache: {image: redis:7}\n', ['up', '-d']);
    expect(r.code).toBe(0);
    expect(r.stderr.split('\n').slice(0, 2)).toEqual(['Image redis:7  Pulling', 'Image redis:7  Pulled']);
    expect(engine.mutations).toEqual(expect.arrayContaining(['createContainer app-cache-1', 'startContainer app-cache-1']));
  });

  test('a changed file recreates only what changed; orphans are reported', async () => {
    const engine = seededEngine();
    await runCli(engine, 'services:\n  a: {image: busybox}\n  b: {image: busybox}\n  old: {image: busybox}\n', ['up', '-d']);
    const before = engine.mutations.length;
    const r = await runCli(engine, 'services:\n  a: {image: busybox, environment: {X: "1"}}\n  b: {image: busybox}\n', ['up', '-d']);
    expect(r.code).toBe(0);
    expect(engine.mutations.slice(before).map((c) => c.replace(/[0-9a-f]{12}_/, 'ID_'))).toEqual([
      'createContainer ID_app-a-1',
      'stopContainer app-a-1',
      'removeContainer app-a-1',
      'renameContainer ID_app-a-1 app-a-1',
      'startContainer app-a-1',
    ]);
    expect(r.stderr).toMatch(/WARN .*orphan.*app-old-1/);
  });

  test('--wait fails naming the service when a health check fails', async () => {
    const engine = seededEngine({ health: { 'app-db-1': 'starting' } });
    const yaml = 'services:\n  db: {image: busybox, healthcheck: {test: [CMD, "true"]}}\n';
    const r = await runCli(engine, yaml, ['up', '--wait', '--wait-timeout', '0']);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n').at(-1)).toBe('service "db": container app-db-1 is not ready in time (state running, starting); raise --wait-timeout or check its logs (tscompose logs db)');
  });

  test('a dependency cycle is named before anything is created', async () => {
    const engine = seededEngine();
    const r = await runCli(engine, 'services:\n  a: {image: busybox, depends_on: [b]}\n  b: {image: busybox, depends_on: [a]}\n', ['up', '-d']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/a -> b -> a|b -> a -> b/);
    expect(engine.mutations).toEqual([]);
  });

  test('an unknown service is a usage error', async () => {
    const r = await runCli(seededEngine(), THREE_TIER, ['up', '-d', 'nope']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('no such service');
  });
});

describe('down', () => {
  test('down -v removes containers, network and volume', async () => {
    const engine = seededEngine();
    await runCli(engine, THREE_TIER, ['up', '-d']);
    const r = await runCli(engine, THREE_TIER, ['down', '-v']);
    expect(r.code).toBe(0);
    expect(engine.containers).toEqual([]);
    expect(engine.networks).toEqual([]);
    expect(engine.volumes).toEqual([]);
    expect(r.stderr).toContain('Network app_default  Removed\n');
  });

  test('down -p NAME -v works once the compose file is gone', async () => {
    const engine = seededEngine();
    await runCli(engine, THREE_TIER, ['up', '-d']);
    const empty = mkdtempSync(join(tmpdir(), 'tsct-cli-'));
    try {
      const r = await runCli(engine, '', ['down', '-v'], { cwd: empty });
      expect(r.stderr).not.toContain('WARN');
      expect(r.code).toBe(0);
      expect([engine.containers, engine.networks, engine.volumes]).toEqual([[], [], []]);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  test('down keeps named volumes without -v', async () => {
    const engine = seededEngine();
    await runCli(engine, THREE_TIER, ['up', '-d']);
    await runCli(engine, THREE_TIER, ['down']);
    expect(engine.volumes.map((v) => v.Name)).toEqual(['app_data']);
  });
});

describe('ps', () => {
  test('an aligned table like docker compose ps', async () => {
    const engine = seededEngine();
    await runCli(engine, THREE_TIER, ['up', '-d']);
    const r = await runCli(engine, THREE_TIER, ['ps']);
    expect(r.stdout).toMatchInlineSnapshot(`
      "NAME        IMAGE           COMMAND                  SERVICE   CREATED         STATUS                   PORTS
      app-api-1   example/api:1   "/docker-entrypoint.…"   api       2 minutes ago   Up 2 minutes
      app-db-1    mariadb:11      "/docker-entrypoint.…"   db        2 minutes ago   Up 2 minutes (healthy)
      app-web-1   nginx:1.27      "/docker-entrypoint.…"   web       2 minutes ago   Up 2 minutes             0.0.0.0:8080->80/tcp
      "
    `);
  });

  test('--format json, -q, --services, --status', async () => {
    const engine = seededEngine();
    await runCli(engine, THREE_TIER, ['up', '-d']);
    await runCli(engine, THREE_TIER, ['stop', 'web']);
    const json = (await runCli(engine, THREE_TIER, ['ps', '-a', '--format', 'json'])).stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(json.map((c) => [c.Name, c.Service, c.State])).toEqual([
      ['app-api-1', 'api', 'running'],
      ['app-db-1', 'db', 'running'],
      ['app-web-1', 'web', 'exited'],
    ]);
    expect(json[1]).toMatchObject({ Project: 'app', Image: 'mariadb:11', Health: 'healthy', ExitCode: 0 });
    expect((await runCli(engine, THREE_TIER, ['ps', '--services'])).stdout).toBe('api\ndb\n');
    expect((await runCli(engine, THREE_TIER, ['ps', '--status', 'exited', '-q'])).stdout).toBe(`${engine.containers.find((c) => c.name === 'app-web-1')!.id}\n`);
  });
});

describe('logs', () => {
  test('prefixed, aligned, no colour without a terminal', async () => {
    const engine = seededEngine({ output: { 'app-db-1': [{ stream: 'stdout', line: 'ready' }], 'app-web-1': [{ stream: 'stderr', line: 'GET /' }] } });
    await runCli(engine, THREE_TIER, ['up', '-d']);
    const r = await runCli(engine, THREE_TIER, ['logs', 'db', 'web']);
    expect(r.stdout.split('\n').sort().join('\n')).toBe('\ndb-1   | ready\nweb-1  | GET /');
    expect((await runCli(engine, THREE_TIER, ['logs', '--no-log-prefix', 'db'])).stdout).toBe('ready\n');
  });

  test('NO_COLOR wins over a terminal; --ansi always forces colour', async () => {
    const engine = seededEngine({ output: { 'app-db-1': [{ stream: 'stdout', line: 'ready' }] } });
    await runCli(engine, THREE_TIER, ['up', '-d']);
    expect((await runCli(engine, THREE_TIER, ['--progress', 'plain', 'logs', 'db'], { isTTY: true, env: { NO_COLOR: '1' } })).stdout).toBe('db-1  | ready\n');
    expect((await runCli(engine, THREE_TIER, ['--ansi', 'always', 'logs', 'db'])).stdout).toBe('\u001b[36mdb-1  |\u001b[39m ready\n');
  });
});

describe('lifecycle commands', () => {
  test('stop goes dependents first with each service\'s signal and grace period', async () => {
    const yaml = THREE_TIER.replace('    image: mariadb:11\n', '    image: mariadb:11\n    stop_signal: SIGINT\n    stop_grace_period: 30s\n');
    const engine = seededEngine();
    await runCli(engine, yaml, ['up', '-d']);
    const before = engine.mutations.length;
    const r = await runCli(engine, yaml, ['stop']);
    expect(r.code).toBe(0);
    expect(engine.mutations.slice(before)).toEqual(['stopContainer app-web-1', 'stopContainer app-api-1', 'stopContainer app-db-1 t=30 signal=SIGINT']);
  });

  test('start, restart, kill, pause, unpause, rm', async () => {
    const engine = seededEngine();
    await runCli(engine, THREE_TIER, ['up', '-d']);
    await runCli(engine, THREE_TIER, ['stop']);
    let before = engine.mutations.length;
    expect((await runCli(engine, THREE_TIER, ['start'])).code).toBe(0);
    expect(engine.mutations.slice(before).map((c) => c.split(' ')[0])).toEqual(['startContainer', 'startContainer', 'startContainer']);
    expect((await runCli(engine, THREE_TIER, ['pause', 'web'])).code).toBe(0);
    expect(engine.containers.find((c) => c.name === 'app-web-1')!.state).toBe('paused');
    expect((await runCli(engine, THREE_TIER, ['unpause', 'web'])).code).toBe(0);
    before = engine.mutations.length;
    expect((await runCli(engine, THREE_TIER, ['restart', '--no-deps', 'db'])).code).toBe(0);
    expect(engine.mutations.slice(before)).toEqual(['restartContainer app-db-1']);
    before = engine.mutations.length;
    expect((await runCli(engine, THREE_TIER, ['restart', 'api'])).code).toBe(0);
    expect(engine.mutations.slice(before)).toEqual(['restartContainer app-api-1', 'restartContainer app-web-1']);
    expect((await runCli(engine, THREE_TIER, ['kill', '-s', 'SIGTERM', 'web'])).code).toBe(0);
    expect(engine.mutations.at(-1)).toBe('killContainer app-web-1 SIGTERM');
    const refused = await runCli(engine, THREE_TIER, ['rm', 'web']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('would remove app-web-1; run again with -f to remove them');
    expect((await runCli(engine, THREE_TIER, ['rm', '-f', 'web'])).code).toBe(0);
    expect(engine.containers.map((c) => c.name).sort()).toEqual(['app-api-1', 'app-db-1']);
  });
});

describe('other commands', () => {
  test('exec runs in the service container and exits with its status', async () => {
    const engine = seededEngine();
    await runCli(engine, THREE_TIER, ['up', '-d']);
    const r = await runCli(engine, THREE_TIER, ['exec', '-T', 'db', 'mysql', '-e', 'select 1']);
    expect(r.stdout).toBe('exec output\n');
    expect(r.code).toBe(3);
    expect(engine.calls).toContain('createExec app-db-1 mysql -e select 1');
  });

  test('run --rm creates a one-off container, prints its output and removes it', async () => {
    const engine = seededEngine({ oneOffExitCode: 0 });
    const yaml = 'services:\n  tool: {image: busybox, ports: ["80:80"]}\n';
    const r = await runCli(engine, yaml, ['run', '--rm', 'tool', 'echo', 'hi']);
    expect(r.code).toBe(0);
    const created = engine.calls.find((c) => c.startsWith('createContainer app-tool-run-'));
    expect(created).toMatch(/^createContainer app-tool-run-[0-9a-f]{12}$/);
    const name = created!.split(' ')[1];
    expect(engine.bodies.get(name)!.Cmd).toEqual(['echo', 'hi']);
    expect(engine.bodies.get(name)!.HostConfig?.PortBindings).toBeUndefined();
    expect(engine.bodies.get(name)!.Labels?.['com.docker.compose.oneoff']).toBe('True');
    expect(engine.containers).toEqual([]);
    const failing = seededEngine({ oneOffExitCode: 4 });
    expect((await runCli(failing, yaml, ['run', 'tool'])).code).toBe(4);
  });

  test('images, top, port, ls', async () => {
    const engine = seededEngine();
    await runCli(engine, THREE_TIER, ['up', '-d']);
    const images = (await runCli(engine, THREE_TIER, ['images'])).stdout;
    expect(images.split('\n')[0]).toBe('CONTAINER   REPOSITORY    TAG    IMAGE ID       SIZE');
    expect(images).toContain('app-db-1    mariadb       11     ');
    expect((await runCli(engine, THREE_TIER, ['top', 'db'])).stdout).toContain('app-db-1\nUID    PID    PPID');
    expect((await runCli(engine, THREE_TIER, ['port', 'web', '80'])).stdout).toBe('0.0.0.0:8080\n');
    const noPort = await runCli(engine, THREE_TIER, ['port', 'web', '81']);
    expect(noPort.stderr).toBe('container app-web-1 does not publish port 81/tcp; add it under ports: of service "web"\n');
    expect((await runCli(engine, THREE_TIER, ['ls'])).stdout).toBe('NAME   STATUS       CONFIG FILES\napp    running(3)\n');
  });

  test('events --json and wait', async () => {
    const engine = seededEngine();
    const events = await runCli(engine, THREE_TIER, ['events', '--json']);
    expect(JSON.parse(events.stdout)).toEqual({ time: '1970-01-01T00:00:00.000Z', type: 'container', action: 'start', id: 'abc', service: '', attributes: { name: 'x' } });
    await runCli(engine, 'services:\n  job: {image: busybox}\n', ['up', '-d']);
    const waiting = runCli(engine, 'services:\n  job: {image: busybox}\n', ['wait', 'job']);
    while (!engine.calls.includes('waitContainer app-job-1')) await new Promise((r) => setTimeout(r, 1));
    engine.exit('app-job-1', 5);
    expect((await waiting).code).toBe(5);
  });

  test('pull, build and cp say what works', async () => {
    const engine = seededEngine({ pullable: ['nginx:1.27'] });
    const r = await runCli(engine, 'services:\n  web: {image: nginx:1.27}\n  app: {build: .}\n', ['pull']);
    expect(r.code).toBe(0);
    expect(engine.calls).toContain('pullImage nginx:1.27');
    const b = await runCli(engine, 'services:\n  app: {build: .}\n', ['build']);
    expect(b.code).toBe(1);
    expect(b.stderr).toContain('service "app": build context /srv/app does not exist');
    const cp = await runCli(engine, 'services:\n  app: {image: busybox}\n', ['cp', 'app:/etc/hosts', '.']);
    expect(cp.code).toBe(1);
    expect(cp.stderr).toContain('no container found for service "app"');
  });
});
