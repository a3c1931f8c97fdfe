// The failure paths of the compose commands, end to end on our engine: the
// exact message a user reads and the exit status (docker compose v2's where
// it has one), and what is left behind.

import { existsSync } from 'node:fs';
import net from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CliStack, freePort, missingPrerequisite } from './cli-harness.js';

const why = missingPrerequisite();
if (why && process.env.CI) throw new Error(`cli end-to-end tests cannot run: ${why}`);
const d = why ? describe.skip : describe;

const s = new CliStack();
const P = s.project;

const lastLine = (text: string) => text.trim().split('\n').at(-1);

d('compose failures on our engine', () => {
  beforeAll(async () => {
    await s.start();
  });
  afterEach(async () => {
    await s.reset();
  });
  afterAll(async () => {
    await s.stop();
  });

  it('a service that exits non-zero: up -d succeeds, --abort-on-container-exit and --exit-code-from return its code', async () => {
    s.writeCompose(`services:
  bad: {image: busybox, command: ["sh", "-c", "echo failing; exit 7"]}
  good:
    image: busybox
    command: ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 0.1; done"]
`);
    expect((await s.compose('up', '-d')).code).toBe(0);
    const attached = await s.compose('up', '--abort-on-container-exit');
    expect(attached.code).toBe(7);
    expect(attached.stdout).toContain('bad-1   | failing\n');
    expect(attached.stdout).toContain('bad-1 exited with code 7\n');
    const from = await s.compose('up', '--exit-code-from', 'bad', 'bad', 'good');
    expect(from.code).toBe(7);
    const plain = await s.compose('up', 'bad');
    // Attached without --abort-on-container-exit: the exit is reported, the command succeeds (docker compose does the same).
    expect(plain.code).toBe(0);
    expect(plain.stdout).toContain('bad-1 exited with code 7\n');
    const unknown = await s.compose('up', '--exit-code-from', 'nope');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr.trim()).toBe('no such service: nope (the project\'s services are: bad, good)');
  });

  it('--wait fails naming the container when a service exits or turns unhealthy', async () => {
    s.writeCompose(`services:
  sick:
    image: busybox
    command: ["sleep", "300"]
    stop_signal: SIGKILL
    healthcheck: {test: ["CMD", "false"], interval: 1s, retries: 2}
`);
    const sick = await s.compose('up', '--wait');
    expect(sick.code).toBe(1);
    expect(sick.stderr).toContain(`Container ${P}-sick-1  Error`);
    expect(lastLine(sick.stderr)).toBe(`dependency failed to start: container ${P}-sick-1 is unhealthy`);

    // A health check not due before the exit: the container is never ready, whenever --wait looks.
    s.writeCompose(`services:\n  quits: {image: busybox, command: ["sh", "-c", "sleep 1; exit 4"], healthcheck: {test: ["CMD", "true"], interval: 30s}}\n`);
    const quits = await s.compose('up', '--wait', '--remove-orphans');
    expect({ code: quits.code, stderr: quits.stderr }).toMatchObject({ code: 1 });
    expect(lastLine(quits.stderr)).toBe(`dependency failed to start: container ${P}-quits-1 exited (4)`);
  });

  it('--wait-timeout: a health check that never passes in time fails naming the service', async () => {
    s.writeCompose(`services:
  slow:
    image: busybox
    command: ["sleep", "300"]
    stop_signal: SIGKILL
    healthcheck: {test: ["CMD", "false"], interval: 1s, retries: 1000}
`);
    const r = await s.compose('up', '--wait', '--wait-timeout', '3');
    expect(r.code).toBe(1);
    expect(lastLine(r.stderr)).toBe(`service "slow": container ${P}-slow-1 is not ready in time (state running, starting); raise --wait-timeout or check its logs (tscompose logs slow)`);
  });

  it('--wait treats a dependency of service_completed_successfully as a job that must finish', async () => {
    s.writeCompose(`services:
  migrate: {image: busybox, command: ["sh", "-c", "sleep 1; echo migrated"]}
  app:
    image: busybox
    command: ["sleep", "300"]
    stop_signal: SIGKILL
    depends_on: {migrate: {condition: service_completed_successfully}}
`);
    const r = await s.compose('up', '--wait');
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`Container ${P}-migrate-1  Exited`);
    expect((await s.ps()).map((c) => `${c.Service} ${c.State} ${c.ExitCode}`)).toEqual(['app running 0', 'migrate exited 0']);

    // The same job failing now: --wait says so in docker compose's words.
    s.writeCompose(`services:
  migrate: {image: busybox, command: ["sh", "-c", "sleep 1; exit 3"]}
  app:
    image: busybox
    command: ["sleep", "300"]
    stop_signal: SIGKILL
    depends_on: {migrate: {condition: service_completed_successfully, required: false}}
`);
    const failed = await s.compose('up', '--wait', '--force-recreate');
    expect(failed.code).toBe(1);
    expect(lastLine(failed.stderr)).toBe('service "migrate" didn\'t complete successfully: exit 3');
  });

  it('a dependency that fails: service_healthy and service_completed_successfully stop the dependent', async () => {
    s.writeCompose(`services:
  job: {image: busybox, command: ["sh", "-c", "exit 3"]}
  app:
    image: busybox
    command: ["sleep", "300"]
    depends_on: {job: {condition: service_completed_successfully}}
`);
    const r = await s.compose('up', '-d');
    expect(r.code).toBe(1);
    expect(lastLine(r.stderr)).toBe('service "job" didn\'t complete successfully: exit 3');
    expect((await s.ps()).map((c) => `${c.Service} ${c.State}`)).toEqual(['app created', 'job exited']);
  });

  it('a port already in use: up fails naming the service and the port, and nothing keeps running', async () => {
    const port = await freePort();
    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(port, '127.0.0.1', resolve));
    try {
      s.writeCompose(`services:
  web:
    image: busybox
    command: ["sleep", "300"]
    stop_signal: SIGKILL
    ports: ["127.0.0.1:${port}:80"]
`);
      const r = await s.compose('up', '-d');
      expect(r.code).toBe(1);
      const message = lastLine(r.stderr)!;
      expect(message).toMatch(new RegExp(`^service "web": starting container ${P}-web-1 failed: .*${port}.*; free that port, or publish another one under ports: of service "web"$`));
      expect((await s.ps()).map((c) => c.State)).not.toContain('running');
    } finally {
      holder.close();
    }
  });

  it('a missing image: pull_policy never and --pull never name the image; a pull from nowhere names it too', async () => {
    s.writeCompose(`services:\n  ghost: {image: "tsct-ghost:1", pull_policy: never}\n`);
    const never = await s.compose('up', '-d');
    expect(never.code).toBe(1);
    expect(never.stderr).toContain('WARN service "ghost": image "tsct-ghost:1" is not present and pull_policy: never forbids pulling it\n');
    expect(lastLine(never.stderr)).toBe('service "ghost": image "tsct-ghost:1" not found; pull it (tscompose pull ghost) or give the service a build: section');

    s.writeCompose(`services:\n  ghost: {image: "tsct-ghost:1"}\n`);
    const flag = await s.compose('up', '-d', '--pull', 'never');
    expect(flag.code).toBe(1);
    expect(lastLine(flag.stderr)).toBe(lastLine(never.stderr));

    // A registry nobody serves (a closed port on loopback): the pull fails and says which image.
    const closed = await freePort();
    s.writeCompose(`services:\n  ghost: {image: "127.0.0.1:${closed}/tsct/ghost:1"}\n`);
    const pull = await s.compose('up', '-d');
    expect(pull.code).toBe(1);
    expect(pull.stderr).toContain(`Image 127.0.0.1:${closed}/tsct/ghost:1  Error`);
    expect(lastLine(pull.stderr)).toBe(`service "ghost": pulling image 127.0.0.1:${closed}/tsct/ghost:1 failed: connect ECONNREFUSED 127.0.0.1:${closed}`);
    expect((await s.ps())).toEqual([]);
  });

  it('a dependency cycle is refused before anything is created, naming the cycle', async () => {
    s.writeCompose(`services:
  a: {image: busybox, depends_on: [b]}
  b: {image: busybox, depends_on: [c]}
  c: {image: busybox, depends_on: [a]}
`);
    const r = await s.compose('up', '-d');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('dependency cycle between services: a -> b -> c -> a; remove one of these depends_on/links/volumes_from/network_mode references\n');
    const client = s.client();
    try {
      expect((await client.listNetworks()).map((n) => n.Name)).not.toContain(`${P}_default`);
    } finally {
      client.close();
    }
  });

  it('an unknown service, a missing file and a bad file are one line each with status 1', async () => {
    s.writeCompose(`services:\n  a: {image: busybox}\n  b: {image: busybox}\n`);
    for (const args of [['up', '-d', 'nope'], ['exec', 'nope', 'true'], ['run', 'nope']]) {
      const r = await s.compose(...args);
      expect({ args, code: r.code, stderr: r.stderr }).toEqual({ args, code: 1, stderr: 'no such service: nope (the project\'s services are: a, b)\n' });
    }
    const stopped = await s.compose('exec', '-T', 'a', 'true');
    expect(stopped.code).toBe(1);
    expect(stopped.stderr).toBe('service "a" is not running container #1; start it first (tscompose up -d a)\n');

    const missing = await s.run(['-f', 'nothere.yaml', 'up', '-d']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(`open ${s.projectDir}/nothere.yaml: no such file or directory\n`);
    const none = await s.run(['up', '-d'], { cwd: '/' });
    expect(none.code).toBe(1);
    expect(none.stderr).toBe('no configuration file provided: not found (looked for compose.yaml, compose.yml, docker-compose.yml, docker-compose.yaml in / and its parents)\n');

    s.writeCompose('services:\n  a:\n    image: busybox\n    ports: 80\n', 'bad.yaml');
    const schema = await s.run(['-f', 'bad.yaml', 'up', '-d']);
    expect(schema.code).toBe(1);
    expect(schema.stderr).toMatch(/^bad\.yaml:4:\d+: services\.a\.ports must be a list\n$/);

    s.writeCompose('services:\n  a:\n    image: busybox\n   command: [oops\n', 'broken.yaml');
    const syntax = await s.run(['-f', 'broken.yaml', 'config']);
    expect(syntax.code).toBe(1);
    expect(syntax.stderr).toMatch(/^broken\.yaml:\d+:\d+: /);
    expect(syntax.stderr.trim().split('\n')).toHaveLength(1);

    const flag = await s.compose('up', '--bogus');
    expect(flag.code).toBe(1);
    expect(flag.stderr).toContain("error: unknown option '--bogus'");
  });

  it('an engine that does not answer: --host names it, and no engine is started behind a mistyped socket', async () => {
    const socket = `${s.dir}/nothing.sock`;
    const r = await s.run(['--host', `unix://${socket}`, '-p', P, 'ps'], { noHost: true });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`cannot reach the engine at unix://${socket}: no socket there (is the engine running? \`tscompose engine start\`)\n`);
    expect(existsSync(socket)).toBe(false);
  });

  it('a command that does not exist in the image fails naming the service', async () => {
    s.writeCompose(`services:\n  a: {image: busybox, command: ["no-such-program"]}\n`);
    const r = await s.compose('up', '-d');
    expect(r.code).toBe(1);
    expect(lastLine(r.stderr)).toMatch(/^service "a": starting container .*-a-1 failed: .*no-such-program.*; check command: and entrypoint: of service "a" against its image$/);
  });

  it('Ctrl-C during an attached up stops the containers and exits 130', async () => {
    s.writeCompose(`services:
  a:
    image: busybox
    command: ["sh", "-c", "trap 'echo a got TERM; exit 0' TERM; echo a up; while true; do sleep 0.1; done"]
  b:
    image: busybox
    command: ["sh", "-c", "trap 'exit 0' TERM; echo b up; while true; do sleep 0.1; done"]
`);
    const up = s.spawn(['-p', P, '--progress', 'plain', 'up'], { timeoutMs: 90_000 });
    await up.waitFor('a-1  | a up');
    await up.waitFor('b-1  | b up');
    up.child.kill('SIGINT');
    const r = await up.done;
    expect(r.code).toBe(130);
    expect(r.stderr).toMatch(new RegExp(`Gracefully stopping\\.\\.\\. \\(press Ctrl\\+C again to force\\)\\nContainer ${P}-[ab]-1  Stopping\\n`));
    expect(r.stderr).toContain(`Container ${P}-a-1  Stopped\n`);
    expect(r.stderr).toContain(`Container ${P}-b-1  Stopped\n`);
    expect(r.stdout).toContain('a-1  | a got TERM\n');
    expect(r.stdout).toContain('a-1 exited with code 0\n');
    expect((await s.ps()).map((c) => `${c.Service} ${c.State}`)).toEqual(['a exited', 'b exited']);

    // SIGTERM (a process manager stopping `up`) does the same.
    const again = s.spawn(['-p', P, '--progress', 'plain', 'up'], { timeoutMs: 90_000 });
    await again.waitFor('a-1  | a up');
    await again.waitFor('b-1  | b up');
    again.child.kill('SIGTERM');
    const termed = await again.done;
    expect(termed.code).toBe(130);
    expect(termed.stdout).toContain('a-1  | a got TERM\n');
    expect((await s.ps()).map((c) => `${c.Service} ${c.State}`)).toEqual(['a exited', 'b exited']);
  });

  it('a second Ctrl-C kills what ignores its stop signal', async () => {
    s.writeCompose(`services:
  stubborn:
    image: busybox
    command: ["sh", "-c", "trap '' TERM; echo ignoring TERM; while true; do sleep 0.1; done"]
    stop_grace_period: 100s
`);
    const up = s.spawn(['-p', P, '--progress', 'plain', 'up'], { timeoutMs: 90_000 });
    await up.waitFor('ignoring TERM');
    up.child.kill('SIGINT');
    await up.waitFor('Gracefully stopping');
    up.child.kill('SIGINT');
    const r = await up.done;
    expect(r.code).toBe(130);
    expect(r.stdout).toContain('stubborn-1 exited with code 137\n');
    expect((await s.ps()).map((c) => c.State)).toEqual(['exited']);
  });

  it('Ctrl-C while up waits on a dependency cancels it with status 130 and a hint', async () => {
    s.writeCompose(`services:
  db:
    image: busybox
    command: ["sleep", "300"]
    stop_signal: SIGKILL
    healthcheck: {test: ["CMD", "false"], interval: 1s, retries: 1000}
  app:
    image: busybox
    command: ["sleep", "300"]
    depends_on: {db: {condition: service_healthy}}
`);
    const up = s.spawn(['-p', P, '--progress', 'plain', 'up', '-d'], { timeoutMs: 90_000 });
    await up.waitFor(`Container ${P}-db-1  Started`);
    up.child.kill('SIGINT');
    const r = await up.done;
    expect(r.code).toBe(130);
    expect(lastLine(r.stderr)).toBe('canceled: the project is partly up; run tscompose up again, or tscompose down');
    const down = await s.compose('down');
    expect(down.code).toBe(0);
    expect(await s.ps()).toEqual([]);
  });
});
