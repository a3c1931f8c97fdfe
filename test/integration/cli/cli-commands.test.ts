// Every compose command and its flags, end to end on our engine: the CLI as
// a process, one small project that the tests walk through in order
// (create → start → ps/logs/exec/run/top/port/images → pause/kill/stop/
// restart/rm → events/wait/ls → down), then the global flags.

import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliStack, eventually, missingPrerequisite, type PsRow } from './cli-harness.js';

const why = missingPrerequisite();
if (why && process.env.CI) throw new Error(`cli end-to-end tests cannot run: ${why}`);
const d = why ? describe.skip : describe;

const s = new CliStack();
const P = s.project;

const YAML = `
services:
  web:
    image: busybox
    command: ["sh", "-c", "echo web started; echo web warning >&2; trap 'echo web stopping; exit 0' TERM; while true; do sleep 0.1; done"]
    ports: ["127.0.0.1::8080"]
    stop_grace_period: 1s
    volumes: [data:/data]
    environment: {FROM_FILE: "yes"}
  worker:
    image: busybox
    command: ["sh", "-c", "echo worker \${WORKER_ID:-?} up; exec sleep 300"]
    stop_signal: SIGKILL
    depends_on: [web]
volumes:
  data:
`;

const services = (rows: PsRow[]) => rows.map((r) => `${r.Name} ${r.State}`);

d('every compose command on our engine', () => {
  beforeAll(async () => {
    await s.start();
    s.writeCompose(YAML);
  });
  afterAll(async () => {
    await s.stop();
  });

  it('create makes the containers, volume and network; start starts them in order', async () => {
    const create = await s.ok('create');
    expect(create.stderr).toContain(`Volume ${P}_data  Created`);
    expect(create.stderr).toContain(`Container ${P}-worker-1  Created`);
    expect(services(await s.ps())).toEqual([`${P}-web-1 created`, `${P}-worker-1 created`]);
    const start = await s.ok('start');
    const lines = start.stderr.trim().split('\n');
    expect(lines.indexOf(`Container ${P}-web-1  Started`)).toBeLessThan(lines.indexOf(`Container ${P}-worker-1  Starting`));
    expect(services(await s.ps())).toEqual([`${P}-web-1 running`, `${P}-worker-1 running`]);
  });

  it('ps: table, -q, --services, --status, --format json, -a', async () => {
    const table = await s.ok('ps');
    const [header, ...rows] = table.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^NAME\s+IMAGE\s+COMMAND\s+SERVICE\s+CREATED\s+STATUS\s+PORTS$/);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatch(new RegExp(`^${P}-web-1\\s+busybox\\s+"sh -c .*"\\s+web\\s+.* ago\\s+Up .*127\\.0\\.0\\.1:\\d+->8080/tcp$`));
    // Columns line up: every row starts its SERVICE column where the header does.
    const col = header!.indexOf('SERVICE');
    for (const r of rows) expect(r.slice(col, col + 3)).toMatch(/^(web|wor)/);

    const ids = (await s.ok('ps', '-q')).stdout.trim().split('\n');
    expect(ids).toHaveLength(2);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{64}$/);
    expect((await s.ok('ps', '--services')).stdout).toBe('web\nworker\n');
    expect((await s.ok('ps', '--status', 'exited')).stdout.trimEnd().split('\n')).toHaveLength(1);

    const json = (await s.ok('ps', '--format', 'json', 'web')).stdout.trim().split('\n').map((l) => JSON.parse(l) as PsRow);
    expect(json).toHaveLength(1);
    expect(json[0]).toMatchObject({ Name: `${P}-web-1`, Service: 'web', State: 'running', Image: 'busybox', ExitCode: 0 });
    expect(json[0]!.Publishers).toEqual([{ URL: '127.0.0.1', TargetPort: 8080, PublishedPort: expect.any(Number), Protocol: 'tcp' }]);
    expect(json[0]!.Labels['com.docker.compose.project']).toBe(P);

    const bad = await s.compose('ps', '--status', 'sleepy');
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim()).toBe('invalid --status "sleepy": use one of paused, restarting, removing, running, dead, created, exited');
    const badFormat = await s.compose('ps', '--format', 'yaml');
    expect(badFormat.stderr.trim()).toBe('unsupported format "yaml": use table or json');
  });

  it('logs: prefixes, --no-log-prefix, --tail, -t, --since, --until, --no-color, --index', async () => {
    await eventually(async () => ((await s.ok('logs', 'web')).stdout.includes('web warning') ? true : undefined), 20_000, 'web output');
    const all = await s.ok('logs');
    expect(all.stdout).toContain('web-1     | web started\n');
    expect(all.stdout).toContain('web-1     | web warning\n');
    expect(all.stdout).toContain('worker-1  | worker ? up\n');
    expect((await s.ok('logs', '--no-log-prefix', 'worker')).stdout).toBe('worker ? up\n');
    const tail = (await s.ok('logs', '--tail', '1', '--no-log-prefix', 'web')).stdout;
    expect(tail.trim().split('\n')).toHaveLength(1);
    const stamped = (await s.ok('logs', '-t', 'worker')).stdout;
    expect(stamped).toMatch(/^worker-1 {2}\| \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z worker \? up\n$/);
    expect((await s.ok('logs', '--since', '2100-01-01T00:00:00Z', 'worker')).stdout).toBe('');
    expect((await s.ok('logs', '--until', '2000-01-01T00:00:00Z', 'worker')).stdout).toBe('');
    expect((await s.ok('logs', '--since', '10m', '--no-log-prefix', 'worker')).stdout).toBe('worker ? up\n');
    expect((await s.ok('logs', '--no-color', 'worker')).stdout).not.toContain('\u001b[');
    expect((await s.ok('--ansi', 'always', 'logs', 'worker')).stdout).toContain('\u001b[');
    expect((await s.ok('logs', '--index', '1', '--no-log-prefix', 'worker')).stdout).toBe('worker ? up\n');
    const bad = await s.compose('logs', '--tail', 'some');
    expect(bad.stderr.trim()).toBe('--tail takes a number of lines or "all", not "some"');
  });

  it('logs -f follows new output until the container stops', async () => {
    const follow = s.spawn(['-p', P, 'logs', '-f', '--no-log-prefix', 'web'], { timeoutMs: 60_000 });
    await follow.waitFor('web started');
    await s.ok('exec', '-T', 'web', 'sh', '-c', 'echo appended > /proc/1/fd/1');
    await follow.waitFor('appended');
    await s.ok('stop', 'web');
    const r = await follow.done;
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('web stopping\n');
    await s.ok('start', 'web');
  });

  it('exec: -T, -e, -w, -u, -d, --index and the exit status', async () => {
    const plain = await s.compose('exec', '-T', 'web', 'sh', '-c', 'echo out; echo err >&2; exit 3');
    expect(plain).toMatchObject({ code: 3, stdout: 'out\n', stderr: 'err\n' });
    const env = await s.ok('exec', '-T', '-e', 'GREETING=hello', '-w', '/tmp', '-u', '1000', 'web', 'sh', '-c', 'echo $GREETING $(pwd) $(id -u) $FROM_FILE');
    expect(env.stdout).toBe('hello /tmp 1000 yes\n');
    const detached = await s.ok('exec', '-d', 'web', 'sh', '-c', 'sleep 1; touch /tmp/detached');
    expect(detached.stdout).toBe('');
    await eventually(async () => ((await s.compose('exec', '-T', 'web', 'ls', '/tmp/detached')).code === 0 ? true : undefined), 20_000, 'the detached exec');

    await s.ok('up', '-d', '--scale', 'worker=2', '--no-recreate');
    expect((await s.ok('exec', '-T', '--index', '2', 'worker', 'hostname')).stdout.trim()).toMatch(/^[0-9a-f]{12}$/);
    const missing = await s.compose('exec', '-T', '--index', '5', 'worker', 'true');
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim()).toBe('service "worker" is not running container #5; start it first (tscompose up -d worker)');
    await s.ok('up', '-d', '--scale', 'worker=1', '--no-recreate');
  });

  it('run: --rm, -d, -e, -T, --no-deps, -p, -P, --name, --entrypoint, -u, -w, -v', async () => {
    const once = await s.compose('run', '--rm', '-T', '-e', 'X=1', '-u', '1000', '-w', '/tmp', 'worker', 'sh', '-c', 'echo $X $(id -u) $(pwd); exit 4');
    expect(once.code).toBe(4);
    expect(once.stdout).toBe('1 1000 /tmp\n');
    expect((await s.ps()).filter((r) => r.Labels['com.docker.compose.oneoff'] === 'True')).toEqual([]);

    const entry = await s.ok('run', '--rm', '-T', '--entrypoint', 'echo', 'worker', 'from', 'entrypoint');
    expect(entry.stdout).toBe('from entrypoint\n');

    const hostDir = path.join(s.projectDir, 'shared');
    mkdirSync(hostDir, { recursive: true });
    writeFileSync(path.join(hostDir, 'in.txt'), 'host file\n');
    const bind = await s.ok('run', '--rm', '-T', '-v', './shared:/shared', 'worker', 'sh', '-c', 'cat /shared/in.txt; echo back > /shared/out.txt');
    expect(bind.stdout).toBe('host file\n');
    expect(readFileSync(path.join(hostDir, 'out.txt'), 'utf8')).toBe('back\n');

    const det = await s.ok('run', '-d', '--name', `${P}-oneoff`, '--no-deps', '-p', '127.0.0.1::9000', 'worker', 'sleep', '300');
    const id = det.stdout.trim();
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    const client = s.client();
    try {
      const info = await client.inspectContainer(`${P}-oneoff`);
      expect(info.Id).toBe(id);
      expect(info.Config.Labels?.['com.docker.compose.oneoff']).toBe('True');
      expect(info.NetworkSettings.Ports?.['9000/tcp']?.[0]?.HostPort).toMatch(/^\d+$/);
      await client.removeContainer(id, { force: true });
      const withPorts = await s.ok('run', '-d', '-P', 'web', 'true');
      const ports = (await client.inspectContainer(withPorts.stdout.trim())).HostConfig.PortBindings ?? {};
      expect(Object.keys(ports)).toEqual(['8080/tcp']);
      await client.removeContainer(withPorts.stdout.trim(), { force: true });
    } finally {
      client.close();
    }
    const both = await s.compose('run', '--rm', '-d', 'worker');
    expect(both.stderr.trim()).toBe('--rm and -d are incompatible: a detached container is not waited for, so it cannot be removed');
  });

  it('images, top and port', async () => {
    const images = await s.ok('images');
    expect(images.stdout).toMatch(/^CONTAINER\s+REPOSITORY\s+TAG\s+IMAGE ID\s+SIZE\n/);
    expect(images.stdout).toMatch(new RegExp(`${P}-web-1\\s+busybox\\s+latest\\s+[0-9a-f]{12}\\s+`));
    const json = JSON.parse((await s.ok('images', '--format', 'json')).stdout) as { ContainerName: string; Repository: string }[];
    expect(json.map((i) => `${i.ContainerName} ${i.Repository}`).sort()).toEqual([`${P}-web-1 busybox`, `${P}-worker-1 busybox`]);

    const top = await s.ok('top', 'worker');
    expect(top.stdout).toMatch(new RegExp(`^${P}-worker-1\\nUID\\s+PID\\s+PPID\\s+C\\s+STIME\\s+TTY\\s+TIME\\s+CMD\\n`));
    expect(top.stdout).toContain('sleep 300');

    const port = await s.ok('port', 'web', '8080');
    const published = (await s.ps('web'))[0]!.Publishers[0]!.PublishedPort;
    expect(port.stdout).toBe(`127.0.0.1:${published}\n`);
    const none = await s.compose('port', 'web', '9999');
    expect(none.code).toBe(1);
    expect(none.stderr.trim()).toBe(`container ${P}-web-1 does not publish port 9999/tcp; add it under ports: of service "web"`);
  });

  it('pause and unpause, kill -s, stop -t, restart, rm -f -s -v', async () => {
    await s.ok('pause', 'worker');
    expect((await s.ps('worker'))[0]!.State).toBe('paused');
    await s.ok('unpause', 'worker');
    expect((await s.ps('worker'))[0]!.State).toBe('running');

    const killed = await s.ok('kill', '-s', 'SIGTERM', 'web');
    expect(killed.stderr).toContain(`Container ${P}-web-1  Killed`);
    await eventually(async () => ((await s.ps('web'))[0]!.State === 'exited' ? true : undefined), 20_000, 'web to exit on SIGTERM');
    expect((await s.ps('web'))[0]!.ExitCode).toBe(0);

    const restarted = await s.ok('restart', 'web');
    expect(restarted.stderr).toContain(`Container ${P}-web-1  Started`);
    // web's dependents restart with it.
    expect(restarted.stderr).toContain(`Container ${P}-worker-1  Started`);
    expect(services(await s.ps())).toEqual([`${P}-web-1 running`, `${P}-worker-1 running`]);

    const stop = await s.ok('stop', '-t', '0', 'worker');
    expect(stop.stderr).toContain(`Container ${P}-worker-1  Stopped`);
    expect((await s.ps('worker'))[0]!.State).toBe('exited');

    // Without -s only stopped containers go, and only with -f (there is no prompt to answer).
    const refused = await s.compose('rm', 'web', 'worker');
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim()).toBe(`would remove ${P}-worker-1; run again with -f to remove them`);
    const removed = await s.ok('rm', '-f', '-s', '-v', 'web', 'worker');
    expect(removed.stderr).toContain(`Container ${P}-web-1  Removed`);
    expect(await s.ps()).toEqual([]);
    await s.ok('up', '-d');
  });

  it('events --json reports the project\'s container events as they happen', async () => {
    const events = s.spawn(['-p', P, 'events', '--json'], { timeoutMs: 90_000 });
    // Nothing says when the stream is open: pause and unpause until their events show.
    await eventually(async () => {
      await s.ok('pause', 'worker');
      await s.ok('unpause', 'worker');
      return events.stdout().includes('"action":"unpause"') ? true : undefined;
    }, 30_000, 'the first events');
    const mark = events.stdout().length;
    await s.ok('restart', 'worker');
    await events.waitFor(/"action":"restart"/, 30_000);
    events.child.kill('SIGINT');
    const r = await events.done;
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; action: string; service: string; id: string; time: string });
    expect(lines.every((e) => e.service === 'worker' && e.type === 'container' && /^[0-9a-f]{64}$/.test(e.id) && !Number.isNaN(Date.parse(e.time)))).toBe(true);
    const restart = r.stdout.slice(mark).trim().split('\n').map((l) => (JSON.parse(l) as { action: string }).action);
    expect(restart).toContain('die');
    expect(restart).toContain('start');
    expect(restart.at(-1)).toBe('restart');
  });

  it('wait returns the exit status of the first container to stop', async () => {
    const waiting = s.spawn(['-p', P, 'wait', 'worker'], { timeoutMs: 60_000 });
    await new Promise((r) => setTimeout(r, 1000));
    await s.ok('kill', 'worker');
    const r = await waiting.done;
    expect(r.code).toBe(137);
    await s.ok('up', '-d');
  });

  it('ls lists the running project; -a also stopped ones; --format json', async () => {
    const table = await s.ok('ls');
    expect(table.stdout).toMatch(/^NAME\s+STATUS\s+CONFIG FILES\n/);
    expect(table.stdout).toMatch(new RegExp(`\\n${P}\\s+running\\(2\\)\\s+${s.projectDir}/compose.yaml\\n`));
    await s.ok('stop');
    expect((await s.ok('ls')).stdout).not.toContain(P);
    const json = JSON.parse((await s.ok('ls', '-a', '--format', 'json')).stdout) as { Name: string; Status: string; ConfigFiles: string }[];
    expect(json.find((p) => p.Name === P)).toEqual({ Name: P, Status: 'exited(2)', ConfigFiles: `${s.projectDir}/compose.yaml` });
    expect((await s.ok('ls', '-a', '-q')).stdout.split('\n')).toContain(P);
    await s.ok('up', '-d');
  });

  it('version and config need no engine', async () => {
    expect((await s.run(['version'], { noHost: true })).stdout).toMatch(/^tscompose version v\d+\.\d+\.\d+\n$/);
    expect((await s.run(['version', '--short'], { noHost: true })).stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
    const config = await s.run(['-p', P, 'config'], { noHost: true });
    expect(config.code).toBe(0);
    expect(config.stdout).toContain(`name: ${P}\n`);
    expect(config.stdout).toContain('      FROM_FILE: "yes"');
    expect((await s.run(['config', '--services'], { noHost: true })).stdout).toBe('web\nworker\n');
  });

  it('down -t -v --remove-orphans removes containers, network, volume and orphans', async () => {
    await s.ok('run', '-d', 'worker', 'sleep', '300');
    s.writeCompose(YAML.replace(/ {2}worker:[\s\S]*?depends_on: \[web\]\n/, ''));
    const down = await s.ok('down', '-t', '1', '-v', '--remove-orphans');
    expect(down.stderr).toContain(`Container ${P}-worker-1  Removed`);
    expect(down.stderr).toContain(`Container ${P}-web-1  Removed`);
    expect(down.stderr).toContain(`Volume ${P}_data  Removed`);
    expect(down.stderr).toContain(`Network ${P}_default  Removed`);
    const client = s.client();
    try {
      expect(await client.listContainers({ all: true })).toEqual([]);
      expect((await client.listVolumes()).Volumes ?? []).toEqual([]);
      expect((await client.listNetworks()).map((n) => n.Name)).not.toContain(`${P}_default`);
    } finally {
      client.close();
    }
    s.writeCompose(YAML);
  });

  it('down keeps named volumes without -v, and --rmi local keeps images with a tag', async () => {
    await s.ok('up', '-d');
    await s.ok('exec', '-T', 'web', 'sh', '-c', 'echo kept > /data/file');
    // A `run -d` container goes with its service (docker compose's down does the same), so the network goes too.
    const oneOff = (await s.ok('run', '-d', 'worker', 'sleep', '300')).stdout.trim();
    const down = await s.ok('down', '--rmi', 'local');
    expect(down.stderr).toMatch(new RegExp(`Container ${P}-worker-run-[0-9a-f]{12}  Removed\n`));
    expect(down.stderr).toContain(`Network ${P}_default  Removed\n`);
    expect(down.stderr).not.toContain('WARN');
    expect((await s.ps()).map((r) => r.ID)).not.toContain(oneOff);
    await s.ok('up', '-d');
    expect((await s.ok('exec', '-T', 'web', 'cat', '/data/file')).stdout).toBe('kept\n');
    const client = s.client();
    try {
      expect((await client.listImages()).flatMap((i) => i.RepoTags ?? [])).toContain('busybox:latest');
    } finally {
      client.close();
    }
    const bad = await s.compose('down', '--rmi', 'some');
    expect(bad.stderr.trim()).toBe('--rmi takes "local" or "all", not "some"');
    await s.ok('down', '-v');
  });
});

d('global flags', () => {
  const g = new CliStack();
  beforeAll(async () => {
    await g.start();
  });
  afterAll(async () => {
    await g.stop();
  });

  it('-f, --env-file, --profile, --project-directory and the project name from the folder', async () => {
    const dir = path.join(g.projectDir, 'My_App');
    mkdirSync(path.join(dir, 'env'), { recursive: true });
    writeFileSync(path.join(dir, 'stack.yml'), `
services:
  base:
    image: busybox
    command: ["echo", "\${GREETING}"]
  extra:
    image: busybox
    command: ["echo", "extra"]
    profiles: [more]
`);
    writeFileSync(path.join(dir, 'env', 'custom.env'), 'GREETING=from env file\n');
    const plain = await g.run(['-f', 'My_App/stack.yml', '--env-file', 'My_App/env/custom.env', 'up'], { cwd: g.projectDir });
    expect(plain.code).toBe(0);
    expect(plain.stdout).toContain('base-1  | from env file\n');
    expect(plain.stdout).not.toContain('extra');
    const list = await g.run(['-f', 'My_App/stack.yml', 'ps', '-a', '--format', 'json'], { cwd: g.projectDir });
    expect(JSON.parse(list.stdout.trim()).Name).toBe('my_app-base-1');

    const profiled = await g.run(['-f', 'My_App/stack.yml', '--profile', 'more', '--env-file', 'My_App/env/custom.env', 'up'], { cwd: g.projectDir });
    expect(profiled.code).toBe(0);
    expect(profiled.stdout).toContain('extra-1  | extra\n');
    const ps = await g.run(['-f', 'My_App/stack.yml', '--profile', 'more', 'ps', '-a', '--services'], { cwd: g.projectDir });
    expect(ps.stdout).toBe('base\nextra\n');

    // --project-directory: the .env file and relative paths are read from there.
    writeFileSync(path.join(dir, 'env', '.env'), 'GREETING=from project dir\n');
    const projdir = await g.run(['-f', 'My_App/stack.yml', '--project-directory', 'My_App/env', '-p', 'pd', 'up'], { cwd: g.projectDir });
    expect(projdir.stdout).toContain('base-1  | from project dir\n');
    await g.run(['-p', 'pd', 'down'], { cwd: g.projectDir });
    await g.run(['-f', 'My_App/stack.yml', '--profile', 'more', 'down'], { cwd: g.projectDir });
  });

  it('several -f files merge; COMPOSE_FILE and COMPOSE_PROJECT_NAME stand in for -f and -p', async () => {
    g.writeCompose(`services:\n  a: {image: busybox, command: ["echo", "base"]}\n`, 'one.yaml');
    g.writeCompose(`services:\n  a: {command: ["echo", "override"]}\n  b: {image: busybox, command: ["echo", "added"]}\n`, 'two.yaml');
    const merged = await g.run(['-f', 'one.yaml', '-f', 'two.yaml', '-p', 'merged', 'up']);
    expect(merged.code).toBe(0);
    expect(merged.stdout).toContain('a-1  | override\n');
    expect(merged.stdout).toContain('b-1  | added\n');
    const env = await g.run(['ps', '-a', '--services'], { env: { COMPOSE_FILE: 'one.yaml:two.yaml', COMPOSE_PROJECT_NAME: 'merged' } });
    expect(env.stdout).toBe('a\nb\n');
    const down = await g.run(['down'], { env: { COMPOSE_FILE: 'one.yaml:two.yaml', COMPOSE_PROJECT_NAME: 'merged' } });
    expect(down.stderr).toContain('Container merged-b-1  Removed');
  });

  it('--progress plain, json, quiet; --ansi never and NO_COLOR', async () => {
    g.writeCompose(`services:\n  a: {image: busybox, command: ["echo", "hi"]}\n`);
    const json = await g.run(['--progress', 'json', 'create']);
    expect(json.code).toBe(0);
    const events = json.stderr.trim().split('\n').map((l) => JSON.parse(l) as { kind: string; resource: string; name: string; status: string });
    expect(events.find((e) => e.resource === 'container' && e.status === 'Created')).toMatchObject({ kind: 'resource', name: 'project-a-1', elapsedMs: expect.any(Number) });
    const quiet = await g.run(['--progress', 'quiet', 'up', '-d', '--force-recreate']);
    expect(quiet).toMatchObject({ code: 0, stderr: '' });
    // tty without a terminal: plain lines, as docker compose does.
    const tty = await g.run(['--progress', 'tty', 'up', '-d', '--force-recreate']);
    expect(tty.stderr).toContain('Container project-a-1  Started\n');
    expect(tty.stderr).not.toContain('\u001b');
    const plain = await g.run(['--progress', 'plain', 'down']);
    expect(plain.stderr).toContain('Container project-a-1  Removed\n');
    const bad = await g.run(['--progress', 'fancy', 'ps']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("error: option '--progress <type>' argument 'fancy' is invalid. Allowed choices are auto, tty, plain, json, quiet.");

    const colour = await g.run(['--ansi', 'always', 'up']);
    expect(colour.stdout).toContain('\u001b[');
    const never = await g.run(['--ansi', 'never', 'up']);
    expect(never.stdout).not.toContain('\u001b[');
    expect(never.stderr).not.toContain('\u001b[');
    const noColor = await g.run(['up'], { env: { NO_COLOR: '1' } });
    expect(noColor.stdout).not.toContain('\u001b[');
    expect(noColor.stdout).toContain('a-1  | hi\n');
    await g.run(['down']);
  });
});
