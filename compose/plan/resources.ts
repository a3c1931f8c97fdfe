// Names and lookups shared by `up` and `down` planning: how a service's
// containers, networks, volumes and images are called on the engine, and how
// the observed snapshot is matched against them. Names follow docker compose
// v2 exactly so either tool recognises the other's resources.

import { ProjectError } from '../errors.js';
import type { NetworkConfig, Project, ServiceConfig, VolumeConfig } from '../types.js';
import { LABEL_NETWORK, LABEL_PROJECT, LABEL_VOLUME, NAME_SEPARATOR } from './labels.js';
import {
  containerProject,
  containerService,
  isOneOff,
  type ContainerState,
  type ObservedContainer,
  type ObservedImage,
  type ObservedNetwork,
  type ObservedState,
  type ObservedVolume,
} from './observed.js';

/** `<project>-<service>-<n>`, or container_name. */
export function containerName(projectName: string, serviceName: string, service: ServiceConfig, number: number): string {
  return service.container_name ?? [projectName, serviceName, String(number)].join(NAME_SEPARATOR);
}

/** `<project>-<service>-run-<first 12 of slug>` (docker compose's one-off name). */
export function oneOffName(projectName: string, serviceName: string, slug: string): string {
  return [projectName, serviceName, 'run', slug.slice(0, 12)].join(NAME_SEPARATOR);
}

/** The image a service runs: `image:`, else the one `build` produces, `<project>-<service>`. */
export function serviceImage(projectName: string, serviceName: string, service: ServiceConfig): string {
  return service.image ?? [projectName, serviceName].join(NAME_SEPARATOR);
}

/** Replicas wanted: `--scale`, else `scale`, else `deploy.replicas`, else 1. */
export function desiredScale(serviceName: string, service: ServiceConfig, override?: Readonly<Record<string, number>>): number {
  const fromFlag = override && Object.hasOwn(override, serviceName) ? override[serviceName] : undefined;
  return fromFlag ?? service.scale ?? service.deploy?.replicas ?? 1;
}

/** The compose network keys a service joins: its `networks`, else `default` unless network_mode is set. */
export function serviceNetworkKeys(service: ServiceConfig): string[] {
  const keys = Object.keys(service.networks ?? {});
  if (keys.length > 0) return keys.sort();
  if (service.network_mode !== undefined && service.network_mode !== '') return [];
  return ['default'];
}

/** The project volume keys a service mounts (named volumes only). */
export function serviceVolumeKeys(project: Project, service: ServiceConfig): string[] {
  const keys = new Set<string>();
  for (const v of service.volumes ?? []) {
    if (v.type === 'volume' && v.source && Object.hasOwn(project.volumes ?? {}, v.source)) keys.add(v.source);
  }
  return [...keys].sort();
}

/** The declared network, or the implicit `<project>_default`. */
export function networkConfig(project: Project, key: string, forService?: string): NetworkConfig {
  if (Object.hasOwn(project.networks ?? {}, key)) return project.networks![key];
  if (key === 'default') return { name: `${project.name}_default` };
  const who = forService ? `service "${forService}" refers to` : 'reference to';
  throw new ProjectError(`${who} undefined network "${key}"; declare it under the top-level networks`);
}

export function volumeConfig(project: Project, key: string): VolumeConfig {
  return Object.hasOwn(project.volumes ?? {}, key) ? project.volumes![key] : { name: `${project.name}_${key}` };
}

/** The engine's network for a compose key: by compose labels first, then by name. */
export function findNetwork(observed: ObservedState, projectName: string, key: string, name: string): ObservedNetwork | undefined {
  const labeled = observed.networks
    .filter((n) => n.labels[LABEL_PROJECT] === projectName && n.labels[LABEL_NETWORK] === key)
    .sort((a, b) => (a.name === name ? -1 : b.name === name ? 1 : a.name < b.name ? -1 : 1));
  return labeled[0] ?? observed.networks.find((n) => n.name === name);
}

export function findVolume(observed: ObservedState, projectName: string, key: string, name: string): ObservedVolume | undefined {
  const labeled = observed.volumes
    .filter((v) => v.labels[LABEL_PROJECT] === projectName && v.labels[LABEL_VOLUME] === key)
    .sort((a, b) => (a.name === name ? -1 : b.name === name ? 1 : a.name < b.name ? -1 : 1));
  return labeled[0] ?? observed.volumes.find((v) => v.name === name);
}

/**
 * A comparable image reference: Docker Hub's implicit parts removed and
 * `:latest` added, so `nginx`, `nginx:latest` and
 * `docker.io/library/nginx:latest` are one image.
 */
export function normalizeImageRef(ref: string): string {
  let name = ref;
  let suffix = '';
  const at = name.indexOf('@');
  if (at >= 0) {
    suffix = name.slice(at);
    name = name.slice(0, at);
  }
  const lastSlash = name.lastIndexOf('/');
  const colon = name.lastIndexOf(':');
  if (colon > lastSlash) {
    suffix = name.slice(colon) + suffix;
    name = name.slice(0, colon);
  } else if (!suffix) {
    suffix = ':latest';
  }
  for (const prefix of ['docker.io/', 'index.docker.io/', 'registry-1.docker.io/']) {
    if (name.startsWith(prefix)) name = name.slice(prefix.length);
  }
  if (name.startsWith('library/') && name.indexOf('/', 'library/'.length) < 0) name = name.slice('library/'.length);
  return name + suffix;
}

const imageIndexes = new WeakMap<ObservedState, Map<string, ObservedImage>>();

export function findImage(observed: ObservedState, ref: string): ObservedImage | undefined {
  let index = imageIndexes.get(observed);
  if (!index) {
    index = new Map();
    for (const image of observed.images) {
      const key = normalizeImageRef(image.ref);
      if (!index.has(key)) index.set(key, image);
      if (!index.has(image.id)) index.set(image.id, image);
    }
    imageIndexes.set(observed, index);
  }
  return index.get(normalizeImageRef(ref)) ?? index.get(ref);
}

/** States in which a container must be stopped before it is removed or replaced. */
export function isRunningLike(state: ContainerState): boolean {
  return state === 'running' || state === 'paused' || state === 'restarting';
}

/** The project's containers, split by what the planner does with them. */
export interface ProjectContainers {
  /** Service containers of services in the project, by service. */
  readonly byService: ReadonlyMap<string, readonly ObservedContainer[]>;
  /** One-off containers of known services (any state). */
  readonly oneOffs: readonly ObservedContainer[];
  /**
   * Containers whose service is neither in the project nor disabled, plus
   * one-off containers that have exited or died (docker compose's isOrphaned).
   */
  readonly orphans: readonly ObservedContainer[];
}

export function classifyContainers(project: Project, observed: ObservedState): ProjectContainers {
  const known = new Set([...Object.keys(project.services), ...Object.keys(project.disabledServices ?? {})]);
  const byService = new Map<string, ObservedContainer[]>();
  const oneOffs: ObservedContainer[] = [];
  const orphans: ObservedContainer[] = [];
  const mine = observed.containers
    .filter((c) => containerProject(c) === project.name)
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const c of mine) {
    // Already on its way out (a `rm` in progress): neither kept nor removed again.
    if (c.state === 'removing') continue;
    const service = containerService(c) ?? '';
    if (isOneOff(c)) {
      if (c.state === 'exited' || c.state === 'dead') orphans.push(c);
      else if (known.has(service)) oneOffs.push(c);
      else orphans.push(c);
      continue;
    }
    if (!known.has(service)) orphans.push(c);
    else if (Object.hasOwn(project.services, service)) {
      const list = byService.get(service) ?? [];
      list.push(c);
      byService.set(service, list);
    }
  }
  return { byService, oneOffs, orphans };
}

/** Why a container is an orphan, for plan causes and warnings. */
export function orphanCause(c: ObservedContainer): string {
  const service = containerService(c) ?? '';
  if (isOneOff(c)) return `orphan (one-off container of "${service}", ${c.state})`;
  return `orphan (service "${service}" not in project)`;
}

/**
 * Seconds in a Go duration string (`10s`, `1m30s`, `1.5h`, `500ms`), or
 * undefined when it is not one. stop_grace_period arrives in this form.
 */
export function durationSeconds(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const unit: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 1e-3, us: 1e-6, 'µs': 1e-6, ns: 1e-9 };
  const re = /(\d+(?:\.\d+)?)(h|ms|m|s|us|µs|ns)/gy;
  let total = 0;
  let matched = 0;
  for (const m of text.matchAll(re)) {
    total += Number(m[1]) * unit[m[2]];
    matched += m[0].length;
  }
  if (text === '0') return 0;
  return matched === text.length && matched > 0 ? total : undefined;
}

/**
 * How to stop a service's container: its stop_signal and stop_grace_period,
 * a `-t/--timeout` flag winning over the grace period. Every path that stops
 * a container (stop, restart, rm --stop, down, recreate, Ctrl-C) uses this.
 */
export function stopSettings(service: ServiceConfig | undefined, timeoutFlag?: number): { timeoutSeconds?: number; signal?: string } {
  return { timeoutSeconds: timeoutFlag ?? durationSeconds(service?.stop_grace_period), signal: service?.stop_signal };
}
