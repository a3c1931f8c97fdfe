// Golden plans for `down`.
import { describe, expect, test } from 'vitest';
import { planDown, type DownOptions } from '../../../../compose/plan/down.js';
import { reconcile } from '../../../../compose/plan/reconcile.js';
import type { Project } from '../../../../compose/types.js';
import type { ObservedState } from '../../../../compose/plan/observed.js';
import { LABEL_NETWORK, LABEL_PROJECT, LABEL_SERVICE, LABEL_VOLUME } from '../../../../compose/plan/labels.js';
import { applyPlan, container, observed, oneOffContainer, project, threeTier } from './helpers.js';

function upState(p: Project): ObservedState {
  return applyPlan(observed(), reconcile(p, observed()));
}

function plan(p: Project, o: ObservedState, options: DownOptions = {}): string {
  return planDown(p, o, options).toString();
}

describe('planDown', () => {
  test('down stops and removes dependents first, then the network; volumes stay', () => {
    expect(plan(threeTier(), upState(threeTier()))).toMatchInlineSnapshot(`
      "stop-container:app-web-1 [] # down
      remove-container:app-web-1 [stop-container:app-web-1] # down
      stop-container:app-api-1 [remove-container:app-web-1] # down
      remove-container:app-api-1 [stop-container:app-api-1] # down
      stop-container:app-db-1 [remove-container:app-api-1] # down
      remove-container:app-db-1 [stop-container:app-db-1] # down
      remove-network:app_default [remove-container:app-api-1, remove-container:app-db-1, remove-container:app-web-1] # down"
    `);
  });

  test('down -v removes named volumes and anonymous ones with the containers', () => {
    const p = planDown(threeTier(), upState(threeTier()), { volumes: true });
    expect(p.toString()).toMatchInlineSnapshot(`
      "stop-container:app-web-1 [] # down
      remove-container:app-web-1 [stop-container:app-web-1] # down
      stop-container:app-api-1 [remove-container:app-web-1] # down
      remove-container:app-api-1 [stop-container:app-api-1] # down
      stop-container:app-db-1 [remove-container:app-api-1] # down
      remove-container:app-db-1 [stop-container:app-db-1] # down
      remove-network:app_default [remove-container:app-api-1, remove-container:app-db-1, remove-container:app-web-1] # down
      remove-volume:app_data [remove-container:app-api-1, remove-container:app-db-1, remove-container:app-web-1] # down -v"
    `);
    expect(p.ofKind('RemoveContainer').every((op) => op.removeVolumes)).toBe(true);
  });

  test('down after down finds nothing', () => {
    const p = threeTier();
    const after = applyPlan(upState(p), planDown(p, upState(p), { volumes: true }));
    expect(plan(p, after, { volumes: true })).toMatchInlineSnapshot(`"warning: no resource found to remove for project "app""`);
  });

  test('down --rmi local removes built images only; --rmi all every service image', () => {
    const p = project({ web: { build: { context: '.' } }, db: { image: 'redis' } });
    const o = upState(p);
    expect(plan(p, o, { rmi: 'local' })).toMatchInlineSnapshot(`
      "stop-container:app-db-1 [] # down
      remove-container:app-db-1 [stop-container:app-db-1] # down
      stop-container:app-web-1 [] # down
      remove-container:app-web-1 [stop-container:app-web-1] # down
      remove-image:app-web:latest [remove-container:app-db-1, remove-container:app-web-1] # --rmi local
      remove-network:app_default [remove-container:app-db-1, remove-container:app-web-1] # down"
    `);
    expect(plan(p, o, { rmi: 'all' })).toMatchInlineSnapshot(`
      "stop-container:app-db-1 [] # down
      remove-container:app-db-1 [stop-container:app-db-1] # down
      stop-container:app-web-1 [] # down
      remove-container:app-web-1 [stop-container:app-web-1] # down
      remove-image:app-web:latest [remove-container:app-db-1, remove-container:app-web-1] # --rmi all
      remove-image:redis:latest [remove-container:app-db-1, remove-container:app-web-1] # --rmi all
      remove-network:app_default [remove-container:app-db-1, remove-container:app-web-1] # down"
    `);
  });

  test('external networks and volumes are never removed', () => {
    const p = project(
      { web: { image: 'nginx', networks: { corp: null }, volumes: [{ type: 'volume', source: 'share', target: '/s' }] } },
      { networks: { corp: { name: 'corp', external: true } }, volumes: { share: { name: 'share', external: true } } },
    );
    const o = observed({
      containers: [container(p, 'web', 1)],
      networks: [{ name: 'corp', id: 'c', labels: {} }],
      volumes: [{ name: 'share', labels: {} }],
    });
    expect(plan(p, o, { volumes: true })).toMatchInlineSnapshot(`
      "stop-container:app-web-1 [] # down
      remove-container:app-web-1 [stop-container:app-web-1] # down"
    `);
  });

  test('networks of another project are left alone', () => {
    const p = project({ web: { image: 'nginx' } });
    const o = observed({ networks: [{ name: 'app_default', id: 'x', labels: { [LABEL_PROJECT]: 'other', [LABEL_NETWORK]: 'default' } }] });
    expect(plan(p, o)).toMatchInlineSnapshot(`"warning: no resource found to remove for project "app""`);
  });

  test('down removes the services\' one-off containers too; --remove-orphans also the orphans', () => {
    const p = project({ web: { image: 'nginx' } });
    const gone = project({ old: { image: 'nginx' } });
    const o = observed({
      containers: [
        container(p, 'web', 1),
        container(gone, 'old', 1),
        oneOffContainer(p, 'web', 'aaaaaaaaaaaa1111', 'running'),
        oneOffContainer(p, 'web', 'bbbbbbbbbbbb2222', 'exited'),
      ],
    });
    expect(plan(p, o)).toMatchInlineSnapshot(`
      "remove-container:app-web-run-bbbbbbbbbbbb [] # down (one-off container)
      stop-container:app-web-1 [] # down
      remove-container:app-web-1 [stop-container:app-web-1] # down
      stop-container:app-web-run-aaaaaaaaaaaa [] # down (one-off container)
      remove-container:app-web-run-aaaaaaaaaaaa [stop-container:app-web-run-aaaaaaaaaaaa] # down (one-off container)"
    `);
    expect(plan(p, o, { removeOrphans: true })).toMatchInlineSnapshot(`
      "remove-container:app-web-run-bbbbbbbbbbbb [] # down (one-off container)
      stop-container:app-old-1 [] # orphan (service "old" not in project)
      remove-container:app-old-1 [stop-container:app-old-1] # orphan (service "old" not in project)
      stop-container:app-web-1 [] # down
      remove-container:app-web-1 [stop-container:app-web-1] # down
      stop-container:app-web-run-aaaaaaaaaaaa [] # down (one-off container)
      remove-container:app-web-run-aaaaaaaaaaaa [stop-container:app-web-run-aaaaaaaaaaaa] # down (one-off container)"
    `);
  });

  test('down SERVICE removes it and its dependents, not the network', () => {
    expect(plan(threeTier(), upState(threeTier()), { services: ['api'] })).toMatchInlineSnapshot(`
      "stop-container:app-web-1 [] # down
      remove-container:app-web-1 [stop-container:app-web-1] # down
      stop-container:app-api-1 [remove-container:app-web-1] # down
      remove-container:app-api-1 [stop-container:app-api-1] # down"
    `);
  });

  test('a project whose dependencies no longer resolve still comes down', () => {
    const p = project({
      web: { image: 'nginx', depends_on: { gone: { condition: 'service_started', required: true } }, links: ['gone'], network_mode: 'service:gone' },
    });
    expect(plan(p, observed({ containers: [container(p, 'web', 1)] }))).toMatchInlineSnapshot(`
      "stop-container:app-web-1 [] # down
      remove-container:app-web-1 [stop-container:app-web-1] # down"
    `);
  });

  test('containers of services disabled by profiles are left alone (docker compose does the same)', () => {
    const p: Project = { ...project({ web: { image: 'nginx' } }), disabledServices: { debug: { image: 'busybox', profiles: ['debug'] } } };
    const o = observed({ containers: [container(p, 'web', 1), container(project({ debug: { image: 'busybox' } }), 'debug', 1)] });
    expect(plan(p, o, { removeOrphans: true })).toMatchInlineSnapshot(`
      "stop-container:app-web-1 [] # down
      remove-container:app-web-1 [stop-container:app-web-1] # down"
    `);
  });

  test('stop timeout: -t beats stop_grace_period', () => {
    const p = project({ web: { image: 'nginx', stop_grace_period: '20s', stop_signal: 'SIGINT' } });
    const o = observed({ containers: [container(p, 'web', 1)] });
    expect(planDown(p, o).ofKind('StopContainer')[0]).toMatchObject({ timeoutSeconds: 20, signal: 'SIGINT' });
    expect(planDown(p, o, { timeout: 0 }).ofKind('StopContainer')[0]).toMatchObject({ timeoutSeconds: 0 });
  });

  test('labeled project images of removed services go with --rmi and --remove-orphans', () => {
    const p = project({ web: { image: 'nginx' } });
    const o = observed({
      images: [
        { ref: 'app-old', id: '1', labels: { [LABEL_PROJECT]: 'app', [LABEL_SERVICE]: 'old' } },
        { ref: 'nginx', id: '2' },
      ],
      volumes: [{ name: 'app_data', labels: { [LABEL_PROJECT]: 'app', [LABEL_VOLUME]: 'data' } }],
    });
    expect(plan(p, o, { rmi: 'local' })).toMatchInlineSnapshot(`"warning: no resource found to remove for project "app""`);
    expect(plan(p, o, { rmi: 'local', removeOrphans: true })).toMatchInlineSnapshot(`"remove-image:app-old:latest [] # --rmi local"`);
  });
});
