// `down` as a pure function (docker compose's down.go): containers stopped and
// removed dependents first, a service's containers only once everything that
// needs it is gone; then networks, and with -v volumes, with --rmi images.
// External networks and volumes are never touched.

import { buildGraph, volumesFromService } from '../graph/graph.js';
import type { Project, ServiceConfig } from '../types.js';
import { PlanBuilder } from './builder.js';
import { LABEL_PROJECT, LABEL_SERVICE } from './labels.js';
import { containerService, isOneOff, type ObservedContainer, type ObservedState } from './observed.js';
import type { Plan } from './plan.js';
import {
  classifyContainers,
  stopSettings,
  findImage,
  findNetwork,
  findVolume,
  isRunningLike,
  networkConfig,
  normalizeImageRef,
  orphanCause,
  serviceImage,
  serviceNetworkKeys,
} from './resources.js';

export interface DownOptions {
  /** `down SERVICE...`: those services and everything that depends on them; networks and volumes stay. */
  readonly services?: readonly string[];
  readonly removeOrphans?: boolean;
  /** `-v`: named volumes of the project and anonymous volumes of its containers. */
  readonly volumes?: boolean;
  /** `--rmi local` (images built for services without `image:`) or `all`. */
  readonly rmi?: 'local' | 'all';
  /** `-t`: seconds before SIGKILL; default each service's stop_grace_period. */
  readonly timeout?: number;
}

export function planDown(project: Project, observed: ObservedState, options: DownOptions = {}): Plan {
  const plan = new PlanBuilder();
  // A down must work on a project whose references no longer resolve (a
  // service removed from the file): missing dependencies are dropped.
  const lenient: Project = {
    ...project,
    services: Object.fromEntries(
      Object.entries(project.services).map(([name, s]) => [
        name,
        {
          ...s,
          depends_on: Object.fromEntries(Object.entries(s.depends_on ?? {}).map(([d, v]) => [d, { ...v, required: false }])),
          links: (s.links ?? []).filter((l) => Object.hasOwn(project.services, l.split(':')[0])),
          volumes_from: (s.volumes_from ?? []).filter((v) => {
            const target = volumesFromService(v);
            return target === undefined || Object.hasOwn(project.services, target);
          }),
        } as ServiceConfig,
      ]),
    ),
  };
  const { graph } = buildGraph(stripUnknownModes(lenient));
  const selected = options.services && options.services.length > 0 ? graph.withDependents(options.services.filter((s) => graph.has(s))) : [...graph.names];
  const selectedSet = new Set(selected);
  const classified = classifyContainers(project, observed);

  const removes: string[] = [];
  const removesByService = new Map<string, string[]>();
  const stopAndRemove = (service: string | undefined, c: ObservedContainer, cause: string, after: string[]): string => {
    const config = service !== undefined ? project.services[service] : undefined;
    let stop: string | undefined;
    if (isRunningLike(c.state)) {
      stop = plan.add(
        c.name,
        {
          kind: 'StopContainer',
          cause,
          service,
          containerId: c.id,
          containerName: c.name,
          ...stopSettings(config, options.timeout),
        },
        after,
      );
    }
    const remove = plan.add(
      c.name,
      { kind: 'RemoveContainer', cause, service, containerId: c.id, containerName: c.name, removeVolumes: options.volumes ?? false },
      stop ? [stop] : after,
    );
    removes.push(remove);
    return remove;
  };

  for (const name of graph.select(selected).order('down')) {
    const after = graph.dependents(name).filter((d) => selectedSet.has(d)).flatMap((d) => removesByService.get(d) ?? []);
    const mine = [...(classified.byService.get(name) ?? [])];
    // A service's one-off (`run`) containers go with it, as in docker compose
    // (its down picks containers by the service label alone): left behind, a
    // `run -d` container would keep the project's network in use.
    mine.push(...observed.containers.filter((c) => isOneOff(c) && containerService(c) === name));
    removesByService.set(
      name,
      mine.map((c) => stopAndRemove(name, c, isOneOff(c) ? 'down (one-off container)' : 'down', after)),
    );
  }

  if (options.removeOrphans) {
    // One-off containers of the project's services went with their service above.
    for (const c of classified.orphans) if (!(isOneOff(c) && graph.has(containerService(c) ?? ''))) stopAndRemove(undefined, c, orphanCause(c), []);
  }

  const wholeProject = !(options.services && options.services.length > 0);
  let resources = 0;
  if (wholeProject) {
    const keys = new Set(Object.keys(project.networks ?? {}));
    for (const s of Object.values(project.services)) for (const k of serviceNetworkKeys(s)) keys.add(k);
    for (const key of [...keys].sort()) {
      if (key !== 'default' && !Object.hasOwn(project.networks ?? {}, key)) continue;
      const config = networkConfig(project, key);
      if (config.external) continue;
      const found = findNetwork(observed, project.name, key, config.name);
      if (!found || found.labels[LABEL_PROJECT] !== project.name) continue;
      plan.add(found.name, { kind: 'RemoveNetwork', cause: 'down', network: key, name: found.name }, removes);
      resources++;
    }
    if (options.volumes) {
      for (const [key, config] of Object.entries(project.volumes ?? {}).sort(([a], [b]) => (a < b ? -1 : 1))) {
        if (config.external) continue;
        const found = findVolume(observed, project.name, key, config.name);
        if (!found) continue;
        plan.add(found.name, { kind: 'RemoveVolume', cause: 'down -v', volume: key, name: found.name }, removes);
        resources++;
      }
    }
  }

  if (options.rmi) {
    const images = new Map<string, string>();
    for (const name of selected) {
      const service = project.services[name];
      if (options.rmi === 'local' && service.image !== undefined) continue;
      const ref = serviceImage(project.name, name, service);
      if (findImage(observed, ref)) images.set(normalizeImageRef(ref), ref);
    }
    // Images built for this project carry its labels even when the service is gone.
    for (const image of observed.images) {
      if (image.labels?.[LABEL_PROJECT] !== project.name) continue;
      const service = image.labels[LABEL_SERVICE];
      if (service !== undefined && !selectedSet.has(service) && !(options.removeOrphans && !Object.hasOwn(project.services, service))) continue;
      images.set(normalizeImageRef(image.ref), image.ref);
    }
    for (const [key, ref] of [...images].sort(([a], [b]) => (a < b ? -1 : 1))) {
      plan.add(key, { kind: 'RemoveImage', cause: `--rmi ${options.rmi}`, image: ref }, removes);
      resources++;
    }
  }

  if (removes.length === 0 && resources === 0) plan.warn(`no resource found to remove for project "${project.name}"`);
  return plan.build();
}

/** network_mode/ipc/pid pointing at a missing service would make the graph throw; down ignores them. */
function stripUnknownModes(project: Project): Project {
  const services: Record<string, ServiceConfig> = {};
  for (const [name, s] of Object.entries(project.services)) {
    const copy: Record<string, unknown> = { ...s };
    for (const key of ['network_mode', 'ipc', 'pid'] as const) {
      const v = s[key];
      if (v?.startsWith('service:') && !Object.hasOwn(project.services, v.slice('service:'.length))) delete copy[key];
    }
    services[name] = copy as ServiceConfig;
  }
  return { ...project, services };
}
