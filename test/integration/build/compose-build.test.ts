// Compose projects with `build:` on our engine, through the CLI as a
// process: `tscompose build` (args, target, .dockerignore, labels, the
// `<project>-<service>` name), `up -d --build` running the built image,
// `--no-cache`, a failing build named by service with its output, and
// `down --rmi local` removing what was built.

import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliStack, eventually, missingPrerequisite } from '../cli/cli-harness.js';

const why = missingPrerequisite();
if (why && process.env.CI) throw new Error(`compose build tests cannot run: ${why}`);
const d = why ? describe.skip : describe;

const s = new CliStack();
const P = s.project;

d('compose build on our engine', () => {
  beforeAll(async () => {
    await s.start();
    const app = path.join(s.projectDir, 'app');
    mkdirSync(app, { recursive: true });
    writeFileSync(path.join(app, 'message.txt'), 'from the context\n');
    writeFileSync(path.join(app, 'notes.log'), 'ignored\n');
    writeFileSync(path.join(app, '.dockerignore'), '*.log\n');
    writeFileSync(path.join(app, 'Dockerfile'), [
      'FROM busybox AS base',
      'ARG GREETING=unset',
      'RUN echo "$GREETING" > /greeting',
      'COPY . /ctx/',
      'FROM base AS final',
      'CMD ["sh", "-c", "cat /greeting /ctx/message.txt; ls /ctx; exec sleep 300"]',
      '',
    ].join('\n'));
    s.writeCompose(`
services:
  app:
    build:
      context: ./app
      target: final
      args:
        GREETING: \${GREETING:-hello}
      labels:
        org.example.team: builders
    stop_signal: SIGKILL
  broken:
    profiles: [broken]
    build:
      context: ./app
      dockerfile_inline: |
        FROM busybox
        RUN echo about to fail && exit 7
`);
  }, 120_000);

  afterAll(async () => {
    await s.compose('down', '--rmi', 'local');
    await s.stop();
  }, 60_000);

  it('build makes <project>-app with its args, labels and context', async () => {
    const r = await s.ok('build', '--build-arg', 'GREETING=built by compose');
    expect(r.stderr).toContain(`Image ${P}-app  Built`);
    expect(r.stderr).toMatch(/Step 3\/6 : RUN echo/);
    const client = s.client();
    try {
      const img = await client.inspectImage(`${P}-app`);
      expect(img.Config?.Labels).toMatchObject({ 'org.example.team': 'builders', 'com.docker.compose.project': P, 'com.docker.compose.service': 'app' });
    } finally {
      client.close();
    }
  }, 300_000);

  it('up -d --build runs the built image; a rebuild uses the cache, --no-cache does not', async () => {
    const up = await s.ok('up', '-d', '--build');
    expect(up.stderr).toContain(`Image ${P}-app  Built`);
    expect(up.stderr).toContain(`Container ${P}-app-1  Started`);
    const logs = await eventually(async () => {
      const out = (await s.ok('logs', '--no-log-prefix', 'app')).stdout;
      return out.includes('message.txt') ? out : undefined;
    });
    expect(logs).toBe('hello\nfrom the context\nDockerfile\nmessage.txt\n');
    // the same inputs give the same image from the cache; --no-cache makes a new one
    const client = s.client();
    try {
      const before = (await client.inspectImage(`${P}-app`)).Id;
      expect((await s.ok('build')).stderr).toContain(`Image ${P}-app  Built`);
      expect((await client.inspectImage(`${P}-app`)).Id).toBe(before);
      expect((await s.ok('build', '--no-cache')).stderr).toContain(`Image ${P}-app  Built`);
      expect((await client.inspectImage(`${P}-app`)).Id).not.toBe(before);
    } finally {
      client.close();
    }
  }, 300_000);

  it('a failing build names the service, the command and its output', async () => {
    const r = await s.compose('--profile', 'broken', 'build', 'broken');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('service "broken" failed to build: The command \'/bin/sh -c echo about to fail && exit 7\' returned a non-zero code: 7');
    expect(r.stderr).toContain('about to fail');
  }, 120_000);
});
