// `tscompose up` and its flags, end to end: the built CLI as a process
// against a private engine, small busybox stacks. Every test starts from an
// empty project (reset() between tests) and writes its own compose file.

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CliStack, missingPrerequisite } from './cli-harness.js';

const why = missingPrerequisite();
if (why && process.env.CI) throw new Error(`cli end-to-end tests cannot run: ${why}`);
const d = why ? describe.skip : describe;

const s = new CliStack();
const P = s.project;

/** A service that sleeps and dies at once when stopped (no grace period to wait out). */
const sleeper = (extra = '') => `
    image: busybox
    command: ["sleep", "300"]
    stop_signal: SIGKILL${extra}`;

d('tscompose up, flag by flag, on our engine', () => {
  beforeAll(async () => {
    await s.start();
  });
  afterEach(async () => {
    await s.reset();
  });
  afterAll(async () => {
    await s.stop();
  });

  it('up -d creates the network and containers, dependencies first; a second up keeps them', async () => {
    s.writeCompose(`services:\n  db:${sleeper()}\n  app:${sleeper()}\n    depends_on: [db]\n`);
    const up = await s.ok('up', '-d');
    const lines = up.stderr.trim().split('\n');
    expect(lines[0]).toBe(`Network ${P}_default  Creating`);
    expect(lines.indexOf(`Container ${P}-db-1  Started`)).toBeGreaterThan(-1);
    expect(lines.indexOf(`Container ${P}-db-1  Started`)).toBeLessThan(lines.indexOf(`Container ${P}-app-1  Starting`));
    const ids = await s.ids();
    expect(Object.keys(ids).sort()).toEqual([`${P}-app-1`, `${P}-db-1`]);
    const again = await s.ok('up', '-d');
    expect(again.stderr).toBe(`Container ${P}-app-1  Running\nContainer ${P}-db-1  Running\n`);
    expect(await s.ids()).toEqual(ids);
  });

  it('recreates only the service whose configuration changed, then --force-recreate all, --no-recreate none', async () => {
    s.writeCompose(`services:\n  a:${sleeper()}\n  b:${sleeper()}\n    environment: {V: "1"}\n`);
    await s.ok('up', '-d');
    const first = await s.ids();
    s.writeCompose(`services:\n  a:${sleeper()}\n  b:${sleeper()}\n    environment: {V: "2"}\n`);
    const changed = await s.ok('up', '-d');
    expect(changed.stderr).toContain(`Container ${P}-b-1  Recreate`);
    expect(changed.stderr).toContain(`Container ${P}-a-1  Running`);
    expect(changed.stderr).not.toContain(`${P}-a-1  Recreate`);
    const second = await s.ids();
    expect(second[`${P}-a-1`]).toBe(first[`${P}-a-1`]);
    expect(second[`${P}-b-1`]).not.toBe(first[`${P}-b-1`]);

    await s.ok('up', '-d', '--force-recreate');
    const third = await s.ids();
    expect(third[`${P}-a-1`]).not.toBe(second[`${P}-a-1`]);
    expect(third[`${P}-b-1`]).not.toBe(second[`${P}-b-1`]);

    s.writeCompose(`services:\n  a:${sleeper()}\n  b:${sleeper()}\n    environment: {V: "3"}\n`);
    await s.ok('up', '-d', '--no-recreate');
    expect(await s.ids()).toEqual(third);
    const both = await s.compose('up', '-d', '--force-recreate', '--no-recreate');
    expect(both.code).toBe(1);
    expect(both.stderr.trim()).toBe('--force-recreate and --no-recreate are incompatible: use one of them');
  });

  it('--no-deps starts the named service alone', async () => {
    s.writeCompose(`services:\n  db:${sleeper()}\n  app:${sleeper()}\n    depends_on: [db]\n`);
    await s.ok('up', '-d', '--no-deps', 'app');
    expect((await s.ps()).map((r) => `${r.Service} ${r.State}`)).toEqual(['app running']);
    await s.ok('up', '-d', 'app');
    expect((await s.ps()).map((r) => `${r.Service} ${r.State}`)).toEqual(['app running', 'db running']);
  });

  it('--scale numbers replicas <project>-<service>-<n>; scaling down removes the highest numbers', async () => {
    s.writeCompose(`services:\n  web:${sleeper()}\n`);
    await s.ok('up', '-d', '--scale', 'web=3');
    const three = await s.ids();
    expect(Object.keys(three).sort()).toEqual([`${P}-web-1`, `${P}-web-2`, `${P}-web-3`]);
    const down = await s.ok('up', '-d', '--scale', 'web=1');
    expect(down.stderr).toContain(`Container ${P}-web-3  Removed`);
    expect(down.stderr).toContain(`Container ${P}-web-2  Removed`);
    expect(await s.ids()).toEqual({ [`${P}-web-1`]: three[`${P}-web-1`] });
    const bad = await s.compose('up', '-d', '--scale', 'web');
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim()).toBe('--scale takes SERVICE=NUMBER, like --scale web=3, not "web"');
  });

  it('warns about orphan containers, and --remove-orphans removes them', async () => {
    s.writeCompose(`services:\n  a:${sleeper()}\n  old:${sleeper()}\n`);
    await s.ok('up', '-d');
    s.writeCompose(`services:\n  a:${sleeper()}\n`);
    const warned = await s.ok('up', '-d');
    expect(warned.stderr).toContain(`WARN found orphan containers (${P}-old-1) for this project; if you removed or renamed their service in the compose file, run this command with --remove-orphans to clean them up`);
    expect((await s.ps()).map((r) => r.Service)).toEqual(['a', 'old']);
    const removed = await s.ok('up', '-d', '--remove-orphans');
    expect(removed.stderr).toContain(`Container ${P}-old-1  Removed`);
    expect((await s.ps()).map((r) => r.Service)).toEqual(['a']);
  });

  it('--no-start creates the containers without starting them; start starts them', async () => {
    s.writeCompose(`services:\n  a:${sleeper()}\n`);
    const created = await s.ok('up', '--no-start');
    expect(created.stderr).toContain(`Container ${P}-a-1  Created`);
    expect(created.stderr).not.toContain('Started');
    expect((await s.ps()).map((r) => r.State)).toEqual(['created']);
    await s.ok('start');
    expect((await s.ps()).map((r) => r.State)).toEqual(['running']);
  });

  it('--wait returns once every service is running or healthy', async () => {
    s.writeCompose(`services:
  plain:${sleeper()}
  checked:${sleeper()}
    healthcheck: {test: ["CMD", "true"], interval: 1s}
`);
    const up = await s.ok('up', '--wait', '--wait-timeout', '60');
    expect(up.stderr).toContain(`Container ${P}-checked-1  Healthy`);
    expect(up.stderr).toContain(`Container ${P}-plain-1  Running`);
    expect((await s.ps()).map((r) => `${r.Service} ${r.State} ${r.Health}`)).toEqual(['checked running healthy', 'plain running ']);
  });

  it('depends_on: service_completed_successfully, service_healthy, required: false', async () => {
    s.writeCompose(`services:
  migrate:
    image: busybox
    command: ["sh", "-c", "echo migrated"]
  db:${sleeper()}
    healthcheck: {test: ["CMD", "true"], interval: 1s}
  flaky:
    image: busybox
    command: ["sh", "-c", "exit 2"]
  app:${sleeper()}
    depends_on:
      migrate: {condition: service_completed_successfully}
      db: {condition: service_healthy}
      flaky: {condition: service_completed_successfully, required: false}
`);
    const up = await s.ok('up', '-d', 'app');
    expect(up.stderr).toContain(`Container ${P}-migrate-1  Exited`);
    expect(up.stderr).toContain(`Container ${P}-db-1  Healthy`);
    expect(up.stderr).toMatch(/WARN optional .*flaky.*exit/);
    const states = (await s.ps()).map((r) => `${r.Service} ${r.State} ${r.ExitCode}`);
    expect(states).toEqual(['app running 0', 'db running 0', 'flaky exited 2', 'migrate exited 0']);
  });

  it('depends_on restart: true restarts the dependent when its dependency is recreated', async () => {
    const file = (v: string) => `services:
  db:${sleeper()}
    environment: {V: "${v}"}
  app:
    image: busybox
    command: ["sh", "-c", "echo app started; exec sleep 300"]
    stop_signal: SIGKILL
    depends_on: {db: {condition: service_started, restart: true}}
  other:${sleeper()}
    depends_on: {db: {condition: service_started}}
`;
    s.writeCompose(file('1'));
    await s.ok('up', '-d');
    const before = await s.ids();
    s.writeCompose(file('2'));
    await s.ok('up', '-d');
    const after = await s.ids();
    expect(after[`${P}-db-1`]).not.toBe(before[`${P}-db-1`]);
    // Restarted, not recreated: same container, started twice.
    expect(after[`${P}-app-1`]).toBe(before[`${P}-app-1`]);
    const logs = await s.ok('logs', '--no-log-prefix', 'app');
    expect(logs.stdout).toBe('app started\napp started\n');
    const other = await s.ok('logs', 'other');
    expect(other.stdout).toBe('');
  });

  it('attached: --attach and --no-attach choose whose output is shown', async () => {
    s.writeCompose(`services:
  a: {image: busybox, command: ["echo", "from a"]}
  b: {image: busybox, command: ["echo", "from b"]}
  c: {image: busybox, command: ["echo", "from c"]}
`);
    const only = await s.ok('up', '--attach', 'a');
    expect(only.stdout).toContain('Attaching to a-1\n');
    expect(only.stdout).toContain('a-1  | from a\n');
    expect(only.stdout).not.toContain('from b');
    const but = await s.ok('up', '--no-attach', 'b', '--force-recreate');
    expect(but.stdout).toContain('Attaching to a-1, c-1\n');
    expect(but.stdout).toContain('c-1  | from c\n');
    expect(but.stdout).not.toContain('from b');
    expect(but.stdout).toContain('a-1 exited with code 0\n');
    // Started again (not recreated), a container shows this run's output, not its old log too.
    const again = await s.ok('up', 'a');
    expect(again.stdout.match(/from a/g)).toEqual(['from a']);
  });

  it('--abort-on-container-exit stops the rest and returns the first exit code; --exit-code-from picks the service', async () => {
    s.writeCompose(`services:
  long:
    image: busybox
    command: ["sh", "-c", "trap 'exit 0' TERM; echo long running; while true; do sleep 0.1; done"]
  short:
    image: busybox
    command: ["sh", "-c", "sleep 1; echo short done; exit 5"]
`);
    const abort = await s.compose('up', '--abort-on-container-exit');
    expect(abort.code).toBe(5);
    expect(abort.stdout).toContain('short-1  | short done\n');
    expect(abort.stdout).toContain('short-1 exited with code 5\n');
    expect(abort.stdout).toContain('long-1 exited with code 0\n');
    expect(abort.stderr).toContain('Aborting on container exit...');
    expect((await s.ps()).map((r) => `${r.Service} ${r.State}`)).toEqual(['long exited', 'short exited']);

    const from = await s.compose('up', '--exit-code-from', 'long');
    expect(from.code).toBe(0);
    const bad = await s.compose('up', '-d', '--abort-on-container-exit');
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim()).toBe('-d and --abort-on-container-exit (or --exit-code-from) are incompatible: containers run in the background with -d');
  });

  it('-t bounds how long the abort waits for a container that ignores its stop signal', async () => {
    s.writeCompose(`services:
  stubborn:
    image: busybox
    command: ["sh", "-c", "trap '' TERM; echo ignoring; while true; do sleep 0.1; done"]
    stop_grace_period: 100s
  short: {image: busybox, command: ["sh", "-c", "sleep 1; exit 0"]}
`);
    const r = await s.compose('up', '--abort-on-container-exit', '-t', '1');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('stubborn-1 exited with code 137\n');
  });

  it('--no-build and --pull never run a stack whose images are all here', async () => {
    s.writeCompose(`services:\n  a:${sleeper()}\n`);
    await s.ok('up', '-d', '--no-build', '--pull', 'never');
    expect((await s.ps()).map((r) => r.State)).toEqual(['running']);
    const bad = await s.compose('up', '-d', '--pull', 'sometimes');
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim()).toBe('--pull takes always, missing or never, not "sometimes"');
  });
});
