// The compose side of builds, on the FakeEngine: `build` and `up --build`
// send one build per image with the names, labels and args docker compose
// v2 sends; the pure op → request mapping, its warnings and --build-arg.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { buildPlanOf, parseBuildArgs } from '../../../compose/cli/executor/build-request.js';
import type { BuildImageOp } from '../../../compose/plan/plan.js';
import { runCli, seededEngine } from '../cli/helpers.js';

let dir = '';
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tsct-cbuild-'));
  mkdirSync(join(dir, 'web'));
  writeFileSync(join(dir, 'web', 'Dockerfile'), 'FROM busybox\n');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const YAML = `
name: app
services:
  web:
    build:
      context: ./web
      args: {A: "1"}
      labels: {team: x}
  worker:
    image: app-web
    build: ./web
  db:
    image: busybox
`;

describe('tscompose build / up --build', () => {
  test('build: one build per image, named <project>-<service>', async () => {
    writeFileSync(join(dir, 'compose.yaml'), YAML);
    const engine = seededEngine();
    const r = await runCli(engine, '', ['build'], { cwd: dir });
    expect(r.stderr).toContain('Image app-web  Built');
    expect(r.code).toBe(0);
    expect(engine.calls.filter((c) => c.startsWith('buildImage'))).toEqual(['buildImage app-web']);
  });

  test('up --build builds before creating; up without it builds only a missing image', async () => {
    writeFileSync(join(dir, 'compose.yaml'), 'name: app\nservices:\n  web:\n    build: ./web\n');
    const engine = seededEngine();
    const first = await runCli(engine, '', ['up', '-d'], { cwd: dir });
    expect(first.code).toBe(0);
    const calls = engine.calls.filter((c) => /^(buildImage|createContainer)/.test(c));
    expect(calls[0]).toBe('buildImage app-web');
    expect(calls[1]).toMatch(/^createContainer/);
    engine.calls.length = 0;
    await runCli(engine, '', ['up', '-d'], { cwd: dir });
    expect(engine.calls.some((c) => c.startsWith('buildImage'))).toBe(false);
    await runCli(engine, '', ['up', '-d', '--build'], { cwd: dir });
    expect(engine.calls).toContain('buildImage app-web');
  });
});

describe('build flags and policies', () => {
  test('-q prints nothing; --no-cache and --build-arg reach the engine', async () => {
    writeFileSync(join(dir, 'compose.yaml'), 'name: app\nservices:\n  web:\n    build: ./web\n');
    const engine = seededEngine();
    const seen: Array<Record<string, unknown>> = [];
    const original = engine.buildImage.bind(engine);
    engine.buildImage = (context, opts = {}) => {
      seen.push(opts as Record<string, unknown>);
      return original(context, opts);
    };
    const r = await runCli(engine, '', ['build', '-q', '--no-cache', '--pull', '--build-arg', 'A=1'], { cwd: dir });
    expect(r).toMatchObject({ code: 0, stdout: '', stderr: '' });
    expect(seen[0]).toMatchObject({ tags: ['app-web'], noCache: true, pull: true, buildArgs: { A: '1' }, dockerfile: 'Dockerfile' });
  });

  test('pull_policy: build builds even when the image is there', async () => {
    writeFileSync(join(dir, 'compose.yaml'), 'name: app\nservices:\n  web:\n    image: busybox:latest\n    pull_policy: build\n    build: ./web\n');
    const engine = seededEngine();
    const r = await runCli(engine, '', ['up', '-d'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(engine.calls).toContain('buildImage busybox:latest');
  });
});

describe('buildPlanOf', () => {
  const op = (build: BuildImageOp['build'], extra: Partial<BuildImageOp> = {}): BuildImageOp => ({
    kind: 'BuildImage', id: 'build-image:app-web', dependsOn: [], cause: 'missing', image: 'app-web', service: 'web', build, ...extra,
  });

  test('tags, labels, args (command line over the section), target, no_cache, pull', () => {
    const plan = buildPlanOf(op({ context: '/p/web', dockerfile: 'Dockerfile.dev', args: { A: '1', B: '2' }, labels: { team: 'x' }, target: 'prod', tags: ['reg/app:1'], no_cache: true }), 'app', '2.0.0', { args: { B: 'cli' }, pull: true });
    expect(plan).toEqual({
      context: '/p/web',
      dockerfile: 'Dockerfile.dev',
      options: {
        tags: ['app-web', 'reg/app:1'],
        buildArgs: { A: '1', B: 'cli' },
        labels: { team: 'x', 'com.docker.compose.project': 'app', 'com.docker.compose.service': 'web', 'com.docker.compose.version': '2.0.0' },
        target: 'prod', noCache: true, pull: true, rm: true, forceRm: true,
      },
      warnings: [],
    });
  });

  test('BuildKit-only keys are named in warnings', () => {
    const plan = buildPlanOf(op({ context: '/p', ssh: ['default'], secrets: [], platforms: ['linux/amd64', 'linux/arm64'] }), 'app', '1');
    expect(plan.warnings).toEqual([
      'service "web": build.ssh is not supported by the classic builder and is ignored',
      'service "web": build.secrets is not supported by the classic builder and is ignored',
      'service "web": build.platforms lists several platforms; building only for linux/amd64',
    ]);
    expect(plan.options.platform).toBe('linux/amd64');
  });

  test('a remote context is refused with the way around it', () => {
    expect(() => buildPlanOf(op({ context: 'https://github.com/x/y.git' }), 'app', '1')).toThrow(
      'service "web": build context https://github.com/x/y.git is remote; this engine builds from a local folder only: clone it and point build.context at the folder',
    );
  });

  test('--build-arg KEY=VALUE, KEY from the environment', () => {
    expect(parseBuildArgs(['A=1', 'B', 'C', 'D=x=y'], { B: 'env' })).toEqual({ A: '1', B: 'env', D: 'x=y' });
    expect(() => parseBuildArgs(['=x'], {})).toThrow('invalid --build-arg "=x": expected KEY=VALUE');
  });
});
