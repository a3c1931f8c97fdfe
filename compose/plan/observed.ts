// What the engine holds for a project, taken as one snapshot before planning
// (docker compose's observed_state.go). The CLI lists containers, networks,
// volumes and images by the project label (and declared names) and hands the
// result to the planner; the planner never asks the engine anything.

import {
  LABEL_CONFIG_HASH,
  LABEL_CONTAINER_NUMBER,
  LABEL_NETWORK,
  LABEL_ONEOFF,
  LABEL_PROJECT,
  LABEL_SERVICE,
  LABEL_VOLUME,
} from './labels.js';

export type ContainerState = 'created' | 'running' | 'exited' | 'paused' | 'restarting' | 'dead' | 'removing';

export interface ObservedContainer {
  readonly id: string;
  /** Without the leading `/`. */
  readonly name: string;
  readonly state: ContainerState;
  readonly labels: Readonly<Record<string, string>>;
  /** Creation time, seconds since the epoch (breaks ties between equal numbers). */
  readonly created: number;
  /** Image id the container runs, when known. */
  readonly imageId?: string;
}

export interface ObservedNetwork {
  readonly name: string;
  readonly id: string;
  readonly labels: Readonly<Record<string, string>>;
}

export interface ObservedVolume {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
}

export interface ObservedImage {
  /** A reference that names it, e.g. `nginx:1.27` or `myapp-web` (normalized when compared). */
  readonly ref: string;
  readonly id: string;
  readonly labels?: Readonly<Record<string, string>>;
}

export interface ObservedState {
  readonly containers: readonly ObservedContainer[];
  readonly networks: readonly ObservedNetwork[];
  readonly volumes: readonly ObservedVolume[];
  readonly images: readonly ObservedImage[];
}

export const EMPTY_OBSERVED: ObservedState = { containers: [], networks: [], volumes: [], images: [] };

export function isOneOff(container: ObservedContainer): boolean {
  return container.labels[LABEL_ONEOFF] === 'True';
}

export function containerProject(container: ObservedContainer): string | undefined {
  return container.labels[LABEL_PROJECT];
}

export function containerService(container: ObservedContainer): string | undefined {
  return container.labels[LABEL_SERVICE];
}

/** The replica number, or undefined when the label is missing or not a number. */
export function containerNumber(container: ObservedContainer): number | undefined {
  const text = container.labels[LABEL_CONTAINER_NUMBER];
  if (text === undefined || !/^-?\d+$/.test(text)) return undefined;
  return Number(text);
}

export function containerConfigHash(container: ObservedContainer): string | undefined {
  return container.labels[LABEL_CONFIG_HASH];
}

/** The compose key of a network (`default`), or undefined when unlabeled. */
export function networkKey(network: ObservedNetwork): string | undefined {
  return network.labels[LABEL_NETWORK];
}

export function volumeKey(volume: ObservedVolume): string | undefined {
  return volume.labels[LABEL_VOLUME];
}
