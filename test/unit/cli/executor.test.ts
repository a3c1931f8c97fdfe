// The executor against the FakeEngine: which API calls an `up` or `down`
// makes, in which order, and how failures read.
import { describe, expect, test } from 'vitest';
import { executePlan, planSteps } from '../../../compose/cli/executor/execute.js';
import { observeProject } from '../../../compose/cli/executor/observe.js';
import { planDown, reconcile, type ReconcileOptions } from '../../../compose/plan/index.js';
import type { Project } from '../../../compose/types.js';
import { FakeEngine } from './fake-engine.js';
import { instantClock, loadInline, recorder, THREE_TIER } from './helpers.js';

function seeded(behaviour: ConstructorParameters<typeof FakeEngine>[0] = {}): FakeEngine {
  const engine = new FakeEngine(behaviour);
  for (const image of ['nginx:1.27', 'example/api:1', 'mariadb:11', 'busybox:latest']) engine.addImage(image);
  return engine;
}

async function up(engine: FakeEngine, project: Project, options: ReconcileOptions = {}, concurrency?: number) {
  const observed = await observeProject(engine, project.name);
  const plan = reconcile(project, observed, options);
  const rec = recorder();
  const before = engine.calls.length;
  await executePlan(plan, engine, { project, emit: rec.emit, clock: instantClock(), pollMs: 1, concurrency, version: '0.1.0' });
  return { plan, rec, calls: engine.calls.slice(before).filter((c) => !c.startsWith('listContainers')) };
}

describe('executePlan (up)', () => {
  test('creates the network and volume first, then containers, starting dependencies first', async () => {
    const { project } = await loadInline(THREE_TIER);
    const engine = seeded();
    const { calls, rec } = await up(engine, project);
    const at = (call: string) => {
      expect(calls).toContain(call);
      return calls.indexOf(call);
    };
    expect(calls).toHaveLength(8);
    for (const c of ['api', 'db', 'web']) {
      expect(at('createNetwork app_default')).toBeLessThan(at(`createContainer app-${c}-1`));
      expect(at('createVolume app_data')).toBeLessThan(at(`createContainer app-${c}-1`));
      expect(at(`createContainer app-${c}-1`)).toBeLessThan(at(`startContainer app-${c}-1`));
    }
    expect(at('startContainer app-db-1')).toBeLessThan(at('startContainer app-api-1'));
    expect(at('startContainer app-api-1')).toBeLessThan(at('startContainer app-web-1'));
    expect(rec.lines()).toContain('container app-db-1 Healthy');
    const db = engine.bodies.get('app-db-1')!;
    expect(db.HostConfig?.Binds).toEqual(['app_data:/var/lib/mysql:rw']);
    expect(db.Labels?.['com.docker.compose.image']).toMatch(/^sha256:/);
  });

  test('independent services are created in parallel, bounded by --parallel', async () => {
    const { project } = await loadInline(`services:\n${['a', 'b', 'c', 'd'].map((s) => `  ${s}: {image: busybox}\n`).join('')}`);
    const free = seeded({ delayMs: 5 });
    await up(free, project);
    expect(free.maxInFlight).toBe(4);
    const bounded = seeded({ delayMs: 5 });
    await up(bounded, project, {}, 2);
    expect(bounded.maxInFlight).toBe(2);
  });

  test('a second up makes no engine calls', async () => {
    const { project } = await loadInline(THREE_TIER);
    const engine = seeded();
    await up(engine, project);
    const again = await up(engine, project);
    expect(again.plan.isEmpty).toBe(true);
    expect(again.calls).toEqual([]);
  });

  test('a changed service is recreated: new container first, then the old one goes', async () => {
    const engine = seeded();
    await up(engine, (await loadInline(THREE_TIER)).project);
    const changed = (await loadInline(THREE_TIER.replace('DB_HOST: db', 'DB_HOST: db2'))).project;
    const { calls, rec } = await up(engine, changed);
    expect(calls.map((c) => c.replace(/[0-9a-f]{12}_/, 'ID_'))).toEqual([
      'createContainer ID_app-api-1',
      'stopContainer app-api-1',
      'removeContainer app-api-1',
      'renameContainer ID_app-api-1 app-api-1',
      'startContainer app-api-1',
    ]);
    expect(rec.lines()).toEqual(expect.arrayContaining(['container app-api-1 Recreate', 'container app-api-1 Recreated', 'container app-api-1 Started']));
    expect(engine.containers.map((c) => c.name).sort()).toEqual(['app-api-1', 'app-db-1', 'app-web-1']);
  });

  test('--scale adds and removes replicas with docker compose numbering', async () => {
    const { project } = await loadInline('services:\n  w: {image: busybox}\n');
    const engine = seeded();
    const three = await up(engine, project, { scale: { w: 3 } });
    expect(three.calls.filter((c) => c.startsWith('create'))).toEqual(['createNetwork app_default', 'createContainer app-w-1', 'createContainer app-w-2', 'createContainer app-w-3']);
    const one = await up(engine, project, { scale: { w: 1 } });
    expect([...one.calls].sort()).toEqual(['removeContainer app-w-2', 'removeContainer app-w-3', 'stopContainer app-w-2', 'stopContainer app-w-3']);
    for (const n of [2, 3]) expect(one.calls.indexOf(`stopContainer app-w-${n}`)).toBeLessThan(one.calls.indexOf(`removeContainer app-w-${n}`));
    expect(engine.containers.map((c) => c.name)).toEqual(['app-w-1']);
  });

  test('an unhealthy dependency stops the up with docker compose\'s words', async () => {
    const { project } = await loadInline(THREE_TIER);
    const engine = seeded({ health: { 'app-db-1': 'unhealthy' } });
    const err = await up(engine, project).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toBe('dependency failed to start: container app-db-1 is unhealthy');
    expect(engine.calls).not.toContain('startContainer app-api-1');
  });

  test('service_completed_successfully with a failing job names the exit code', async () => {
    const { project } = await loadInline(`
services:
  migrate: {image: busybox}
  app:
    image: busybox
    depends_on:
      migrate: {condition: service_completed_successfully}
`);
    const engine = seeded({ exitOnStart: { 'app-migrate-1': 3 } });
    const err = (await up(engine, project).catch((e: unknown) => e)) as Error & { exitCode: number };
    expect(err.message).toBe('service "migrate" didn\'t complete successfully: exit 3');
    expect(err.exitCode).toBe(1);
  });

  test('an optional dependency that fails is a warning and the dependent starts', async () => {
    const { project } = await loadInline(`
services:
  db:
    image: busybox
    healthcheck: {test: [CMD, "true"]}
  app:
    image: busybox
    depends_on:
      db: {condition: service_healthy, required: false}
`);
    const engine = seeded({ health: { 'app-db-1': 'unhealthy' } });
    const { rec, calls } = await up(engine, project);
    expect(calls).toContain('startContainer app-app-1');
    expect(rec.lines()).toContain('warning optional dependency failed to start: container app-db-1 is unhealthy');
  });

  test('a missing image is one sentence naming the service and the fix', async () => {
    const { project } = await loadInline('services:\n  web: {image: nosuch/image:1, pull_policy: never}\n');
    const engine = seeded();
    const rec = recorder();
    const plan = reconcile(project, await observeProject(engine, 'app'));
    const err = (await executePlan(plan, engine, { project, emit: rec.emit, clock: instantClock() }).catch((e: unknown) => e)) as Error;
    expect(err.message).toBe('service "web": image "nosuch/image:1" not found; pull it (tscompose pull web) or give the service a build: section');
    expect(rec.lines()).toContain(`container app-web-1 Error (${err.message})`);
  });

  test('a pull that fails names the service and the image', async () => {
    const { project } = await loadInline('services:\n  web: {image: nosuch/image:1}\n');
    const engine = seeded();
    const err = (await up(engine, project).catch((e: unknown) => e)) as Error;
    expect(err.message).toBe("service \"web\": pulling image nosuch/image:1 failed: pull access denied for nosuch/image:1, repository does not exist or may require 'docker login'");
  });

  test('a container joins its other networks right after create', async () => {
    const { project } = await loadInline(`
services:
  app:
    image: busybox
    networks:
      back: {}
      front: {priority: 10, aliases: [www]}
networks: {front: {}, back: {}}
`);
    const engine = seeded();
    const { calls } = await up(engine, project);
    expect(calls.filter((c) => c.includes('app-app-1'))).toEqual(['createContainer app-app-1', 'connectNetwork app_back app-app-1', 'startContainer app-app-1']);
    expect(engine.bodies.get('app-app-1')!.NetworkingConfig).toEqual({ EndpointsConfig: { app_front: { Aliases: ['app-app-1', 'app', 'www'] } } });
  });

  test('planSteps counts one finishing status per operation and resource', async () => {
    const { project } = await loadInline(THREE_TIER);
    const engine = seeded();
    const plan = reconcile(project, await observeProject(engine, 'app'));
    const steps = planSteps(plan);
    expect(steps.find((s) => s.name === 'app-db-1')).toEqual({ resource: 'container', name: 'app-db-1', steps: 3 });
    const rec = recorder();
    await executePlan(plan, engine, { project, emit: rec.emit, clock: instantClock(), pollMs: 1 });
    const done = rec.events.filter((e) => e.kind === 'resource' && e.name === 'app-db-1' && ['Created', 'Started', 'Healthy'].includes(e.status));
    expect(done).toHaveLength(3);
  });
});

describe('executePlan (down)', () => {
  test('stops and removes dependents first, then the network; volumes only with -v', async () => {
    const { project } = await loadInline(THREE_TIER);
    const engine = seeded();
    await up(engine, project);
    const plan = planDown(project, await observeProject(engine, 'app'), { volumes: true });
    const before = engine.calls.length;
    await executePlan(plan, engine, { project, emit: () => {}, clock: instantClock() });
    expect(engine.calls.slice(before)).toEqual([
      'stopContainer app-web-1',
      'removeContainer app-web-1 v',
      'stopContainer app-api-1',
      'removeContainer app-api-1 v',
      'stopContainer app-db-1',
      'removeContainer app-db-1 v',
      'removeNetwork app_default',
      'removeVolume app_data',
    ]);
    expect(engine.containers).toEqual([]);
    expect(engine.networks).toEqual([]);
    expect(engine.volumes).toEqual([]);
  });
});
