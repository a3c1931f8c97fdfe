// The volume steps of the container lifecycle, as the container manager
// calls them: one hook per step so the manager's own code stays about
// containers. The rules live in runtime/volumes; this file only feeds them
// the container's facts (its request, its image's VOLUMEs, other containers'
// mounts for VolumesFrom, its rootfs) and keeps the plan in the record.

import { existsSync } from 'node:fs';
import type { ContainerConfig, HostConfig } from '../client/types.js';
import {
  attachVolumes, detachVolumes, planMounts, prepareMounts, unmountVolumes,
  type InspectMount, type MountPlan, type MountRequest, type OciMount, type PlannedMount, type VolumeStore,
} from '../volumes/index.js';
import type { ContainerRecord } from './container-record.js';

/** What a container record keeps about its mounts (set at create when the engine has volumes). */
export interface RecordMounts {
  /** The planned mounts; copy-up is turned off once it has run. */
  MountPlan?: PlannedMount[];
  /** inspect `Mounts`. */
  MountPoints?: InspectMount[];
  /** linux.rootfsPropagation asked for by a shared/slave bind. */
  RootfsPropagation?: 'shared' | 'rslave';
}

/**
 * At create, before the container exists: the plan (all request errors are
 * Docker's 400s here, so a bad request creates nothing).
 */
export function planContainerMounts(
  store: VolumeStore, hostConfig: HostConfig, config: ContainerConfig,
  other: (ref: string) => { id: string; mounts: readonly InspectMount[] },
): MountPlan {
  return planMounts(
    {
      hostConfig: { ...hostConfig, Mounts: (hostConfig.Mounts ?? null) as MountRequest[] | null },
      imageVolumes: (config.Volumes ?? null) as Record<string, unknown> | null,
    },
    { volumePath: (n) => store.path(n), hostPathExists: existsSync, containerMounts: other },
  );
}

/** At create, once the id is known: references (creating) the volumes and keeps the plan in the record. */
export async function attachContainerVolumes(store: VolumeStore, plan: MountPlan, rec: ContainerRecord & RecordMounts): Promise<void> {
  await attachVolumes(store, plan, rec.Id);
  rec.MountPlan = plan.mounts;
  rec.MountPoints = plan.inspect;
  if (plan.rootfsPropagation) rec.RootfsPropagation = plan.rootfsPropagation;
}

/**
 * At start, after the rootfs is mounted: the OCI mounts for config.json, or
 * undefined for a record made without volumes (the spec builder's own
 * handling then applies).
 */
export async function prepareContainerMounts(store: VolumeStore | undefined, rec: ContainerRecord & RecordMounts, rootfs: string): Promise<OciMount[] | undefined> {
  if (!store || !rec.MountPlan) return undefined;
  const prepared = await prepareMounts(store, rec.MountPlan, rec.Id, rootfs);
  rec.MountPlan = prepared.mounts;
  return prepared.oci;
}

/** At exit, stop, or a failed start. Never throws: a stuck unmount must not keep a container from stopping. */
export async function releaseContainerMounts(store: VolumeStore | undefined, rec: ContainerRecord & RecordMounts, log?: (line: string) => void): Promise<void> {
  if (!store || !rec.MountPlan) return;
  try { await unmountVolumes(store, rec.MountPlan, rec.Id); } catch (err) { log?.(`container ${rec.Id.slice(0, 12)}: ${(err as Error).message}`); }
}

/** At removal: drops the references; with `removeAnonymous` (`rm -v`, `run --rm`) removes anonymous volumes. */
export async function detachContainerVolumes(store: VolumeStore | undefined, rec: ContainerRecord & RecordMounts, removeAnonymous: boolean): Promise<void> {
  if (!store || !rec.MountPlan) return;
  // As with dockerd, a volume that cannot go (still mounted elsewhere, a busy unmount) does not keep the container.
  await detachVolumes(store, rec.MountPlan, rec.Id, { removeAnonymous }).catch(() => {});
}

/** Whether the container mounts a volume of this name or anything at this path (the `volume` filter of container list). */
export function mountsMatch(rec: ContainerRecord & RecordMounts, v: string): boolean | undefined {
  if (!rec.MountPoints) return undefined;
  return rec.MountPoints.some((m) => m.Name === v || m.Source === v || m.Destination === v);
}
