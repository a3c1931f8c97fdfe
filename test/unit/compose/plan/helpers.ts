// Builders for plan tests: projects written by hand (no loader) and a tiny
// engine simulator that applies a plan to an observed snapshot, so a test can
// check that planning again after applying finds nothing to do.

import { createHash } from 'node:crypto';
import type { Project, ServiceConfig } from '../../../../compose/types.js';
import type { ObservedContainer, ObservedState, ContainerState } from '../../../../compose/plan/observed.js';
import type { Plan } from '../../../../compose/plan/plan.js';
import { configHash } from '../../../../compose/plan/hash.js';
import {
  LABEL_CONFIG_HASH,
  LABEL_CONTAINER_NUMBER,
  LABEL_ONEOFF,
  LABEL_PROJECT,
  LABEL_SERVICE,
  LABEL_SLUG,
} from '../../../../compose/plan/labels.js';

export function project(services: Record<string, ServiceConfig>, extra: Partial<Project> = {}): Project {
  return { name: 'app', services, ...extra };
}

/** A 3-tier app: web -> api -> db (healthy), all on the default network, db with a named volume. */
export function threeTier(overrides: Partial<Record<'web' | 'api' | 'db', Partial<ServiceConfig>>> = {}): Project {
  return project(
    {
      web: { image: 'nginx:1.27', ports: [{ mode: 'ingress', target: 80, published: '8080', protocol: 'tcp' }], depends_on: { api: { condition: 'service_started', required: true } }, ...overrides.web },
      api: { image: 'example/api:1', depends_on: { db: { condition: 'service_healthy', required: true } }, ...overrides.api },
      db: {
        image: 'mariadb:11',
        volumes: [{ type: 'volume', source: 'data', target: '/var/lib/mysql' }],
        healthcheck: { test: ['CMD', 'healthcheck.sh', '--connect'] },
        ...overrides.db,
      },
    },
    { volumes: { data: { name: 'app_data' } }, networks: { default: { name: 'app_default' } } },
  );
}

export function fakeId(seed: string): string {
  return createHash('sha256').update(seed).digest('hex');
}

/** A service container of `project` as docker compose would have labelled it. */
export function container(
  p: Project,
  service: string,
  number: number,
  opts: { state?: ContainerState; hash?: string; created?: number; name?: string; labels?: Record<string, string> } = {},
): ObservedContainer {
  const name = opts.name ?? p.services[service]?.container_name ?? `${p.name}-${service}-${number}`;
  return {
    id: fakeId(name),
    name,
    state: opts.state ?? 'running',
    created: opts.created ?? number,
    labels: {
      [LABEL_PROJECT]: p.name,
      [LABEL_SERVICE]: service,
      [LABEL_CONTAINER_NUMBER]: String(number),
      [LABEL_ONEOFF]: 'False',
      [LABEL_CONFIG_HASH]: opts.hash ?? (p.services[service] ? configHash(p.services[service]) : 'gone'),
      ...opts.labels,
    },
  };
}

export function oneOffContainer(p: Project, service: string, slug: string, state: ContainerState): ObservedContainer {
  const name = `${p.name}-${service}-run-${slug.slice(0, 12)}`;
  return {
    id: fakeId(name),
    name,
    state,
    created: 100,
    labels: { [LABEL_PROJECT]: p.name, [LABEL_SERVICE]: service, [LABEL_ONEOFF]: 'True', [LABEL_SLUG]: slug },
  };
}

export function observed(parts: Partial<ObservedState> = {}): ObservedState {
  return { containers: [], networks: [], volumes: [], images: [], ...parts };
}

/** Applies `plan` to `state` the way an engine would, op by op in plan order. */
export function applyPlan(state: ObservedState, plan: Plan): ObservedState {
  let containers = [...state.containers];
  let networks = [...state.networks];
  let volumes = [...state.volumes];
  let images = [...state.images];
  let clock = 1000;
  const setState = (pred: (c: ObservedContainer) => boolean, s: ContainerState) => {
    containers = containers.map((c) => (pred(c) ? { ...c, state: s } : c));
  };
  for (const op of plan.operations) {
    switch (op.kind) {
      case 'CreateNetwork':
        networks.push({ name: op.name, id: fakeId(op.name), labels: op.labels });
        break;
      case 'RemoveNetwork':
        networks = networks.filter((n) => n.name !== op.name);
        break;
      case 'CreateVolume':
        volumes.push({ name: op.name, labels: op.labels });
        break;
      case 'RemoveVolume':
        volumes = volumes.filter((v) => v.name !== op.name);
        break;
      case 'PullImage':
      case 'BuildImage':
        images.push({ ref: op.image, id: `sha256:${fakeId(op.image)}` });
        break;
      case 'RemoveImage':
        images = images.filter((i) => i.ref !== op.image);
        break;
      case 'CreateContainer':
        containers.push({ id: fakeId(op.containerName), name: op.containerName, state: 'created', labels: op.labels, created: clock++ });
        break;
      case 'StartContainer':
        setState((c) => c.name === op.containerName, 'running');
        break;
      case 'UnpauseContainer':
        setState((c) => c.id === op.containerId, 'running');
        break;
      case 'StopContainer':
        setState((c) => c.id === op.containerId, 'exited');
        break;
      case 'RemoveContainer':
        containers = containers.filter((c) => c.id !== op.containerId);
        break;
      case 'RenameContainer':
        containers = containers.map((c) => (c.name === op.containerName ? { ...c, name: op.newName } : c));
        break;
      case 'AwaitCondition':
        break;
    }
  }
  return { containers, networks, volumes, images };
}
