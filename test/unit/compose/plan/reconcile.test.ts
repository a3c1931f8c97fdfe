// Golden plans for `up`: each scenario is a Project written by hand, an
// observed snapshot, the options of the command line, and the exact plan.
import { describe, expect, test } from 'vitest';
import { reconcile, type ReconcileOptions } from '../../../../compose/plan/reconcile.js';
import type { Project } from '../../../../compose/types.js';
import type { ObservedState } from '../../../../compose/plan/observed.js';
import { LABEL_CONFIG_HASH, LABEL_IMAGE, LABEL_PROJECT, LABEL_NETWORK, LABEL_VOLUME } from '../../../../compose/plan/labels.js';
import { applyPlan, container, observed, oneOffContainer, project, threeTier } from './helpers.js';

const IMAGES = [
  { ref: 'nginx:1.27', id: 'sha256:nginx127' },
  { ref: 'example/api:1', id: 'sha256:api1' },
  { ref: 'docker.io/library/mariadb:11', id: 'sha256:mariadb11' },
];

const DEFAULT_NETWORK = { name: 'app_default', id: 'n1', labels: { [LABEL_PROJECT]: 'app', [LABEL_NETWORK]: 'default' } };

/** The 3-tier app fully up: network, volume, images, one running container each. */
function upState(p: Project = threeTier(), extra: Partial<ObservedState> = {}): ObservedState {
  return observed({
    networks: [{ name: 'app_default', id: 'n1', labels: { [LABEL_PROJECT]: 'app', [LABEL_NETWORK]: 'default' } }],
    volumes: [{ name: 'app_data', labels: { [LABEL_PROJECT]: 'app', 'com.docker.compose.volume': 'data' } }],
    images: IMAGES,
    containers: Object.keys(p.services).map((s) => container(p, s, 1)),
    ...extra,
  });
}

function plan(p: Project, o: ObservedState, options: ReconcileOptions = {}): string {
  return reconcile(p, o, options).toString();
}

describe('reconcile: create', () => {
  test('fresh up of a 3-tier app', () => {
    expect(plan(threeTier(), observed())).toMatchInlineSnapshot(`
      "create-network:app_default [] # not found
      create-volume:app_data [] # not found
      pull-image:example/api:1 [] # image not found
      pull-image:mariadb:11 [] # image not found
      create-container:app-db-1 [create-network:app_default, create-volume:app_data, pull-image:mariadb:11] # not found
      create-container:app-api-1 [create-container:app-db-1, create-network:app_default, pull-image:example/api:1] # not found
      pull-image:nginx:1.27 [] # image not found
      create-container:app-web-1 [create-container:app-api-1, create-network:app_default, pull-image:nginx:1.27] # not found
      start-container:app-db-1 [create-container:app-db-1] # new container
      await-condition:db:service_healthy [start-container:app-db-1] # needed by api
      start-container:app-api-1 [await-condition:db:service_healthy, create-container:app-api-1] # new container
      start-container:app-web-1 [create-container:app-web-1, start-container:app-api-1] # new container"
    `);
  });

  test('fresh up with images present pulls nothing', () => {
    expect(plan(threeTier(), observed({ images: IMAGES }))).toMatchInlineSnapshot(`
      "create-network:app_default [] # not found
      create-volume:app_data [] # not found
      create-container:app-db-1 [create-network:app_default, create-volume:app_data] # not found
      create-container:app-api-1 [create-container:app-db-1, create-network:app_default] # not found
      create-container:app-web-1 [create-container:app-api-1, create-network:app_default] # not found
      start-container:app-db-1 [create-container:app-db-1] # new container
      await-condition:db:service_healthy [start-container:app-db-1] # needed by api
      start-container:app-api-1 [await-condition:db:service_healthy, create-container:app-api-1] # new container
      start-container:app-web-1 [create-container:app-web-1, start-container:app-api-1] # new container"
    `);
  });

  test('up after applying the plan is a no-op', () => {
    const p = threeTier();
    const first = reconcile(p, observed());
    expect(reconcile(p, applyPlan(observed(), first)).isEmpty).toBe(true);
  });

  test('no-op up of a running project', () => {
    expect(plan(threeTier(), upState())).toBe('');
  });

  test('container_name is used instead of <project>-<service>-<n>', () => {
    const p = project({ db: { image: 'redis', container_name: 'my-redis' } });
    expect(plan(p, observed({ images: [{ ref: 'redis:latest', id: 'r' }] }))).toMatchInlineSnapshot(`
      "create-network:app_default [] # not found
      create-container:my-redis [create-network:app_default] # not found
      start-container:my-redis [create-container:my-redis] # new container"
    `);
  });

  test('container_name and scale 2 is an error', () => {
    const p = project({ db: { image: 'redis', container_name: 'my-redis', scale: 2 } });
    expect(() => reconcile(p, observed())).toThrow(
      'service "db" sets container_name "my-redis" and cannot run 2 containers: container names are unique; remove container_name to scale it',
    );
  });

  test('services on custom networks; external network and volume are not created', () => {
    const p = project(
      {
        proxy: { image: 'nginx', networks: { front: null, outside: null } },
        app: { image: 'nginx', networks: { front: null, back: null }, volumes: [{ type: 'volume', source: 'shared', target: '/s' }] },
      },
      {
        networks: { front: { name: 'app_front' }, back: { name: 'app_back', internal: true }, outside: { name: 'corp', external: true } },
        volumes: { shared: { name: 'nfs-share', external: true } },
      },
    );
    expect(plan(p, observed({ images: [{ ref: 'nginx', id: 'n' }] }))).toMatchInlineSnapshot(`
      "create-network:app_back [] # not found
      create-network:app_front [] # not found
      create-container:app-app-1 [create-network:app_back, create-network:app_front] # not found
      create-container:app-proxy-1 [create-network:app_front] # not found
      start-container:app-app-1 [create-container:app-app-1] # new container
      start-container:app-proxy-1 [create-container:app-proxy-1] # new container"
    `);
  });

  test('network_mode: host joins no network; service:x makes x a dependency', () => {
    const p = project({
      vpn: { image: 'vpn' },
      app: { image: 'app', network_mode: 'service:vpn' },
      metrics: { image: 'node-exporter', network_mode: 'host', pid: 'host' },
    });
    expect(plan(p, observed({ images: [{ ref: 'vpn', id: '1' }, { ref: 'app', id: '2' }, { ref: 'node-exporter', id: '3' }] }))).toMatchInlineSnapshot(`
      "create-container:app-metrics-1 [] # not found
      create-network:app_default [] # not found
      create-container:app-vpn-1 [create-network:app_default] # not found
      create-container:app-app-1 [create-container:app-vpn-1] # not found
      start-container:app-metrics-1 [create-container:app-metrics-1] # new container
      start-container:app-vpn-1 [create-container:app-vpn-1] # new container
      start-container:app-app-1 [create-container:app-app-1, start-container:app-vpn-1] # new container"
    `);
  });

  test('a same-named network of another owner is reused with a warning', () => {
    const p = project({ web: { image: 'nginx' } });
    const o = observed({ images: [{ ref: 'nginx', id: 'n' }], networks: [{ name: 'app_default', id: 'x', labels: {} }] });
    expect(plan(p, o)).toMatchInlineSnapshot(`
      "create-container:app-web-1 [] # not found
      start-container:app-web-1 [create-container:app-web-1] # new container
      warning: network "app_default" exists but was not created for project "app"; set \`external: true\` on network "default" to use it on purpose"
    `);
  });

  test('a service without image or build is an error', () => {
    expect(() => reconcile(project({ web: {} }), observed())).toThrow('service "web" has neither an image nor a build section; add one of them');
  });
});

describe('reconcile: recreate', () => {
  test('changed image recreates the service: create tmp -> stop -> remove -> rename', () => {
    const before = threeTier();
    const after = threeTier({ web: { image: 'nginx:1.28' } });
    expect(plan(after, upState(before))).toMatchInlineSnapshot(`
      "pull-image:nginx:1.28 [] # image not found
      create-container:591757e1063f_app-web-1 [pull-image:nginx:1.28] # config hash changed
      stop-container:app-web-1 [create-container:591757e1063f_app-web-1] # replaced by 591757e1063f_app-web-1
      remove-container:app-web-1 [stop-container:app-web-1] # replaced by 591757e1063f_app-web-1
      rename-container:591757e1063f_app-web-1 [remove-container:app-web-1] # finalize recreate
      start-container:app-web-1 [rename-container:591757e1063f_app-web-1] # recreated"
    `);
  });

  test('changed environment of a dependency: dependents without restart: true are left alone', () => {
    const before = threeTier();
    const after = threeTier({ db: { environment: { MARIADB_ROOT_PASSWORD: 'new' } } });
    expect(plan(after, upState(before))).toMatchInlineSnapshot(`
      "create-container:a2791488534a_app-db-1 [] # config hash changed
      stop-container:app-db-1 [create-container:a2791488534a_app-db-1] # replaced by a2791488534a_app-db-1
      remove-container:app-db-1 [stop-container:app-db-1] # replaced by a2791488534a_app-db-1
      rename-container:a2791488534a_app-db-1 [remove-container:app-db-1] # finalize recreate
      start-container:app-db-1 [rename-container:a2791488534a_app-db-1] # recreated"
    `);
  });

  test('restart: true restarts dependents around the recreate of their dependency', () => {
    const dep = { db: { condition: 'service_healthy' as const, required: true, restart: true } };
    const before = threeTier({ api: { depends_on: dep } });
    const after = threeTier({ api: { depends_on: dep }, db: { environment: { A: '1' } } });
    expect(plan(after, upState(before))).toMatchInlineSnapshot(`
      "stop-container:app-api-1 [] # dependency "db" is recreated (restart: true)
      create-container:a2791488534a_app-db-1 [stop-container:app-api-1] # config hash changed
      stop-container:app-db-1 [create-container:a2791488534a_app-db-1] # replaced by a2791488534a_app-db-1
      remove-container:app-db-1 [stop-container:app-db-1] # replaced by a2791488534a_app-db-1
      rename-container:a2791488534a_app-db-1 [remove-container:app-db-1] # finalize recreate
      start-container:app-db-1 [rename-container:a2791488534a_app-db-1] # recreated
      await-condition:db:service_healthy [start-container:app-db-1] # needed by api
      start-container:app-api-1 [await-condition:db:service_healthy, stop-container:app-api-1] # restart: true dependency was recreated"
    `);
  });

  test('--force-recreate recreates everything', () => {
    expect(plan(threeTier(), upState(), { forceRecreate: true })).toMatchInlineSnapshot(`
      "create-container:a2791488534a_app-db-1 [] # --force-recreate
      stop-container:app-db-1 [create-container:a2791488534a_app-db-1] # replaced by a2791488534a_app-db-1
      remove-container:app-db-1 [stop-container:app-db-1] # replaced by a2791488534a_app-db-1
      rename-container:a2791488534a_app-db-1 [remove-container:app-db-1] # finalize recreate
      create-container:2bb453f18a6a_app-api-1 [rename-container:a2791488534a_app-db-1] # --force-recreate
      start-container:app-db-1 [rename-container:a2791488534a_app-db-1] # recreated
      await-condition:db:service_healthy [start-container:app-db-1] # needed by api
      stop-container:app-api-1 [create-container:2bb453f18a6a_app-api-1] # replaced by 2bb453f18a6a_app-api-1
      remove-container:app-api-1 [stop-container:app-api-1] # replaced by 2bb453f18a6a_app-api-1
      rename-container:2bb453f18a6a_app-api-1 [remove-container:app-api-1] # finalize recreate
      create-container:591757e1063f_app-web-1 [rename-container:2bb453f18a6a_app-api-1] # --force-recreate
      start-container:app-api-1 [await-condition:db:service_healthy, rename-container:2bb453f18a6a_app-api-1] # recreated
      stop-container:app-web-1 [create-container:591757e1063f_app-web-1] # replaced by 591757e1063f_app-web-1
      remove-container:app-web-1 [stop-container:app-web-1] # replaced by 591757e1063f_app-web-1
      rename-container:591757e1063f_app-web-1 [remove-container:app-web-1] # finalize recreate
      start-container:app-web-1 [rename-container:591757e1063f_app-web-1, start-container:app-api-1] # recreated"
    `);
  });

  test('--force-recreate web recreates only web; its dependencies only if diverged', () => {
    expect(plan(threeTier(), upState(), { services: ['web'], forceRecreate: true })).toMatchInlineSnapshot(`
      "create-container:591757e1063f_app-web-1 [] # --force-recreate
      stop-container:app-web-1 [create-container:591757e1063f_app-web-1] # replaced by 591757e1063f_app-web-1
      remove-container:app-web-1 [stop-container:app-web-1] # replaced by 591757e1063f_app-web-1
      rename-container:591757e1063f_app-web-1 [remove-container:app-web-1] # finalize recreate
      start-container:app-web-1 [rename-container:591757e1063f_app-web-1] # recreated"
    `);
  });

  test('--always-recreate-deps recreates the dependencies of the named service', () => {
    expect(plan(threeTier(), upState(), { services: ['api'], alwaysRecreateDeps: true })).toMatchInlineSnapshot(`
      "create-container:a2791488534a_app-db-1 [] # --always-recreate-deps
      stop-container:app-db-1 [create-container:a2791488534a_app-db-1] # replaced by a2791488534a_app-db-1
      remove-container:app-db-1 [stop-container:app-db-1] # replaced by a2791488534a_app-db-1
      rename-container:a2791488534a_app-db-1 [remove-container:app-db-1] # finalize recreate
      start-container:app-db-1 [rename-container:a2791488534a_app-db-1] # recreated"
    `);
  });

  test('--no-recreate keeps a diverged container', () => {
    const after = threeTier({ web: { image: 'nginx:1.28' } });
    expect(plan(after, upState(threeTier()), { noRecreate: true })).toMatchInlineSnapshot(`"pull-image:nginx:1.28 [] # image not found"`);
  });

  test('--no-recreate still starts a stopped container', () => {
    const p = threeTier({ web: { image: 'nginx:1.28' } });
    const o = upState(threeTier());
    const stopped = { ...o, containers: o.containers.map((c) => (c.name === 'app-web-1' ? { ...c, state: 'exited' as const } : c)) };
    expect(plan(p, stopped, { noRecreate: true })).toMatchInlineSnapshot(`
      "pull-image:nginx:1.28 [] # image not found
      start-container:app-web-1 [] # exited"
    `);
  });

  test('a changed image id under the same tag recreates (com.docker.compose.image label)', () => {
    const p = threeTier();
    const o = upState(p);
    const old = { ...o, containers: o.containers.map((c) => (c.name === 'app-web-1' ? { ...c, labels: { ...c.labels, [LABEL_IMAGE]: 'sha256:older' } } : c)) };
    expect(plan(p, old)).toMatchInlineSnapshot(`
      "create-container:591757e1063f_app-web-1 [] # image changed
      stop-container:app-web-1 [create-container:591757e1063f_app-web-1] # replaced by 591757e1063f_app-web-1
      remove-container:app-web-1 [stop-container:app-web-1] # replaced by 591757e1063f_app-web-1
      rename-container:591757e1063f_app-web-1 [remove-container:app-web-1] # finalize recreate
      start-container:app-web-1 [rename-container:591757e1063f_app-web-1] # recreated"
    `);
  });

  test('recreating a parent recreates services that share its namespaces or volumes', () => {
    const before = project({
      vpn: { image: 'vpn' },
      app: { image: 'app', network_mode: 'service:vpn' },
      backup: { image: 'backup', volumes_from: ['service:app:ro'] },
      side: { image: 'side', ipc: 'service:vpn' },
    });
    const after: Project = { ...before, services: { ...before.services, vpn: { image: 'vpn', environment: { X: '1' } } } };
    const o = observed({
      networks: [DEFAULT_NETWORK],
      images: ['vpn', 'app', 'backup', 'side'].map((ref) => ({ ref, id: ref })),
      containers: Object.keys(before.services).map((s) => container(before, s, 1)),
    });
    expect(plan(after, o)).toMatchInlineSnapshot(`
      "create-container:6f67e6591b65_app-vpn-1 [] # config hash changed
      stop-container:app-vpn-1 [create-container:6f67e6591b65_app-vpn-1] # replaced by 6f67e6591b65_app-vpn-1
      remove-container:app-vpn-1 [stop-container:app-vpn-1] # replaced by 6f67e6591b65_app-vpn-1
      rename-container:6f67e6591b65_app-vpn-1 [remove-container:app-vpn-1] # finalize recreate
      create-container:7787a833cbe6_app-app-1 [rename-container:6f67e6591b65_app-vpn-1] # "vpn" recreated (network_mode: service:vpn)
      create-container:8fb2e8e96329_app-side-1 [rename-container:6f67e6591b65_app-vpn-1] # "vpn" recreated (ipc: service:vpn)
      start-container:app-vpn-1 [rename-container:6f67e6591b65_app-vpn-1] # recreated
      stop-container:app-app-1 [create-container:7787a833cbe6_app-app-1] # replaced by 7787a833cbe6_app-app-1
      remove-container:app-app-1 [stop-container:app-app-1] # replaced by 7787a833cbe6_app-app-1
      rename-container:7787a833cbe6_app-app-1 [remove-container:app-app-1] # finalize recreate
      create-container:4bf911e4184b_app-backup-1 [rename-container:7787a833cbe6_app-app-1] # "app" recreated (volumes_from)
      start-container:app-app-1 [rename-container:7787a833cbe6_app-app-1, start-container:app-vpn-1] # recreated
      stop-container:app-backup-1 [create-container:4bf911e4184b_app-backup-1] # replaced by 4bf911e4184b_app-backup-1
      remove-container:app-backup-1 [stop-container:app-backup-1] # replaced by 4bf911e4184b_app-backup-1
      rename-container:4bf911e4184b_app-backup-1 [remove-container:app-backup-1] # finalize recreate
      start-container:app-backup-1 [rename-container:4bf911e4184b_app-backup-1, start-container:app-app-1] # recreated
      stop-container:app-side-1 [create-container:8fb2e8e96329_app-side-1] # replaced by 8fb2e8e96329_app-side-1
      remove-container:app-side-1 [stop-container:app-side-1] # replaced by 8fb2e8e96329_app-side-1
      rename-container:8fb2e8e96329_app-side-1 [remove-container:app-side-1] # finalize recreate
      start-container:app-side-1 [rename-container:8fb2e8e96329_app-side-1, start-container:app-vpn-1] # recreated"
    `);
  });

  test('-V does not hand the old container to its replacement', () => {
    const after = threeTier({ web: { image: 'nginx:1.28' } });
    const withVolumes = reconcile(after, upState(threeTier()), {}).ofKind('CreateContainer');
    const renewed = reconcile(after, upState(threeTier()), { renewAnonVolumes: true }).ofKind('CreateContainer');
    expect(withVolumes[0].replaces?.name).toBe('app-web-1');
    expect(renewed[0].replaces).toBeUndefined();
  });
});

describe('reconcile: container state', () => {
  test('exited, created, paused and dead containers are started (paused: unpaused)', () => {
    const p = project({ a: { image: 'x' }, b: { image: 'x' }, c: { image: 'x' }, d: { image: 'x' } });
    const o = observed({
      networks: [DEFAULT_NETWORK],
      images: [{ ref: 'x', id: 'x' }],
      containers: [
        container(p, 'a', 1, { state: 'exited' }),
        container(p, 'b', 1, { state: 'created' }),
        container(p, 'c', 1, { state: 'paused' }),
        container(p, 'd', 1, { state: 'dead' }),
      ],
    });
    expect(plan(p, o)).toMatchInlineSnapshot(`
      "start-container:app-a-1 [] # exited
      start-container:app-b-1 [] # created
      start-container:app-d-1 [] # dead
      unpause-container:app-c-1 [] # paused"
    `);
  });

  test('--no-start (create) plans no starts', () => {
    expect(plan(threeTier(), observed(), { noStart: true })).toMatchInlineSnapshot(`
      "create-network:app_default [] # not found
      create-volume:app_data [] # not found
      pull-image:example/api:1 [] # image not found
      pull-image:mariadb:11 [] # image not found
      create-container:app-db-1 [create-network:app_default, create-volume:app_data, pull-image:mariadb:11] # not found
      create-container:app-api-1 [create-container:app-db-1, create-network:app_default, pull-image:example/api:1] # not found
      pull-image:nginx:1.27 [] # image not found
      create-container:app-web-1 [create-container:app-api-1, create-network:app_default, pull-image:nginx:1.27] # not found"
    `);
  });
});

describe('reconcile: scale', () => {
  const one = project({ worker: { image: 'worker' } });
  const images = [{ ref: 'worker', id: 'w' }];
  const networks = [DEFAULT_NETWORK];

  test('scale 1 -> 3 adds numbers 2 and 3', () => {
    expect(plan(one, observed({ images, networks, containers: [container(one, 'worker', 1)] }), { scale: { worker: 3 } })).toMatchInlineSnapshot(`
      "create-container:app-worker-2 [] # scale 1 -> 3
      create-container:app-worker-3 [] # scale 1 -> 3
      start-container:app-worker-2 [create-container:app-worker-2] # new container
      start-container:app-worker-3 [create-container:app-worker-3] # new container"
    `);
  });

  test('scale 3 -> 1 removes the highest numbers', () => {
    const o = observed({ images, networks, containers: [1, 2, 3].map((n) => container(one, 'worker', n)) });
    expect(plan(one, o, { scale: { worker: 1 } })).toMatchInlineSnapshot(`
      "stop-container:app-worker-2 [] # scale 3 -> 1
      remove-container:app-worker-2 [stop-container:app-worker-2] # scale 3 -> 1
      stop-container:app-worker-3 [] # scale 3 -> 1
      remove-container:app-worker-3 [stop-container:app-worker-3] # scale 3 -> 1"
    `);
  });

  test('scale down removes obsolete containers before up-to-date ones', () => {
    const o = observed({ images, networks, containers: [container(one, 'worker', 1, { hash: 'old' }), container(one, 'worker', 2), container(one, 'worker', 3)] });
    expect(plan(one, o, { scale: { worker: 2 } })).toMatchInlineSnapshot(`
      "stop-container:app-worker-1 [] # scale 3 -> 2
      remove-container:app-worker-1 [stop-container:app-worker-1] # scale 3 -> 2"
    `);
  });

  test('new numbers continue after the highest existing one (gaps are not filled)', () => {
    const o = observed({ images, networks, containers: [container(one, 'worker', 1), container(one, 'worker', 3)] });
    expect(plan(one, o, { scale: { worker: 3 } })).toMatchInlineSnapshot(`
      "create-container:app-worker-4 [] # scale 2 -> 3
      start-container:app-worker-4 [create-container:app-worker-4] # new container"
    `);
  });

  test('scale and deploy.replicas in the file', () => {
    const p = project({ a: { image: 'worker', scale: 2 }, b: { image: 'worker', deploy: { replicas: 2 } } });
    expect(plan(p, observed({ images, networks }))).toMatchInlineSnapshot(`
      "create-container:app-a-1 [] # not found
      create-container:app-a-2 [] # not found
      create-container:app-b-1 [] # not found
      create-container:app-b-2 [] # not found
      start-container:app-a-1 [create-container:app-a-1] # new container
      start-container:app-a-2 [create-container:app-a-2] # new container
      start-container:app-b-1 [create-container:app-b-1] # new container
      start-container:app-b-2 [create-container:app-b-2] # new container"
    `);
  });

  test('scale 0 removes all and dependents do not wait for it', () => {
    const p = project({
      db: { image: 'worker', healthcheck: { test: ['CMD', 'true'] } },
      app: { image: 'worker', depends_on: { db: { condition: 'service_healthy', required: true } } },
    });
    const o = observed({ images, networks, containers: [container(p, 'db', 1)] });
    expect(plan(p, o, { scale: { db: 0 } })).toMatchInlineSnapshot(`
      "stop-container:app-db-1 [] # scale 1 -> 0
      remove-container:app-db-1 [stop-container:app-db-1] # scale 1 -> 0
      create-container:app-app-1 [remove-container:app-db-1] # not found
      start-container:app-app-1 [create-container:app-app-1] # new container"
    `);
  });

  test('a negative or fractional scale is an error', () => {
    expect(() => reconcile(one, observed(), { scale: { worker: -1 } })).toThrow('service "worker": scale must be a whole number of containers, 0 or more, not -1');
    expect(() => reconcile(one, observed(), { scale: { worker: 1.5 } })).toThrow('not 1.5');
  });

  test('changing scale alone does not recreate the kept containers', () => {
    const a = project({ worker: { image: 'worker', scale: 1 } });
    const b = project({ worker: { image: 'worker', scale: 2 } });
    expect(plan(b, observed({ images, networks, containers: [container(a, 'worker', 1)] }))).toMatchInlineSnapshot(`
      "create-container:app-worker-2 [] # scale 1 -> 2
      start-container:app-worker-2 [create-container:app-worker-2] # new container"
    `);
  });
});

describe('reconcile: orphans', () => {
  const p = project({ web: { image: 'nginx' } });
  const gone = project({ web: { image: 'nginx' }, old: { image: 'nginx' } });
  const base = () =>
    observed({
      images: [{ ref: 'nginx', id: 'n' }],
      networks: [{ name: 'app_default', id: 'n1', labels: { [LABEL_PROJECT]: 'app', [LABEL_NETWORK]: 'default' } }],
      containers: [container(p, 'web', 1), container(gone, 'old', 1), container(gone, 'old', 2, { state: 'exited' })],
    });

  test('orphans are reported, not removed, by default', () => {
    expect(plan(p, base())).toMatchInlineSnapshot(`"warning: found orphan containers (app-old-1, app-old-2) for this project; if you removed or renamed their service in the compose file, run this command with --remove-orphans to clean them up"`);
  });

  test('COMPOSE_IGNORE_ORPHANS silences the warning', () => {
    expect(plan(p, base(), { ignoreOrphans: true })).toBe('');
  });

  test('--remove-orphans stops and removes them', () => {
    expect(plan(p, base(), { removeOrphans: true })).toMatchInlineSnapshot(`
      "remove-container:app-old-2 [] # orphan (service "old" not in project)
      stop-container:app-old-1 [] # orphan (service "old" not in project)
      remove-container:app-old-1 [stop-container:app-old-1] # orphan (service "old" not in project)"
    `);
  });

  test('one-off containers: exited ones are orphans, running ones are kept', () => {
    const o = observed({
      ...base(),
      containers: [container(p, 'web', 1), oneOffContainer(p, 'web', 'aaaaaaaaaaaabbbb', 'running'), oneOffContainer(p, 'web', 'cccccccccccc0000', 'exited')],
    });
    expect(plan(p, o, { removeOrphans: true })).toMatchInlineSnapshot(`"remove-container:app-web-run-cccccccccccc [] # orphan (one-off container of "web", exited)"`);
  });

  test('containers of other projects and of disabled services are not orphans', () => {
    const withProfiles: Project = { ...p, disabledServices: { debug: { image: 'busybox', profiles: ['debug'] } } };
    const other = project({ web: { image: 'nginx' } }, { name: 'other' });
    const o = observed({ ...base(), containers: [container(p, 'web', 1), container(other, 'web', 1), container(withProfiles, 'debug', 1, { hash: 'x' })] });
    expect(plan(withProfiles, o, { removeOrphans: true })).toBe('');
  });
});

describe('reconcile: selection and --no-deps', () => {
  test('up api brings its dependencies', () => {
    expect(plan(threeTier(), observed({ images: IMAGES }), { services: ['api'] })).toMatchInlineSnapshot(`
      "create-network:app_default [] # not found
      create-volume:app_data [] # not found
      create-container:app-db-1 [create-network:app_default, create-volume:app_data] # not found
      create-container:app-api-1 [create-container:app-db-1, create-network:app_default] # not found
      start-container:app-db-1 [create-container:app-db-1] # new container
      await-condition:db:service_healthy [start-container:app-db-1] # needed by api
      start-container:app-api-1 [await-condition:db:service_healthy, create-container:app-api-1] # new container"
    `);
  });

  test('up --no-deps api converges api only and waits for nothing', () => {
    expect(plan(threeTier(), observed({ images: IMAGES }), { services: ['api'], noDeps: true })).toMatchInlineSnapshot(`
      "create-network:app_default [] # not found
      create-container:app-api-1 [create-network:app_default] # not found
      start-container:app-api-1 [create-container:app-api-1] # new container"
    `);
  });

  test('up db leaves dependents alone and does not call them orphans', () => {
    const after = threeTier({ web: { image: 'nginx:1.28' } });
    expect(plan(after, upState(threeTier()), { services: ['db'] })).toBe('');
  });

  test('an unknown service is an error', () => {
    expect(() => reconcile(threeTier(), observed(), { services: ['nope'] })).toThrow('no such service: "nope"');
  });

  test('a disabled service names its profile', () => {
    const p: Project = { ...threeTier(), disabledServices: { debug: { image: 'busybox', profiles: ['debug'] } } };
    expect(() => reconcile(p, observed(), { services: ['debug'] })).toThrow('service "debug" is disabled; enable it with --profile debug');
  });
});

describe('reconcile: depends_on conditions', () => {
  test('service_completed_successfully waits for a one-shot migration', () => {
    const p = project({
      db: { image: 'pg', healthcheck: { test: ['CMD', 'pg_isready'] } },
      migrate: { image: 'app', command: ['migrate'], depends_on: { db: { condition: 'service_healthy', required: true } } },
      app: {
        image: 'app',
        depends_on: {
          db: { condition: 'service_healthy', required: true },
          migrate: { condition: 'service_completed_successfully', required: true },
        },
      },
    });
    expect(plan(p, observed({ images: [{ ref: 'pg', id: '1' }, { ref: 'app', id: '2' }] }))).toMatchInlineSnapshot(`
      "create-network:app_default [] # not found
      create-container:app-db-1 [create-network:app_default] # not found
      create-container:app-migrate-1 [create-container:app-db-1, create-network:app_default] # not found
      create-container:app-app-1 [create-container:app-db-1, create-container:app-migrate-1, create-network:app_default] # not found
      start-container:app-db-1 [create-container:app-db-1] # new container
      await-condition:db:service_healthy [start-container:app-db-1] # needed by app, migrate
      start-container:app-migrate-1 [await-condition:db:service_healthy, create-container:app-migrate-1] # new container
      await-condition:migrate:service_completed_successfully [start-container:app-migrate-1] # needed by app
      start-container:app-app-1 [await-condition:db:service_healthy, await-condition:migrate:service_completed_successfully, create-container:app-app-1] # new container"
    `);
  });

  test('required: false on a missing service is dropped with a warning', () => {
    const p = project({ app: { image: 'app', depends_on: { cache: { condition: 'service_started', required: false } } } });
    expect(plan(p, observed({ images: [{ ref: 'app', id: '2' }] }))).toMatchInlineSnapshot(`
      "create-network:app_default [] # not found
      create-container:app-app-1 [create-network:app_default] # not found
      start-container:app-app-1 [create-container:app-app-1] # new container
      warning: service "app": optional dependency "cache" is not in the project, ignoring it"
    `);
  });

  test('required: false on a present service gives an optional await', () => {
    const p = project({
      cache: { image: 'redis', healthcheck: { test: ['CMD', 'redis-cli', 'ping'] } },
      app: { image: 'app', depends_on: { cache: { condition: 'service_healthy', required: false } } },
    });
    expect(plan(p, observed({ images: [{ ref: 'redis', id: '1' }, { ref: 'app', id: '2' }] }))).toMatchInlineSnapshot(`
      "create-network:app_default [] # not found
      create-container:app-cache-1 [create-network:app_default] # not found
      create-container:app-app-1 [create-container:app-cache-1, create-network:app_default] # not found
      start-container:app-cache-1 [create-container:app-cache-1] # new container
      await-condition:cache:service_healthy:optional [start-container:app-cache-1] # needed by app
      start-container:app-app-1 [await-condition:cache:service_healthy:optional, create-container:app-app-1] # new container"
    `);
  });

  test('a running healthy dependency is still awaited before a dependent starts', () => {
    const p = threeTier();
    const o = upState(p);
    const apiStopped = { ...o, containers: o.containers.map((c) => (c.name === 'app-api-1' ? { ...c, state: 'exited' as const } : c)) };
    expect(plan(p, apiStopped)).toMatchInlineSnapshot(`
      "await-condition:db:service_healthy [] # needed by api
      start-container:app-api-1 [await-condition:db:service_healthy] # exited"
    `);
  });

  test('a missing required dependency is an error', () => {
    const p = project({ app: { image: 'app', depends_on: { db: { condition: 'service_started', required: true } } } });
    expect(() => reconcile(p, observed())).toThrow(
      'service "app" depends on undefined service "db" (depends_on); define it or remove the reference (or mark the dependency `required: false`)',
    );
  });

  test('a cycle is an error naming it', () => {
    const p = project({
      a: { image: 'x', depends_on: { b: { condition: 'service_started', required: true } } },
      b: { image: 'x', links: ['a:alias'] },
    });
    expect(() => reconcile(p, observed())).toThrow('dependency cycle between services: a -> b -> a');
  });
});

describe('reconcile: images', () => {
  const built = project({ web: { build: { context: '.' } }, tagged: { image: 'me/tagged:2', build: { context: './t' } } });

  test('images of build-only services are built when missing', () => {
    expect(plan(built, observed())).toMatchInlineSnapshot(`
      "build-image:app-web:latest [] # image not found
      build-image:me/tagged:2 [] # image not found
      create-network:app_default [] # not found
      create-container:app-tagged-1 [build-image:me/tagged:2, create-network:app_default] # not found
      create-container:app-web-1 [build-image:app-web:latest, create-network:app_default] # not found
      start-container:app-tagged-1 [create-container:app-tagged-1] # new container
      start-container:app-web-1 [create-container:app-web-1] # new container"
    `);
  });

  test('present images are not rebuilt', () => {
    const o = observed({ images: [{ ref: 'app-web', id: '1' }, { ref: 'me/tagged:2', id: '2' }] });
    expect(plan(built, o)).toMatchInlineSnapshot(`
      "create-network:app_default [] # not found
      create-container:app-tagged-1 [create-network:app_default] # not found
      create-container:app-web-1 [create-network:app_default] # not found
      start-container:app-tagged-1 [create-container:app-tagged-1] # new container
      start-container:app-web-1 [create-container:app-web-1] # new container"
    `);
  });

  test('--build rebuilds; --no-build warns about a missing image', () => {
    const o = observed({ images: [{ ref: 'app-web', id: '1' }] });
    expect(plan(built, o, { build: 'always', noStart: true })).toMatchInlineSnapshot(`
      "build-image:app-web:latest [] # --build
      build-image:me/tagged:2 [] # --build
      create-network:app_default [] # not found
      create-container:app-tagged-1 [build-image:me/tagged:2, create-network:app_default] # not found
      create-container:app-web-1 [build-image:app-web:latest, create-network:app_default] # not found"
    `);
    expect(plan(built, o, { build: 'never', noStart: true })).toMatchInlineSnapshot(`
      "create-network:app_default [] # not found
      create-container:app-tagged-1 [create-network:app_default] # not found
      create-container:app-web-1 [create-network:app_default] # not found
      warning: service "tagged": image "me/tagged:2" is not present and --no-build was given"
    `);
  });

  test('pull policies: --pull always, pull_policy never, pull_policy build', () => {
    const p = project({ a: { image: 'redis' }, b: { image: 'busybox', pull_policy: 'never' }, c: { image: 'me/c', pull_policy: 'build', build: { context: '.' } } });
    const o = observed({ images: [{ ref: 'redis', id: '1' }, { ref: 'me/c', id: '3' }] });
    expect(plan(p, o, { noStart: true })).toMatchInlineSnapshot(`
      "build-image:me/c:latest [] # pull_policy: build
      create-network:app_default [] # not found
      create-container:app-a-1 [create-network:app_default] # not found
      create-container:app-b-1 [create-network:app_default] # not found
      create-container:app-c-1 [build-image:me/c:latest, create-network:app_default] # not found
      warning: service "b": image "busybox" is not present and pull_policy: never forbids pulling it"
    `);
    expect(plan(p, o, { noStart: true, pull: 'always' })).toMatchInlineSnapshot(`
      "create-network:app_default [] # not found
      create-container:app-c-1 [create-network:app_default] # not found
      pull-image:busybox:latest [] # --pull always
      create-container:app-b-1 [create-network:app_default, pull-image:busybox:latest] # not found
      pull-image:redis:latest [] # --pull always
      create-container:app-a-1 [create-network:app_default, pull-image:redis:latest] # not found"
    `);
  });

  test('one pull for an image shared by several services', () => {
    const p = project({ a: { image: 'redis' }, b: { image: 'docker.io/library/redis:latest' } });
    const ops = reconcile(p, observed(), { noStart: true }).ofKind('PullImage');
    expect(ops.map((o) => [o.id, o.services])).toEqual([['pull-image:redis:latest', ['a', 'b']]]);
  });
});

describe('reconcile: one-off containers (run)', () => {
  const slug = '0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef';

  test('run api starts its dependencies, then the one-off container', () => {
    expect(plan(threeTier(), observed({ images: IMAGES }), { oneoff: { service: 'api', slug } })).toMatchInlineSnapshot(`
      "create-network:app_default [] # not found
      create-volume:app_data [] # not found
      create-container:app-db-1 [create-network:app_default, create-volume:app_data] # not found
      create-container:app-api-run-0123456789ab [create-container:app-db-1, create-network:app_default] # one-off container (run)
      start-container:app-db-1 [create-container:app-db-1] # new container
      await-condition:db:service_healthy [start-container:app-db-1] # needed by api
      start-container:app-api-run-0123456789ab [await-condition:db:service_healthy, create-container:app-api-run-0123456789ab] # run"
    `);
  });

  test('run --no-deps --name x', () => {
    expect(plan(threeTier(), upState(), { noDeps: true, oneoff: { service: 'api', slug, name: 'x' } })).toMatchInlineSnapshot(`
      "create-container:x [] # one-off container (run)
      start-container:x [create-container:x] # run"
    `);
  });

  test('one-off labels and dropped restart policy', () => {
    const p = threeTier({ api: { restart: 'always' } });
    const [create] = reconcile(p, upState(p), { oneoff: { service: 'api', slug, autoRemove: true } }).ofKind('CreateContainer');
    expect(create.oneoff).toBe(true);
    expect(create.number).toBeUndefined();
    expect(create.autoRemove).toBe(true);
    expect(create.config.restart).toBeUndefined();
    expect(create.labels['com.docker.compose.oneoff']).toBe('True');
    expect(create.labels['com.docker.compose.slug']).toBe(slug);
    expect(create.labels['com.docker.compose.container-number']).toBeUndefined();
  });
});

describe('reconcile: operation payloads', () => {
  test('create carries every compose label; stop carries stop_grace_period and stop_signal', () => {
    const before = project({ web: { image: 'nginx', stop_grace_period: '1m30s', stop_signal: 'SIGQUIT', labels: { team: 'x' } } }, { workingDir: '/srv/app' });
    const after: Project = { ...before, services: { web: { ...before.services.web, environment: { A: '1' } } } };
    const p = reconcile(after, observed({ images: [{ ref: 'nginx', id: 'n' }], containers: [container(before, 'web', 1)] }));
    const [create] = p.ofKind('CreateContainer');
    expect(create.containerName).toBe(`${container(before, 'web', 1).id.slice(0, 12)}_app-web-1`);
    expect(create.labels).toMatchObject({
      team: 'x',
      'com.docker.compose.project': 'app',
      'com.docker.compose.service': 'web',
      'com.docker.compose.container-number': '1',
      'com.docker.compose.oneoff': 'False',
      'com.docker.compose.replace': 'web-1',
      'com.docker.compose.depends_on': '',
      'com.docker.compose.project.working_dir': '/srv/app',
    });
    expect(create.labels['com.docker.compose.config-hash']).toMatch(/^[0-9a-f]{64}$/);
    const [stop] = p.ofKind('StopContainer');
    expect([stop.timeoutSeconds, stop.signal]).toEqual([90, 'SIGQUIT']);
    expect(reconcile(after, observed({ containers: [container(before, 'web', 1)] }), { timeout: 3 }).ofKind('StopContainer')[0].timeoutSeconds).toBe(3);
  });

  test('JSON form lists operations in plan order with their edges', () => {
    const json = JSON.parse(JSON.stringify(reconcile(threeTier(), observed({ images: IMAGES }))));
    expect(json.warnings).toEqual([]);
    expect(json.operations.map((o: { id: string }) => o.id)).toEqual(reconcile(threeTier(), observed({ images: IMAGES })).operations.map((o) => o.id));
    expect(json.operations[0]).toMatchObject({ kind: 'CreateNetwork', id: 'create-network:app_default', dependsOn: [], cause: 'not found' });
  });
});

describe('reconcile: more convergence cases', () => {
  test('up api recreates a diverged dependency (diverged policy for dependencies)', () => {
    const after = threeTier({ db: { image: 'mariadb:11.4' } });
    expect(plan(after, upState(threeTier(), { images: [...IMAGES, { ref: 'mariadb:11.4', id: 'm114' }] }), { services: ['api'] })).toMatchInlineSnapshot(`
      "create-container:a2791488534a_app-db-1 [] # config hash changed
      stop-container:app-db-1 [create-container:a2791488534a_app-db-1] # replaced by a2791488534a_app-db-1
      remove-container:app-db-1 [stop-container:app-db-1] # replaced by a2791488534a_app-db-1
      rename-container:a2791488534a_app-db-1 [remove-container:app-db-1] # finalize recreate
      start-container:app-db-1 [rename-container:a2791488534a_app-db-1] # recreated"
    `);
  });

  test('up --no-deps api leaves a diverged dependency alone', () => {
    const after = threeTier({ db: { image: 'mariadb:11.4' }, api: { environment: { X: '1' } } });
    expect(plan(after, upState(threeTier()), { services: ['api'], noDeps: true })).toMatchInlineSnapshot(`
      "create-container:2bb453f18a6a_app-api-1 [] # config hash changed
      stop-container:app-api-1 [create-container:2bb453f18a6a_app-api-1] # replaced by 2bb453f18a6a_app-api-1
      remove-container:app-api-1 [stop-container:app-api-1] # replaced by 2bb453f18a6a_app-api-1
      rename-container:2bb453f18a6a_app-api-1 [remove-container:app-api-1] # finalize recreate
      start-container:app-api-1 [rename-container:2bb453f18a6a_app-api-1] # recreated"
    `);
  });

  test('two diverged replicas are both recreated; a restart: true dependent is stopped once', () => {
    const dep = { db: { condition: 'service_started' as const, required: true, restart: true } };
    const before = project({ db: { image: 'x', scale: 2 }, app: { image: 'x', depends_on: dep } });
    const after = project({ db: { image: 'x', scale: 2, environment: { A: '1' } }, app: { image: 'x', depends_on: dep } });
    const o = observed({
      networks: [DEFAULT_NETWORK],
      images: [{ ref: 'x', id: 'x' }],
      containers: [container(before, 'db', 1), container(before, 'db', 2), container(before, 'app', 1)],
    });
    expect(plan(after, o)).toMatchInlineSnapshot(`
      "stop-container:app-app-1 [] # dependency "db" is recreated (restart: true)
      create-container:a2791488534a_app-db-1 [stop-container:app-app-1] # config hash changed
      create-container:b8f48db0b1f2_app-db-2 [stop-container:app-app-1] # config hash changed
      stop-container:app-db-1 [create-container:a2791488534a_app-db-1] # replaced by a2791488534a_app-db-1
      remove-container:app-db-1 [stop-container:app-db-1] # replaced by a2791488534a_app-db-1
      rename-container:a2791488534a_app-db-1 [remove-container:app-db-1] # finalize recreate
      start-container:app-db-1 [rename-container:a2791488534a_app-db-1] # recreated
      stop-container:app-db-2 [create-container:b8f48db0b1f2_app-db-2] # replaced by b8f48db0b1f2_app-db-2
      remove-container:app-db-2 [stop-container:app-db-2] # replaced by b8f48db0b1f2_app-db-2
      rename-container:b8f48db0b1f2_app-db-2 [remove-container:app-db-2] # finalize recreate
      start-container:app-db-2 [rename-container:b8f48db0b1f2_app-db-2] # recreated
      start-container:app-app-1 [start-container:app-db-1, start-container:app-db-2, stop-container:app-app-1] # restart: true dependency was recreated"
    `);
  });

  test('restart: true on a dependent that is not selected does not touch it', () => {
    const dep = { db: { condition: 'service_healthy' as const, required: true, restart: true } };
    const before = threeTier({ api: { depends_on: dep } });
    const after = threeTier({ api: { depends_on: dep }, db: { environment: { A: '1' } } });
    const ops = reconcile(after, upState(before), { services: ['db'] }).operations.map((o) => o.id);
    expect(ops.filter((id) => id.includes('api'))).toEqual([]);
  });

  test('a dependent that is recreated itself reuses the stop planned for its restart', () => {
    const dep = { db: { condition: 'service_started' as const, required: true, restart: true } };
    const before = project({ db: { image: 'x' }, app: { image: 'x', depends_on: dep } });
    const after = project({ db: { image: 'x', environment: { A: '1' } }, app: { image: 'x', depends_on: dep, environment: { B: '1' } } });
    const o = observed({ networks: [DEFAULT_NETWORK], images: [{ ref: 'x', id: 'x' }], containers: [container(before, 'db', 1), container(before, 'app', 1)] });
    expect(plan(after, o)).toMatchInlineSnapshot(`
      "stop-container:app-app-1 [] # dependency "db" is recreated (restart: true)
      create-container:a2791488534a_app-db-1 [stop-container:app-app-1] # config hash changed
      stop-container:app-db-1 [create-container:a2791488534a_app-db-1] # replaced by a2791488534a_app-db-1
      remove-container:app-db-1 [stop-container:app-db-1] # replaced by a2791488534a_app-db-1
      rename-container:a2791488534a_app-db-1 [remove-container:app-db-1] # finalize recreate
      create-container:7787a833cbe6_app-app-1 [rename-container:a2791488534a_app-db-1] # config hash changed
      remove-container:app-app-1 [create-container:7787a833cbe6_app-app-1, stop-container:app-app-1] # replaced by 7787a833cbe6_app-app-1
      rename-container:7787a833cbe6_app-app-1 [remove-container:app-app-1] # finalize recreate
      start-container:app-db-1 [rename-container:a2791488534a_app-db-1] # recreated
      start-container:app-app-1 [rename-container:7787a833cbe6_app-app-1, start-container:app-db-1] # recreated"
    `);
  });

  test('links do not cascade a recreate (only shared namespaces and volumes_from do)', () => {
    const before = project({ db: { image: 'x' }, app: { image: 'x', links: ['db'] } });
    const after = project({ db: { image: 'x', environment: { A: '1' } }, app: { image: 'x', links: ['db'] } });
    const o = observed({ networks: [DEFAULT_NETWORK], images: [{ ref: 'x', id: 'x' }], containers: [container(before, 'db', 1), container(before, 'app', 1)] });
    expect(reconcile(after, o).operations.filter((op) => op.id.includes('app-app'))).toEqual([]);
  });

  test('a container in state removing is ignored', () => {
    const p = project({ web: { image: 'x' } });
    const o = observed({ networks: [DEFAULT_NETWORK], images: [{ ref: 'x', id: 'x' }], containers: [container(p, 'web', 1, { state: 'removing' })] });
    expect(plan(p, o)).toMatchInlineSnapshot(`
      "create-container:app-web-1 [] # not found
      start-container:app-web-1 [create-container:app-web-1] # new container"
    `);
  });

  test('a changed network or volume definition is reported, not silently reused', () => {
    const p = threeTier();
    const first = applyPlan(observed(), reconcile(p, observed()));
    expect(first.networks[0].labels[LABEL_CONFIG_HASH]).toMatch(/^[0-9a-f]{64}$/);
    const changed: Project = { ...p, networks: { default: { name: 'app_default', driver_opts: { mtu: '1400' } } }, volumes: { data: { name: 'app_data', driver: 'nfs' } } };
    expect(plan(changed, first)).toMatchInlineSnapshot(`
      "warning: network "app_default" differs from network "default" in the compose file; run \`down\` then \`up\` to recreate it
      warning: volume "app_data" differs from volume "data" in the compose file; remove it (\`down -v\`, data is lost) to recreate it"
    `);
  });

  test('a volume owned by another project is reused with a warning', () => {
    const p = threeTier();
    const o = upState(p, { volumes: [{ name: 'app_data', labels: { [LABEL_PROJECT]: 'other', [LABEL_VOLUME]: 'data' } }] });
    expect(plan(p, o)).toMatchInlineSnapshot(`"warning: volume "app_data" exists but was not created for project "app" (it belongs to "other"); set \`external: true\` on volume "data" to use it on purpose"`);
  });

  test('images by digest and by registry are matched exactly', () => {
    const p = project({ a: { image: 'registry.local:5000/team/app@sha256:abc' }, b: { image: 'localhost:5000/b' } });
    const o = observed({ networks: [DEFAULT_NETWORK], images: [{ ref: 'registry.local:5000/team/app@sha256:abc', id: '1' }] });
    expect(plan(p, o, { noStart: true })).toMatchInlineSnapshot(`
      "create-container:app-a-1 [] # not found
      pull-image:localhost:5000/b:latest [] # image not found
      create-container:app-b-1 [pull-image:localhost:5000/b:latest] # not found"
    `);
  });

  test('up --no-start leaves an exited container alone', () => {
    const p = threeTier();
    const o = upState(p);
    const exited = { ...o, containers: o.containers.map((c) => ({ ...c, state: 'exited' as const })) };
    expect(plan(p, exited, { noStart: true })).toBe('');
  });

  test('--remove-orphans in run removes orphans too', () => {
    const gone = project({ old: { image: 'x' } });
    const o = upState(threeTier(), { containers: [...upState().containers, container(gone, 'old', 1, { state: 'exited' })] });
    expect(plan(threeTier(), o, { removeOrphans: true, oneoff: { service: 'web', slug: 'feedfacecafe0000' } })).toMatchInlineSnapshot(`
      "create-container:app-web-run-feedfacecafe [] # one-off container (run)
      remove-container:app-old-1 [] # orphan (service "old" not in project)
      start-container:app-web-run-feedfacecafe [create-container:app-web-run-feedfacecafe] # run"
    `);
  });
});

describe('executing a plan with the one walker', () => {
  test('walk(plan, "up") visits every operation after the ones it depends on', async () => {
    const { walk } = await import('../../../../compose/graph/walk.js');
    const p = reconcile(threeTier({ web: { image: 'nginx:1.28' } }), upState(threeTier()), { forceRecreate: true });
    const done = new Set<string>();
    await walk(
      p,
      'up',
      async (id) => {
        for (const dep of p.get(id)!.dependsOn) expect(done.has(dep)).toBe(true);
        await new Promise((r) => setTimeout(r, 1));
        done.add(id);
      },
      { concurrency: 4 },
    );
    expect(done.size).toBe(p.operations.length);
  });
});
