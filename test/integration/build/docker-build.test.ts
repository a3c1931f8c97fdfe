// `docker build` (the classic builder: DOCKER_BUILDKIT=0) with the real
// docker CLI against our engine: a busybox-based multi-stage Dockerfile with
// FROM, ARG, RUN, COPY (.dockerignore, --from, --chown), ENV, WORKDIR, CMD;
// the result run with `docker run`; a second build served from the cache;
// the error of a failing RUN and of a bad Dockerfile.

import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engineTestGate, mountsUnder, newPrefix, startEngineFixture, type EngineFixture } from '../engine/engine-fixture.js';

const why = engineTestGate('docker build tests');
const d = why ? describe.skip : describe;
const DOCKER_COMPOSE_V1 = ['/usr/bin/docker-compose', '/usr/local/bin/docker-compose'].find((p) => existsSync(p));
if (!DOCKER_COMPOSE_V1 && !why && process.env.CI) throw new Error('docker build tests: docker-compose 1.29 is missing (scripts/install-deps.sh installs it)');

/** A process run without blocking the event loop (the engine runs in this one). */
function runAsync(cmd: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv }): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { ...opts, encoding: 'utf8', timeout: 120_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

const prefix = newPrefix();
let f: EngineFixture;
let ctx = '';

const build = (args: string[]) => f.docker(['build', ...args]);

d('docker build against our engine', () => {
  beforeAll(async () => {
    process.env.DOCKER_BUILDKIT = '0';
    f = await startEngineFixture(prefix);
    ctx = join(f.dir, 'ctx');
    mkdirSync(join(ctx, 'src', 'sub'), { recursive: true });
    writeFileSync(join(ctx, 'src', 'hello.txt'), 'hello from the context\n');
    writeFileSync(join(ctx, 'src', 'sub', 'deep.txt'), 'deep\n');
    writeFileSync(join(ctx, 'src', 'secret.key'), 'must not be copied\n');
    writeFileSync(join(ctx, '.dockerignore'), '# keys stay home\n**/*.key\n');
    writeFileSync(join(ctx, 'Dockerfile'), [
      '# syntax=docker/dockerfile:1',
      `ARG BASE=${f.image}`,
      'FROM $BASE AS builder',
      'ARG GREETING=hi',
      'RUN mkdir -p /out && echo "$GREETING from the builder" > /out/made.txt \\',
      '    && echo built',
      '',
      'FROM ${BASE}',
      'ENV APP_HOME=/app \\',
      '    MODE=production',
      'WORKDIR $APP_HOME',
      'COPY src/ ./src/',
      'COPY --from=builder /out/made.txt /app/made.txt',
      'COPY --chown=1000:1000 src/hello.txt owned.txt',
      'RUN rm /app/src/sub/deep.txt && echo "$MODE" > mode.txt',
      'LABEL org.example.name="built here"',
      'EXPOSE 8080',
      'CMD ["sh", "-c", "cat /app/made.txt /app/mode.txt; echo $APP_HOME"]',
      '',
    ].join('\n'));
  }, 120_000);

  afterAll(async () => {
    delete process.env.DOCKER_BUILDKIT;
    await f?.teardown();
  }, 60_000);

  it('builds, tags, and the image runs with its files, env and cmd', async () => {
    const r = await build(['-t', `${prefix}/app:1`, '--build-arg', 'GREETING=howdy', ctx]);
    expect(r.stderr + r.stdout).not.toMatch(/error/i);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Step 1\/13 : FROM \$BASE AS builder/);
    expect(r.stdout).toContain('built\n');
    expect(r.stdout).toMatch(/Successfully built [0-9a-f]{12}/);
    expect(r.stdout).toContain(`Successfully tagged ${prefix}/app:1`);

    expect(await f.ok(['run', '--rm', `${prefix}/app:1`])).toBe('howdy from the builder\nproduction\n/app\n');
    const ls = await f.ok(['run', '--rm', `${prefix}/app:1`, 'sh', '-c', 'pwd; ls -A /app/src; ls -A /app/src/sub; cat /app/src/hello.txt; stat -c "%u:%g %n" owned.txt src/hello.txt']);
    expect(ls).toBe('/app\nhello.txt\nsub\nhello from the context\n1000:1000 owned.txt\n0:0 src/hello.txt\n');
    const inspect = JSON.parse(await f.ok(['image', 'inspect', `${prefix}/app:1`]))[0];
    expect(inspect.Config.Env).toContain('MODE=production');
    expect(inspect.Config.WorkingDir).toBe('/app');
    expect(inspect.Config.Labels['org.example.name']).toBe('built here');
    expect(Object.keys(inspect.Config.ExposedPorts)).toEqual(['8080/tcp']);
    expect(inspect.Config.Cmd).toEqual(['sh', '-c', 'cat /app/made.txt /app/mode.txt; echo $APP_HOME']);
    // `docker history`: newest first, the steps of the final stage on top of the base's entries
    const history = (await f.ok(['history', '--no-trunc', '--format', '{{.ID}}|{{.CreatedBy}}', `${prefix}/app:1`])).trim().split('\n');
    expect(history[0]).toMatch(new RegExp(`^${inspect.Id}\\|.*CMD \\["sh"`));
    expect(history.some((l) => /^<missing>\|.*\/bin\/sh -c rm \/app\/src\/sub\/deep.txt/.test(l))).toBe(true);
    expect(history.some((l) => /COPY --chown=1000:1000/.test(l) || /COPY .*owned.txt/.test(l))).toBe(true);
    // intermediate containers, step images, mounts and work folders are gone
    expect((await f.ok(['ps', '-aq'])).trim()).toBe('');
    expect((await f.ok(['images', '-q', '--filter', 'dangling=true'])).trim()).toBe('');
    expect(mountsUnder(join(f.root, 'build'))).toEqual([]);
    expect(readdirSync(join(f.root, 'build')).filter((n) => n !== 'cache.json')).toEqual([]);
  }, 300_000);

  it('ADD unpacks a local tar archive; a URL is refused; a Dockerfile on stdin builds', async () => {
    const dir = join(f.dir, 'add');
    mkdirSync(join(dir, 'payload', 'inner'), { recursive: true });
    writeFileSync(join(dir, 'payload', 'inner', 'file.txt'), 'from the archive\n');
    execFileSync('tar', ['-C', join(dir, 'payload'), '-czf', join(dir, 'files.tar.gz'), '.']);
    // the RUN replaces a folder of a lower layer as a whole: an opaque folder in the layer
    writeFileSync(join(dir, 'Dockerfile'), [
      `FROM ${f.image}`, 'ADD files.tar.gz /opt/', 'ADD Dockerfile /copied/', 'RUN cp -r /opt/inner /opt/kept && rm -rf /opt/inner && mkdir /opt/inner && echo new > /opt/inner/only.txt', '',
    ].join('\n'));
    expect((await build(['-t', `${prefix}/add:1`, dir])).code).toBe(0);
    expect(await f.ok(['run', '--rm', `${prefix}/add:1`, 'sh', '-c', 'cat /opt/kept/file.txt; ls /copied; ls /opt/inner'])).toBe('from the archive\nDockerfile\nonly.txt\n');

    writeFileSync(join(dir, 'Dockerfile'), `FROM ${f.image}\nADD https://example.com/x.tgz /opt/\n`);
    const url = await build([dir]);
    expect(url.code).not.toBe(0);
    expect(url.stderr).toContain('Dockerfile:2: ADD https://example.com/x.tgz: remote sources are not supported by this builder; download the file into the build context and COPY it');

    const stdin = await f.docker(['build', '-t', `${prefix}/stdin:1`, '-'], `FROM ${f.image}\nENV FROM_STDIN=yes\nCMD ["sh", "-c", "echo $FROM_STDIN"]\n`);
    expect(stdin.code).toBe(0);
    expect(await f.ok(['run', '--rm', `${prefix}/stdin:1`])).toBe('yes\n');
  }, 300_000);

  it('config instructions: USER, SHELL, ENTRYPOINT, HEALTHCHECK, VOLUME, STOPSIGNAL, EXPOSE ranges', async () => {
    const dir = join(f.dir, 'config');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'Dockerfile'), [
      `FROM --platform=$BUILDPLATFORM ${f.image}`,
      'ARG TARGETARCH',
      'RUN echo "$TARGETARCH" > /arch',
      'SHELL ["/bin/sh", "-ec"]',
      'RUN mkdir -p /home/tsct && chown 1000:1000 /home/tsct',
      'USER tsct',
      'RUN whoami > /home/tsct/who && id -u >> /home/tsct/who',
      'ENTRYPOINT ["cat"]',
      'HEALTHCHECK --interval=5s --timeout=2s --retries=4 CMD test -f /home/tsct/who',
      'VOLUME /data',
      'STOPSIGNAL SIGINT',
      'EXPOSE 7000-7001/udp',
      'MAINTAINER someone',
      '',
    ].join('\n'));
    expect((await build(['-t', `${prefix}/config:1`, dir])).code).toBe(0);
    expect(await f.ok(['run', '--rm', `${prefix}/config:1`, '/home/tsct/who', '/arch'])).toBe(`tsct\n1000\n${process.arch === 'x64' ? 'amd64' : 'arm64'}\n`);
    const c = JSON.parse(await f.ok(['image', 'inspect', `${prefix}/config:1`]))[0];
    expect(c.Config.User).toBe('tsct');
    expect(c.Config.Entrypoint).toEqual(['cat']);
    expect(c.Config.Cmd ?? null).toBeNull();
    expect(c.Config.Shell).toEqual(['/bin/sh', '-ec']);
    expect(c.Config.Healthcheck).toEqual({ Test: ['CMD-SHELL', 'test -f /home/tsct/who'], Interval: 5e9, Timeout: 2e9, Retries: 4 });
    expect(c.Config.Volumes).toEqual({ '/data': {} });
    expect(c.Config.StopSignal).toBe('SIGINT');
    expect(Object.keys(c.Config.ExposedPorts).sort()).toEqual(['7000/udp', '7001/udp']);
    expect(c.Author).toBe('someone');
  }, 300_000);

  it('a second build comes from the cache and gives the same image', async () => {
    const first = JSON.parse(await f.ok(['image', 'inspect', `${prefix}/app:1`]))[0].Id as string;
    const r = await build(['-t', `${prefix}/app:2`, '--build-arg', 'GREETING=howdy', ctx]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Using cache');
    expect(r.stdout).not.toContain('Running in');
    const second = JSON.parse(await f.ok(['image', 'inspect', `${prefix}/app:2`]))[0].Id as string;
    expect(second).toBe(first);
    // a changed file in the context rebuilds from its COPY on
    writeFileSync(join(ctx, 'src', 'hello.txt'), 'changed\n');
    const r3 = await build(['-q', '-t', `${prefix}/app:3`, '--build-arg', 'GREETING=howdy', ctx]);
    expect(r3.code).toBe(0);
    expect(r3.stdout.trim()).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(await f.ok(['run', '--rm', `${prefix}/app:3`, 'cat', '/app/src/hello.txt'])).toBe('changed\n');
  }, 300_000);

  it.skipIf(!DOCKER_COMPOSE_V1)('docker-compose 1.29 builds a build: service on our engine and runs it', async () => {
    const proj = join(f.dir, 'dc1');
    mkdirSync(join(proj, 'app'), { recursive: true });
    writeFileSync(join(proj, 'app', 'Dockerfile'), `FROM ${f.image}\nARG X=1\nRUN echo "hi $X" > /x\nCMD ["cat", "/x"]\n`);
    writeFileSync(join(proj, 'docker-compose.yml'), 'version: "3"\nservices:\n  app:\n    build:\n      context: ./app\n      args: {X: "2"}\n    network_mode: none\n');
    const env = { ...process.env, DOCKER_HOST: `unix://${f.socket}`, DOCKER_CONFIG: join(f.dir, 'docker-config'), DOCKER_BUILDKIT: '0' };
    const p = `${prefix}dc`;
    const built = await runAsync(DOCKER_COMPOSE_V1!, ['-p', p, 'build'], { cwd: proj, env });
    expect(built.stdout).toContain(`Successfully tagged ${p}_app:latest`);
    expect(built.code).toBe(0);
    const ran = await runAsync(DOCKER_COMPOSE_V1!, ['-p', p, 'run', '--rm', 'app'], { cwd: proj, env });
    expect(ran.stdout).toBe('hi 2\n');
    expect((await runAsync(DOCKER_COMPOSE_V1!, ['-p', p, 'down', '--rmi', 'local'], { cwd: proj, env })).code).toBe(0);
  }, 300_000);

  it('a failing RUN names the command and its exit code', async () => {
    const bad = join(f.dir, 'bad');
    mkdirSync(bad, { recursive: true });
    writeFileSync(join(bad, 'Dockerfile'), `FROM ${f.image}\nRUN echo before && exit 3\n`);
    const r = await build(['--force-rm', bad]);
    expect(r.code).not.toBe(0);
    expect(r.stderr + r.stdout).toContain("The command '/bin/sh -c echo before && exit 3' returned a non-zero code: 3");
    expect(r.stdout).toContain('before\n');
    expect((await f.ok(['ps', '-aq'])).trim()).toBe('');
    expect(mountsUnder(join(f.root, 'build'))).toEqual([]);
    expect(existsSync(join(f.root, 'build'))).toBe(true);
  }, 120_000);

  it('a RUN whose container cannot start says why', async () => {
    const bad = join(f.dir, 'bad-user');
    mkdirSync(bad, { recursive: true });
    writeFileSync(join(bad, 'Dockerfile'), `FROM ${f.image}\nUSER nosuchuser\nRUN true\n`);
    const r = await build(['--force-rm', bad]);
    expect(r.code).not.toBe(0);
    expect(r.stderr + r.stdout).toContain('unable to find user nosuchuser');
    expect((await f.ok(['ps', '-aq'])).trim()).toBe('');
  }, 120_000);

  it('a bad Dockerfile is refused with its line', async () => {
    const bad = join(f.dir, 'bad2');
    mkdirSync(bad, { recursive: true });
    writeFileSync(join(bad, 'Dockerfile'), `FROM ${f.image}\n\nFORM x\n`);
    const r = await build([bad]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('Dockerfile:3: unknown instruction: FORM');
  }, 60_000);
});
