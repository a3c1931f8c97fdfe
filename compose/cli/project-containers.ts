// The project's containers as the engine lists them (by the project label),
// and running one action over them in dependency order — start and restart
// dependencies first, stop and kill dependents first — with the one walker.

import type { ContainerSummary } from '../../runtime/client/index.js';
import { buildGraph } from '../graph/graph.js';
import { walk, type WalkDirection } from '../graph/walk.js';
import { LABEL_CONTAINER_NUMBER, LABEL_ONEOFF, LABEL_PROJECT, LABEL_SERVICE } from '../plan/labels.js';
import { stopSettings } from '../plan/resources.js';
import type { Project, ServiceConfig } from '../types.js';
import { UsageError } from './context.js';
import type { Engine } from './executor/engine-port.js';

export interface ListOptions {
  /** Stopped containers too. */
  readonly all?: boolean;
  /** Only these services (empty: all). */
  readonly services?: readonly string[];
  /** Include one-off (`run`) containers. */
  readonly oneOff?: boolean;
}

export function containerNameOf(c: ContainerSummary): string {
  return (c.Names[0] ?? c.Id).replace(/^\//, '');
}

export function serviceOf(c: ContainerSummary): string {
  return c.Labels[LABEL_SERVICE] ?? '';
}

export function numberOf(c: ContainerSummary): number {
  return Number(c.Labels[LABEL_CONTAINER_NUMBER] ?? 0);
}

export async function listProjectContainers(engine: Engine, projectName: string, options: ListOptions = {}): Promise<ContainerSummary[]> {
  const list = await engine.listContainers({ all: options.all ?? false, filters: { label: [`${LABEL_PROJECT}=${projectName}`] } });
  const wanted = new Set(options.services ?? []);
  return list
    .filter((c) => options.oneOff || c.Labels[LABEL_ONEOFF] !== 'True')
    .filter((c) => wanted.size === 0 || wanted.has(serviceOf(c)))
    .sort((a, b) => (containerNameOf(a) < containerNameOf(b) ? -1 : containerNameOf(a) > containerNameOf(b) ? 1 : 0));
}

/** Names given on the command line must be services of the project. */
export function checkServices(project: Project, names: readonly string[]): void {
  for (const name of names) {
    if (!Object.hasOwn(project.services, name)) {
      const known = Object.keys(project.services).sort().join(', ');
      throw new UsageError(`no such service: ${name} (the project's services are: ${known || 'none'})`);
    }
  }
}

/**
 * Calls `action` for each container, services in dependency order
 * (`up`: dependencies first; `down`: dependents first), the containers of one
 * service together; containers of services not in the file go last.
 */
export async function inServiceOrder(
  project: Project,
  containers: readonly ContainerSummary[],
  direction: WalkDirection,
  action: (c: ContainerSummary) => Promise<void>,
  concurrency?: number,
): Promise<void> {
  const byService = new Map<string, ContainerSummary[]>();
  for (const c of containers) byService.set(serviceOf(c), [...(byService.get(serviceOf(c)) ?? []), c]);
  const { graph } = buildGraph(project);
  const limit = concurrency !== undefined && concurrency >= 1 ? concurrency : undefined;
  await walk(graph, direction, async (service) => {
    await Promise.all((byService.get(service) ?? []).map(action));
  }, { concurrency: limit });
  const strays = containers.filter((c) => !graph.has(serviceOf(c)));
  await Promise.all(strays.map(action));
}

/** The engine's stop/restart options for a service's container (its stop_signal, grace period or `-t`). */
export function stopOptions(service: ServiceConfig | undefined, timeoutFlag?: number): { timeout?: number; signal?: string } {
  const { timeoutSeconds, signal } = stopSettings(service, timeoutFlag);
  return { timeout: timeoutSeconds, signal };
}
