// One snapshot of what the engine holds for a project (STYLE 6): containers
// by the project label, networks and volumes by the label and by the names the
// project declares (an external or pre-existing one has no label), and the
// images, read once before planning. The planner never asks the engine.

import { EngineApiError, type ContainerSummary, type ImageSummary } from '../../../runtime/client/index.js';
import { LABEL_PROJECT } from '../../plan/labels.js';
import type { ContainerState, ObservedContainer, ObservedImage, ObservedNetwork, ObservedState, ObservedVolume } from '../../plan/observed.js';
import type { Engine } from './engine-port.js';

const STATES: readonly ContainerState[] = ['created', 'running', 'exited', 'paused', 'restarting', 'dead', 'removing'];

export function observedContainer(summary: ContainerSummary): ObservedContainer {
  const state = (STATES as readonly string[]).includes(summary.State) ? (summary.State as ContainerState) : 'exited';
  return {
    id: summary.Id,
    name: (summary.Names[0] ?? summary.Id).replace(/^\//, ''),
    state,
    labels: summary.Labels ?? {},
    created: summary.Created,
    imageId: summary.ImageID || undefined,
  };
}

export function observedImages(images: readonly ImageSummary[]): ObservedImage[] {
  const out: ObservedImage[] = [];
  for (const image of images) {
    const labels = image.Labels ?? undefined;
    const tags = (image.RepoTags ?? []).filter((t) => t !== '<none>:<none>');
    if (tags.length === 0) out.push({ ref: image.Id, id: image.Id, labels });
    for (const ref of tags) out.push({ ref, id: image.Id, labels });
  }
  return out;
}

/** Names the project declares, so unlabeled networks/volumes of that name are seen too. */
export interface DeclaredNames {
  readonly networks: readonly string[];
  readonly volumes: readonly string[];
}

/**
 * A listing never answers 404 or 501 on an engine that serves the kind: those
 * mean an engine without networks or volumes (no such route, or run without
 * them). Nothing of that kind exists there; creating one fails later with the
 * engine's own error.
 */
async function orNone<T>(listing: Promise<T>, none: T): Promise<T> {
  try {
    return await listing;
  } catch (err) {
    if (err instanceof EngineApiError && (err.status === 404 || err.status === 501)) return none;
    throw err;
  }
}

export async function observeProject(engine: Engine, projectName: string, declared: DeclaredNames = { networks: [], volumes: [] }): Promise<ObservedState> {
  const label = { label: [`${LABEL_PROJECT}=${projectName}`] };
  const [containers, networks, volumes, images] = await Promise.all([
    engine.listContainers({ all: true, filters: label }),
    orNone(engine.listNetworks(), []),
    orNone(engine.listVolumes(), { Volumes: [], Warnings: null }),
    engine.listImages(),
  ]);
  const wantedNetworks = new Set(declared.networks);
  const wantedVolumes = new Set(declared.volumes);
  const mineOrDeclared = (name: string, labels: Record<string, string> | null | undefined, wanted: Set<string>) =>
    labels?.[LABEL_PROJECT] === projectName || wanted.has(name);
  return {
    containers: containers.map(observedContainer),
    networks: networks
      .filter((n) => mineOrDeclared(n.Name, n.Labels, wantedNetworks))
      .map((n): ObservedNetwork => ({ name: n.Name, id: n.Id, labels: n.Labels ?? {} })),
    volumes: (volumes.Volumes ?? [])
      .filter((v) => mineOrDeclared(v.Name, v.Labels, wantedVolumes))
      .map((v): ObservedVolume => ({ name: v.Name, labels: v.Labels ?? {} })),
    images: observedImages(images),
  };
}
